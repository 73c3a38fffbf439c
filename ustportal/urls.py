from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from academics import views as academics_views
from accounts import twofactor

from . import views

admin.site.site_header = _("UST Portal administration")
admin.site.site_title = _("UST Portal")
admin.site.index_title = _("Registrar and committee work")
# Staff verify their second factor before any admin page (accounts.twofactor middleware); the device admins are superuser-only.
twofactor.restrict_device_admins(admin.site)

urlpatterns = [
    path("", views.home, name="home"),
    # The load balancer's probes (deploy/README.md): alive (the process answers) and ready (send it requests);
    # /healthz is "ready" under its first address, which the CI smoke test and monitors use.
    path("healthz", views.healthz_ready, name="healthz"),
    path("healthz/live", views.healthz_live, name="healthz_live"),
    path("healthz/ready", views.healthz_ready, name="healthz_ready"),
    path("dev/mailbox/", views.mailbox, name="mailbox"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("credit-exchange/", include("creditexchange.urls")),
    path("verify/", include("creditexchange.urls_transcripts")),  # the public transcript verification (issue 15)
    path("affiliation/", include("affiliation.urls")),
    path("notices/", include("notices.urls")),
    path("calendar.ics", academics_views.calendar_feed, name="calendar"),
    path("calendar/<int:year>-<str:season>.ics", academics_views.term_calendar, name="term_calendar"),
    path("staff/", include("staffdesk.urls")),
    # The partner API (issue 15): its endpoints, the OpenAPI 3 schema and the docs page (Swagger UI, vendored).
    path("api/v1/", include("partnerapi.urls")),
    path("api/schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="api-schema"),
    # Swagger UI sets inline styles (never inline script: its init script is a file); only this page allows them.
    path("api/docs/", csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(
        url_name="api-schema", authentication_classes=[], permission_classes=[])), name="api-docs"),
    path("admin/", include("ustportal.urls_legacy")),  # old addresses of the models moved to core
    path("admin/", admin.site.urls),
]
