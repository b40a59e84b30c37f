"""A large confirmed import written in several connections that commit as one (two-phase commit).

PostgreSQL runs each statement in one process: the import's UPDATE of 50,000 customers is one
core's work however many cores the server has (each updated row inserts into every index of
the customers table). Split by customer (customers.import_staging.Part: no two parts write the
same customer, phone, e-mail, address, contact or note), the parts run in their own
connections at once, and each ends in ``PREPARE TRANSACTION``: its work is done, checked and
kept on disk, its locks held, nothing visible yet. Only when every part is prepared does the
caller record its decision on the job (ImportJob.commit_decided, committed) and then
``COMMIT PREPARED`` each part; any failure before that rolls every part back.

A worker killed at any point leaves no half import: a part not yet prepared dies with its
connection; prepared parts wait, holding their locks, until ``resolve`` finds them by their
name (``gid``) — committed when the decision was recorded, rolled back otherwise.
customers.importing calls it when the job is looked at (reap_if_dead, its retry) and at the
start of every confirmed import, for jobs no process works on.

A prepared part keeps its locks, and PostgreSQL's deadlock detector does not see a part that
waits for a sibling the coordinator (Python) waits for: the parts never touch the same rows, and
a ``lock_timeout`` ends any wait that still happens (another process's lock, a leftover of a
killed worker) as a clean failure instead of a hang.

Needs ``max_prepared_transactions`` > 0 on the server (the embedded one: config/embedded.py);
with 0, customers.importing keeps to one connection.
"""

import re
import threading
from collections.abc import Callable

from django.db import DatabaseError, connection, transaction

from customers.import_staging import Part

PREFIX = "clientes-import-"
# How long a part waits for a row lock before the import fails cleanly (see the docstring).
LOCK_TIMEOUT_MS = 30_000
_GID = re.compile(rf"{PREFIX}(\d+)-(\d+)@")


class PartsUnavailable(Exception):
    """The server can't prepare that many transactions now: write in one connection instead."""


def limit_lock_waits() -> None:
    """Inside the import's transaction: a row lock waited for longer than LOCK_TIMEOUT_MS fails
    the import (nothing written, customers.importing.LOCKED_MESSAGE) instead of waiting forever."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = {int(LOCK_TIMEOUT_MS)}")


def free_slots() -> int:
    """How many more transactions the server can hold prepared (0: max_prepared_transactions is 0)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_prepared_transactions')::int - (SELECT count(*) FROM pg_prepared_xacts)"
        )
        (free,) = cursor.fetchone()
    return max(free, 0)


def gid(job_id: int, index: int) -> str:
    """The prepared part's name: unique in the server (its databases share one list)."""
    return f"{PREFIX}{int(job_id)}-{int(index)}@{connection.settings_dict['NAME']}"


def leftovers(job_id: int | None = None) -> dict[int, list[str]]:
    """{job id: [gid, …]} of the parts prepared in this database and not yet resolved."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND gid LIKE %s ORDER BY gid",
            [f"{PREFIX}{'' if job_id is None else f'{int(job_id)}-'}%"],
        )
        found = {}
        for (name,) in cursor.fetchall():
            match = _GID.match(name)
            if match:
                found.setdefault(int(match.group(1)), []).append(name)
    return found


def _literal(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def finish(gids: list[str], *, commit: bool) -> None:
    """COMMIT PREPARED (or ROLLBACK PREPARED) each of ``gids`` still prepared. Outside any
    transaction (PostgreSQL refuses it inside one)."""
    verb = "COMMIT" if commit else "ROLLBACK"
    with connection.cursor() as cursor:
        cursor.execute("SELECT gid FROM pg_prepared_xacts WHERE gid = ANY(%s)", [list(gids)])
        pending = [name for (name,) in cursor.fetchall()]
        for name in pending:
            cursor.execute(f"{verb} PREPARED {_literal(name)}")


def prepare(job_id: int, count: int, work: Callable[[Part], object]) -> tuple[list, list[str]]:
    """Run ``work(part)`` for each of ``count`` parts at once, each in a thread with its own
    connection and transaction, and PREPARE each. Returns the results, in part order, and the
    prepared gids. If any part fails, every part is rolled back (prepared or not) and the first
    failure is raised (PartsUnavailable when the server had no room to prepare)."""
    results: list = [None] * count
    failures: list = [None] * count
    names = [gid(job_id, index) for index in range(count)]
    prepared = [False] * count

    def run(index: int) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                limit_lock_waits()
                results[index] = work(Part(index, count))
                if connection.run_on_commit:  # they would run at PREPARE, before the parts commit
                    raise RuntimeError("an import part registered on_commit callbacks")
                cursor.execute(f"PREPARE TRANSACTION {_literal(names[index])}")
            prepared[index] = True
        except BaseException as exc:  # noqa: BLE001 - handed to the coordinating thread
            failures[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,), name=f"import-part-{index}") for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failed = [exc for exc in failures if exc is not None]
    if failed:
        finish([name for name, done in zip(names, prepared, strict=True) if done], commit=False)
        for exc in failed:
            # 53400: max_prepared_transactions reached by other imports meanwhile.
            if isinstance(exc, DatabaseError) and getattr(exc.__cause__, "sqlstate", None) == "53400":
                raise PartsUnavailable from exc
        raise failed[0]
    return results, names
