"""Uploads waiting between an import's preview and its confirmation.

The upload is kept under a random token — never the user's file name, never a path the browser could
name — in a folder of a storage (anything with Django's storage API: save, open, exists, delete,
listdir, get_modified_time), so the same code works on a local disk or on object storage. The session
keeps only the token. Files of previews nobody confirmed are cleared by `clear_stale` (run daily).
A copy derived from the upload (the workbook with its errors marked) is kept beside it under the same
token and a suffix, and goes with it.
"""

import re
import secrets
from datetime import datetime, timedelta

TOKEN = re.compile(r"^[0-9a-f]{32}$")
SUFFIXES = ("", ".loi")  # the upload itself, its copy with the errors marked


class PendingUploads:
    """Files awaiting confirmation, in one folder of a storage."""

    def __init__(self, storage, folder: str = "imports"):
        self.storage, self.folder = storage, folder.strip("/")

    def _name(self, token: str, suffix: str = "") -> str | None:
        if not isinstance(token, str) or not TOKEN.match(token) or suffix not in SUFFIXES:
            return None
        return f"{self.folder}/{token}{suffix}"

    def store(self, content) -> str:
        """Keep an upload (a file object, or a Django File/UploadedFile); return its new token."""
        token = secrets.token_hex(16)
        self.storage.save(self._name(token), content)
        return token

    def keep(self, token: str, suffix: str, content) -> None:
        """Keep a file derived from the upload `token` (e.g. suffix ".loi": the marked copy)."""
        name = self._name(token, suffix)
        if name is None:
            raise ValueError("not a pending upload token")
        if self.storage.exists(name):
            self.storage.delete(name)
        self.storage.save(name, content)

    def exists(self, token, suffix: str = "") -> bool:
        name = self._name(token, suffix)
        return name is not None and self.storage.exists(name)

    def open(self, token, suffix: str = ""):
        """The stored file opened for reading, or None when the token is malformed or the file is gone."""
        name = self._name(token, suffix)
        if name is None:
            return None
        try:  # one request to object storage, and no gap between a check and the read
            return self.storage.open(name, "rb")
        except FileNotFoundError:
            return None

    def discard(self, token, suffixes: tuple[str, ...] = SUFFIXES) -> None:
        """Forget an upload and what was derived from it (nothing happens for an unknown token); `suffixes`
        narrows it (("",): the upload only, keeping its marked copy)."""
        for suffix in suffixes:
            name = self._name(token, suffix)
            if name is not None and self.storage.exists(name):
                self.storage.delete(name)

    def clear_stale(self, *, older_than: timedelta, now: datetime) -> int:
        """Delete the files of previews nobody confirmed, older than `older_than`; return how many."""
        try:
            _folders, files = self.storage.listdir(self.folder)
        except FileNotFoundError:
            return 0
        removed = 0
        for file in files:
            name = f"{self.folder}/{file}"
            if self.storage.get_modified_time(name) < now - older_than:
                self.storage.delete(name)
                removed += 1
        return removed
