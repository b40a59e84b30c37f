"""What a customer merge (customers.services.merging) moves of the credit app: comprobantes
(their pagos follow them), proyectos, puntos, solicitudes and autorizaciones de crédito; both
balance rows are recomputed from the documents, and their retained amount (`held`) from the
authorizations still approved. The survivor keeps its own condiciones de venta and cupo (Créditos decides those).

Registered from credit/apps.py (customers.merge_movers): customers never imports credit.
"""

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, Sum

from credit.models import (
    ZERO,
    CreditAccount,
    CreditAuthorization,
    CreditRequest,
    Document,
    Payment,
    PointsMovement,
    Project,
)
from credit.services import fill_balances
from customers.merge_movers import Mover

_MODELS = {
    "documents": Document,
    "projects": Project,
    "points": PointsMovement,
    "requests": CreditRequest,
    "authorizations": CreditAuthorization,
}


def count(customer_id: int) -> dict[str, int]:
    return {
        "comprobantes": Document.objects.filter(customer_id=customer_id).count(),
        "pagos": Payment.objects.filter(document__customer_id=customer_id).count(),
        "proyectos": Project.objects.filter(customer_id=customer_id).count(),
        "movimientos de puntos": PointsMovement.objects.filter(customer_id=customer_id).count(),
        "solicitudes de crédito": CreditRequest.objects.filter(customer_id=customer_id).count(),
        "autorizaciones de crédito": CreditAuthorization.objects.filter(customer_id=customer_id).count(),
    }


def refuse(survivor, merged) -> list[str]:
    mine = set(Project.objects.filter(customer_id=survivor.pk).values_list("code", flat=True))
    same = sorted(mine & set(Project.objects.filter(customer_id=merged.pk).values_list("code", flat=True)))
    if same:
        return [f"los dos clientes tienen proyectos con el código {', '.join(same)} (cambie uno antes)"]
    return []


def _accounts(*customer_ids) -> dict[int, CreditAccount]:
    rows = CreditAccount.objects.select_for_update().filter(customer_id__in=customer_ids).order_by("customer_id")
    return {account.customer_id: account for account in rows}


def _refill(*customer_ids) -> None:
    with connection.cursor() as cursor:
        fill_balances(cursor, customer_ids=list(customer_ids))
    # The retained amount is the sum of the authorizations still approved (what
    # credit.authorizations keeps it equal to), whichever customer they belong to now.
    for customer_id in customer_ids:
        held = CreditAuthorization.objects.filter(
            customer_id=customer_id, status=CreditAuthorization.Status.APPROVED
        ).aggregate(total=Sum("amount"))["total"]
        CreditAccount.objects.filter(customer_id=customer_id).update(held=held or ZERO)


def move(survivor, merged, actor) -> dict:
    accounts = _accounts(survivor.pk, merged.pk)
    record = {
        name: list(model.objects.filter(customer_id=merged.pk).values_list("id", flat=True))
        for name, model in _MODELS.items()
    }
    record["payments"] = sorted(
        Payment.objects.filter(document_id__in=record["documents"]).values_list("id", flat=True)
    )
    record["created_account"] = False
    record["held"] = str(accounts[merged.pk].held) if merged.pk in accounts else "0"
    if survivor.pk not in accounts and (record["documents"] or merged.pk in accounts):
        CreditAccount.objects.create(customer_id=survivor.pk)
        record["created_account"] = True
        _accounts(survivor.pk)
    for name, model in _MODELS.items():
        model.objects.filter(pk__in=record[name]).update(customer_id=survivor.pk)
    _refill(survivor.pk, merged.pk)
    return record


def undo(survivor, merged, record, actor) -> None:
    documents = record.get("documents", [])
    for name, model in _MODELS.items():
        ids = record.get(name, [])
        if model.objects.filter(pk__in=ids, customer_id=survivor.pk).count() != len(ids):
            raise ValidationError(
                f"No se puede deshacer: {model._meta.verbose_name_plural} que vinieron de «{merged.name}» "
                "cambiaron de cliente o se eliminaron después de la fusión."
            )
    payments = sorted(Payment.objects.filter(document_id__in=documents).values_list("id", flat=True))
    if payments != record.get("payments", []):
        raise ValidationError(
            f"No se puede deshacer: los comprobantes que vinieron de «{merged.name}» tienen pagos nuevos "
            "desde la fusión."
        )
    newer = Document.objects.filter(customer_id=survivor.pk).exclude(pk__in=documents)
    if newer.filter(Q(related_id__in=documents) | Q(project_id__in=record.get("projects", []))).exists():
        raise ValidationError(
            "No se puede deshacer: hay comprobantes nuevos que se refieren a comprobantes o proyectos "
            f"de «{merged.name}»."
        )
    if PointsMovement.objects.filter(document_id__in=documents).exclude(pk__in=record.get("points", [])).exists():
        raise ValidationError(
            f"No se puede deshacer: hay movimientos de puntos nuevos por comprobantes de «{merged.name}»."
        )
    if (
        CreditAuthorization.objects.filter(pk__in=record.get("authorizations", []), document__isnull=False)
        .exclude(document_id__in=documents)
        .exists()
    ):
        raise ValidationError(
            f"No se puede deshacer: autorizaciones de crédito de «{merged.name}» se usaron en comprobantes "
            "nuevos después de la fusión."
        )
    _accounts(survivor.pk, merged.pk)
    for name, model in _MODELS.items():
        model.objects.filter(pk__in=record.get(name, [])).update(customer_id=merged.pk)
    if record.get("created_account"):
        # The row the merge made for the survivor's balance, unless someone gave it conditions since.
        CreditAccount.objects.filter(
            customer_id=survivor.pk, price_list=None, payment_term=None, credit_limit=None, is_blocked=False
        ).delete()
    _refill(survivor.pk, merged.pk)


MOVER = Mover(key="credito", count=count, move=move, undo=undo, refuse=refuse)
