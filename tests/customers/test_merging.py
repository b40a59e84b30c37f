"""Fusionar and its undo (issue 18): every related record moves (count before = count after),
the merged customer goes to the Papelera with a note, undo restores the exact state, and the
refusals (itself, the Papelera, a pending import, a change since the merge) change nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from credit.models import CreditAccount, CreditRequest, Document, Payment, PointsMovement, Project
from customers import notes, services
from customers.history import customer_state
from customers.models import (
    Address,
    Contact,
    Customer,
    CustomerEmail,
    CustomerMerge,
    CustomerNote,
    ImportJob,
)
from customers.services.merging import MERGED, SURVIVOR, customer_data
from tests.credit.factories import make_document, pay
from tests.factories import make_address, make_company, make_person, valid_dni, valid_ruc
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return user_with_role("Administrador", first_name="Ada", last_name="Admin")


def _related(customer) -> dict:
    return services.related_counts(customer)


def _snapshot(customer) -> dict:
    """Everything undo must bring back, row by row."""
    customer = Customer.objects.get(pk=customer.pk)
    state = customer_state(customer)
    state.pop("version")
    return {
        "state": state,
        "deleted_at": customer.deleted_at,
        "department": customer.department_id,
        "addresses": sorted(Address.objects.filter(customer=customer).values_list("id", "is_default", "street")),
        "contacts": sorted(Contact.objects.filter(customer=customer).values_list("id", "name")),
        "notes": sorted(CustomerNote.objects.filter(customer=customer).values_list("id", flat=True)),
        "emails_in_trash": sorted(CustomerEmail.objects.filter(customer=customer).values_list("email", "in_trash")),
        "documents": sorted(Document.objects.filter(customer=customer).values_list("id", flat=True)),
        "payments": sorted(Payment.objects.filter(document__customer=customer).values_list("id", flat=True)),
        "points": sorted(PointsMovement.objects.filter(customer=customer).values_list("id", flat=True)),
        "requests": sorted(CreditRequest.objects.filter(customer=customer).values_list("id", flat=True)),
        "projects": sorted(Project.objects.filter(customer=customer).values_list("id", flat=True)),
        "balance": CreditAccount.objects.filter(customer=customer).values_list("balance", "open_documents").first(),
    }


@pytest.fixture
def pair(admin):
    """Comercial Núñez twice: once with its RUC and full data, once as typed at the counter."""
    keeper = make_company(business_name="Comercial Núñez S.A.C.", business_line="", phone="+51987000111")
    other = make_company(
        business_name="COMERCIAL NUNEZ SAC",
        document_number="",
        business_line="Ferretería",
        phone="+51987000222",
        email="compras@nunez.pe",
    )
    make_address(customer=keeper, street="Av. Grau 100")
    make_address(customer=other, street="Jr. Lima 200")
    make_address(customer=other, street="Jr. Cusco 300")
    Contact.objects.create(customer=other, name="Rosa Núñez", role="Compras")
    notes.add_note(actor=admin, customer=other, text="Paga los viernes.")
    document = make_document(other, total="500.00")
    pay(document, "200.00")
    make_document(other, total="80.00")
    Project.objects.create(customer=other, code="OBRA1", name="Obra Miraflores")
    CreditRequest.objects.create(customer=other, amount=Decimal("1000.00"), reason="Campaña")
    PointsMovement.objects.create(customer=other, kind="ajuste", points=50, reason="Bienvenida")
    return keeper, other


def test_merge_moves_every_related_record(admin, pair):
    keeper, other = pair
    before = {key: _related(keeper)[key] + _related(other)[key] for key in _related(keeper)}
    assert before["comprobantes"] == 2 and before["pagos"] == 1 and before["direcciones"] == 3

    services.merge_customers(actor=admin, survivor=keeper, merged=other, choices={"business_line": MERGED})

    after_keeper, after_other = _related(keeper), _related(other)
    for key, total in before.items():
        if key == "notas":
            continue  # the merge writes its own notes
        assert after_keeper[key] == total, key
        assert after_other[key] == 0, key
    keeper.refresh_from_db()
    assert keeper.business_line == "Ferretería"
    assert set(keeper.phones.values_list("number", flat=True)) == {"+51987000111", "+51987000222"}
    assert "compras@nunez.pe" in keeper.emails.values_list("email", flat=True)
    # The balance row follows the documents: 500 - 200 + 80.
    assert CreditAccount.objects.get(customer=keeper).balance == Decimal("380.00")
    assert CreditAccount.objects.get(customer=other).balance == Decimal("0.00")
    # One default address: the survivor's.
    assert Address.objects.filter(customer=keeper, is_default=True).count() == 1


def test_the_merged_customer_goes_to_the_papelera_with_a_note(admin, pair):
    keeper, other = pair
    services.merge_customers(actor=admin, survivor=keeper, merged=other)
    other.refresh_from_db()
    assert other.deleted_at is not None
    note = CustomerNote.objects.get(customer=other, kind=CustomerNote.Kind.MERGED)
    keeper.refresh_from_db()
    assert f"Fusionado en «{keeper.name}» (cliente N.º {keeper.pk})" in note.text
    assert CustomerNote.objects.filter(customer=keeper, kind=CustomerNote.Kind.MERGED).exists()
    # The moved note is on the survivor's timeline.
    assert CustomerNote.objects.filter(customer=keeper, text="Paga los viernes.").exists()
    assert services.merged_into(other.pk) == keeper.pk


def test_the_survivor_takes_the_merged_document(admin):
    keeper = make_company(business_name="Ferretería Sol", document_number="")
    other = make_company(business_name="Ferreteria Sol S.A.C.")
    services.merge_customers(actor=admin, survivor=keeper, merged=other, choices={"documento": MERGED})
    keeper.refresh_from_db()
    assert keeper.document_number == other.document_number


def test_undo_restores_the_exact_state(admin, pair):
    keeper, other = pair
    before = (_snapshot(keeper), _snapshot(other))
    merge = services.merge_customers(
        actor=admin, survivor=keeper, merged=other, choices={"business_line": MERGED, "nombre": MERGED}
    )
    services.undo_merge(actor=admin, merge=merge)
    after = (_snapshot(keeper), _snapshot(other))
    # The merge and its undo leave their notes; everything else is as it was.
    for snap in (*before, *after):
        snap["notes"] = [
            pk
            for pk in snap["notes"]
            if CustomerNote.objects.get(pk=pk).kind not in (CustomerNote.Kind.MERGED, CustomerNote.Kind.MERGE_UNDONE)
        ]
    assert after == before
    assert services.merged_into(other.pk) is None
    assert CustomerNote.objects.filter(customer=other, kind=CustomerNote.Kind.MERGE_UNDONE).exists()


def test_undo_is_refused_after_a_new_payment_on_a_moved_document(admin, pair):
    keeper, other = pair
    document = Document.objects.filter(customer=other).order_by("id").first()
    merge = services.merge_customers(actor=admin, survivor=keeper, merged=other)
    pay(Document.objects.get(pk=document.pk), "10.00")
    with pytest.raises(ValidationError, match="pagos nuevos"):
        services.undo_merge(actor=admin, merge=merge)
    assert Document.objects.get(pk=document.pk).customer_id == keeper.pk
    assert CustomerMerge.objects.get(pk=merge.pk).undone_at is None


def test_undo_is_refused_after_the_survivor_changed(admin, pair):
    keeper, other = pair
    merge = services.merge_customers(actor=admin, survivor=keeper, merged=other)
    services.suspend_customer(actor=admin, customer=keeper)
    with pytest.raises(ValidationError, match="se modificó después de la fusión"):
        services.undo_merge(actor=admin, merge=merge)
    assert Customer.objects.get(pk=other.pk).deleted_at is not None


def test_undo_twice_is_refused(admin, pair):
    keeper, other = pair
    merge = services.merge_customers(actor=admin, survivor=keeper, merged=other)
    services.undo_merge(actor=admin, merge=merge)
    with pytest.raises(ValidationError, match="ya se deshizo"):
        services.undo_merge(actor=admin, merge=merge)


def test_merging_a_customer_with_itself_is_refused(admin):
    customer = make_company()
    with pytest.raises(ValidationError, match="consigo mismo"):
        services.merge_customers(actor=admin, survivor=customer, merged=customer)
    assert not CustomerMerge.objects.exists()


def test_merging_with_a_customer_in_the_papelera_is_refused(admin):
    keeper, other = make_company(), make_company()
    services.trash_customer(actor=admin, customer=other)
    notes_before = CustomerNote.objects.count()
    with pytest.raises(ValidationError, match="está en la Papelera"):
        services.merge_customers(actor=admin, survivor=keeper, merged=other)
    assert CustomerNote.objects.count() == notes_before and not CustomerMerge.objects.exists()


@pytest.mark.parametrize("status", [ImportJob.Status.QUEUED, ImportJob.Status.IMPORTING])
def test_merging_while_an_import_is_pending_is_refused(admin, status):
    keeper, other = make_company(), make_company()
    ImportJob.objects.create(file_name="clientes.xlsx", file_sha256="0" * 64, status=status)
    with pytest.raises(ValidationError, match="importación pendiente"):
        services.merge_customers(actor=admin, survivor=keeper, merged=other)
    assert Customer.objects.get(pk=other.pk).deleted_at is None


def test_a_finished_import_does_not_block_a_merge(admin):
    keeper, other = make_company(), make_company()
    ImportJob.objects.create(file_name="clientes.xlsx", file_sha256="0" * 64, status=ImportJob.Status.DONE)
    services.merge_customers(actor=admin, survivor=keeper, merged=other)


def test_a_change_since_the_comparison_is_refused(admin):
    keeper, other = make_company(), make_company()
    versions = (keeper.version, other.version)
    services.suspend_customer(actor=admin, customer=other)
    with pytest.raises(ValidationError, match="cambió mientras elegía"):
        services.merge_customers(actor=admin, survivor=keeper, merged=other, versions=versions)


def test_same_project_code_on_both_is_refused(admin):
    keeper, other = make_company(), make_company()
    Project.objects.create(customer=keeper, code="OBRA1", name="Una")
    Project.objects.create(customer=other, code="OBRA1", name="Otra")
    with pytest.raises(ValidationError, match="OBRA1"):
        services.merge_customers(actor=admin, survivor=keeper, merged=other)
    assert Customer.objects.get(pk=other.pk).deleted_at is None


def test_a_ruc_10_and_its_dni_merge_keeping_the_chosen_document(admin):
    dni = valid_dni()
    from customers.sample_data import person_ruc

    person = make_person(first_names="Juan", last_names="Pérez Gómez", document_number=dni)
    business = make_person(
        first_names="Juan", last_names="Perez Gomez", document_type="6", document_number=person_ruc(dni)
    )
    services.merge_customers(actor=admin, survivor=person, merged=business, choices={"documento": MERGED})
    person.refresh_from_db()
    assert person.document_type_id == "6" and person.document_number == person_ruc(dni)


@pytest.mark.parametrize("role", ["Ventas", "Créditos", "Consulta"])
def test_only_administrador_merges(role):
    keeper, other = make_company(), make_company()
    with pytest.raises(PermissionDenied):
        services.merge_customers(actor=user_with_role(role), survivor=keeper, merged=other)
    with pytest.raises(PermissionDenied):
        services.dismiss_duplicates(actor=user_with_role(role), ids=[keeper.pk, other.pk])


def test_only_administrador_undoes(admin):
    keeper, other = make_company(), make_company()
    merge = services.merge_customers(actor=admin, survivor=keeper, merged=other)
    with pytest.raises(PermissionDenied):
        services.undo_merge(actor=user_with_role("Ventas"), merge=merge)


def test_merge_choices_propose_the_non_empty_value(admin):
    keeper = make_company(business_name="Gloria S.A.", business_line="")
    other = make_company(business_name="Gloria SA", business_line="Lácteos")
    choices = {c.key: c for c in services.merge_choices(keeper, other)}
    assert choices["business_line"].default == MERGED
    assert choices["nombre"].default == MERGED  # both have one: the most recent (other)
    assert choices["requests_detraction"].same


def test_customer_data_round_trips_through_a_save(admin):
    """What the undo writes back is what the form would send: saving it changes nothing."""
    customer = make_company(business_line="Lácteos")
    data = customer_data(customer)
    services.update_customer(actor=admin, customer=customer, data=data)
    assert Customer.objects.get(pk=customer.pk).version == customer.version


def test_survivor_choice_keeps_values(admin, pair):
    keeper, other = pair
    services.merge_customers(actor=admin, survivor=keeper, merged=other, choices={"nombre": SURVIVOR})
    assert Customer.objects.get(pk=keeper.pk).name == "Comercial Núñez S.A.C."
    assert valid_ruc()  # factories stay usable after a merge


@pytest.mark.django_db(transaction=True)
def test_two_merges_of_one_pair_at_once_take_turns():
    """A merges «other» into «keeper» and holds the locks; B, at the same time, merges «keeper»
    into «other»: B waits for A's row lock, then finds «other» in the Papelera and is refused."""
    import threading

    from django.db import connection, transaction

    from customers.reference import load_reference_data
    from tests.concurrency import backend_pid, release_when_blocked

    load_reference_data()
    ana, beto = user_with_role("Administrador"), user_with_role("Administrador")
    keeper, other = make_company(), make_company()
    outcome, ready, pid_box, release = {}, threading.Event(), {}, threading.Event()

    def beto_merges():
        try:
            pid_box["pid"] = backend_pid()
            ready.set()
            services.merge_customers(actor=beto, survivor=Customer.objects.get(pk=other.pk), merged=keeper)
            outcome["beto"] = "merged"
        except ValidationError as exc:
            outcome["beto"] = " ".join(exc.messages)
        finally:
            connection.close()

    with transaction.atomic():
        services.merge_customers(actor=ana, survivor=keeper, merged=other)
        thread = threading.Thread(target=beto_merges)
        thread.start()
        ready.wait(10)
        watcher = release_when_blocked(pid_box["pid"], release)
        release.wait(20)
    thread.join(30)
    watcher.join(5)
    assert watcher.saw_wait, "Beto's merge never waited for Ana's lock"
    assert "está en la Papelera" in outcome["beto"]
    assert CustomerMerge.objects.count() == 1
    assert Customer.objects.get(pk=keeper.pk).deleted_at is None
    assert Customer.objects.get(pk=other.pk).deleted_at is not None


def test_authorizations_and_their_hold_move_with_the_merge_and_back_on_undo(admin):
    from credit import authorizations
    from credit import services as credit_services
    from credit.models import CreditAuthorization

    keeper = make_company(business_name="Ferretería Sol")
    other = make_company(business_name="Ferreteria Sol S.A.C.")
    for customer in (keeper, other):
        credit_services.update_sales_conditions(actor=None, customer=customer, data={"credit_limit": "1000.00"})
    kept, _ = authorizations.authorize_credit(actor=None, customer_id=keeper.pk, amount="100.00", reference="V-1")
    moved, _ = authorizations.authorize_credit(actor=None, customer_id=other.pk, amount="250.00", reference="V-2")

    merge = services.merge_customers(actor=admin, survivor=keeper, merged=other)

    moved.refresh_from_db()
    assert moved.customer_id == keeper.pk
    assert CreditAccount.objects.get(customer=keeper).held == Decimal("350.00")
    assert CreditAccount.objects.get(customer=other).held == Decimal("0.00")

    services.undo_merge(actor=admin, merge=merge)

    moved.refresh_from_db()
    kept.refresh_from_db()
    assert moved.customer_id == other.pk and kept.customer_id == keeper.pk
    assert CreditAccount.objects.get(customer=keeper).held == Decimal("100.00")
    assert CreditAccount.objects.get(customer=other).held == Decimal("250.00")
    assert CreditAuthorization.objects.filter(customer=other).count() == 1
