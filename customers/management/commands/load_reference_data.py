from django.core.management.base import BaseCommand
from django.db import transaction

from customers.reference import load_reference_data


class Command(BaseCommand):
    help = "Carga o actualiza el ubigeo INEI y el catálogo 06 de SUNAT (idempotente)."

    def handle(self, *args, **options):
        with transaction.atomic():
            counts = load_reference_data()
        self.stdout.write(
            f"Datos de referencia: {counts['Department']} departamentos, {counts['Province']} provincias, "
            f"{counts['District']} distritos, {counts['DocumentType']} tipos de documento."
        )
