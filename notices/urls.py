from django.urls import path

from . import views

app_name = "notices"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("<int:notice_id>/", views.notice_detail, name="detail"),
    path("<int:notice_id>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
