"""CPU time and database round trips of one customer-list request, in-process.

    .venv/bin/python bench/list_cpu.py --database-url postgres://postgres@/DB?host=SOCKET_DIR
    .venv/bin/python bench/list_cpu.py --database-url … --tree /tmp/other-checkout   # another version's code
    .venv/bin/python bench/list_cpu.py --database-url … --profile 40                 # cProfile, top 40
    .venv/bin/python bench/list_cpu.py --database-url … --html /tmp/pages            # save the answers
    .venv/bin/python bench/list_cpu.py --database-url … --busy 2                     # both cores kept busy

It asks Django's test client (as bench/importing.py's list probe does, no HTTP server) for the
list requests of that probe — page 1, a search, a filter — each as the whole page and as the
htmx partial the search box and the filters fetch, signed in as a user of the role given (by
default Administrador: every button and menu). Each URL gets untimed warm-up requests, then
--repeat timed ones; it prints per URL the median process CPU time per request (this
process's Python: middleware, view, templates, the test client; PostgreSQL's work is not in it),
the median wall time, the median time waiting for the database, the number of SQL
statements (django.test.utils.CaptureQueriesContext) and of round trips to the server (each
time psycopg waits for it: also the connection's health check, BEGIN and COMMIT, the FETCH
and CLOSE of a server-side cursor, and one for several statements sent together).

The database is only read, apart from the bench login: the user `bench-list-cpu-<role>` (made
once, in that role's group) and its session row (made at the start, deleted at the end).
--tree runs the code of another checkout (e.g. `git archive main | tar -x -C /tmp/main`)
with this script, so two versions are measured the same way against the same database.
--busy N keeps N processes spinning on the CPU meanwhile (at the same priority: as a bulk
import's worker and PostgreSQL keep the 2 cores busy, without writing anything) and adds the
p50 and p95 wall time per URL: each round trip then waits for a core.
"""

import argparse
import cProfile
import io
import multiprocessing
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

URLS = ("/clientes/", "/clientes/?q=comercial", "/clientes/?tipo=persona")
ROLES = {"administrador": "Administrador", "ventas": "Ventas", "creditos": "Créditos", "consulta": "Consulta"}
# The masked CSRF token differs on every answer: out of the saved pages, so two versions compare.
_CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="base ya sembrada")
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent, help="código medido")
    parser.add_argument("--repeat", type=int, default=30, help="peticiones medidas por dirección")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--role", choices=ROLES, default="administrador")
    parser.add_argument("--profile", type=int, metavar="N", help="perfil (cProfile) de todas las peticiones, N filas")
    parser.add_argument("--html", type=Path, help="guardar cada respuesta en esta carpeta")
    parser.add_argument("--sql", action="store_true", help="mostrar las sentencias de cada dirección")
    parser.add_argument("--trace", action="store_true", help="mostrar los mensajes a PostgreSQL de cada petición")
    parser.add_argument("--busy", type=int, default=0, metavar="N", help="N procesos que ocupan la CPU mientras tanto")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url (o DATABASE_URL) es obligatorio")
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(args.tree.resolve()))
    os.chdir(args.tree)
    import django

    django.setup()
    busy = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.busy)]
    for process in busy:
        process.start()
    try:
        return _measure(args)
    finally:
        for process in busy:
            process.terminate()
            process.join()


def _spin() -> None:
    while True:
        pass


def _measure(args) -> int:
    # Last: bench/ holds credit.py, attributes.py… named as the project's apps.
    sys.path.append(str(Path(__file__).resolve().parent))
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from importing import DatabaseTimer  # bench/importing.py: its list probe times the same way
    from psycopg import pq

    trace = tempfile.TemporaryFile()  # noqa: SIM115  (open while the connection writes to it)
    traced = [None]

    def start_trips() -> None:
        """libpq's protocol trace of the connection, from here on (a new connection: traced too)."""
        connection.ensure_connection()
        pgconn = connection.connection.pgconn
        if traced[0] is not pgconn:
            pgconn.trace(trace.fileno())
            pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
            traced[0] = pgconn
        trace.seek(0, os.SEEK_END)

    def trips_since(start: int) -> int | None:
        """Round trips since offset `start` of the trace. None when the connection was
        replaced meanwhile (health check, age): that request is not counted."""
        if connection.connection is None or connection.connection.pgconn is not traced[0]:
            return None
        trace.seek(start)
        lines = trace.read().decode().splitlines()
        if args.trace:
            print("\n".join(f"      {line[:150]}" for line in lines if line.startswith("F\t")))
        # A round trip: messages sent, then the client waits for the answer (a run of F lines
        # followed by B lines). Several statements sent together (psycopg's pipeline) are one.
        sides = [line[:1] for line in lines if line[:1] in ("F", "B")]
        return sum(1 for sent, answered in zip(sides, sides[1:], strict=False) if sent == "F" and answered == "B")

    user, _ = get_user_model().objects.get_or_create(username=f"bench-list-cpu-{args.role}")
    if not user.groups.filter(name=ROLES[args.role]).exists():
        user.set_unusable_password()
        user.save()
        user.groups.set([Group.objects.get(name=ROLES[args.role])])
    # A session as a sign-in leaves it, without login()'s writes (last_login, django-axes' log).
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    client = Client(HTTP_HOST="localhost")
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    timed = DatabaseTimer()

    profiler = cProfile.Profile() if args.profile else None
    if args.html:
        args.html.mkdir(parents=True, exist_ok=True)
    print(f"Código: {args.tree.resolve()} · rol {ROLES[args.role]} · {args.repeat} peticiones por dirección")
    header = ("dirección", "forma", "CPU ms", "reloj ms", "BD ms", "consultas", "viajes", "bytes", "reloj p95")
    print("{:<34} {:<7} {:>7} {:>9} {:>6} {:>9} {:>6} {:>7} {:>9}".format(*header), flush=True)
    totals = {"cpu": [], "queries": [], "trips": [], "wall": []}
    try:
        for url in URLS:
            for form, headers in (("página", {}), ("htmx", {"HTTP_HX_REQUEST": "true"})):
                for _ in range(args.warmup):
                    response = client.get(url, **headers)
                    assert response.status_code == 200, (url, response.status_code)
                cpu, wall, sql, trip_counts = [], [], [], []
                for _ in range(args.repeat):
                    timed.seconds = 0.0
                    start_trips()
                    start = trace.tell()
                    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timed):
                        if profiler:
                            profiler.enable()
                        cpu_began, wall_began = time.process_time(), time.perf_counter()
                        response = client.get(url, **headers)
                        cpu.append((time.process_time() - cpu_began) * 1000)
                        wall.append((time.perf_counter() - wall_began) * 1000)
                        if profiler:
                            profiler.disable()
                    sql.append(timed.seconds * 1000)
                    trips = trips_since(start)
                    if trips is not None:
                        trip_counts.append(trips)
                count = len(captured.captured_queries)
                print(
                    f"{url:<34} {form:<7} {statistics.median(cpu):>7.1f} {statistics.median(wall):>9.1f} "
                    f"{statistics.median(sql):>6.1f} {count:>9} {statistics.median(trip_counts):>6.0f} "
                    f"{len(response.content):>7,} {_p95(wall):>9.1f}",
                    flush=True,
                )
                totals["cpu"].append(statistics.median(cpu))
                totals["queries"].append(count)
                totals["trips"].append(statistics.median(trip_counts))
                totals["wall"].extend(wall)
                if args.sql:
                    for query in captured.captured_queries:
                        print(f"    {query['sql'][:220]}")
                if args.html:
                    name = re.sub(r"\W+", "_", url.strip("/")) + f"_{form}.html"
                    (args.html / name).write_text(_CSRF.sub(r"\1…", response.content.decode()))
    finally:
        session.delete()
    print(
        f"{'media de las medianas':<42} {statistics.fmean(totals['cpu']):>7.1f} {'':>9} {'':>6} "
        f"{statistics.fmean(totals['queries']):>9.1f} {statistics.fmean(totals['trips']):>6.1f}"
    )
    wall = totals["wall"]
    print(f"todas las peticiones: reloj p50 {statistics.median(wall):.1f} ms, p95 {_p95(wall):.1f} ms")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.profile)
        out.write("\n--- tottime ---\n")
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.profile)
        print(out.getvalue())
    return 0


def _p95(values: list) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


if __name__ == "__main__":
    sys.exit(main())
