"""UST Portal settings: one module, driven by the environment (see deploy/env.example).

With nothing set it runs the embedded default: SQLite, tasks in-process, mail written
to var/mail and readable at /dev/mailbox/ while DEBUG is on.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# The process environment wins over the file; ENV_FILE points elsewhere (e.g. /etc/ustportal/env).
ENV_FILE = Path(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))
if ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE, overwrite=False)

# DEBUG is on only when asked for (`make run` asks). Nothing turns it on by itself: a deployment that
# forgot its SECRET_KEY stops with an error instead of running in development mode.
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
PLACEHOLDER_SECRET_KEYS = {"change-me"}  # deploy/env.example's value
if not DEBUG and (not SECRET_KEY or SECRET_KEY in PLACEHOLDER_SECRET_KEYS):
    raise ImproperlyConfigured(
        "SECRET_KEY is not set (or still the placeholder of deploy/env.example) and DEBUG is off. A deployment sets "
        "SECRET_KEY in the environment or in .env (generate one with `python -c \"from django.core.management.utils "
        "import get_random_secret_key as k; print(k())\"`); a developer's checkout sets DEBUG=true (`make run` does)."
    )
if not SECRET_KEY:
    SECRET_KEY = "insecure-development-key-only-used-with-debug"  # noqa: S105 - only ever with DEBUG on
# Every node (web and worker hosts) runs with the same SECRET_KEY and fallbacks: sessions, mailed links and the
# messages cookie signed on one node are checked on another (docs/process-state.md, "Equal on every node").
# Key rotation (README → Security): the old key stays here until the longest-lived link it signed has expired.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute base for links in e-mail (no request exists inside a Celery task); by default the local server's
# address on PORT (`make run PORT=8101` sets it), so mailed links reach the server that sent them.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "core",
    "ustportal",
    "accounts",
    "academics",
    "creditexchange",
    "affiliation",
    "staffdesk",
    "notices",
    # The partner API (issue 15): DRF, its OpenAPI schema and the vendored Swagger UI (no CDN).
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "partnerapi",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.admission.AdmissionMiddleware",  # the bounded queue (issue 14): past it, 503 + Retry-After at once
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx
    "core.htmx.HtmxRedirectMiddleware",  # a redirect answering htmx moves the whole page (HX-Redirect), e.g. to the login
    "accounts.middleware.SessionLifetimeMiddleware",  # idle timeout and lifetime, before anything else sees the user
    "django_otp.middleware.OTPMiddleware",
    "accounts.twofactor.StaffSecondFactorMiddleware",  # staff finish the second factor before any other page
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.privacy.PersonalDataAccessMiddleware",  # PIPA access log: who saw whose data (admin, downloads, exports)
    "csp.middleware.CSPMiddleware",
    "core.security_headers.SecurityHeadersMiddleware",  # Permissions-Policy, Cross-Origin-Resource-Policy
    # Last, as django-axes asks: it turns a lock-out raised during authentication into its response.
    "axes.middleware.AxesMiddleware",
]

# Admission control (core/admission.py, README → Production): per web process, ADMISSION_CONCURRENCY threads run
# requests (0: off, every request runs in the thread that read it), at most ADMISSION_QUEUE wait for one, each at
# most ADMISSION_WAIT_SECONDS; any other request gets 503 with Retry-After at once. gunicorn.conf.py sets these
# for its gthread workers.
ADMISSION_CONCURRENCY = env.int("ADMISSION_CONCURRENCY", default=0)
ADMISSION_QUEUE = env.int("ADMISSION_QUEUE", default=32)
ADMISSION_WAIT_SECONDS = env.float("ADMISSION_WAIT_SECONDS", default=1.0)
ADMISSION_RETRY_AFTER_SECONDS = env.int("ADMISSION_RETRY_AFTER_SECONDS", default=2)
# The load balancer's probes are never queued: these paths exactly (core/admission.py: not what starts with them).
ADMISSION_EXEMPT = ["/healthz", "/healthz/live", "/healthz/ready"]
# Draining (ustportal/draining.py, deploy/README.md): while this file exists, /healthz/ready answers 503 "draining"
# and the load balancer sends the node no new requests; empty: only gunicorn's graceful stop drains.
DRAIN_FILE = env.str("DRAIN_FILE", default="")

ROOT_URLCONF = "ustportal.urls"
WSGI_APPLICATION = "ustportal.wsgi.application"
ASGI_APPLICATION = "ustportal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ustportal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# Every Redis use (cache, rate limits, broker publish) gives up after about this long, connecting or reading:
# a stalled Redis then costs a request about a second, not the length of the stall (README → Reliability).
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=1.0)
if REDIS_URL:
    CACHES = {"default": {
        "BACKEND": "core.redis_cache.RedisCache", "LOCATION": REDIS_URL,  # one redis-py client per pool
        # redis-py's pool: no retry on a timeout (a retry would double the wait).
        "OPTIONS": {"socket_timeout": REDIS_SOCKET_TIMEOUT, "socket_connect_timeout": REDIS_SOCKET_TIMEOUT},
    }}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out user name + address before the password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:profile"
LOGOUT_REDIRECT_URL = "home"
# Set-password links for new temporary-ID accounts use Django's password-reset tokens.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 24 * 3600)

LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
# One date-and-time format per language, on pages, in mails and exports: core/dates.py.
FORMAT_MODULE_PATH = ["ustportal.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files served at the site root by WhiteNoise: /favicon.ico, which every browser asks for (also on admin pages).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Uploaded files (affiliation certificates and study plans, notice attachments): the local disk under MEDIA_ROOT in
# the embedded default (one host), or an S3-compatible object store shared by every node (FILE_STORAGE=s3; README →
# Production). The bucket stays private: no ACL, no public URL is ever handed out; every download streams through
# its permission-checked view (affiliation.views.application_file, notices.views.attachment_download).
FILE_STORAGE = env.str("FILE_STORAGE", default="local")
if FILE_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured(f"FILE_STORAGE must be 'local' or 's3', not {FILE_STORAGE!r}.")
if FILE_STORAGE == "s3":
    from botocore.config import Config as _S3Config

    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,  # empty: AWS itself
        "region_name": env.str("AWS_S3_REGION_NAME", default="us-east-1"),
        "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,  # empty: the instance's own credentials
        "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
        "location": env.str("AWS_LOCATION", default=""),  # a key prefix, when one bucket serves several portals
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="path"),  # path: MinIO, Ceph, moto alike
        "signature_version": "s3v4",
        "default_acl": None,  # the bucket's own (private) policy; never public-read
        "querystring_auth": True,  # a URL, if one is ever made, is signed and short-lived
        "querystring_expire": 60,
        "file_overwrite": False,  # names are server-chosen UUIDs; a clash gets a new name, never replaces a file
        "max_memory_size": 1024 * 1024,  # a download larger than this is spooled to a temporary file, not RAM
        # A store that is down or hung costs a request seconds (then a 503 page or a kept draft, core/files.py),
        # not botocore's default 60 s connect and 60 s read per attempt, five attempts: a web process serves one
        # request at a time (ADMISSION_CONCURRENCY). The read timeout bounds each wait for bytes, not a transfer.
        "client_config": _S3Config(
            connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT", default=2.0),
            read_timeout=env.float("AWS_S3_READ_TIMEOUT", default=5.0),
            retries={"max_attempts": env.int("AWS_S3_MAX_ATTEMPTS", default=2), "mode": "standard"},
        ),
    }}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": env.str("STATICFILES_BACKEND", default="whitenoise.storage.CompressedStaticFilesStorage")},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail: an SMTP URL in production; locally every message is kept as an .eml file.
MAIL_DIR = env.path("MAIL_DIR", default=BASE_DIR / "var" / "mail")
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "core.mailbox.EmlFileBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="UST Portal <no-reply@portal.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Every SMTP step (connect, each command) gives up after this many seconds; the attempt is then retried.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# The domain in each mail's Message-ID (one per mail, kept for every attempt); empty: DEFAULT_FROM_EMAIL's domain.
MAIL_MESSAGE_ID_DOMAIN = env.str("MAIL_MESSAGE_ID_DOMAIN", default="")

# Celery: Redis when REDIS_URL is set; otherwise tasks run in-process (no broker).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_SOCKET_TIMEOUT
# Publishing (core.broker: one try, no kombu retry) and the workers' connections: connect and read time out.
# A worker reads its BRPOP answers only once they have arrived (event loop), so the read timeout only ends a stall.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1, "interval_start": 0, "interval_step": 0.2,
    "socket_timeout": REDIS_SOCKET_TIMEOUT, "socket_connect_timeout": REDIS_SOCKET_TIMEOUT, "retry_on_timeout": False,
}
CELERY_TIMEZONE = TIME_ZONE
# Queues (README → Production): mail on its own, so a long staff import never delays a confirmation mail, and staff
# jobs on theirs, so a burst of mail never delays an import's start; the relays and scheduled batches on "default".
# One host runs one worker on all three (`make worker`); in production each host runs a worker for default,mail
# and one for staff (deploy/systemd/). A task whose name is not here goes to "default".
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "ustportal.tasks.send_mail_task": {"queue": "mail"},
    "staffdesk.tasks.run_staff_job_task": {"queue": "staff"},
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a worker takes one task per process at a time: no mail waits behind an import
# One active beat however many are started (ustportal/beat.py): a lease in Redis, renewed on every tick.
CELERY_BEAT_SCHEDULER = "ustportal.beat:SingleBeatScheduler"
CELERY_BEAT_SYNC_EVERY = 1  # each entry's last run is written as it is sent: a new leader does not send it again
BEAT_LOCK_KEY = env.str("BEAT_LOCK_KEY", default="ustportal:beat:leader")
BEAT_LOCK_SECONDS = env.float("BEAT_LOCK_SECONDS", default=30.0)
if BEAT_LOCK_SECONDS < 1:  # PX needs whole milliseconds > 0; below that every SET fails and no beat ever leads
    raise ImproperlyConfigured(f"BEAT_LOCK_SECONDS must be at least 1, not {BEAT_LOCK_SECONDS!r}.")

# Credit exchange: temporary student IDs (SPEC §3.1).
TEMP_ID_FORMAT = env.str("TEMP_ID_FORMAT", default="T{year}{seq:05d}")
TEMP_ID_ISSUE_TIME = env.str("TEMP_ID_ISSUE_TIME", default="18:00")  # daily batch, Asia/Seoul
# Issue 14: the basket and the waitlist. Freed seats go to the waitlist at these announced times (Asia/Seoul)
# while the term's registration or change window is open; an offer (the term's "offer" mode) can be claimed until
# the next release time.
BASKET_MAX_ITEMS = env.int("BASKET_MAX_ITEMS", default=20)
WAITLIST_MAX_PER_STUDENT = env.int("WAITLIST_MAX_PER_STUDENT", default=3)
WAITLIST_RELEASE_TIMES = env.list("WAITLIST_RELEASE_TIMES", default=["10:00", "17:00"])
TEMP_ID_UNCONFIRMED_EXPIRY_DAYS = env.int("TEMP_ID_UNCONFIRMED_EXPIRY_DAYS", default=7)
TEMP_ID_CONFIRM_LINK_MAX_AGE_HOURS = env.int("TEMP_ID_CONFIRM_LINK_MAX_AGE_HOURS", default=72)
TEMP_ID_RESEND_COOLDOWN_SECONDS = env.int("TEMP_ID_RESEND_COOLDOWN_SECONDS", default=300)
TEMP_ID_RESEND_MAX = env.int("TEMP_ID_RESEND_MAX", default=5)
# Result look-ups, duplicate-application answers and password-link requests (core.ratelimit.keyed_limit):
LOOKUP_RATE_LIMIT = env.int("LOOKUP_RATE_LIMIT", default=100)  # per address (a campus NAT shares one) per window
LOOKUP_RATE_LIMIT_PER_KEY_ADDRESS = env.int("LOOKUP_RATE_LIMIT_PER_KEY_ADDRESS", default=5)  # one student from one address
LOOKUP_RATE_WINDOW_SECONDS = env.int("LOOKUP_RATE_WINDOW_SECONDS", default=900)
LOOKUP_RATE_LIMIT_PER_KEY = env.int("LOOKUP_RATE_LIMIT_PER_KEY", default=20)  # one student from all addresses
LOOKUP_RATE_KEY_WINDOW_SECONDS = env.int("LOOKUP_RATE_KEY_WINDOW_SECONDS", default=86400)
PASSWORD_MAIL_COOLDOWN_SECONDS = env.int("PASSWORD_MAIL_COOLDOWN_SECONDS", default=300)
EMAIL_CHANGE_LINK_MAX_AGE_HOURS = env.int("EMAIL_CHANGE_LINK_MAX_AGE_HOURS", default=24)
MAIL_MAX_ATTEMPTS = env.int("MAIL_MAX_ATTEMPTS", default=5)
# A mail "sending" for longer than the task's hard time limit has lost its worker: the relay sends it again
# (same Message-ID), and staff may send it again from the admin (core.mail.stale_claim).
MAIL_STALE_CLAIM_SECONDS = env.int("MAIL_STALE_CLAIM_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60)
# Change of affiliation (SPEC §4): largest upload (certificate, study plan) in bytes.
AFFILIATION_UPLOAD_MAX_BYTES = env.int("AFFILIATION_UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)
# Lists to partner universities (SPEC §3.3).
PARTNER_LIST_VERIFY_DAYS = env.int("PARTNER_LIST_VERIFY_DAYS", default=14)  # whole days to answer after the send day
REGISTRAR_EMAIL = env.str("REGISTRAR_EMAIL", default="")  # shown on closed partner links if the host has no contact
PARTNER_LIST_SCHEDULE_LOOKBACK_DAYS = env.int("PARTNER_LIST_SCHEDULE_LOOKBACK_DAYS", default=14)
# Transcripts of records to partners (issue 15).
TRANSCRIPT_SEAL_TEXT = {  # the issuing office, printed under the title of every transcript
    "ko": env.str("TRANSCRIPT_SEAL_TEXT_KO", default="UST 학사관리팀"),
    "en": env.str("TRANSCRIPT_SEAL_TEXT_EN", default="UST Academic Affairs Team"),
}
TRANSCRIPT_FONT_PATH = env.str("TRANSCRIPT_FONT_PATH", default="")  # a Korean TrueType (glyf) font; empty: Debian's fonts-nanum
TRANSCRIPT_FONT_BOLD_PATH = env.str("TRANSCRIPT_FONT_BOLD_PATH", default="")
TRANSCRIPT_MAIL_PDFS_MAX = env.int("TRANSCRIPT_MAIL_PDFS_MAX", default=20)  # more PDFs than this go in one ZIP
# A batch's mail is split into parts whose attachments stay under this many bytes (10 MB servers, after encoding).
TRANSCRIPT_MAIL_BYTES_MAX = env.int("TRANSCRIPT_MAIL_BYTES_MAX", default=7 * 1024 * 1024)
# Letters the Hangul font lacks (ễ, ă, Ż, Ş…) are set in this font; empty: Debian's DejaVu Sans when installed.
TRANSCRIPT_FONT_FALLBACK_PATH = env.str("TRANSCRIPT_FONT_FALLBACK_PATH", default="")
TRANSCRIPT_FONT_FALLBACK_BOLD_PATH = env.str("TRANSCRIPT_FONT_FALLBACK_BOLD_PATH", default="")
TRANSCRIPT_SCHEDULE_LOOKBACK_DAYS = env.int("TRANSCRIPT_SCHEDULE_LOOKBACK_DAYS", default=14)  # grades made final since

# Personal data (PIPA). The consent text shows these numbers; the retention job destroys what has passed them.
PRIVACY_NOTICE_VERSION = env.str("PRIVACY_NOTICE_VERSION", default="2026-12")  # the consent text's version, stored with each consent
PERSONAL_DATA_RETENTION_YEARS = env.int("PERSONAL_DATA_RETENTION_YEARS", default=5)  # after the term or round ends
ACCESS_LOG_RETENTION_YEARS = env.int("ACCESS_LOG_RETENTION_YEARS", default=2)  # the safety-measure standard's minimum

_issue_hour, _issue_minute = (int(part) for part in TEMP_ID_ISSUE_TIME.split(":"))
CELERY_BEAT_SCHEDULE = {
    "issue-temporary-ids-daily": {
        "task": "creditexchange.tasks.issue_temporary_ids_task",
        "schedule": crontab(hour=_issue_hour, minute=_issue_minute),
    },
    "purge-unconfirmed-applications": {
        "task": "creditexchange.tasks.purge_unconfirmed_applications_task",
        "schedule": crontab(hour=3, minute=30),
    },
    "relay-queued-mail": {
        "task": "ustportal.tasks.relay_queued_mail_task",
        # Seconds; `make multihost` shortens it so that a cut-off worker's mail is re-sent, and one beat's runs
        # counted, within its few minutes (bench/multihost). Production keeps the minute.
        "schedule": env.float("MAIL_RELAY_INTERVAL_SECONDS", default=60.0),
    },
    "publish-affiliation-results": {
        "task": "affiliation.tasks.publish_due_results_task",
        "schedule": 300.0,
    },
    "check-affiliation-conditions": {
        "task": "affiliation.tasks.check_affiliation_conditions_task",
        "schedule": crontab(hour=6, minute=0),
    },
    "send-due-partner-lists": {
        "task": "creditexchange.tasks.send_due_partner_lists_task",
        "schedule": 600.0,
    },
    "relay-staff-jobs": {
        "task": "staffdesk.tasks.relay_staff_jobs_task",
        "schedule": 60.0,
    },
    "release-waitlists": {  # every 5 minutes: does each announced release once, a late one as soon as it can
        "task": "creditexchange.tasks.release_waitlists_task",
        "schedule": 300.0,
    },
    "issue-due-transcripts": {  # every 15 minutes: partners of terms whose grades became final, with no batch yet
        "task": "creditexchange.tasks.issue_due_transcripts_task",
        "schedule": 900.0,
    },
    "destroy-expired-personal-data": {
        "task": "ustportal.tasks.destroy_expired_personal_data_task",
        "schedule": crontab(hour=4, minute=15),
    },
}

# Second factor for staff (django-otp: TOTP app + one-time recovery codes; accounts/twofactor.py).
# A staff user with a confirmed device always verifies; with this on, every staff user must also enrol
# before using the admin or the staff pages. Students are never asked.
OTP_REQUIRED_FOR_STAFF = env.bool("OTP_REQUIRED_FOR_STAFF", default=not DEBUG)
OTP_TOTP_ISSUER = "UST Portal"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the device admins never show a secret key or recovery code
TWO_FACTOR_RECOVERY_CODES = 10
# Enrolling the app also takes a one-time code mailed to the address on record (accounts/enrolment.py).
TWO_FACTOR_ENROLMENT_CODE_MINUTES = 30
TWO_FACTOR_ENROLMENT_RESEND_SECONDS = 60
TWO_FACTOR_ENROLMENT_SENDS_PER_HOUR = 5
TWO_FACTOR_ENROLMENT_MAX_WRONG = 5

# --- Transport and browser security. The production values are in deploy/env.example, and
# `manage.py check --deploy --fail-level WARNING` is clean with them (tests/security/test_headers.py).
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients' requests).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# The load balancer probes /healthz (and /healthz/live, /healthz/ready) over plain HTTP, straight to gunicorn:
# no redirect for them.
SECURE_REDIRECT_EXEMPT = [r"^healthz(/live|/ready)?$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Not "no-referrer": Chromium then sends `Origin: null` on same-origin POSTs and CSRF checks fail.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features no page uses (core.security_headers sends them as Permissions-Policy).
PERMISSIONS_POLICY_DISABLED = [
    "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen", "geolocation",
    "gyroscope", "magnetometer", "microphone", "midi", "payment", "picture-in-picture", "publickey-credentials-get",
    "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
]
# No inline script or style anywhere: JS lives in static/js, CSS in static/css (tests/security scans the
# templates). data: images only for Bootstrap's CSS icons (select arrow, check marks, navbar toggler).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
# --- The partner API (issue 15, partnerapi/; README "Partner API") ------------------------------------------------
# Bearer keys only (no session, no browsable API: JSON in and out); one throttle per key on the shared cache.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["partnerapi.auth.BearerKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["partnerapi.auth.HasPartnerKey"],
    "DEFAULT_THROTTLE_CLASSES": ["partnerapi.auth.PerKeyThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "UST Portal partner API",
    "DESCRIPTION": "For partner universities: your students' applications, registrations, transcripts, and your "
                   "answers to the lists the registrar's office sends. A key is issued by the registrar's office.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",  # vendored by drf-spectacular-sidecar: the docs page works offline
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
PARTNER_API_RATE = env.str("PARTNER_API_RATE", default="600/hour")  # per key
PARTNER_API_PAGE_SIZE = env.int("PARTNER_API_PAGE_SIZE", default=200)  # rows per answer of a list endpoint
PARTNER_API_KEY_DAYS = env.int("PARTNER_API_KEY_DAYS", default=365)  # a new key's default lifetime
# Calls refused for their key (missing, unknown, expired, revoked) per address: past the limit in the window, 429.
PARTNER_API_REFUSED_LIMIT = env.int("PARTNER_API_REFUSED_LIMIT", default=30)
PARTNER_API_REFUSED_WINDOW_SECONDS = env.int("PARTNER_API_REFUSED_WINDOW_SECONDS", default=600)

NUM_PROXIES = env.int("NUM_PROXIES", default=0)  # reverse proxies in front of gunicorn, for client IPs

# Sign-in throttling (django-axes). A lock holds one user name from one address only, so someone elsewhere
# cannot keep a real student locked out; user names count case-insensitively (accounts.forms.login_key).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts made while locked are not recorded, so the wait the page states is the real one.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_USERNAME_CALLABLE = "accounts.forms.axes_username"
AXES_CLIENT_IP_CALLABLE = "accounts.views.axes_client_ip"  # ustportal.http.client_ip, governed by NUM_PROXIES
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"  # the login page again (portal or admin), status 429
# Sessions (accounts.middleware.SessionLifetimeMiddleware): idle timeouts per kind of user and a fixed lifetime
# from sign-in. A password change or reset ends every other session (Django's session auth hash).
SESSION_IDLE_MINUTES_STAFF = env.int("SESSION_IDLE_MINUTES_STAFF", default=30)
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=120)
SESSION_MAX_HOURS = env.int("SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)  # shared lab PCs
# Re-authentication (e-mail change): wrong current passwords per user before a pause.
REAUTH_FAILURE_LIMIT = env.int("REAUTH_FAILURE_LIMIT", default=5)
REAUTH_FAILURE_WINDOW_SECONDS = env.int("REAUTH_FAILURE_WINDOW_SECONDS", default=900)
# The "this wasn't me" link in the notice to the old address after an e-mail change.
EMAIL_CHANGE_REPORT_MAX_AGE_DAYS = env.int("EMAIL_CHANGE_REPORT_MAX_AGE_DAYS", default=14)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
