"""A PostgreSQL cluster of its own for `make soak`: made in a temporary folder, on a free port, reached through a
socket in that folder, restarted and removed by the soak alone. No other cluster on the machine is touched (the
soak used to restart the machine's `main` cluster, everyone's database on a shared host).

The server binaries come from SOAK_PG_BINDIR, or the newest /usr/lib/postgresql/<version>/bin (Debian), or PATH.
initdb refuses to run as root: as root the cluster is made and run by the `postgres` system user.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _bindir() -> Path | None:
    if os.environ.get("SOAK_PG_BINDIR"):
        return Path(os.environ["SOAK_PG_BINDIR"])
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateCluster:
    """initdb, start, restart, stop and remove one throwaway cluster (use as a context manager)."""

    def __init__(self):
        self.bindir = _bindir()
        if self.bindir is None:
            raise SystemExit("Không tìm thấy initdb của PostgreSQL: đặt SOAK_PG_BINDIR=/đường/dẫn/bin.")
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="cchc-soak-pg-"))
        self.data = self.folder / "data"
        self._as = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    @staticmethod
    def available() -> bool:
        return _bindir() is not None

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*self._as, str(self.bindir / tool), *args], capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{tool} thất bại:\n{done.stdout[-1000:]}{done.stderr[-2000:]}")

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", *args)

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg_ctl("-l", str(self.folder / "server.log"), "-o", options, "start")

    def restart(self) -> None:
        # The options given at start are kept (postmaster.opts); the log file is not, and without one the server
        # would hold this process's output pipe open.
        self._pg_ctl("-l", str(self.folder / "server.log"), "-m", "fast", "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "PrivateCluster":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
