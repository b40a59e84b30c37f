"""The customer import: files made by openpyxl and CSVs as Excel writes them, preview counts,
confirm modes, matching, history and notes, safety against hostile files, permissions."""

import io
import signal
import threading
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from attributes.models import AttributeDefinition
from customers import importing
from customers.models import Customer, CustomerNote, ImportJob, ImportStagedRow
from customers.services.lifecycle import trash_customer
from tests.factories import make_company, make_person, valid_dni, valid_ruc
from tests.roles import user_with_role

HEADERS = [
    "Tipo de cliente",
    "Tipo de documento",
    "Número de documento",
    "Razón social",
    "Giro",
    "Nombres",
    "Apellidos",
    "Departamento",
    "Provincia",
    "Distrito",
    "Dirección",
    "Correos electrónicos",
]


def xlsx(rows, headers=HEADERS, title="Clientes") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def company(ruc=None, name="Gloria S.A.", **kw):
    row = {
        "Tipo de cliente": "Empresa",
        "Tipo de documento": "RUC",
        "Número de documento": ruc or valid_ruc(),
        "Razón social": name,
        "Giro": "Lácteos",
        "Departamento": "Lima",
        "Provincia": "Lima",
        "Distrito": "Miraflores",
        "Dirección": "Av. Larco 123",
    }
    row.update(kw)
    return [row.get(h) for h in HEADERS]


def person(dni=None, first="Rosa", last="Quispe", **kw):
    row = {
        "Tipo de cliente": "Persona natural",
        "Tipo de documento": "DNI",
        "Número de documento": dni,
        "Nombres": first,
        "Apellidos": last,
    }
    row.update(kw)
    return [row.get(h) for h in HEADERS]


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


def preview(actor, content: bytes, name="clientes.xlsx") -> ImportJob:
    job = importing.start_import(actor=actor, upload=SimpleUploadedFile(name, content))
    return importing.preview_import(job.pk)


def run(actor, job, mode="todo") -> ImportJob:
    job = importing.confirm_import(actor=actor, job=job, mode=mode)
    return importing.run_import(job.pk)


# --- preview ------------------------------------------------------------------------------------


def test_preview_counts_creates_updates_unchanged_and_errors_and_writes_nothing(admin):
    existing = make_company(business_name="Antigua S.A.C.")
    same = make_person(first_names="Ana", last_names="Ruiz", document_type_id="1", document_number=valid_dni())
    content = xlsx(
        [
            company(),
            company(ruc=existing.document_number, name="Nueva Razón S.A.C."),
            person(dni=same.document_number, first="Ana", last="Ruiz"),
            person(dni="12AB"),
        ]
    )
    before = Customer.objects.count()
    job = preview(admin, content)
    assert (job.status, job.to_create, job.to_update, job.unchanged, job.error_rows) == ("lista", 1, 1, 1, 1)
    assert job.errors == [[5, "Número de documento", "El DNI solo puede tener números.", "Clientes"]]
    assert Customer.objects.count() == before
    assert Customer.objects.get(pk=existing.pk).business_name == "Antigua S.A.C."


def test_unknown_columns_are_ignored_with_a_warning(admin):
    content = xlsx([company() + ["algo"]], headers=[*HEADERS, "Código interno"])
    job = preview(admin, content)
    assert job.to_create == 1
    assert job.warnings == ["Se ignoró la columna «Código interno»: no es un dato de clientes."]


def test_a_row_with_an_unreadable_cell_lists_its_other_errors_too(admin):
    # The district can't be read and the e-mail is wrong: both are listed, so that one upload
    # shows everything to fix in the row (before, the e-mail came out only on the next upload).
    row = person(dni=valid_dni(), Distrito="Narnia", Departamento="Lima", Provincia="Lima")
    row[HEADERS.index("Correos electrónicos")] = "luis@"
    row[HEADERS.index("Dirección")] = "Calle 2"
    job = preview(admin, xlsx([row]))
    columns = {column for _, column, _, _ in job.errors}
    assert job.error_rows == 1
    assert columns == {"Distrito", "Correos electrónicos"}, job.errors


def test_a_rejected_rows_report_fixed_and_uploaded_again_warns_about_nothing(admin):
    ruc = valid_ruc()
    content = xlsx([company(ruc=ruc, Distrito="Narnia")])
    sheets = {"Clientes": [["RUC", ruc, "Ana Torres"], ["RUC", ruc, "Luis Rojas"]]}
    workbook = load_workbook(io.BytesIO(content))
    contacts = workbook.create_sheet("Contactos")
    contacts.append(["Tipo de documento", "Número de documento", "Nombre"])
    for row in sheets["Clientes"]:
        contacts.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = preview(admin, buffer.getvalue())
    assert job.error_rows == 3
    report = load_workbook(io.BytesIO(job.error_report.read()))
    sheet = report["Clientes"]
    assert [cell.value for cell in sheet[1]][:2] == ["Errores", "Fila"]
    sheet.cell(row=2, column=2 + HEADERS.index("Distrito") + 1, value="Miraflores")
    buffer = io.BytesIO()
    report.save(buffer)
    again = preview(admin, buffer.getvalue(), name="clientes-errores.xlsx")
    assert (again.to_create, again.error_rows, again.warnings) == (1, 0, [])
    assert again.sheets["Contactos"]["add"] == 2


def test_the_rejected_rows_report_opens_readable(admin):
    # Its errors are sentences («Distrito: No existe el distrito «Narnia»…»): in a column of
    # Excel's default width, wrapped in none, a person saw only its first words.
    job = preview(admin, xlsx([company(Distrito="Narnia")]))
    sheet = load_workbook(io.BytesIO(job.error_report.read()))["Clientes"]
    widths = {letter: dimension.width for letter, dimension in dict(sheet.column_dimensions).items()}
    assert widths.get("A", 8.43) >= 50 and sheet["A2"].alignment.wrap_text
    assert sheet.freeze_panes == "A2"
    letters = {cell.value: cell.column_letter for cell in sheet[1]}
    assert widths.get(letters["Número de documento"], 8.43) > len("Número de documento")


def test_the_same_customer_twice_in_a_file_is_reported(admin):
    ruc = valid_ruc()
    job = preview(admin, xlsx([company(ruc=ruc), company(ruc=ruc, name="Otra")]))
    assert (job.to_create, job.error_rows) == (1, 1)
    assert job.errors[0][0] == 3 and "fila 2" in job.errors[0][2]


def test_a_customer_repeated_in_a_row_with_errors_is_reported_too(admin):
    # Fixing only a rejected row's own errors and uploading it again would otherwise update the
    # customer the earlier row created; and a row after a rejected one is the same customer twice.
    ruc, dni = valid_ruc(), valid_dni()
    rows = [
        company(ruc=ruc),
        company(ruc=ruc, name="Otra S.A.", Giro=None),
        person(dni=dni, last=None),
        person(dni=dni),
    ]
    job = preview(admin, xlsx(rows))
    assert (job.to_create, job.error_rows) == (1, 3)
    messages = {(number, message) for number, _column, message, *_ in job.errors}
    assert (3, "El mismo documento ya está en la fila 2.") in messages
    assert (5, "El mismo documento ya está en la fila 4.") in messages
    assert any(number == 3 and "giro" in message for number, _column, message, *_ in job.errors)


# --- real-spreadsheet quirks ------------------------------------------------------------------


def test_ruc_as_float_and_dni_that_lost_its_leading_zero(admin):
    ruc = valid_ruc()
    job = run(admin, preview(admin, xlsx([company(ruc=float(ruc)), person(dni=7654321)])))
    assert job.created == 2
    assert Customer.objects.filter(document_number=ruc).exists()
    assert Customer.objects.filter(document_number="07654321", document_type_id="1").exists()


def test_headers_and_ubigeo_names_in_any_case_and_without_accents(admin):
    headers = [h.upper().replace("Ó", "O").replace("Ú", "U") for h in HEADERS]
    row = company(Departamento="ANCASH", Provincia="huaraz", Distrito="  Huaraz ")
    job = run(admin, preview(admin, xlsx([row], headers=headers)))
    assert job.created == 1, job.errors
    customer = Customer.objects.get(document_number=row[2])
    assert customer.addresses.get().district_id == "020101"


def test_a_place_that_does_not_exist_is_its_own_column_s_error_and_a_short_district_name_is_suggested(admin):
    rows = [
        company(**{"Departamento": "Lambayequ", "Provincia": "Chiclayo", "Distrito": "Chiclayo"}),
        company(**{"Provincia": "Limaa"}),
        company(**{"Distrito": "San Juan"}),  # in Lima, two districts begin so
        company(**{"Distrito": "Miraflore"}),
    ]
    job = preview(admin, xlsx(rows))
    assert [error[:3] for error in job.errors] == [
        [2, "Departamento", "No existe el departamento «Lambayequ»."],
        [3, "Provincia", "No existe la provincia «Limaa»."],
        [
            4,
            "Distrito",
            "No existe el distrito «San Juan» en Lima, Lima. "
            "¿Quiso decir «San Juan de Lurigancho» o «San Juan de Miraflores»?",
        ],
        [5, "Distrito", "No existe el distrito «Miraflore» en Lima, Lima. ¿Quiso decir «Miraflores»?"],
    ]


def test_ubigeo_by_code_as_a_number(admin):
    headers = [*HEADERS, "Ubigeo"]
    row = company(Departamento=None, Provincia=None, Distrito=None) + [80101.0]
    job = run(admin, preview(admin, xlsx([row], headers=headers)))
    assert job.created == 1, job.errors
    assert Customer.objects.get(document_number=row[2]).addresses.get().district_id == "080101"


def test_stray_spaces_and_empty_trailing_rows(admin):
    content = xlsx([person(first="  Rosa   Elena ", last=" Quispe  "), [None] * len(HEADERS), ["  "] * 3])
    job = run(admin, preview(admin, content))
    assert (job.created, job.error_rows) == (1, 0)
    assert Customer.objects.filter(first_names="Rosa Elena", last_names="Quispe").exists()


def test_dates_as_excel_serials_or_text_and_amounts_as_soles_text(admin):
    since = AttributeDefinition.objects.create(name="Cliente desde", kind="fecha", position=1)
    budget = AttributeDefinition.objects.create(name="Presupuesto", kind="decimal", position=2)
    headers = [*HEADERS, "cliente desde", "PRESUPUESTO"]
    rows = [person(first="Uno") + [45292, "S/ 1,500.00"], person(first="Dos") + ["15/03/2024", 2500.5]]
    job = run(admin, preview(admin, xlsx(rows, headers=headers)))
    assert job.created == 2, job.errors
    one, two = Customer.objects.get(first_names="Uno"), Customer.objects.get(first_names="Dos")
    assert one.attributes == {since.key: "2024-01-01", budget.key: 1500}
    assert two.attributes == {since.key: "2024-03-15", budget.key: 2500.5}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
@pytest.mark.parametrize("separator", [",", ";"])
def test_csv_in_both_encodings_and_both_separators(admin, encoding, separator):
    lines = [
        separator.join(["Tipo de cliente", "Número de documento", "Nombres", "Apellidos"]),
        separator.join(["Persona natural", "", "José", "Núñez Peña"]),
    ]
    job = preview(admin, "\r\n".join(lines).encode(encoding), name="clientes.csv")
    assert job.error_rows == 0, (job.errors, job.warnings)
    job = run(admin, job)
    assert job.created == 1, (job.errors, job.message)
    assert Customer.objects.filter(first_names="José", last_names="Núñez Peña").exists()


# --- confirm ----------------------------------------------------------------------------------


def test_all_or_nothing_is_refused_while_rows_have_errors(admin):
    job = preview(admin, xlsx([company(), person(dni="x")]))
    with pytest.raises(ValidationError):
        importing.confirm_import(actor=admin, job=job, mode="todo")
    assert Customer.objects.count() == 0


def test_all_or_nothing_writes_nothing_when_a_row_fails_at_confirm(admin):
    ruc = valid_ruc()
    job = preview(admin, xlsx([company(), company(ruc=ruc)]))
    make_company(document_number=ruc)  # someone created it after the preview
    job = run(admin, job)
    assert job.status == "fallida"
    assert "No se importó nada" in job.message
    assert Customer.objects.count() == 1


def test_valid_rows_only_imports_them_and_offers_the_rejected_ones(admin):
    job = run(admin, preview(admin, xlsx([company(name="Buena S.A."), person(dni="mal")])), mode="validas")
    assert (job.status, job.created, job.rejected) == ("terminada", 1, 1)
    report = load_workbook(io.BytesIO(job.error_report.read()))
    rows = list(report.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Errores", "Fila", "Tipo de cliente")
    assert rows[1][1] == 3 and "DNI" in rows[1][0]


def test_update_matched_by_document_keeps_what_the_file_leaves_empty(admin):
    existing = make_company(business_name="Antigua S.A.C.", business_line="Textil")
    row = company(ruc=existing.document_number, name="Nueva S.A.C.", Giro=None)
    job = run(admin, preview(admin, xlsx([row])))
    assert job.updated == 1, job.errors
    existing.refresh_from_db()
    assert (existing.business_name, existing.business_line) == ("Nueva S.A.C.", "Textil")


def test_an_imported_update_makes_a_new_version_so_a_form_opened_before_is_stale(admin):
    existing = make_company(business_name="Antigua S.A.C.")
    before = existing.version
    job = run(admin, preview(admin, xlsx([company(ruc=existing.document_number, name="Nueva S.A.C.")])))
    assert job.updated == 1, job.errors
    existing.refresh_from_db()
    assert existing.version == before + 1


def test_update_matched_by_email_when_the_row_has_no_document(admin):
    existing = make_person(first_names="Ana", last_names="Ruiz", document_number="", email="ana@correo.pe")
    job = run(
        admin,
        preview(admin, xlsx([person(first="Ana María", last="Ruiz", **{"Correos electrónicos": "ANA@correo.pe"})])),
    )
    assert job.updated == 1, job.errors
    existing.refresh_from_db()
    assert existing.first_names == "Ana María"


def test_history_and_a_note_for_every_created_and_updated_customer(admin):
    existing = make_company(business_name="Antigua S.A.C.")
    job = run(
        admin,
        preview(
            admin,
            xlsx([company(name="Nueva S.A."), company(ruc=existing.document_number, name="Cambiada S.A.")]),
            name="marzo.xlsx",
        ),
    )
    assert (job.created, job.updated) == (1, 1)
    created = Customer.objects.get(business_name="Nueva S.A.")
    record = created.history.get()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        admin,
        "Importado de marzo.xlsx",
    )
    assert existing.history.filter(history_type="~", history_user=admin).count() == 1
    assert created.addresses.get().history.filter(history_type="+").count() == 1
    assert CustomerNote.objects.get(customer=created).text == "Creado por importación de marzo.xlsx."
    note = CustomerNote.objects.get(customer=existing, kind="importado").text
    assert note.startswith("Actualizado por importación de marzo.xlsx.")
    assert "Razón social: Antigua S.A.C. → Cambiada S.A." in note


def test_a_customer_to_create_gets_the_id_its_row_was_staged_with(admin):
    job = preview(admin, xlsx([company(name="Nueva S.A."), person(dni=valid_dni(), first="Luz")]))
    staged = dict(ImportStagedRow.objects.filter(batch=f"job-{job.pk}").values_list("number", "customer_id"))
    assert None not in staged.values() and len(set(staged.values())) == 2
    made_meanwhile = make_company(business_name="Guardada Mientras S.A.C.")  # the form draws ids too
    assert made_meanwhile.pk not in staged.values()
    job = run(admin, job)
    assert job.created == 2
    assert Customer.objects.get(pk=staged[2]).business_name == "Nueva S.A."
    assert Customer.objects.get(pk=staged[3]).first_names == "Luz"


def test_an_update_of_a_customer_changed_after_the_preview_is_reported_not_overwritten(admin):
    existing = make_company(business_name="Antigua S.A.C.")
    job = preview(admin, xlsx([company(ruc=existing.document_number, name="Del archivo S.A.")]))
    Customer.objects.filter(pk=existing.pk).update(
        business_name="De otra persona", updated_at=job.previewed_at.replace(year=2099)
    )
    job = run(admin, job)
    assert job.status == "fallida"
    assert "cambió después de la vista previa" in job.errors[0][2]
    existing.refresh_from_db()
    assert existing.business_name == "De otra persona"


# --- staged rows of previews nobody confirms ----------------------------------------------------


def test_an_abandoned_preview_leaves_its_staged_rows_only_until_a_later_preview(admin):
    old = preview(admin, xlsx([company(name="Olvidada S.A.")]))
    assert ImportStagedRow.objects.filter(batch=f"job-{old.pk}").exists()
    ImportJob.objects.filter(pk=old.pk).update(previewed_at=timezone.now() - timedelta(hours=25))
    new = preview(admin, xlsx([company(name="Reciente S.A.")]))
    assert not ImportStagedRow.objects.filter(batch=f"job-{old.pk}").exists()
    assert ImportStagedRow.objects.filter(batch=f"job-{new.pk}").exists()


def test_a_recent_preview_keeps_its_staged_rows_when_another_one_starts(admin):
    first = preview(admin, xlsx([company(name="Primera S.A.")]))
    preview(admin, xlsx([company(name="Segunda S.A.")]))
    assert ImportStagedRow.objects.filter(batch=f"job-{first.pk}").exists()


def test_a_later_preview_drops_the_staged_rows_of_a_deleted_job_and_keeps_the_others(admin):
    gone = preview(admin, xlsx([company(name="Borrada S.A.")]))
    waiting = preview(admin, xlsx([company(name="En espera S.A.")]))
    # An import written in one go (write_rows) stages under a batch of its own, not a job's.
    ImportStagedRow.objects.create(batch="now-en-curso", number=2, action="create")
    ImportJob.objects.filter(pk=gone.pk).delete()
    preview(admin, xlsx([company(name="Otra S.A.")]))
    assert not ImportStagedRow.objects.filter(batch=f"job-{gone.pk}").exists()
    assert ImportStagedRow.objects.filter(batch=f"job-{waiting.pk}").exists()
    assert ImportStagedRow.objects.filter(batch="now-en-curso").exists()


def test_a_preview_whose_staged_rows_went_still_imports_what_it_showed(admin):
    old = preview(admin, xlsx([company(name="Tardía S.A.")]), name="viejo.xlsx")
    ImportJob.objects.filter(pk=old.pk).update(previewed_at=timezone.now() - timedelta(hours=25))
    preview(admin, xlsx([company(name="Otra S.A.")]))
    old.refresh_from_db()
    assert old.checked_rules["staged"] is False
    job = run(admin, old)  # the file is cleaned again, under lock
    assert (job.status, job.created) == ("terminada", 1), job.message
    created = Customer.objects.get(business_name="Tardía S.A.")
    assert CustomerNote.objects.get(customer=created).text == "Creado por importación de viejo.xlsx."
    assert created.history.get().history_type == "+"


def test_the_staged_rows_of_a_finished_import_are_gone(admin):
    job = run(admin, preview(admin, xlsx([company()])))
    assert job.status == "terminada"
    assert not ImportStagedRow.objects.exists()


# --- safety -----------------------------------------------------------------------------------


def test_a_second_confirm_does_nothing(admin):
    job = run(admin, preview(admin, xlsx([company()])))
    with pytest.raises(ValidationError):
        importing.confirm_import(actor=admin, job=job, mode="todo")
    assert importing.run_import(job.pk).created == 1
    assert Customer.objects.count() == 1


def test_another_users_job_cannot_be_confirmed(admin):
    job = preview(admin, xlsx([company()]))
    with pytest.raises(PermissionDenied):
        importing.confirm_import(actor=user_with_role("Administrador"), job=job, mode="todo")


def test_a_swapped_file_is_not_imported(admin):
    job = preview(admin, xlsx([company()]))
    importing.confirm_import(actor=admin, job=job, mode="todo")
    with open(job.file.path, "wb") as handle:
        handle.write(xlsx([company(name="Otra"), company(name="Más")]))
    job = importing.run_import(job.pk)
    assert job.status == "fallida" and "no es el de la vista previa" in job.message
    assert Customer.objects.count() == 0


def test_rows_that_update_need_the_edit_permission(admin):
    existing = make_company()
    importer = user_with_role("Consulta")
    importer.user_permissions.add(*_perms("import_customer", "add_customer"))
    job = preview(importer, xlsx([company(ruc=existing.document_number, name="Otra")]))
    assert job.error_rows == 1 and "permiso para modificar" in job.errors[0][2]


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="customers", codename__in=codenames)


def test_a_worker_killed_mid_import_leaves_the_job_failed_and_retryable(admin):
    job = preview(admin, xlsx([company()]))
    importing.confirm_import(actor=admin, job=job, mode="todo")
    # What a kill -9 leaves: the job marked as importing, its transaction rolled back (nothing
    # written) and no process holding the job's lock.
    ImportJob.objects.filter(pk=job.pk).update(status="importando")
    job = importing.reap_if_dead(ImportJob.objects.get(pk=job.pk))
    assert job.status == "fallida" and "se interrumpió" in job.message
    job = importing.retry_import(actor=admin, job=job)
    job = importing.run_import(job.pk)
    assert (job.status, job.created) == ("terminada", 1)
    assert Customer.objects.count() == 1


def refused(actor, content: bytes, name: str) -> str:
    with pytest.raises(ValidationError) as info:
        job = importing.start_import(actor=actor, upload=SimpleUploadedFile(name, content))
        job = importing.preview_import(job.pk)
        assert job.status == "rechazada"
        raise ValidationError(job.message)
    assert Customer.objects.count() == 0
    return " ".join(info.value.messages)


def test_empty_file(admin):
    assert refused(admin, b"", "vacio.xlsx") == "El archivo está vacío."


def test_renamed_executable(admin):
    assert "no es una hoja de cálculo" in refused(admin, b"MZ\x90\x00" + b"\x00" * 500, "clientes.xlsx")


def test_zip_that_is_not_a_workbook(admin):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hola.txt", "hola")
    assert "no es un libro de Excel" in refused(admin, buffer.getvalue(), "clientes.xlsx")


def test_zip_bomb(admin):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 50_000_000)
    assert "bomba zip" in refused(admin, buffer.getvalue(), "bomba.xlsx")


def test_entity_expansion(admin):
    content = xlsx([company()])
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                doctype = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                data = data.replace(b"?>", b"?>" + doctype, 1) if b"?>" in data[:100] else doctype + data
            archive.writestr(item, data)
    assert "DOCTYPE" in refused(admin, buffer.getvalue(), "entidades.xlsx")


def test_encrypted_workbook(admin):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 600
    assert "contraseña" in refused(admin, ole, "secreto.xlsx")


def test_malformed_workbook(admin):
    content = xlsx([company()])[:2000]
    assert "dañado" in refused(admin, content, "roto.xlsx")


def test_file_size_limit_before_parsing(admin, settings):
    settings.IMPORT_MAX_BYTES = 1000
    assert "el máximo es" in refused(admin, b"a,b\n" * 400, "grande.csv")


def test_row_cap_counted_while_streaming_whatever_the_declared_dimension(admin, settings):
    settings.IMPORT_MAX_ROWS = 3
    content = xlsx([person(first=f"P{i}") for i in range(5)])
    assert "más de 3 filas" in refused(admin, content, "filas.xlsx")


def test_a_huge_declared_dimension_is_read_as_the_rows_it_has(admin):
    content = xlsx([person(first="Uno")])
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:L2"/>', b'<dimension ref="A1:XFD1048576"/>')
            archive.writestr(item, data)
    job = preview(admin, buffer.getvalue())
    assert (job.status, job.to_create) == ("lista", 1)


# --- the template --------------------------------------------------------------------------------


def test_the_template_has_a_column_per_field_and_active_attribute_and_drop_downs(admin):
    AttributeDefinition.objects.create(name="Nivel", kind="lista", options=["Oro", "Plata"], position=1)
    AttributeDefinition.objects.create(name="Viejo", kind="texto", position=2, archived_at=timezone.now())
    workbook = load_workbook(io.BytesIO(importing.template_xlsx()))
    assert workbook.sheetnames == ["Clientes", "Instrucciones", "Direcciones", "Contactos", "Listas"]
    headers = [c.value for c in workbook["Clientes"][1]]
    assert headers[:3] == ["Tipo de cliente", "Extranjero", "Tipo de documento"]
    assert "Nivel" in headers and "Viejo" not in headers
    validated = {str(v.sqref).split(":")[0][:-1] for v in workbook["Clientes"].data_validations.dataValidation}
    assert {"A", "C", "M"} <= validated  # tipo, tipo de documento, departamento


def test_the_template_lists_departamentos_alphabetically_and_the_other_sheets_have_drop_downs(admin):
    workbook = load_workbook(io.BytesIO(importing.template_xlsx()))
    lists = workbook["Listas"]
    titles = [cell.value for cell in lists[1]]
    column = titles.index("Departamentos") + 1
    departments = [lists.cell(row=row, column=column).value for row in range(2, 27)]
    assert departments[:3] == ["Amazonas", "Áncash", "Apurímac"] and departments[-1] == "Ucayali"
    formulas = {
        sheet: {
            workbook[sheet][f"{str(v.sqref)[0]}1"].value: v.formula1
            for v in workbook[sheet].data_validations.dataValidation
        }
        for sheet in ("Direcciones", "Contactos")
    }
    assert formulas["Direcciones"]["Tipo de dirección"] == '"Fiscal,Entrega,Otra"'
    assert formulas["Direcciones"]["Departamento"].startswith("=Listas!")
    assert formulas["Direcciones"]["Tipo de documento"].startswith("=Listas!")
    assert formulas["Contactos"]["Tipo de documento"].startswith("=Listas!")


def test_the_filled_template_imports(admin):
    # The examples are valid rows: the template's own, left as they are, are skipped
    # (test_import_examples); with the office's documents written over theirs, they import.
    workbook = load_workbook(io.BytesIO(importing.template_xlsx()))
    ruc, dni = valid_ruc(), valid_dni()
    workbook["Clientes"]["D2"], workbook["Clientes"]["D3"] = ruc, dni
    workbook["Direcciones"]["B2"] = workbook["Contactos"]["B2"] = ruc
    workbook["Direcciones"]["B3"] = workbook["Contactos"]["B3"] = dni  # the person's address and contact
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = run(admin, preview(admin, buffer.getvalue()))
    assert (job.created, job.error_rows) == (2, 0), job.errors
    # Not skipped as examples; told that they keep the examples' e-mails and phones.
    assert not any("Se omiti" in warning for warning in job.warnings)
    assert any(w.startswith("Las filas 2 y 3 de Clientes conservan el correo") for w in job.warnings), job.warnings
    assert (job.sheets["Direcciones"]["added"], job.sheets["Contactos"]["added"]) == (2, 2)
    person = Customer.objects.get(document_number=dni)
    assert person.contacts.get().name == "Luis Quispe"
    assert person.addresses.filter(street="Jr. Sol 12", district__name="San Sebastián").exists()


@pytest.mark.parametrize(
    ("role", "allowed"), [("Administrador", True), ("Ventas", False), ("Créditos", False), ("Consulta", False)]
)
def test_only_roles_with_importar_may_start_an_import(db, role, allowed):
    actor = user_with_role(role)
    upload = SimpleUploadedFile("c.xlsx", xlsx([company()]))
    if allowed:
        assert importing.start_import(actor=actor, upload=upload).pk
    else:
        with pytest.raises(PermissionDenied):
            importing.start_import(actor=actor, upload=upload)
        assert not ImportJob.objects.exists()


# --- a large file's preview, checked by worker processes ---------------------------------------


@pytest.fixture
def committed_admin(transactional_db, reference_data):
    # Worker processes read committed rows only: no test transaction around this test.
    return user_with_role("Administrador")


def _staged(job) -> list:
    """The staged rows, a created customer's id aside: each preview draws new ones."""
    rows = (
        ImportStagedRow.objects.filter(batch=f"job-{job.pk}")
        .order_by("number")
        .values_list(
            "number", "action", "customer_id", "fields", "phones", "emails", "address", "note", "errors", "raw"
        )
    )
    return [(*row[:2], "nuevo" if row[1] == "create" else row[2], *row[3:]) for row in rows]


def test_workers_check_a_large_file_exactly_as_one_process_does(committed_admin, monkeypatch, settings):
    existing = make_company(business_name="Antigua S.A.C.")
    same = make_person(first_names="Ana", last_names="Ruiz", document_type_id="1", document_number=valid_dni())
    by_email = make_person(first_names="Eva", last_names="Soto", document_number="", email="eva@correo.pe")
    trashed = make_company(business_name="En Papelera S.A.")
    trash_customer(actor=committed_admin, customer=trashed)
    ruc = valid_ruc()
    rows = [
        company(ruc=existing.document_number, name="Nueva Razón S.A.C."),
        *[company(name=f"Empresa {n} S.A.") for n in range(30)],
        company(ruc=ruc),
        person(dni="12AB"),
        company(ruc=ruc, name="Repetida S.A."),
        company(ruc=(rejected := valid_ruc()), Giro=None),  # an error row: its document is remembered
        company(ruc=rejected, name="Corregida S.A."),  # … so this one repeats it
        person(dni=same.document_number, first="Ana", last="Ruiz"),  # unchanged
        person(first="Eva María", last="Soto", **{"Correos electrónicos": "EVA@correo.pe"}),  # matched by e-mail
        company(ruc=trashed.document_number),  # in the Papelera
        company(**{"Correos electrónicos": "eva@correo.pe"}),  # another customer's e-mail
        person(first="Eva", last="Soto", **{"Correos electrónicos": "eva@correo.pe"}),  # the same customer again
        company(name="Con_x0000_ NUL S.A."),  # a control character: its cells reach the parent's staging
    ]
    content = xlsx(rows)
    monkeypatch.setattr(importing, "CHUNK", 7)  # several chunks, two workers
    monkeypatch.setattr(importing, "PARALLEL_FROM", 10**9)
    alone = preview(committed_admin, content)
    monkeypatch.setattr(importing, "PARALLEL_FROM", 1)
    settings.IMPORT_INLINE_MAX_BYTES = 0  # a file the task worker checks, not the request
    monkeypatch.setattr(importing.os, "cpu_count", lambda: 2)  # as on the 2-core machine it runs on
    calls = []
    in_workers = importing._analyze_in_workers
    monkeypatch.setattr(importing, "_analyze_in_workers", lambda *a, **k: calls.append(a[1]) or in_workers(*a, **k))
    # With a SIGTERM handler like db_worker's installed (it only asks the current task to
    # finish), which the workers would inherit: the preview still ends.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        shared = preview(committed_admin, content)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert calls == [2]  # two worker processes checked it
    counts = ("status", "to_create", "to_update", "unchanged", "error_rows", "errors")
    assert [getattr(shared, c) for c in counts] == [getattr(alone, c) for c in counts]
    assert (shared.to_create, shared.to_update, shared.unchanged, shared.error_rows) == (31, 2, 1, 8)
    assert _staged(shared) == _staged(alone)
    job = run(committed_admin, shared, mode="validas")
    assert (job.status, job.created, job.updated, job.rejected) == ("terminada", 31, 2, 8)
    existing.refresh_from_db()
    by_email.refresh_from_db()
    assert (existing.business_name, by_email.first_names) == ("Nueva Razón S.A.C.", "Eva María")


def test_the_last_rows_of_a_large_file_go_to_the_workers_in_smaller_chunks(monkeypatch):
    # So that both workers end about together and the last COPY after them is small.
    monkeypatch.setattr(importing, "CHUNK", 2_000)
    assert importing._chunk_size(100_000, 2) == 2_000
    assert importing._chunk_size(4_001, 2) == 2_000
    assert importing._chunk_size(4_000, 2) == 500
    assert importing._chunk_size(0, 2) == 500  # a CSV: no declared height
    monkeypatch.setattr(importing, "CHUNK", 3)
    assert importing._chunk_size(6, 2) == 1


def test_the_sheets_load_while_the_stale_staged_rows_are_deleted(admin, monkeypatch):
    # python-calamine loads a whole sheet before any row can be checked (about a second for
    # 100,000 rows, without holding the GIL): the preview's other work before the rows overlaps it.
    loading = threading.Event()
    seen = []
    open_tables, discard_stale = importing.spreadsheets.open_tables, importing.import_staging.discard_stale

    def load(path, kind):
        loading.set()
        return open_tables(path, kind)

    def delete(**kwargs):
        # Had the sheets loaded after this (one thing after the other), this waits in vain.
        seen.append(loading.wait(timeout=30))
        return discard_stale(**kwargs)

    monkeypatch.setattr(importing.spreadsheets, "open_tables", load)
    monkeypatch.setattr(importing.import_staging, "discard_stale", delete)
    job = preview(admin, xlsx([company()]))
    assert (job.status, job.to_create, seen) == ("lista", 1, [True])


def test_a_file_refused_while_its_sheets_load_in_a_thread_is_refused(admin, monkeypatch):
    def broken(path, kind):
        raise importing.spreadsheets.FileRefused("El archivo está dañado o no es una hoja de cálculo: no se pudo leer.")

    monkeypatch.setattr(importing.spreadsheets, "open_tables", broken)
    job = preview(admin, xlsx([company()]))
    assert (job.status, job.message) == (
        "rechazada",
        "El archivo está dañado o no es una hoja de cálculo: no se pudo leer.",
    )
    assert not ImportStagedRow.objects.filter(batch=f"job-{job.pk}").exists()


def test_a_file_small_enough_for_the_request_is_checked_without_forking(committed_admin, monkeypatch):
    # The pages check such a file inside the web server's process: never forked from there.
    monkeypatch.setattr(importing, "PARALLEL_FROM", 1)
    monkeypatch.setattr(importing.os, "cpu_count", lambda: 2)
    calls = []
    monkeypatch.setattr(importing, "_analyze_in_workers", lambda *a, **k: calls.append(a[1]))
    job = preview(committed_admin, xlsx([company(name=f"Empresa {n} S.A.") for n in range(5)]))
    assert (job.status, job.to_create, calls) == ("lista", 5, [])


def test_the_preview_finds_email_owners_outside_and_in_the_papelera_through_indexes(admin):
    # At 1,000,000 customers one query over both could use no index and read every e-mail once
    # per 2,000-row chunk; each lookup now follows an index's rule (the unique one on
    # lower(email) outside the Papelera; the Papelera's customers).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_company(business_name="Dueña S.A.C.", email="ventas@duena.pe")
    trashed = make_company(business_name="Borrada S.A.C.", email="compras@borrada.pe")
    trash_customer(actor=None, customer=trashed)
    rows = [
        company(name="Primera S.A.", **{"Correos electrónicos": "VENTAS@duena.pe"}),
        company(name="Segunda S.A.", **{"Correos electrónicos": "compras@borrada.pe"}),
    ]
    with CaptureQueriesContext(connection) as captured:
        job = preview(admin, xlsx(rows))
    assert job.error_rows == 2, job.errors
    assert all("ya es de otro cliente" in str(error) or "Papelera" in str(error) for error in job.errors), job.errors
    lookups = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "customers_customeremail"' in q["sql"] and "LOWER(" in q["sql"]
    ]
    assert len(lookups) >= 2, lookups
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in lookups:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan on customers_customeremail" not in plan, plan


def test_the_report_writes_a_rows_errors_as_sentences_each_with_its_column(admin):
    job = preview(admin, xlsx([company(name="", ruc="20123"), company(name="Buena S.A.")]))
    report = load_workbook(io.BytesIO(job.error_report.read()))
    (cell,) = [row[0] for row in report.active.iter_rows(min_row=2, values_only=True)]
    assert ".;" not in cell and cell.endswith(".")
    assert cell.count(": ") >= 2, cell  # both errors, each named by its column
