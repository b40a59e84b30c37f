"""The Notas timeline: each action leaves its system note (author, text, before → after),
people's notes and who may change them, the revert, and a timeline of thousands of notes."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers import notes, services
from customers.models import Customer, CustomerNote
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def new_company(actor=None, reason="Creado", note_kind="creado", **overrides) -> Customer:
    data = {
        "kind": "empresa",
        "document_type": "6",
        "document_number": "20100070970",
        "business_name": "Gloria S.A.",
        "business_line": "Lácteos",
        "phones": [{"number": "999111222"}],
        "emails": ["ventas@gloria.pe"],
        "address": {"district": "150122", "street": "Av. Larco 123"},
    }
    data.update(overrides)
    return services.create_customer(actor=actor, data=data, reason=reason, note_kind=note_kind)


def edit_data(customer: Customer, **overrides) -> dict:
    """What the edit form sends back unchanged, plus the overrides."""
    data = {
        "kind": customer.kind,
        "document_type": customer.document_type_id,
        "document_number": customer.document_number,
        "business_name": customer.business_name,
        "business_line": customer.business_line,
        "phones": [{"number": n, "whatsapp": w} for n, w in customer.phones.values_list("number", "whatsapp")],
        "emails": list(customer.emails.values_list("email", flat=True)),
    }
    data.update(overrides)
    return data


def latest_note(customer) -> CustomerNote:
    return customer.notes.order_by("-created_at", "-id").first()


# --- system notes -----------------------------------------------------------------------------


def test_creating_a_customer_leaves_a_creado_note_by_its_author():
    ana = user_with_role("Ventas", first_name="Ana", last_name="Ruiz")
    customer = new_company(actor=ana)
    note = latest_note(customer)
    assert (note.kind, note.text, note.author) == ("creado", "Cliente creado.", ana)


def test_editing_the_phone_says_before_and_after_in_national_format():
    ana = user_with_role("Ventas")
    customer = new_company(actor=ana)
    services.update_customer(actor=ana, customer=customer, data=edit_data(customer, phones=[{"number": "988777666"}]))
    note = latest_note(customer)
    assert note.kind == "editado"
    assert note.author == ana
    assert "Teléfono: 999 111 222 → 988 777 666" in note.text.splitlines()


def test_the_edit_note_names_every_changed_field_with_spanish_labels_and_display_values():
    customer = new_company()
    data = edit_data(customer, business_name="Gloria Foods S.A.", requests_detraction=True, emails=[])
    services.update_customer(actor=None, customer=customer, data=data)
    lines = latest_note(customer).text.splitlines()
    assert "Razón social: Gloria S.A. → Gloria Foods S.A." in lines
    assert "Solicita detracción: No → Sí" in lines
    assert "Correo electrónico: ventas@gloria.pe → —" in lines
    assert len(lines) == 3


def test_a_save_that_changes_nothing_leaves_no_note_and_no_history_record():
    customer = new_company()
    before = (customer.history.count(), customer.notes.count())
    services.update_customer(actor=None, customer=customer, data=edit_data(customer))
    assert (customer.history.count(), customer.notes.count()) == before


def test_a_new_main_address_is_described_in_the_edit_note():
    customer = new_company()
    services.update_customer(
        actor=None,
        customer=customer,
        data=edit_data(customer, address={"district": "150122", "street": "Jr. Nuevo 1"}),
    )
    assert "Dirección principal: Av. Larco 123, Miraflores → Jr. Nuevo 1, Miraflores" in latest_note(customer).text


def test_deactivate_activate_trash_and_restore_each_leave_their_note_by_the_actor():
    admin = user_with_role("Administrador", first_name="Luz")
    customer = new_company()
    for action, kind in (
        (services.deactivate_customer, "desactivado"),
        (services.activate_customer, "activado"),
        (services.trash_customer, "eliminado"),
        (services.restore_customer, "restaurado"),
    ):
        action(actor=admin, customer=customer)
        note = latest_note(customer)
        assert (note.kind, note.author) == (kind, admin)
    assert list(customer.notes.values_list("kind", flat=True)) == [
        "restaurado",
        "eliminado",
        "activado",
        "desactivado",
        "creado",
    ]


def test_deactivating_an_inactive_customer_leaves_nothing():
    customer = new_company()
    services.deactivate_customer(actor=None, customer=customer)
    count = customer.notes.count()
    services.deactivate_customer(actor=None, customer=customer)
    assert customer.notes.count() == count


def test_address_and_contact_changes_leave_notes():
    ventas = user_with_role("Ventas")
    customer = new_company()
    address = services.save_address(
        actor=ventas, customer=customer, data={"kind": "entrega", "district": "040126", "street": "Calle Misti 456"}
    )
    assert latest_note(customer).text == "Dirección agregada: Calle Misti 456, Yanahuara (Entrega)."
    services.make_default_address(actor=ventas, address=address)
    assert latest_note(customer).text == "Dirección predeterminada: Calle Misti 456, Yanahuara."
    contact = services.save_contact(actor=ventas, customer=customer, data={"name": "Ana Ruiz", "role": "Compras"})
    assert latest_note(customer).text == "Contacto agregado: Ana Ruiz."
    services.save_contact(
        actor=ventas, customer=customer, contact=contact, data={"name": "Ana Ruiz", "role": "Gerente"}
    )
    assert latest_note(customer).text == "Contacto editado: Ana Ruiz.\nCargo: Compras → Gerente"
    services.delete_contact(actor=ventas, contact=contact)
    assert latest_note(customer).text == "Contacto eliminado: Ana Ruiz."
    assert set(customer.notes.exclude(kind="creado").values_list("author", flat=True)) == {ventas.pk}


def test_record_note_is_the_public_mechanism_for_credit_notes():
    creditos = user_with_role("Créditos")
    customer = new_company()
    note = notes.record_note(
        customer=customer, actor=creditos, kind="credito_bloqueado", text="Crédito bloqueado: facturas vencidas."
    )
    assert (note.get_kind_display(), note.author, note.is_manual) == ("Crédito bloqueado", creditos, False)


def test_record_note_refuses_an_unknown_kind_or_a_manual_one():
    customer = new_company()
    for kind in ("inventado", "manual"):
        with pytest.raises(ValueError):
            notes.record_note(customer=customer, actor=None, kind=kind, text="x")


def test_a_failed_action_leaves_no_note():
    customer = new_company()
    count = customer.notes.count()
    with pytest.raises(ValidationError):
        services.update_customer(actor=None, customer=customer, data=edit_data(customer, business_name=""))
    assert customer.notes.count() == count


# --- people's notes -----------------------------------------------------------------------------


def test_a_person_adds_a_note_with_text_author_and_date():
    ventas = user_with_role("Ventas")
    customer = new_company()
    note = notes.add_note(actor=ventas, customer=customer, text="  Llamó para pedir cotización.  ")
    assert (note.kind, note.text, note.author) == ("manual", "Llamó para pedir cotización.", ventas)
    assert abs(note.created_at - timezone.now()) < timedelta(minutes=1)


def test_an_empty_or_too_long_note_is_refused_in_spanish():
    customer = new_company()
    with pytest.raises(ValidationError, match="Escriba el texto"):
        notes.add_note(actor=None, customer=customer, text="   ")
    with pytest.raises(ValidationError, match="Máximo 2000"):
        notes.add_note(actor=None, customer=customer, text="x" * 2001)


def test_consulta_cannot_add_notes():
    with pytest.raises(PermissionDenied):
        notes.add_note(actor=user_with_role("Consulta"), customer=new_company(), text="Hola")


def test_the_author_edits_the_note_and_the_edit_is_recorded():
    ventas = user_with_role("Ventas")
    note = notes.add_note(actor=ventas, customer=new_company(), text="Primera versión")
    notes.update_note(actor=ventas, note=note, text="Segunda versión")
    note.refresh_from_db()
    assert note.text == "Segunda versión"
    assert note.edited_at is not None
    records = list(note.history.order_by("history_id").values_list("text", "history_user", "history_change_reason"))
    assert records == [
        ("Primera versión", ventas.pk, "Nota agregada"),
        ("Segunda versión", ventas.pk, "Nota editada"),
    ]


def test_another_user_cannot_edit_or_delete_someone_elses_note():
    note = notes.add_note(actor=user_with_role("Ventas"), customer=new_company(), text="Mía")
    other = user_with_role("Ventas")
    with pytest.raises(PermissionDenied):
        notes.update_note(actor=other, note=note, text="Cambiada")
    with pytest.raises(PermissionDenied):
        notes.delete_note(actor=other, note=note)
    note.refresh_from_db()
    assert note.text == "Mía"


def test_an_administrador_deletes_anyones_note_and_the_deletion_is_recorded():
    note = notes.add_note(actor=user_with_role("Ventas"), customer=new_company(), text="Borrar")
    admin = user_with_role("Administrador")
    notes.delete_note(actor=admin, note=note)
    assert not CustomerNote.objects.filter(pk=note.pk).exists()
    deletion = CustomerNote.history.filter(id=note.pk, history_type="-").get()
    assert (deletion.history_user, deletion.text) == (admin, "Borrar")


def test_system_notes_cannot_be_edited_or_deleted_even_by_an_administrador():
    customer = new_company()
    note = latest_note(customer)
    admin = user_with_role("Administrador")
    with pytest.raises(ValidationError, match="no se pueden modificar"):
        notes.update_note(actor=admin, note=note, text="Otra cosa")
    with pytest.raises(ValidationError):
        notes.delete_note(actor=admin, note=note)
    assert CustomerNote.objects.filter(pk=note.pk, text="Cliente creado.").exists()


# --- revert ----------------------------------------------------------------------------------


def test_an_administrador_reverts_a_customer_and_a_note_says_so():
    admin = user_with_role("Administrador", first_name="Luz", last_name="Paz")
    customer = new_company(actor=admin)
    first = customer.history.earliest("history_id")
    services.update_customer(
        actor=admin,
        customer=customer,
        data=edit_data(customer, business_name="Otra S.A.", phones=[{"number": "988777666"}]),
    )
    services.revert_customer(actor=admin, customer=customer, history_id=first.history_id)
    customer.refresh_from_db()
    assert customer.name == "Gloria S.A."
    assert list(customer.phones.values_list("number", flat=True)) == ["+51999111222"]
    note = latest_note(customer)
    when = timezone.localtime(first.history_date).strftime("%d/%m/%Y %H:%M")
    assert note.kind == "revertido"
    assert note.text.splitlines()[0] == f"Revertido a la versión del {when} por Luz Paz."
    assert "Teléfono: 988 777 666 → 999 111 222" in note.text
    assert customer.history.latest("history_id").history_change_reason.startswith("Revertido a la versión del")


def test_only_an_administrador_may_revert():
    customer = new_company()
    with pytest.raises(PermissionDenied):
        services.revert_customer(
            actor=user_with_role("Ventas"), customer=customer, history_id=customer.history.first().history_id
        )


def test_a_revert_that_would_duplicate_a_document_is_refused_in_spanish():
    customer = new_company()
    first = customer.history.earliest("history_id")
    services.update_customer(actor=None, customer=customer, data=edit_data(customer, document_number="20131312955"))
    new_company(document_number="20100070970", emails=["otra@gloria.pe"])  # takes the old RUC
    with pytest.raises(ValidationError, match="Ya existe un cliente con ese RUC"):
        services.revert_customer(actor=None, customer=customer, history_id=first.history_id)
    customer.refresh_from_db()
    assert customer.document_number == "20131312955"


# --- the timeline on the summary -----------------------------------------------------------------


def _many_notes(customer, count: int) -> None:
    """Thousands of people's notes, older than the customer's "creado" note, a second apart."""
    CustomerNote.objects.bulk_create(
        CustomerNote(customer=customer, kind="manual", text=f"Nota {i}") for i in range(count)
    )
    # auto_now_add stamps them all alike: spread them out in one statement.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customernote SET created_at = created_at - interval '1 day'"
            " - ((SELECT max(id) FROM customers_customernote) - id) * interval '1 second'"
            " WHERE customer_id = %s AND kind = 'manual'",
            [customer.pk],
        )


def test_a_customer_with_5000_notes_opens_with_a_bounded_query_count_and_30_notes(client):
    client.force_login(user_with_role("Ventas"))
    small, large = new_company(), new_company(document_number="20131312955", emails=["b@b.pe"])
    _many_notes(large, 5000)
    client.get(reverse("customers:detail", args=[small.pk]))  # warm per-session caches
    with CaptureQueriesContext(connection) as baseline:
        client.get(reverse("customers:detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("customers:detail", args=[large.pk]))
    assert len(captured) == len(baseline)
    assert response.content.decode().count('class="note ') == notes.PAGE_SIZE
    assert "Ver más notas" in response.content.decode()


def test_the_timeline_pages_walk_every_note_once_newest_first(client):
    client.force_login(user_with_role("Consulta"))
    customer = new_company()
    _many_notes(customer, 95)
    seen, cursor = [], ""
    while True:
        page = notes.timeline_page(customer=customer, cursor=cursor)
        seen += [n.pk for n in page.notes]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    expected = list(customer.notes.order_by("-created_at", "-id").values_list("pk", flat=True))
    assert seen == expected
    assert len(seen) == 96  # and the "creado" note
    response = client.get(reverse("customers:notes", args=[customer.pk]), {"antes": "no-es-un-cursor"}, **HTMX)
    assert response.status_code == 200  # a bad cursor starts from the newest


def test_a_caller_names_the_reason_and_note_kind_of_a_creation_and_an_update():
    customer = new_company(reason="Importado de clientes.xlsx (fila 7)", note_kind="importado")
    assert (latest_note(customer).kind, latest_note(customer).text) == (
        "importado",
        "Importado de clientes.xlsx (fila 7).",
    )
    assert customer.history.get().history_change_reason == "Importado de clientes.xlsx (fila 7)"
    services.update_customer(
        actor=None,
        customer=customer,
        data=edit_data(customer, business_line="Bebidas"),
        reason="Importado de clientes.xlsx (fila 3)",
        note_kind="importado",
    )
    assert latest_note(customer).text == "Importado de clientes.xlsx (fila 3).\nGiro: Lácteos → Bebidas"


def test_an_edit_posted_without_text_stays_in_place_with_the_message(client):
    author = user_with_role("Ventas")
    customer = new_company()
    note = notes.add_note(actor=author, customer=customer, text="Llamar el lunes.")
    client.force_login(author)

    response = client.post(reverse("customers:note_update", args=[customer.pk, note.pk]), {}, **HTMX)

    assert response.status_code == 200
    assert "Escriba el texto de la nota." in response.content.decode()
    note.refresh_from_db()
    assert note.text == "Llamar el lunes."
