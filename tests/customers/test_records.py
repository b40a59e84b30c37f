"""Rules of customers.services.records that callers without a form rely on (issue 21): which
fields each type of customer keeps is decided by the service, not by the form."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from customers import services
from customers.models import Customer
from tests.factories import company_data, company_post, valid_dni
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


def person_data(**overrides):
    data = {
        "kind": "persona",
        "document_type": "1",
        "document_number": valid_dni(),
        "first_names": "Rosa Elena",
        "last_names": "Quispe Ñahui",
    }
    data.update(overrides)
    return data


def test_a_person_sent_with_a_razon_social_and_a_contact_is_stored_without_them():
    customer = services.create_customer(
        actor=None, data=person_data(business_name="Inversiones Rosa S.A.C.", contact_name="Ana Ruiz")
    )

    stored = Customer.objects.get(pk=customer.pk)
    assert stored.business_name == "" and not stored.contacts.exists()
    assert stored.name == "Quispe Ñahui, Rosa Elena"


def test_a_company_sent_with_names_is_stored_without_them():
    customer = services.create_customer(actor=None, data=company_data(first_names="Rosa", last_names="Quispe"))

    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.first_names, stored.last_names) == ("", "")


def test_a_field_of_the_other_type_is_not_validated_either():
    # A hidden field is not the caller's mistake: too long, but never stored.
    customer = services.create_customer(actor=None, data=person_data(business_name="x" * 500))

    assert Customer.objects.get(pk=customer.pk).business_name == ""


def test_a_peruvian_customer_sent_with_another_country_is_in_peru():
    customer = services.create_customer(actor=None, data=company_data(country="US"))

    assert Customer.objects.get(pk=customer.pk).country == "PE"


def test_a_peruvian_customer_sent_with_an_unknown_country_is_not_refused_for_it():
    customer = services.create_customer(actor=None, data=company_data(country="ZZ"))

    assert Customer.objects.get(pk=customer.pk).country == "PE"


def test_changing_a_company_into_a_person_drops_its_razon_social():
    customer = services.create_customer(actor=None, data=company_data(contact_name="Ana Ruiz"))
    data = person_data(business_name=customer.business_name, contact_name="Ana Ruiz")

    services.update_customer(actor=None, customer=customer, data=data)

    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.kind, stored.business_name) == ("persona", "")
    # The company's contact became a real Contact at creation: a record of its own, kept.
    assert list(stored.contacts.values_list("name", flat=True)) == ["Ana Ruiz"]


def test_the_form_sends_what_was_typed_and_the_service_drops_the_other_types_fields(client):
    client.force_login(user_with_role("Ventas"))
    post = company_post(first_names="Rosa", last_names="Quispe", country="US")

    client.post(reverse("customers:create"), post)

    stored = Customer.objects.get(document_number=post["document_number"])
    assert (stored.first_names, stored.last_names, stored.country) == ("", "", "PE")


def test_reverting_is_a_permission_of_the_administrador_group():
    administrador = Group.objects.get(name="Administrador")
    assert administrador.permissions.filter(content_type__app_label="customers", codename="revert_customer").exists()
    for role in ("Ventas", "Créditos", "Consulta"):
        assert not Group.objects.get(name=role).permissions.filter(codename="revert_customer").exists()


def _plans_of(queries: list[dict]) -> list[str]:
    """The plans of the captured SELECTs that look a customer up by document or e-mail, with
    sequential scans priced out: a plan that still reads the table whole has no index to use."""
    from django.db import connection

    lookups = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT")
        and ('"document_number" =' in q["sql"] or '"customers_customeremail"."email"' in q["sql"].split("WHERE")[-1])
    ]
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in lookups:
            cursor.execute("EXPLAIN " + sql)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


def test_the_duplicate_checks_of_a_save_use_an_index():
    # At 1,000,000 customers a check without an index read the whole table on every save of
    # the form, the API and the admin: outside the Papelera (the unique indexes' rule) and in
    # it are looked up apart.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    existing = services.create_customer(actor=None, data=company_data(emails="ventas@gloria.pe"))
    services.trash_customer(actor=None, customer=existing)
    with CaptureQueriesContext(connection) as captured:
        services.create_customer(actor=None, data=company_data(emails="compras@gloria.pe"))
    plans = _plans_of(captured.captured_queries)
    assert len(plans) >= 2, plans  # the document's and the e-mail's
    for plan in plans:
        assert "Seq Scan on customers_customer " not in plan and "Seq Scan on customers_customeremail" not in plan, plan


def test_a_document_or_email_in_the_papelera_is_still_reported_as_there():
    data = company_data(emails="ventas@gloria.pe")
    existing = services.create_customer(actor=None, data=data)
    services.trash_customer(actor=None, customer=existing)
    for again in (data, company_data(emails="VENTAS@gloria.pe")):
        with pytest.raises(services.DuplicateCustomerError) as error:
            services.create_customer(actor=None, data=again)
        assert "en la Papelera" in str(error.value)
