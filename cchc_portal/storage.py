"""The local media folder, written so that a failed write leaves nothing behind.

Django's FileSystemStorage writes a file in place under its final name: a full disk in the middle of an evidence
upload or of a job's result left a partial file there that nothing referred to and nothing removed (and that the
backup then archived). Here every file is first written under a hidden temporary name in its destination folder
(`.<random>.part`), then renamed to its name (os.rename: the same file system, all or nothing); any failure removes
the temporary file. The backup leaves `.part` names out; `clear_imports` removes the ones a killed process left
(older than a day).
"""

import os
import tempfile
import time
from pathlib import Path

from django.core.files import File
from django.core.files.storage import FileSystemStorage

PART_PREFIX, PART_SUFFIX = ".", ".part"


def is_part(name: str) -> bool:
    """A file still being written by MediaStorage."""
    base = name.rsplit("/", 1)[-1]
    return base.startswith(PART_PREFIX) and base.endswith(PART_SUFFIX)


def _open_part(fd: int):
    """The file object a file is written through (a test replaces it with one whose disk fills up)."""
    return os.fdopen(fd, "wb")


class _Written(File):
    """A complete file under a temporary name: FileSystemStorage moves it into place instead of copying it."""

    def __init__(self, path: str):
        super().__init__(None, name=path)
        self._path = path

    def temporary_file_path(self) -> str:
        return self._path


class MediaStorage(FileSystemStorage):
    """FileSystemStorage whose files appear whole under their name or not at all."""

    def _save(self, name, content):
        folder = Path(self.path(name)).parent
        folder.mkdir(parents=True, exist_ok=True)
        fd, part = tempfile.mkstemp(dir=folder, prefix=PART_PREFIX, suffix=PART_SUFFIX)
        try:
            with _open_part(fd) as handle:
                for chunk in content.chunks():
                    handle.write(chunk.encode() if isinstance(chunk, str) else chunk)
            return super()._save(name, _Written(part))
        finally:
            Path(part).unlink(missing_ok=True)


def clear_stale_parts(storage, *, older_than_seconds: float) -> int:
    """Remove the temporary files of writes that never finished (the process was killed), older than the given age,
    from a local media folder; the number removed. Other storages write whole objects and have none."""
    if not isinstance(storage, MediaStorage) or not os.path.isdir(storage.location):
        return 0
    limit, removed = time.time() - older_than_seconds, 0
    for folder, _, files in os.walk(storage.location):
        for name in files:
            path = Path(folder) / name
            if is_part(name) and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                removed += 1
    return removed
