"""A timestamp the database holds but Python cannot show must not take a page down.

PostgreSQL keeps timestamps from 4713 BC to 294276 AD; Python's datetime goes from year 1 to
9999, and a value near either end overflows when converted to Lima time for display. psycopg
raises on the first kind ("timestamp too small") and Django's templates on the second, so one
such value, written before the services checked their dates, made every page that read its
row answer 500. Each new connection reads timestamptz through SafeTimestamptzLoader, which
gives None for those values (pages show "—"), and logs it. Migration
customers/0017_repair_registry_dates repairs the values themselves.
"""

import logging
from datetime import UTC, datetime

from django.db.backends.signals import connection_created

logger = logging.getLogger(__name__)

# Any instant between these converts to any time zone (±14 h) without overflow. The upper end
# lets django-tasks-db's "no run_after" (9999-01-01 UTC, on every task the worker reads) through
# as itself, instead of a warning in the log for each task.
READABLE_FROM = datetime(2, 1, 1, tzinfo=UTC)
READABLE_TO = datetime(9999, 12, 31, tzinfo=UTC)
_from_iso = datetime.fromisoformat


def _safe_loader(base):
    class SafeTimestamptzLoader(base):
        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            # The usual set-up (Django's: the connection in UTC, values with UTC as their tzinfo):
            # a text at offset +00 then loads as datetime.fromisoformat reads it — the same
            # instant, wall clock and tzinfo as base.load's (psycopg's Python parse, moved to the
            # connection's zone, then Django's tzinfo set), in C: a matched customer's times,
            # an import's tens of thousands, no longer cost a Python parse each.
            zone = self.connection.info.timezone if self.connection is not None else None
            self._utc = getattr(self, "timezone", None) is UTC and (zone is UTC or getattr(zone, "key", "") == "UTC")

        def load(self, data):
            if self._utc and data[-3:] == b"+00":
                try:
                    value = _from_iso(str(data, "ascii"))
                except ValueError:  # a year past 9999, BC, infinity: base.load says what it is
                    pass
                else:
                    if READABLE_FROM <= value <= READABLE_TO:
                        return value
            try:
                value = super().load(data)
            except Exception as exc:  # psycopg.DataError: too small, too large, infinity
                logger.warning("Fecha ilegible en la base de datos (%s): se muestra vacía", exc)
                return None
            if value is not None and value.tzinfo is not None and not READABLE_FROM <= value <= READABLE_TO:
                logger.warning("Fecha fuera de rango en la base de datos (%s): se muestra vacía", value.isoformat())
                return None
            return value

    return SafeTimestamptzLoader


def _install(sender, connection, **kwargs):
    if connection.vendor != "postgresql":
        return
    from psycopg.pq import Format

    adapters = connection.connection.adapters
    current = adapters.get_loader(adapters.types["timestamptz"].oid, Format.TEXT)
    if current is None or getattr(current, "_safe", False):
        return
    loader = _safe_loader(current)
    loader._safe = True
    adapters.register_loader("timestamptz", loader)


def install() -> None:
    connection_created.connect(_install, dispatch_uid="config.dbtypes.safe_timestamps")
