"""The customer list over HTTP at N customers (default 1,000,000), as people type, through `manage.py run`.

    .venv/bin/python bench/list_http.py                         # data in .local/bench (seeded once, then reused)
    .venv/bin/python bench/list_http.py --data-dir /work/benchdata --per-kind 30 --save after.json
    .venv/bin/python bench/list_http.py --dev-server            # the same through Django's development server

It seeds the embedded PostgreSQL of --data-dir with `seed_customers` the first time (a database
that already holds N customers or more is reused), starts `manage.py run --no-demo` there (the
server an office uses: gunicorn, the embedded PostgreSQL with the settings `run` gives it),
signs in through the login form as an Administrador (the heaviest page: every button and menu),
then asks for the list as a whole page and as the htmx partial the search box and the filters
fetch, for each kind of input in KINDS (several terms each, shuffled, one untimed warm-up pass).
It prints p50/p95/max in milliseconds per kind and overall (whole-page wall time on the client,
body read), and the bytes of a page. See bench/README.md.
"""

import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from seed import percentile  # noqa: E402

USERNAME = "bench-http"
PASSWORD = "bench-http-local-only-0"  # noqa: S105  (a local benchmark user)

# What people type, by kind. Terms are lists of query strings; a kind is timed as often as any
# other, with its terms drawn at random.
KINDS: dict[str, list[str]] = {
    "1-2 letras": [f"q={t}" for t in ("a", "m", "q", "j", "ca", "lu", "ma", "ro", "ch", "ñ", "Á")],
    "sufijo legal": [f"q={t}" for t in ("sac", "eirl", "srl", "s.a.c.", "e.i.r.l.", "S.A.", "saa", "SAC")],
    "palabra común": [
        f"q={t}"
        for t in (
            "garcia",
            "quispe",
            "mamani",
            "flores",
            "comercial",
            "servicios",
            "inversiones",
            "distribuidora",
            "transportes",
            "rodriguez",
            "andina",
            "jose",
            "maria",
            "del peru",
        )
    ],
    "acentos": [
        f"q={t}"
        for t in (
            "Núñez",
            "NÚÑEZ",
            "nuñez",
            "Peña",
            "PEÑA",
            "José",
            "JOSÉ",
            "Ramírez",
            "RAMIREZ",
            "Ñahui",
            "ñahui",
            "Cóndor",
            "ÁNGELA",
            "del Águila",
            "Perú",
            "amazónica",
        )
    ],
    "dos palabras": [
        f"q={t}"
        for t in (
            "quispe rosa",
            "comercial andina",
            "garcia mar",
            "transportes sac",
            "jose flores",
            "inversiones del sur",
            "maria quispe mamani",
        )
    ],
    "inicio de RUC": [f"q={t}" for t in ("2010", "2051", "20456", "1041", "10723", "206", "20100070970")],
    "dígitos de teléfono": [f"q={t}" for t in ("987", "945", "912", "964", "998", "951", "987 65", "+5194")],
    "dominio de correo": [
        f"q={t}"
        for t in (
            "gmail.com",
            "@hotmail.com",
            "outlook",
            "yahoo.es",
            "icloud",
            "inversionesandina.com.pe",
            "@comercialelsol",
            "ventas1",
        )
    ],
    "filtros solos": [
        "tipo=empresa",
        "tipo=persona&departamento=04",
        "estado=suspendidos",
        "whatsapp=on",
        "departamento=08&whatsapp=on",
        "tipo=extranjero",
        "estado=todos&departamento=15",
        "detraccion=on",
        "tipo=extranjero&departamento=08",
        "estado=suspendidos&tipo=persona",
        "departamento=25",
    ],
    "búsqueda y filtro": [
        "q=garcia&tipo=persona",
        "q=comercial&departamento=15",
        "q=quispe&whatsapp=on",
        "q=sac&estado=suspendidos",
        "q=Núñez&departamento=04",
        "q=gmail&tipo=persona",
        "q=andina&estado=todos",
        "q=987&whatsapp=on",
        "q=2051&tipo=empresa",
    ],
    "orden": [
        "orden=-nombre",
        "orden=documento",
        "orden=-documento",
        "q=andina&orden=-nombre",
        "q=2051&orden=documento",
        "q=quispe rosa&orden=-documento",
        "tipo=empresa&orden=-nombre",
        "departamento=04&orden=documento",
    ],
    # Reached as a person does, following Siguiente from page 1 (LINK_DEPTHS pages deep); the
    # links of a list too long to count continue from the page's rows (keyset).
    "páginas por enlace": ["q=garcia", "q=comercial", "departamento=08", "tipo=persona", "orden=-nombre", "q=sac"],
    # Typed or bookmarked page numbers: the rows before them are skipped.
    "páginas profundas": [
        "page=2",
        "page=40",
        "page=400",
        "page=20000",
        "q=garcia&page=50",
        "q=comercial&page=200",
        "tipo=persona&page=300",
        "orden=-nombre&page=150",
        "q=quispe rosa&page=3",
        "departamento=08&page=100",
    ],
    "sin resultados": [f"q={t}" for t in ("xqzw", "zzzzzz", "99999999999", "noexiste@nada.pe", "qwxyz", "Ñzzz kk")],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="clientes en la base (por defecto 1,000,000)")
    parser.add_argument(
        "--data-dir", type=Path, default=ROOT / ".local" / "bench", help="CLIENTES_DATA_DIR del servidor"
    )
    parser.add_argument("--per-kind", type=int, default=25, help="peticiones medidas por clase y forma (página/htmx)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dev-server", action="store_true", help="medir el servidor de desarrollo de Django")
    parser.add_argument("--save", type=Path, help="guardar los tiempos en este archivo JSON")
    parser.add_argument("--only", action="append", help="medir solo esta clase (se puede repetir)")
    args = parser.parse_args()

    env = {**os.environ, "CLIENTES_DATA_DIR": str(args.data_dir.resolve())}
    env.pop("DATABASE_URL", None)
    env.pop("DEBUG", None)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    prepare(env, customers=args.customers, seed=args.seed)
    with serving(env, port=args.port, dev_server=args.dev_server):
        base = f"http://127.0.0.1:{args.port}"
        session = sign_in(base)
        print(manage_output(env, "shell", "-c", SHOW_SETTINGS).strip(), flush=True)
        results, sizes = measure(session, base, per_kind=args.per_kind, seed=args.seed, only=args.only)
    report(results, sizes)
    if args.save:
        args.save.write_text(json.dumps({"results": results, "sizes": sizes}, ensure_ascii=False, indent=1))
        print(f"\nTiempos guardados en {args.save}")
    return 0


SHOW_SETTINGS = """
from django.db import connection
with connection.cursor() as c:
    names = ["shared_buffers", "effective_cache_size", "work_mem", "random_page_cost", "jit", "max_connections"]
    values = []
    for name in names:
        c.execute("SELECT current_setting(%s)", [name])
        values.append(f"{name}={c.fetchone()[0]}")
    c.execute("SELECT count(*) FROM customers_customer")
    print(f"{c.fetchone()[0]:,} clientes; PostgreSQL: " + ", ".join(values))
"""

COUNT_AND_USER = """
from django.contrib.auth.models import Group, User
from customers.models import Customer
from customers.roles import ADMINISTRADOR
user, _ = User.objects.get_or_create(username=%(username)r)
user.set_password(%(password)r)
user.save()
user.groups.add(Group.objects.get(name=ADMINISTRADOR))
from axes.models import AccessAttempt
AccessAttempt.objects.filter(username=user.username).delete()
print(Customer.objects.count())
"""


def manage_output(env: dict, *command: str) -> str:
    """What a manage.py command prints (its last line: `shell` first says what it imported)."""
    manage = [sys.executable, str(ROOT / "manage.py"), *command]
    output = subprocess.run(manage, env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return (output.strip().splitlines() or [""])[-1]


def prepare(env: dict, *, customers: int, seed: int) -> None:
    """Migrations and reference data as `run` applies them, the bench user, and the customers
    (seeded only when the database holds fewer than asked)."""
    began = time.perf_counter()
    for command in (["migrate", "-v0"], ["createcachetable"], ["load_reference_data", "-v0"]):
        manage_output(env, *command)
    print(f"Base de datos en {env['CLIENTES_DATA_DIR']}: migraciones al día ({time.perf_counter() - began:.1f} s).")
    have = int(manage_output(env, "shell", "-c", COUNT_AND_USER % {"username": USERNAME, "password": PASSWORD}))
    if have < customers:
        print(f"Hay {have:,} clientes: se siembran {customers - have:,} …", flush=True)
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "seed_customers", str(customers - have), "--seed", str(seed)],
            env=env,
            cwd=ROOT,
            check=True,
        )
        print(f"Siembra: {time.perf_counter() - began:.1f} s en total.", flush=True)


class serving:
    """`manage.py run --no-demo` on the port, until the block ends (then Ctrl-C, as a person)."""

    def __init__(self, env: dict, *, port: int, dev_server: bool):
        self.command = [sys.executable, str(ROOT / "manage.py"), "run", "--no-demo", "--port", str(port)]
        if dev_server:
            self.command.append("--dev-server")
        self.env, self.port = env, port

    def __enter__(self):
        # Its output goes to a file (a pipe nobody reads would stall the server once full).
        self.log_path = Path(self.env["CLIENTES_DATA_DIR"]) / "run.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            self.command, env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, process_group=0
        )
        deadline = time.monotonic() + 180
        url = f"http://127.0.0.1:{self.port}/ingresar/"
        while True:
            try:
                if requests.get(url, timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(f"El servidor no respondió; vea {self.log_path}.")
            time.sleep(0.2)
        print(f"Servidor: {' '.join(self.command[1:])}", flush=True)
        return self

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
        self.log.close()


def sign_in(base: str) -> requests.Session:
    """Sign in through the login form, with its CSRF token, as a person does."""
    session = requests.Session()
    page = session.get(f"{base}/ingresar/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{base}/ingresar/",
        data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/ingresar/"},
        timeout=30,
    )
    if answer.status_code != 200 or "sessionid" not in session.cookies:
        raise SystemExit(f"No se pudo ingresar como {USERNAME} (respuesta {answer.status_code}).")
    return session


def _url(base: str, query: str) -> str:
    from urllib.parse import unquote_plus

    pairs = [tuple(unquote_plus(part) for part in pair.split("=", 1)) for pair in query.split("&") if pair]
    return f"{base}/clientes/?{urlencode(pairs)}"


LINK_DEPTHS = (5, 20, 60)
_NEXT = re.compile(r'href="([^"]+)"[^>]*>Siguiente<')


def _linked_pages(session, base: str, start: str) -> list[str]:
    """The query strings of the pages LINK_DEPTHS deep, following Siguiente from ``start``."""
    from html import unescape

    found, url = [], _url(base, start)
    for depth in range(1, max(LINK_DEPTHS) + 1):
        match = _NEXT.search(session.get(url, timeout=60).text)
        if not match:
            break
        url = base + unescape(match.group(1))
        if depth + 1 in LINK_DEPTHS:
            found.append(url.split("?", 1)[1])
    return found


def measure(session, base: str, *, per_kind: int, seed: int, only) -> tuple[dict, dict]:
    rng = random.Random(seed)
    plan = []
    for kind, queries in KINDS.items():
        if only and kind not in only:
            continue
        if kind == "páginas por enlace":
            print("Siguiendo los enlaces Siguiente …", flush=True)
            queries = [page for start in queries for page in _linked_pages(session, base, start)]
        for shape in ("página", "htmx"):
            plan += [(kind, shape, rng.choice(queries)) for _ in range(per_kind)]
    rng.shuffle(plan)
    headers = {"página": {}, "htmx": {"HX-Request": "true", "HX-Current-URL": f"{base}/clientes/"}}

    def get(shape, query):
        start = time.perf_counter()
        response = session.get(_url(base, query), headers=headers[shape], timeout=60)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200 or 'id="result-count"' not in response.text:
            raise SystemExit(f"{query} ({shape}): respuesta {response.status_code}")
        return elapsed, len(response.content)

    print(f"Calentando con {len(plan)} peticiones …", flush=True)
    for _, shape, query in plan:
        get(shape, query)
    print(f"Midiendo {len(plan)} peticiones …", flush=True)
    results: dict = {}
    sizes: dict = {}
    began = time.perf_counter()
    for kind, shape, query in plan:
        elapsed, size = get(shape, query)
        results.setdefault(f"{kind}|{shape}", []).append([round(elapsed, 2), query])
        sizes.setdefault(shape, []).append(size)
    print(f"  en {time.perf_counter() - began:.1f} s", flush=True)
    return results, sizes


def report(results: dict, sizes: dict) -> None:
    def cells(times):
        if not times:
            return f"{'':>7} {'':>7} {'':>7}"
        return f"{statistics.median(times):7.1f} {percentile(times, 0.95):7.1f} {max(times):7.1f}"

    print(f"\n{'clase':<20} {'n':>4}  {'página p50':>10} {'p95':>7} {'máx':>7}   {'htmx p50':>8} {'p95':>7} {'máx':>7}")
    every = {"página": [], "htmx": []}
    for kind in KINDS:
        page = [t for t, _ in results.get(f"{kind}|página", [])]
        partial = [t for t, _ in results.get(f"{kind}|htmx", [])]
        if not page and not partial:
            continue
        every["página"] += page
        every["htmx"] += partial
        print(f"{kind:<20} {len(page):>4}  {cells(page):>26}   {cells(partial)}")
    print(f"{'todas':<20} {len(every['página']):>4}  {cells(every['página']):>26}   {cells(every['htmx'])}")
    slowest = sorted((t, q, key.split("|")[1]) for key, runs in results.items() for t, q in runs)[-8:]
    print("\nLas más lentas: " + "; ".join(f"{q} ({shape}) {t:.0f} ms" for t, q, shape in reversed(slowest)))
    for shape, values in sizes.items():
        print(f"Tamaño {shape}: mediana {statistics.median(values) / 1024:.1f} KB, máx {max(values) / 1024:.1f} KB")


if __name__ == "__main__":
    sys.exit(main())
