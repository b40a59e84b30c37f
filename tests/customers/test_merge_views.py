"""Pages of issue 18: Posibles duplicados, Fusionar, Deshacer — Administrador only."""

import pytest
from django.urls import reverse

from customers import services
from customers.models import Customer, CustomerMerge, DuplicateDismissal
from tests.factories import make_company
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

OTHERS = ["Ventas", "Créditos", "Consulta"]


@pytest.fixture
def pair():
    return (
        make_company(business_name="Comercial Núñez S.A.C.", phone="+51987000333"),
        make_company(business_name="COMERCIAL NUNEZ SAC", document_number="", phone="+51987000333", email="a@nunez.pe"),
    )


@pytest.mark.parametrize("role", OTHERS)
def test_other_roles_get_403_on_every_page(client, role, pair):
    keeper, other = pair
    client.force_login(user_with_role(role))
    assert client.get(reverse("customers:duplicates")).status_code == 403
    assert client.get(reverse("customers:merge"), {"a": keeper.pk, "b": other.pk}).status_code == 403
    assert client.post(reverse("customers:merge"), {"a": keeper.pk, "b": other.pk}).status_code == 403
    assert client.post(reverse("customers:duplicate_dismiss"), {"ids": [keeper.pk, other.pk]}).status_code == 403
    merge = services.merge_customers(actor=None, survivor=keeper, merged=other)
    assert client.post(reverse("customers:merge_undo", args=[merge.pk])).status_code == 403
    assert CustomerMerge.objects.get(pk=merge.pk).undone_at is None
    assert "Posibles duplicados" not in client.get(reverse("customers:list")).content.decode()


def test_administrador_sees_the_group_and_merges(client, pair):
    keeper, other = pair
    client.force_login(user_with_role("Administrador"))
    assert "Posibles duplicados" in client.get(reverse("customers:list")).content.decode()
    page = client.get(reverse("customers:duplicates"), {"regla": "telefono"}).content.decode()
    assert "COMERCIAL NUNEZ SAC" in page and "Mismo teléfono" in page
    compare = client.get(reverse("customers:merge"), {"a": keeper.pk, "b": other.pk}).content.decode()
    assert "Fusionar dos clientes" in compare
    response = client.post(
        reverse("customers:merge"),
        {
            "a": keeper.pk,
            "b": other.pk,
            "queda": keeper.pk,
            "campo_nombre": "survivor",
            "version_queda": keeper.version,
            "version_sale": other.version,
        },
    )
    assert response.status_code == 302
    assert Customer.objects.get(pk=other.pk).deleted_at is not None
    notes = client.get(reverse("customers:detail", args=[keeper.pk]) + "?tab=notas").content.decode()
    assert "Deshacer la fusión" in notes
    merge = CustomerMerge.objects.get()
    assert client.post(reverse("customers:merge_undo", args=[merge.pk])).status_code == 302
    assert Customer.objects.get(pk=other.pk).deleted_at is None


def test_a_refused_merge_shows_the_message(client):
    customer = make_company()
    client.force_login(user_with_role("Administrador"))
    response = client.post(reverse("customers:merge"), {"a": customer.pk, "b": customer.pk}, follow=True)
    assert "consigo mismo" in response.content.decode()


def test_dismissed_group_is_not_shown_again(client, pair):
    keeper, other = pair
    client.force_login(user_with_role("Administrador"))
    client.post(reverse("customers:duplicate_dismiss"), {"ids": [other.pk, keeper.pk], "regla": "telefono"})
    assert DuplicateDismissal.objects.filter(signature=f"{keeper.pk}-{other.pk}").exists()
    page = client.get(reverse("customers:duplicates"), {"regla": "telefono"}).content.decode()
    assert "COMERCIAL NUNEZ SAC" not in page
