"""Uploaded workbooks waiting between an import's preview and its confirmation."""

import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings


def imports_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def stale_uploads_clear(*, older_than: timedelta) -> int:
    """Delete previews nobody confirmed (and their error copies) older than `older_than`; return how many."""
    folder = imports_dir()
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
