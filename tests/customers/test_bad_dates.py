"""One bad date must never take pages down (issue 19, point 1).

The form's hidden registry_checked_at used to be taken as sent: 0001-01-01T00:00:00+14:00 was
saved, and from then on every page that read that customer (summary, edit, history, list,
admin, search) answered 500 for everybody. Now the server stamps the time of its own lookup,
a stored value Python cannot show reads as empty (config/dbtypes.py), and migration 0017
repairs the values already stored.
"""

import importlib

import pytest
from django.apps import apps as django_apps
from django.test import Client
from django.urls import reverse

from customers.models import Customer
from tests.factories import company_post, make_company
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

POISON = "0001-01-01T00:00:00+14:00"  # 1 BC in UTC: PostgreSQL keeps it, Python cannot read it
EDGE = "0001-01-01T02:00:00+00:00"  # readable, but overflows when shown in Lima time
FAR = "9999-12-31T23:00:00+00:00"
GLORIA = "20100070970"


@pytest.fixture
def admin_client():
    client = Client(raise_request_exception=False)
    client.force_login(user_with_role("Administrador", is_staff=True))
    return client


def pages(customer) -> list[str]:
    return [
        reverse("customers:detail", args=[customer.pk]),
        reverse("customers:detail", args=[customer.pk]) + "?tab=notas",
        reverse("customers:update", args=[customer.pk]),
        reverse("customers:history", args=[customer.pk]),
        reverse("customers:delete", args=[customer.pk]),
        reverse("customers:list"),
        reverse("customers:list") + "?q=gloria",
        reverse("admin:customers_customer_change", args=[customer.pk]),
        reverse("admin:customers_customer_changelist"),
    ]


def test_the_form_cannot_set_when_the_registry_was_asked(admin_client):
    post = company_post(registry_status="ACTIVO", registry_condition="HABIDO", registry_checked_at=POISON)
    assert admin_client.post(reverse("customers:create"), post).status_code == 302
    customer = Customer.objects.get()
    assert customer.registry_checked_at is None
    for url in pages(customer):
        assert admin_client.get(url).status_code == 200, url


@pytest.mark.parametrize("stored", [POISON, EDGE, FAR])
def test_a_stored_time_python_cannot_show_leaves_every_page_working(admin_client, stored):
    customer = make_company(business_name="Gloria S.A.", registry_status="ACTIVO", registry_condition="HABIDO")
    Customer.objects.filter(pk=customer.pk).update(registry_checked_at=stored)
    customer.history.update(registry_checked_at=stored)

    for url in pages(customer):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    summary = admin_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Padrón SUNAT, consultado el —" in summary


def test_a_customer_with_a_poisoned_time_can_still_be_edited(admin_client):
    customer = make_company(document_number=GLORIA, registry_status="ACTIVO", registry_condition="HABIDO")
    Customer.objects.filter(pk=customer.pk).update(registry_checked_at=POISON)
    from customers import services

    services.update_customer(
        actor=None,
        customer=Customer.objects.get(pk=customer.pk),
        data={
            "kind": "empresa",
            "document_type": "6",
            "document_number": GLORIA,
            "business_name": "Gloria S.A.A.",
            "business_line": "Lácteos",
            "address": {"district": "150122", "street": "Av. Larco 123"},
            "registry_status": "ACTIVO",
            "registry_condition": "HABIDO",
        },
    )
    assert Customer.objects.filter(pk=customer.pk, registry_checked_at__isnull=True).exists()


def test_a_notes_cursor_out_of_range_shows_the_first_page(admin_client):
    customer = make_company()
    for cursor in (f"{POISON}~5", "9999-12-31T23:59:59-14:00~5", "0001-01-01T00:00:00-14:00~1"):
        response = admin_client.get(reverse("customers:notes", args=[customer.pk]), {"antes": cursor})
        assert response.status_code == 200


repair = importlib.import_module("customers.migrations.0017_repair_registry_dates").repair


def test_the_migration_empties_out_of_range_times_in_customers_and_their_history():
    bad = make_company(registry_status="ACTIVO", registry_condition="HABIDO")
    good = make_company(registry_status="ACTIVO", registry_condition="HABIDO")
    Customer.objects.filter(pk=bad.pk).update(registry_checked_at=POISON)
    bad.history.update(registry_checked_at=POISON)
    Customer.objects.filter(pk=good.pk).update(registry_checked_at="2025-05-12T15:30:00+00:00")

    repair(django_apps, None)

    assert list(Customer.objects.filter(registry_checked_at__isnull=True).values_list("pk", flat=True)) == [bad.pk]
    assert not bad.history.filter(registry_checked_at__isnull=False).exists()
    assert Customer.objects.get(pk=good.pk).registry_checked_at.year == 2025


@pytest.mark.parametrize("bound", ["0001-01-01", "01/01/0001", "9999-12-31", "31/12/99999"])
def test_a_date_filter_out_of_range_is_ignored_with_a_spanish_notice(admin_client, bound):
    from tests.attributes.factories import make_definition

    aniversario = make_definition(kind="fecha", name="Aniversario")
    response = admin_client.get(reverse("customers:list"), {f"{aniversario.field_name}_min": bound})
    assert response.status_code == 200
    assert "Se ignoró el filtro «Aniversario (desde)»" in response.content.decode()


def test_the_task_queues_far_date_reads_as_itself_without_a_warning(caplog):
    from datetime import UTC, datetime

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz, %s::timestamptz", ["9999-01-01T00:00:00+00:00", FAR])
        sentinel, far = cursor.fetchone()
    assert sentinel == datetime(9999, 1, 1, tzinfo=UTC)  # django-tasks-db's "no run_after"
    assert far is None  # past the last day that converts to every time zone: still shown empty
    assert "9999-01-01" not in caplog.text
