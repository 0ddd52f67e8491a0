"""A throwaway PostgreSQL + PostGIS server for the tests (and the store benchmark).

`LocalServer.start()` runs initdb into a new temp folder and starts `postgres` listening on a
unix socket in that folder only (no TCP), on a free port number. As root the server runs as the
`postgres` OS user (Debian's package creates it; PostgreSQL refuses to run as root) and the
folder is handed to that user. Durability is off (fsync, full pages): a test server holds
nothing worth keeping, and a killed *client* still loses its open transaction, which is what the
tests check. `stop()` shuts the server down and removes the folder.

`why_not()` says why no server can be started here (no binaries, no PostGIS, no OS user), for a
skip reason; with LAGESBILD_REQUIRE_POSTGRES=1 (`make test`) the tests fail instead.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SUPERUSER = "lagesbild"
DATABASE = "lagesbild"


def bin_dir() -> Path | None:
    """The folder of initdb and postgres: LAGESBILD_PG_BIN, Debian's 15 (then newer), PATH."""
    candidates = [os.environ.get("LAGESBILD_PG_BIN", "")]
    candidates += [f"/usr/lib/postgresql/{v}/bin" for v in (15, 16, 17, 14)]
    found = shutil.which("initdb")
    candidates.append(str(Path(found).parent) if found else "")
    for folder in candidates:
        if folder and (Path(folder) / "initdb").is_file() and (Path(folder) / "postgres").is_file():
            return Path(folder)
    return None


def _run_as() -> str | None:
    """The OS user the server runs as: None for the current user (not root), else `postgres`."""
    if os.geteuid() != 0:
        return None
    return os.environ.get("LAGESBILD_PG_USER", "postgres")


def why_not() -> str:
    """Why no local server can be started here ("" when one can)."""
    folder = bin_dir()
    if folder is None:
        return ("PostgreSQL's initdb/postgres not found (install postgresql-15 and "
                "postgresql-15-postgis-3: scripts/install-postgres.sh)")
    share = subprocess.run([str(folder / "pg_config"), "--sharedir"], capture_output=True,
                           text=True).stdout.strip() if (folder / "pg_config").is_file() else ""
    if share and not Path(share, "extension", "postgis.control").is_file():
        return f"PostGIS is not installed for {folder} (package postgresql-15-postgis-3)"
    user = _run_as()
    if user is not None:
        try:
            pwd.getpwnam(user)
        except KeyError:
            return f"running as root and no OS user '{user}' to run PostgreSQL as"
    return ""


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    def __init__(self) -> None:
        self.folder: Path | None = None
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The database's URL (a workspace location: append ?schema=… for another schema)."""
        return f"postgresql://{SUPERUSER}@/{DATABASE}?host={self.folder}&port={self.port}"

    def workspace_url(self, schema: str) -> str:
        return f"{self.url}&schema={schema}"

    def start(self, timeout: float = 60.0) -> LocalServer:
        folder = bin_dir()
        reason = why_not()
        if reason or folder is None:
            raise RuntimeError(reason)
        user = _run_as()
        self.folder = Path(tempfile.mkdtemp(prefix="lagesbild-pg-"))
        data = self.folder / "data"
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        os.chmod(self.folder, 0o755)  # the client (root or the test user) reaches the socket
        log = self.folder / "initdb.log"
        with open(log, "wb") as out:
            done = subprocess.run(
                [str(folder / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                 "-E", "UTF8", "--no-locale", "--no-sync"],
                stdout=out, stderr=subprocess.STDOUT, user=user, cwd=self.folder)
        if done.returncode:
            raise RuntimeError(f"initdb failed: {log.read_text(errors='replace')[-2000:]}")
        self.port = _free_port()
        with open(self.folder / "server.log", "wb") as server_log:
            self.process = self._spawn(folder, data, server_log, user)
        self._wait_ready(timeout)
        import psycopg

        with psycopg.connect(f"postgresql://{SUPERUSER}@/postgres?host={self.folder}"
                             f"&port={self.port}", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
        return self

    def _spawn(self, folder: Path, data: Path, log, user: str | None):  # noqa: ANN001, ANN202
        return subprocess.Popen(
            [str(folder / "postgres"), "-D", str(data), "-k", str(self.folder),
             "-p", str(self.port), "-c", "listen_addresses=", "-c", "fsync=off",
             "-c", "full_page_writes=off", "-c", "synchronous_commit=off",
             "-c", "shared_buffers=32MB", "-c", "max_connections=40",
             "-c", "logging_collector=off"],
            stdout=subprocess.DEVNULL, stderr=log, user=user, cwd=self.folder)

    def _wait_ready(self, timeout: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                log = (self.folder / "server.log").read_text(errors="replace")  # type: ignore[operator]
                raise RuntimeError(f"postgres exited ({self.process.returncode}): {log[-2000:]}")
            try:
                psycopg.connect(f"postgresql://{SUPERUSER}@/postgres?host={self.folder}"
                                f"&port={self.port}", connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown: clients are cut off
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def main() -> None:
    """`python tests/pg_server.py`: start a server for a measurement by hand, print its URL,
    and keep it until interrupted (Ctrl-C or SIGTERM), then stop it and remove its folder."""
    server = LocalServer()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    try:
        server.start()
        print(server.url, flush=True)
        while not stop:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
