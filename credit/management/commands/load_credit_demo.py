"""manage.py load_credit_demo: credit, debts and points for some demo customers.

Runs after load_demo_data (manage.py run calls both), only while no comprobante exists, and
through credit.services (actor None: the system), so each demo customer has its notes and a
balance row exactly as real use leaves them: condiciones de venta and cupos, facturas and
boletas from the last months with partial and full payments (some overdue in every aging
bucket), a nota de crédito, a USD invoice, blocked credit, points earned and adjusted, and
a pending raise-cupo request.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from credit import services
from credit.models import CreditRequest, Document, PaymentTerm, PriceList
from customers.models import Customer

DEMO_SEED = 2026
WITH_CREDIT = 60


class Command(BaseCommand):
    help = "Carga crédito, comprobantes y puntos de demostración (solo si aún no hay comprobantes)."

    def handle(self, *args, **options):
        if Document.objects.exists():
            self.stdout.write("Ya hay comprobantes: no se cargó el crédito de demostración.")
            return
        customers = list(Customer.objects.filter(deleted_at__isnull=True, is_active=True).order_by("pk")[:WITH_CREDIT])
        if not customers:
            self.stdout.write("No hay clientes: cargue primero los datos de demostración.")
            return
        rng = random.Random(DEMO_SEED)
        today = timezone.localdate()
        general = PriceList.objects.order_by("position").first()
        terms = {t.name: t for t in PaymentTerm.objects.all()}
        credit30 = terms.get("Crédito 30 días")
        number = 0
        with transaction.atomic():
            services.update_points_program(
                actor=None, data={"enabled": True, "points_per_sol": "1", "point_value": "0.01", "expiry_months": "12"}
            )
            Customer.objects.filter(pk__in=[c.pk for c in customers[::2]]).update(loyalty_enrolled=True)
            for index, customer in enumerate(customers):
                customer.refresh_from_db()
                limit = rng.choice(["2000", "5000", "10000", "20000", ""])
                services.update_sales_conditions(
                    actor=None,
                    customer=customer,
                    data={
                        "price_list": general.pk if general else "",
                        "payment_term": credit30.pk if credit30 and limit else "",
                        "credit_limit": limit,
                    },
                )
                series = "F001" if customer.kind == "empresa" else "B001"
                doc_type = "01" if customer.kind == "empresa" else "03"
                for _ in range(rng.randint(1, 5)):
                    number += 1
                    issue = today - timedelta(days=rng.choice([3, 20, 45, 75, 100, 150]))
                    usd = doc_type == "01" and rng.random() < 0.1
                    document = services.register_document(
                        actor=None,
                        customer=customer,
                        data={
                            "doc_type": doc_type,
                            "series": series,
                            "number": number,
                            "issue_date": issue,
                            "due_date": issue + timedelta(days=30),
                            "total": f"{rng.randint(150, 6000)}.{rng.randint(0, 99):02d}",
                            "currency": "USD" if usd else "PEN",
                            "exchange_rate": "3.7500" if usd else "",
                        },
                    )
                    roll = rng.random()
                    if roll < 0.45:
                        amount = document.total
                    elif roll < 0.7:
                        amount = (document.total * Decimal("0.4")).quantize(Decimal("0.01"))
                    else:
                        continue
                    services.register_payment(
                        actor=None,
                        document=document,
                        data={
                            "date": min(today, issue + timedelta(days=rng.randint(1, 40))),
                            "amount": amount,
                            "method": terms["Transferencia"].pk if "Transferencia" in terms else "",
                            "reference": f"OP-{number:06d}",
                        },
                    )
                if index % 17 == 5:
                    services.block_credit(actor=None, customer=customer, reason="Cheque devuelto por el banco")
            # A nota de crédito on an open factura, and a pending request for Créditos' queue.
            invoice = Document.objects.filter(doc_type="01", paid=0, is_voided=False).first()
            if invoice:
                number += 1
                services.register_document(
                    actor=None,
                    customer=invoice.customer,
                    data={
                        "doc_type": "07",
                        "series": "F001",
                        "number": number,
                        "issue_date": today,
                        "total": (invoice.total / 10).quantize(Decimal("0.01")),
                        "currency": invoice.currency,
                        "exchange_rate": invoice.exchange_rate,
                        "related": invoice.pk,
                    },
                )
            enrolled = next((c for c in customers if c.loyalty_enrolled), None)
            if enrolled:
                services.adjust_points(actor=None, customer=enrolled, points="150", reason="Bono de bienvenida")
            if not CreditRequest.objects.exists():
                services.request_credit_increase(
                    actor=None, customer=customers[0], amount="50000", reason="Campaña de fin de año"
                )
        self.stdout.write(self.style.SUCCESS(f"Crédito de demostración cargado para {len(customers)} clientes."))
