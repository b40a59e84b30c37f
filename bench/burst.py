"""A burst on `manage.py run`: C clients at once (default 50) for S seconds (default 60).

    .venv/bin/python bench/burst.py                          # data in .local/bench (as list_http.py)
    .venv/bin/python bench/burst.py --data-dir /work/benchdata --clients 50 --seconds 60 --save burst.json
    .venv/bin/python bench/burst.py --dev-server             # Django's development server instead

Each client signs in through the login form (its own session), then loops: the list (a search
or a filter), a customer's summary, and a save (a note on that customer, posted as htmx does),
until the time is up. Meanwhile the PostgreSQL connections of the web server are counted every
half second (pg_stat_activity, application_name "clientes-web", which `run` gives them). It
prints requests, errors (any answer other than 200, or a failed connection) and p50/p95/max per
kind, the most connections seen, and the connections left a few seconds after the burst,
which must be no more than the web server's threads. See bench/README.md.
"""

import argparse
import json
import os
import random
import re
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from list_http import PASSWORD, USERNAME, manage_output, prepare, serving  # noqa: E402
from seed import percentile  # noqa: E402

SEARCHES = ["q=garcia", "q=sac", "q=987", "tipo=persona", "q=comercial&departamento=15", "q=xqzw", "", "page=3"]

SOCKET_AND_IDS = """
from django.db import connection
from customers.models import Customer
params = connection.get_connection_params()
top = Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
print(params.get("host") or "", top)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--customers", type=int, default=1_000_000, help="clientes en la base (se siembran si faltan)")
    parser.add_argument(
        "--data-dir", type=Path, default=ROOT / ".local" / "bench", help="CLIENTES_DATA_DIR del servidor"
    )
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--dev-server", action="store_true", help="medir el servidor de desarrollo de Django")
    parser.add_argument("--save", type=Path, help="guardar las cifras en este archivo JSON")
    args = parser.parse_args()

    env = {**os.environ, "CLIENTES_DATA_DIR": str(args.data_dir.resolve())}
    env.pop("DATABASE_URL", None)
    env.pop("DEBUG", None)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    prepare(env, customers=args.customers, seed=0)
    with serving(env, port=args.port, dev_server=args.dev_server):
        socket_dir, top = manage_output(env, "shell", "-c", SOCKET_AND_IDS).split()
        figures = burst(
            f"http://127.0.0.1:{args.port}",
            socket_dir=socket_dir,
            top=int(top),
            clients=args.clients,
            seconds=args.seconds,
        )
    report(figures)
    if args.save:
        args.save.write_text(json.dumps(figures, ensure_ascii=False, indent=1))
        print(f"Cifras guardadas en {args.save}")
    return 0 if not figures["errors"] else 1


def _count_web_connections(socket_dir: str) -> int:
    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'clientes-web'").fetchone()[
            0
        ]


def burst(base: str, *, socket_dir: str, top: int, clients: int, seconds: float) -> dict:
    times: dict[str, list[float]] = {"ingreso": [], "lista": [], "resumen": [], "nota": []}
    errors: list[str] = []
    lock = threading.Lock()
    connections_seen: list[int] = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            connections_seen.append(_count_web_connections(socket_dir))
            time.sleep(0.5)

    def timed(kind, call):
        start = time.perf_counter()
        try:
            response = call()
        except requests.RequestException as exc:
            with lock:
                errors.append(f"{kind}: {exc.__class__.__name__}")
            return None
        elapsed = (time.perf_counter() - start) * 1000
        with lock:
            if response.status_code != 200:
                errors.append(f"{kind}: {response.status_code}")
            else:
                times[kind].append(elapsed)
        return response

    def client(number: int):
        rng = random.Random(number)
        session = requests.Session()
        login = timed("ingreso", lambda: _sign_in(session, base))
        if login is None or login.status_code != 200:
            return
        token = session.cookies.get("csrftoken")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            query = rng.choice(SEARCHES)
            timed("lista", lambda q=query: session.get(f"{base}/clientes/?{q}", timeout=60))
            pk = rng.randint(1, max(1, top))
            summary = timed("resumen", lambda pk=pk: session.get(f"{base}/clientes/{pk}/", timeout=60))
            if summary is None or summary.status_code != 200:
                continue  # a customer id that does not exist (404) is counted as an error above
            timed(
                "nota",
                lambda pk=pk: session.post(
                    f"{base}/clientes/{pk}/notas/nueva/",
                    data={"text": f"Nota de carga {number}"},
                    headers={"X-CSRFToken": token, "HX-Request": "true", "Referer": f"{base}/clientes/{pk}/"},
                    timeout=60,
                ),
            )

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    began = time.perf_counter()
    print(f"{clients} clientes durante {seconds:.0f} s …", flush=True)
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    elapsed = time.perf_counter() - began
    stop.set()
    watcher.join()
    after = []
    for _ in range(10):  # the connections left once nobody is asking anything
        time.sleep(0.5)
        after.append(_count_web_connections(socket_dir))
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "times": times,
        "errors": errors,
        "max_connections": max(connections_seen or [0]),
        "connections_after": after[-1],
    }


def _sign_in(session: requests.Session, base: str):
    page = session.get(f"{base}/ingresar/", timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(
        f"{base}/ingresar/",
        data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/ingresar/"},
        timeout=60,
    )


def report(figures: dict) -> None:
    total = sum(len(v) for v in figures["times"].values())
    print(
        f"\n{total:,} respuestas correctas en {figures['seconds']} s ({total / figures['seconds']:.1f}/s) "
        f"con {figures['clients']} clientes; errores: {len(figures['errors'])}"
    )
    for kind, values in figures["times"].items():
        if values:
            print(
                f"  {kind:<8} n {len(values):>5}   p50 {statistics.median(values):7.1f}   "
                f"p95 {percentile(values, 0.95):7.1f}   máx {max(values):7.1f} ms"
            )
    if figures["errors"]:
        kinds: dict[str, int] = {}
        for error in figures["errors"]:
            kinds[error] = kinds.get(error, 0) + 1
        print("  errores: " + ", ".join(f"{k} × {n}" for k, n in sorted(kinds.items())))
    print(
        f"Conexiones del servidor web a PostgreSQL: máximo {figures['max_connections']} durante la ráfaga, "
        f"{figures['connections_after']} al terminar."
    )


if __name__ == "__main__":
    sys.exit(main())
