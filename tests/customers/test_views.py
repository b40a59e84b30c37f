"""The customer pages: create and edit forms, the summary with its tabs, the address and
contact side panels (htmx), the cascading ubigeo endpoints and Configuración.

Views are tested thinly (status, permission, what reaches the service and what comes back);
the rules themselves are tested in test_services.py.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from customers import services
from customers.models import Address, Category, Contact, Customer, CustomerClass, CustomerSettings
from tests import factories
from tests.factories import valid_dni
from tests.roles import assert_can, assert_cannot, user_with_role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


# A mobile with WhatsApp, a landline and an e-mail typed in capitals, besides the shared form data.
CONTACT_POINTS = {
    "address_unit": "Of. 501",
    "phone_number_0": "987 654 321",
    "phone_whatsapp_0": "on",
    "phone_number_3": "01 444 5555",
    "email_0": "Ventas@Gloria.PE",
}


def company_post(**overrides) -> dict:
    return factories.company_post(**{**CONTACT_POINTS, **overrides})


def make_company(**overrides) -> Customer:
    """A company created through the services (with its fiscal address and history), not the ORM."""
    return services.create_customer(actor=None, data=factories.company_data(**overrides))


def make_person(**overrides) -> Customer:
    data = {"kind": "persona", "document_type": "1", "first_names": "Rosa Elena", "last_names": "Quispe Ñahui"}
    return services.create_customer(actor=None, data={**data, **overrides})


@pytest.fixture
def as_ventas(client):
    client.force_login(user_with_role("Ventas"))
    return client


@pytest.fixture
def as_admin(client):
    client.force_login(user_with_role("Administrador"))
    return client


# --- the list ------------------------------------------------------------------------------


def test_the_list_offers_nuevo_cliente_to_ventas_and_links_names_to_the_summary(as_ventas):
    customer = make_company()
    page = as_ventas.get(reverse("customers:list")).content.decode()
    assert reverse("customers:create") in page
    assert f'href="{reverse("customers:detail", args=[customer.pk])}"' in page


def test_the_list_hides_nuevo_cliente_from_consulta(client):
    client.force_login(user_with_role("Consulta"))
    assert reverse("customers:create") not in client.get(reverse("customers:list")).content.decode()


# --- creating --------------------------------------------------------------------------------


def test_ventas_creates_a_company_and_lands_on_its_summary(as_ventas):
    response = as_ventas.post(reverse("customers:create"), company_post())

    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("customers:detail", args=[customer.pk])
    assert (customer.kind, customer.business_name, customer.document_number) == (
        "empresa",
        "Gloria S.A.",
        "20100070970",
    )
    assert [(p.number, p.whatsapp) for p in customer.phones.all()] == [("+51987654321", True), ("+5114445555", False)]
    assert [e.email for e in customer.emails.all()] == ["ventas@gloria.pe"]
    address = customer.addresses.get()
    assert (address.district_id, address.street, address.unit, address.is_default) == (
        "150122",
        "Av. Larco 123",
        "Of. 501",
        True,
    )


def test_a_person_is_created_without_dni(as_ventas):
    data = {"kind": "persona", "document_type": "1", "first_names": " Rosa  Elena ", "last_names": "Quispe Ñahui"}
    response = as_ventas.post(reverse("customers:create"), data)

    assert response.status_code == 302
    customer = Customer.objects.get()
    assert (customer.name, customer.document_number, customer.is_foreign) == ("Quispe Ñahui, Rosa Elena", "", False)
    assert not customer.addresses.exists()


def test_a_foreign_customer_is_created_with_passport_country_and_free_text_address(as_ventas):
    data = {
        "kind": "persona",
        "is_foreign": "on",
        "document_type": "7",
        "document_number": "ab123456",
        "first_names": "John",
        "last_names": "Smith",
        "country": "US",
        "address_street": "1600 Amphitheatre Pkwy, Mountain View, CA",
        # Left over from the Peruvian address before "Extranjero" was ticked: not used.
        "address_district": "150122",
    }
    response = as_ventas.post(reverse("customers:create"), data)

    assert response.status_code == 302
    customer = Customer.objects.get()
    assert (customer.is_foreign, customer.country, customer.document_type_id, customer.document_number) == (
        True,
        "US",
        "7",
        "AB123456",
    )
    address = customer.addresses.get()
    assert (address.street, address.district_id, address.country) == (
        "1600 Amphitheatre Pkwy, Mountain View, CA",
        None,
        "US",
    )


def test_fields_of_the_type_not_chosen_are_not_saved(as_ventas):
    # Typed under "Empresa", then the user switched to "Persona natural": those inputs were hidden.
    data = {
        "kind": "persona",
        "document_type": "1",
        "first_names": "Rosa",
        "last_names": "Quispe",
        "business_name": "Lo que escribió antes S.A.",
        "contact_name": "Alguien",
    }
    as_ventas.post(reverse("customers:create"), data)

    customer = Customer.objects.get()
    assert (customer.business_name, customer.contact_name) == ("", "")


def test_an_invalid_ruc_shows_its_error_next_to_the_field_keeps_the_input_and_saves_nothing(as_ventas):
    response = as_ventas.post(reverse("customers:create"), company_post(document_number="20100070971"))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_document_number-error"' in page
    assert "su dígito verificador no corresponde" in page
    assert 'value="20100070971"' in page
    assert 'value="Gloria S.A."' in page
    assert 'value="987 654 321"' in page  # the phone rows come back as typed
    assert '<option value="150122" selected>Miraflores</option>' in page  # the ubigeo too
    assert not Customer.objects.exists()


def test_every_missing_company_field_is_reported_at_once(as_ventas):
    response = as_ventas.post(reverse("customers:create"), {"kind": "empresa", "document_type": "6"})

    form = response.context["form"]
    assert {"document_number", "business_name", "business_line", "address_district", "address_street"} <= set(
        form.errors
    )
    assert "Ingrese la razón social." in form.errors["business_name"]
    assert not Customer.objects.exists()


def test_bad_phones_and_emails_are_shown_under_their_rows(as_ventas):
    response = as_ventas.post(reverse("customers:create"), company_post(phone_number_0="12", email_0="no-es-correo"))

    form = response.context["form"]
    assert any("«12» no es un teléfono válido" in m for m in form.extra_errors["phones"])
    assert any("no-es-correo" in m for m in form.extra_errors["emails"])
    assert 'id="phones-error"' in response.content.decode()
    assert not Customer.objects.exists()


def test_a_tampered_document_type_is_a_spanish_error_not_a_crash(as_ventas):
    response = as_ventas.post(reverse("customers:create"), company_post(document_type="Z"))

    assert response.status_code == 200
    assert "El tipo de documento no existe" in response.context["form"].errors["document_type"][0]
    assert not Customer.objects.exists()


def test_a_district_that_does_not_exist_is_a_spanish_error(as_ventas):
    response = as_ventas.post(reverse("customers:create"), company_post(address_district="999999"))

    assert response.status_code == 200
    assert response.context["form"].errors["address_district"] == ["Ese distrito no existe; elíjalo de la lista."]
    assert not Customer.objects.exists()


def test_a_district_outside_the_chosen_province_is_refused(as_ventas):
    response = as_ventas.post(reverse("customers:create"), company_post(address_district="040126"))  # Arequipa

    assert "no pertenece" in response.context["form"].errors["address_district"][0]
    assert not Customer.objects.exists()


def test_a_duplicate_ruc_names_and_links_the_existing_customer(as_ventas):
    existing = make_company(document_number="20100070970", business_name="Gloria S.A.")

    response = as_ventas.post(reverse("customers:create"), company_post(business_name="Otra Gloria"))

    page = response.content.decode()
    assert "Ya existe un cliente con ese RUC: «Gloria S.A.»." in page
    assert f'href="{reverse("customers:detail", args=[existing.pk])}"' in page
    assert "Ver cliente" in page
    assert "Papelera" not in page.split('id="form-errors"')[1].split("</div>")[0]
    assert Customer.objects.count() == 1


def test_a_duplicate_in_the_papelera_says_so(as_ventas):
    existing = make_company(document_number="20100070970", business_name="Gloria S.A.")
    Customer.objects.filter(pk=existing.pk).update(deleted_at=timezone.now())

    response = as_ventas.post(reverse("customers:create"), company_post())

    page = response.content.decode()
    assert "que está en la Papelera" in page
    assert f'href="{reverse("customers:detail", args=[existing.pk])}"' in page
    assert Customer.objects.count() == 1


def test_a_duplicate_email_is_shown_under_the_emails(as_ventas):
    make_company(emails=["ventas@gloria.pe"])

    response = as_ventas.post(reverse("customers:create"), company_post(document_number="20131312955"))

    assert any(
        "Ya existe un cliente con el correo ventas@gloria.pe" in m
        for m in response.context["form"].extra_errors["emails"]
    )
    assert Customer.objects.count() == 1


def test_mandatory_email_from_configuracion_is_marked_and_enforced(as_ventas):
    services.update_customer_settings(actor=None, data={"require_email": True})

    page = as_ventas.get(reverse("customers:create")).content.decode()
    assert 'Correos electrónicos<span class="req"' in page

    response = as_ventas.post(reverse("customers:create"), company_post(email_0=""))
    assert "obligatorio en la configuración" in response.context["form"].extra_errors["emails"][0]
    assert not Customer.objects.exists()


def test_the_create_form_focuses_the_first_field(as_ventas):
    page = as_ventas.get(reverse("customers:create")).content.decode()
    assert 'value="empresa" autocomplete="off"\n                   checked autofocus' in page


@pytest.mark.parametrize("role", ["Consulta", "Créditos"])
def test_read_only_roles_cannot_create(client, role):
    assert_cannot(client, role, "get", reverse("customers:create"))
    assert_cannot(client, role, "post", reverse("customers:create"), company_post())
    assert not Customer.objects.exists()


def test_ventas_can_open_the_create_form(client):
    assert_can(client, "Ventas", "get", reverse("customers:create"))


# --- editing ---------------------------------------------------------------------------------


def test_the_edit_form_is_prefilled_with_the_customer_and_its_main_address(as_ventas):
    customer = make_company(
        phones=[{"number": "987654321", "whatsapp": True}],
        emails=["compras@quispe.pe"],
        notification_emails="a@quispe.pe, b@quispe.pe",
    )

    page = as_ventas.get(reverse("customers:update", args=[customer.pk])).content.decode()

    assert 'value="Inversiones Quispe S.A.C."' in page
    assert 'value="987 654 321"' in page
    assert 'name="phone_whatsapp_0" id="id_phone_whatsapp_0" checked' in page
    assert 'value="compras@quispe.pe"' in page
    assert 'value="a@quispe.pe, b@quispe.pe"' in page
    assert '<option value="150101" selected>Lima</option>' in page
    assert 'value="Av. Abancay 456"' in page


def test_ventas_edits_a_customer(as_ventas):
    customer = make_company()
    data = company_post(
        document_number=customer.document_number, business_name="Quispe Hermanos S.A.C.", address_street="Jr. Nuevo 1"
    )

    response = as_ventas.post(reverse("customers:update", args=[customer.pk]), data)

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "Quispe Hermanos S.A.C."
    assert customer.addresses.get(is_default=True).street == "Jr. Nuevo 1"
    assert customer.addresses.count() == 1


def test_consulta_cannot_edit_and_nothing_changes(client):
    customer = make_company()
    url = reverse("customers:update", args=[customer.pk])

    assert_cannot(client, "Consulta", "get", url)
    assert_cannot(client, "Consulta", "post", url, company_post(document_number=customer.document_number))
    customer.refresh_from_db()
    assert customer.name == "Inversiones Quispe S.A.C."


def test_editing_a_customer_that_does_not_exist_is_a_404(as_ventas):
    assert as_ventas.get(reverse("customers:update", args=[999999])).status_code == 404


# --- the summary -----------------------------------------------------------------------------


def test_the_summary_shows_the_data_and_a_whatsapp_link(as_ventas):
    customer = make_company(
        phones=[{"number": "987654321", "whatsapp": True}, {"number": "014445555"}],
        facebook="@quispeferreteria",
    )

    response = as_ventas.get(reverse("customers:detail", args=[customer.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "https://wa.me/51987654321" in page
    assert "wa.me/5114445555" not in page
    assert 'href="https://www.facebook.com/quispeferreteria"' in page
    assert "Abancay 456" in page and "Lima, Lima, Lima" in page
    for tab in ("Datos", "Direcciones", "Contactos", "Condiciones de venta", "Atributos", "Notas"):
        assert f">{tab}" in page
    assert reverse("customers:update", args=[customer.pk]) in page


def test_the_tab_comes_from_the_address(as_ventas):
    customer = make_company()
    response = as_ventas.get(reverse("customers:detail", args=[customer.pk]) + "?tab=contactos")
    assert response.context["tab"] == "contactos"
    assert 'class="nav-link active" id="tab-contactos"' in response.content.decode()


def test_consulta_sees_the_summary_without_edit_buttons(client):
    customer = make_company()
    response = assert_can(client, "Consulta", "get", reverse("customers:detail", args=[customer.pk]))
    page = response.content.decode()
    assert reverse("customers:update", args=[customer.pk]) not in page
    assert "Agregar dirección" not in page and "Agregar contacto" not in page


def test_the_summary_of_a_customer_that_does_not_exist_is_a_404(as_ventas):
    assert as_ventas.get(reverse("customers:detail", args=[999999])).status_code == 404


# --- addresses (side panel, htmx) ------------------------------------------------------------


def address_post(**overrides) -> dict:
    data = {
        "kind": "entrega",
        "department": "04",
        "province": "0401",
        "district": "040126",
        "street": "Calle Misti 456",
        "reference": "Frente al parque",
    }
    data.update(overrides)
    return data


def test_the_new_address_panel_is_a_fragment_for_htmx(as_ventas):
    customer = make_company()
    response = as_ventas.get(reverse("customers:address_create", args=[customer.pk]), **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert "Nueva dirección" in page and 'hx-post="' in page


def test_an_address_saved_in_the_panel_refreshes_the_list_in_place(as_ventas):
    customer = make_company()

    response = as_ventas.post(reverse("customers:address_create", args=[customer.pk]), address_post(), **HTMX)

    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#addresses"
    assert "closePanel" in response.headers["HX-Trigger"]
    assert "notesChanged" in response.headers["HX-Trigger"]  # the Notas tab reloads its first page
    address = customer.addresses.get(kind="entrega")
    assert (address.district_id, address.street, address.is_default) == ("040126", "Calle Misti 456", False)
    page = response.content.decode()
    assert "Yanahuara, Arequipa, Arequipa" in page and "Dirección agregada." in page


def test_an_address_with_errors_stays_in_the_panel(as_ventas):
    customer = make_company()

    response = as_ventas.post(
        reverse("customers:address_create", args=[customer.pk]), address_post(district="", street=""), **HTMX
    )

    assert response.status_code == 200
    assert "HX-Retarget" not in response.headers
    form = response.context["form"]
    assert form.errors["district"] == ["Elija departamento, provincia y distrito."]
    assert "street" in form.errors
    assert customer.addresses.count() == 1


def test_an_address_is_edited_and_made_default(as_ventas):
    customer = make_company()
    address = services.save_address(actor=None, customer=customer, data=address_post())

    response = as_ventas.post(
        reverse("customers:address_update", args=[customer.pk, address.pk]),
        address_post(street="Calle Misti 789"),
        **HTMX,
    )
    assert response.status_code == 200
    address.refresh_from_db()
    assert address.street == "Calle Misti 789"

    as_ventas.post(reverse("customers:address_make_default", args=[customer.pk, address.pk]), **HTMX)
    address.refresh_from_db()
    assert address.is_default
    assert customer.addresses.filter(is_default=True).count() == 1


def test_an_address_is_deleted(as_ventas):
    customer = make_company()
    address = services.save_address(actor=None, customer=customer, data=address_post())

    response = as_ventas.post(reverse("customers:address_delete", args=[customer.pk, address.pk]), **HTMX)

    assert response.status_code == 200
    assert not Address.objects.filter(pk=address.pk).exists()
    assert "Dirección eliminada." in response.content.decode()


def test_the_only_address_of_a_company_is_not_deleted_and_the_list_says_why(as_ventas):
    customer = make_company()
    address = customer.addresses.get()

    response = as_ventas.post(reverse("customers:address_delete", args=[customer.pk, address.pk]), **HTMX)

    assert "No se puede eliminar la única dirección" in response.content.decode()
    assert "closePanel" not in response.headers.get("HX-Trigger", "")
    assert Address.objects.filter(pk=address.pk).exists()


@pytest.mark.parametrize("name", ["address_update", "address_delete", "address_make_default"])
def test_an_address_of_another_customer_is_a_404(as_ventas, name):
    customer, other = make_company(), make_company()
    foreign_address = other.addresses.get()

    method = as_ventas.get if name == "address_update" else as_ventas.post
    response = method(reverse(f"customers:{name}", args=[customer.pk, foreign_address.pk]), **HTMX)

    assert response.status_code == 404
    assert Address.objects.filter(pk=foreign_address.pk, customer=other).exists()


def test_consulta_cannot_add_an_address(client):
    customer = make_company()
    assert_cannot(client, "Consulta", "post", reverse("customers:address_create", args=[customer.pk]), address_post())
    assert customer.addresses.count() == 1


def test_without_htmx_the_address_form_is_a_page_and_saving_goes_back_to_the_tab(as_ventas):
    customer = make_company()
    url = reverse("customers:address_create", args=[customer.pk])

    assert "<html" in as_ventas.get(url).content.decode()
    response = as_ventas.post(url, address_post())
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("customers:detail", args=[customer.pk]) + "?tab=direcciones"


# --- contacts (side panel, htmx) -------------------------------------------------------------


def test_a_contact_is_created_edited_and_deleted_in_place(as_ventas):
    customer = make_company()
    data = {"name": "Rosa Quispe", "role": "Compras", "phones": "987 111 222, 01 555 4444", "emails": "Rosa@Quispe.pe"}

    response = as_ventas.post(reverse("customers:contact_create", args=[customer.pk]), data, **HTMX)
    assert response.headers["HX-Retarget"] == "#contacts"
    contact = customer.contacts.get()
    assert (contact.phones, contact.emails) == (["+51987111222", "+5115554444"], ["rosa@quispe.pe"])
    assert "Rosa Quispe" in response.content.decode()

    as_ventas.post(
        reverse("customers:contact_update", args=[customer.pk, contact.pk]), {**data, "role": "Gerente"}, **HTMX
    )
    contact.refresh_from_db()
    assert contact.role == "Gerente"

    response = as_ventas.post(reverse("customers:contact_delete", args=[customer.pk, contact.pk]), **HTMX)
    assert response.status_code == 200
    assert not customer.contacts.exists()


def test_a_contact_without_name_stays_in_the_panel_with_the_error(as_ventas):
    customer = make_company()
    response = as_ventas.post(reverse("customers:contact_create", args=[customer.pk]), {"role": "Compras"}, **HTMX)
    assert response.context["form"].errors["name"] == ["Ingrese el nombre del contacto."]
    assert 'value="Compras"' in response.content.decode()
    assert not Contact.objects.exists()


def test_a_contact_of_another_customer_is_a_404(as_ventas):
    customer, other = make_company(), make_company()
    contact = services.save_contact(actor=None, customer=other, data={"name": "Ajeno"})
    url = reverse("customers:contact_delete", args=[customer.pk, contact.pk])
    assert as_ventas.post(url, **HTMX).status_code == 404
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_consulta_cannot_delete_a_contact(client):
    customer = make_company()
    contact = services.save_contact(actor=None, customer=customer, data={"name": "Rosa"})
    assert_cannot(client, "Consulta", "post", reverse("customers:contact_delete", args=[customer.pk, contact.pk]))
    assert Contact.objects.filter(pk=contact.pk).exists()


# --- ubigeo (cascading selects) --------------------------------------------------------------


def test_the_provinces_of_a_department_come_as_options(as_ventas):
    response = as_ventas.get(reverse("customers:ubigeo_provinces"), {"address_department": "15"}, **HTMX)
    page = response.content.decode()
    assert '<option value="1501">Lima</option>' in page
    assert '<option value="1508">Huaura</option>' in page
    assert "Arequipa" not in page


def test_the_districts_of_a_province_come_as_options_in_spanish_order(as_ventas):
    response = as_ventas.get(reverse("customers:ubigeo_districts"), {"province": "1501"}, **HTMX)
    page = response.content.decode()
    assert '<option value="150122">Miraflores</option>' in page
    names = [line.split(">")[1].split("<")[0] for line in page.splitlines() if 'value="15' in line]
    assert names.index("Jesús María") < names.index("La Molina")


def test_an_unknown_department_gives_only_the_placeholder(as_ventas):
    response = as_ventas.get(reverse("customers:ubigeo_provinces"), {"department": "99"})
    assert response.status_code == 200
    assert response.content.decode().count("<option") == 1


def test_a_user_without_a_role_cannot_read_the_ubigeo(client, sin_rol):
    client.force_login(sin_rol)
    assert client.get(reverse("customers:ubigeo_provinces"), {"department": "15"}).status_code == 403


# --- Configuración ---------------------------------------------------------------------------


def test_configuracion_is_for_the_administrador(client):
    assert_can(client, "Administrador", "get", reverse("settings"))


@pytest.mark.parametrize("role", ["Ventas", "Consulta", "Créditos"])
def test_other_roles_cannot_use_configuracion(client, role):
    assert_cannot(client, role, "get", reverse("settings"))
    assert_cannot(client, role, "post", reverse("settings"), {"require_phone": "on"})
    assert_cannot(client, role, "post", reverse("settings_choice_create", args=["categorias"]), {"name": "VIP"})
    assert not CustomerSettings.objects.filter(require_phone=True).exists()
    assert not Category.objects.filter(name="VIP").exists()


def test_the_navigation_shows_configuracion_only_to_who_can_use_it(client):
    client.force_login(user_with_role("Ventas"))
    assert reverse("settings") not in client.get(reverse("customers:list")).content.decode()
    client.force_login(user_with_role("Administrador"))
    assert reverse("settings") in client.get(reverse("customers:list")).content.decode()


def test_the_administrador_makes_phone_and_address_mandatory(as_admin):
    response = as_admin.post(reverse("settings"), {"require_phone": "on", "require_address": "on"})

    assert response.status_code == 302
    settings = services.get_customer_settings()
    assert (settings.require_email, settings.require_phone, settings.require_address) == (False, True, True)


def test_categories_are_added_renamed_and_deleted(as_admin):
    response = as_admin.post(reverse("settings_choice_create", args=["categorias"]), {"name": "  VIP  "}, **HTMX)
    assert "«VIP» agregada." in response.content.decode()
    vip = Category.objects.get(name="VIP")

    as_admin.post(reverse("settings_choice_update", args=["categorias", vip.pk]), {"name": "Premium"}, **HTMX)
    vip.refresh_from_db()
    assert vip.name == "Premium"

    as_admin.post(reverse("settings_choice_delete", args=["categorias", vip.pk]), **HTMX)
    assert not Category.objects.filter(pk=vip.pk).exists()


def test_a_class_in_use_is_not_deleted_and_the_service_says_why(as_admin):
    klass = services.save_choice(actor=None, model=CustomerClass, name="TITANIC SOFT")
    make_company(customer_class=klass.pk)

    response = as_admin.post(reverse("settings_choice_delete", args=["clases", klass.pk]), **HTMX)

    assert "No se puede eliminar «TITANIC SOFT»: 1 cliente la usa." in response.content.decode()
    assert CustomerClass.objects.filter(pk=klass.pk).exists()


def test_a_repeated_category_name_is_shown_under_the_new_name(as_admin):
    response = as_admin.post(reverse("settings_choice_create", args=["categorias"]), {"name": "pro"}, **HTMX)
    assert "Ya existe una categoría de cliente con ese nombre." in response.content.decode()
    assert Category.objects.filter(name__iexact="pro").count() == 1


def test_an_unknown_list_in_configuracion_is_a_404(as_admin):
    assert as_admin.post(reverse("settings_choice_create", args=["colores"]), {"name": "Rojo"}).status_code == 404


def test_a_person_shows_in_the_summary_with_names(as_ventas):
    customer = make_person(document_number=valid_dni())
    page = as_ventas.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Quispe Ñahui, Rosa Elena" in page and "Apellidos" in page


def test_with_mandatory_address_a_person_gets_the_address_section_and_must_fill_it(as_ventas):
    services.update_customer_settings(actor=None, data={"require_address": True})
    person = {"kind": "persona", "document_type": "1", "first_names": "Rosa", "last_names": "Quispe"}

    response = as_ventas.post(reverse("customers:create"), person)
    assert response.context["form"].errors["address_street"] == ["Ingrese la calle y número."]
    assert not Customer.objects.exists()

    address = {"address_department": "15", "address_province": "1501", "address_district": "150101"}
    response = as_ventas.post(reverse("customers:create"), {**person, **address, "address_street": "Jr. Ica 1"})
    assert response.status_code == 302
    assert Customer.objects.get().addresses.get().street == "Jr. Ica 1"


def test_address_and_contact_anchors_carry_plain_ids_above_a_thousand(as_ventas):
    # The locale groups thousands ("1,234"); htmx targets and anchors need the bare number.
    customer = make_company()
    Address.objects.filter(customer=customer).update(id=12345)
    Contact.objects.create(id=23456, customer=customer, name="Rosa Quispe")

    page = as_ventas.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert 'id="address-12345"' in page
    assert 'id="contact-23456"' in page
