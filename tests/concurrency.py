"""Helpers for tests that race two database sessions on real PostgreSQL (transactional tests).

They synchronise on what PostgreSQL reports, never on a guessed delay: `release_when_blocked`
lets a held transaction go on only once the other session is really waiting for its lock.

    pid = backend_pid()                      # this thread's session
    watcher = release_when_blocked(pid, release)  # another thread sets `release` once pid waits
    update_customer(...)                     # blocks on the lock, then proceeds
    watcher.join(); assert watcher.saw_wait
"""

import threading
import time

from django.db import connection


def backend_pid() -> int:
    """The PostgreSQL process id of this thread's database session."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def wait_until_blocked(pid: int, *, give_up_after: float = 15.0) -> bool:
    """Poll, from this thread's own session, until session `pid` waits for a lock.

    Returns False if it never did (the caller's assertion then says so) instead of hanging.
    Each poll is its own statement in autocommit, so each sees fresh activity data.
    """
    deadline = time.monotonic() + give_up_after
    try:
        while time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
                row = cursor.fetchone()
            if row and row[0] == "Lock":
                return True
            time.sleep(0.005)
        return False
    finally:
        connection.close()


def wait_until_released(*classids: int, give_up_after: float = 30.0) -> bool:
    """Poll until no other session holds a two-key advisory lock of the namespaces `classids`.

    A session whose client hung up (close()) or was killed (kill -9) keeps its session locks
    until PostgreSQL has ended it, on the server's own time: right after a close() a third of
    the tries still found the lock held, on an idle machine. Returns False if they never went.
    """
    deadline = time.monotonic() + give_up_after
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"
                " AND classid = ANY(%s::oid[]) AND pid <> pg_backend_pid()",
                [list(classids)],
            )
            if cursor.fetchone()[0] == 0:
                return True
        time.sleep(0.01)
    return False


class _Watcher(threading.Thread):
    saw_wait = False


def release_when_blocked(pid: int, event: threading.Event) -> _Watcher:
    """Start a thread that sets `event` once session `pid` is waiting for a lock (or gives up).

    `watcher.saw_wait` tells afterwards whether the wait was seen."""

    def run():
        watcher.saw_wait = wait_until_blocked(pid)
        event.set()

    watcher = _Watcher(target=run, daemon=True)
    watcher.start()
    return watcher
