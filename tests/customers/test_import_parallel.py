"""The confirmed import written in two connections that commit together (customers.import_parallel,
two-phase commit): the same result as one connection, all or nothing across the parts, nothing
left behind when a part fails, and a worker killed at any point (kill -9) leaves no half
import. Transactional tests: the parts are other connections, which see committed rows only."""

import io
import json
import multiprocessing
import os
import signal
import threading
import time

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone
from openpyxl import load_workbook

from attributes.models import AttributeDefinition
from customers import import_parallel, import_staging, importing
from customers.models import Customer, CustomerNote, ImportJob, ImportStagedRow
from tests.concurrency import wait_until_released
from tests.customers.test_import import company, person
from tests.customers.test_import_sheets import preview, run, workbook
from tests.factories import make_company, make_person, valid_dni, valid_ruc
from tests.roles import user_with_role


@pytest.fixture
def admin(transactional_db, reference_data):
    return user_with_role("Administrador")


@pytest.fixture(autouse=True)
def two_connections(settings):
    """Small files take the two-connection path here (production: from 10,000 rows)."""
    settings.IMPORT_PARALLEL_ROWS = 1
    settings.IMPORT_CONNECTIONS = 2


@pytest.fixture(autouse=True)
def nothing_left_prepared(transactional_db):
    yield
    left = _prepared()
    import_parallel.finish(left, commit=False)  # the test database must stay droppable
    assert left == [], "a test left prepared transactions behind"


def _prepared() -> list:
    with connection.cursor() as cursor:
        cursor.execute("SELECT gid FROM pg_prepared_xacts WHERE database = current_database() ORDER BY gid")
        return [gid for (gid,) in cursor.fetchall()]


@pytest.fixture
def parts(monkeypatch):
    """What import_parallel.prepare returned, each call: [(results, gids)]."""
    calls = []
    original = import_parallel.prepare

    def spy(job_id, count, work):
        answer = original(job_id, count, work)
        calls.append(answer)
        return answer

    monkeypatch.setattr(import_parallel, "prepare", spy)
    return calls


# --- the same result as one connection ------------------------------------------------------------


def _scenario(actor, tag: str):
    """A file of creates, updates, Direcciones and Contactos rows (for customers of the file and for
    a registered one), a preview error, and rows that become errors at the write because of
    changes made after the preview. Returns the job (previewed, then those changes made) and
    {label: document} of the customers to compare. ``tag`` makes its e-mails unique in the database."""

    def fixed(index):  # what the factories would pick at random: the same in every run
        return {"email": f"cliente{index}{tag}@x.pe", "phone": "+51987654321", "business_line": "Comercio"}

    updated = make_company(business_name="Antigua S.A.C.", **fixed(1))
    person_updated = make_person(
        document_type_id="1", document_number=valid_dni(), first_names="Rosa", last_names="Rojas", **fixed(2)
    )
    stale = make_company(business_name="Cambiará S.A.", **fixed(3))
    registered = make_person(
        document_type_id="1", document_number=valid_dni(), first_names="Luis", last_names="Quispe", **fixed(4)
    )
    new = [valid_ruc() for _ in range(9)]
    taken_dni, taken_email_ruc = valid_dni(), valid_ruc()
    customers = [
        company(ruc=updated.document_number, name="Nueva Razón S.A.C.", **{"Correos electrónicos": f"a{tag}@x.pe"}),
        person(dni=person_updated.document_number, last="Rojas Vega"),
        company(ruc=stale.document_number, name="Pisada S.A."),
        *[company(ruc=ruc, name=f"Empresa {n} S.A.") for n, ruc in enumerate(new)],
        person(dni=taken_dni, first="Tomás"),
        company(ruc=taken_email_ruc, name="Correo Tomado S.A.", **{"Correos electrónicos": f"tomado{tag}@x.pe"}),
        company(ruc="12345678901", name="RUC inválido"),
    ]
    addresses = [
        ["RUC", new[0], "Entrega", "Lima", "Lima", "Ate", "Av. Ayllón 1"],
        ["RUC", new[1], "Entrega", "Cusco", "Cusco", "Wanchaq", "Jr. Sol 2"],
        ["RUC", updated.document_number, "Entrega", "Lima", "Lima", "Ate", "Av. Primavera 3"],
        ["DNI", registered.document_number, "", "Cusco", "Cusco", "Wanchaq", "Jr. Sol 12"],
    ]
    contacts = [
        ["RUC", new[2], "Ana Torres", "Compras", "987 111 222", "ana@x.pe"],
        ["DNI", taken_dni, "Hijo", "", "", ""],
        ["DNI", registered.document_number, "Pedro Quispe", "", "", ""],
    ]
    job = preview(actor, workbook(customers, addresses=addresses, contacts=contacts))
    assert (job.to_create, job.to_update, job.error_rows) == (11, 3, 1), job.errors
    # After the preview: someone edits a customer of the file, registers a document of the
    # file, takes an e-mail of the file.
    Customer.objects.filter(pk=stale.pk).update(business_name="Editada S.A.", updated_at=timezone.now())
    make_person(document_type_id="1", document_number=taken_dni, first_names="Tomás", last_names="Otro", **fixed(5))
    make_company(**fixed(6)).emails.create(email=f"tomado{tag}@x.pe", position=0)
    documents = {
        "updated": updated.document_number,
        "person_updated": person_updated.document_number,
        "stale": stale.document_number,
        "registered": registered.document_number,
        **{f"new{n}": ruc for n, ruc in enumerate(new)},
        "taken_email": taken_email_ruc,
        "taken_dni": taken_dni,
    }
    return job, documents


def _outcome(job, documents: dict, tag: str) -> dict:
    """What users see of an import: the job's counts and errors, and each customer of the file
    as written (fields, phones, e-mails, addresses, contacts, history, notes) and the error report;
    ``tag`` and the run's document numbers taken out."""
    customers = {}
    for label, number in documents.items():
        found = Customer.objects.filter(document_number=number, deleted_at__isnull=True).first()
        if found is None:
            customers[label] = None
            continue
        customers[label] = {
            "name": found.name,
            "version": found.version,
            "department": found.department_id,
            "phones": list(found.phones.order_by("position").values_list("number", "whatsapp")),
            "emails": list(found.emails.order_by("position").values_list("email", flat=True)),
            "addresses": sorted(found.addresses.values_list("kind", "street", "district_id", "is_default")),
            "contacts": sorted(found.contacts.values_list("name", "role", "phones", "emails")),
            "history": sorted(found.history.values_list("history_type", "history_change_reason")),
            "address_history": sorted(
                (a.street, a.history_type) for a in found.addresses.model.history.filter(customer_id=found.pk)
            ),
            "notes": sorted(CustomerNote.objects.filter(customer=found).values_list("kind", "text")),
        }
    job.refresh_from_db()
    counts = ("status", "created", "updated", "rejected", "error_rows", "errors", "sheets", "message")
    report = load_workbook(io.BytesIO(job.error_report.read())) if job.error_report else None
    rows = {name: list(report[name].values) for name in report.sheetnames} if report else None
    seen = {"job": {c: getattr(job, c) for c in counts}, "report": rows, "customers": customers}
    text = json.dumps(seen, default=str).replace(tag, "")
    for label, number in documents.items():  # each run has its own documents
        text = text.replace(number, f"<{label}>")
    return json.loads(text)


def test_two_connections_write_what_one_connection_writes(admin, settings, parts):
    settings.IMPORT_PARALLEL_ROWS = 10**9
    job, documents = _scenario(admin, "-uno")
    alone = _outcome(run(admin, job, mode="validas"), documents, "-uno")
    assert parts == []  # one connection

    settings.IMPORT_PARALLEL_ROWS = 1
    job, documents = _scenario(admin, "-dos")
    shared = _outcome(run(admin, job, mode="validas"), documents, "-dos")
    ((results, gids),) = parts
    assert len(gids) == 2
    # Both parts wrote customers: the file was really split.
    assert all(applied.created_ids or applied.updated_ids for applied, _ in results)

    assert shared == alone
    # 9 created; 2 updated from the file, and the registered customer given its first main address.
    assert (shared["job"]["status"], shared["job"]["created"], shared["job"]["updated"]) == ("terminada", 9, 3)
    assert shared["job"]["rejected"] == 5  # invalid RUC, stale, registered meanwhile (+ its contact), e-mail taken
    assert [len(rows) for rows in shared["report"].values()] == [5, 2]  # Clientes and Contactos, with headers
    assert "Av. Ayllón 1" in [street for _, street, _, _ in shared["customers"]["new0"]["addresses"]]
    assert [c[0] for c in shared["customers"]["registered"]["contacts"]] == ["Pedro Quispe"]
    assert [(a[1], a[3]) for a in shared["customers"]["registered"]["addresses"]] == [("Jr. Sol 12", True)]
    assert not ImportStagedRow.objects.filter(batch=f"job-{job.pk}").exists()


# --- all or nothing, failures ----------------------------------------------------------------------


def _many_new(actor, count=12):
    rucs = [valid_ruc() for _ in range(count)]
    job = preview(actor, workbook([company(ruc=ruc, name=f"Empresa {n} S.A.") for n, ruc in enumerate(rucs)]))
    assert job.to_create == count
    return job, rucs


def test_all_or_nothing_with_an_error_in_one_part_writes_nothing_in_any_part(admin, parts):
    before = Customer.objects.count()
    job, rucs = _many_new(admin)
    make_company(document_number=rucs[3])  # row 5 (part 1) is registered by someone else meanwhile
    job = run(admin, job, mode="todo")
    assert job.status == "fallida" and "No se importó nada" in job.message
    assert job.errors == [[5, "Número de documento", job.errors[0][2], "Clientes"]]
    assert "registrado después de la vista previa" in job.errors[0][2]
    ((results, gids),) = parts
    assert len(gids) == 2 and all(applied.created_ids for applied, _ in results)  # both had written
    assert Customer.objects.count() == before + 1  # only the one registered meanwhile
    assert _prepared() == []
    # The staged rows are kept for a retry, unchanged by the rolled-back parts.
    assert ImportStagedRow.objects.filter(batch=f"job-{job.pk}", action="create").count() == 12


def _fail_in_part_one_once_part_zero_prepared(monkeypatch, error):
    """Part 1 fails at its last step, once part 0 is prepared."""
    original = import_staging.error_rows

    def error_rows(batch, *, part=None):
        if part is not None and part.index == 1:
            gid = import_parallel.gid(int(batch.removeprefix("job-")), 0)
            deadline = time.monotonic() + 30
            while gid not in _prepared():
                assert time.monotonic() < deadline, "part 0 never prepared"
                time.sleep(0.02)
            raise error
        return original(batch, part=part)

    monkeypatch.setattr(import_staging, "error_rows", error_rows)


def test_a_part_failing_after_the_other_prepared_leaves_nothing(admin, monkeypatch):
    before = Customer.objects.count()
    job, _ = _many_new(admin)
    _fail_in_part_one_once_part_zero_prepared(monkeypatch, IntegrityError("duplicate key value"))
    job = run(admin, job, mode="validas")
    assert job.status == "fallida" and "no se guardó nada" in job.message
    assert Customer.objects.count() == before
    assert _prepared() == []
    monkeypatch.undo()
    job = importing.run_import(importing.retry_import(actor=admin, job=job).pk)
    assert (job.status, job.created) == ("terminada", 12)


def test_an_unexpected_exception_in_a_part_leaves_nothing_and_the_job_can_be_retried(admin, monkeypatch):
    before = Customer.objects.count()
    job, _ = _many_new(admin)
    _fail_in_part_one_once_part_zero_prepared(monkeypatch, RuntimeError("boom"))
    with pytest.raises(RuntimeError):
        run(admin, job, mode="validas")
    assert Customer.objects.count() == before
    assert _prepared() == []
    job = importing.reap_if_dead(ImportJob.objects.get(pk=job.pk))
    assert job.status == "fallida" and "se interrumpió" in job.message


@pytest.mark.parametrize("connections", ["two", "one"])
def test_a_customer_locked_by_another_process_fails_the_import_cleanly_instead_of_hanging(
    admin, monkeypatch, connections
):
    if connections == "one":  # a server with max_prepared_transactions = 0: the same limit on waits
        monkeypatch.setattr(import_parallel, "free_slots", lambda: 0)
    existing = make_company(business_name="Antigua S.A.C.")
    rows = [company(ruc=existing.document_number, name="Nueva S.A.C.")]
    rows += [company(name=f"Empresa {n} S.A.") for n in range(6)]
    job = preview(admin, workbook(rows))
    monkeypatch.setattr(import_parallel, "LOCK_TIMEOUT_MS", 300)
    holder = connection.copy()  # another session holds the customer's row lock
    try:
        with holder.cursor() as cursor:
            holder.set_autocommit(False)
            cursor.execute("SELECT 1 FROM customers_customer WHERE id = %s FOR UPDATE", [existing.pk])
            job = run(admin, job, mode="validas")
    finally:
        holder.rollback()
        holder.close()
    assert job.status == "fallida" and job.message == importing.LOCKED_MESSAGE
    assert Customer.objects.count() == 1
    existing.refresh_from_db()
    assert existing.business_name == "Antigua S.A.C."
    assert _prepared() == []


# --- when one connection writes instead --------------------------------------------------------------


def test_changed_rules_since_the_preview_clean_again_in_one_connection(admin, parts):
    job, _ = _many_new(admin, count=4)
    AttributeDefinition.objects.create(name="Nivel", kind="texto")
    job = run(admin, job)
    assert (job.status, job.created) == ("terminada", 4)
    assert parts == []  # the parts saw the rules changed and gave way


def test_a_server_that_cannot_prepare_transactions_writes_in_one_connection(admin, monkeypatch, parts):
    monkeypatch.setattr(import_parallel, "free_slots", lambda: 0)  # max_prepared_transactions = 0
    job, _ = _many_new(admin, count=4)
    job = run(admin, job)
    assert (job.status, job.created, parts) == ("terminada", 4, [])


def test_a_small_file_writes_in_one_connection(admin, settings, parts):
    settings.IMPORT_PARALLEL_ROWS = 10_000
    job, _ = _many_new(admin, count=4)
    assert (run(admin, job).status, parts) == ("terminada", [])


# --- recovery of parts left prepared -------------------------------------------------------------------


def _prepare_and_stop(admin, *, decided: bool):
    """Both parts of an import prepared and the worker gone, the decision recorded or not (as a
    kill -9 between the steps leaves it: the job importing, no process holding its lock)."""
    job, rucs = _many_new(admin)
    job = importing.confirm_import(actor=admin, job=job, mode="todo")
    ImportJob.objects.filter(pk=job.pk).update(status="importando", commit_decided=False)
    job = ImportJob.objects.select_related("created_by").get(pk=job.pk)
    (written, gids) = importing._write_staged_in_parts(job, job.file.path, 2)
    assert len(gids) == 2 and written[0] == 12
    if decided:
        ImportJob.objects.filter(pk=job.pk).update(commit_decided=True, created=written[0])
    return job, rucs


def test_prepared_parts_without_a_recorded_decision_are_rolled_back(admin):
    before = Customer.objects.count()
    job, _ = _prepare_and_stop(admin, decided=False)
    assert len(_prepared()) == 2
    job = importing.reap_if_dead(job)
    assert job.status == "fallida" and "se interrumpió" in job.message
    assert _prepared() == [] and Customer.objects.count() == before
    job = importing.run_import(importing.retry_import(actor=admin, job=job).pk)
    assert (job.status, job.created, Customer.objects.count()) == ("terminada", 12, before + 12)


def test_prepared_parts_with_a_recorded_decision_are_committed(admin):
    before = Customer.objects.count()
    job, rucs = _prepare_and_stop(admin, decided=True)
    job = importing.reap_if_dead(job)
    assert (job.status, job.created) == ("terminada", 12)
    assert _prepared() == []
    assert Customer.objects.filter(document_number__in=rucs).count() == 12 == Customer.objects.count() - before
    assert CustomerNote.objects.filter(customer__document_number__in=rucs, kind="importado").count() == 12


def test_the_next_import_resolves_parts_another_worker_left_prepared(admin):
    left, _ = _prepare_and_stop(admin, decided=False)
    job, _ = _many_new(admin, count=4)
    job = run(admin, job)  # its locks are free again: the leftover was rolled back first
    assert job.status == "terminada"
    assert ImportJob.objects.get(pk=left.pk).status == "fallida"
    assert _prepared() == []


# --- kill -9 --------------------------------------------------------------------------------------------


def _child(job_id: int, where: str) -> None:
    """The worker, in a forked process: its own connections (the parent's are left alone), killed
    with SIGKILL at ``where``."""
    from django.db import connections

    inherited = list(connections.all(initialized_only=True))
    for parents in inherited:
        connections[parents.alias] = parents.copy()

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if where == "in a part":
        original = import_staging.error_rows

        def error_rows(batch, *, part=None):
            if part is not None and part.index == 1:
                while import_parallel.gid(job_id, 0) not in import_parallel.leftovers(job_id).get(job_id, []):
                    time.sleep(0.02)
                die()
            return original(batch, part=part)

        import_staging.error_rows = error_rows
    elif where == "prepared, undecided":
        importing._with_cells = lambda *args: die()
    else:  # "decided": after the decision, before COMMIT PREPARED
        finish = import_parallel.finish
        import_parallel.finish = lambda gids, *, commit: die() if commit else finish(gids, commit=commit)
    importing.run_import(job_id)


@pytest.mark.parametrize("where", ["in a part", "prepared, undecided", "decided"])
def test_a_worker_killed_while_writing_in_two_connections_leaves_no_half_import(admin, where):
    before = Customer.objects.count()
    job, rucs = _many_new(admin)
    job = importing.confirm_import(actor=admin, job=job, mode="todo")
    worker = multiprocessing.get_context("fork").Process(target=_child, args=(job.pk, where))
    worker.start()
    worker.join(60)
    if worker.is_alive():  # never left running (it would hold the job's locks)
        worker.kill()
        worker.join()
    assert worker.exitcode == -signal.SIGKILL
    assert wait_until_released(importing._LOCK_CLASS)  # its session ends on the server's time
    job = ImportJob.objects.get(pk=job.pk)
    assert job.status == "importando"
    assert Customer.objects.count() == before  # nothing visible while parts wait prepared

    job = importing.reap_if_dead(job)
    assert _prepared() == []
    if where == "decided":
        assert (job.status, job.created) == ("terminada", 12)
        assert Customer.objects.filter(document_number__in=rucs).count() == 12
        return
    assert job.status == "fallida" and Customer.objects.count() == before
    job = importing.run_import(importing.retry_import(actor=admin, job=job).pk)
    assert (job.status, job.created) == ("terminada", 12)
    assert Customer.objects.filter(document_number__in=rucs).count() == 12  # no duplicates


def test_threads_close_their_connections(admin):
    job, _ = _many_new(admin, count=4)
    run(admin, job)
    names = {t.name for t in threading.enumerate()}
    assert not any(name.startswith("import-part-") for name in names)
