import time

from django.core.management.base import BaseCommand

from credit.services import recompute_balances


class Command(BaseCommand):
    help = (
        "Recalcula el saldo de cada cliente (y lo pagado de cada comprobante) desde los comprobantes y "
        "pagos, e informa cada diferencia con la fila de saldo. --fix las corrige."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="escribir los valores recalculados")

    def handle(self, *args, fix=False, **options):
        started = time.perf_counter()
        differences = recompute_balances(fix=fix)
        for d in differences[:200]:
            self.stdout.write(f"{d.field} de {d.customer_id}: guardado {d.stored}, calculado {d.computed}")
        if len(differences) > 200:
            self.stdout.write(f"… y {len(differences) - 200} diferencias más")
        elapsed = time.perf_counter() - started
        if differences:
            verb = "corregidas" if fix else "encontradas"
            self.stdout.write(self.style.WARNING(f"{len(differences)} diferencias {verb} en {elapsed:.1f} s."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Sin diferencias ({elapsed:.1f} s)."))
