"""Experiment for padron's name search (bench/README.md, padron.py): on a loaded 15M padrón,
the cost of a word index — build time and size of a GIN index (words of the name, or
trigrams) — and what a search by words costs with it.

    .venv/bin/python bench/padron_words.py --database NAME [--trigram]

Every index it builds is dropped at the end; the padrón is left as it was.
"""

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

import seed as seed_bench  # noqa: E402
from seed import percentile  # noqa: E402

KEY = "lower(translate(name, 'ÁÉÍÓÚÜÑáéíóúüñ', 'AEIOUUNaeiouun'))"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--trigram", action="store_true", help="también el índice de trigramas (pg_trgm)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.inner:
        _admin, url = seed_bench._server()
        env = {**os.environ, "DATABASE_URL": url.replace("{name}", args.database)}
        command = [sys.executable, __file__, "--database", args.database, "--inner"]
        if args.trigram:
            command.append("--trigram")
        return subprocess.run(command, env=env, cwd=ROOT).returncode
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import OperationalError, connection, transaction

    from padron.sample import COMPANY_WORDS, GIVEN_NAMES, SURNAMES
    from peru.text import fold

    rng = random.Random(0)
    terms = []
    for _ in range(60):
        terms.append([rng.choice(SURNAMES).lower()])
        terms.append([rng.choice(GIVEN_NAMES).lower(), rng.choice(SURNAMES).lower()])
        terms.append([rng.choice(COMPANY_WORDS).lower()[:4]])
        terms.append([rng.choice(COMPANY_WORDS).lower(), rng.choice(COMPANY_WORDS).lower()[:3]])
    terms += [["zzzz"], ["empresa", "inexistente"]]
    terms = [[fold(word) for word in words] for words in terms]  # as the name key folds Ñ and accents

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM padron_taxpayer")
        print(f"padron_taxpayer: {cursor.fetchone()[0]:,} filas; carga media {os.getloadavg()[0]:.1f}", flush=True)
        cursor.execute("SET maintenance_work_mem = '512MB'")
        experiments = [
            (
                "words",
                f"CREATE INDEX padron_words_exp ON padron_taxpayer USING gin (to_tsvector('simple', {KEY}))",
                lambda words: (
                    f"SELECT ruc, name FROM padron_taxpayer WHERE to_tsvector('simple', {KEY}) @@ "  # noqa: S608
                    "to_tsquery('simple', %s) LIMIT 10",
                    [" & ".join(w + ":*" for w in words)],
                ),
            ),
        ]
        if args.trigram:
            experiments.append(
                (
                    "trigram",
                    f"CREATE INDEX padron_words_exp ON padron_taxpayer USING gin ({KEY} gin_trgm_ops)",
                    lambda words: (
                        "SELECT ruc, name FROM padron_taxpayer WHERE "  # noqa: S608  (constants)
                        + " AND ".join(f"{KEY} LIKE %s" for _ in words)
                        + " LIMIT 10",
                        ["%" + w + "%" for w in words],
                    ),
                )
            )
        for label, create, query in experiments:
            cursor.execute("DROP INDEX IF EXISTS padron_words_exp")
            began = time.perf_counter()
            cursor.execute(create)
            built = time.perf_counter() - began
            cursor.execute("SELECT pg_relation_size('padron_words_exp')")
            size = cursor.fetchone()[0]
            print(f"{label}: índice en {built:.1f} s, {size / 1e9:.2f} GB", flush=True)
            # A search the index does not serve reads 15M rows (seconds): cut at 3 s, counted.
            cursor.execute("SET statement_timeout = '3s'")
            times, found, cut = [], 0, 0
            for words in terms:
                began = time.perf_counter()
                try:
                    with transaction.atomic():
                        cursor.execute(*query(words))
                        found += len(cursor.fetchall())
                except OperationalError:
                    cut += 1
                times.append((time.perf_counter() - began) * 1000)
            cursor.execute("SET statement_timeout = 0")
            slowest = sorted(zip(times, [" ".join(w) for w in terms], strict=True))[-3:]
            print(
                f"{label}: {len(terms)} búsquedas ({cut} cortadas a los 3 s) p50 "
                f"{percentile(times, 0.5):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, máx {max(times):.1f} ms "
                f"({found} resultados); las más lentas: {slowest}",
                flush=True,
            )
            cursor.execute("DROP INDEX padron_words_exp")
    return 0


if __name__ == "__main__":
    sys.exit(main())
