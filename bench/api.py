"""Benchmark of the integration API over HTTP through gunicorn (the README's production
server) on 127.0.0.1: customer search at N customers (default 1,000,000), p50/p95, with one
client and with 8 concurrent clients.

    .venv/bin/python bench/api.py [N] [--requests R] [--workers W] [--keep]
    .venv/bin/python bench/api.py --database-url postgres://…   # reuse a seeded database

It creates a throwaway database (as bench/seed.py does), seeds it with manage.py
seed_customers, creates a token, starts gunicorn on a free port and times R searches
(`GET /api/v1/customers?q=…`, terms taken from the data: names, documents, phones) as a
point of sale types them. See bench/README.md.
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
    parser.add_argument("--workers", type=int, default=4, help="procesos de gunicorn")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="no borrar la base de datos al terminar")
    parser.add_argument("--database-url", help="usar una base ya sembrada (no se crea ni se borra)")
    args = parser.parse_args()
    if args.database_url:
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
        [*manage, "api_token", "create", name, "--scope", "customers:read"],
        env=env, check=True, cwd=ROOT, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    terms = _terms(env, args.seed)
    port = _free_port()
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--log-level", "warning"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base)
        rng = random.Random(args.seed)
        searches = [f"{base}/api/v1/customers?q={rng.choice(terms)}" for _ in range(args.requests)]
        headers = {"Authorization": f"Bearer {token}"}
        _load(searches[:40], headers, clients=2)  # warm-up: connections, caches
        print(f"\nBúsqueda por la API, gunicorn con {args.workers} procesos, {len(searches)} búsquedas por pasada:")
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
