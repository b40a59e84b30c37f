"""Exporting and importing show customers: a group given «exportar» or «importar» without «ver
clientes» (customers.roles.PERMISSION_NEEDS) may do neither, at any door — the list's Descargar
CSV / Excel, every step of Importar, the admin's Importar / Exportar, the top menu, the services."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers import importing
from customers.models import ImportJob
from tests.customers.test_import import company, xlsx
from tests.factories import make_company, valid_ruc

pytestmark = pytest.mark.django_db

EXPORT = reverse("customers:export")
IMPORT = reverse("customers:import")
ADMIN_IMPORT = "/admin/customers/customer/import/"
ADMIN_CONFIRM = "/admin/customers/customer/process_import/"
ADMIN_EXPORT = "/admin/customers/customer/export/"
SECRET = "Reservada Hermanos S.A.C."


def _group(name: str, *codenames: str) -> Group:
    group = Group.objects.create(name=name)
    group.permissions.set(Permission.objects.filter(content_type__app_label="customers", codename__in=codenames))
    return group


@pytest.fixture
def blind(django_user_model):
    """Staff in a group of the office's own: may import (creating and editing) and export, but
    was not given «ver clientes»."""
    user = django_user_model.objects.create_user(username="ciego", is_staff=True)
    user.groups.add(_group("Carga masiva", "import_customer", "export_customer", "add_customer", "change_customer"))
    return user


def _see_customers(user) -> None:
    user.user_permissions.add(Permission.objects.get(content_type__app_label="customers", codename="view_customer"))


@pytest.fixture
def jobs(blind):
    """The user's own import jobs: one previewed that updates a customer it may not see (the
    page would show that customer's name), and one imported with a row rejected (its report)."""
    make_company(business_name=SECRET, document_number=(ruc := valid_ruc()))
    ready = importing.preview_import(
        importing.start_import(
            actor=None, upload=SimpleUploadedFile("a.xlsx", xlsx([company(ruc=ruc, name="Otra")]))
        ).pk
    )
    assert ready.to_update == 1, ready.errors
    done = importing.preview_import(
        importing.start_import(
            actor=None, upload=SimpleUploadedFile("b.xlsx", xlsx([company(), company(ruc="123")]))
        ).pk
    )
    done = importing.run_import(importing.confirm_import(actor=None, job=done, mode="validas").pk)
    assert done.error_report, done.message
    ImportJob.objects.update(created_by=blind)
    return ready, done


def _doors(ready: ImportJob, done: ImportJob) -> list[tuple[str, str, dict]]:
    upload = {"archivo": SimpleUploadedFile("c.xlsx", xlsx([company()]))}
    return [
        ("get", IMPORT, {}),
        ("post", IMPORT, upload),
        ("get", reverse("customers:import_template"), {}),
        ("get", reverse("customers:import_detail", args=[ready.pk]), {}),
        ("post", reverse("customers:import_columns", args=[ready.pk]), {}),
        ("post", reverse("customers:import_confirm", args=[ready.pk]), {"modo": "validas"}),
        ("post", reverse("customers:import_retry", args=[done.pk]), {}),
        ("get", reverse("customers:import_report", args=[done.pk]), {}),
        ("get", EXPORT + "?formato=csv", {}),
        ("get", EXPORT + "?formato=xlsx", {}),
        ("get", ADMIN_IMPORT, {}),
        ("post", ADMIN_IMPORT, {"format": "0", "import_file": SimpleUploadedFile("d.xlsx", xlsx([company()]))}),
        ("post", ADMIN_CONFIRM, {"format": "0", "import_file_name": "ninguno.xlsx", "original_file_name": "d.xlsx"}),
        ("get", ADMIN_EXPORT, {}),
        ("post", ADMIN_EXPORT, {"format": "0", "resource": "0", "customerresource_todas": "on"}),
    ]


def test_without_seeing_customers_no_import_or_export_door_opens(client, blind, jobs):
    client.force_login(blind)
    opened = []  # every door that opened, not only the first
    for method, url, data in _doors(*jobs):
        try:
            response = getattr(client, method)(url, data)
        except Exception as exc:  # noqa: BLE001 - a door that went on and failed is open too
            opened.append(f"{method.upper()} {url}: {exc!r}")
            continue
        page = response.content.decode(errors="replace") if not response.streaming else ""
        if response.status_code != 403 or "No tiene permiso" not in page or SECRET in page:
            opened.append(f"{method.upper()} {url}: {response.status_code}")
    assert opened == []
    # The progress bar polls the same page as an htmx partial.
    partial = client.get(reverse("customers:import_detail", args=[jobs[0].pk]), headers={"HX-Request": "true"})
    assert partial.status_code == 403 and SECRET not in partial.content.decode()
    # Nothing was uploaded, confirmed or retried.
    assert ImportJob.objects.count() == 2
    assert ImportJob.objects.get(pk=jobs[0].pk).status == ImportJob.Status.READY


def test_with_seeing_customers_the_same_doors_open(client, blind, jobs):
    """The other side of the rule: «ver clientes» added, the same user gets through (and the
    preview does show the matched customer: what the refusal keeps from the user above)."""
    ready, done = jobs
    _see_customers(blind)
    client.force_login(blind)
    assert SECRET in client.get(reverse("customers:import_detail", args=[ready.pk])).content.decode()
    for url in (
        IMPORT,
        reverse("customers:import_template"),
        reverse("customers:import_report", args=[done.pk]),
        EXPORT + "?formato=csv",
        EXPORT + "?formato=xlsx",
        ADMIN_IMPORT,
        ADMIN_EXPORT,
    ):
        assert client.get(url).status_code == 200, url


def test_the_menus_offer_import_and_export_only_with_seeing_customers(client, blind):
    make_company()
    client.force_login(blind)
    # The home page is the list, refused: its 403 page has the layout's top menu.
    page = client.get(reverse("customers:list")).content.decode()
    assert f'href="{IMPORT}"' not in page
    _see_customers(blind)
    page = client.get(reverse("customers:list")).content.decode()
    assert f'href="{IMPORT}"' in page  # the top menu's Importar and the list's Más opciones
    assert f'id="export-csv" href="{EXPORT}?' in page
    # The admin's changelist: its Importar / Exportar buttons.
    changelist = client.get("/admin/customers/customer/").content.decode()
    assert ADMIN_IMPORT in changelist and ADMIN_EXPORT in changelist


def test_the_import_service_refuses_who_may_not_see_customers(blind):
    with pytest.raises(PermissionDenied):
        importing.start_import(actor=blind, upload=SimpleUploadedFile("c.xlsx", xlsx([company()])))
    assert not ImportJob.objects.exists()


def test_the_rule_holds_for_permissions_given_to_the_user_itself(django_user_model):
    user = django_user_model.objects.create_user(username="suelto")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["export_customer", "import_customer"]))
    user = django_user_model.objects.get(pk=user.pk)
    assert not user.has_perm("customers.export_customer") and not user.has_perm("customers.import_customer")
    _see_customers(user)
    user = django_user_model.objects.get(pk=user.pk)
    assert user.has_perm("customers.export_customer") and user.has_perm("customers.import_customer")
