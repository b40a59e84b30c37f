"""Every write path leaves exactly one history record per changed object, with the acting
user, and one note; the history page, the revert button, the admin and the bulk actions."""

import pytest
from django.urls import reverse

from customers import services
from customers.models import Address, Contact, Customer, CustomerNote
from tests import factories
from tests.factories import valid_ruc
from tests.roles import assert_can, assert_cannot, user_with_role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def company_post(**overrides) -> dict:
    return factories.company_post(**{"phone_number_0": "999 111 222", "email_0": "ventas@gloria.pe", **overrides})


class Ledger:
    """Counts of historical records and notes, to compare before and after one action."""

    MODELS = {"customer": Customer, "address": Address, "contact": Contact}

    def __init__(self):
        self.before = self.counts()

    @classmethod
    def counts(cls) -> dict:
        counts = {name: model.history.count() for name, model in cls.MODELS.items()}
        counts["note"] = CustomerNote.objects.count()
        return counts

    def added(self) -> dict:
        after = self.counts()
        return {key: after[key] - self.before[key] for key in after if after[key] != self.before[key]}


def _last(model):
    return model.history.latest("history_id")


def test_the_form_panel_lifecycle_and_revert_pages_leave_one_record_per_change_with_the_acting_user(client):
    admin = user_with_role("Administrador", first_name="Luz")
    client.force_login(admin)

    def check(expected: dict, action, *, models=("customer",)):
        ledger = Ledger()
        response = action()
        assert response.status_code in (200, 302), response.content[:500]
        assert ledger.added() == expected
        for name in models:
            assert _last(Ledger.MODELS[name]).history_user == admin
        assert CustomerNote.objects.latest("created_at", "id").author == admin

    # Create and edit through the form.
    check(
        {"customer": 1, "address": 1, "note": 1},
        lambda: client.post(reverse("customers:create"), company_post()),
        models=("customer", "address"),
    )
    customer = Customer.objects.get(document_number="20100070970")
    update = reverse("customers:update", args=[customer.pk])
    check({"customer": 1, "note": 1}, lambda: client.post(update, company_post(phone_number_0="988 777 666")))
    # The main address belongs to the customer's form: its change is a new customer version
    # too (optimistic concurrency: a form opened before it is stale), with its record.
    check(
        {"customer": 1, "address": 1, "note": 1},
        lambda: client.post(update, company_post(phone_number_0="988 777 666", address_street="Jr. Nuevo 1")),
        models=("address",),
    )
    # Addresses and contacts through their panels.
    address_data = {
        "kind": "entrega",
        "department": "04",
        "province": "0401",
        "district": "040126",
        "street": "Calle 1",
    }
    check(
        {"address": 1, "note": 1},
        lambda: client.post(reverse("customers:address_create", args=[customer.pk]), address_data, **HTMX),
        models=("address",),
    )
    second = customer.addresses.get(street="Calle 1")
    check(
        {"address": 1, "note": 1},
        lambda: client.post(
            reverse("customers:address_update", args=[customer.pk, second.pk]),
            {**address_data, "street": "Calle 2"},
            **HTMX,
        ),
        models=("address",),
    )
    # The old default and the new one: two addresses changed, one record each (and the
    # customer's version, whose main address changed).
    check(
        {"customer": 1, "address": 2, "note": 1},
        lambda: client.post(reverse("customers:address_make_default", args=[customer.pk, second.pk]), **HTMX),
        models=("address",),
    )
    check(
        {"customer": 1, "address": 2, "note": 1},
        lambda: client.post(reverse("customers:address_delete", args=[customer.pk, second.pk]), **HTMX),
        models=("address",),
    )
    check(
        {"contact": 1, "note": 1},
        lambda: client.post(reverse("customers:contact_create", args=[customer.pk]), {"name": "Ana Ruiz"}, **HTMX),
        models=("contact",),
    )
    contact = customer.contacts.get()
    contact_url = reverse("customers:contact_update", args=[customer.pk, contact.pk])
    check(
        {"contact": 1, "note": 1},
        lambda: client.post(contact_url, {"name": "Ana Ruiz", "role": "Compras"}, **HTMX),
        models=("contact",),
    )
    check(
        {"contact": 1, "note": 1},
        lambda: client.post(reverse("customers:contact_delete", args=[customer.pk, contact.pk]), **HTMX),
        models=("contact",),
    )
    # Lifecycle, one by one and in bulk.
    check({"customer": 1, "note": 1}, lambda: client.post(reverse("customers:suspend", args=[customer.pk])))
    check({"customer": 1, "note": 1}, lambda: client.post(reverse("customers:reactivate", args=[customer.pk])))
    bulk = reverse("customers:bulk")
    check({"customer": 1, "note": 1}, lambda: client.post(bulk, {"accion": "suspender", "ids": [customer.pk]}))
    check({"customer": 1, "note": 1}, lambda: client.post(bulk, {"accion": "reactivar", "ids": [customer.pk]}))
    check({"customer": 1, "note": 1}, lambda: client.post(reverse("customers:delete", args=[customer.pk])))
    check({"customer": 1, "note": 1}, lambda: client.post(reverse("customers:restore", args=[customer.pk])))
    check({"customer": 1, "note": 1}, lambda: client.post(bulk, {"accion": "eliminar", "ids": [customer.pk]}))
    check({"customer": 1, "note": 1}, lambda: client.post(reverse("customers:restore", args=[customer.pk])))
    # Revert to the first version.
    first = customer.history.earliest("history_id")
    check(
        {"customer": 1, "note": 1},
        lambda: client.post(reverse("customers:revert", args=[customer.pk, first.history_id])),
    )
    customer.refresh_from_db()
    assert customer.phone == "+51999111222"
    # The admin cannot write at all: its customer pages are read-only, history included.
    ledger = Ledger()
    change = reverse("admin:customers_customer_change", args=[customer.pk])
    client.post(change, {"business_name": "Cambiada"})
    version = reverse("admin:customers_customer_simple_history", args=[customer.pk, first.history_id])
    assert client.post(version, {"business_name": "Cambiada"}).status_code == 403
    assert ledger.added() == {}
    customer.refresh_from_db()
    assert customer.name == "Gloria S.A."
    # Every customer record names the user; purge keeps the history (a "-" record).
    records = Customer.history.filter(id=customer.pk)
    assert not records.filter(history_user__isnull=True).exists()
    client.post(reverse("customers:delete", args=[customer.pk]))
    ledger = Ledger()
    client.post(reverse("customers:purge", args=[customer.pk]))
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert Customer.history.filter(id=customer.pk, history_type="-").get().history_user == admin
    # create, edit, 8 lifecycle changes, revert, trash, purge: one record each; and 3 for the
    # main address (changed in the form, made default, deleted as default: new versions).
    assert Customer.history.filter(id=customer.pk).count() == 16


def test_the_historical_customer_keeps_the_phones_and_emails_of_each_version():
    customer = services.create_customer(
        actor=None,
        data={
            "kind": "persona",
            "document_type": "1",
            "first_names": "Rosa",
            "last_names": "Quispe",
            "phones": [{"number": "999111222", "whatsapp": True}],
            "emails": ["rosa@correo.pe"],
        },
    )
    record = customer.history.get()
    assert (record.phones, record.emails, record.history_type) == ([["+51999111222", True]], ["rosa@correo.pe"], "+")
    services.suspend_customer(actor=None, customer=customer)
    assert customer.history.latest("history_id").phones == [["+51999111222", True]]


# --- the history page --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["Administrador", "Ventas", "Créditos", "Consulta"])
def test_every_role_that_views_customers_sees_the_full_history(client, role):
    ventas = user_with_role("Ventas", first_name="Ana", last_name="Ruiz")
    customer = services.create_customer(actor=ventas, data=company_post_data())
    services.update_customer(actor=ventas, customer=customer, data=company_post_data(phones=["988777666"]))
    response = assert_can(client, role, "get", reverse("customers:history", args=[customer.pk]))
    page = response.content.decode()
    assert "Teléfono: 999 111 222 → 988 777 666" in page
    assert "Ana Ruiz" in page
    assert "Dirección: Av. Larco 123, Miraflores" in page
    assert ("Revertir a esta versión" in page) == (role == "Administrador")


def company_post_data(**overrides) -> dict:
    """Gloria S.A. as the services take it, with one phone."""
    gloria = {
        "document_number": "20100070970",
        "business_name": "Gloria S.A.",
        "business_line": "Lácteos",
        "phones": ["999111222"],
        "address": {"district": "150122", "street": "Av. Larco 123"},
    }
    return factories.company_data(**{**gloria, **overrides})


def test_the_summary_links_to_the_history(client):
    customer = services.create_customer(actor=None, data=company_post_data())
    page = assert_can(client, "Consulta", "get", reverse("customers:detail", args=[customer.pk])).content.decode()
    assert reverse("customers:history", args=[customer.pk]) in page


@pytest.mark.parametrize("role", ["Ventas", "Créditos", "Consulta"])
def test_only_an_administrador_reverts(client, role):
    customer = services.create_customer(actor=None, data=company_post_data())
    record = customer.history.get()
    services.update_customer(actor=None, customer=customer, data=company_post_data(business_name="Otra S.A."))
    assert_cannot(client, role, "post", reverse("customers:revert", args=[customer.pk, record.history_id]))
    customer.refresh_from_db()
    assert customer.name == "Otra S.A."


def test_a_revert_refused_by_the_rules_shows_a_spanish_message(client):
    client.force_login(user_with_role("Administrador"))
    customer = services.create_customer(actor=None, data=company_post_data())
    record = customer.history.get()
    services.update_customer(actor=None, customer=customer, data=company_post_data(document_number="20131312955"))
    services.create_customer(actor=None, data=company_post_data())  # now holds 20100070970
    response = client.post(reverse("customers:revert", args=[customer.pk, record.history_id]), follow=True)
    assert "No se pudo revertir: Ya existe un cliente con ese RUC" in response.content.decode()


# --- notes through the pages -----------------------------------------------------------------------


def test_ventas_adds_a_note_with_htmx_and_gets_the_timeline_back(client):
    client.force_login(user_with_role("Ventas"))
    customer = services.create_customer(actor=None, data=company_post_data())
    response = client.post(reverse("customers:note_create", args=[customer.pk]), {"text": "Pidió catálogo"}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="notes"' in page and "Pidió catálogo" in page and "Nota agregada." in page


def test_an_empty_note_shows_the_error_next_to_the_field(client):
    client.force_login(user_with_role("Ventas"))
    customer = services.create_customer(actor=None, data=company_post_data())
    response = client.post(reverse("customers:note_create", args=[customer.pk]), {"text": " "}, **HTMX)
    assert "Escriba el texto de la nota." in response.content.decode()
    assert not customer.notes.filter(kind="manual").exists()


def test_consulta_cannot_add_notes_through_the_page(client):
    customer = services.create_customer(actor=None, data=company_post_data())
    assert_cannot(client, "Consulta", "post", reverse("customers:note_create", args=[customer.pk]), {"text": "x"})
    assert not customer.notes.filter(kind="manual").exists()


def test_edit_and_delete_buttons_show_only_for_the_author_or_an_administrador(client):
    from customers import notes

    author = user_with_role("Ventas")
    customer = services.create_customer(actor=None, data=company_post_data())
    note = notes.add_note(actor=author, customer=customer, text="Mi nota")
    edit_url = reverse("customers:note_update", args=[customer.pk, note.pk])
    detail = reverse("customers:detail", args=[customer.pk])
    for user, sees in ((author, True), (user_with_role("Ventas"), False), (user_with_role("Administrador"), True)):
        client.force_login(user)
        assert (edit_url in client.get(detail).content.decode()) == sees
    client.force_login(user_with_role("Ventas"))
    assert client.post(edit_url, {"text": "Ajena"}).status_code == 403
    assert client.post(reverse("customers:note_delete", args=[customer.pk, note.pk])).status_code == 403
    client.force_login(author)
    response = client.post(edit_url, {"text": "Mi nota corregida"}, **HTMX)
    assert "Mi nota corregida" in response.content.decode() and "editada el" in response.content.decode()
    assert client.post(reverse("customers:note_delete", args=[customer.pk, note.pk]), **HTMX).content == b""
    assert not customer.notes.filter(kind="manual").exists()


def test_a_system_note_has_no_edit_page_even_for_an_administrador(client):
    client.force_login(user_with_role("Administrador"))
    customer = services.create_customer(actor=None, data=company_post_data())
    note = customer.notes.get()
    assert client.get(reverse("customers:note_update", args=[customer.pk, note.pk])).status_code == 403
    assert client.post(reverse("customers:note_delete", args=[customer.pk, note.pk])).status_code == 403


# --- bulk actions ----------------------------------------------------------------------------------


def test_the_list_offers_bulk_actions_to_ventas_but_not_to_consulta(client):
    services.create_customer(actor=None, data=company_post_data())
    page = assert_can(client, "Ventas", "get", reverse("customers:list")).content.decode()
    assert "Suspender seleccionados" in page and "Eliminar seleccionados" not in page
    page = assert_can(client, "Consulta", "get", reverse("customers:list")).content.decode()
    assert 'name="ids"' not in page and "seleccionados" not in page


def test_bulk_actions_are_all_or_nothing_and_name_the_failing_customer(client):
    client.force_login(user_with_role("Administrador"))
    first = services.create_customer(actor=None, data=company_post_data())
    second = services.create_customer(actor=None, data=company_post_data(document_number="20131312955"))
    services.trash_customer(actor=None, customer=second)
    response = client.post(
        reverse("customers:bulk"), {"accion": "suspender", "ids": [first.pk, second.pk]}, follow=True
    )
    assert "No se aplicó ningún cambio" in response.content.decode()
    first.refresh_from_db()
    assert first.is_active


def test_bulk_eliminar_names_the_customer_a_delete_rule_refuses(delete_guards):
    first = services.create_customer(actor=None, data=company_post_data())
    second = services.create_customer(
        actor=None, data=company_post_data(document_number="20131312955", business_name="Deudora S.A.")
    )
    delete_guards.register_trash_guard(lambda c: ["tiene 1 documento por cobrar"] if c.pk == second.pk else [])
    with pytest.raises(Exception, match="«Deudora S.A.»: No se puede eliminar"):
        services.bulk_lifecycle(actor=None, action="eliminar", customer_ids=[first.pk, second.pk])
    assert Customer.objects.filter(deleted_at__isnull=True).count() == 2
    assert not CustomerNote.objects.filter(kind="eliminado").exists()


def test_consulta_cannot_run_bulk_actions(client):
    customer = services.create_customer(actor=None, data=company_post_data())
    assert_cannot(client, "Consulta", "post", reverse("customers:bulk"), {"accion": "suspender", "ids": [customer.pk]})
    assert_cannot(client, "Ventas", "post", reverse("customers:bulk"), {"accion": "eliminar", "ids": [customer.pk]})
    customer.refresh_from_db()
    assert customer.is_active and customer.deleted_at is None


def test_the_admin_shows_a_customers_history_read_only(client):
    client.force_login(user_with_role("Administrador"))
    customer = services.create_customer(actor=None, data=company_post_data())
    page = client.get(reverse("admin:customers_customer_history", args=[customer.pk])).content.decode()
    assert "Creado" in page
    record = customer.history.get()
    version = client.get(reverse("admin:customers_customer_simple_history", args=[customer.pk, record.history_id]))
    assert version.status_code == 200
    assert "Revert" not in version.content.decode() and "Revertir" not in version.content.decode()


def test_demo_customers_loaded_by_copy_open_with_their_creado_entry(client):
    from io import StringIO

    from django.core.management import call_command

    call_command("load_demo_data", stdout=StringIO())
    customers = Customer.objects.count()
    assert customers > 250
    assert Customer.history.filter(history_type="+").count() == customers
    assert CustomerNote.objects.filter(kind="creado").count() == customers
    assert Address.history.count() == Address.objects.count()
    customer = Customer.objects.filter(phone__gt="", email__gt="").first()
    record = customer.history.get()
    assert record.phones == [[customer.phone, customer.has_whatsapp]]
    assert record.emails == [customer.email]
    client.force_login(user_with_role("Consulta"))
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Cliente creado (datos de demostración)." in page


def test_ids_in_the_page_are_not_written_with_thousands_separators(rf):
    """USE_THOUSAND_SEPARATOR would write id 12345 as "12,345": a bulk action would then send
    a wrong id, and htmx could not find the note to replace."""
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.user = user_with_role("Administrador")
    customer = Customer(pk=12345, name="Gloria S.A.", document_type_id="6", registry_status="", registry_condition="")
    note = CustomerNote(pk=67890, customer=customer, kind="manual", text="Hola", author=request.user)
    html = render_to_string("customers/_note.html", {"note": note, "customer": customer}, request=request)
    assert 'id="note-67890"' in html and 'hx-target="#note-67890"' in html
    html = render_to_string("customers/_note_form.html", {"note": note, "customer": customer}, request=request)
    assert 'id="note-67890"' in html
    # _table.html gives each row what the user may do; the list's view its texts.
    from customers.views import _row_texts

    _row_texts([customer])
    html = render_to_string("customers/_row.html", {"customer": customer, "can_change": True}, request=request)
    assert 'value="12345"' in html and 'data-row-menu="12345"' in html


def test_a_user_without_a_role_sees_no_notes_history_or_bulk_actions(client, sin_rol):
    customer = services.create_customer(actor=None, data=company_post_data())
    note = customer.notes.get()
    client.force_login(sin_rol)
    for method, url in (
        ("get", reverse("customers:history", args=[customer.pk])),
        ("get", reverse("customers:notes", args=[customer.pk])),
        ("post", reverse("customers:note_create", args=[customer.pk])),
        ("get", reverse("customers:note_update", args=[customer.pk, note.pk])),
        ("post", reverse("customers:note_delete", args=[customer.pk, note.pk])),
        ("post", reverse("customers:revert", args=[customer.pk, customer.history.get().history_id])),
        ("post", reverse("customers:bulk")),
    ):
        assert (
            getattr(client, method)(url, {"text": "x", "accion": "suspender", "ids": [customer.pk]}).status_code == 403
        )
    assert customer.notes.count() == 1


def test_customers_saved_before_the_history_get_one_baseline_record_each(db):
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    baseline = import_module("customers.migrations.0012_history_baseline")
    author = user_with_role("Ventas")
    customer = services.create_customer(actor=author, data=company_post_data(emails=["ventas@gloria.pe"]))
    services.save_contact(actor=author, customer=customer, data={"name": "Ana Ruiz"})
    for model in (Customer, Address, Contact):
        model.history.all().delete()  # as on a database from before the history

    with connection.schema_editor() as editor:
        baseline.record_baseline(apps, editor)
        baseline.record_baseline(apps, editor)  # a second run adds nothing

    record = Customer.history.get(id=customer.pk)
    assert (record.history_type, record.history_user, record.history_date) == ("+", author, customer.created_at)
    assert record.history_change_reason == baseline.REASON
    assert record.phones == [["+51999111222", False]] and record.emails == ["ventas@gloria.pe"]
    assert Address.history.filter(customer_id=customer.pk).count() == 1
    assert Contact.history.filter(customer_id=customer.pk).count() == 1


def test_a_creation_lists_the_values_it_set_without_arrows(db):
    from customers.history import customer_versions

    customer = services.create_customer(actor=None, data=company_post_data())

    created = [v for v in customer_versions(customer=customer) if v.what == "Cliente"][-1]
    address = [v for v in customer_versions(customer=customer) if v.what.startswith("Dirección")][-1]
    assert "Activo: Sí" in created.changes and "Razón social: Gloria S.A." in created.changes
    assert not any("→" in line or "Solicita detracción" in line for line in created.changes)
    assert "Predeterminada: Sí" in address.changes


def test_the_history_page_reads_as_many_queries_with_300_versions_as_with_60(client):
    # 50 versions a page: only those are described (a category change reads the names).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from customers.models import Category

    client.force_login(user_with_role("Consulta"))
    categories = [Category.objects.create(name="Oro"), Category.objects.create(name="Plata")]

    def queries_for(edits: int) -> tuple[int, str]:
        customer = services.create_customer(actor=None, data=company_post_data(document_number=valid_ruc()))
        for n in range(edits):
            customer.category = categories[n % 2]
            customer.save()  # one "~" record each (django-simple-history)
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("customers:history", args=[customer.pk])).content.decode()
        return len(captured), page

    fewer, _ = queries_for(60)
    many, page = queries_for(300)

    assert many == fewer
    assert "Categoría: Plata → Oro" in page
