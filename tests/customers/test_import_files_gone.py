"""The files an import keeps (the upload, the rejected rows' report) may be gone from the server
— a media folder not carried over to a new server, a clean-up: the pages say so in Spanish, and
what needed the file stops with that message, never a server error."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import ImportJob
from tests.customers.test_import import company, xlsx
from tests.roles import user_with_role


@pytest.fixture
def admin(client, db):
    user = user_with_role("Administrador")
    client.force_login(user)
    return user


def _upload(client) -> ImportJob:
    content = xlsx([company(), company(ruc="123")])
    client.post(reverse("customers:import"), {"archivo": SimpleUploadedFile("clientes.xlsx", content)})
    return ImportJob.objects.get()


def test_a_report_no_longer_kept_is_said_not_a_server_error(client, admin):
    job = _upload(client)
    job.error_report.storage.delete(job.error_report.name)
    response = client.get(reverse("customers:import_report", args=[job.pk]), follow=True)
    assert response.redirect_chain == [(reverse("customers:import_detail", args=[job.pk]), 302)]
    assert "El archivo de las filas con errores ya no está guardado en el servidor" in response.content.decode()


def test_applying_columns_to_an_upload_no_longer_kept_refuses_it_with_a_message(client, admin):
    job = _upload(client)
    job.file.storage.delete(job.file.name)
    posted = {f"col_{index}": column["key"] for index, column in enumerate(job.columns)}
    response = client.post(reverse("customers:import_columns", args=[job.pk]), posted)
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.message) == (
        "rechazada",
        "El archivo subido ya no está guardado en el servidor; súbalo de nuevo.",
    )


def test_confirming_an_upload_no_longer_kept_fails_with_a_message(client, admin):
    job = _upload(client)
    job.file.storage.delete(job.file.name)
    client.post(reverse("customers:import_confirm", args=[job.pk]), {"modo": "validas"})
    job.refresh_from_db()
    assert (job.status, job.message) == (
        "fallida",
        "El archivo subido ya no está guardado en el servidor; súbalo de nuevo.",
    )
