from django.urls import path

from . import views

app_name = "staffdesk"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("jobs/<int:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/confirm/", views.job_confirm, name="job_confirm"),
]
