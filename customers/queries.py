from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from customers.models import (
    Address,
    Category,
    Contact,
    Customer,
    CustomerClass,
    Department,
    District,
    DocumentType,
    Province,
)
from customers.text import sort_key


def list_customers(*, actor) -> QuerySet[Customer]:
    """Customers the actor may see, in Spanish alphabetical order."""
    return (
        Customer.objects.filter(deleted_at__isnull=True).select_related("document_type").order_by("sort_key", "id")
    )


def get_customer(*, actor, pk) -> Customer:
    """One customer with what its summary shows (trashed ones included: the summary says so).
    404 when it does not exist."""
    addresses = Address.objects.select_related("district__province__department").order_by("-is_default", "id")
    queryset = Customer.objects.select_related("document_type", "category", "customer_class", "created_by")
    queryset = queryset.prefetch_related(
        "phones",
        "emails",
        Prefetch("addresses", queryset=addresses),
        Prefetch("contacts", queryset=Contact.objects.all()),
    )
    return get_object_or_404(queryset, pk=pk)


def get_customer_for_update(*, actor, pk) -> Customer:
    """The customer an edit form or panel works on: 404 when missing or in the Papelera
    (a trashed customer is restored first, then edited)."""
    return get_object_or_404(Customer.objects.select_related("document_type"), pk=pk, deleted_at__isnull=True)


def get_address(*, customer: Customer, pk) -> Address:
    """One address of this customer; an id of another customer's address is a 404."""
    return get_object_or_404(Address.objects.select_related("district__province"), pk=pk, customer=customer)


def get_contact(*, customer: Customer, pk) -> Contact:
    return get_object_or_404(Contact, pk=pk, customer=customer)


def list_addresses(*, customer: Customer) -> list[Address]:
    return list(customer.addresses.select_related("district__province__department").order_by("-is_default", "id"))


def list_contacts(*, customer: Customer) -> list[Contact]:
    return list(customer.contacts.order_by("name", "id"))


# --- choices for the forms -----------------------------------------------------------------


def _by_name(rows):
    return sorted(rows, key=lambda row: sort_key(row[1]))


def department_choices() -> list[tuple[str, str]]:
    return _by_name(Department.objects.values_list("code", "name"))


def province_choices(department_code: str) -> list[tuple[str, str]]:
    if not department_code:
        return []
    return _by_name(Province.objects.filter(department_id=department_code).values_list("code", "name"))


def district_choices(province_code: str) -> list[tuple[str, str]]:
    if not province_code:
        return []
    return _by_name(District.objects.filter(province_id=province_code).values_list("code", "name"))


def document_types() -> list[DocumentType]:
    return list(DocumentType.objects.order_by("position", "code"))


def category_choices() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Category.objects.order_by("position", "name").values_list("pk", "name")]


def class_choices() -> list[tuple[str, str]]:
    return [
        (str(pk), name) for pk, name in CustomerClass.objects.order_by("position", "name").values_list("pk", "name")
    ]


def list_choices_with_usage(model) -> list:
    """Categories or classes for Configuración, each with how many customers use it."""
    from django.db.models import Count

    related = "customer"
    return list(model.objects.annotate(in_use=Count(related)).order_by("position", "name"))
