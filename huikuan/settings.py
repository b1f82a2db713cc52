"""Huikuan settings: one file, every deployment knob read from a HUIKUAN_* environment variable."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_ints(name: str, default: str) -> list[int]:
    return [int(item) for item in env_list(name, default)]


DEBUG = env_bool("HUIKUAN_DEBUG", False)
SECRET_KEY = env_str("HUIKUAN_SECRET_KEY") or (
    # Only good for a laptop demo; production must set HUIKUAN_SECRET_KEY (see docs/deploy.md).
    "insecure-demo-key-set-HUIKUAN_SECRET_KEY-in-production"
)
ALLOWED_HOSTS = env_list("HUIKUAN_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("HUIKUAN_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huikuan.core",
    "huikuan.org",
    "huikuan.audit",
    "huikuan.customers",
    "huikuan.contracts",
    "huikuan.ledger",
    "huikuan.dunning",
    "huikuan.risk",
    "huikuan.documents",
    "huikuan.notifications",
    "huikuan.imports",
    "huikuan.reports",
    "huikuan.api",
    "huikuan.demo",
    "huikuan.web",
    "django_htmx",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Chinese unless the user switched language (ignores the browser's Accept-Language).
    "huikuan.web.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "huikuan.urls"
WSGI_APPLICATION = "huikuan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "huikuan.web.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
# SQLite is the embedded default (a file under ./var/); production sets a postgres:// URL.
VAR_DIR = Path(env_str("HUIKUAN_VAR_DIR", str(BASE_DIR / "var")))
DATABASE_URL = env_str("HUIKUAN_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'huikuan.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # Writers queue for the lock instead of failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": env_str("HUIKUAN_TEST_DATABASE_NAME", "test_huikuan")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

# --- Language and time --------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static files: served by the app itself (intranets have no CDN) ----------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

# Dates read 2026-11-22 in both languages (huikuan/web/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["huikuan.web.formats"]

# --- Sign-in and sessions -----------------------------------------------------------------------
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
# A session ends after 30 idle minutes: the cookie lives 30 minutes and every request renews it.
SESSION_COOKIE_AGE = int(env_str("HUIKUAN_SESSION_IDLE_SECONDS", "1800"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("HUIKUAN_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Failed sign-ins per account (kept in the database, see huikuan/web/services.py): this many
# failures within the window lock the account for the lock time, even for the right password.
HUIKUAN_LOGIN_MAX_FAILURES = int(env_str("HUIKUAN_LOGIN_MAX_FAILURES", "5"))
HUIKUAN_LOGIN_WINDOW_MINUTES = int(env_str("HUIKUAN_LOGIN_WINDOW_MINUTES", "15"))
HUIKUAN_LOGIN_LOCK_MINUTES = int(env_str("HUIKUAN_LOGIN_LOCK_MINUTES", "15"))

# --- Domain settings ----------------------------------------------------------------------------
HUIKUAN_CURRENCY = env_str("HUIKUAN_CURRENCY", "CNY")
# Upper edges (days past due) of the aging buckets after "not due"; the last bucket is open-ended.
HUIKUAN_AGING_EDGES = env_ints("HUIKUAN_AGING_EDGES", "30,60,90,180,365")
# Five classes: days past due at which overdue money becomes 催收款 / 准呆账 / 呆账.
HUIKUAN_CLASS_OVERDUE_DAYS = int(env_str("HUIKUAN_CLASS_OVERDUE_DAYS", "1"))
HUIKUAN_CLASS_DOUBTFUL_DAYS = int(env_str("HUIKUAN_CLASS_DOUBTFUL_DAYS", "91"))
HUIKUAN_CLASS_BAD_DAYS = int(env_str("HUIKUAN_CLASS_BAD_DAYS", "366"))
# Expected-recovery curve: "max_days_past_due:percent" pairs, the last one open-ended ("*").
HUIKUAN_RECOVERY_CURVE = env_str("HUIKUAN_RECOVERY_CURVE", "0:100,60:98,100:80,180:50,365:30,*:10")
# The credit check's read is a session-level prepared statement on PostgreSQL (planning it costs
# more than running it). Switch it off behind a transaction-pooling PgBouncer, which does not keep
# a session's prepared statements.
HUIKUAN_CREDIT_CHECK_PREPARE = env_bool("HUIKUAN_CREDIT_CHECK_PREPARE", True)
# Contract checks flag a credit term (days to pay, or a day count in the terms) longer than this.
HUIKUAN_MAX_CREDIT_TERM_DAYS = int(env_str("HUIKUAN_MAX_CREDIT_TERM_DAYS", "90"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("HUIKUAN_LOG_LEVEL", "WARNING")},
}

# --- Messages -----------------------------------------------------------------------------------
# Outgoing email (huikuan/notifications/channels/email.py). With no host, nothing goes out: each
# email is written as an .eml file under VAR_DIR/mail-drop/ and counted as sent (the demo).
HUIKUAN_EMAIL_HOST = env_str("HUIKUAN_EMAIL_HOST")
HUIKUAN_EMAIL_PORT = int(env_str("HUIKUAN_EMAIL_PORT", "25"))
HUIKUAN_EMAIL_USER = env_str("HUIKUAN_EMAIL_USER")
HUIKUAN_EMAIL_PASSWORD = env_str("HUIKUAN_EMAIL_PASSWORD")
# none | starttls | ssl
HUIKUAN_EMAIL_SECURITY = env_str("HUIKUAN_EMAIL_SECURITY", "none").lower()
HUIKUAN_EMAIL_FROM = env_str("HUIKUAN_EMAIL_FROM", "回款 Huikuan <ar@localhost>")
HUIKUAN_EMAIL_TIMEOUT = float(env_str("HUIKUAN_EMAIL_TIMEOUT", "20"))
# Text messages: a dotted path to an SmsProvider class. The default writes each text to a file
# under VAR_DIR/sms-drop/; HttpJsonProvider posts to HUIKUAN_SMS_URL with HUIKUAN_SMS_TOKEN.
HUIKUAN_SMS_PROVIDER = env_str(
    "HUIKUAN_SMS_PROVIDER", "huikuan.notifications.channels.sms.DropProvider"
)
HUIKUAN_SMS_URL = env_str("HUIKUAN_SMS_URL")
HUIKUAN_SMS_TOKEN = env_str("HUIKUAN_SMS_TOKEN")
# WeCom / DingTalk group robots and the SMS HTTP provider: seconds to wait for an answer.
HUIKUAN_WEBHOOK_TIMEOUT = float(env_str("HUIKUAN_WEBHOOK_TIMEOUT", "10"))
# The outbox worker: how long a claimed message stays its own, how many tries before giving up,
# and the wait before the first retry (doubling each attempt, at most an hour).
HUIKUAN_OUTBOX_LEASE_SECONDS = float(env_str("HUIKUAN_OUTBOX_LEASE_SECONDS", "120"))
HUIKUAN_OUTBOX_MAX_ATTEMPTS = int(env_str("HUIKUAN_OUTBOX_MAX_ATTEMPTS", "8"))
HUIKUAN_OUTBOX_BACKOFF_SECONDS = int(env_str("HUIKUAN_OUTBOX_BACKOFF_SECONDS", "60"))
HUIKUAN_OUTBOX_BACKOFF_MAX_SECONDS = 3600
# The ladder's reminder messages go out by email on their own after the daily run
# (huikuan/notifications/reminders.py); off: reps send them by hand.
HUIKUAN_AUTO_REMINDERS = env_bool("HUIKUAN_AUTO_REMINDERS", True)

# --- Imports ------------------------------------------------------------------------------------
# The largest file and the most data rows an import accepts; bigger ones are refused before they
# are read (huikuan/imports/reading.py).
HUIKUAN_IMPORT_MAX_BYTES = int(env_str("HUIKUAN_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
HUIKUAN_IMPORT_MAX_ROWS = int(env_str("HUIKUAN_IMPORT_MAX_ROWS", "200000"))
