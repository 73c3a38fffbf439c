"""Backup and restore of a production portal (issue 12, "Recovery"): the PostgreSQL database and the stored files.

A backup is a directory ``<out>/<YYYYmmdd-HHMMSS>/`` (UTC) holding:

* ``database.dump`` — ``pg_dump -Fc`` (custom format, compressed, no owner or privileges: it restores into any
  database the restoring role owns);
* ``media.tar.gz`` — every file in the default storage (affiliation certificates and study plans, notice
  attachments), read through ``STORAGES["default"]``: the local ``MEDIA_ROOT`` or the S3-compatible bucket
  (``FILE_STORAGE=s3``) alike; lists sent to partners and staff-job uploads are bytes *in* the database, so they are
  in the dump;
* ``manifest.json`` — the inventory the restore is checked against: every table's row count, the SHA-256 of
  every stored file (``media:<name>`` on disk, ``db:<table>/<pk>/<column>`` for bytes kept in a row), the
  migrations applied, and the SHA-256 of the two archives.

The row counts are taken in the very snapshot ``pg_dump`` dumps (a REPEATABLE READ transaction exports its
snapshot and ``pg_dump --snapshot`` uses it), so a backup taken while the portal runs still matches its manifest
exactly. The files are read after that snapshot: a file uploaded in between is in the archive but not in the
manifest (harmless); one destroyed in between is missing (the manifest says so when the restore is checked).

Not in a backup, and kept elsewhere by the operator: the environment (``.env``: ``SECRET_KEY`` — sessions,
sign-in and e-mail links and the derived enrolment codes depend on it —, ``SECRET_KEY_FALLBACKS``,
``DATABASE_URL``, ``EMAIL_URL``, ``REDIS_URL``, ...). Redis holds only the broker's queue and caches: jobs and
mails live in the database and the relay hands them over again after a restore.

The restore goes into the database ``DATABASE_URL`` names and the configured default storage (``MEDIA_ROOT`` or
the bucket); it refuses a database that has tables or a storage that has files (restoring never overwrites),
creates the database with ``--create``, and ends by checking the result against the manifest (``verify``), failing
on any difference. Each archived name is checked as tarfile's "data" filter checks it (a regular file, no absolute
path, nothing outside the storage's root) before it is written, through the storage, under exactly that name.
"""

import hashlib
import io
import json
import os
import posixpath
import subprocess  # nosec B404
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.utils import timezone

from core.errors import DomainError
from core.files import STORE_ERRORS

DUMP, MEDIA, MANIFEST = "database.dump", "media.tar.gz", "manifest.json"


class BackupError(DomainError):
    """A backup or restore cannot go on (wrong database, target not empty, a tool failed, a difference)."""


@dataclass
class Comparison:
    tables: int = 0
    rows: int = 0
    files: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pg_env(alias: str = "default") -> dict[str, str]:
    """The libpq environment for the configured database (the password never appears in a command line)."""
    db = settings.DATABASES[alias]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise BackupError("Backup and restore work on PostgreSQL only (DATABASE_URL=postgres://...).")
    env = {**os.environ, "PGDATABASE": db["NAME"]}
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[name] = str(db[key])
    return env


def _run(args: list[str], **kwargs) -> None:
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)  # nosec B603
    if result.returncode != 0:
        raise BackupError(f"{args[0]} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def table_counts() -> dict[str, int]:
    """Every table of the database (the project's apps, Django's and the libraries'): name → rows."""
    counts = {}
    with connection.cursor() as cursor:
        for name in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(name)}")  # nosec B608
            counts[name] = cursor.fetchone()[0]
    return counts


def _binary_fields():
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.BinaryField):
                yield model, model_field


def stored_names(storage=None, prefix: str = "") -> list[str]:
    """Every file name in the default storage (or ``storage``), sorted; an absent MEDIA_ROOT holds none."""
    storage = storage or default_storage
    try:
        directories, files = storage.listdir(prefix)
    except FileNotFoundError:
        return []
    names = [f"{prefix}{name}" for name in files]
    for directory in directories:
        names += stored_names(storage, f"{prefix}{directory}/")
    return sorted(names)


def _sha256_stored(name: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def media_hashes() -> dict[str, str]:
    """SHA-256 of every file in the default storage, as ``media:<name>``."""
    return {f"media:{name}": _sha256_stored(name) for name in stored_names()}


def db_file_hashes() -> dict[str, str]:
    """SHA-256 of the files kept as bytes in rows (lists sent to partners, job uploads): ``db:<table>/<pk>/<column>``."""
    hashes = {}
    for model, model_field in _binary_fields():
        rows = model._base_manager.filter(**{f"{model_field.name}__isnull": False}).values_list("pk", model_field.name)
        for pk, content in rows.iterator():
            hashes[f"db:{model._meta.db_table}/{pk}/{model_field.column}"] = hashlib.sha256(bytes(content)).hexdigest()
    return hashes


def _archive_hashes(path: Path) -> dict[str, str]:
    hashes = {}
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            if member.isfile():
                content = archive.extractfile(member).read()
                hashes[f"media:{Path(member.name).as_posix().removeprefix('./')}"] = hashlib.sha256(content).hexdigest()
    return hashes


def file_hashes() -> dict[str, str]:
    """SHA-256 of every stored file, on disk and in rows."""
    return {**media_hashes(), **db_file_hashes()}


def _migrations() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [f"{app}.{name}" for app, name in cursor.fetchall()]


def backup(*, out: Path) -> Path:
    """Dump the database and archive the stored files into a new directory under ``out``; returns that directory."""
    env = pg_env()
    target = Path(out) / f"{timezone.now():%Y%m%d-%H%M%S}"  # a directory name's stamp (UTC), not a date for a person
    target.mkdir(parents=True, exist_ok=False)
    target.chmod(0o700)  # personal data: readable by the operator only
    previous_umask = os.umask(0o077)  # and each file 0600 (pg_dump, tar and the manifest), also when copied away
    try:
        _backup_into(target, env)
    finally:
        os.umask(previous_umask)
    return target


def _backup_into(target: Path, env: dict[str, str]) -> None:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        counts, migrations, db_hashes = table_counts(), _migrations(), db_file_hashes()
        _run(["pg_dump", "-Fc", "--no-owner", "--no-acl", f"--snapshot={snapshot}", "-f", str(target / DUMP)], env=env)
    archive_files(target / MEDIA)
    hashes = {**_archive_hashes(target / MEDIA), **db_hashes}  # what the archive holds, read back
    manifest = {
        "format": 1, "created_at": timezone.now().isoformat(), "database": settings.DATABASES["default"]["NAME"],
        "tables": counts, "files": hashes, "migrations": migrations,
        "archives": {DUMP: _sha256_file(target / DUMP), MEDIA: _sha256_file(target / MEDIA)},
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))


def read_manifest(source: Path) -> dict:
    path = Path(source) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path} is missing: not a backup directory.")
    try:
        manifest = json.loads(path.read_text())
        archives = {name: manifest["archives"][name] for name in (DUMP, MEDIA)}  # both, whatever the file says
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{path} is not a backup's manifest (or was edited): {exc!r} missing or unreadable.") from exc
    for name, expected in archives.items():
        if not (Path(source) / name).is_file() or _sha256_file(Path(source) / name) != expected:
            raise BackupError(f"{name} is not the file the backup wrote (SHA-256 differs): damaged or replaced.")
    return manifest


def _database_exists(env: dict[str, str], name: str) -> bool:
    import psycopg2

    params = {"dbname": "postgres", "host": env.get("PGHOST"), "port": env.get("PGPORT"), "user": env.get("PGUSER"),
              "password": env.get("PGPASSWORD")}
    conn = psycopg2.connect(**{k: v for k, v in params.items() if v})
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None
    finally:
        conn.close()


def restore(*, source: Path, create: bool = False) -> Comparison:
    """Restore ``source`` into the configured (empty) database and (empty) storage, then ``verify`` it."""
    if not hasattr(tarfile, "data_filter"):  # PEP 706, Python 3.11.4: without it a name could leave the storage's root
        raise BackupError("A restore needs Python 3.11.4 or later (tarfile's safe extraction filter).")
    manifest = read_manifest(source)
    env = pg_env()
    name = settings.DATABASES["default"]["NAME"]
    if not _database_exists(env, name):
        if not create:
            raise BackupError(f"The database {name} does not exist (create it, or pass --create).")
        _run(["createdb", "-T", "template0", name], env=env)
    connection.close()
    if table_counts():
        raise BackupError(f"The database {name} already has tables: a restore goes into an empty database only.")
    if stored_names():
        raise BackupError("The file storage is not empty: a restore goes into an empty MEDIA_ROOT or bucket only.")
    _run(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction", "-d", name,
          str(Path(source) / DUMP)], env=env)
    restore_files(Path(source) / MEDIA)
    connection.close()
    return verify(manifest=manifest)


def archive_files(archive_path: Path) -> int:
    """Every file of the default storage into a new gzip'd tar at ``archive_path``; returns how many."""
    names = stored_names()
    with tarfile.open(archive_path, "w:gz") as archive:
        for name in names:
            with default_storage.open(name, "rb") as handle:
                content = handle.read()  # one file at a time: uploads are at most a few MB
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(content), int(time.time()), 0o600
            archive.addfile(info, io.BytesIO(content))
    return len(names)


def restore_files(archive_path: Path) -> int:
    """Write every regular file of the archive into the default storage under its archived name; returns how many.

    A member that tarfile's "data" filter refuses (absolute path, ``..``, a link, a device), or whose name the storage
    would refuse, merge with another or change (``..`` inside the root, twice the same name, a file and a directory
    of one name, a backslash, a name already stored), stops the restore before anything of it is written; the storage
    itself still refuses a name it would change (it never overwrites)."""
    written = 0
    with tarfile.open(archive_path, "r:gz") as archive:
        members = [member for member in archive if not member.isdir()]
        seen: set[str] = set()
        for member in members:
            try:
                filtered = tarfile.data_filter(member, "/restore")  # what extraction would ask; no directory touched
            except tarfile.FilterError as exc:
                raise BackupError(f"The file archive holds {member.name!r}, which a restore refuses: {exc}") from exc
            if filtered.name != member.name:  # an absolute name the filter would have made relative
                raise BackupError(f"The file archive holds {member.name!r}, which a restore refuses: not relative.")
            if not member.isfile():
                raise BackupError(f"The file archive holds {member.name!r}, which is not a regular file.")
            name = _archived_name(member.name)
            if name in seen:
                raise BackupError(f"The file archive holds {name!r} twice: a restore would keep only one.")
            seen.add(name)
        _names_check(seen)
        for member in members:
            name = _archived_name(member.name)
            try:
                saved = default_storage.save(name, File(archive.extractfile(member), name=name))
            except STORE_ERRORS as exc:  # the object store gone midway: say what is left and what to do
                raise BackupError(
                    f"The storage failed on {name!r} after {written} of {len(members)} files were written ({exc}); "
                    "empty the storage (MEDIA_ROOT or the bucket) and the database, then restore again.") from exc
            if saved != name:
                raise BackupError(f"The storage stored {name!r} as {saved!r}: a restore keeps every name as it was.")
            written += 1
    return written


def _archived_name(member_name: str) -> str:
    """The storage name of an archived file: archives of earlier releases hold ``./affiliation/...``."""
    return member_name.removeprefix("./")


def _names_check(names: set[str]) -> None:
    """Refuse a name the storage would store as another (or refuse midway), and a name it already holds."""
    for name in sorted(names):
        if "\\" in name or not name or posixpath.normpath(name) != name or ".." in name.split("/"):
            raise BackupError(f"The file archive holds {name!r}, which the storage would not keep under that name.")
        parents = {"/".join(name.split("/")[:depth]) for depth in range(1, name.count("/") + 1)}
        if clash := parents & names:
            raise BackupError(f"The file archive holds {sorted(clash)[0]!r} both as a file and as a directory.")
    if taken := names & set(stored_names()):
        raise BackupError(f"The storage already holds {sorted(taken)[0]!r}: a restore keeps every name as it was "
                          "and never writes over a file.")


def verify(*, manifest: dict) -> Comparison:
    """Compare the database and the file storage with a manifest: every table's rows, every file's SHA-256."""
    result = Comparison()
    counts, hashes = table_counts(), file_hashes()
    for table in sorted(set(manifest["tables"]) | set(counts)):
        want, have = manifest["tables"].get(table), counts.get(table)
        if want != have:
            result.differences.append(f"table {table}: {want} rows in the backup, {have} restored")
    for name in sorted(set(manifest["files"]) | set(hashes)):
        want, have = manifest["files"].get(name), hashes.get(name)
        if want != have:
            state = "missing" if have is None else ("not in the backup" if want is None else "SHA-256 differs")
            result.differences.append(f"file {name}: {state}")
    result.tables, result.rows, result.files = len(counts), sum(counts.values()), len(hashes)
    return result


def elapsed(since: float) -> str:
    return f"{time.monotonic() - since:.1f}"
