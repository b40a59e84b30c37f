"""A worker that loads one padrón slowly, for tests/padron/test_kill.py to kill -9 mid-load.

    python tests/padron/worker_for_kill.py LOAD_ID      (DATABASE_URL: the test database)

It runs the task's own code (padron.loading.run_load); only the reading is slowed down
(small chunks, a pause after each) so the test can catch it in the middle.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from padron import loading, reader  # noqa: E402

original = reader.read_chunks


def slow_chunks(source, layout, rejections, **options):
    for chunk in original(source, layout, rejections, chunk_bytes=16 * 1024):
        yield chunk
        time.sleep(0.1)


reader.read_chunks = slow_chunks
loading.run_load(int(sys.argv[1]))
