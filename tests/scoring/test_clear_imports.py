"""Uploaded workbooks nobody confirmed are deleted after a day; fresh ones stay."""

import os
import time

from django.core.management import call_command


def test_stale_unconfirmed_uploads_are_removed_and_fresh_ones_kept(db, settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path
    folder = tmp_path / "imports"
    folder.mkdir()
    old, fresh = folder / "cu.xlsx", folder / "moi.xlsx"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    call_command("clear_imports")
    assert not old.exists() and fresh.exists()
    assert "Đã xóa 1 tệp" in capsys.readouterr().out


def test_nothing_to_clear_when_no_upload_was_ever_made(db, settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path / "chua-co"
    call_command("clear_imports", "--hours", "1")
    assert "Đã xóa 0 tệp" in capsys.readouterr().out
