"""Statements PostgreSQL parses and plans once per connection instead of on every execution.

Django binds parameters on the client (the values are written into the SQL text), so the server
parses and plans every statement it gets. For the few statements the integration API runs on
every request (the token with its permissions, the balance row's lock, the authorization's
INSERT), planning cost more than running them: `prepared_cursor()` binds on the server, and
psycopg prepares each statement on its first execution on a connection (settings:
DATABASES OPTIONS prepare_threshold, DB_PREPARED_STATEMENTS) and reuses the plan afterwards.
Everything else of a Django cursor stays: the health check, errors as Django's, the queries
counted in tests."""

from contextlib import contextmanager

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections


class _ServerBindingCursor(psycopg.Cursor):
    def _send_query_prepared(self, name, pgq, **kwargs):
        # psycopg records the statement only when it sends its text; Django's query log (and
        # the tests' query counts) read it there, so keep it for prepared executions too.
        self._query = pgq
        return super()._send_query_prepared(name, pgq, **kwargs)


@contextmanager
def prepared_cursor(using: str = DEFAULT_DB_ALIAS):
    """A Django cursor (with cursor.execute/fetch*) whose statements are bound on the server.
    Placeholders as in any Django cursor (%s or %(name)s); every placeholder must stand where
    PostgreSQL can tell its type (a column compared or assigned, not a bare SELECT %s)."""
    with connections[using].cursor() as cursor:
        client_side, cursor.cursor = cursor.cursor, _ServerBindingCursor(connections[using].connection)
        try:
            yield cursor
        finally:
            cursor.cursor.close()
            cursor.cursor = client_side
