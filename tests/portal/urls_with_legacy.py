"""The portal's URLs with the pre-kernel admin redirects mounted as ustportal/urls_legacy.py asks."""

from django.urls import include, path

from ustportal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [path("admin/", include("ustportal.urls_legacy")), *portal_urlpatterns]
