"""Starts the django-oauth-toolkit test OP on a free loopback port.

    serve.py APP_ORIGIN

Makes a fresh sqlite database in a temporary directory, migrates it, creates the users and the
clients, and serves on 127.0.0.1 with a free port. Prints one JSON line, {"issuer": ...}, once it
listens. Stops on SIGTERM or when stdin closes (the test that started it ended).
"""

import json
import os
import sys
import tempfile
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

app_origin = sys.argv[1]
workdir = tempfile.mkdtemp(prefix="dot-op-")
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
os.environ.update(
    DJANGO_SETTINGS_MODULE="opsite.settings",
    DOT_DB=os.path.join(workdir, "db.sqlite3"),
    DOT_APP_ORIGIN=app_origin,
    DOT_RSA_KEY=key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode(),
)

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from oauth2_provider.models import get_application_model  # noqa: E402

call_command("migrate", verbosity=0)
User = get_user_model()
for username, email, first in [("ana", "ana@example.com", "Ana"), ("bo", "bo@example.com", "Bo")]:
    User.objects.create_user(username, email, "secret", first_name=first)

Application = get_application_model()
redirects = [f"{app_origin}/", f"{app_origin}/silent-callback.html"]
Application.objects.create(
    client_id="spa",
    name="SPA",
    client_type=Application.CLIENT_PUBLIC,
    authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    client_secret="",
    redirect_uris=" ".join(redirects),
    post_logout_redirect_uris=f"{app_origin}/",
    skip_authorization=True,
    algorithm=Application.RS256_ALGORITHM,
)


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


server = make_server("127.0.0.1", 0, get_wsgi_application(), server_class=Server, handler_class=Quiet)
port = server.server_address[1]
print(json.dumps({"issuer": f"http://127.0.0.1:{port}/o"}), flush=True)


def stop_when_stdin_closes():
    sys.stdin.read()
    server.shutdown()


threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
server.serve_forever()
