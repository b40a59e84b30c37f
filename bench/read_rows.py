"""Reading a file's rows (customers.spreadsheets: what the preview's process does before any
row is checked), with and without the look for control characters, alternately: CPU per row.

    .venv/bin/python bench/read_rows.py FILE.xlsx [--repeat 5] [--csv]

--csv also writes the sheet as a UTF-8 CSV next to it (not timed) and reads that. The figure is
each variant's least process time over --repeat passes (what other load changes least), in µs
per row; then the look alone (peru.text.control_character_cells) over the rows read.
"""

import argparse
import csv
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--csv", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    from customers import spreadsheets
    from peru import text

    settings.IMPORT_MAX_ROWS = 10**9
    path = args.path
    if args.csv:
        table = spreadsheets.open_tables(path, spreadsheets.detect_kind(path, path))[0]
        path = f"{os.path.splitext(path)[0]}.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.headers)
            writer.writerows([spreadsheets.cell_text(c) for c in cells] for _, cells in table.rows)
    kind = spreadsheets.detect_kind(path, path)
    looks = spreadsheets.control_character_cells

    def read() -> tuple[float, int]:
        start = time.process_time()
        count = 0
        for table in spreadsheets.open_tables(path, kind):
            for _ in table.rows:
                count += 1
        return time.process_time() - start, count

    best = {"with the look": float("inf"), "without": float("inf")}
    rows = 0
    for _ in range(args.repeat):
        for name in best:
            spreadsheets.control_character_cells = looks if name == "with the look" else (lambda cells: [])
            seconds, rows = read()
            best[name] = min(best[name], seconds)
    spreadsheets.control_character_cells = looks
    print(f"{kind}, {rows:,} rows")
    for name, seconds in best.items():
        print(f"  reading {name}: {seconds / rows * 1e6:.2f} µs/row")
    cells = [cells for table in spreadsheets.open_tables(path, kind) for _, cells in table.rows]
    alone = float("inf")
    for _ in range(args.repeat):
        start = time.process_time()
        for row in cells:
            text.control_character_cells(row)
        alone = min(alone, time.process_time() - start)
    print(f"  the look alone: {alone / rows * 1e6:.2f} µs/row ({len(cells[0])} cells a row)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
