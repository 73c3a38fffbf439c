from django.urls import path

from . import views, views_basket, views_courses, views_grades, views_lists

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
    path("basket/", views_basket.basket, name="basket"),
    path("grades/", views_grades.my_grades, name="my_grades"),
    path("grades/transcripts/<str:code>/pdf/", views_grades.my_transcript_pdf, name="my_transcript_pdf"),
    path("basket/<int:offering_id>/add/", views_basket.basket_add, name="basket_add"),
    path("basket/<int:item_id>/remove/", views_basket.basket_remove, name="basket_remove"),
    path("basket/register/", views_basket.basket_register, name="basket_register"),
    path("courses/<int:offering_id>/waitlist/", views_basket.waitlist_join, name="waitlist_join"),
    path("waitlist/<int:entry_id>/leave/", views_basket.waitlist_leave, name="waitlist_leave"),
    path("waitlist/<int:entry_id>/claim/", views_basket.waitlist_claim, name="waitlist_claim"),
    path("verify/<str:token>/", views_lists.partner_list_verify, name="partner_list_verify"),
]
