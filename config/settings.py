"""The one settings module. Everything that differs between machines comes from the environment."""

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=False)


def _secret_key():
    """A real key is required in production; in development a stable key is kept under var/."""
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    VAR_DIR.mkdir(exist_ok=True)
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public origin of the platform, used in links put into emails and unsubscribe headers.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "console.apps.ConsoleAdminConfig",  # django.contrib.admin with the console site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "consent",
    "cookies",
    "features",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Database down: 503 + Retry-After instead of 500 (consent/availability.py).
    "consent.availability.DatabaseUnavailableMiddleware",
    "consent.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "api.input_guard.ControlCharacterMiddleware",
    "api.middleware.ApiGuardMiddleware",
    # Sessions, sign-in, second factor and messages: not on the public API and the embed, which
    # use no cookies (config/middleware.py). CSRF stays on every path (the API's views are exempt).
    "config.middleware.PagesSessionMiddleware",
    # The console's pages in the staff member's language (console/language.py).
    "console.language.ConsoleLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "config.middleware.PagesAuthenticationMiddleware",
    "config.middleware.PagesOTPMiddleware",
    "config.middleware.PagesMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
# Off by default: the test is one more round trip on every request. Without it, a persistent
# connection the database closed (restart, failover) fails one request with 503 + Retry-After
# (consent/availability.py) and is dropped at the end of that request; on, it is replaced first.
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=False))
# The decision path's statements are prepared once per connection on PostgreSQL
# (consent/services/sql.py); off behind a connection pooler that cannot keep prepared statements.
LEDGER_PREPARED_STATEMENTS = env.bool("LEDGER_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_redis_url = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url}
        if _redis_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "consent"}
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pl", "Polski"),
    ("pt", "Português"),
    ("tr", "Türkçe"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
# Times in the console (subject pages, rights queue) are shown in this zone; the ledger stays in UTC.
CONSOLE_TIME_ZONE = env.str("CONSOLE_TIME_ZONE", default=TIME_ZONE)
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if env.bool("PLAIN_STATIC", default=DEBUG)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Without collectstatic (development, tests) whitenoise serves straight from the source folders.
WHITENOISE_USE_FINDERS = env.bool("PLAIN_STATIC", default=DEBUG)

# Security headers; TLS is terminated in front of the app in production.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
X_FRAME_OPTIONS = "DENY"
# HTTPS only: redirect plain HTTP and send HSTS (off by default; production sets them, see README).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container healthcheck calls over plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# The console and preference centre send a strict Content-Security-Policy (consent/csp.py).
CSP_REPORT_ONLY = env.bool("CSP_REPORT_ONLY", default=False)
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

# Email: the console in development, SMTP (EMAIL_URL) in production.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
for _k in ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "EMAIL_USE_SSL"):
    if _k in _email:
        globals()[_k] = _email[_k]
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="privacy@localhost")
# Days a double opt-in confirmation link works before the request expires (docs/channels.md).
DOUBLE_OPT_IN_DAYS = env.int("DOUBLE_OPT_IN_DAYS", default=7)

# Background work on the tasks API: a database queue drained by `manage.py db_worker`,
# or run at once in the request ("immediate", used by tests and the first-run script).
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[env.str("TASK_BACKEND", default="database")]
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "public": env.str("THROTTLE_PUBLIC", default="120/min"),
        "server": env.str("THROTTLE_SERVER", default="6000/min"),
        "cookie_report": env.str("THROTTLE_COOKIE_REPORT", default="10/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Consent platform API",
    "DESCRIPTION": "Banner configuration, consent decisions, subject state and the audit trail.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs UI is served from our own static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema_hooks.document_guard_responses",
    ],
}

# Webhooks may reach loopback, private and link-local addresses only when this is on (also off in DEBUG).
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False)
# Largest API request body accepted; larger ones get 413.
API_MAX_BODY_BYTES = 16 * 1024
# POST /api/v1/consents/check carries up to 10,000 subject references: its own, larger limit.
API_CHECK_MAX_BODY_BYTES = 1024 * 1024
# Behind trusted reverse proxies, the client address is the X-Forwarded-For entry that many places
# from the right (one proxy: the right-most entry); see consent/client_ip.py.
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
# How long each process keeps a site's purposes and vendors for the API (saves clear it at once locally).
SITE_CACHE_SECONDS = env.int("SITE_CACHE_SECONDS", default=5)
# Date of the last change to how GPC is honoured, published in /.well-known/gpc.json (RFC 3339 date).
GPC_LAST_UPDATE = env.str("GPC_LAST_UPDATE", default="2026-11-27")
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Visitor jurisdiction (see consent/jurisdiction.py): the header a trusted CDN or proxy sets with the
# country or CC-RR (e.g. CF-IPCountry), an optional separate region header, and an optional offline
# MaxMind-format IP database. Empty: not used (a header is only trusted when named here).
GEO_HEADER = env.str("GEO_HEADER", default="")
GEO_REGION_HEADER = env.str("GEO_REGION_HEADER", default="")
GEO_IP_DATABASE = env.str("GEO_IP_DATABASE", default="")
# How long a cross-domain consent token stays valid (seconds); see features/crossdomain.py.
CROSS_DOMAIN_TOKEN_SECONDS = env.int("CROSS_DOMAIN_TOKEN_SECONDS", default=600)

# Ledger proof: the Ed25519 seed (32 bytes, base64) that signs checkpoints and receipts. Unset, it is
# derived from SECRET_KEY (fine for development; set a key of its own in production). Public keys
# (base64url "x") of retired signing keys stay published so that what they signed still verifies.
LEDGER_SIGNING_KEY = env.str("LEDGER_SIGNING_KEY", default="")
LEDGER_PUBLIC_KEYS = env.list("LEDGER_PUBLIC_KEYS", default=[])
# Processes verify_ledger hashes with on PostgreSQL (0: one per CPU).
LEDGER_VERIFY_WORKERS = env.int("LEDGER_VERIFY_WORKERS", default=0)

OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Consent platform")
# Staff must present a TOTP code at sign-in; the first-run demo turns it off for convenience.
CONSOLE_REQUIRE_OTP = env.bool("CONSOLE_REQUIRE_OTP", default=not DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Subject references, signed tokens and emails are redacted from every record (consent/log_privacy.py).
    "filters": {"redact": {"()": "consent.log_privacy.RedactPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Request paths carry subject references (personal data): 4xx warnings are not logged.
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "ERROR"},
    },
}

# IAB TCF (docs/tcf.md): the CMP id IAB Europe assigned to the operator (0 = not registered: a
# TCF site then gets a system check warning, and strings with id 0 are not valid in production).
TCF_CMP_ID = env.int("TCF_CMP_ID", default=0)
TCF_CMP_VERSION = env.int("TCF_CMP_VERSION", default=1)
TCF_GVL_URL = env.str("TCF_GVL_URL", default="https://vendor-list.consensu.org/v3/")
