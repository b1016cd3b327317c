"""Backup and restore of everything the portal keeps: the database and the evidence files, in one archive.

`backup_write` makes a .tar.gz holding:
- `manifest.json`: when, from which database kind, how many rows each table held, which files;
- the database: `database.dump` (pg_dump, custom format, with the lock triggers and functions) or
  `database.sqlite3` (SQLite's online backup: a consistent copy while the portal runs);
- `media/`: the evidence files (uploads still waiting for confirmation are left out).

The files are read and written through the default storage only (its listdir, open, save), so the same
archive comes from, and goes back into, a local media folder or an S3-compatible bucket.

`backup_restore` puts an archive back into an empty database and an empty storage, refuses anything
else, and then checks every table's row count against the manifest and that the lock triggers are in
place. Restore PostgreSQL as the owner of the tables (then run create_app_role again for the app's role).
"""

import json
import os
import posixpath
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.core.files import File
from django.core.files.storage import storages
from django.db import connection

from scoring import locks

MANIFEST = "manifest.json"
PG_DUMP, SQLITE_COPY = "database.dump", "database.sqlite3"
SKIPPED_MEDIA = ("imports", "viec")  # uploads awaiting confirmation, finished job files: made again on demand

E_NOT_EMPTY_DATABASE = "CSDL đích không trống ({tables} bảng); chỉ khôi phục vào CSDL trống."
E_NOT_EMPTY_MEDIA = "Nơi lưu tệp đích “{folder}” không trống; chỉ khôi phục vào thư mục hoặc bucket trống."
E_MEDIA_RENAMED = "Tệp “{name}” được lưu lại dưới tên khác (“{saved}”); nơi lưu tệp đích không trống."
E_NOT_A_BACKUP = "Tệp “{file}” không phải bản sao lưu của cổng (thiếu manifest.json)."
E_OTHER_DATABASE = "Bản sao lưu của CSDL {found}, không khôi phục được vào CSDL {here}."
E_COUNTS = "Sau khi khôi phục, số dòng không khớp bản sao lưu: {tables}."
E_TRIGGERS = "Sau khi khôi phục, thiếu trigger khóa dữ liệu: {names}."
E_TOOL = "Lệnh {tool} thất bại: {error}"


def _counts() -> dict[str, int]:
    # Unmanaged models (a library's view of something else, e.g. a queue dashboard) have no table to count.
    return {model._meta.db_table: model._base_manager.count() for model in apps.get_models() if model._meta.managed}


def _pg_env() -> dict[str, str]:
    db = connection.settings_dict
    env = {**os.environ, "PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432)}
    env.update({"PGUSER": db["USER"] or "", "PGDATABASE": db["NAME"]})
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _run(tool: list[str]) -> None:
    done = subprocess.run(tool, env=_pg_env(), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(E_TOOL.format(tool=tool[0], error=done.stderr.strip()[-500:]))


def _listdir(storage, folder: str) -> tuple[list[str], list[str]]:
    try:
        return storage.listdir(folder)
    except FileNotFoundError:  # a local media folder nothing was ever saved to
        return [], []


def stored_files(storage, folder: str = "") -> list[str]:
    """The names of every file the storage holds under `folder`, pending uploads left out, sorted."""
    folders, files = _listdir(storage, folder)
    names = [posixpath.join(folder, file) for file in files]
    for sub in folders:
        if folder or sub not in SKIPPED_MEDIA:
            names += stored_files(storage, posixpath.join(folder, sub))
    return sorted(names)


def _storage_label(storage) -> str:
    """Where the storage keeps its files, for a message: a folder, or s3://bucket/prefix."""
    if getattr(storage, "bucket_name", None):
        return f"s3://{storage.bucket_name}/{storage.location}".rstrip("/")
    return str(getattr(storage, "location", ""))


def _archive_file(archive: tarfile.TarFile, storage, name: str) -> None:
    with storage.open(name, "rb") as handle:
        info = tarfile.TarInfo(f"media/{name}")
        info.size, info.mode = handle.size, 0o644
        info.mtime = storage.get_modified_time(name).timestamp()
        archive.addfile(info, handle)


def backup_write(target: Path) -> dict:
    """Write the archive to `target`; return its manifest."""
    storage = storages["default"]
    files = stored_files(storage)
    manifest = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "vendor": connection.vendor,
        "tables": _counts(),
        "media": files,
    }
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        if connection.vendor == "postgresql":
            dump = work / PG_DUMP
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}"])
        else:
            dump = work / SQLITE_COPY
            source = sqlite3.connect(connection.settings_dict["NAME"])
            copy = sqlite3.connect(dump)
            with copy:
                source.backup(copy)
            copy.close()
            source.close()
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        with tarfile.open(target, "w:gz") as archive:
            archive.add(work / MANIFEST, MANIFEST)
            archive.add(dump, dump.name)
            for name in files:
                _archive_file(archive, storage, name)
    return manifest


def _database_is_empty() -> int:
    tables = [t for t in connection.introspection.table_names() if t != "django_migrations"]
    return 0 if not tables else len(tables)


def backup_restore(source: Path) -> dict:
    """Put the archive back into this (empty) database and (empty) storage; return its manifest."""
    storage = storages["default"]
    with tarfile.open(source, "r:gz") as archive, tempfile.TemporaryDirectory() as work:
        names = archive.getnames()
        if MANIFEST not in names:
            raise ValueError(E_NOT_A_BACKUP.format(file=source))
        manifest = json.loads(archive.extractfile(MANIFEST).read())
        if manifest["vendor"] != connection.vendor:
            raise ValueError(E_OTHER_DATABASE.format(found=manifest["vendor"], here=connection.vendor))
        tables = _database_is_empty()
        if tables:
            raise ValueError(E_NOT_EMPTY_DATABASE.format(tables=tables))
        folders, files = _listdir(storage, "")
        if folders or files:
            raise ValueError(E_NOT_EMPTY_MEDIA.format(folder=_storage_label(storage)))
        archive.extractall(work, filter="data")
        work = Path(work)
        if connection.vendor == "postgresql":
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    f"--dbname={_pg_env()['PGDATABASE']}",
                    str(work / PG_DUMP),
                ]
            )
        else:
            connection.close()
            shutil.copyfile(work / SQLITE_COPY, connection.settings_dict["NAME"])
        _restore_files(storage, work / "media")
    connection.close()
    _verify(manifest)
    return manifest


def _restore_files(storage, folder: Path) -> None:
    """Save every file extracted into `folder` under its own name (the name the database refers to)."""
    if not folder.is_dir():
        return
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        with path.open("rb") as handle:
            saved = storage.save(name, File(handle, name=name))
        if saved != name:
            raise ValueError(E_MEDIA_RENAMED.format(name=name, saved=saved))


def _verify(manifest: dict) -> None:
    counts = _counts()
    wrong = [f"{t} ({n} ≠ {counts.get(t)})" for t, n in manifest["tables"].items() if counts.get(t) != n]
    if wrong:
        raise ValueError(E_COUNTS.format(tables=", ".join(wrong)))
    missing = sorted(set(locks.trigger_names(connection.vendor)) - set(installed_triggers()))
    if missing:
        raise ValueError(E_TRIGGERS.format(names=", ".join(missing)))


def installed_triggers() -> list[str]:
    """The lock triggers the database holds now."""
    if connection.vendor == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'cchc_lock%'"
    elif connection.vendor == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'cchc_lock%'"
    else:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [name for (name,) in cursor.fetchall()]
