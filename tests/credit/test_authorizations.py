"""Credit authorizations and their holds (credit.authorizations): decisions, crédito disponible
with holds, expiry without a worker, cancel, the comprobante that uses one, overrides, and the
balance row kept equal to the authorizations (recompute_balances)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from credit import authorizations, events, intake, queries, services
from credit.filters import load_credit_rows
from credit.models import CreditAccount, CreditAuthorization
from customers.events import register_listener, unregister_listener
from customers.models import CustomerNote
from customers.services import suspend_customer, trash_customer
from tests.credit.factories import make_document
from tests.factories import make_company
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

Status = CreditAuthorization.Status


def _with_limit(limit="1000.00", **kw):
    customer = make_company(**kw)
    services.update_sales_conditions(actor=None, customer=customer, data={"credit_limit": limit})
    return customer


def _authorize(customer, amount, reference=None, actor=None):
    reference = reference or f"V-{customer.pk}-{amount}-{CreditAuthorization.objects.count()}"
    return authorizations.authorize_credit(actor=actor, customer_id=customer.pk, amount=amount, reference=reference)


def _held(customer) -> Decimal:
    return CreditAccount.objects.get(customer=customer).held


def _expire(authorization):
    CreditAuthorization.objects.filter(pk=authorization.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_an_approved_authorization_holds_its_amount():
    customer = _with_limit("1000.00")
    make_document(customer, total="300.00")
    authorization, replayed = _authorize(customer, "250.00")
    assert not replayed
    assert authorization.status == Status.APPROVED and authorization.refusal == ""
    assert authorization.available == Decimal("450.00")  # 1000 − 300 − 250
    assert _held(customer) == Decimal("250.00")
    summary = queries.credit_summary(customer)
    assert summary.held == Decimal("250.00") and summary.available == Decimal("450.00")
    expected = timezone.now() + timedelta(hours=24)
    assert abs((authorization.expires_at - expected).total_seconds()) < 60


def test_the_hold_lasts_as_configured(settings):
    settings.CREDIT_AUTHORIZATION_HOURS = 2
    authorization, _ = _authorize(_with_limit(), "10.00")
    assert abs((authorization.expires_at - timezone.now() - timedelta(hours=2)).total_seconds()) < 60


def test_more_than_available_is_refused_saying_how_much_is_available():
    customer = _with_limit("1000.00")
    _authorize(customer, "800.00")
    authorization, _ = _authorize(customer, "300.00")
    assert authorization.status == Status.REFUSED
    assert authorization.refusal == "insufficient"
    assert "S/ 200.00" in authorization.reason
    assert authorization.available == Decimal("200.00")
    assert _held(customer) == Decimal("800.00")  # a refusal holds nothing


@pytest.mark.parametrize(
    "setup, refusal",
    [
        (lambda c: suspend_customer(actor=None, customer=c), "inactive"),
        (lambda c: trash_customer(actor=None, customer=c), "trashed"),
        (lambda c: services.block_credit(actor=None, customer=c, reason="Cheque rebotado"), "blocked"),
        (lambda c: services.update_sales_conditions(actor=None, customer=c, data={"credit_limit": ""}), "no_credit"),
        (lambda c: services.update_sales_conditions(actor=None, customer=c, data={"credit_limit": "0"}), "no_credit"),
    ],
)
def test_refusals_name_their_reason(setup, refusal):
    customer = _with_limit()
    setup(customer)
    authorization, _ = _authorize(customer, "10.00")
    assert authorization.status == Status.REFUSED and authorization.refusal == refusal
    assert authorization.reason
    if refusal == "blocked":
        assert "Cheque rebotado" in authorization.reason


def test_an_unknown_customer_is_not_found():
    from customers.models import Customer

    with pytest.raises(Customer.DoesNotExist):
        authorizations.authorize_credit(actor=None, customer_id=999_999, amount="1.00", reference="x")


@pytest.mark.parametrize("amount", ["0", "-5", "NaN", "abc", "1.001", "99999999999999", 1.5, None, "Infinity"])
def test_bad_amounts_are_refused_with_a_message_and_write_nothing(amount):
    customer = _with_limit()
    with pytest.raises(ValidationError) as exc:
        authorizations.authorize_credit(actor=None, customer_id=customer.pk, amount=amount, reference="V-1")
    assert "amount" in exc.value.message_dict
    assert not CreditAuthorization.objects.exists()


def test_a_reference_is_required_and_short():
    customer = _with_limit()
    for reference in ("", "   ", "x" * 101):
        with pytest.raises(ValidationError) as exc:
            authorizations.authorize_credit(actor=None, customer_id=customer.pk, amount="1.00", reference=reference)
        assert "reference" in exc.value.message_dict


def test_the_same_reference_returns_the_first_answer_and_holds_once():
    customer = _with_limit("1000.00")
    first, _ = _authorize(customer, "600.00", reference="V-77")
    again, replayed = _authorize(customer, "600.00", reference="V-77")
    assert replayed and again.pk == first.pk
    assert _held(customer) == Decimal("600.00")
    assert CreditAuthorization.objects.count() == 1


def test_the_same_reference_for_another_sale_is_refused():
    customer = _with_limit("1000.00")
    _authorize(customer, "600.00", reference="V-77")
    with pytest.raises(ValidationError) as exc:
        _authorize(customer, "10.00", reference="V-77")
    assert "reference" in exc.value.message_dict
    with pytest.raises(ValidationError):
        _authorize(_with_limit(), "600.00", reference="V-77")
    assert _held(customer) == Decimal("600.00")


def test_references_are_per_integrating_system():
    customer = _with_limit("1000.00")
    one, two = user_with_role("Administrador"), user_with_role("Administrador")
    a, _ = _authorize(customer, "10.00", reference="V-1", actor=one)
    b, replayed = _authorize(customer, "10.00", reference="V-1", actor=two)
    assert not replayed and a.pk != b.pk


def test_asking_needs_the_permission():
    customer = _with_limit()
    with pytest.raises(PermissionDenied):
        _authorize(customer, "1.00", actor=user_with_role("Ventas"))


# --- expiry -------------------------------------------------------------------------------------


def test_an_expired_hold_stops_counting_before_anything_releases_it():
    customer = _with_limit("1000.00")
    authorization, _ = _authorize(customer, "700.00")
    _expire(authorization)
    # Nothing ran: the stored row still holds it, but nobody counts it.
    assert _held(customer) == Decimal("700.00")
    summary = queries.credit_summary(customer)
    assert summary.held == 0 and summary.available == Decimal("1000.00")
    row = type(customer).objects.get(pk=customer.pk)
    load_credit_rows([row])
    assert row.credit_row.available == Decimal("1000.00")


def test_an_expired_hold_is_released_by_the_next_authorization():
    customer = _with_limit("1000.00")
    old, _ = _authorize(customer, "700.00")
    _expire(old)
    new, _ = _authorize(customer, "900.00")
    assert new.status == Status.APPROVED
    old.refresh_from_db()
    assert old.status == Status.EXPIRED and old.released_at is not None
    assert _held(customer) == Decimal("900.00")
    assert services.recompute_balances() == []


# --- cancel, use, override ------------------------------------------------------------------------


def test_cancelling_releases_the_hold_once():
    customer = _with_limit("1000.00")
    authorization, _ = _authorize(customer, "400.00")
    authorizations.cancel_authorization(actor=None, authorization=authorization)
    authorizations.cancel_authorization(actor=None, authorization=authorization)
    authorization.refresh_from_db()
    assert authorization.status == Status.CANCELLED
    assert _held(customer) == 0
    assert services.recompute_balances() == []


def test_the_comprobante_naming_it_ends_the_hold_and_the_saldo_takes_over():
    customer = _with_limit("1000.00")
    authorization, _ = _authorize(customer, "400.00")
    data = {"doc_type": "01", "series": "F001", "number": 9001, "issue_date": timezone.localdate(), "total": "380.00"}
    document, _ = intake.register_document_once(
        actor=None, customer=customer, data=data, authorization_id=authorization.pk
    )
    authorization.refresh_from_db()
    assert authorization.status == Status.USED and authorization.document == document
    account = CreditAccount.objects.get(customer=customer)
    assert account.held == 0 and account.balance == Decimal("380.00")
    assert account.available == Decimal("620.00")
    with pytest.raises(ValidationError):
        authorizations.cancel_authorization(actor=None, authorization=authorization)
    assert services.recompute_balances() == []


def test_a_comprobante_cannot_use_another_customers_or_a_refused_authorization():
    customer, other = _with_limit("100.00"), _with_limit("100.00")
    theirs, _ = _authorize(other, "10.00")
    refused, _ = _authorize(customer, "500.00")
    for number, authorization in ((9101, theirs), (9102, refused)):
        data = {
            "doc_type": "01",
            "series": "F001",
            "number": number,
            "issue_date": timezone.localdate(),
            "total": "5.00",
        }
        with pytest.raises(ValidationError) as exc:
            intake.register_document_once(actor=None, customer=customer, data=data, authorization_id=authorization.pk)
        assert "authorization_id" in exc.value.message_dict
    # Nothing half written: no comprobante, the other customer's hold intact.
    assert not customer.documents.exists()
    assert _held(other) == Decimal("10.00")


def test_creditos_approves_a_refusal_by_exception_with_a_note_and_an_event():
    customer = _with_limit("100.00")
    refused, _ = _authorize(customer, "500.00")
    creditos = user_with_role("Créditos", first_name="Rosa", last_name="Quispe")
    told = []

    def listener(kind, who, data):
        told.append((kind, who.pk, data))

    register_listener(listener)
    try:
        authorizations.override_authorization(actor=creditos, authorization=refused, reason="Cliente de 20 años")
    finally:
        unregister_listener(listener)
    refused.refresh_from_db()
    assert refused.status == Status.APPROVED and refused.overridden_by == creditos
    assert refused.override_reason == "Cliente de 20 años"
    assert _held(customer) == Decimal("500.00")  # above the cupo, on purpose
    note = CustomerNote.objects.filter(customer=customer).latest("id")
    assert "aprobada por excepción" in note.text and "Cliente de 20 años" in note.text
    assert note.author == creditos
    assert told and told[0][0] == events.AUTHORIZATION_OVERRIDDEN and told[0][2]["authorization"]["id"] == refused.pk
    assert services.recompute_balances() == []


def test_an_override_needs_the_permission_a_reason_and_a_refusal():
    customer = _with_limit("100.00")
    refused, _ = _authorize(customer, "500.00")
    with pytest.raises(PermissionDenied):
        authorizations.override_authorization(actor=user_with_role("Ventas"), authorization=refused, reason="x")
    with pytest.raises(ValidationError):
        authorizations.override_authorization(actor=user_with_role("Créditos"), authorization=refused, reason="  ")
    approved, _ = _authorize(customer, "50.00")
    with pytest.raises(ValidationError):
        authorizations.override_authorization(actor=user_with_role("Créditos"), authorization=approved, reason="x")
    refused.refresh_from_db()
    assert refused.status == Status.REFUSED and _held(customer) == Decimal("50.00")


# --- the balance row -------------------------------------------------------------------------------


def test_recompute_finds_a_held_amount_that_does_not_match_and_fixes_it():
    customer = _with_limit("1000.00")
    _authorize(customer, "100.00")
    CreditAccount.objects.filter(customer=customer).update(held=Decimal("5.00"))
    [difference] = services.recompute_balances()
    assert (difference.field, difference.stored, difference.computed) == ("held", Decimal("5.00"), Decimal("100.00"))
    services.recompute_balances(fix=True)
    assert _held(customer) == Decimal("100.00")
    assert services.recompute_balances() == []
