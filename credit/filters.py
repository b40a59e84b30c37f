"""The customer list's "Crédito" filter, added to customers' CustomerFilterSet through
customers.extensions (so the page, its htmx refresh and the export apply it alike).

Each choice reads the balance row (CreditAccount), never the documents: an EXISTS probe by
primary key per customer walked in the list's order, or the small partial indexes of
CreditAccount when few customers match (bloqueado, excedido, con deuda vencida).
"""

import django_filters
from django.db import connection
from django.db.models import BooleanField, Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from credit.models import CreditAccount
from credit.queries import apply_live_holds
from customers.filters import FilterSelect

CREDIT_CHOICES = [
    ("con_cupo", "Con cupo"),
    ("sin_cupo", "Sin cupo"),
    ("bloqueado", "Bloqueado"),
    ("excedido", "Excedido (saldo > cupo)"),
    ("vencida", "Con deuda vencida"),
]


def credit_condition(value: str) -> Q | None:
    """The CreditAccount rows of a choice; None for "sin cupo" (the customers with none of "con cupo")."""
    if value == "con_cupo":
        return Q(credit_limit__gt=0)
    if value == "bloqueado":
        return Q(is_blocked=True)
    if value == "excedido":
        # Only customers given a cupo: one without credit who owes a contado sale isn't "excedido".
        return Q(credit_limit__isnull=False, balance__gt=F("credit_limit"))
    if value == "vencida":
        return Q(oldest_due_date__lt=timezone.localdate())
    return None


# "bloqueado" and "excedido" hold few customers (about 1% each in the benchmark). As an
# EXISTS, the planner may read the whole customer table to find them (0.6–2 s at 1M); their
# ids, read from the small partial index of CreditAccount, go to the list as a literal list
# instead, which the primary key index answers. Above this many it is not a small set: EXISTS.
FEW = 10_000
SELECTIVE = {"bloqueado", "excedido"}


class CreditFilter(django_filters.ChoiceFilter):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Crédito")
        kwargs.setdefault("choices", CREDIT_CHOICES)
        kwargs.setdefault("empty_label", "Todos")
        kwargs.setdefault("widget", FilterSelect(attrs={"class": "form-select"}))
        super().__init__(**kwargs)

    def filter(self, queryset, value):
        if not value:
            return queryset
        accounts = CreditAccount.objects.filter(customer_id=OuterRef("pk"))
        if value == "sin_cupo":
            return queryset.filter(~Exists(accounts.filter(credit_limit__gt=0)))
        condition = credit_condition(value)
        if value in SELECTIVE:
            ids = list(CreditAccount.objects.filter(condition).values_list("customer_id", flat=True)[: FEW + 1])
            if len(ids) <= FEW:
                # One array parameter (= ANY), not an IN list of thousands: planning an IN list
                # of 2,000 values took longer than running the query (78 ms at 200,000).
                table = connection.ops.quote_name(queryset.model._meta.db_table)
                # The ids go as a parameter; only the table name (quoted) is in the SQL text.
                condition = RawSQL(f"{table}.id = ANY(%s)", (ids,), output_field=BooleanField())  # noqa: S611
                return queryset.filter(condition)
        return queryset.filter(Exists(accounts.filter(condition)))


def make_credit_filter() -> CreditFilter:
    return CreditFilter()


def load_credit_rows(rows: list) -> None:
    """The list's "Crédito disponible" column: each row's balance row, one query per page."""
    accounts = CreditAccount.objects.in_bulk([row.pk for row in rows]) if rows else {}
    # Crédito disponible counts the authorizations still holding (expired ones no more).
    apply_live_holds(accounts.values())
    for row in rows:
        row.credit_row = accounts.get(row.pk)


def credit_row_state(row) -> list[str]:
    """The list's row menu offers Desbloquear crédito on a row whose credit is blocked
    (customers.extensions.row_states); reads what load_credit_rows attached."""
    account = getattr(row, "credit_row", None)
    return ["credit-blocked"] if account is not None and account.is_blocked else []
