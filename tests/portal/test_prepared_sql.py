"""core.sql (issue 14): a statement is prepared once per PostgreSQL connection, then only executed; elsewhere it
runs as it is. Either way it answers the same."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import sql

pytestmark = pytest.mark.django_db

STATEMENT = "SELECT CAST(%(a)s AS integer) + CAST(%(b)s AS integer), CAST(%(a)s AS integer) * 2"


def _run(a: int, b: int):
    with connection.cursor() as cursor:
        sql.execute(cursor, name="test_sum", sql=STATEMENT, params={"a": a, "b": b})
        return cursor.fetchone()


def test_the_statement_answers_as_written_and_is_prepared_once_per_connection():
    with CaptureQueriesContext(connection) as first:
        assert tuple(_run(2, 3)) == (5, 4)
    with CaptureQueriesContext(connection) as second:
        assert tuple(_run(10, 1)) == (11, 20)
    if connection.vendor == "postgresql":
        assert [q["sql"].split()[0] for q in first.captured_queries] in (["PREPARE", "EXECUTE"], ["EXECUTE"])
        assert [q["sql"].split()[0] for q in second.captured_queries] == ["EXECUTE"]
    else:
        assert len(first.captured_queries) == len(second.captured_queries) == 1


def test_placeholders_become_numbered_in_order_of_first_use():
    assert sql._positional("a = %(x)s AND b = %(y)s OR c = %(x)s") == ("a = $1 AND b = $2 OR c = $1", ["x", "y"])
