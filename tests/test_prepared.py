"""peru.prepared: statements bound on the server and prepared once per connection, still seen
by Django's query log, and still working with prepared statements turned off
(DB_PREPARED_STATEMENTS=false, for a pooler that can't keep them)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peru.prepared import prepared_cursor
from tests.factories import make_company

pytestmark = pytest.mark.django_db

STATEMENT = "SELECT id, business_name FROM customers_customer WHERE id = %(id)s"


def _prepared_names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%FROM customers_customer WHERE id = $1%"],
        )
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_is_prepared_once_and_answers_like_any_cursor():
    customer = make_company(business_name="Comercial Prepare S.A.C.")
    for _ in range(3):
        with prepared_cursor() as cursor:
            cursor.execute(STATEMENT, {"id": customer.pk})
            assert cursor.fetchone() == (customer.pk, "Comercial Prepare S.A.C.")
    assert len(_prepared_names()) == 1


def test_the_query_log_shows_the_prepared_statement():
    customer = make_company()
    with prepared_cursor() as cursor:
        cursor.execute(STATEMENT, {"id": customer.pk})  # prepared here, executed again below
    with CaptureQueriesContext(connection) as queries, prepared_cursor() as cursor:
        cursor.execute(STATEMENT, {"id": customer.pk})
    assert len(queries) == 1
    assert "FROM customers_customer WHERE id = $1" in queries[0]["sql"]


def test_with_prepared_statements_off_it_binds_on_the_server_without_preparing():
    customer = make_company()
    connection.ensure_connection()
    threshold, connection.connection.prepare_threshold = connection.connection.prepare_threshold, None
    try:
        with prepared_cursor() as cursor:
            cursor.execute(STATEMENT, {"id": customer.pk})
            assert cursor.fetchone()[0] == customer.pk
        assert _prepared_names() == []
    finally:
        connection.connection.prepare_threshold = threshold
