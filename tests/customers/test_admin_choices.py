"""Categorías and clases in the Django admin go through customers.services (issue 21): a refusal
shows the service's message and never the success path."""

import pytest

from customers.models import Category, Customer
from tests.factories import make_company
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(user_with_role("Administrador"))
    return client


def test_deleting_a_category_in_use_says_how_many_customers_use_it(admin_client):
    pro = Category.objects.get(name="PRO")
    customer = make_company()
    Customer.objects.filter(pk=customer.pk).update(category=pro)

    confirm = admin_client.get(f"/admin/customers/category/{pro.pk}/delete/", follow=True)
    posted = admin_client.post(f"/admin/customers/category/{pro.pk}/delete/", {"post": "yes"}, follow=True)

    for response in (confirm, posted):
        page = response.content.decode()
        assert "No se puede eliminar «PRO»: 1 cliente la usa. Cámbielos primero." in page
        assert "protected" not in page.lower()
    assert Category.objects.filter(pk=pro.pk).exists()


def test_a_category_nobody_uses_is_deleted_from_the_admin(admin_client):
    unused = Category.objects.create(name="Temporal", position=9)

    admin_client.post(f"/admin/customers/category/{unused.pk}/delete/", {"post": "yes"}, follow=True)

    assert not Category.objects.filter(pk=unused.pk).exists()


def test_a_refused_rename_shows_the_services_message_and_no_success(admin_client):
    normal = Category.objects.get(name="NORMAL")

    response = admin_client.post(f"/admin/customers/category/{normal.pk}/change/", {"name": "pro"}, follow=True)

    page = response.content.decode()
    assert "Ya existe una categoría de cliente con ese nombre." in page
    assert "correctamente" not in page and "successfully" not in page
    assert Category.objects.get(pk=normal.pk).name == "NORMAL"


def test_a_category_added_in_the_admin_goes_last_with_its_name_cleaned(admin_client):
    admin_client.post("/admin/customers/category/add/", {"name": "  Mayorista   VIP "}, follow=True)

    added = Category.objects.get(name="Mayorista VIP")
    assert added.position == Category.objects.count() - 1
