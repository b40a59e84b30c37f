"""Benchmark of the integration API over HTTP through gunicorn (the README's production
server) on 127.0.0.1: customer search at N customers (default 1,000,000), p50/p95, with one
client and with 8 concurrent clients; and credit authorizations per second with 8 concurrent
clients, spread over 1,000 customers and all on one customer, p50/p95 and the proof that no
cupo was exceeded.

    .venv/bin/python bench/api.py [N] [--requests R] [--keep] [--only search|authorizations]
    .venv/bin/python bench/api.py --database-url postgres://…   # reuse a seeded database

It creates a throwaway database (as bench/seed.py does), seeds it with manage.py
seed_customers, creates tokens, starts gunicorn as `manage.py run` does (gthread, 2 processes
× 4 threads on 2 cores) on a free port and times R searches (`GET /api/v1/customers?q=…`,
terms taken from the data: names, documents, phones) as a point of sale types them, then
`POST /api/v1/credit/authorizations`. See bench/README.md.
"""

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import seed as seed_bench  # noqa: E402  (bench/seed.py: the throwaway database helpers)
from seed import percentile  # noqa: E402

CLIENTS = 8


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=1_000_000, help="clientes (por defecto 1,000,000)")
    parser.add_argument("--requests", type=int, default=400, help="búsquedas medidas por pasada")
    parser.add_argument(
        "--workers", type=int, default=2, help="procesos de gunicorn (como manage.py run: 1 por núcleo)"
    )
    parser.add_argument("--threads", type=int, default=4, help="hilos por proceso (como manage.py run)")
    parser.add_argument("--authorizations", type=int, default=3000, help="autorizaciones medidas por pasada")
    parser.add_argument("--only", choices=["search", "authorizations"], help="solo una de las dos mediciones")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="no borrar la base de datos al terminar")
    parser.add_argument("--database-url", help="usar una base ya sembrada (no se crea ni se borra)")
    args = parser.parse_args()
    if args.database_url:
        if not os.environ.get("DATABASE_URL"):
            seed_bench._server()  # a database of the embedded server: up while this runs
        return _run(args, args.database_url)
    with seed_bench.throwaway_database("bench_api", keep=args.keep) as env:
        seed_bench.migrate_and_seed(env, count=args.count, seed=args.seed)
        return _run(args, env["DATABASE_URL"])


def _run(args, url: str) -> int:
    env = {**os.environ, "DATABASE_URL": url, "API_RATE_LIMIT": "100000000", "DEBUG": "false", "LOG_LEVEL": "WARNING"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "createcachetable"], env=env, check=True, cwd=ROOT)
    name = f"Bench {os.getpid()}"
    token = subprocess.run(
        [*manage, "api_token", "create", name, "--scope", "customers:read", "--scope", "credit"],
        env=env, check=True, cwd=ROOT, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    customers = _credit_customers(env, args.seed) if args.only != "search" else None
    terms = _terms(env, args.seed) if args.only != "authorizations" else None
    port = _free_port()
    # As manage.py run serves (config/management/commands/run.py: web_server_command).
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--worker-class", "gthread", "--workers", str(args.workers), "--threads", str(args.threads),
         "--no-control-socket", "--log-level", "warning"],
        env={**env, "PGAPPNAME": "clientes-web"}, cwd=ROOT,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base)
        if customers is not None:
            _authorizations(base, token, customers, args, env, server=gunicorn.pid)
        if terms is None:
            return 0
        rng = random.Random(args.seed)
        searches = [f"{base}/api/v1/customers?q={rng.choice(terms)}" for _ in range(args.requests)]
        headers = {"Authorization": f"Bearer {token}"}
        _load(searches[:40], headers, clients=2)  # warm-up: connections, caches
        print(f"\nBúsqueda por la API, gunicorn {args.workers}×{args.threads}, {len(searches)} búsquedas por pasada:")
        for clients in (1, CLIENTS):
            times, seconds, bad = _load(searches, headers, clients=clients)
            print(
                f"  {clients} cliente(s): p50 {statistics.median(times):6.1f} ms  p95 {percentile(times, 0.95):6.1f} ms"
                f"   {len(times) / seconds:6.0f} búsquedas/s   respuestas no 200: {bad}"
            )
    finally:
        gunicorn.terminate()
        gunicorn.wait(20)
        subprocess.run([*manage, "api_token", "revoke", name], env=env, cwd=ROOT, capture_output=True)
    return 0


# --- credit authorizations ---------------------------------------------------------------------

SPREAD = 1000  # customers of the spread pass
SPREAD_LIMIT = 1000  # S/ cupo of each: about 3 requests of 50–400 each, so some are refused
ONE_LIMIT = 20_000  # S/ cupo of the one customer: about half of the requests fit


def _credit_customers(env: dict, seed: int) -> dict:
    """1,001 customers picked at random get a cupo and nothing owed or held: 1,000 for the spread
    pass, one for the pass on one customer (SQL through the inner Django, outside the timing)."""
    code = (
        "import json, random\n"  # noqa: S608 (code for the inner Django, no input)
        "from django.db import connection\n"
        "from customers.models import Customer\n"
        f"rng = random.Random({seed} + 1)\n"
        "top = Customer.objects.order_by('-pk').values_list('pk', flat=True).first() or 0\n"
        "ids = list(Customer.objects.filter(pk__in=[rng.randint(1, top) for _ in range(3000)], is_active=True,"
        " deleted_at__isnull=True).values_list('pk', flat=True)[:1001])\n"
        "with connection.cursor() as c:\n"
        "    c.execute('DELETE FROM credit_creditauthorization WHERE customer_id = ANY(%s)', [ids])\n"
        "    c.execute('INSERT INTO credit_creditaccount (customer_id, credit_limit, is_blocked, blocked_reason,"
        " balance,"
        " held, open_documents, updated_at) SELECT unnest(%s::bigint[]), 0, false, %s, 0, 0, 0, now()"
        " ON CONFLICT (customer_id) DO NOTHING', [ids, ''])\n"
        f"    c.execute('UPDATE credit_creditaccount SET credit_limit = {SPREAD_LIMIT}, is_blocked = false, held = 0"
        " WHERE customer_id = ANY(%s)', [ids[:-1]])\n"
        f"    c.execute('UPDATE credit_creditaccount SET credit_limit = {ONE_LIMIT}, is_blocked = false, held = 0"
        " WHERE customer_id = %s', [ids[-1]])\n"
        "    c.execute('SELECT customer_id, credit_limit - balance FROM credit_creditaccount"
        " WHERE customer_id = ANY(%s)', [ids])\n"
        "    available = {str(k): str(v) for k, v in c.fetchall()}\n"
        "print(json.dumps({'spread': ids[:-1], 'one': ids[-1], 'available': available}))\n"
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code], env=env, check=True, cwd=ROOT,
        capture_output=True, text=True,
    )  # fmt: skip
    import json

    found = json.loads(result.stdout.strip().splitlines()[-1])
    if len(found["spread"]) < SPREAD:
        raise SystemExit(f"Hacen falta al menos {SPREAD + 1} clientes activos (hay {len(found['spread']) + 1}).")
    return found


def _authorizations(base: str, token: str, customers: dict, args, env: dict, *, server: int) -> None:
    rng = random.Random(args.seed)
    run = f"{os.getpid()}-{int(time.time())}"
    spread = [
        {
            "customer_id": rng.choice(customers["spread"]),
            "amount": f"{rng.randint(50, 400)}.00",
            "reference": f"S-{run}-{i}",
        }
        for i in range(args.authorizations)
    ]
    one = [
        {
            "customer_id": customers["one"],
            "amount": f"{rng.randint(5, 20)}.{rng.randint(0, 99):02d}",
            "reference": f"U-{run}-{i}",
        }
        for i in range(args.authorizations)
    ]
    warm = [{"customer_id": customers["spread"][0], "amount": "1.00", "reference": f"W-{run}-{i}"} for i in range(40)]
    _post_load(base, token, warm, clients=2)
    print(f"\nAutorizaciones de crédito por la API, gunicorn {args.workers}×{args.threads}, {CLIENTS} clientes HTTP:")
    for label, bodies in (("repartidas en 1,000 clientes", spread), ("todas a un mismo cliente", one)):
        usage = _CpuUsage(server)
        times, seconds, answers = _post_load(base, token, bodies, clients=CLIENTS)
        usage = usage.shares()
        approved = sum(1 for status, body in answers if status in (200, 201) and body.get("approved"))
        refused = sum(1 for status, body in answers if status in (200, 201) and not body.get("approved"))
        bad = sum(1 for status, _ in answers if status not in (200, 201))
        print(
            f"  {label}: {len(times) / seconds:6.0f} autorizaciones/s   p50 {statistics.median(times):5.1f} ms"
            f"  p95 {percentile(times, 0.95):5.1f} ms   aprobadas {approved}, rechazadas {refused}, errores {bad}"
        )
        print(
            f"    CPU de los 2 núcleos: cliente de la medición {usage['client']:.0%}, gunicorn {usage['server']:.0%}, "
            f"el resto (PostgreSQL y lo demás que corra) {usage['rest']:.0%}, libre {usage['idle']:.0%}"
        )
    print("  " + _overruns(env, customers))


class _CpuUsage:
    """Where the machine's CPU went during a pass: this process (the HTTP clients), the
    gunicorn processes, the rest (PostgreSQL, and whatever else runs), idle."""

    def __init__(self, server_pid: int):
        import psutil

        self.server = [psutil.Process(server_pid), *psutil.Process(server_pid).children(recursive=True)]
        self.start = self._sample()

    def _sample(self):
        import psutil

        machine = psutil.cpu_times()
        server = 0.0
        for process in self.server:
            try:
                times = process.cpu_times()
                server += times.user + times.system
            except psutil.Error:
                pass
        return sum(machine) - machine.idle - getattr(machine, "iowait", 0), machine.idle, server, time.process_time()

    def shares(self) -> dict:
        busy, idle, server, client = (end - start for end, start in zip(self._sample(), self.start, strict=True))
        total = busy + idle or 1
        return {"client": client / total, "server": server / total, "rest": max(0.0, busy - client - server) / total,
                "idle": idle / total}  # fmt: skip


def _overruns(env: dict, customers: dict) -> str:
    """The proof: for every customer of the run, what was approved never passes what was
    available, the stored held equals its authorizations, and recompute_balances finds nothing."""
    ids = [*customers["spread"], customers["one"]]
    code = (
        "import json\n"  # noqa: S608 (code for the inner Django, no input)
        "from django.db import connection\n"
        "from credit.services import recompute_balances\n"
        f"ids = {ids!r}\n"
        f"available = {customers['available']!r}\n"
        "with connection.cursor() as c:\n"
        '    c.execute("SELECT customer_id, COALESCE(SUM(amount), 0) FROM credit_creditauthorization'
        " WHERE customer_id = ANY(%s) AND status = 'aprobada' AND overridden_at IS NULL"
        ' GROUP BY customer_id", [ids])\n'
        "    approved = dict(c.fetchall())\n"
        "    c.execute('SELECT customer_id, held FROM credit_creditaccount WHERE customer_id = ANY(%s)', [ids])\n"
        "    held = dict(c.fetchall())\n"
        "from decimal import Decimal\n"
        "over = [k for k, v in approved.items() if v > Decimal(available[str(k)])]\n"
        "mismatch = [k for k in ids if held.get(k, 0) != approved.get(k, 0)]\n"
        "print(json.dumps({'over': len(over), 'mismatch': len(mismatch), 'differences': len(recompute_balances()),"
        " 'customers': len(approved)}))\n"
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code], env=env, check=True, cwd=ROOT,
        capture_output=True, text=True,
    )  # fmt: skip
    import json

    proof = json.loads(result.stdout.strip().splitlines()[-1])
    return (
        f"Prueba: clientes con más aprobado que disponible: {proof['over']} "
        f"(de {proof['customers']} con aprobaciones); "
        f"retenido ≠ autorizaciones: {proof['mismatch']}; diferencias de recompute_balances: {proof['differences']}"
    )


def _post_load(base: str, token: str, bodies: list[dict], *, clients: int):
    """POST each body with `clients` keep-alive connections (http.client: the client's own cost
    stays small beside the server's on the same 2 cores)."""
    import http.client
    import json
    from urllib.parse import urlsplit

    host, port = urlsplit(base).hostname, urlsplit(base).port
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    times: list[float] = []
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()
    queue = list(reversed(bodies))

    def worker():
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                payload = json.dumps(body)
                start = time.perf_counter()
                conn.request("POST", "/api/v1/credit/authorizations", payload, headers)
                response = conn.getresponse()
                data = response.read()
                elapsed = (time.perf_counter() - start) * 1000
                try:
                    answer = json.loads(data)
                except ValueError:
                    answer = {}
                with lock:
                    times.append(elapsed)
                    answers.append((response.status, answer))
        finally:
            conn.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, time.perf_counter() - began, answers


def _terms(env: dict, seed: int) -> list[str]:
    """Search terms as a cashier types them, from customers picked at random (inner Django)."""
    code = (
        "import random, json\n"
        "from customers.models import Customer\n"
        f"rng = random.Random({seed})\n"
        "top = Customer.objects.order_by('-pk').values_list('pk', flat=True).first() or 0\n"
        "rows = Customer.objects.filter(pk__in=[rng.randint(1, top) for _ in range(300)])\n"
        "out = []\n"
        "for name, doc, phone in rows.values_list('name', 'document_number', 'phone'):\n"
        "    words = [w.strip(',.') for w in name.split() if len(w.strip(',.')) >= 4]\n"
        "    if words: out.append(rng.choice(words).lower())\n"
        "    if doc: out.append(doc)\n"
        "    if phone: out.append(phone[-9:])\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code], env=env, check=True, cwd=ROOT,
        capture_output=True, text=True,
    )  # fmt: skip
    import json
    from urllib.parse import quote

    return [quote(term) for term in json.loads(result.stdout.strip().splitlines()[-1])]


def _load(urls: list[str], headers: dict, *, clients: int) -> tuple[list[float], float, int]:
    import requests

    times: list[float] = []
    bad = 0
    lock = threading.Lock()
    queue = list(urls)

    def worker():
        nonlocal bad
        session = requests.Session()
        while True:
            with lock:
                if not queue:
                    return
                url = queue.pop()
            start = time.perf_counter()
            response = session.get(url, headers=headers, timeout=60)
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                times.append(elapsed)
                bad += response.status_code != 200

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, time.perf_counter() - began, bad


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(base: str) -> None:
    import requests

    for _ in range(600):  # workers boot slowly on a busy machine
        try:
            requests.get(base + "/api/v1/openapi.json", timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("gunicorn no arrancó")


if __name__ == "__main__":
    sys.exit(main())
