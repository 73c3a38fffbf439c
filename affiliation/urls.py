from django.urls import path

from . import views

app_name = "affiliation"
urlpatterns = [
    path("", views.index, name="index"),
    path("apply/", views.apply, name="apply"),
    path("applications/<int:application_id>/<str:kind>/", views.application_file, name="application_file"),
]
