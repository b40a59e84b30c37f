"""The mapping step for files from other systems: columns guessed by header similarity and by
their values, chosen by the user, remembered for the next file with the same headers."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers import importing
from customers.models import Customer, ImportMapping
from tests.customers.test_import import xlsx
from tests.factories import valid_ruc
from tests.roles import user_with_role

# A list made years ago in Excel: none of these headers is ours.
FOREIGN = [
    "Cod",
    "Identificación tributaria",
    "Cliente",
    "Rubro del negocio",
    "Zona",
    "Dirección del local",
    "Contacto e-mail",
]


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


def rows(count=3):
    return [
        [
            f"C{i}",
            valid_ruc(),
            f"Comercial {i} S.A.C.",
            "Ferretería",
            "150122",
            f"Av. Larco {i}",
            f"ventas{i}@comercial.pe",
        ]
        for i in range(count)
    ]


def preview(actor, content):
    job = importing.start_import(actor=actor, upload=SimpleUploadedFile("antiguo.xlsx", content))
    return importing.preview_import(job.pk)


def test_columns_are_guessed_by_header_similarity_and_by_values(admin):
    job = preview(admin, xlsx(rows(), headers=FOREIGN))
    keys = {c["header"]: (c["key"], c["how"]) for c in job.columns}
    assert keys["Identificación tributaria"] == ("document_number", "sugerido")  # 11 digits that validate as RUC
    assert keys["Contacto e-mail"] == ("emails", "sugerido")
    assert keys["Zona"] == ("ubigeo", "sugerido")  # its values are ubigeo codes
    assert keys["Cod"] == ("", "")
    assert "Se ignoró la columna «Cod»: no es un dato de clientes." in job.warnings


def test_the_chosen_mapping_imports_and_is_remembered_for_the_next_file(admin, client):
    job = preview(admin, xlsx(rows(), headers=FOREIGN))
    client.force_login(admin)
    page = client.get(reverse("customers:import_detail", args=[job.pk])).content.decode()
    assert 'id="import-columns" open' in page
    chosen = {
        "Cod": "",
        "Identificación tributaria": "document_number",
        "Cliente": "business_name",
        "Rubro del negocio": "business_line",
        "Zona": "ubigeo",
        "Dirección del local": "street",
        "Contacto e-mail": "emails",
    }
    post = {f"col_{i}": chosen[c["header"]] for i, c in enumerate(job.columns)}
    client.post(reverse("customers:import_columns", args=[job.pk]), post)
    job.refresh_from_db()
    assert (job.status, job.to_create, job.error_rows) == ("lista", 3, 0), job.errors
    assert ImportMapping.objects.get().mapping == chosen

    second = preview(admin, xlsx(rows(2), headers=FOREIGN))
    assert {c["header"]: c["how"] for c in second.columns}["Cliente"] == "guardado"
    assert (second.to_create, second.error_rows) == (2, 0)
    importing.run_import(importing.confirm_import(actor=admin, job=second, mode="todo").pk)
    assert Customer.objects.filter(business_line="Ferretería", addresses__district_id="150122").count() == 2


def test_two_columns_cannot_be_the_same_field(admin):
    job = preview(admin, xlsx(rows(), headers=FOREIGN))
    mapping = {c["header"]: "" for c in job.columns}
    mapping["Cod"] = mapping["Cliente"] = "business_name"
    with pytest.raises(Exception, match="mismo dato"):
        importing.choose_columns(actor=admin, job=job, mapping=mapping)
