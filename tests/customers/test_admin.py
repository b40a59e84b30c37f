import pytest
from django.urls import reverse

from tests.factories import make_company
from tests.roles import user_with_role


@pytest.fixture
def admin_client(client, db):
    client.force_login(user_with_role("Administrador"))
    return client


@pytest.mark.parametrize(
    "model",
    [
        "customer",
        "address",
        "contact",
        "customerphone",
        "customeremail",
        "category",
        "customerclass",
        "customersettings",
        "department",
        "province",
        "district",
        "documenttype",
    ],
)
def test_every_model_has_an_admin_page(admin_client, model):
    response = admin_client.get(f"/admin/customers/{model}/")
    assert response.status_code == 200


def test_customers_are_read_only_in_the_admin_and_link_to_the_app(admin_client):
    customer = make_company()
    page = admin_client.get(f"/admin/customers/customer/{customer.pk}/change/")
    assert page.status_code == 200
    assert reverse("customers:detail", args=[customer.pk]) in admin_client.get("/admin/customers/customer/").text
    name = customer.name
    admin_client.post(f"/admin/customers/customer/{customer.pk}/change/", {"business_name": "Cambiado"})
    customer.refresh_from_db()
    assert customer.name == name
    assert admin_client.get("/admin/customers/customer/add/").status_code == 403
