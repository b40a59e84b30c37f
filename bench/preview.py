"""The import's preview alone, in this process, on a database already seeded (issue 17's preview).

    .venv/bin/python bench/preview.py --database-url postgres://… [--rows 20000] [--one-process] [--profile FILE]

Writes (once, kept under /tmp by row count and database) the same kind of .xlsx as
bench/importing.py — half existing customers, half new — then times start_import +
preview_import as the task worker runs them (worker processes for a large file, unless
--one-process), and prints the wall time, the CPU of this process, of its worker processes and of
the PostgreSQL backends, the counts, and a digest of the staged rows (the same digest before and
after a change: the preview found the same; a row to create counts without its new customer's id,
which is the sequence's next value). The job and its staged rows are deleted at the end.
With --profile, cProfile of this process is written to FILE (workers are not profiled).
With --timeline, the phases of each process and the cores busy every half second are printed
after the figures (bench/preview_timeline.py; it costs CPU of its own: compare CPU without it).
"""

import argparse
import hashlib
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--one-process", action="store_true", help="no worker processes")
    parser.add_argument("--profile", help="cProfile output file (this process only)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--timeline", action="store_true", help="the phases and the cores busy, over time")
    args = parser.parse_args()
    total, path = setup(args.database_url, args.rows)
    import importing as bench_importing

    from customers import importing

    print(f"{total:,} clientes; archivo {path} ({args.rows:,} filas)", flush=True)
    if args.one_process:
        importing.PARALLEL_FROM = 10**12
    user = bench_importing._admin_user()
    with open(path, "rb") as handle:
        content = handle.read()
    if args.timeline:
        import preview_timeline

        preview_timeline.install(f"/dev/shm/preview-timeline-{os.getpid()}.tsv")  # noqa: S108 - in memory: no disk writes
    for _ in range(args.repeat):
        _once(importing, user, content, args)
    return 0


def setup(database_url: str, rows: int) -> tuple[int, str]:
    """Django set up on ``database_url`` (the embedded server kept up while this process runs);
    returns how many customers it holds and this bench's file of ``rows`` rows, written if missing
    (bench/preview_chunks.py uses the same file)."""
    import seed as seed_bench

    seed_bench._server()
    os.environ["DATABASE_URL"] = database_url
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import importing as bench_importing
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), max(id) FROM customers_customer")
        total, top = cursor.fetchone()
    name = hashlib.md5(database_url.encode()).hexdigest()[:8]  # noqa: S324 - a file name
    path = f"/tmp/preview-bench-{name}-{rows}.xlsx"  # noqa: S108 - a bench file of our own
    if not os.path.exists(path):
        # New documents far above bench/importing.py's (which uses the largest id as it is), so
        # that its runs on the same database never create this file's new customers.
        bench_importing._write_file(path, rows, top + 40_000_000)
    return total, path


def _once(importing, user, content, args) -> None:
    import seed as seed_bench  # bench/seed.py (this folder)
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from customers.models import ImportStagedRow

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    sampler = None
    if args.timeline:
        import preview_timeline

        sampler = preview_timeline.Sampler(preview_timeline.postmaster())
        sampler.start()
        time.sleep(0.15)
    pg_before = seed_bench.postgres_cpu()
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began, began_at = time.perf_counter(), time.time()
    if profiler:
        profiler.enable()
    job = importing.start_import(actor=user, upload=SimpleUploadedFile("bench.xlsx", content))
    job = importing.preview_import(job.pk)
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    wall = time.perf_counter() - began
    self_after = resource.getrusage(resource.RUSAGE_SELF)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    pg = seed_bench.postgres_cpu() - pg_before
    if sampler:
        time.sleep(0.15)
        sampler.stop.set()
        sampler.join()

    def cpu(a, b):
        return f"{(b.ru_utime + b.ru_stime) - (a.ru_utime + a.ru_stime):.2f} s (sys {b.ru_stime - a.ru_stime:.2f})"

    print(
        f"Vista previa: {wall:.2f} s ({args.rows / wall:,.0f} filas/s); CPU: este proceso "
        f"{cpu(self_before, self_after)}, procesos de trabajo {cpu(children_before, children_after)}, "
        f"PostgreSQL {pg:.2f} s — crear {job.to_create:,}, actualizar {job.to_update:,}, "
        f"sin cambios {job.unchanged:,}, con errores {job.error_rows:,}",
        flush=True,
    )
    digest = hashlib.md5()  # noqa: S324 - a fingerprint, not security
    staged = (
        ImportStagedRow.objects.filter(batch=f"job-{job.pk}")
        .order_by("sheet", "number")
        .values_list(
            "sheet",
            "number",
            "action",
            "parent",
            "customer_id",
            "fields",
            "phones",
            "emails",
            "address",
            "note",
            "extra",
            "errors",
            "raw",
        )
    )
    count = 0
    for row in staged.iterator(chunk_size=5000):
        if row[2] == "create":  # its customer's id is the sequence's next value: not the preview's answer
            row = (*row[:4], None, *row[5:])
        digest.update(repr(row).encode())
        count += 1
    digest.update(repr((job.errors, job.warnings)).encode())
    print(f"  filas preparadas {count:,}, huella {digest.hexdigest()}", flush=True)
    print(
        f"  memoria máxima: este proceso {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB, "
        f"procesos de trabajo {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:,.0f} MB",
        flush=True,
    )
    if sampler:
        preview_timeline.report(sampler, began_at)
        Path(preview_timeline._events_path).write_text("")
    ImportStagedRow.objects.filter(batch=f"job-{job.pk}").delete()
    job.file.delete(save=False)
    job.delete()
    connection.close()


if __name__ == "__main__":
    sys.exit(main())
