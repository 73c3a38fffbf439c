"""Plain SQL statements that PostgreSQL parses and plans once per connection (issue 14).

The 09:00 click's one statement cost PostgreSQL more to plan than to run (bench/README.md); ``execute`` sends it
as ``PREPARE`` the first time a connection sees it and as ``EXECUTE`` after that. A prepared statement belongs to
the database session, survives a rolled-back transaction and goes with the connection, so the set of prepared
names is kept per connection object (weakly: a closed connection forgets its own). Other databases get the
statement as it is (Python's sqlite3 keeps its own cache of prepared statements). Not for a connection pooler in
transaction mode (PgBouncer), where a session's prepared statements are not the next transaction's.
"""

import re
import weakref
import zlib

from django.db import connection

_PARAM = re.compile(r"%\((\w+)\)s")
# Per process: the statements prepared on each PostgreSQL connection, which is this process's by nature.
_prepared: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()


def _positional(sql: str) -> tuple[str, list[str]]:
    """``%(name)s`` placeholders as ``$1``, ``$2``… in order of first use, and the names in that order."""
    names: list[str] = []

    def number(match: re.Match) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _PARAM.sub(number, sql), names


def execute(cursor, *, name: str, sql: str, params: dict) -> None:
    """``cursor.execute(sql, params)``, prepared once per PostgreSQL connection under ``name`` (+ the text's CRC)."""
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    statement = f"{name}_{zlib.crc32(sql.encode()):08x}"
    raw = connection.connection
    names = _prepared.setdefault(raw, set())
    positional, order = _positional(sql)
    if statement not in names:
        cursor.execute(f"PREPARE {statement} AS {positional}")
        names.add(statement)
    cursor.execute(f"EXECUTE {statement} ({', '.join(f'%({n})s' for n in order)})", params)
