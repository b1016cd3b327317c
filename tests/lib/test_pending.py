"""Uploads awaiting confirmation: a random token, never a path; gone after discard or a day."""

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from django.core.files.storage import FileSystemStorage

from cchc_portal.lib.pending import PendingUploads


@pytest.fixture
def pending(tmp_path):
    return PendingUploads(FileSystemStorage(location=tmp_path), "imports")


def test_an_upload_is_kept_under_a_token_and_read_back(pending, tmp_path):
    token = pending.store(BytesIO(b"bang tinh"))
    assert len(token) == 32 and list((tmp_path / "imports").iterdir())[0].name == token
    with pending.open(token) as handle:
        assert handle.read() == b"bang tinh"
    pending.keep(token, ".loi", BytesIO(b"ban sao"))
    pending.discard(token, suffixes=("",))
    assert pending.open(token) is None and pending.exists(token, ".loi")
    pending.discard(token)
    assert not pending.exists(token, ".loi")


@pytest.mark.parametrize("token", ["../../etc/passwd", "ABC", None, 12, "0" * 31, "g" * 32])
def test_a_token_that_is_not_one_names_nothing(pending, token):
    assert pending.open(token) is None and not pending.exists(token)
    pending.discard(token)  # nothing happens
    with pytest.raises(ValueError):
        pending.keep(token, ".loi", BytesIO(b"x"))


def test_stale_uploads_are_cleared_and_fresh_ones_kept(pending):
    old, fresh = pending.store(BytesIO(b"cu")), pending.store(BytesIO(b"moi"))
    later = datetime.now(UTC) + timedelta(hours=2)
    assert pending.clear_stale(older_than=timedelta(hours=1), now=later) == 2
    assert pending.open(old) is None and pending.open(fresh) is None
    kept = pending.store(BytesIO(b"moi"))
    assert pending.clear_stale(older_than=timedelta(hours=1), now=datetime.now(UTC)) == 0 and pending.exists(kept)


def test_nothing_to_clear_before_any_upload(pending):
    assert pending.clear_stale(older_than=timedelta(hours=1), now=datetime.now(UTC)) == 0
