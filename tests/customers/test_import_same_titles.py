"""Two columns with the same title (a list's «Teléfono» and «Teléfono» again): the mapping step
shows each, and what is chosen for each is applied to each — not the last one's choice to both,
which left one column read as the other's field and the other's data dropped."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import Customer, CustomerPhone, ImportJob
from tests.factories import valid_ruc
from tests.roles import user_with_role

TITLES = ["Número de documento", "Razón social", "Giro", "Provincia", "Distrito", "Dirección", "Teléfono", "Teléfono"]


@pytest.fixture
def admin(client, db):
    user = user_with_role("Administrador")
    client.force_login(user)
    return user


def _upload(client) -> ImportJob:
    row = [valid_ruc(), "Gloria S.A.", "Lácteos", "Lima", "Miraflores", "Av. Arequipa 1000", "987654321", "912345678"]
    text = ";".join(TITLES) + "\r\n" + ";".join(row) + "\r\n"
    client.post(reverse("customers:import"), {"archivo": SimpleUploadedFile("clientes.csv", text.encode())})
    return ImportJob.objects.get()


def _apply(client, job: ImportJob, keys: dict) -> ImportJob:
    posted = {f"col_{index}": keys.get(index, column["key"]) for index, column in enumerate(job.columns)}
    response = client.post(reverse("customers:import_columns", args=[job.pk]), posted)
    assert response.status_code == 302, response.content.decode()[:2000]
    job.refresh_from_db()
    return job


def test_applying_the_columns_as_shown_keeps_both_same_titled_columns(client, admin):
    job = _upload(client)
    assert [c["key"] for c in job.columns][-2:] == ["phones", "other_phones"]
    job = _apply(client, job, {})
    assert [c["key"] for c in job.columns][-2:] == ["phones", "other_phones"]
    assert (job.warnings, job.error_rows) == ([], 0), job.errors
    client.post(reverse("customers:import_confirm", args=[job.pk]), {"modo": "todo"})
    customer = Customer.objects.get()
    assert sorted(CustomerPhone.objects.filter(customer=customer).values_list("number", flat=True)) == [
        "+51912345678",
        "+51987654321",
    ]


def test_each_same_titled_column_takes_its_own_choice(client, admin):
    job = _upload(client)
    job = _apply(client, job, {6: "", 7: "phones"})  # the first «Teléfono» ignored, the second read
    assert [c["key"] for c in job.columns][-2:] == ["", "phones"]
    client.post(reverse("customers:import_confirm", args=[job.pk]), {"modo": "todo"})
    assert list(CustomerPhone.objects.values_list("number", flat=True)) == ["+51912345678"]


def test_the_same_field_chosen_for_two_same_titled_columns_is_refused(client, admin):
    job = _upload(client)
    response = client.post(
        reverse("customers:import_columns", args=[job.pk]),
        {f"col_{index}": "phones" if index >= 6 else column["key"] for index, column in enumerate(job.columns)},
    )
    assert response.status_code == 400
    assert "Dos columnas del archivo no pueden ser el mismo dato." in response.content.decode()
