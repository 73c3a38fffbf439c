from django.urls import path

from . import views, views_courses, views_lists

app_name = "creditexchange"
urlpatterns = [
    path("apply/", views.application_create, name="application_create"),
    path("apply/sent/", views.application_sent, name="application_sent"),
    path("apply/resend/", views.application_resend, name="application_resend"),
    path("apply/confirm/<str:token>/", views.application_confirm, name="application_confirm"),
    path("apply/result/", views.application_lookup, name="application_lookup"),
    path("courses/", views_courses.catalogue, name="catalogue"),
    path("courses/<int:offering_id>/register/", views_courses.registration_create, name="registration_create"),
    path("registrations/<int:registration_id>/drop/", views_courses.registration_delete, name="registration_delete"),
    path("registrations/", views_courses.my_registrations, name="my_registrations"),
    path("verify/<str:token>/", views_lists.partner_list_verify, name="partner_list_verify"),
]
