"""One part of the confirmed import on the server's side: the CPU of its database connection,
statement by statement, with server-side variants side by side (issue 17's confirm).

    .venv/bin/python bench/import_part.py --database-url postgres://… [--rounds 2] [--top 8] \\
        [VARIANT …]

A variant is ``base`` (the import as it is), ``drop:<index>[,<index>…]`` (dropped inside the
part's transaction), or ``set:<setting>=<value>`` (SET LOCAL before the part). It previews
bench/preview.py's file of 100,000 rows once (the job is kept, as «Vista previa lista», and
reused by later runs on the same database), then for each round and variant, alternating: VACUUM
of the tables the part writes and a CHECKPOINT (not timed: each variant starts from the same
state, full-page images included), then part 0 of 2 (customers.import_staging.check_again and
apply, as each of the confirmed import's connections runs them) and its deferred foreign-key
checks (SET CONSTRAINTS ALL IMMEDIATE, what PREPARE would run), in one transaction, rolled back.
It prints, for each run, the CPU seconds of that connection's server process (user + system,
what other load on the machine changes least), of all the server's processes, the wall time, and
the statements that took the most CPU. Needs the server on this machine (it reads /proc).
"""

import argparse
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

WRITTEN_TABLES = (
    "customers_customer",
    "customers_historicalcustomer",
    "customers_customernote",
    "customers_customerphone",
    "customers_customeremail",
    "customers_address",
    "customers_historicaladdress",
)
JOB_FILE = "bench-import-part.xlsx"


class _RolledBack(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--top", type=int, default=8, help="sentencias que se muestran por corrida")
    parser.add_argument("variants", nargs="*", default=["base"])
    args = parser.parse_args()

    import preview as preview_bench  # bench/preview.py: Django set up, the file written once

    preview_bench.setup(args.database_url, 100_000)
    job, user = _previewed_job(preview_bench)
    print(f"Trabajo {job.pk}: crear {job.to_create:,}, actualizar {job.to_update:,} (parte 1 de 2)", flush=True)
    least: dict = {}
    for number in range(args.rounds):
        for variant in args.variants:
            backend, everything, wall, statements, applied = _part(job, user, variant)
            least[variant] = min(least.get(variant, backend), backend)
            print(
                f"ronda {number + 1}, {variant}: CPU de la conexión {backend:.2f} s, de todo el servidor"
                f" {everything:.2f} s, {wall:.2f} s de reloj; creados {len(applied.created_ids):,},"
                f" actualizados {len(applied.updated_ids):,}",
                flush=True,
            )
            for cpu, seconds, sql in sorted(statements, reverse=True)[: args.top]:
                print(f"    {cpu:5.2f} s CPU  {seconds:5.2f} s  {sql}", flush=True)
    for variant, seconds in least.items():
        print(f"{variant}: la menor CPU de la conexión {seconds:.2f} s", flush=True)
    return 0


def _previewed_job(preview_bench):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from customers import importing
    from customers.models import ImportJob

    user, _ = get_user_model().objects.get_or_create(username="bench-import-part", defaults={"is_superuser": True})
    job = ImportJob.objects.filter(file_name=JOB_FILE, status=ImportJob.Status.READY).order_by("-pk").first()
    if job is None:
        _, path = preview_bench.setup(os.environ["DATABASE_URL"], 100_000)
        upload = SimpleUploadedFile(JOB_FILE, Path(path).read_bytes())
        job = importing.preview_import(importing.start_import(actor=user, upload=upload).pk)
    return job, user


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _part(job, user, variant: str):
    import seed as seed_bench  # bench/seed.py: the server's CPU
    from django.db import connection, transaction

    from customers import import_staging, importing

    with connection.cursor() as cursor:
        for table in WRITTEN_TABLES:
            cursor.execute(f"VACUUM {table}")
        cursor.execute("CHECKPOINT")
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    statements = []

    def timed(execute, sql, params, many, context):
        cpu, began = _cpu(pid), time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = _cpu(pid) - cpu, time.perf_counter() - began
            statements.append((*spent, re.sub(r"\s+", " ", sql)[:90]))

    batch, part = importing._batch(job), import_staging.Part(0, 2)
    everything = seed_bench.postgres_cpu()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if variant.startswith("drop:"):
                for index in variant[5:].split(","):
                    cursor.execute(f"DROP INDEX {index}")
            elif variant.startswith("set:"):
                name, value = variant[4:].split("=", 1)
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
            elif variant != "base":
                raise SystemExit(f"Variante desconocida: {variant}")
            cpu, began = _cpu(pid), time.perf_counter()
            with connection.execute_wrapper(timed):
                import_staging.check_again(batch, can_create=True, can_change=True, part=part)
                applied = import_staging.apply(
                    batch, actor=user, file_name=job.file_name, since=job.previewed_at, part=part
                )
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            backend, wall = _cpu(pid) - cpu, time.perf_counter() - began
            raise _RolledBack
    except _RolledBack:
        pass
    return backend, seed_bench.postgres_cpu() - everything, wall, statements, applied


if __name__ == "__main__":
    sys.exit(main())
