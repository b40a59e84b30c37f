"""Two of the list's levers measured side by side, request by request, in one process.

    CLIENTES_DATA_DIR=/work/benchdata .venv/bin/python bench/levers.py [--rounds R]

Run it on a database seeded by bench/list_http.py (or any with many customers). Each pair of
requests runs the list's query path (CustomerFilterSet → paginate_customers) with the lever off
and on, alternating, so both see the same machine load (the 2 cores are shared):

- word statistics: a one-word search of a common word counted (off) or not (on);
- keyset pages: page N of a list too long to count by number (off: the rows before it are
  skipped) or from the previous page's last row (on: Siguiente's link).

It prints p50/p95 in ms per case, off and on. See bench/README.md.
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

COMMON_WORDS = ["sac", "gmail.com", "@hotmail.com", "comercial", "inversiones", "eirl", "peru", "hermanos"]
DEEP = [("q=comercial", 40), ("q=sac", 200), ("departamento=08", 100), ("tipo=persona", 300), ("orden=-nombre", 150)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="pares por caso")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.http import QueryDict

    from customers import queries
    from customers.filters import CustomerFilterSet

    def page(query: str, *, common: bool = True, cursor=None, number=None):
        data = QueryDict(query)
        fs = CustomerFilterSet(data, queryset=queries.list_customers())
        start = time.perf_counter()
        result = queries.paginate_customers(
            fs.qs,
            page=number or data.get("page"),
            searching=fs.searching,
            common_word=fs.common_word if common else None,
            cursor=cursor,
        )
        return (time.perf_counter() - start) * 1000, result

    rows = []
    for word in COMMON_WORDS:
        off, on = [], []
        page(f"q={word}", common=False)  # warm
        for _ in range(args.rounds):
            off.append(page(f"q={word}", common=False)[0])
            on.append(page(f"q={word}")[0])
        rows.append((f"q={word}", off, on))
    for query, number in DEEP:
        previous = page(query, number=number - 1)[1]  # the page whose Siguiente is followed
        cursor = ("tras", previous.last_pk)
        off, on = [], []
        for _ in range(args.rounds):
            off.append(page(query, number=number)[0])
            on.append(page(query, number=number, cursor=cursor)[0])
        rows.append((f"{query} página {number}", off, on))

    print(f"\n{'caso':<34} {'sin p50':>8} {'p95':>7}   {'con p50':>8} {'p95':>7}   (ms, {args.rounds} pares)")
    for label, off, on in rows:
        print(
            f"{label:<34} {statistics.median(off):8.1f} {percentile(off, 0.95):7.1f}   "
            f"{statistics.median(on):8.1f} {percentile(on, 0.95):7.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
