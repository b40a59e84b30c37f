"""Reads of the credit app: Ver crédito, aging, the Comprobantes tab, the request queue."""

from contextlib import suppress
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, Q, Sum
from django.db.models.functions import Round
from django.shortcuts import get_object_or_404
from django.utils import timezone

from credit.models import ZERO, CreditAccount, CreditAuthorization, CreditRequest, Document, PointsMovement, Project
from customers.models import Customer

DOCUMENTS_PER_PAGE = 25

# Aging buckets: (key, label, first day overdue, last day overdue or None).
AGING_BUCKETS = [
    ("al_dia", "Al día", None, 0),
    ("d1_30", "1–30 días", 1, 30),
    ("d31_60", "31–60 días", 31, 60),
    ("d61_90", "61–90 días", 61, 90),
    ("d90", "Más de 90 días", 91, None),
]


def get_account(customer: Customer) -> CreditAccount:
    """The customer's account, or an unsaved empty one (no conditions, nothing owed yet)."""
    return CreditAccount.objects.select_related("price_list", "payment_term").filter(
        customer_id=customer.pk
    ).first() or (CreditAccount(customer=customer))


def apply_live_holds(accounts, *, now=None) -> None:
    """Set each account's `held` (in memory) to the holds that still count at `now`: an
    authorization past its expiry stops counting by itself, before anything releases it from
    the stored row. One query for the accounts that hold anything; none otherwise."""
    holding = {account.customer_id: account for account in accounts if account is not None and account.held > 0}
    if not holding:
        return
    now = now or timezone.now()
    live = dict(
        CreditAuthorization.objects.filter(
            customer_id__in=list(holding), status=CreditAuthorization.Status.APPROVED, expires_at__gt=now
        )
        .values_list("customer_id")
        .annotate(total=Sum("amount"))
    )
    for customer_id, account in holding.items():
        account.held = live.get(customer_id, ZERO)


@dataclass
class CreditSummary:
    account: CreditAccount
    credit_limit: Decimal | None
    balance: Decimal
    held: Decimal
    available: Decimal
    overdue: Decimal
    oldest_overdue_days: int | None
    is_blocked: bool
    blocked_reason: str
    open_documents: int

    @property
    def has_credit(self) -> bool:
        return self.credit_limit is not None

    @property
    def exceeded(self) -> bool:
        return self.balance > (self.credit_limit or ZERO)


def credit_summary(customer: Customer, *, today: date | None = None) -> CreditSummary:
    """Ver crédito: cupo, saldo, crédito disponible (cupo − saldo − retenido), monto vencido
    and the days of the oldest overdue document. The overdue figures read the customer's
    unpaid documents through document_open_idx; the rest is the balance row."""
    today = today or timezone.localdate()
    account = get_account(customer)
    apply_live_holds([account])
    overdue = ZERO
    days = None
    if account.pk and account.oldest_due_date and account.oldest_due_date < today:
        overdue = (
            _open(customer.pk)
            .filter(due_date__lt=today)
            .aggregate(s=Sum(Round((F("total") - F("paid") - F("credited")) * F("exchange_rate"), 2)))["s"]
            or ZERO
        )
        days = (today - account.oldest_due_date).days
    return CreditSummary(
        account=account,
        credit_limit=account.credit_limit,
        balance=account.balance,
        held=account.held,
        available=account.available,
        overdue=overdue,
        oldest_overdue_days=days,
        is_blocked=account.is_blocked,
        blocked_reason=account.blocked_reason,
        open_documents=account.open_documents,
    )


def _open(customer_id):
    return (
        Document.objects.filter(customer_id=customer_id, is_voided=False)
        .exclude(doc_type=Document.Type.CREDIT_NOTE)
        .filter(paid__lt=F("total") - F("credited"))
    )


def aging(customer: Customer, *, today: date | None = None) -> list[dict]:
    """What the customer owes in soles by days overdue: al día (not yet due, or due today),
    1–30, 31–60, 61–90 and más de 90 días; one query over its unpaid documents."""
    today = today or timezone.localdate()
    owed = Round((F("total") - F("paid") - F("credited")) * F("exchange_rate"), 2)
    sums = {}
    for key, _label, first, last in AGING_BUCKETS:
        condition = Q()
        # A document due on day D is 1 day overdue on D + 1.
        if first is None:
            condition &= Q(due_date__gte=today)
        else:
            condition &= Q(due_date__lte=today - _days(first))
            if last is not None:
                condition &= Q(due_date__gte=today - _days(last))
        sums[key] = Sum(owed, filter=condition)
    totals = _open(customer.pk).aggregate(**sums)
    return [{"key": key, "label": label, "amount": totals[key] or ZERO} for key, label, _first, _last in AGING_BUCKETS]


def _days(n: int) -> timedelta:
    return timedelta(days=n)


STATUS_FILTERS = [
    ("pendiente", "Pendiente"),
    ("parcial", "Pagado parcialmente"),
    ("pagado", "Pagado"),
    ("vencido", "Vencido"),
    ("anulado", "Anulado"),
]


def list_documents(customer: Customer, *, status: str = "", project: str = "", today: date | None = None):
    """The Comprobantes tab: newest first (document_customer_idx), filtered by the derived
    status and by proyecto."""
    today = today or timezone.localdate()
    rows = Document.objects.filter(customer_id=customer.pk).select_related("project", "related")
    debt = ~Q(doc_type=Document.Type.CREDIT_NOTE)
    unpaid = Q(paid__lt=F("total") - F("credited"))
    conditions = {
        "anulado": Q(is_voided=True),
        "pagado": Q(is_voided=False) & debt & ~unpaid,
        "vencido": Q(is_voided=False) & debt & unpaid & Q(due_date__lt=today),
        "parcial": Q(is_voided=False) & debt & unpaid & Q(due_date__gte=today) & (Q(paid__gt=0) | Q(credited__gt=0)),
        "pendiente": Q(is_voided=False) & debt & Q(due_date__gte=today, paid=0, credited=0),
    }
    if status in conditions:
        rows = rows.filter(conditions[status])
    if project:
        with suppress(ValueError):
            rows = rows.filter(project_id=int(project))
    return rows.order_by("-issue_date", "-id")


def document_page(customer: Customer, *, status: str = "", project: str = "", page=1):
    paginator = Paginator(list_documents(customer, status=status, project=project), DOCUMENTS_PER_PAGE)
    return paginator.get_page(page)


def document_totals(customer: Customer) -> dict:
    """Totals of the tab in soles: everything issued (not voided, notas de crédito subtracted) and paid."""
    in_soles = Round(F("total") * F("exchange_rate"), 2)
    paid = Round(F("paid") * F("exchange_rate"), 2)
    live = Document.objects.filter(customer_id=customer.pk, is_voided=False)
    totals = live.aggregate(
        issued=Sum(in_soles, filter=~Q(doc_type="07")),
        notes=Sum(in_soles, filter=Q(doc_type="07")),
        paid=Sum(paid),
    )
    return {
        "issued": (totals["issued"] or ZERO) - (totals["notes"] or ZERO),
        "paid": totals["paid"] or ZERO,
    }


def get_document(customer: Customer, pk) -> Document:
    return get_object_or_404(Document.objects.select_related("customer"), pk=pk, customer_id=customer.pk)


def list_projects(customer: Customer, *, active_only: bool = False):
    rows = Project.objects.filter(customer_id=customer.pk)
    return rows.filter(is_active=True) if active_only else rows


def points_movements(customer: Customer, *, limit: int = 20):
    return list(PointsMovement.objects.filter(customer_id=customer.pk).order_by("-created_at", "-id")[:limit])


def pending_requests():
    return (
        CreditRequest.objects.filter(status=CreditRequest.Status.PENDING)
        .select_related("customer", "requested_by")
        .order_by("requested_at", "id")
    )


def requests_of(user, *, limit: int = 20):
    """What the requester sees: their own requests and the outcome."""
    return list(
        CreditRequest.objects.filter(requested_by=user)
        .select_related("customer", "decided_by")
        .order_by("-requested_at")[:limit]
    )


def customer_requests(customer: Customer, *, limit: int = 10):
    return list(
        CreditRequest.objects.filter(customer_id=customer.pk).select_related("requested_by", "decided_by")[:limit]
    )


def refused_authorizations(*, since, limit: int = 100):
    """Autorizaciones rechazadas since `since` still waiting (not cancelled, not approved by
    exception), newest first."""
    return list(
        CreditAuthorization.objects.filter(status=CreditAuthorization.Status.REFUSED, created_at__gte=since)
        .select_related("customer", "requested_by")
        .order_by("-created_at", "-id")[:limit]
    )


def queue_counts(*, pending: bool, refused_since) -> tuple[int | None, int | None]:
    """The navigation's two badges in one statement (every page of a Créditos or an
    Administrador shows both; each was a round trip): how many raise-cupo requests are pending
    when ``pending``, how many authorizations were refused since ``refused_since`` when it is
    given (None for one not asked)."""
    counted = [
        CreditRequest.objects.filter(status=CreditRequest.Status.PENDING) if pending else None,
        CreditAuthorization.objects.filter(status=CreditAuthorization.Status.REFUSED, created_at__gte=refused_since)
        if refused_since is not None
        else None,
    ]
    if all(queryset is None for queryset in counted):
        return None, None
    parts, params = [], []
    for queryset in counted:
        if queryset is None:
            parts.append("NULL")
            continue
        sql, more = queryset.order_by().values("pk").query.sql_with_params()
        parts.append(f"(SELECT count(*) FROM ({sql}) AS counted)")  # noqa: S608  (SQL from the ORM)
        params.extend(more)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)  # noqa: S608  (SQL compiled by the ORM)
        return cursor.fetchone()


def recent_overrides(*, limit: int = 20):
    return list(
        CreditAuthorization.objects.filter(overridden_at__isnull=False)
        .select_related("customer", "overridden_by")
        .order_by("-overridden_at")[:limit]
    )


def sheet_export_columns() -> list:
    """The credit columns of the customer export: (header, expression on Customer), as the
    spreadsheet's import reads them back (cupo as a plain number, lists by name)."""
    from django.db.models import TextField, Value
    from django.db.models.functions import Cast, Coalesce

    def text(expression):
        return Coalesce(Cast(expression, TextField()), Value(""), output_field=TextField())

    return [
        ("Cupo de crédito", F("credit_account__credit_limit")),  # an amount: a number in the Excel file
        ("Lista de precios", text(F("credit_account__price_list__name"))),
        ("Forma de pago", text(F("credit_account__payment_term__name"))),
    ]
