"""Reads of the padrón: the load in use, a RUC, names, the progress of a load."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from padron import schema
from padron.models import PadronLoad
from peru import lost_tasks
from peru.text import clean_spaces

SEARCH_LIMIT = 10
MIN_SEARCH = 3
# pg_locks: a session-level advisory lock held by the connection that loads (padron.services).
LOAD_LOCK = 7_420_020
# django-tasks' path of padron.tasks.load_padron (which imports padron.loading, which reads
# through this module: named, not imported).
LOAD_TASK = "padron.tasks.load_padron"


@dataclass(frozen=True)
class Taxpayer:
    ruc: str
    name: str
    status: str
    condition: str
    ubigeo: str
    street: str  # the fiscal address built from its parts, SUNAT's way

    @property
    def is_company(self) -> bool:
        return not self.ruc.startswith("10")


def current_load() -> PadronLoad | None:
    return PadronLoad.objects.filter(is_current=True).first()


def current_padron() -> tuple[date | None, datetime] | None:
    """(date of the padrón in use, when it was loaded), or None: what the lupa needs, in one
    light query (it runs on every lookup)."""
    return PadronLoad.objects.filter(is_current=True).values_list("file_date", "finished_at").first()


def recent_loads(limit: int = 10) -> list[PadronLoad]:
    """The latest loads, newest first (the padrón page's history)."""
    return list(PadronLoad.objects.select_related("created_by")[:limit])


def latest_load() -> PadronLoad | None:
    return PadronLoad.objects.select_related("created_by").first()


def load_is_running() -> bool:
    """A worker holds the load's lock right now. A load marked RUNNING while nobody holds it
    was interrupted (its worker was killed): it can be retried."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 "
            "AND objid = %s AND objsubid = 1 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
            [LOAD_LOCK],
        )
        return cursor.fetchone()[0]


def is_interrupted(load: PadronLoad) -> bool:
    """Its worker stopped (kill -9, the machine restarted) before the load ended: loading with
    nobody holding the load's lock, or queued while the task a worker took for it is over or
    lost (the worker died right after taking it, before it marked the load loading)."""
    if load.status == PadronLoad.Status.RUNNING:
        return not load_is_running()
    return load.status == PadronLoad.Status.QUEUED and _task_lost(load)


def load_tasks(load: PadronLoad):
    """The task rows (django-tasks-db) queued for ``load``: one per start or retry."""
    return DBTaskResult.objects.filter(task_path=LOAD_TASK, args_kwargs__kwargs__load_id=load.pk)


def _task_lost(load: PadronLoad) -> bool:
    """A queued load has task rows and none of them is still waiting for a worker or being run
    by a live one. No row at all (another task backend, or the moment before the enqueue
    commits) is not a loss."""
    rows = load_tasks(load)
    if not rows.exists():
        return False
    running = rows.filter(status=TaskResultStatus.RUNNING)
    if rows.filter(status=TaskResultStatus.READY).exists():
        return False
    return not running.exclude(pk__in=lost_tasks.lost(running)).exists()


def _text(value: str) -> str:
    value = clean_spaces(value)
    return "" if value in ("", "-") else value


_COLUMNS = (
    "ruc, name, status, condition, ubigeo, road_type, road_name, zone_code, zone_type, number, interior, "
    "lot, apartment, block, kilometre"
)
_SELECT = f"SELECT {_COLUMNS} FROM {schema.TABLE}"  # noqa: S608  (constants)


def _taxpayer(row) -> Taxpayer:
    (
        ruc,
        name,
        status,
        condition,
        ubigeo,
        road_type,
        road_name,
        zone_code,
        zone_type,
        number,
        interior,
        lot,
        apartment,
        block,
        kilometre,
    ) = (_text(str(v)) for v in row)
    return Taxpayer(
        ruc=f"{int(ruc):011d}",
        name=name,
        status=status.upper(),
        condition=condition.upper(),
        ubigeo=ubigeo if len(ubigeo) == 6 and ubigeo.isdigit() else "",
        street=build_street(
            road_type=road_type,
            road_name=road_name,
            number=number,
            interior=interior,
            apartment=apartment,
            block=block,
            lot=lot,
            kilometre=kilometre,
            zone_code=zone_code,
            zone_type=zone_type,
        ),
    )


def build_street(
    *, road_type, road_name, number, interior, apartment, block, lot, kilometre, zone_code, zone_type
) -> str:
    """The fiscal address as SUNAT's own consulta writes it: "AV. JAVIER PRADO ESTE NRO. 4200
    INT. 301 URB. SANTA CATALINA", the parts that are empty left out."""
    parts = [
        f"{road_type} {road_name}".strip(),
        f"NRO. {number}" if number else "",
        f"INT. {interior}" if interior else "",
        f"DPTO. {apartment}" if apartment else "",
        f"MZA. {block}" if block else "",
        f"LOTE. {lot}" if lot else "",
        f"KM. {kilometre}" if kilometre else "",
        f"{zone_code} {zone_type}".strip(),
    ]
    return " ".join(part for part in parts if part)[:200]


def find_taxpayer(ruc: str) -> Taxpayer | None:
    """The padrón's line of a RUC (11 digits), None when it does not have it."""
    if len(ruc) != 11 or not ruc.isdigit():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"{_SELECT} WHERE ruc = %s", [int(ruc)])
        row = cursor.fetchone()
    return _taxpayer(row) if row else None


def find_in_current_padron(ruc: str) -> tuple[date | None, datetime, Taxpayer | None] | None:
    """(padrón's date, when it was loaded, the RUC's line or None) in one round trip — the
    lupa's question; None when no padrón is loaded."""
    if len(ruc) != 11 or not ruc.isdigit():
        return None
    columns = ", ".join(f"t.{column.strip()}" for column in _COLUMNS.split(","))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT l.file_date, l.finished_at, {columns} FROM {PadronLoad._meta.db_table} l "  # noqa: S608
            f"LEFT JOIN {schema.TABLE} t ON t.ruc = %s WHERE l.is_current",
            [int(ruc)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    file_date, loaded_at, *taxpayer = row
    return file_date, loaded_at, (_taxpayer(taxpayer) if taxpayer[0] is not None else None)


def search_key(text: str) -> str:
    """What the user typed, folded the way padron_taxpayer's name index is (schema.NAME_KEY_SQL
    folds in SQL; this does the same in Python for the length checks)."""
    return clean_spaces(text).lower()


def search_taxpayers(text: str, *, limit: int = SEARCH_LIMIT) -> list[Taxpayer]:
    """Taxpayers whose name starts with ``text`` (accents and case ignored), in name order.
    Starts with, not contains: the padrón holds about 17 million names; a prefix is a range of
    the name's btree, read in order and left after ``limit`` entries whatever is typed (a
    trigram index for "contains" would take minutes to build at each load and gigabytes).
    Persons are listed surname first (QUISPE MAMANI ROSA), so a surname finds them too."""
    text = search_key(text)
    if len(text) < MIN_SEARCH:
        return []
    key = schema.NAME_KEY_SQL.format(column="name")
    typed = schema.NAME_KEY_SQL.format(column="%s")
    # LIKE 'prefix%' on the "C"-collated key: the typed text goes through the same SQL
    # expression (a constant, folded at planning), which the planner turns into an index range.
    pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with connection.cursor() as cursor:
        cursor.execute(
            f"{_SELECT} WHERE {key} LIKE {typed} ORDER BY {key} LIMIT %s",
            [pattern, limit],
        )
        return [_taxpayer(row) for row in cursor.fetchall()]
