from django.urls import path, re_path

from . import views

app_name = "partnerapi"

urlpatterns = [
    path("terms/", views.TermsView.as_view(), name="terms"),
    path("lists/", views.ListsView.as_view(), name="lists"),
    path("lists/<int:pk>/", views.ListDetailView.as_view(), name="list"),
    path("lists/<int:pk>/recommendations/", views.AnswerView.as_view(), name="list-answer"),
    path("applications/", views.ApplicationsView.as_view(), name="applications"),
    path("registrations/", views.RegistrationsView.as_view(), name="registrations"),
    path("recommendations/", views.RecommendationsView.as_view(), name="recommendations"),
    path("transcripts/", views.TranscriptsView.as_view(), name="transcripts"),
    path("transcripts/<str:code>/pdf", views.TranscriptPdfView.as_view(), name="transcript-pdf"),
    re_path(r"", views.NotFoundView.as_view(), name="not-found"),  # any other address under /api/v1/: a JSON 404
]
