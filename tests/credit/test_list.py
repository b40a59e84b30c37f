"""The customer list and summary with what credit adds through customers.extensions."""

from decimal import Decimal

import pytest
from django.urls import reverse

from credit import services
from customers.filters import CustomerFilterSet
from customers.models import Customer
from tests.credit.factories import make_document
from tests.factories import make_company
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db
LIST = reverse("customers:list")


@pytest.fixture
def customers():
    with_limit = make_company(business_name="Con Cupo S.A.C.")
    services.update_sales_conditions(actor=None, customer=with_limit, data={"credit_limit": "1000"})
    make_document(with_limit, total="200")
    blocked = make_company(business_name="Bloqueado S.A.C.")
    services.update_sales_conditions(actor=None, customer=blocked, data={"credit_limit": "0"})
    services.block_credit(actor=None, customer=blocked, reason="Mora")
    exceeded = make_company(business_name="Excedido S.A.C.")
    services.update_sales_conditions(actor=None, customer=exceeded, data={"credit_limit": "100"})
    make_document(exceeded, total="150")
    overdue = make_company(business_name="Vencido S.A.C.")
    make_document(overdue, total="50", days_ago=40, term_days=30)
    plain = make_company(business_name="Sin Nada S.A.C.")
    return {"with_limit": with_limit, "blocked": blocked, "exceeded": exceeded, "overdue": overdue, "plain": plain}


def _names(value):
    filterset = CustomerFilterSet({"credito": value}, queryset=Customer.objects.filter(deleted_at__isnull=True))
    return set(filterset.qs.values_list("name", flat=True))


@pytest.mark.parametrize(
    "value,expected",
    [
        ("con_cupo", {"Con Cupo S.A.C.", "Excedido S.A.C."}),
        ("sin_cupo", {"Bloqueado S.A.C.", "Vencido S.A.C.", "Sin Nada S.A.C."}),
        ("bloqueado", {"Bloqueado S.A.C."}),
        ("excedido", {"Excedido S.A.C."}),
        ("vencida", {"Vencido S.A.C."}),
    ],
)
def test_each_credit_filter(customers, value, expected):
    assert _names(value) == expected


def test_an_unknown_credit_value_is_ignored_with_a_notice(client, customers):
    client.force_login(user_with_role("Consulta"))
    page = client.get(LIST, {"credito": "todo"}).content.decode()
    assert "Se ignoró el filtro «Crédito»" in page


def test_the_list_shows_the_available_credit_column(client, customers):
    client.force_login(user_with_role("Consulta"))
    page = client.get(LIST, {"credito": "con_cupo"}).content.decode()
    assert "Crédito disponible" in page
    assert "S/ 800.00" in page  # 1,000 − 200
    assert "-S/ 50.00" in page  # 100 − 150


def test_filtering_by_bloqueado_in_the_page(client, customers):
    client.force_login(user_with_role("Créditos"))
    page = client.get(LIST, {"credito": "bloqueado"}).content.decode()
    assert "Bloqueado S.A.C." in page and "Con Cupo S.A.C." not in page
    assert "Desbloquear crédito" in page


def test_summary_has_the_credit_tabs(client, customers):
    client.force_login(user_with_role("Consulta"))
    page = client.get(reverse("customers:detail", args=[customers["with_limit"].pk])).content.decode()
    for label in ("Condiciones de venta", "Comprobantes", "Puntos"):
        assert label in page
    assert reverse("credit:conditions", args=[customers["with_limit"].pk]) in page
    assert "todavía no están disponibles" not in page


def test_the_export_filterset_is_the_same(customers):
    # The list's FilterSet carries the filter: whatever reuses it (the export) filters alike.
    filterset = CustomerFilterSet({"credito": "excedido"}, queryset=Customer.objects.all())
    assert "credito" in filterset.filters
    assert [c.name for c in filterset.qs] == ["Excedido S.A.C."]


def test_balance_row_after_documents(customers):
    from credit.models import CreditAccount

    assert CreditAccount.objects.get(customer=customers["exceeded"]).balance == Decimal("150.00")


@pytest.mark.parametrize("value", ["bloqueado", "excedido"])
def test_selective_filters_past_the_small_set_use_exists(customers, monkeypatch, value):
    from credit import filters

    monkeypatch.setattr(filters, "FEW", 0)
    assert _names(value) == {"bloqueado": {"Bloqueado S.A.C."}, "excedido": {"Excedido S.A.C."}}[value]
