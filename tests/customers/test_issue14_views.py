"""Issue 14 through the pages: the phone check, stale saves of notes and Configuración lists,
and the edit form's hidden version."""

import json

import pytest
from django.urls import reverse

from customers import notes, services
from customers.models import Category
from tests.factories import company_data
from tests.roles import assert_cannot, user_with_role

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize("role", ["Consulta", "Créditos"])
def test_only_who_edits_customers_may_check_a_phone(client, db, role):
    assert_cannot(client, role, "get", reverse("customers:phone_check") + "?numero=4701234")


def test_the_phone_check_says_how_a_number_will_be_saved(client, db):
    client.force_login(user_with_role("Ventas"))
    url = reverse("customers:phone_check")
    answer = json.loads(client.get(url, {"numero": "4701234 ext. 205"}).content)
    assert answer == {
        "ok": True,
        "display": "(01) 470 1234 anexo 205",
        "landline": True,
        "note": "Fijo de Lima: se guardará como (01) 470 1234 anexo 205.",
    }
    answer = json.loads(client.get(url, {"numero": "234567", "departamento": "08"}).content)
    assert not answer["ok"] and "Cusco" in answer["message"]


def test_the_edit_form_carries_the_version_and_a_stale_save_keeps_what_was_typed(client, db):
    ventas = user_with_role("Ventas", first_name="Beto", last_name="Díaz")
    client.force_login(ventas)
    customer = services.create_customer(actor=None, data=company_data(business_line="Lácteos"))
    page = client.get(reverse("customers:update", args=[customer.pk])).content.decode()
    assert 'name="version" value="1"' in page and 'name="shown"' in page
    services.update_customer(
        actor=None,
        customer=customer,
        data=company_data(document_number=customer.document_number, business_line="Leche"),
    )
    # The browser posts what the page showed, with Giro changed by Beto.
    shown = json.loads(page.split('name="shown" value="')[1].split('"')[0].replace("&quot;", '"'))
    post = {k: v for k, v in shown.items() if not isinstance(v, (list, bool))}
    post.update({k: "on" for k, v in shown.items() if v is True})
    post.update({"version": "1", "shown": json.dumps(shown), "business_line": "Yogur", "phone_number_0": ""})
    response = client.post(reverse("customers:update", args=[customer.pk]), post)
    body = response.content.decode()
    assert response.status_code == 200 and 'id="stale-edit"' in body
    assert 'value="Yogur"' in body and "Leche" in body
    assert 'name="version" value="2"' in body  # saving again is on purpose, against the current version


def test_a_stale_note_edit_shows_both_texts_and_keeps_the_typed_one(client, db):
    author = user_with_role("Ventas", first_name="Ana", last_name="Ruiz")
    client.force_login(author)
    customer = services.create_customer(actor=author, data=company_data())
    note = notes.add_note(actor=author, customer=customer, text="Llamar el lunes")
    notes.update_note(actor=author, note=note, text="Llamar el martes", version=1)
    url = reverse("customers:note_update", args=[customer.pk, note.pk])
    body = client.post(url, {"text": "Llamar el jueves", "version": "1"}, **HTMX).content.decode()
    assert "Llamar el jueves" in body and "Llamar el martes" in body and 'id="stale-edit"' in body
    note.refresh_from_db()
    assert note.text == "Llamar el martes"


def test_a_stale_rename_keeps_the_typed_name_against_the_current_version(client, db):
    client.force_login(user_with_role("Administrador", first_name="Ana", last_name="Ruiz"))
    category = Category.objects.create(name="Mayorista")
    services.save_choice(actor=None, model=Category, name="Mayoristas", instance=category, version=1)
    url = reverse("settings_choice_update", args=["categorias", category.pk])
    body = client.post(url, {"name": "Por mayor", "version": "1"}, **HTMX).content.decode()
    assert 'value="Por mayor"' in body and 'name="version" value="2"' in body
    assert "Mayoristas" in body
    category.refresh_from_db()
    assert category.name == "Mayoristas"
