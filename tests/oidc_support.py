"""A local OpenID Connect provider for the login tests (`oidc-provider-mock`, in a subprocess
so its server threads never see pytest's warning filters), and the auth config pointing at it."""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from browser_support import _stop, free_port

# werkzeug's threaded server around the mock's Flask app; users with their claims from argv
_SERVE = """
import json, sys
import werkzeug.serving
from oidc_provider_mock import User, app
users = [User(sub=u.pop("sub"), claims=u) for u in json.loads(sys.argv[2])]
server = werkzeug.serving.make_server("127.0.0.1", int(sys.argv[1]), app(user_claims=users),
                                      threaded=True)
print("ready", flush=True)
server.serve_forever()
"""
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@contextlib.contextmanager
def provider(users: list[dict[str, object]], log: Path, timeout: float = 20.0) -> Iterator[str]:
    """The provider's base URL (http://127.0.0.1:<port>) while it runs."""
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-c", _SERVE, str(port), json.dumps(users)],
                                   stdout=sink, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with _DIRECT.open(url + "/.well-known/openid-configuration", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the OIDC provider did not start:\n" +
                                     log.read_text(errors="replace"))
            time.sleep(0.1)
        yield url
    finally:
        _stop(process)


def auth_config(path: Path, provider_url: str, *, access: str = "") -> Path:
    """An auth config as `lagesbild serve --auth-config` takes it, for the app on any port."""
    path.write_text(f"""[auth]
redirect_uri = "http://localhost:{{port}}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "lagesbild-test"
client_secret = "{secrets.token_hex(16)}"
server_metadata_url = "{provider_url}/.well-known/openid-configuration"

[access]
claim = "roles"
{access}
""", encoding="utf-8")
    return path
