import os
from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import database_from_url, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent

DJANGO_ENV = os.environ.get("DJANGO_ENV", "development")
if DJANGO_ENV not in ("development", "production"):
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'development' or 'production'; got {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"

# Off unless asked for (`make run` asks, with DEBUG=1): a deployment that forgets DJANGO_ENV must not
# serve tracebacks. Production refuses it.
DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG cannot be on with DJANGO_ENV=production.")

# With DEBUG off, cookies are secure-only, HTTP redirects to HTTPS and HSTS is sent (see below), whatever
# DJANGO_ENV says. ALLOW_INSECURE_HTTP=1 relaxes that for a local copy served over plain HTTP without
# DEBUG (the benchmarks); production refuses it.
ALLOW_INSECURE_HTTP = env_bool("ALLOW_INSECURE_HTTP", False)
if PRODUCTION and ALLOW_INSECURE_HTTP:
    raise ImproperlyConfigured("ALLOW_INSECURE_HTTP cannot be on with DJANGO_ENV=production.")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for local development).")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "clinicians",
    "audit",
    "screening",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "clinicians.middleware.NoStoreMiddleware",  # no-store on every response to a signed-in user
    "django.contrib.messages.middleware.MessageMiddleware",
    "clinicians.middleware.IdleLogoutMiddleware",
    "clinicians.middleware.TwoFactorMiddleware",
    "screening.middleware.TabletMiddleware",  # a tablet handed to a client opens the client's pages only
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out login before the password is checked
    "clinicians.backends.EmailBackend",
]

ROOT_URLCONF = "config.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL", ""), BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "clinicians.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "screening:home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where `collectstatic` gathers files for production; development serves static/ directly.
STATIC_ROOT = BASE_DIR / "staticfiles" if PRODUCTION else None
# In development whitenoise serves straight from static/; production serves what collectstatic gathered.
WHITENOISE_USE_FINDERS = not PRODUCTION
# Files the app writes (clinic exports, filed reports): a local folder by default (FILES_ROOT); a
# network of app servers points "reports" at a shared bucket instead (README, "Scaling out").
FILES_ROOT = Path(os.environ.get("FILES_ROOT", BASE_DIR / "var" / "files"))
# FILES_BUCKET: an S3-compatible bucket instead, through django-storages (`pip install
# "django-storages[s3]"`, which brings boto3; not in requirements.txt). Credentials come the way boto3
# finds them (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the machine's role).
FILES_BUCKET = os.environ.get("FILES_BUCKET", "")
_REPORTS_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": FILES_ROOT}}
if FILES_BUCKET:
    _REPORTS_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": FILES_BUCKET,
        "endpoint_url": os.environ.get("FILES_BUCKET_ENDPOINT") or None,  # MinIO, Ceph, a non-AWS provider
        "region_name": os.environ.get("FILES_BUCKET_REGION") or None,
        "location": os.environ.get("FILES_BUCKET_PREFIX", ""),
        "default_acl": None,  # the bucket's own policy: keep it private
        "querystring_auth": True,
        "file_overwrite": False,
    }}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "reports": _REPORTS_STORAGE,
    # Hashed, compressed names need `collectstatic`, which production runs; development serves as is.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage" if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_TAGS = {40: "danger"}  # Bootstrap's name for messages.ERROR

# Sessions end when the browser closes, and after IDLE_TIMEOUT_MINUTES without a request.
IDLE_TIMEOUT_MINUTES = env_int("IDLE_TIMEOUT_MINUTES", 15)
SESSION_ENGINE = "clinicians.session_store"  # database sessions, read in one plain statement
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# The idle limit is enforced by IdleLogoutMiddleware (which can say why); this is only the outer bound.
SESSION_COOKIE_AGE = 8 * 60 * 60
# No SESSION_SAVE_EVERY_REQUEST: IdleLogoutMiddleware stamps last_activity on every authenticated
# request, which already saves the session (and renews its expiry).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# No inline script and no third-party origin: everything the pages use is served from static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # Bootstrap draws check marks and icons as data: SVG
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

if not DEBUG and not ALLOW_INSECURE_HTTP:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
if env_bool("BEHIND_TLS_PROXY", False):
    # Only when a proxy that sets this header is the sole way in.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Lockout after repeated failed logins (django-axes), with two limits (clinicians/lockout.py):
# per account, LOGIN_FAILURE_LIMIT failures from anywhere (rotating addresses buys no more guesses);
# per address, LOGIN_ADDRESS_FAILURE_LIMIT failures across any accounts (generous: a clinic's staff
# usually share one public address). Either pauses logins for LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 50)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one (a list of lists: the combination)
AXES_HANDLER = "clinicians.lockout.TwoLimitHandler"
AXES_CLIENT_IP_CALLABLE = "clinicians.actors.client_ip"  # REMOTE_ADDR, as in the audit trail
AXES_USERNAME_CALLABLE = "clinicians.backends.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "clinicians.backends.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # logins are in our own audit trail

# Two-factor (django-otp): the issuer shown in authenticator apps.
OTP_TOTP_ISSUER = "bondscreen"
RECOVERY_CODE_COUNT = 10

# Invitations and password reset links.
INVITATION_VALID_HOURS = 72
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
# Requests that send mail, per hour (clinicians/ratelimit.py): per target email address, per client address.
RATE_LIMITS = {
    "password_reset": {"per_email": 3, "per_address": 20},
    "invitation": {"per_email": 3, "per_address": 50},
    # A client's link: every click saves, so a few hundred an hour is one client answering; links that
    # do not open (used, expired, unknown) are counted per address, which stops guessing.
    "self_report_link": {"per_link": 600, "refused_per_address": 30},
}
# The clinic's tablet in self-report blanks its screen after this long without a touch (answers kept).
TABLET_BLANK_SECONDS = env_int("TABLET_BLANK_SECONDS", 120)
# A password reset looks the address up and sends its mail in a thread after the response, so the
# answer takes the same time whether or not there is an account (clinicians/passwords.py).
MAIL_IN_BACKGROUND = True

# The cache holds the rate-limit counters. A database table (made by `migrate`), not the per-process
# default, so every worker and app server counts together.
# Background jobs (exports, filed reports, clean-ups) through Django's tasks API (the django-tasks
# backport of Django 6's django.tasks). TASKS_BACKEND picks where jobs wait:
# - "db" (default): a table in the app's own database, run by `manage.py db_worker`. No other service.
# - "rq": Redis (REDIS_URL), run by `manage.py rqworker default`; for networks that outgrow the table.
# - "immediate": run inside the request (tests of job results only, never in production).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "db")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
_TASK_BACKENDS = {
    "db": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
    "rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]},
    "immediate": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be one of {', '.join(_TASK_BACKENDS)}; got {TASKS_BACKEND!r}")
TASKS = {"default": _TASK_BACKENDS[TASKS_BACKEND]}
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60 * 60}}
# An RQ worker runs django-tasks jobs only with their job class (plain RQ jobs cannot call a Task).
RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
# Clinic exports (reports/jobs.py). A running export that has sent no progress for this long is shown
# as failed ("the worker stopped") and can be asked for again; a worker sends progress every second.
EXPORT_STALE_SECONDS = env_int("EXPORT_STALE_SECONDS", 120)
# The scheduled clean-up (reports.tasks.purge_expired_exports) runs this often and deletes the files
# kept past their clinic's "keep exports for (days)".
EXPORT_PURGE_EVERY_MINUTES = env_int("EXPORT_PURGE_EVERY_MINUTES", 60)

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "bondscreen_cache"},
    # Parts of clinical pages, kept in each process's own memory and never in a shared service: what a
    # client's page shows does not leave the app server. Entries are keyed by the client's and the clinic's
    # revisions, which the database raises on every change a report shows (reports/results_page.py), so a
    # change is a new key (restart app servers after restoring a database from a backup). 10–30 KB each
    # (long notes and amendments): 30 MB at most per process.
    "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bondscreen-pages",
              "TIMEOUT": 24 * 3600, "OPTIONS": {"MAX_ENTRIES": 1000}},
}

# Email: printed to the console unless an SMTP server is configured.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "bondscreen <no-reply@localhost>")


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
