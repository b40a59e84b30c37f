"""The preview's worker path alone, in this process: CPU per row of what each worker process
does with a chunk (customers.importing._check_chunk: read the cells, clean, match, prepare the
staged rows), and a digest of what it sends back (the same digest before and after a change).

    .venv/bin/python bench/preview_chunks.py --database-url postgres://… [--rows 20000] [--repeat 5]

Uses bench/preview.py's file (written there if missing). Each chunk is checked --repeat times;
the figure is the sum over the chunks of each one's least CPU time (process time: what the
other engineers' load changes least), in µs per row. Nothing is staged. With
PREVIEW_CHUNKS_DUMP=FILE, each chunk's answer is also appended to FILE (to compare two versions).
"""

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", help="cProfile output file (one pass over the chunks)")
    args = parser.parse_args()
    import preview as bench_preview

    _, path = bench_preview.setup(args.database_url, args.rows)
    import importing as bench_importing
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile

    from customers import importing
    from customers.models import ImportStagedRow

    timings: dict = {}
    digest = hashlib.md5()  # noqa: S324 - a fingerprint

    def in_process(table, workers, reader, clean, repeats, results, progress, *, batch, actor, file_name):
        # A fixed batch name: the digest must not depend on the job's id.
        importing._forked.update(reader=reader, clean=clean, batch="job-bench", actor=actor, file_name=file_name)
        chunks, chunk = [], []
        for number, cells in table.rows:
            chunk.append((number, cells))
            if len(chunk) >= importing.CHUNK:
                chunks.append(chunk)
                chunk = []
        if chunk:
            chunks.append(chunk)
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
            for chunk in chunks:
                importing._check_chunk(chunk)
            profiler.disable()
            profiler.dump_stats(args.profile)
        for run in range(args.repeat):
            for index, chunk in enumerate(chunks):
                began = time.process_time()
                answer = importing._check_chunk(chunk)
                spent = time.process_time() - began
                timings[index] = min(timings.get(index, spent), spent)
                if run == 0:
                    digest.update(repr(answer).encode())
                    if os.environ.get("PREVIEW_CHUNKS_DUMP"):
                        with open(os.environ["PREVIEW_CHUNKS_DUMP"], "a") as dump:
                            dump.write(repr(answer) + "\n")
        importing._forked.clear()
        return ()

    importing._analyze_in_workers = in_process
    importing.PARALLEL_FROM = 0
    settings.IMPORT_INLINE_MAX_BYTES = 0
    user = bench_importing._admin_user()
    with open(path, "rb") as handle:
        job = importing.start_import(actor=user, upload=SimpleUploadedFile("bench.xlsx", handle.read()))
    job = importing.preview_import(job.pk)
    rows = args.rows
    total = sum(timings.values())
    print(
        f"{rows:,} filas en {len(timings)} bloques: {total:.3f} s de CPU, {total / rows * 1e6:.1f} µs/fila "
        f"(el menor de {args.repeat} por bloque); huella {digest.hexdigest()}",
        flush=True,
    )
    ImportStagedRow.objects.filter(batch=f"job-{job.pk}").delete()
    job.file.delete(save=False)
    job.delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
