"""Plain factories: one call gives a valid, saved row with realistic Peruvian data.

    company = make_company(business_name="Inversiones Quispe S.A.C.")
    person = make_person(first_names="Rosa Elena", document_number="")   # DNI is optional
    make_address(customer=company, district_id="080101", street="Av. El Sol 123")
    ruc, dni = valid_ruc(), valid_dni()                                   # never repeated in a run
    services.create_customer(actor=None, data=company_data(business_name="Gloria S.A."))

Rows are created through the ORM with name and sort_key computed by peru.text, as the
services do; phone and e-mail also get their CustomerPhone / CustomerEmail rows (the phone
has WhatsApp when has_whatsapp=True is given), and search_text and department are kept as the
services keep them. Any keyword overrides the default of that field.
"""

import itertools

from customers import sample_data
from customers.models import Address, Customer, CustomerEmail, CustomerPhone
from customers.reference import DNI, RUC
from peru.text import clean_spaces, person_display_name, search_text, sort_key

# Indexes far above the ones seed_customers and load_demo_data use (those start at the highest
# customer id), so documents and e-mails made here never collide with seeded ones.
_indexes = itertools.count(50_000_000)


def valid_ruc(*, person: bool = False) -> str:
    """A RUC with a valid check digit, new in this test run: 20… (company) or 10 + DNI (person)."""
    index = next(_indexes)
    return sample_data.person_ruc(sample_data.person_dni(index)) if person else sample_data.company_ruc(index)


def valid_dni() -> str:
    """An 8-digit DNI, new in this test run."""
    return sample_data.person_dni(next(_indexes))


def company_data(**overrides) -> dict:
    """What a form, an import or the API hands customers.services.create_customer for a new
    Peruvian company (a fresh RUC each call); keywords override or add fields."""
    data = {
        "kind": "empresa",
        "document_type": "6",
        "document_number": valid_ruc(),
        "business_name": "Inversiones Quispe S.A.C.",
        "business_line": "Ferretería",
        "address": {"district": "150101", "street": "Av. Abancay 456"},
    }
    data.update(overrides)
    return data


def company_post(**overrides) -> dict:
    """What the browser's customer form sends for a Peruvian company (Gloria S.A., RUC
    20100070970, Av. Larco 123 in Miraflores), without phones or e-mails; keywords override or
    add form fields (``phone_number_0``, ``email_0``, attribute fields…)."""
    data = {
        "kind": "empresa",
        "document_type": "6",
        "document_number": "20100070970",
        "business_name": "Gloria S.A.",
        "business_line": "Lácteos",
        "address_department": "15",
        "address_province": "1501",
        "address_district": "150122",
        "address_street": "Av. Larco 123",
    }
    data.update(overrides)
    return data


def make_customer(**overrides) -> Customer:
    """A customer of the kind given (default: a Peruvian company)."""
    if overrides.get("kind", Customer.Kind.COMPANY) == Customer.Kind.PERSON:
        return make_person(**overrides)
    return make_company(**overrides)


def make_company(**overrides) -> Customer:
    index = next(_indexes)
    row = sample_data.generate_company(index, seed=index)
    fields = {
        "kind": Customer.Kind.COMPANY,
        "document_type_id": RUC,
        "document_number": row["document_number"],
        "business_name": row["business_name"],
        "business_line": row["business_line"],
        "email": f"ventas{index}@empresa-de-prueba.com.pe",
        "phone": row["phone"] or "+51987654321",
    }
    return _create(fields, overrides)


def make_person(**overrides) -> Customer:
    index = next(_indexes)
    row = sample_data.generate_person(index, seed=index)
    fields = {
        "kind": Customer.Kind.PERSON,
        "document_type_id": DNI,
        "document_number": sample_data.person_dni(index),
        "first_names": row["first_names"],
        "last_names": row["last_names"],
        "email": f"persona{index}@correo-de-prueba.pe",
        "phone": row["phone"] or "+51912345678",
    }
    return _create(fields, overrides)


def make_foreign_customer(**overrides) -> Customer:
    """A foreign person with a passport (catálogo 06 code 7), living in the United States."""
    index = next(_indexes)
    fields = {
        "kind": Customer.Kind.PERSON,
        "is_foreign": True,
        "document_type_id": sample_data.PASAPORTE,
        "document_number": f"P{index}",
        "first_names": "John",
        "last_names": "Smith Brown",
        "country": "US",
        "email": f"john.smith{index}@example.com",
        "phone": "+13055550123",
    }
    return _create(fields, overrides)


def make_address(*, customer: Customer | None = None, **overrides) -> Address:
    """An address in Lima (ubigeo 150101); the customer's first one is its default fiscal address."""
    customer = customer or make_company()
    fields = {
        "customer": customer,
        "kind": Address.Kind.FISCAL,
        "district_id": "150101",
        "street": "Av. Arequipa 1234",
        "is_default": not customer.addresses.filter(is_default=True).exists(),
    }
    fields.update(overrides)
    address = Address.objects.create(**fields)
    if address.is_default:  # the list filters by the departamento of the default address
        department = address.district_id[:2] if address.district_id else None
        Customer.objects.filter(pk=address.customer_id).update(department_id=department)
        address.customer.department_id = department
    return address


def _create(fields: dict, overrides: dict) -> Customer:
    if "document_type" in overrides and isinstance(overrides["document_type"], str):
        overrides["document_type_id"] = overrides.pop("document_type")  # a catálogo 06 code
    fields.update(overrides)
    if "name" not in overrides:
        if fields["kind"] == Customer.Kind.COMPANY:
            fields["name"] = clean_spaces(fields.get("business_name", ""))
        else:
            fields["name"] = person_display_name(fields.get("first_names", ""), fields.get("last_names", ""))
    fields.setdefault("sort_key", sort_key(fields["name"]))
    # The list's copies, as customers.services keeps them.
    fields.setdefault(
        "search_text",
        search_text(
            name=fields["name"],
            document_number=fields.get("document_number", ""),
            emails=[fields["email"]] if fields.get("email") else [],
            phones=[fields["phone"]] if fields.get("phone") else [],
        ),
    )
    customer = Customer.objects.create(**fields)
    # As customers.services keeps them: Customer.phone / email are the first of these rows.
    if customer.phone:
        CustomerPhone.objects.create(customer=customer, number=customer.phone, whatsapp=customer.has_whatsapp)
    if customer.email:
        CustomerEmail.objects.create(customer=customer, email=customer.email, in_trash=customer.deleted_at is not None)
    return customer
