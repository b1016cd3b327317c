"""Backup and restore of everything the portal keeps: the database and the evidence files, in one archive.

`backup_write` makes a .tar.gz holding:
- `manifest.json`: when, from which database kind, how many rows each table held, which files;
- the database: `database.dump` (pg_dump, custom format, with the lock triggers and functions) or
  `database.sqlite3` (SQLite's online backup);
- `media/`: the evidence files (uploads still waiting for confirmation and finished job files are left out).

The row counts and the dump come from one snapshot: on PostgreSQL a REPEATABLE READ transaction exports its
snapshot and pg_dump reads that same snapshot (`--snapshot`); on SQLite the rows are counted in the copy. So a
backup taken while people work matches its own manifest. Sign-in sessions and lockout attempts
(TRANSIENT_TABLES) are never archived: their tables come back empty.

The archive is written to a hidden temporary name in the target's folder (mode 0600), flushed to disk, read back
in full and checked against its manifest, and only then renamed to the target: a full disk or any other failure
leaves nothing under the target's name.

The files are read and written through the default storage only (its listdir, open, save), so the same
archive comes from, and goes back into, a local media folder or an S3-compatible bucket.

`backup_restore` puts an archive back into an empty database and an empty storage, refuses anything
else, and then checks every table's row count against the manifest and that the lock triggers are in
place. Restore PostgreSQL as the owner of the tables (then run create_app_role again for the app's role).

`backup_verify` is the daily proof that an archive restores: it reads the whole archive, restores its database
into a scratch database (a temporary SQLite file, or a PostgreSQL database created and dropped for the check),
and compares every table's row count and the lock triggers with the manifest. The live database is not touched.
"""

import gzip
import json
import os
import posixpath
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.core.files import File
from django.core.files.storage import storages
from django.db import connection

from cchc_portal.public_cache import public_changed
from cchc_portal.storage import is_part
from scoring import locks

MANIFEST = "manifest.json"
PG_DUMP, SQLITE_COPY = "database.dump", "database.sqlite3"
SKIPPED_MEDIA = ("imports", "viec")  # uploads awaiting confirmation, finished job files: made again on demand
# Live sign-in sessions (a copied key signs its holder in) and lockout attempts: never archived.
TRANSIENT_TABLES = ("django_session", "axes_accessattempt")
ARCHIVE_PATTERN = "cchc-*.tar.gz"
CHUNK = 1024 * 1024

E_NOT_EMPTY_DATABASE = "CSDL đích không trống ({tables} bảng); chỉ khôi phục vào CSDL trống."
E_NOT_EMPTY_MEDIA = "Nơi lưu tệp đích “{folder}” không trống; chỉ khôi phục vào thư mục hoặc bucket trống."
E_MEDIA_RENAMED = "Tệp “{name}” được lưu lại dưới tên khác (“{saved}”); nơi lưu tệp đích không trống."
E_NOT_A_BACKUP = "Tệp “{file}” không phải bản sao lưu của cổng (thiếu manifest.json)."
E_OTHER_DATABASE = "Bản sao lưu của CSDL {found}, không khôi phục được vào CSDL {here}."
E_COUNTS = "Sau khi khôi phục, số dòng không khớp bản sao lưu: {tables}."
E_TRIGGERS = "Sau khi khôi phục, thiếu trigger khóa dữ liệu: {names}."
E_TOOL = "Lệnh {tool} thất bại: {error}"
E_NO_ARCHIVE = "Không có tệp “{file}”."
E_UNREADABLE = "Không đọc được tệp “{file}”: {error}."
E_TRUNCATED = (
    "Tệp “{file}” bị cắt cụt: dữ liệu hết giữa chừng (bản sao lưu ghi dở, ví dụ khi đĩa đầy, hoặc chép chưa hết). "
    "Không dùng được tệp này; hãy dùng bản sao lưu khác."
)
E_DAMAGED = (
    "Tệp “{file}” bị hỏng hoặc không phải tệp .tar.gz ({error}). Không dùng được tệp này; hãy dùng bản sao lưu khác."
)
E_BAD_MANIFEST = "manifest.json trong “{file}” không đọc được ({error}); tệp không phải bản sao lưu của cổng."
E_NO_DUMP = "Bản sao lưu “{file}” thiếu tệp CSDL ({name}); không dùng được."
E_MEDIA_MISSING = "Bản sao lưu “{file}” thiếu {count} tệp minh chứng ghi trong manifest.json, ví dụ “{name}”."
E_NO_BACKUPS = "Không có bản sao lưu nào ({pattern}) trong “{folder}”."
E_STALE = (
    "Bản sao lưu mới nhất “{file}” đã {hours} giờ (quá {limit:g} giờ): bản sao lưu đêm qua không chạy hoặc không ghi "
    "xong. Xem thư của cron và nhật ký."
)


class BackupError(ValueError):
    """An archive that cannot be made or used: the message says why, in Vietnamese."""


def _tables() -> list[str]:
    # Unmanaged models (a library's view of something else, e.g. a queue dashboard) have no table to count.
    return sorted({model._meta.db_table for model in apps.get_models() if model._meta.managed} - set(TRANSIENT_TABLES))


def _count(cursor, tables: list[str], quote, present: set[str] | None = None) -> dict[str, int]:
    """Rows of each table; a table missing from `present` (when given) is left out, so the comparison names it."""
    counts = {}
    for table in tables:
        if present is not None and table not in present:
            continue
        cursor.execute(f"SELECT count(*) FROM {quote(table)}")  # noqa: S608 - names from the models, quoted
        counts[table] = cursor.fetchone()[0]
    return counts


def _counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return _count(cursor, _tables(), connection.ops.quote_name)


def _pg_env(database: str | None = None) -> dict[str, str]:
    db = connection.settings_dict
    env = {**os.environ, "PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432)}
    env.update({"PGUSER": db["USER"] or "", "PGDATABASE": database or db["NAME"]})
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _run(tool: list[str], database: str | None = None) -> None:
    done = subprocess.run(tool, env=_pg_env(database), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(E_TOOL.format(tool=tool[0], error=done.stderr.strip()[-500:]))


def _listdir(storage, folder: str) -> tuple[list[str], list[str]]:
    try:
        return storage.listdir(folder)
    except FileNotFoundError:  # a local media folder nothing was ever saved to
        return [], []


def stored_files(storage, folder: str = "") -> list[str]:
    """The names of every file the storage holds under `folder`, pending uploads and files still being written left
    out, sorted."""
    folders, files = _listdir(storage, folder)
    names = [posixpath.join(folder, file) for file in files if not is_part(file)]  # not files being written
    for sub in folders:
        if folder or sub not in SKIPPED_MEDIA:
            names += stored_files(storage, posixpath.join(folder, sub))
    return sorted(names)


def _storage_label(storage) -> str:
    """Where the storage keeps its files, for a message: a folder, or s3://bucket/prefix."""
    if getattr(storage, "bucket_name", None):
        return f"s3://{storage.bucket_name}/{storage.location}".rstrip("/")
    return str(getattr(storage, "location", ""))


def _archive_file(archive: tarfile.TarFile, storage, name: str) -> int:
    with storage.open(name, "rb") as handle:
        info = tarfile.TarInfo(f"media/{name}")
        info.size, info.mode = handle.size, 0o600
        info.mtime = storage.get_modified_time(name).timestamp()
        archive.addfile(info, handle)
        return info.size


@contextmanager
def _pg_snapshot(tables: list[str]) -> Iterator[tuple[str, dict[str, int]]]:
    """Row counts read in a REPEATABLE READ transaction, and the id of its snapshot for pg_dump --snapshot; the
    transaction stays open (on a connection of its own) until the dump is done."""
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.set_session(isolation_level="REPEATABLE READ", readonly=True, autocommit=False)
        with raw.cursor() as cursor:
            # Timeouts an operator sets for the portal's requests must not end the snapshot while pg_dump runs.
            cursor.execute("SET LOCAL statement_timeout = 0")
            cursor.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _count(cursor, tables, connection.ops.quote_name)
        yield snapshot, counts
    finally:
        raw.rollback()
        raw.close()


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_copy(target: Path, tables: list[str]) -> dict[str, int]:
    """A consistent copy of the SQLite database without the transient tables' rows; the rows it holds."""
    source = sqlite3.connect(connection.settings_dict["NAME"])
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)
        present = {name for (name,) in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        with copy:
            for table in TRANSIENT_TABLES:
                if table in present:
                    copy.execute(f"DELETE FROM {_sqlite_quote(table)}")  # noqa: S608 - a constant
        copy.execute("VACUUM")  # the deleted rows' pages would otherwise keep the session keys
        return _count(copy.cursor(), tables, _sqlite_quote, present)
    finally:
        copy.close()
        source.close()


def _open_part(fd: int):
    """The file object the archive is written through (a test replaces it with one whose disk fills up)."""
    return os.fdopen(fd, "wb")


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_write(target: Path) -> dict:
    """Write the archive to `target` (via a temporary file renamed once it is complete and checked); return its
    manifest."""
    target = Path(target)
    storage = storages["default"]
    tables = _tables()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        if connection.vendor == "postgresql":
            dump = work / PG_DUMP
            with _pg_snapshot(tables) as (snapshot, counts):
                excluded = [f"--exclude-table-data={table}" for table in TRANSIENT_TABLES]
                _run(
                    ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}"]
                    + excluded
                    + [f"--file={dump}"]
                )
        else:
            dump = work / SQLITE_COPY
            counts = _sqlite_copy(dump, tables)
        files = stored_files(storage)  # after the snapshot: every file a row of the dump refers to is there
        manifest = {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "vendor": connection.vendor,
            "tables": counts,
            "excluded": list(TRANSIENT_TABLES),
            "media": files,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _write_archive(target, work / MANIFEST, dump, storage, files)
    return manifest


def _write_archive(target: Path, manifest_file: Path, dump: Path, storage, files: list[str]) -> None:
    fd, part = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    part = Path(part)
    try:
        os.fchmod(fd, 0o600)
        with _open_part(fd) as handle:
            with tarfile.open(fileobj=handle, mode="w:gz") as archive:
                archive.add(manifest_file, MANIFEST)
                archive.add(dump, dump.name)
                for name in files:
                    _archive_file(archive, storage, name)
            handle.flush()
            os.fsync(handle.fileno())
        archive_check(part)
        os.replace(part, target)
        _fsync_folder(target.parent)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


@contextmanager
def _reading(source: Path) -> Iterator[None]:
    """Turn what a missing, truncated or damaged archive raises into a message that names the problem."""
    try:
        yield
    except FileNotFoundError:
        raise BackupError(E_NO_ARCHIVE.format(file=source)) from None
    except EOFError:
        raise BackupError(E_TRUNCATED.format(file=source)) from None
    except tarfile.ReadError as exc:
        if "unexpected end" in str(exc) or "empty file" in str(exc):
            raise BackupError(E_TRUNCATED.format(file=source)) from None
        raise BackupError(E_DAMAGED.format(file=source, error=exc)) from None
    except (gzip.BadGzipFile, zlib.error, tarfile.TarError) as exc:
        raise BackupError(E_DAMAGED.format(file=source, error=exc)) from None
    except IsADirectoryError:
        raise BackupError(E_DAMAGED.format(file=source, error="đây là một thư mục")) from None
    except PermissionError as exc:
        raise BackupError(E_UNREADABLE.format(file=source, error=exc.strerror)) from None


def _manifest(source: Path, raw: bytes) -> dict:
    try:
        manifest = json.loads(raw)
        if not isinstance(manifest.get("tables"), dict) or manifest.get("vendor") not in ("postgresql", "sqlite"):
            raise ValueError("thiếu “tables” hoặc “vendor”")
    except (ValueError, AttributeError) as exc:
        raise BackupError(E_BAD_MANIFEST.format(file=source, error=exc)) from None
    manifest.setdefault("media", [])
    return manifest


def archive_check(source: Path, *, extract_database_to: Path | None = None) -> dict:
    """Read the whole archive (every member, to the gzip checksum at its end) and check it against its manifest;
    optionally extract the database member into a folder. Return the manifest."""
    source = Path(source)
    manifest_raw, found, dump_name = None, set(), None
    with _reading(source), tarfile.open(source, "r:gz") as archive:
        for member in archive:
            if not member.isfile():
                continue
            handle = archive.extractfile(member)
            if member.name == MANIFEST:
                manifest_raw = handle.read()
            elif member.name in (PG_DUMP, SQLITE_COPY):
                dump_name = member.name
                if extract_database_to is not None:
                    with open(extract_database_to / member.name, "wb") as out:
                        shutil.copyfileobj(handle, out, CHUNK)
                else:
                    while handle.read(CHUNK):
                        pass
            else:
                while handle.read(CHUNK):
                    pass
                found.add(member.name.removeprefix("media/"))
        # tarfile stops at the end-of-archive blocks; the gzip checksum and length come after them.
        while archive.fileobj.read(CHUNK):
            pass
    if manifest_raw is None:
        raise BackupError(E_NOT_A_BACKUP.format(file=source))
    manifest = _manifest(source, manifest_raw)
    expected = PG_DUMP if manifest["vendor"] == "postgresql" else SQLITE_COPY
    if dump_name != expected:
        raise BackupError(E_NO_DUMP.format(file=source, name=expected))
    missing = [name for name in manifest["media"] if name not in found]
    if missing:
        raise BackupError(E_MEDIA_MISSING.format(file=source, count=len(missing), name=missing[0]))
    return manifest


def _database_is_empty() -> int:
    tables = [t for t in connection.introspection.table_names() if t != "django_migrations"]
    return 0 if not tables else len(tables)


def backup_restore(source: Path) -> dict:
    """Put the archive back into this (empty) database and (empty) storage; return its manifest."""
    source = Path(source)
    storage = storages["default"]
    manifest = archive_check(source)  # a truncated or damaged archive is refused before anything is written
    if manifest["vendor"] != connection.vendor:
        raise BackupError(E_OTHER_DATABASE.format(found=manifest["vendor"], here=connection.vendor))
    tables = _database_is_empty()
    if tables:
        raise BackupError(E_NOT_EMPTY_DATABASE.format(tables=tables))
    folders, files = _listdir(storage, "")
    if folders or files:
        raise BackupError(E_NOT_EMPTY_MEDIA.format(folder=_storage_label(storage)))
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        with _reading(source), tarfile.open(source, "r:gz") as archive:
            archive.extractall(work, filter="data")
        if connection.vendor == "postgresql":
            _pg_restore(work / PG_DUMP, connection.settings_dict["NAME"])
        else:
            connection.close()
            shutil.copyfile(work / SQLITE_COPY, connection.settings_dict["NAME"])
        _restore_files(storage, work / "media")
    connection.close()
    _verify(manifest, _counts(), installed_triggers())
    # The public pages cached and prerendered from the database before this one were kept under the current
    # generation, which lives outside the database (Redis, or a folder): a new one, or they are served still.
    public_changed()
    return manifest


def _pg_restore(dump: Path, database: str) -> None:
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={database}", str(dump)])


def _restore_files(storage, folder: Path) -> None:
    """Save every file extracted into `folder` under its own name (the name the database refers to)."""
    if not folder.is_dir():
        return
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        with path.open("rb") as handle:
            saved = storage.save(name, File(handle, name=name))
        if saved != name:
            raise BackupError(E_MEDIA_RENAMED.format(name=name, saved=saved))


def _verify(manifest: dict, counts: dict[str, int], triggers: list[str]) -> None:
    wrong = [f"{t} ({n} ≠ {counts.get(t)})" for t, n in manifest["tables"].items() if counts.get(t) != n]
    if wrong:
        raise BackupError(E_COUNTS.format(tables=", ".join(wrong)))
    missing = sorted(set(locks.trigger_names(manifest["vendor"])) - set(triggers))
    if missing:
        raise BackupError(E_TRIGGERS.format(names=", ".join(missing)))


TRIGGERS_SQL = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'cchc_lock%'",
    "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'cchc_lock%'",
}


def installed_triggers() -> list[str]:
    """The lock triggers the database holds now."""
    if connection.vendor not in TRIGGERS_SQL:
        return []
    with connection.cursor() as cursor:
        cursor.execute(TRIGGERS_SQL[connection.vendor])
        return [name for (name,) in cursor.fetchall()]


def backup_latest(folder: Path, *, max_age_hours: float | None = None) -> Path:
    """The newest archive in `folder`; refused when there is none, or when it is older than `max_age_hours`."""
    folder = Path(folder)
    archives = sorted(folder.glob(ARCHIVE_PATTERN), key=lambda path: path.stat().st_mtime)
    if not archives:
        raise BackupError(E_NO_BACKUPS.format(pattern=ARCHIVE_PATTERN, folder=folder))
    latest = archives[-1]
    hours = (datetime.now().timestamp() - latest.stat().st_mtime) / 3600
    if max_age_hours is not None and hours > max_age_hours:
        raise BackupError(E_STALE.format(file=latest, hours=int(hours), limit=max_age_hours))
    return latest


def backup_verify(source: Path) -> dict:
    """Prove that the archive restores: read it whole, restore its database into a scratch database, compare the
    row counts and the lock triggers with its manifest. Return the manifest."""
    source = Path(source)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        manifest = archive_check(source, extract_database_to=work)
        if manifest["vendor"] != connection.vendor:
            raise BackupError(E_OTHER_DATABASE.format(found=manifest["vendor"], here=connection.vendor))
        tables = list(manifest["tables"])
        if manifest["vendor"] == "sqlite":
            copy = sqlite3.connect(work / SQLITE_COPY)
            try:
                present = {name for (name,) in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                counts = _count(copy.cursor(), tables, _sqlite_quote, present)
                triggers = [name for (name,) in copy.execute(TRIGGERS_SQL["sqlite"])]
            except sqlite3.DatabaseError as exc:
                raise BackupError(E_DAMAGED.format(file=source, error=exc)) from None
            finally:
                copy.close()
        else:
            counts, triggers = _pg_scratch_counts(work / PG_DUMP, tables)
    _verify(manifest, counts, triggers)
    return manifest


def _pg_scratch_counts(dump: Path, tables: list[str]) -> tuple[dict[str, int], list[str]]:
    """Restore the dump into a database made for the check (dropped afterwards); its row counts and triggers."""
    scratch = f"{connection.settings_dict['NAME']}_kiemtra_{uuid.uuid4().hex[:8]}"
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {quote(scratch)}")
    try:
        _pg_restore(dump, scratch)
        raw = connection.get_new_connection({**connection.get_connection_params(), "dbname": scratch})
        try:
            with raw.cursor() as cursor:
                cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                counts = _count(cursor, tables, quote, {name for (name,) in cursor.fetchall()})
                cursor.execute(TRIGGERS_SQL["postgresql"])
                triggers = [name for (name,) in cursor.fetchall()]
        finally:
            raw.close()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(scratch)} WITH (FORCE)")
    return counts, triggers
