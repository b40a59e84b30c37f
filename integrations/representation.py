"""Customers as the API and the webhooks show them (plain dicts matching integrations.api.schemas)."""

from attributes.models import AttributeDefinition
from customers.models import Customer


def summary(customer: Customer) -> dict:
    return {
        "id": customer.pk,
        "kind": customer.kind,
        "is_foreign": customer.is_foreign,
        "document_type": customer.document_type_id,
        "document_number": customer.document_number,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "is_active": customer.is_active,
    }


def detail(customer: Customer) -> dict:
    names = {d.key: d.name for d in AttributeDefinition.objects.all()}
    addresses = []
    for a in customer.addresses.all():
        district = a.district
        addresses.append(
            {
                "id": a.pk,
                "kind": a.kind,
                "is_default": a.is_default,
                "street": a.street,
                "unit": a.unit,
                "reference": a.reference,
                "country": a.country,
                "district": a.district_id,
                "district_name": district.name if district else None,
                "province_name": district.province.name if district else None,
                "department_name": district.province.department.name if district else None,
            }
        )
    return {
        **summary(customer),
        **{
            name: getattr(customer, name)
            for name in (
                "business_name",
                "first_names",
                "last_names",
                "business_line",
                "country",
                "requests_detraction",
                "loyalty_enrolled",
                "website",
                "registry_status",
                "registry_condition",
                "additional_info",
                "description",
                "created_at",
                "updated_at",
            )
        },  # fmt: skip
        "category": customer.category.name if customer.category_id else None,
        "customer_class": customer.customer_class.name if customer.customer_class_id else None,
        "phones": [{"number": p.number, "whatsapp": p.whatsapp} for p in customer.phones.all()],
        "emails": [e.email for e in customer.emails.all()],
        "notification_emails": list(customer.notification_emails),
        "notification_whatsapp": list(customer.notification_whatsapp),
        "addresses": addresses,
        "contacts": [
            {
                "id": c.pk,
                "name": c.name,
                "role": c.role,
                "phones": list(c.phones),
                "emails": list(c.emails),
                "note": c.note,
            }
            for c in customer.contacts.all()
        ],
        "attributes": {names[k]: v for k, v in (customer.attributes or {}).items() if k in names},
    }
