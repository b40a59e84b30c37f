"""manage.py load_padron FILE: load SUNAT's padrón reducido del RUC (the .zip or the .txt)."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from padron import services
from padron.models import PadronLoad


class Command(BaseCommand):
    help = "Carga el padrón reducido del RUC de SUNAT (el .zip descargado o el .txt que contiene)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="ruta del padron_reducido_ruc.zip (o .txt)")
        parser.add_argument("--fecha", help="fecha del padrón, dd/mm/aaaa (por defecto, la del archivo)")

    def handle(self, *args, file, fecha=None, **options):
        file_date = None
        if fecha:
            try:
                file_date = datetime.strptime(fecha, "%d/%m/%Y").date()
            except ValueError:
                raise CommandError(f"--fecha debe ser dd/mm/aaaa, no {fecha!r}") from None
        self._shown = ""
        try:
            load = services.load_path(file, file_date=file_date, report=self._report)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write("")
        for reason, count in sorted(load.rejected_by_reason.items(), key=lambda item: -item[1]):
            self.stdout.write(f"  Rechazadas por {reason}: {count:,}")
        for line, reason, text in load.rejected_samples[:10]:
            self.stdout.write(f"    línea {line:,}: {reason}: {text}")
        if load.status != PadronLoad.Status.DONE:
            raise CommandError(load.message)
        seconds = (load.finished_at - load.started_at).total_seconds()
        rate = load.lines_read / seconds if seconds else 0
        self.stdout.write(
            self.style.SUCCESS(f"{load.message} {load.lines_read:,} líneas en {seconds:.1f} s ({rate:,.0f} líneas/s).")
        )

    def _report(self, load):
        percent = 100 * load.bytes_read / load.bytes_total if load.bytes_total else 0
        text = (
            f"{load.phase or 'Cargando'}: {load.lines_read:,} líneas leídas ({percent:.0f}%), "
            f"{load.rows_rejected:,} rechazadas"
        )
        if text != self._shown and self.stdout.isatty():
            self.stdout.write("\r" + text, ending="")
        elif text != self._shown:
            self.stdout.write(text)
        self._shown = text
