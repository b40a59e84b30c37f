from django.core.management.base import BaseCommand

from credit.services import expire_points


class Command(BaseCommand):
    help = "Vence los puntos cuya fecha pasó (ejecútelo a diario)."

    def handle(self, *args, **options):
        changed = expire_points()
        self.stdout.write(f"Puntos vencidos en {changed} cliente{'s' if changed != 1 else ''}.")
