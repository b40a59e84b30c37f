"""Helpers for tests that race two database sessions on real PostgreSQL (transactional tests).

They synchronise on what PostgreSQL reports, never on a guessed delay: `release_when_blocked`
lets a held transaction go on only once the other session is really waiting for its lock.

    pid = backend_pid()                      # this thread's session
    watcher = release_when_blocked(pid, release)  # another thread sets `release` once pid waits
    update_customer(...)                     # blocks on the lock, then proceeds
    watcher.join(); assert watcher.saw_wait

`uncommitted(work)` runs `work()` in another thread's session and keeps its transaction open
(written, not committed) until the with-block ends or `held.release` is set:

    with uncommitted(lambda: trash_customer(...)) as held:   # the other session's write
        watcher = release_when_blocked(backend_pid(), held.release)
        update_customer(...)                                 # waits for it, then reads it
"""

import contextlib
import threading
import time

from django.db import connection, transaction


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
                # This database's (advisory locks are per database): the application or another
                # test run on the same server holds its own.
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"
                " AND classid = ANY(%s::oid[]) AND pid <> pg_backend_pid()"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
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


class _Held:
    """The transaction `uncommitted` holds: `release` lets it commit, `result` is what its
    work returned, `failures` what it raised."""

    def __init__(self):
        self.release = threading.Event()
        self.result = None
        self.failures: list[BaseException] = []


@contextlib.contextmanager
def uncommitted(work, *, timeout: float = 20.0):
    """Run `work()` inside a transaction of another thread's database session and hold it open,
    uncommitted, while the with-block runs (or until `held.release` is set); it commits as the
    block ends. What `work()` raised fails the test rather than dying in the thread.
    Needs a transactional test: the other session sees only committed rows."""
    held = _Held()
    written = threading.Event()

    def hold():
        try:
            with transaction.atomic():
                held.result = work()
                written.set()
                held.release.wait(timeout=timeout)
        except Exception as exc:  # reported below, not lost in the thread
            held.failures.append(exc)
        finally:
            written.set()
            connection.close()

    worker = threading.Thread(target=hold, daemon=True)
    worker.start()
    assert written.wait(timeout=timeout), "the other session never wrote"
    if held.failures:  # work() failed: nothing is held, so the block would test nothing
        worker.join(timeout=timeout)
        raise AssertionError(held.failures)
    try:
        yield held
    finally:
        held.release.set()
        worker.join(timeout=timeout)
    assert not worker.is_alive(), "the other session never committed"
    assert not held.failures, held.failures
