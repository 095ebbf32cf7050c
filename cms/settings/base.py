"""Settings shared by every environment.

Environment-specific modules (dev, test, production) import from here and
override what differs. Anything read from the environment is parsed here with
clear errors so a typo fails at start-up, not at the first request.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent


def env_int(name: str, default: int) -> int:
    """Read an integer from the environment; a malformed value stops start-up."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Read a comma-separated list from the environment."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


INSTALLED_APPS = [
    # The project's apps, bottom layer first (docs/architecture.md; pyproject.toml's layers).
    "core",
    "messaging",
    "home",
    "verification",
    "forms",
    "rights_requests",
    "rights_requests.fulfilment",
    "datatools",
    "incidents",
    "demo",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.api.v2",
    "wagtail",
    "wagtail_modeladmin",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_fsm_log",
    "import_export",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "corsheaders",
    "ninja",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cms.middleware.SensitivePostParametersMiddleware",
    "csp.middleware.CSPMiddleware",
    "cms.middleware.PreviewFramingMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads a body: oversized ones are a 413, unread (cms.request_size).
    "cms.request_size.RequestBodyLimitMiddleware",
    "cms.api.middleware.ApiRequestGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "cms.search_terms.SearchBoundsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Axes must be last: it turns a lockout signalled by the backend into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cms.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "home.context_processors.site_chrome",
            ],
        },
    },
]

WSGI_APPLICATION = "cms.wsgi.application"

# --- Database -----------------------------------------------------------------
# SQLite (WAL, busy timeout, IMMEDIATE transactions) unless DATABASE_URL is set.
SQLITE_PATH = os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))


def database_config() -> dict:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        try:
            config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
        except ValueError as exc:
            raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from exc
        config["CONN_HEALTH_CHECKS"] = True
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": SQLITE_PATH,
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA busy_timeout=20000;"
                "PRAGMA foreign_keys=ON;"
            ),
        },
    }


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, lockouts) ----------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
# Seconds to wait for Redis before treating it as down (a hung Redis must not hang workers).
REDIS_SOCKET_TIMEOUT = env_int("REDIS_SOCKET_TIMEOUT", 1)
if REDIS_URL:
    _redis_options = {"socket_connect_timeout": REDIS_SOCKET_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT}
    CACHES = {
        # Rebuildable values: a Redis outage turns reads into misses (cms.cache).
        "default": {
            "BACKEND": "cms.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "policyforms",
            "OPTIONS": _redis_options,
        },
        # Rate-limit counters: errors propagate, so the limits fail closed.
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "policyforms",
            "OPTIONS": _redis_options,
        },
    }
    RATE_LIMIT_CACHE_ALIAS = "ratelimit"
else:
    # Per-process: rate limits only hold within one process. Production requires Redis.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "policyforms",
            # The default 300 entries would cull rate-limit counters (and the policy cache)
            # as soon as a few dozen messages were counted.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# --- Background tasks ------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --- SMS verification and download links (forms.sms) ---------------------------------
# Codes: validity, wrong attempts before a lock; the verification token's lifetime.
SMS_CODE_TTL = env_int("SMS_CODE_TTL", 300)
SMS_CODE_MAX_ATTEMPTS = env_int("SMS_CODE_MAX_ATTEMPTS", 5)
SMS_TOKEN_TTL = env_int("SMS_TOKEN_TTL", 900)
# Key for the HMAC of codes at rest; empty means SUBJECT_HASH_KEY (used under its own context).
SMS_CODE_HMAC_KEY = os.environ.get("SMS_CODE_HMAC_KEY", "")
# Limits on every SMS and e-mail to a visitor-given number or address (forms.sms.gate;
# counted in the cache, fail closed when it is down; docs/rate-limits.md has the table).
# Per recipient and purpose: one message per SMS_RESEND_INTERVAL seconds, then per hour/day.
SMS_RESEND_INTERVAL = env_int("SMS_RESEND_INTERVAL", 60)
MESSAGE_LIMIT_PER_PURPOSE_HOUR = env_int("MESSAGE_LIMIT_PER_PURPOSE_HOUR", 5)
MESSAGE_LIMIT_PER_PURPOSE_DAY = env_int("MESSAGE_LIMIT_PER_PURPOSE_DAY", 10)
# Per recipient, all visitor purposes together.
MESSAGE_LIMIT_PER_RECIPIENT_HOUR = env_int("MESSAGE_LIMIT_PER_RECIPIENT_HOUR", 10)
MESSAGE_LIMIT_PER_RECIPIENT_DAY = env_int("MESSAGE_LIMIT_PER_RECIPIENT_DAY", 20)
# Per client: to one recipient, in all, and per network (IPv4 /24, IPv6 /48).
MESSAGE_LIMIT_PER_CLIENT_AND_RECIPIENT_HOUR = env_int("MESSAGE_LIMIT_PER_CLIENT_AND_RECIPIENT_HOUR", 3)
MESSAGE_LIMIT_PER_IP_HOUR = env_int("MESSAGE_LIMIT_PER_IP_HOUR", 20)
MESSAGE_LIMIT_PER_SUBNET_HOUR = env_int("MESSAGE_LIMIT_PER_SUBNET_HOUR", 60)
# Each channel, all visitors together (a toll-fraud breaker and a daily budget).
MESSAGE_LIMIT_GLOBAL_PER_MINUTE = env_int("MESSAGE_LIMIT_GLOBAL_PER_MINUTE", 100)
MESSAGE_LIMIT_GLOBAL_PER_DAY = env_int("MESSAGE_LIMIT_GLOBAL_PER_DAY", 5000)
# Past this many visitor messages to one recipient within the hour, a code needs a proof-of-work.
MESSAGE_POW_THRESHOLD = env_int("MESSAGE_POW_THRESHOLD", 3)
# Service notices (request progress, access packages, incidents): their own budget per recipient.
MESSAGE_NOTICE_LIMIT_PER_RECIPIENT_HOUR = env_int("MESSAGE_NOTICE_LIMIT_PER_RECIPIENT_HOUR", 10)
MESSAGE_NOTICE_LIMIT_PER_RECIPIENT_DAY = env_int("MESSAGE_NOTICE_LIMIT_PER_RECIPIENT_DAY", 30)
# Proof-of-work (ALTCHA PoW v2): cost per attempt, lifetime; the key defaults to one derived
# from SECRET_KEY.
POW_ALGORITHM = os.environ.get("POW_ALGORITHM", "PBKDF2/SHA-256")
POW_COST = env_int("POW_COST", 5000)
POW_TTL = env_int("POW_TTL", 600)
POW_HMAC_KEY = os.environ.get("POW_HMAC_KEY", "")
POW_KEY_PREFIX = os.environ.get("POW_KEY_PREFIX", "00")
# Verification limits: attempts on one challenge (any outcome) and from one IP per hour.
SMS_VERIFY_LIMIT_PER_CHALLENGE = env_int("SMS_VERIFY_LIMIT_PER_CHALLENGE", 10)
SMS_VERIFY_LIMIT_PER_IP_HOUR = env_int("SMS_VERIFY_LIMIT_PER_IP_HOUR", 60)
# HTTP gateway (forms.sms.backends.gateway): signed JSON POST, retried on timeouts and 5xx.
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_GATEWAY_KEY_ID = os.environ.get("SMS_GATEWAY_KEY_ID", "")
SMS_GATEWAY_SECRET = os.environ.get("SMS_GATEWAY_SECRET", "")
SMS_GATEWAY_TEMPLATE_ID = os.environ.get("SMS_GATEWAY_TEMPLATE_ID", "")
SMS_GATEWAY_TIMEOUT = env_int("SMS_GATEWAY_TIMEOUT", 5)
SMS_GATEWAY_RETRIES = env_int("SMS_GATEWAY_RETRIES", 2)
SMS_GATEWAY_BACKOFF = float(os.environ.get("SMS_GATEWAY_BACKOFF", "0.5"))
# The file backend (demos, browser tests) writes one file per message here.
SMS_FILE_PATH = os.environ.get("SMS_FILE_PATH", str(BASE_DIR / "var" / "sms"))
# Mobile numbers accepted, by region (phonenumbers' region codes).
MOBILE_ALLOWED_REGIONS = {"CN"}
# The cache alias holding the rate-limit counters (shared by every process).
RATE_LIMIT_CACHE_ALIAS = os.environ.get("RATE_LIMIT_CACHE_ALIAS", "default")
# E-mailed download links (purpose "download") stay valid this many days.
DOWNLOAD_LINK_TTL_DAYS = env_int("DOWNLOAD_LINK_TTL_DAYS", 7)
# Access packages (the copy a visitor downloads after a request) stay downloadable this many days.
ACCESS_PACKAGE_TTL_DAYS = env_int("ACCESS_PACKAGE_TTL_DAYS", 7)
# "My data": how long a verified mobile may see, copy, correct and delete its data.
SELF_SERVICE_GRANT_SECONDS = env_int("SELF_SERVICE_GRANT_SECONDS", 15 * 60)
# manage.py purge_sms_challenges deletes challenges older than this.
SMS_CHALLENGE_RETENTION_DAYS = env_int("SMS_CHALLENGE_RETENTION_DAYS", 30)
# Failed SMS/e-mail deliveries are queued again (back-off doubling from the base) this many times.
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 5)
DELIVERY_RETRY_BASE_SECONDS = env_int("DELIVERY_RETRY_BASE_SECONDS", 60)

# --- Auth and lockout ----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "wagtailadmin_login"

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
# A timedelta: a bare int would mean hours.
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
# Lock the (username, IP) pair: username-only lets anyone lock staff out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
# Wagtail-only site: with True, Axes would guard nothing.
AXES_ONLY_ADMIN_SITE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Client IP: number of trusted reverse proxies in front of the app (0 = use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
# POST parameters Django never shows in error reports (cms.middleware).
SENSITIVE_POST_PARAMETERS = (
    "password",
    "mobile",
    "sms_code",
    "code",
    "id_card_number",
    "email",
    "verification_token",
    "token",
    "challenge_id",
)
AXES_SENSITIVE_PARAMETERS = ["password", "code", "mobile", "id_card_number"]

# --- Internationalization ----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
# The project's catalogue first; then Simplified Chinese for the Wagtail admin strings that
# Wagtail's own catalogue has not caught up with (kept apart so makemessages never drops them).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "cms" / "wagtail_catalogue"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
STATIC_URL = "/static/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
# Files that must never be served publicly (exports, imports, rights-request evidence).
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / "var" / "private"))
# The append-only ledger of erased subjects; empty means erasure-ledger.jsonl in PRIVATE_MEDIA_ROOT.
ERASURE_LEDGER_PATH = os.environ.get("ERASURE_LEDGER_PATH", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Request size ----------------------------------------------------------------------------
# Bodies over the limit of their path are answered 413 before they are read; a chunked body
# is read up to the limit and no further (cms.request_size). Public pages and forms get
# REQUEST_MAX_BODY_BYTES, the admin ADMIN_MAX_BODY_BYTES, the JSON API API_MAX_BODY_BYTES;
# admin uploads (documents, images, imports, evidence) and the public rights-request page get
# their file limit plus REQUEST_UPLOAD_MARGIN_BYTES. REQUEST_BODY_LIMITS ({path prefix: bytes})
# adds or overrides prefixes. Keep the proxy's client_max_body_size at or above the largest.
REQUEST_MAX_BODY_BYTES = env_int("REQUEST_MAX_BODY_BYTES", 1024 * 1024)
ADMIN_MAX_BODY_BYTES = env_int("ADMIN_MAX_BODY_BYTES", 3 * 1024 * 1024)
REQUEST_UPLOAD_MARGIN_BYTES = env_int("REQUEST_UPLOAD_MARGIN_BYTES", 1024 * 1024)
REQUEST_BODY_LIMITS: dict[str, int] = {}
# The largest spreadsheet read at all; None means the larger of DATATOOLS_IMPORT_MAX_BYTES and
# the document limit (the import itself refuses, with its own message, what is over its limit).
DATATOOLS_IMPORT_MAX_UPLOAD_BYTES = None
# Django's own limits while a view parses a body (a 413 too, see cms.request_size.bad_request):
# all fields but files together, the size above which an upload goes to a temporary file,
# the number of files in one request.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("DATA_UPLOAD_MAX_NUMBER_FILES", 20)

# --- Wagtail ---------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Policy Forms"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
# Where visitors reach the site (links in SMS and e-mails); empty: the default Wagtail Site's root URL.
SITE_URL = os.environ.get("SITE_URL", "")
# The signature 【…】 SMS providers require in every message; empty: the company name.
SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "")
# Wagtail's database backend with bounded queries (cms.search_backend).
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "cms.search_backend"}}
# Every search box and search API: longer searches, or with control characters, are a 400
# (cms.search_terms); the backend cuts whatever reaches it some other way to the same bounds.
SEARCH_MAX_LENGTH = env_int("SEARCH_MAX_LENGTH", 200)
SEARCH_MAX_TERMS = env_int("SEARCH_MAX_TERMS", 20)
# Query parameters read as a search, and the paths where they are checked.
SEARCH_PARAMETERS = ("q", "search", "query", "term")
SEARCH_GUARDED_PATH_PREFIXES = ("/admin/", "/api/")
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx", "zip"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
# Shared-password private pages bypass the login lockout and keep plaintext passwords.
WAGTAIL_PRIVATE_PAGE_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS = {"SHARED_PASSWORD": False}
# Documents are always streamed by /documents/, which checks collection view restrictions
# (campaign downloads are private); never a redirect to, or a link at, the storage URL.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAIL_I18N_ENABLED = False
# No call home from the admin: machines here reach only the package registries, and the
# dashboard would otherwise show an English upgrade notice.
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Autosave an existing page after ten quiet seconds, not after every half-second pause
# (Wagtail's default), so a marketer still composing a row is not validated mid-word.
WAGTAIL_AUTOSAVE_INTERVAL = 10_000
# Campaign pages go live through the "Privacy review" workflow (forms.workflow): it publishes
# what it approved, and an edit made while a page is in review needs approving again.
WAGTAIL_FINISH_WORKFLOW_ACTION = "forms.workflow_finish.publish_workflow_state"
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
WAGTAILFORMS_HELP_TEXT_ALLOW_HTML = False

# --- Security defaults (production tightens further) ----------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Content Security Policy (django-csp) on the public site ----------------------------------
# The Wagtail admin (inline scripts and styles) and the API's Swagger page are left out.
# The one hash admits the inline style attribute of the rights-request status page.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/", "/api/docs"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-hashes'", "'sha256-CSr5A7IS9dRw3Uo7TFEY+Os1KKjUjndCqZWzkW4uTaY='"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'", *env_list("CSP_FRAME_SRC")],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- CORS for the headless API --------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["Retry-After", "Content-Language"]

# --- Headless JSON API (/api/) ----------------------------------------------------------------
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 64 * 1024)
# Per client IP, "N/s|min|hour|day"; messages have their own limits (MESSAGE_LIMIT_*).
API_RATES = {
    "submissions": os.environ.get("API_RATE_SUBMISSIONS", "30/min"),
    "rights_requests": os.environ.get("API_RATE_RIGHTS_REQUESTS", "10/hour"),
    "rights_request_status": os.environ.get("API_RATE_RIGHTS_REQUEST_STATUS", "60/min"),
}

# --- Personal data protection ----------------------------------------------------------------
# FIELD_ENCRYPTION_KEYS: comma-separated Fernet keys, newest first (MultiFernet rotation).
# SUBJECT_HASH_KEY: secret for keyed hashes (HMAC-SHA256) of mobiles and e-mails.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
SUBJECT_HASH_KEY = os.environ.get("SUBJECT_HASH_KEY", "")

# --- Product rules ------------------------------------------------------------------------------
RIGHTS_REQUEST_DUE_DAYS = env_int("RIGHTS_REQUEST_DUE_DAYS", 15)
# One extension per request, told to the requester with its reason.
RIGHTS_REQUEST_EXTENSION_DAYS = env_int("RIGHTS_REQUEST_EXTENSION_DAYS", 15)
# Web requests whose mobile was never confirmed are closed after this many days.
RIGHTS_REQUEST_UNVERIFIED_DAYS = env_int("RIGHTS_REQUEST_UNVERIFIED_DAYS", 7)
# How long the link that proves a requester's e-mail address stays valid.
RIGHTS_REQUEST_EMAIL_CONFIRM_DAYS = env_int("RIGHTS_REQUEST_EMAIL_CONFIRM_DAYS", 7)
# remind_due_requests warns staff this many days before the due date.
RIGHTS_REQUEST_REMIND_DAYS = env_int("RIGHTS_REQUEST_REMIND_DAYS", 3)
# Requests a visitor (page or API) may file per client IP and hour.
RIGHTS_REQUEST_LIMIT_PER_IP_HOUR = env_int("RIGHTS_REQUEST_LIMIT_PER_IP_HOUR", 10)
BACKUP_RETENTION_DAYS = env_int("BACKUP_RETENTION_DAYS", 30)

# --- Staff exports and imports (forms.datatools) ----------------------------------------------
# django-import-export permission codes: "<code>_<model>" (export_campaignsubmission …).
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
# Exports with more rows than this run as a background task and notify when ready.
DATATOOLS_SYNC_EXPORT_MAX_ROWS = env_int("DATATOOLS_SYNC_EXPORT_MAX_ROWS", 2000)
DATATOOLS_EXPORT_CHUNK_SIZE = env_int("DATATOOLS_EXPORT_CHUNK_SIZE", 2000)
# Uploaded spreadsheets (sign-up sheets, Wagtail's redirect import), checked by
# forms.datatools.sheets: the largest upload, then for CSV and XLSX the most data rows below
# the headings, columns, filled cells and characters in one cell (also the CSV field size
# limit); for XLSX, before openpyxl opens it, the most bytes the archive may declare
# unpacked (each part and all together), the best compression ratio a part of at least
# 1 MB may have, and the most files in the archive. A file crossing any of them is refused
# with a message naming the limit and what was found; reading stops at the first one.
DATATOOLS_IMPORT_MAX_BYTES = env_int("DATATOOLS_IMPORT_MAX_BYTES", 2 * 1024 * 1024)
DATATOOLS_IMPORT_MAX_ROWS = env_int("DATATOOLS_IMPORT_MAX_ROWS", 5000)
DATATOOLS_IMPORT_MAX_COLUMNS = env_int("DATATOOLS_IMPORT_MAX_COLUMNS", 50)
DATATOOLS_IMPORT_MAX_CELLS = env_int("DATATOOLS_IMPORT_MAX_CELLS", 150_000)
DATATOOLS_IMPORT_MAX_CELL_CHARS = env_int("DATATOOLS_IMPORT_MAX_CELL_CHARS", 10_000)
DATATOOLS_IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("DATATOOLS_IMPORT_MAX_UNCOMPRESSED_BYTES", 20 * 1024 * 1024)
DATATOOLS_IMPORT_MAX_COMPRESSION_RATIO = env_int("DATATOOLS_IMPORT_MAX_COMPRESSION_RATIO", 100)
DATATOOLS_IMPORT_MAX_ARCHIVE_MEMBERS = env_int("DATATOOLS_IMPORT_MAX_ARCHIVE_MEMBERS", 100)
# Export files not downloaded and uploads not confirmed are removed after this many hours.
DATATOOLS_FILE_KEEP_HOURS = env_int("DATATOOLS_FILE_KEEP_HOURS", 24)
SITE_COOKIE_CONSENT_NAME = "pf_cookie_consent"

DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@example.com")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}
