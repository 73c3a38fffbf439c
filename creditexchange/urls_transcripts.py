"""The public transcript verification page (issue 15), mounted at /verify/ by ustportal/urls.py."""

from django.urls import path

from . import views_transcripts

app_name = "transcripts"
urlpatterns = [
    path("", views_transcripts.verify, name="verify"),
    path("<str:code>/", views_transcripts.verify_code, name="verify_code"),
]
