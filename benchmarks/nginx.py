"""nginx as docs/deploy.md configures it (section 6: the http-level blocks under conf.d and the `server` block),
run unprivileged from a temporary folder in front of a portal on 127.0.0.1. The benchmark of readers beside
writers and tests/test_lockouts_nginx.py both run exactly what an operator copies from the document."""

import re
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
DOCUMENTED_UPSTREAM = "proxy_pass http://127.0.0.1:8000;"
DOCUMENTED_CACHE_DIR = "/var/cache/nginx/cchc"


def documented_blocks() -> tuple[list[str], str]:
    """The nginx blocks of docs/deploy.md's section 6: the conf.d files (http level) and the `server` block."""
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    section = text[text.index("## 6. nginx") :]
    section = section[: section.index("\n## ", 1)]
    blocks = re.findall(r"```nginx\n(.*?)```", section, re.S)
    server = next(block for block in blocks if block.lstrip().startswith("server {"))
    http = [block for block in blocks if block.startswith("# /etc/nginx/conf.d/")]
    return http, server


def documented_config(folder: Path, port: int, upstream: str, *, listen: str = "127.0.0.1") -> str:
    """A whole nginx.conf around the documented blocks: listening on `listen:port`, passing to `upstream`
    (host:port), every path under `folder`."""
    http, server = documented_blocks()
    assert "listen 80;" in server and DOCUMENTED_UPSTREAM in server, "the documented server block changed shape"
    server = server.replace("listen 80;", f"listen {listen}:{port};")
    server = server.replace(DOCUMENTED_UPSTREAM, f"proxy_pass http://{upstream};")
    cache = folder / "cache"
    cache.mkdir(exist_ok=True)
    http = [block.replace(DOCUMENTED_CACHE_DIR, str(cache)) for block in http]
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    blocks = "\n".join(http)
    return f"""
pid {folder}/nginx.pid;
error_log {folder}/error.log;
worker_processes auto;
events {{ worker_connections 1024; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
{blocks}
{server}
}}
"""


@contextmanager
def nginx(folder: Path, port: int, upstream: str):
    """nginx with the documented configuration on 127.0.0.1:`port` in front of `upstream` until the block ends:
    one process (no master), so that run as root it keeps root's access to the temporary folder instead of
    handing requests to workers running as nobody."""
    if not NGINX:
        raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(documented_config(folder, port, upstream), encoding="utf-8")
    flags = "daemon off; master_process off;"
    process = subprocess.Popen(
        [NGINX, "-p", str(folder), "-c", str(conf), "-g", flags], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (folder / "error.log").read_text() if (folder / "error.log").exists() else ""
                    raise RuntimeError(f"nginx did not start: {process.stdout.read()!r} {log}") from None
                time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
