"""The environment file and the cron lines of docs/deploy.md work as written: systemd and sh read the documented
file alike, and every documented cron line, run the way cron runs it (an empty environment, /bin/sh, `\\%` for %),
exits 0 on a SQLite database, the backup included, and the daily check finds last night's archive."""

import re
import stat
import subprocess
from pathlib import Path

import pytest

from cchc_portal.envfile import E_SH_REFUSED, disagreements, parse_systemd, read_with_sh

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
CRON_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "SHELL": "/bin/sh", "LOGNAME": "cchc"}


def _block_after(marker: str) -> str:
    """The first fenced block after `marker` in docs/deploy.md."""
    start = DEPLOY.index(marker)
    match = re.compile(r"```\w*\n(.*?)```", re.S).search(DEPLOY, start)
    return match.group(1)


ENV = _block_after("Tệp `/etc/cchc/env`")
BACKUP_ENV = _block_after("Tệp `/etc/cchc/backup.env`")
S3_ENV = _block_after("Thêm vào `/etc/cchc/env`")
CRON = _block_after("`/etc/cron.d/cchc`")


@pytest.mark.parametrize("text", [ENV, ENV + S3_ENV, BACKUP_ENV], ids=["env", "env-s3", "backup-env"])
def test_the_documented_env_files_read_the_same_in_sh_and_in_systemd(tmp_path, text):
    path = tmp_path / "env"
    path.write_text(text, encoding="utf-8")
    assert disagreements(path) == []
    sh, error = read_with_sh(path)
    systemd = parse_systemd(text)
    assert error == "" and len(systemd) >= 1
    assert all(sh[name] == value for name, value in systemd.items())


def test_the_documented_values_come_through_whole(tmp_path):
    path = tmp_path / "env"
    path.write_text(ENV + S3_ENV, encoding="utf-8")
    sh, _ = read_with_sh(path)
    assert sh["DEFAULT_FROM_EMAIL"] == "Cổng CCHC <khong-tra-loi@example.gov.vn>"
    assert sh["EMAIL_HOST_PASSWORD"] == "MAT KHAU THU"
    assert sh["STORAGE_S3_PREFIX"] == "cchc" and sh["STORAGE_S3_ENDPOINT_URL"] == "https://s3.example.gov.vn"
    assert "STORAGE_S3_ADDRESSING" not in sh


def test_the_file_of_the_review_is_refused_by_sh_and_the_check_says_so(tmp_path):
    path = tmp_path / "env"
    path.write_text("DEBUG=0\nDEFAULT_FROM_EMAIL=Cổng CCHC <khong-tra-loi@example.gov.vn>\n", encoding="utf-8")
    assert parse_systemd(path.read_text())["DEFAULT_FROM_EMAIL"] == "Cổng CCHC <khong-tra-loi@example.gov.vn>"
    problems = disagreements(path)
    assert len(problems) == 1 and problems[0].startswith(E_SH_REFUSED.split("{")[0])
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "cchc_portal.envfile", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=CRON_ENVIRONMENT,
    )
    assert done.returncode == 1 and "sh không đọc được tệp" in done.stderr


@pytest.mark.parametrize(
    ("line", "systemd", "sh"),
    [
        ("A=x   # chú thích", "x   # chú thích", "x"),  # systemd keeps a trailing comment
        ("A='x y' ", "x y", "x y"),
        ('A="a\\$b\\n"', "a$b\\n", "a$b\\n"),  # in double quotes only \" \\ \` \$ are escapes
        ("A=a\\\nb", "ab", "ab"),  # a continued line
        ("A=$HOME", "$HOME", ""),  # systemd does not expand, sh does
    ],
)
def test_the_systemd_reader_follows_systemds_rules_where_sh_differs(tmp_path, line, systemd, sh):
    path = tmp_path / "env"
    path.write_text(line + "\n", encoding="utf-8")
    assert parse_systemd(line + "\n")["A"] == systemd
    assert read_with_sh(path)[0]["A"] == sh
    assert (disagreements(path) == []) is (systemd == sh)


def test_a_space_around_the_equals_sign_is_read_only_by_systemd(tmp_path):
    path = tmp_path / "env"
    path.write_text("A = 1\n", encoding="utf-8")
    assert parse_systemd("A = 1\n") == {"A": "1"}
    assert "A" not in read_with_sh(path)[0] and disagreements(path)


def _cron_commands() -> list[str]:
    """The command of every job line of the documented crontab (minute hour day month weekday user command)."""
    commands = []
    for line in CRON.splitlines():
        if not line.strip() or line.startswith("#") or re.match(r"^[A-Z_]+=", line):
            continue
        fields = line.split(None, 6)
        assert len(fields) == 7, line
        commands.append(fields[6])
    return commands


def test_every_documented_cron_line_runs_and_exits_0_and_the_backup_is_checked(tmp_path):
    database, media, backups = tmp_path / "cchc.sqlite3", tmp_path / "media", tmp_path / "backups"
    backups.mkdir(mode=0o700)
    url = f"DATABASE_URL='sqlite:///{database}'"
    env = re.sub(r"(?m)^DATABASE_URL=.*$", url, ENV)
    env = re.sub(r"(?m)^MEDIA_ROOT=.*$", f"MEDIA_ROOT='{media}'", env)
    env += f"SHARED_CACHE_DIR='{tmp_path / 'cache'}'\n"
    (tmp_path / "env").write_text(env, encoding="utf-8")
    (tmp_path / "backup.env").write_text(re.sub(r"(?m)^DATABASE_URL=.*$", url, BACKUP_ENV), encoding="utf-8")
    places = {
        "/srv/cchc/app": str(ROOT),
        "/etc/cchc/env": str(tmp_path / "env"),
        "/etc/cchc/backup.env": str(tmp_path / "backup.env"),
        "/srv/cchc/backups": str(backups),
    }

    def run(command: str) -> subprocess.CompletedProcess:
        for documented, here in places.items():
            command = command.replace(documented, here)
        return subprocess.run(
            ["/bin/sh", "-c", command], env={**CRON_ENVIRONMENT, "HOME": str(tmp_path)}, capture_output=True, text=True
        )

    migrate = run("cd /srv/cchc/app && set -a && . /etc/cchc/env && .venv/bin/python manage.py migrate --noinput -v 0")
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    commands = _cron_commands()
    # The archive is named by the day cron's own shell sees (`date`, the server's zone), not this process's clock,
    # which Django sets to Hà Nội time: the two disagree from 17:00 to 24:00 UTC.
    days = {run("date +%Y%m%d").stdout.strip()}
    ran = set()
    for command in commands:
        assert not re.search(r"(?<!\\)%", command), f"a bare % ends a cron command: {command}"
        done = run(command.replace("\\%", "%"))
        assert done.returncode == 0, f"{command}\n{done.stderr[-2000:]}"
        ran.update(re.findall(r"manage\.py (\w+)", command))
    assert ran == {"send_notices", "clear_imports", "backup", "verify_backup", "clear_logins"}
    days.add(run("date +%Y%m%d").stdout.strip())  # the run may have crossed midnight
    (archive,) = backups.iterdir()
    assert archive.name in {f"cchc-{day}.tar.gz" for day in days}
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
