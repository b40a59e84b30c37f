import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from customers import services
from customers.models import Address, Category, Contact, Customer, CustomerClass, CustomerEmail
from tests.roles import user_with_role

GLORIA, BACKUS, PERSON_RUC = "20100070970", "20100113610", "10068127519"


def company_data(**overrides):
    data = {
        "kind": "empresa",
        "document_type": "6",
        "document_number": GLORIA,
        "business_name": "Gloria S.A.",
        "business_line": "Lácteos",
        "address": {"department": "15", "province": "1501", "district": "150101", "street": "Av. Arequipa 123"},
    }
    data.update(overrides)
    return data


def person_data(**overrides):
    data = {"kind": "persona", "document_type": "1", "first_names": "Rosa Elena", "last_names": "Quispe Ñahui"}
    data.update(overrides)
    return data


def foreign_data(**overrides):
    data = {
        "kind": "persona",
        "is_foreign": True,
        "document_type": "7",
        "document_number": "AB123456",
        "first_names": "John",
        "last_names": "Smith",
        "country": "US",
        "address": {"street": "1600 Amphitheatre Pkwy, Mountain View, CA"},
    }
    data.update(overrides)
    return data


@pytest.fixture
def ventas(db):
    return user_with_role("Ventas")


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict


# --- creation by type ------------------------------------------------------------------


def test_a_company_is_created_with_its_fiscal_address(ventas):
    customer = services.create_customer(actor=ventas, data=company_data(business_name="  Gloria   S.A. "))
    assert customer.name == "Gloria S.A."
    assert customer.created_by == ventas
    address = customer.addresses.get()
    assert (address.district_id, address.street, address.is_default, address.kind) == (
        "150101",
        "Av. Arequipa 123",
        True,
        "fiscal",
    )


def test_a_company_needs_razon_social_ruc_giro_and_address(ventas):
    errors = errors_of(
        lambda: services.create_customer(
            actor=ventas,
            data={"kind": "empresa", "document_type": "6", "document_number": "", "address": {}},
        )
    )
    assert set(errors) >= {"business_name", "document_number", "business_line", "address_district", "address_street"}
    assert not Customer.objects.exists()


def test_a_company_cannot_use_a_dni(ventas):
    errors = errors_of(lambda: services.create_customer(actor=ventas, data=company_data(document_type="1")))
    assert "RUC" in errors["document_number"][0]


def test_a_corrupted_ruc_is_refused_and_nothing_is_saved(ventas):
    errors = errors_of(lambda: services.create_customer(actor=ventas, data=company_data(document_number="20100070971")))
    assert "dígito verificador" in errors["document_number"][0]
    assert not Customer.objects.exists()
    assert not Address.objects.exists()


def test_a_person_needs_only_names_and_is_listed_surnames_first(ventas):
    customer = services.create_customer(actor=ventas, data=person_data())
    assert customer.name == "Quispe Ñahui, Rosa Elena"
    assert customer.document_number == ""
    assert not customer.addresses.exists()


def test_a_person_may_have_a_ruc_10_but_not_a_ruc_20(ventas):
    ok = services.create_customer(actor=ventas, data=person_data(document_type="6", document_number=PERSON_RUC))
    assert ok.document_number == PERSON_RUC
    errors = errors_of(
        lambda: services.create_customer(actor=ventas, data=person_data(document_type="6", document_number=BACKUS))
    )
    assert "empieza con 10" in errors["document_number"][0]


def test_a_person_without_names_is_refused(ventas):
    errors = errors_of(lambda: services.create_customer(actor=ventas, data=person_data(first_names=" ", last_names="")))
    assert set(errors) == {"first_names", "last_names"}


def test_a_foreign_customer_has_a_foreign_document_and_a_country(ventas):
    customer = services.create_customer(actor=ventas, data=foreign_data())
    assert (customer.is_foreign, customer.country, customer.document_number) == (True, "US", "AB123456")
    address = customer.addresses.get()
    assert address.district is None
    assert address.street.startswith("1600")


def test_a_foreign_customer_cannot_use_a_dni_nor_peru_as_country(ventas):
    errors = errors_of(
        lambda: services.create_customer(actor=ventas, data=foreign_data(document_type="1", country="PE"))
    )
    assert "extranjeros" in errors["document_type"][0]
    assert "país" in errors["country"][0]


def test_a_document_type_that_does_not_exist_is_refused(ventas):
    errors = errors_of(lambda: services.create_customer(actor=ventas, data=company_data(document_type="Z")))
    assert "no existe" in errors["document_type"][0]


def test_a_kind_that_does_not_exist_is_refused(ventas):
    errors = errors_of(lambda: services.create_customer(actor=ventas, data=company_data(kind="gobierno")))
    assert "kind" in errors


def test_a_district_outside_the_chosen_province_is_refused(ventas):
    address = {"department": "15", "province": "1501", "district": "040101", "street": "Calle 1"}
    errors = errors_of(lambda: services.create_customer(actor=ventas, data=company_data(address=address)))
    assert errors["address_district"] == ["El distrito no pertenece a la provincia elegida."]


def test_a_district_that_does_not_exist_is_refused(ventas):
    address = {"district": "999999", "street": "Calle 1"}
    errors = errors_of(lambda: services.create_customer(actor=ventas, data=company_data(address=address)))
    assert "no existe" in errors["address_district"][0]


def test_over_long_text_is_refused_with_the_limit(ventas):
    errors = errors_of(lambda: services.create_customer(actor=ventas, data=company_data(business_name="A" * 201)))
    assert errors["business_name"] == ["Máximo 200 caracteres (tiene 201)."]


# --- normalisation -----------------------------------------------------------------------


def test_phones_emails_and_lists_are_normalised(ventas):
    customer = services.create_customer(
        actor=ventas,
        data=company_data(
            phones=[{"number": "999 111 222", "whatsapp": True}, {"number": "(01) 456 7890"}],
            emails=["Ventas@Gloria.PE", "ventas@gloria.pe"],
            notification_emails="Cobranza@Gloria.pe; avisos@gloria.pe",
            notification_whatsapp="988 777 666, 977 666 555",
            instagram="@gloria_peru",
        ),
    )
    assert [(p.number, p.whatsapp) for p in customer.phones.all()] == [("+51999111222", True), ("+5114567890", False)]
    assert customer.phone == "+51999111222"
    assert customer.phone_display == "999 111 222"
    assert [e.email for e in customer.emails.all()] == ["ventas@gloria.pe"]
    assert customer.notification_emails == ["cobranza@gloria.pe", "avisos@gloria.pe"]
    assert customer.notification_whatsapp == ["+51988777666", "+51977666555"]
    assert customer.instagram == "https://www.instagram.com/gloria_peru"


def test_each_bad_list_item_is_reported(ventas):
    errors = errors_of(
        lambda: services.create_customer(
            actor=ventas, data=company_data(phones=[{"number": "123"}], notification_emails="ok@a.pe, malo@")
        )
    )
    assert "123" in errors["phones"][0]
    assert "malo@" in errors["notification_emails"][0]


# --- configurable mandatory fields --------------------------------------------------------


def test_email_phone_and_address_become_mandatory_in_the_settings(ventas):
    services.update_customer_settings(
        actor=None, data={"require_email": True, "require_phone": True, "require_address": True}
    )
    errors = errors_of(lambda: services.create_customer(actor=ventas, data=person_data()))
    assert {"emails", "phones", "address_street"} <= set(errors)


# --- duplicates ----------------------------------------------------------------------------


def test_a_second_customer_with_the_same_ruc_is_refused_naming_the_first(ventas):
    first = services.create_customer(actor=ventas, data=company_data())
    with pytest.raises(services.DuplicateCustomerError) as error:
        services.create_customer(actor=ventas, data=company_data(business_name="Otra S.A.C."))
    assert error.value.message_dict["document_number"] == ["Ya existe un cliente con ese RUC: «Gloria S.A.»."]
    assert error.value.duplicate.customer_id == first.pk
    assert Customer.objects.count() == 1


def test_an_email_belongs_to_one_customer_whatever_its_case(ventas):
    services.create_customer(actor=ventas, data=person_data(emails=["rosa@correo.pe"]))
    errors = errors_of(
        lambda: services.create_customer(actor=ventas, data=person_data(first_names="Otra", emails=["ROSA@correo.pe"]))
    )
    assert "rosa@correo.pe" in errors["emails"][0]


def test_a_match_in_the_trash_offers_to_restore_it(ventas):
    from django.utils import timezone

    first = services.create_customer(actor=ventas, data=company_data())
    Customer.objects.filter(pk=first.pk).update(deleted_at=timezone.now())
    with pytest.raises(services.DuplicateCustomerError) as error:
        services.create_customer(actor=ventas, data=company_data())
    assert error.value.duplicate.in_trash
    assert "Papelera" in error.value.messages[0]


def test_the_database_refuses_a_duplicate_document_even_without_the_services(ventas):
    from django.db import IntegrityError, transaction

    first = services.create_customer(actor=ventas, data=company_data())
    clone = Customer(kind="empresa", document_type_id="6", document_number=GLORIA, name="Copia", sort_key="copia")
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()
    assert Customer.objects.get() == first


def test_the_database_refuses_a_duplicate_email_in_another_case(ventas):
    from django.db import IntegrityError, transaction

    a = services.create_customer(actor=ventas, data=person_data(emails=["rosa@correo.pe"]))
    b = services.create_customer(actor=ventas, data=person_data(first_names="Ana"))
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerEmail.objects.create(customer=b, email="Rosa@Correo.pe")
    assert list(CustomerEmail.objects.values_list("customer_id", flat=True)) == [a.pk]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creations_of_the_same_ruc_one_wins_the_other_gets_the_message():
    from customers.reference import load_reference_data

    load_reference_data()
    actor = user_with_role("Ventas")
    barrier = threading.Barrier(2)
    outcomes: list = []

    def create(name):
        try:
            barrier.wait(timeout=10)
            customer = services.create_customer(actor=actor, data=company_data(business_name=name))
            outcomes.append(("ok", customer.pk))
        except ValidationError as exc:
            outcomes.append(("error", exc.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(f"Empresa {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"]
    message = next(detail for kind, detail in outcomes if kind == "error")[0]
    assert message.startswith("Ya existe un cliente con ese RUC")
    assert Customer.objects.filter(document_number=GLORIA).count() == 1


# --- updates ---------------------------------------------------------------------------------


def test_updating_keeps_the_customer_and_replaces_its_phones(ventas):
    customer = services.create_customer(actor=ventas, data=company_data(phones=[{"number": "999111222"}]))
    services.update_customer(
        actor=ventas, customer=customer, data=company_data(phones=[{"number": "988777666", "whatsapp": "on"}])
    )
    customer.refresh_from_db()
    assert [(p.number, p.whatsapp) for p in customer.phones.all()] == [("+51988777666", True)]
    assert customer.addresses.count() == 1


def test_an_update_may_keep_its_own_document(ventas):
    customer = services.create_customer(actor=ventas, data=company_data())
    services.update_customer(actor=ventas, customer=customer, data=company_data(business_name="Gloria S.A.A."))
    customer.refresh_from_db()
    assert customer.name == "Gloria S.A.A."


def test_a_failed_update_changes_nothing(ventas):
    customer = services.create_customer(actor=ventas, data=company_data(phones=[{"number": "999111222"}]))
    with pytest.raises(ValidationError):
        services.update_customer(
            actor=ventas,
            customer=customer,
            data=company_data(business_name="Nuevo nombre", phones=[{"number": "988777666"}], website="no web"),
        )
    customer.refresh_from_db()
    assert customer.name == "Gloria S.A."
    assert list(customer.phones.values_list("number", flat=True)) == ["+51999111222"]


# --- addresses and contacts ----------------------------------------------------------------


def test_a_new_default_address_takes_over_from_the_old_one(ventas):
    customer = services.create_customer(actor=ventas, data=company_data())
    delivery = services.save_address(
        actor=ventas,
        customer=customer,
        data={"kind": "entrega", "district": "040101", "street": "Calle Mercaderes 110", "is_default": True},
    )
    assert delivery.is_default
    assert list(customer.addresses.filter(is_default=True)) == [delivery]


def test_the_only_address_of_a_company_cannot_be_deleted(ventas):
    customer = services.create_customer(actor=ventas, data=company_data())
    with pytest.raises(ValidationError):
        services.delete_address(actor=ventas, address=customer.addresses.get())
    assert customer.addresses.count() == 1


def test_deleting_the_default_address_promotes_another(ventas):
    customer = services.create_customer(actor=ventas, data=company_data())
    other = services.save_address(
        actor=ventas, customer=customer, data={"kind": "otra", "district": "150101", "street": "Jr. Lampa 1"}
    )
    services.delete_address(actor=ventas, address=customer.addresses.get(is_default=True))
    other.refresh_from_db()
    assert other.is_default


def test_an_address_of_another_customer_cannot_be_edited_through_this_one(ventas):
    a = services.create_customer(actor=ventas, data=company_data())
    b = services.create_customer(actor=ventas, data=company_data(document_number=BACKUS, business_name="Backus"))
    address = a.addresses.get()
    # A complete, valid address: only the ownership can refuse it.
    valid = {"kind": "fiscal", "district": "150122", "street": "Av. Larco 999"}
    with pytest.raises(ValidationError, match="no pertenece a este cliente"):
        services.save_address(actor=ventas, customer=b, data=valid, address=address)
    address.refresh_from_db()
    assert (address.customer_id, address.street) == (a.pk, "Av. Arequipa 123")


def test_contacts_keep_validated_phones_and_emails(ventas):
    customer = services.create_customer(actor=ventas, data=company_data())
    contact = services.save_contact(
        actor=ventas,
        customer=customer,
        data={"name": " Luis  Pérez ", "role": "Jefe de compras", "phones": "999 111 222", "emails": "LUIS@gloria.pe"},
    )
    assert (contact.name, contact.phones, contact.emails) == ("Luis Pérez", ["+51999111222"], ["luis@gloria.pe"])
    errors = errors_of(lambda: services.save_contact(actor=ventas, customer=customer, data={"name": "", "emails": "x"}))
    assert {"name", "emails"} <= set(errors)
    assert Contact.objects.count() == 1


# --- categories and classes ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_categories_pro_and_normal_exist_after_migrations():
    assert list(Category.objects.values_list("name", flat=True)) == ["PRO", "NORMAL"]


def test_a_category_in_use_cannot_be_deleted(ventas):
    pro = Category.objects.get(name="PRO")
    services.create_customer(actor=ventas, data=company_data(category=pro.pk))
    with pytest.raises(ValidationError) as error:
        services.delete_choice(actor=None, instance=pro)
    assert "1 cliente la usa" in error.value.messages[0]


def test_class_names_are_unique_ignoring_case(db):
    services.save_choice(actor=None, model=CustomerClass, name="Mayorista")
    with pytest.raises(ValidationError):
        services.save_choice(actor=None, model=CustomerClass, name="MAYORISTA")


def test_making_an_address_the_default_keeps_its_data_and_demotes_the_other(ventas):
    customer = services.create_customer(actor=ventas, data=company_data())
    fiscal = customer.addresses.get()
    delivery = services.save_address(
        actor=ventas,
        customer=customer,
        data={"kind": "entrega", "district": "040101", "street": "Calle Mercaderes 110"},
    )
    assert not delivery.is_default
    services.make_default_address(actor=ventas, address=delivery)
    fiscal.refresh_from_db()
    delivery.refresh_from_db()
    assert (fiscal.is_default, delivery.is_default) == (False, True)
    assert (delivery.street, delivery.district_id, delivery.kind) == ("Calle Mercaderes 110", "040101", "entrega")
