"""The portal's URLs plus the benchmark's baseline page, ``/credit-exchange/ping`` (see ``bench/settings.py``)."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.urls import include, path


@login_required
def ping(request):
    """A trivial authenticated endpoint: the benchmark's baseline for the framework's own cost (session and user)."""
    return JsonResponse({"user": request.user.username})


urlpatterns = [
    path("credit-exchange/ping", ping, name="bench_ping"),
    path("", include("ustportal.urls")),
]
