"""A throwaway django-oauth-toolkit OpenID Provider for the end-to-end OP matrix.

Everything it needs comes from the environment that serve.py sets: the database file, the app's
origin (CORS), the signing key. Nothing here is fit for production (DEBUG off, but a made-up
secret key and plain http).
"""

import os

from .state import access_token_ttl

BASE_DIR = os.path.dirname(os.path.abspath(__file__))

SECRET_KEY = "e2e-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "corsheaders",
    "oauth2_provider",
]

MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "opsite.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(BASE_DIR, "templates")],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["DOT_DB"],
    }
}
# The fastest hasher: the test users' passwords are made at every start.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
LOGIN_URL = "/accounts/login/"

# The SPA calls the token and UserInfo endpoints from its own origin.
CORS_ALLOWED_ORIGINS = [os.environ["DOT_APP_ORIGIN"]]

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": os.environ["DOT_RSA_KEY"],
    "PKCE_REQUIRED": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    # oauthlib asks this callable for every token response's expires_in, so the test can change it.
    "EXTRA_SERVER_KWARGS": {"token_expires_in": access_token_ttl},
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    "SCOPES": {
        "openid": "OpenID Connect",
        "profile": "Profile",
        "email": "Email",
        "offline_access": "Offline access",
    },
    "OAUTH2_VALIDATOR_CLASS": "opsite.validator.Validator",
}
