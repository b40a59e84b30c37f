"""The list's searches on a database that bulk imports have grown: a fixed set of requests
through the list's query path, p50/p95 each, and the plan of the slowest.

    .venv/bin/python bench/list_searches.py --database-url postgres://…   [--rounds R] [--explain]

Run it on a database seeded by bench/seed.py --keep, before and after runs of
bench/importing.py --database-url … --solo-importacion (each adds 50,000 customers named
"Empresa Nueva N S.A.C." or "Nuevo Cliente N", and updates 50,000). Each request is the list's
query path (CustomerFilterSet → paginate_customers), as bench/levers.py runs it, in one
process; the requests are interleaved round by round so they share the machine's load.
--explain prints EXPLAIN (ANALYZE, BUFFERS) of the statements of one request of each kind,
under the plan settings the page sets. See bench/README.md.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from seed import percentile  # noqa: E402

# (label, query string): a frequent word alone, with filters and in each order; rarer words;
# a document prefix; words that only imported customers hold.
REQUESTS = [
    ("palabra frecuente", "q=comercial"),
    ("palabra frecuente", "q=inversiones"),
    ("palabra frecuente", "q=sac"),
    ("palabra frecuente", "q=gmail.com"),
    ("palabra frecuente", "q=comerc"),
    ("con filtro", "q=comercial&tipo=empresa"),
    ("con filtro", "q=comercial&departamento=15"),
    ("con filtro", "q=sac&whatsapp=on"),
    ("con filtro", "q=comercial&estado=todos"),
    ("orden", "q=comercial&orden=-nombre"),
    ("orden", "q=comercial&orden=documento"),
    ("orden", "q=comercial&orden=-documento"),
    ("cerca del límite", "q=garcia"),
    ("palabra rara", "q=zegarra&tipo=empresa"),
    ("palabra rara", "q=ferreteria&departamento=05"),
    ("inicio de documento", "q=2045"),
    ("inicio de documento", "q=20451"),
    ("inicio de documento", "q=104"),
    ("solo importados", "q=nueva"),
    ("solo importados", "q=nuevo&tipo=persona"),
    ("solo importados", "q=cliente"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=9, help="veces cada búsqueda")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) de cada búsqueda")
    parser.add_argument("--only", action="append", help="solo estas búsquedas (query string)")
    parser.add_argument(
        "--ab",
        action="store_true",
        help="cada búsqueda sin recordar dónde terminó su primera página (el recorrido de antes) y recordándolo",
    )
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    if "host=/" in args.database_url:
        from config import embedded

        embedded.socket_dir()  # the embedded server, kept up while this process runs
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.http import QueryDict

    from customers import queries
    from customers.filters import CustomerFilterSet

    requests = [(label, query) for label, query in REQUESTS if not args.only or query in args.only]

    def page(query: str):
        data = QueryDict(query)
        fs = CustomerFilterSet(data, queryset=queries.list_customers())
        start = time.perf_counter()
        result = queries.paginate_customers(
            fs.qs, page=data.get("page"), searching=fs.searching, common_word=fs.common_word
        )
        return (time.perf_counter() - start) * 1000, result

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), max(id) FROM customers_customer WHERE deleted_at IS NULL")
        total, top = cursor.fetchone()
        cursor.execute(
            "SELECT last_analyze, last_autoanalyze, n_mod_since_analyze FROM pg_stat_user_tables "
            "WHERE relname = 'customers_customer'"
        )
        analyzed = cursor.fetchone()
    print(
        f"{total:,} clientes (id máximo {top:,}); ANALYZE {analyzed[0]}, autoanalyze {analyzed[1]}, "
        f"{analyzed[2]:,} filas cambiadas desde entonces"
    )

    if args.explain:
        _explain(requests, page)
        return 0

    modes = {"sin recordar": True, "recordando": False} if args.ab else {"": False}
    shown = {}
    for _label, query in requests:  # warm: one untimed pass
        shown[query] = page(query)[1]
    times: dict = {(mode, query): [] for mode in modes for _label, query in requests}
    for _ in range(args.rounds):
        for _label, query in requests:
            for mode, forget in modes.items():
                if forget:
                    queries._page_ends.clear()
                times[mode, query].append(page(query)[0])
    heads = "".join(f" {mode + ' p50':>18} {'p95':>6}" for mode in modes)
    print(f"\n{'tipo':<20} {'búsqueda':<34}{heads}  página  (ms, {args.rounds} veces)")
    for label, query in requests:
        result = shown[query]
        how = "más recientes" if result.newest_first else (f"{result.count:,}" if result.count_exact else "muchos")
        cells = "".join(
            f" {statistics.median(times[mode, query]):18.1f} {percentile(times[mode, query], 0.95):6.1f}"
            for mode in modes
        )
        print(f"{label:<20} {query:<34}{cells}  {how}")
    cells = ""
    for mode in modes:
        every = [t for (m, _q), values in times.items() if m == mode for t in values]
        cells += f" {statistics.median(every):18.1f} {percentile(every, 0.95):6.1f}"
    print(f"{'todas':<55}{cells}")
    return 0


def _explain(requests, page) -> None:
    """The page's statements with EXPLAIN (ANALYZE, BUFFERS) in front, as the page runs them."""
    from django.db.backends.utils import CursorWrapper

    original = CursorWrapper.execute

    def explaining(self, sql, params=None):
        head = sql.lstrip().upper()
        if head.startswith("SELECT") and "CUSTOMERS_CUSTOMER" in head and "SET_CONFIG" not in head:
            original(self, "EXPLAIN (ANALYZE, BUFFERS, SETTINGS) " + sql, params)
            print("\n".join(row[0] for row in self.fetchall()))
            print("-" * 60)
        return original(self, sql, params)

    for _label, query in requests:
        page(query)  # warm
        print(f"\n===== {query}")
        CursorWrapper.execute = explaining
        try:
            elapsed, _result = page(query)
        finally:
            CursorWrapper.execute = original
        print(f"({elapsed:.1f} ms with the EXPLAINs)")


if __name__ == "__main__":
    sys.exit(main())
