"""The preview's timeline, for bench/preview.py --timeline: when each phase runs, in which
process, and how busy the machine's cores are meanwhile (where one of them idles).

Events are appended, one line each, to a file every process of the preview writes (the job's
process and its forked workers): ``pid  start  end  label`` (time.time()). A sampler thread
reads every 0.1 s the CPU of the job's process, of its worker processes, of the PostgreSQL
server's processes and of the whole machine (/proc). The sampler and the wrappers cost CPU of
their own: compare CPU figures from runs without --timeline.
"""

import functools
import os
import threading
import time
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
_events_path = None


def _log(label: str, start: float, end: float) -> None:
    with open(_events_path, "a") as out:
        out.write(f"{os.getpid()}\t{start:.4f}\t{end:.4f}\t{label}\n")


def _timed(owner, name: str, label: str | None = None) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        start = time.time()
        try:
            return original(*args, **kwargs)
        finally:
            _log(label or name, start, time.time())

    setattr(owner, name, wrapper)


def _timed_generator(owner, name: str, label: str, *, inside: bool = False) -> None:
    """A generator function whose time inside next() is logged once, when it ends: as an event
    from its first to its last item (``inside``: from its first item for the time spent inside)."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        inner = original(*args, **kwargs)
        first = time.time()
        spent = 0.0
        while True:
            start = time.time()
            try:
                item = next(inner)
            except StopIteration:
                spent += time.time() - start
                if inside:
                    _log(label, first, first + spent)
                else:
                    _log(f"{label} ({spent:.2f} s dentro)", first, time.time())
                return
            spent += time.time() - start
            yield item

    setattr(owner, name, wrapper)


def install(path: str) -> None:
    """Wrap the preview's phases (in this process; the workers inherit the wrappers at the fork)."""
    global _events_path
    _events_path = path
    Path(path).write_text("")
    import multiprocessing.pool

    from customers import import_staging, importing, spreadsheets

    _timed(spreadsheets, "open_tables", "leer: abrir y cargar la hoja (calamine)")
    _timed_generator(spreadsheets, "_numbered", "leer: filas (celdas a Python)")
    _timed(importing, "_analyze", "analizar (todo)")
    _timed(importing, "_analyze_in_workers", "procesos de trabajo (desde el fork)")
    _timed(importing, "_check_in_worker", "bloque en un proceso de trabajo")
    _timed(importing, "_clean_chunk", "  limpiar y emparejar (consultas + reglas)")
    _timed_generator(importing, "_staged_customer_rows", "  filas preparadas", inside=True)
    _timed(import_staging, "stage", "COPY a la tabla de preparación")
    _timed(import_staging, "discard_stale", "discard_stale")
    _timed(import_staging, "refresh_statistics", "ANALYZE")
    _timed(importing, "_namesakes_warning", "homónimos")
    _timed(importing, "_ready", "_ready")
    _timed(multiprocessing.pool.ApplyResult, "get", "esperar a un proceso de trabajo")
    import multiprocessing.queues

    # In a worker: waiting for a chunk, and sending its answer (the parent's threads read it).
    _timed(multiprocessing.queues.SimpleQueue, "get", "  esperar un bloque (get)")
    _timed(multiprocessing.queues.SimpleQueue, "put", "  enviar la respuesta (put)")
    original_start = importing._worker_start

    def worker_start():
        start = time.time()
        original_start()
        from django.db import connection

        def queries(execute, sql, params, many, context):
            began = time.time()
            try:
                return execute(sql, params, many, context)
            finally:
                _log("    consulta", began, time.time())

        connection.execute_wrappers.append(queries)
        _log("inicio del proceso de trabajo", start, time.time())

    importing._worker_start = worker_start


def postmaster() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('data_directory')")
        pidfile = Path(cursor.fetchone()[0]) / "postmaster.pid"
    return int(pidfile.read_text().split()[0])


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == parent:
                found.append(int(entry))
    return found


def _machine() -> tuple[float, float]:
    """CPU seconds of the machine busy, and waiting for input/output (iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / _TICK, fields[4] / _TICK


class Sampler(threading.Thread):
    """CPU seconds so far of: this process, its workers (live ones; a worker's last figure is
    kept once it ends), PostgreSQL's processes, the machine — every ``interval`` seconds."""

    def __init__(self, postmaster: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.postmaster, self.interval, self.samples, self.stop = postmaster, interval, [], threading.Event()
        self.worker_cpu: dict[int, float] = {}
        self.pg_cpu: dict[int, float] = {}

    def run(self):
        me = os.getpid()
        while not self.stop.is_set():
            for pid in _children(me):
                self.worker_cpu[pid] = _cpu(pid)
            for pid in _children(self.postmaster):
                self.pg_cpu[pid] = _cpu(pid)
            busy, iowait = _machine()
            self.samples.append(
                (time.time(), _cpu(me), sum(self.worker_cpu.values()), sum(self.pg_cpu.values()), busy, iowait)
            )
            time.sleep(self.interval)


def report(sampler: Sampler, began: float, bin_seconds: float = 0.5) -> None:
    """The events (relative to ``began``), then the cores busy per bin."""
    events = []
    pids = {}
    for line in Path(_events_path).read_text().splitlines():
        pid, start, end, label = line.split("\t")
        events.append((float(start) - began, float(end) - began, int(pid), label))
        pids.setdefault(int(pid), len(pids))
    print("\nFases (s desde el inicio; P = proceso del trabajo, T1/T2… = procesos de trabajo):")
    me = os.getpid()
    names = {pid: ("P" if pid == me else f"T{index}") for pid, index in pids.items()}
    summary: dict = {}
    for start, end, pid, label in sorted(events):
        if label.strip() in ("consulta",) or label.startswith("  ") or label.startswith("esperar"):
            entry = summary.setdefault((names[pid], label.strip()), [0, 0.0, start, end])
            entry[0] += 1
            entry[1] += end - start
            entry[2], entry[3] = min(entry[2], start), max(entry[3], end)
            continue
        if label == "bloque en un proceso de trabajo" or label.startswith("COPY"):
            entry = summary.setdefault((names[pid], label), [0, 0.0, start, end])
            entry[0] += 1
            entry[1] += end - start
            entry[2], entry[3] = min(entry[2], start), max(entry[3], end)
            continue
        print(f"  {start:7.2f} → {end:7.2f} ({end - start:6.2f} s)  {names[pid]:<3} {label}")
    for (who, label), (count, total, first, last) in sorted(summary.items()):
        print(f"  {first:7.2f} → {last:7.2f}  {who:<3} {label}: {count} veces, {total:.2f} s en total")
    print(f"\nNúcleos ocupados por intervalo de {bin_seconds} s (de 2): P, procesos de trabajo, PostgreSQL, máquina")
    samples = sampler.samples
    edge = began
    previous = samples[0]
    for sample in samples[1:]:
        if sample[0] - previous[0] >= bin_seconds - 1e-6 or sample is samples[-1]:
            span = sample[0] - previous[0]
            values = [(sample[i] - previous[i]) / span for i in range(1, 6)]
            bar = "#" * round(values[3] * 10)
            print(
                f"  {previous[0] - edge:6.2f}–{sample[0] - edge:6.2f}  P {values[0]:4.2f}  T {values[1]:4.2f}"
                f"  PG {values[2]:4.2f}  máquina {values[3]:4.2f} (E/S {values[4]:4.2f}) {bar}"
            )
            previous = sample
