"""The list's filter «Padrón SUNAT»: customers whose saved estado is not ACTIVO, or whose
condición is NO HABIDO / NO HALLADO (filled by the lupa or by a new padrón, padron app)."""

import pytest
from django.db import connection

from customers import queries
from customers.filters import CustomerFilterSet
from tests.factories import make_company

pytestmark = pytest.mark.django_db


@pytest.fixture
def companies():
    return {
        "activo": make_company(business_name="Empresa Habida", registry_status="ACTIVO", registry_condition="HABIDO"),
        "baja": make_company(business_name="De baja", registry_status="BAJA DE OFICIO", registry_condition="HABIDO"),
        "no_habido": make_company(business_name="No habida", registry_status="ACTIVO", registry_condition="NO HABIDO"),
        "no_hallado": make_company(
            business_name="No hallada", registry_status="ACTIVO", registry_condition="NO HALLADO-SE MUDO DE DOMICILIO"
        ),
        "sin_consulta": make_company(business_name="Sin consulta"),
    }


def names(value: str) -> list[str]:
    filterset = CustomerFilterSet({"padron": value}, queryset=queries.list_customers())
    return [c.name for c in filterset.qs]


def test_no_activo_or_no_habido(companies):
    assert names("alerta") == ["De baja", "No habida", "No hallada"]


def test_no_activo(companies):
    assert names("no_activo") == ["De baja"]


def test_no_habido_or_no_hallado(companies):
    assert names("no_habido") == ["No habida", "No hallada"]


def test_the_filter_counts_as_an_active_filter(companies):
    filterset = CustomerFilterSet({"padron": "alerta"}, queryset=queries.list_customers())
    assert filterset.active_filters == 1


def _many_habido_copies(customer, count: int) -> None:
    """``count`` copies of a HABIDO company (other documents), then ANALYZE: the planner then
    sees a table where the alerts are few, as in an office's data, whatever statistics earlier
    tests (or autovacuum) left behind for this table."""
    table = customer._meta.db_table
    columns = [f.column for f in customer._meta.concrete_fields if f.column != "id" and not f.generated]
    chosen = ", ".join(
        "lpad((20000000000 + n)::text, 11, '0')" if column == "document_number" else f"c.{column}" for column in columns
    )
    with connection.cursor() as cursor:
        copies = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {chosen} FROM {table} c"  # noqa: S608
        cursor.execute(copies + ", generate_series(1, %s) n WHERE c.id = %s", [count, customer.pk])
        cursor.execute(f"ANALYZE {table}")


@pytest.mark.parametrize("value", ["alerta", "no_activo", "no_habido"])
def test_each_value_can_use_the_partial_index(companies, value):
    _many_habido_copies(companies["activo"], 3_000)
    filterset = CustomerFilterSet({"padron": value}, queryset=queries.list_customers())
    sql, params = filterset.qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "customer_registry_alert_idx" in plan


def test_the_list_page_offers_the_filter(client, ventas, companies):
    client.force_login(ventas)
    page = client.get("/clientes/?padron=alerta").content.decode()
    assert 'name="padron"' in page and "No activo o no habido" in page
    assert "De baja" in page and "Empresa Habida" not in page
