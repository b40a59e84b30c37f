"""The admin's Importar / Exportar (django-import-export) run the app's own import and export."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from customers.models import Customer, CustomerNote
from tests.customers.test_import import company, person, xlsx
from tests.factories import make_company
from tests.roles import user_with_role

IMPORT = "/admin/customers/customer/import/"
CONFIRM = "/admin/customers/customer/process_import/"
EXPORT = "/admin/customers/customer/export/"


@pytest.fixture
def admin_client(client, db):
    client.force_login(user_with_role("Administrador"))
    return client


def _format(page: str, label: str) -> str:
    return re.search(rf'<option value="(\d+)"[^>]*>{label}</option>', page)[1]


def upload(admin_client, content: bytes):
    page = admin_client.get(IMPORT).content.decode()
    return admin_client.post(
        IMPORT, {"format": _format(page, "xlsx"), "import_file": SimpleUploadedFile("admin.xlsx", content)}
    )


def test_admin_import_previews_then_writes_through_the_import_service(admin_client):
    response = upload(admin_client, xlsx([company(name="Desde Admin S.A.")]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Desde Admin S.A." not in list(Customer.objects.values_list("name", flat=True))
    fields = dict(re.findall(r'name="(import_file_name|original_file_name|format|resource)" value="([^"]*)"', page))
    response = admin_client.post(CONFIRM, fields)
    assert response.status_code == 302
    created = Customer.objects.get(business_name="Desde Admin S.A.")
    assert created.history.get().history_type == "+"
    assert CustomerNote.objects.get(customer=created).text == "Creado por importación de admin.xlsx."


def test_admin_import_shows_row_errors_and_writes_nothing(admin_client):
    page = upload(admin_client, xlsx([company(), person(dni="12AB")])).content.decode()
    assert "El DNI solo puede tener números." in page
    assert 'name="import_file_name"' not in page
    assert Customer.objects.count() == 0


def test_admin_export_uses_the_apps_columns(admin_client):
    make_company(business_name="Gloria S.A.")
    page = admin_client.get(EXPORT).content.decode()
    response = admin_client.post(
        EXPORT, {"format": _format(page, "xlsx"), "resource": "0", "customerresource_todas": "on"}
    )
    assert response.status_code == 200, response.content[:2000]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]][:4] == [
        "Tipo de cliente",
        "Extranjero",
        "Tipo de documento",
        "Número de documento",
    ]
    assert sheet["E2"].value == "Gloria S.A."


@pytest.mark.parametrize(("role", "url"), [("Ventas", IMPORT), ("Créditos", EXPORT)])
def test_admin_import_and_export_need_their_permissions(client, db, role, url):
    client.force_login(user_with_role(role, is_staff=True))
    assert client.get(url).status_code == 403
