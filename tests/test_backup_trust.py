"""Backups an operator can trust: taken while people work they still match their own manifest; a full disk leaves
nothing under the archive's name; archives are the owner's alone and hold no sign-in session; a truncated or damaged
archive is named as such, in Vietnamese, without a traceback; and the daily check restores the newest archive into
a scratch database and compares it with its manifest."""

import errno
import io
import json
import os
import stat
import subprocess
import sys
import tarfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from scoring.models import Job
from scoring.ops import backup
from tests.test_backup import ROOT

SESSION_KEY = "phienbimat0123456789abcdefghijkl"


def _environment(target_url: str, media: Path) -> dict:
    return {**os.environ, "DATABASE_URL": target_url, "MEDIA_ROOT": str(media), "CONN_MAX_AGE": "0"}


def _sign_in_and_lock_out_rows() -> None:
    Session.objects.create(session_key=SESSION_KEY, session_data="x", expire_date=timezone.now() + timedelta(days=1))
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        username="quantri", ip_address="203.0.113.9", user_agent="ua", failures_since_start=5, get_data="", post_data=""
    )


def _database_text(archive: Path, work: Path) -> bytes:
    """Everything the archive's database holds, as bytes to search: the SQLite file, or pg_restore's SQL."""
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    if (work / backup.SQLITE_COPY).exists():
        return (work / backup.SQLITE_COPY).read_bytes()
    done = subprocess.run(["pg_restore", "-f", "-", str(work / backup.PG_DUMP)], capture_output=True, check=True)
    return done.stdout


@pytest.mark.django_db(transaction=True)
def test_the_archive_is_its_owners_alone_and_holds_no_session_or_lockout(tmp_path):
    _sign_in_and_lock_out_rows()
    Job.objects.create(kind="thu", title="một dòng")
    archive = tmp_path / "sao-luu" / "cchc-20270105.tar.gz"
    old = os.umask(0o022)
    try:
        call_command("backup", "-o", str(archive), verbosity=0)
    finally:
        os.umask(old)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert stat.S_IMODE(archive.parent.stat().st_mode) == 0o700
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert "django_session" not in manifest["tables"] and "axes_accessattempt" not in manifest["tables"]
    assert manifest["tables"]["scoring_job"] == 1  # the rest is there
    raw = _database_text(archive, tmp_path / "giai-nen")
    assert SESSION_KEY.encode() not in raw and b"203.0.113.9" not in raw
    assert Session.objects.filter(session_key=SESSION_KEY).exists()  # the live database keeps its sessions


class FullDisk(io.RawIOBase):
    """A file on a disk that fills up after `room` bytes, as the review's 12 MB tmpfs did."""

    def __init__(self, real, room: int):
        self.real, self.room = real, room

    def writable(self):
        return True

    def write(self, data):
        if self.real.tell() + len(data) > self.room:
            self.real.write(bytes(data)[: max(0, self.room - self.real.tell())])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.real.write(data)

    def fileno(self):
        return self.real.fileno()

    def close(self):
        self.real.close()
        super().close()


@pytest.mark.django_db(transaction=True)
def test_a_disk_that_fills_up_leaves_nothing_under_the_archives_name_and_keeps_the_previous_one(
    tmp_path, settings, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "minh-chung").mkdir(parents=True)
    (tmp_path / "media" / "minh-chung" / "lon.bin").write_bytes(os.urandom(200_000))  # does not compress
    folder = tmp_path / "sao-luu"
    folder.mkdir()
    earlier = folder / "cchc-20270105.tar.gz"
    earlier.write_bytes(b"ban sao luu hom truoc")
    monkeypatch.setattr(backup, "_open_part", lambda fd: FullDisk(os.fdopen(fd, "wb"), 32_768))
    with pytest.raises(CommandError) as refused:
        call_command("backup", "-o", str(earlier))
    assert "No space left" in str(refused.value) and "không có tệp nào được ghi" in str(refused.value)
    assert earlier.read_bytes() == b"ban sao luu hom truoc"
    new = folder / "cchc-20270106.tar.gz"
    with pytest.raises(CommandError):
        call_command("backup", "-o", str(new))
    assert sorted(p.name for p in folder.iterdir()) == ["cchc-20270105.tar.gz"]  # no partial file, no new name


def _writes_while(work, *, pause: float = 0.002) -> int:
    """Insert job rows from another connection for as long as `work` runs; how many went in meanwhile."""
    stop, written = threading.Event(), []

    def write():
        try:
            while not stop.is_set():
                Job.objects.create(kind="thu", title="ghi trong lúc sao lưu")
                written.append(1)
                time.sleep(pause)
        finally:
            connection.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        time.sleep(0.2)
        before = len(written)
        work()
        return len(written) - before
    finally:
        stop.set()
        thread.join()


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres") is False, reason="PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_during_writes_matches_its_own_manifest_when_restored(tmp_path):
    archive = tmp_path / "cchc-20270105.tar.gz"
    during = _writes_while(lambda: call_command("backup", "-o", str(archive), verbosity=0))
    assert during > 10  # rows really were written while the backup ran
    manifest = backup.backup_verify(archive)  # restored into a scratch database, every count compared
    assert 0 < manifest["tables"]["scoring_job"] < Job.objects.count()


@pytest.mark.django_db(transaction=True)
def test_a_truncated_or_damaged_archive_is_named_as_such_without_a_traceback(tmp_path, empty_database_url):
    Job.objects.create(kind="thu", title="một dòng")
    archive = tmp_path / "cchc-20270105.tar.gz"
    call_command("backup", "-o", str(archive), verbosity=0)
    whole = archive.read_bytes()
    cut = tmp_path / "cat-cut.tar.gz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    junk = tmp_path / "rac.tar.gz"
    junk.write_bytes(b"khong phai tep nen" * 100)
    flipped = tmp_path / "hong.tar.gz"
    flipped.write_bytes(whole[:-8] + bytes(b ^ 0xFF for b in whole[-8:-4]) + whole[-4:])  # checksum no longer fits
    cases = {cut: "bị cắt cụt", junk: "bị hỏng", flipped: "bị hỏng", tmp_path / "khong-co.tar.gz": "Không có tệp"}
    env = _environment(empty_database_url, tmp_path / "media-moi")
    for path, words in cases.items():
        done = subprocess.run(
            [sys.executable, "manage.py", "restore", str(path)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode != 0, path
        assert words in done.stderr and "Traceback" not in done.stderr and "EOFError" not in done.stderr, done.stderr
        with pytest.raises(CommandError, match=words):
            call_command("verify_backup", str(path))
    assert not (tmp_path / "media-moi").exists()  # nothing written by the refused restores


def _rewrite_manifest(archive: Path, change) -> None:
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()]
    with tarfile.open(archive, "w:gz") as tar:
        for member, data in members:
            if member.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data) if data is not None else None)


@pytest.mark.django_db(transaction=True)
def test_the_daily_check_restores_the_newest_archive_and_says_when_it_is_missing_stale_or_wrong(tmp_path, capsys):
    folder = tmp_path / "sao-luu"
    with pytest.raises(CommandError, match="Không có bản sao lưu nào"):
        call_command("verify_backup", str(folder.mkdir() or folder))
    Job.objects.create(kind="thu", title="một dòng")
    call_command("backup", "-o", str(folder / "cchc-20270104.tar.gz"), verbosity=0)
    newest = folder / "cchc-20270105.tar.gz"
    call_command("backup", "-o", str(newest), verbosity=0)
    call_command("verify_backup", str(folder))
    out = capsys.readouterr().out
    assert "cchc-20270105.tar.gz" in out and "khôi phục được" in out

    _rewrite_manifest(newest, lambda manifest: manifest["tables"].update(scoring_job=7))
    with pytest.raises(CommandError, match=r"số dòng không khớp bản sao lưu: scoring_job \(7 ≠ 1\)"):
        call_command("verify_backup", str(folder))

    two_days_ago = time.time() - 2 * 86400
    for path in folder.iterdir():
        os.utime(path, (two_days_ago, two_days_ago))
    with pytest.raises(CommandError, match="bản sao lưu đêm qua không chạy"):
        call_command("verify_backup", str(folder))
    # A scratch database is dropped after the check: nothing named after it is left on the server.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", ["%\\_kiemtra\\_%"])
            assert cursor.fetchone()[0] == 0
