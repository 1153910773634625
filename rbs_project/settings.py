"""Settings, read from the environment (django-environ).

The defaults just run on one machine: SQLite and the in-memory channel layer.
Production sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS and the rest (docs/deploy.md).
"""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path
from typing import Any

import environ

from rbs_project.layers import channel_layers
from rbs_project.sizes import parse_size

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
_ENV_FILE = Path(os.environ.get("RBS_ENV_FILE", BASE_DIR / ".env"))
if _ENV_FILE.exists():
    environ.Env.read_env(_ENV_FILE)

DEBUG = env.bool("DEBUG", default=True)
if DEBUG:
    # A development key only; with DEBUG off the key must come from the environment.
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-deploy")
else:
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if not DEBUG:
    # Production runs behind a TLS proxy that sets X-Forwarded-Proto (docs/deploy.md).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers and Prometheus reach these over the internal network.
    SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ready$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Preloading is a commitment to the browsers' list: opt in.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    # First, so that runserver is Daphne's.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "sessions",
    "streaming",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failures for one username from
# one address, that pair is locked out for the cool-off time. Locking the pair, not the
# username alone, stops guessing without letting a stranger lock a user out everywhere.
# An address is locked after AXES_ADDRESS_FAILURE_LIMIT failures over any usernames, so
# one password tried on many usernames (spraying) is slowed too (sessions/throttle.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15.0) / 60  # hours
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "sessions.throttle.PairAndAddressHandler"
AXES_RESET_ON_SUCCESS = True
# JSON for the API, the page registration/locked_out.html otherwise.
AXES_LOCKOUT_CALLABLE = "sessions.throttle.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Daphne's --proxy-headers already puts the client's address in REMOTE_ADDR.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_VERBOSE = False

ROOT_URLCONF = "rbs_project.urls"
ASGI_APPLICATION = "rbs_project.asgi.application"

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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Hosts write records from the event loop while views read: wait, don't fail. A
    # write transaction takes the lock when it begins, so admission (count, then insert)
    # is one step for every process (sessions/supervisor.py).
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")

REDIS_URL = env.str("REDIS_URL", default="")
CHANNEL_LAYERS = channel_layers(
    REDIS_URL,
    # Channels' own default: a host flooded by a viewer answers "busy" rather than build
    # a backlog that delays everyone's leave, Stop and control messages behind it.
    capacity=env.int("RBS_LAYER_CAPACITY", default=100),
    expiry=env.int("RBS_LAYER_EXPIRY_SECONDS", default=60),
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "session_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "rbs_project.storage.StaticStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Daphne serves no static files itself; WhiteNoise does, from the app folders in DEBUG.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"aioice": {"level": "WARNING"}, "aiortc": {"level": "WARNING"}},
}

# Chromium on a closed network, as root, without a GPU: the flags it needs there
# (no sandbox as root, no GPU, no background traffic that a closed network refuses).
_CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # Chrome's own traffic, which would leave through the session's proxy unasked: the
    # network-time probe, optimization hints and model downloads, Cast discovery,
    # translation; pings on link clicks; domain reliability reports. The managed policies
    # (streaming/chrome_policies.json) switch off the rest they can (search engine
    # probes, suggestions, Safe Browsing, metrics, component updates). And the address
    # bar's two WebUI popups, which nobody sees here, in a renderer of their own (an idle
    # session's Chrome measured 428 MiB PSS with them, 377 without). A --disable-features
    # in RBS_CHROMIUM_EXTRA_FLAGS may replace this list (and that setting splits on commas).
    "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,"
    "OptimizationGuideModelExecution,OptimizationGuideOnDeviceModel,MediaRouter,Translate,"
    "WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup",
    "--no-pings",
    "--disable-domain-reliability",
    "--disable-default-apps",
]

RBS: dict[str, Any] = {
    "HOST_NAME": env.str("RBS_HOST_NAME", default=socket.gethostname()),
    # The machine this process runs on: its processes share RBS_MAX_SESSIONS_PER_HOST.
    "MACHINE_NAME": env.str("RBS_MACHINE_NAME", default=socket.gethostname()),
    # A server process renews its lease four times per lease; one that has not for this
    # long is taken as gone and its sessions fail (sessions/leases.py).
    "LEASE_SECONDS": env.float("RBS_LEASE_SECONDS", default=10.0),
    # A session's host tells its viewers it is there this often; a viewer socket that
    # misses 4 in a row is taken off the list, a viewer page that hears nothing reconnects.
    "VIEWER_HEARTBEAT_SECONDS": env.float("RBS_VIEWER_HEARTBEAT_SECONDS", default=5.0),
    # The remote page's size until its controlling viewer sends the size of its video
    # area, which is held to the bounds below (WIDTHxHEIGHT, CSS pixels).
    "VIEWPORT_WIDTH": env.int("RBS_VIEWPORT_WIDTH", default=1280),
    "VIEWPORT_HEIGHT": env.int("RBS_VIEWPORT_HEIGHT", default=720),
    "VIEWPORT_MIN": parse_size(env.str("RBS_VIEWPORT_MIN", default="640x360"), "RBS_VIEWPORT_MIN"),
    "VIEWPORT_MAX": parse_size(
        env.str("RBS_VIEWPORT_MAX", default="1920x1080"), "RBS_VIEWPORT_MAX"
    ),
    "CHROMIUM_BINARY": env.str("RBS_CHROMIUM_BINARY", default="/usr/bin/chromium"),
    "CHROMEDRIVER_BINARY": env.str("RBS_CHROMEDRIVER_BINARY", default="/usr/bin/chromedriver"),
    "CHROMIUM_FLAGS": _CHROMIUM_FLAGS + env.list("RBS_CHROMIUM_EXTRA_FLAGS", default=[]),
    # The most JavaScript heap one page's renderer may use: a page allocating without end
    # crashes its own tab (the viewer offers a reload) instead of the machine's memory.
    "PAGE_HEAP_MB": env.int("RBS_PAGE_HEAP_MB", default=1024),
    # Each session's Chrome runs in a control group of its own where the machine allows
    # (root, or a delegated cgroup): the kernel holds it to this much memory (the page
    # past it crashes, not the machine), and, when set, this CPU weight for the whole
    # Chrome (100: as much as one server process). Off by default: a whole Chrome
    # weighted as one process was measurably slower beside a busy client and server.
    "SESSION_MEMORY_MB": env.int("RBS_SESSION_MEMORY_MB", default=3072),
    "SESSION_CPU_WEIGHT": env.int("RBS_SESSION_CPU_WEIGHT", default=0),
    # And at most this many cores for one session's Chrome: half the machine (at least
    # one), so a page spinning every thread it can start (measured: 1.75 of 2 cores)
    # always leaves the server and the other sessions the rest.
    "SESSION_CPU_CORES": env.float(
        "RBS_SESSION_CPU_CORES", default=max(1.0, (os.cpu_count() or 2) / 2)
    ),
    "PROFILE_ROOT": env.str("RBS_PROFILE_ROOT", default=""),
    # Every frame: with everyNthFrame 2 a change that paints one compositor frame is
    # skipped until the next change (measured: every second click never showed).
    "SCREENCAST_QUALITY": env.int("RBS_SCREENCAST_QUALITY", default=80),
    "SCREENCAST_EVERY_NTH_FRAME": env.int("RBS_SCREENCAST_EVERY_NTH_FRAME", default=1),
    "HEARTBEAT_SECONDS": env.float("RBS_HEARTBEAT_SECONDS", default=1.0),
    # 30 keeps an animated session near one core here; 60 when the machine has room.
    "MAX_FPS": env.float("RBS_MAX_FPS", default=30.0),
    "VP8_BITRATE": env.int("RBS_VP8_BITRATE", default=4_000_000),
    "H264_BITRATE": env.int("RBS_H264_BITRATE", default=4_000_000),
    "ENCODER_THREADS": env.int("RBS_ENCODER_THREADS", default=1),
    "X264_PRESET": env.str("RBS_X264_PRESET", default="superfast"),
    "VP8_SPEED": env.int("RBS_VP8_SPEED", default=12),
    # [{"urls": ["stun:..."]}, {"urls": ["turn:..."], "username": ..., "credential": ...}]
    "ICE_SERVERS": env.json("RBS_ICE_SERVERS", default=[]),
    # TURN with credentials the server issues (coturn use-auth-secret; docs/deploy.md):
    # ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"].
    "TURN_URLS": env.list("RBS_TURN_URLS", default=[]),
    "TURN_SECRET": env.str("RBS_TURN_SECRET", default=""),
    # Must outlast a session: TURN refuses to refresh an allocation once it expires.
    "TURN_TTL_SECONDS": env.int(
        "RBS_TURN_TTL_SECONDS",
        default=int(env.float("RBS_MAX_LIFETIME_SECONDS", default=4 * 3600)) + 3600,
    ),
    # Local addresses offered to viewers (empty: every interface but loopback).
    "ICE_HOST_ADDRESSES": env.list("RBS_ICE_HOST_ADDRESSES", default=[]),
    # Viewer candidates accepted, as networks (empty: any).
    "ICE_REMOTE_NETWORKS": env.list("RBS_ICE_REMOTE_NETWORKS", default=[]),
    # Where video comes from, as module.Class: the benchmark runs its baseline
    # (bench.baseline.SeedSource: screenshots, default aiortc) through this.
    "VIDEO_SOURCE": env.str("RBS_VIDEO_SOURCE", default="streaming.sources.ScreencastSource"),
    # Egress: what remote browsers may reach (streaming/egress). Public http(s) only unless
    # listed here: networks (10.1.0.0/16), addresses, host names, or *.example.org.
    "EGRESS_ALLOW": env.list("RBS_EGRESS_ALLOW", default=[]),
    "EGRESS_DENY": env.list("RBS_EGRESS_DENY", default=[]),
    # Names the product resolves itself, before DNS: name=address;name=address.
    "EGRESS_HOSTS": env.dict("RBS_EGRESS_HOSTS", default={}),
    # This server's public addresses when NAT hides them from its interfaces (blocked).
    "EGRESS_SERVER_ADDRESSES": env.list("RBS_EGRESS_SERVER_ADDRESSES", default=[]),
    # Prometheus scrapes /metrics with "Authorization: Bearer <token>"; staff may look too.
    "METRICS_TOKEN": env.str("RBS_METRICS_TOKEN", default=""),
    # Limits. Sessions per host: 0 derives it from CPUs and memory (sessions/limits.py).
    "MAX_SESSIONS_PER_USER": env.int("RBS_MAX_SESSIONS_PER_USER", default=3),
    "MAX_SESSIONS_PER_HOST": env.int("RBS_MAX_SESSIONS_PER_HOST", default=0),
    "MAX_LIFETIME_SECONDS": env.float("RBS_MAX_LIFETIME_SECONDS", default=4 * 3600),
    # No viewer and no input for this long ends a session.
    "IDLE_TIMEOUT_SECONDS": env.float("RBS_IDLE_TIMEOUT_SECONDS", default=15 * 60),
    # A page dialog nobody answers is closed after this long (alerts accepted, questions
    # cancelled), so a page cannot hold its session.
    "DIALOG_TIMEOUT_SECONDS": env.float("RBS_DIALOG_TIMEOUT_SECONDS", default=120),
    # Downloads land in the session's own directory (deleted with it), up to this much in
    # all; RBS_DOWNLOADS=false refuses every download.
    "DOWNLOADS": env.bool("RBS_DOWNLOADS", default=True),
    "DOWNLOAD_MAX_BYTES": env.int("RBS_DOWNLOAD_MAX_BYTES", default=200 * 1024 * 1024),
    # Files users give a page's file field: kept per session under this directory, on the
    # machine that hosts the session, and deleted with it; at most this much at once.
    "UPLOAD_ROOT": env.str(
        "RBS_UPLOAD_ROOT", default=str(Path(tempfile.gettempdir()) / "rbs-uploads")
    ),
    "UPLOAD_MAX_BYTES": env.int("RBS_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024),
    # Tabs one session may have open; a page opening one more is refused with a notice.
    "MAX_TABS": env.int("RBS_MAX_TABS", default=8),
    # Words typed in the URL bar become a search here ("{query}" is replaced). Off by
    # default: the egress policy may well refuse any search engine.
    "SEARCH_URL": env.str("RBS_SEARCH_URL", default=""),
    # Chromes started ahead, each used once by one session.
    "WARM_POOL_SIZE": env.int("RBS_WARM_POOL_SIZE", default=0),
    # An open viewer socket checks this often that its user is still signed in, active,
    # and (watching another user's session) still staff; if not, it is closed.
    "AUTH_RECHECK_SECONDS": env.float("RBS_AUTH_RECHECK_SECONDS", default=3.0),
    # Messages a second one viewer's WebSocket may send (a burst of twice that).
    "INPUT_RATE": env.float("RBS_INPUT_RATE", default=200.0),
    # How often a live session refreshes its record (counters, thumbnail).
    "RECORD_INTERVAL_SECONDS": env.float("RBS_RECORD_INTERVAL_SECONDS", default=5.0),
}
