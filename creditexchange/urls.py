from django.urls import path

from . import views

app_name = "creditexchange"
urlpatterns = [
    path("apply/", views.application_create, name="application_create"),
    path("apply/sent/", views.application_sent, name="application_sent"),
    path("apply/resend/", views.application_resend, name="application_resend"),
    path("apply/confirm/<str:token>/", views.application_confirm, name="application_confirm"),
    path("apply/result/", views.application_lookup, name="application_lookup"),
]
