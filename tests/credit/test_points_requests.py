from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from credit import services
from credit.models import CreditAccount, CreditRequest, PointsMovement
from customers.models import CustomerNote
from tests.credit.factories import make_document, pay
from tests.factories import make_company
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def program_on():
    services.update_points_program(
        actor=None, data={"enabled": True, "points_per_sol": "1", "point_value": "0.01", "expiry_months": "12"}
    )


def test_enrolled_customer_earns_points_when_a_sale_is_paid(program_on):
    customer = make_company(loyalty_enrolled=True)
    invoice = make_document(customer, total="250.90")
    pay(invoice, "100")
    assert services.points_balance(customer) == 0
    pay(invoice, "150.90")
    movement = PointsMovement.objects.get(customer=customer)
    assert (movement.kind, movement.points) == ("ganado", 250)
    assert movement.expires_on == timezone.localdate().replace(year=timezone.localdate().year + 1)


def test_no_points_when_not_enrolled_or_program_off():
    customer = make_company(loyalty_enrolled=True)
    invoice = make_document(customer, total="100")
    pay(invoice, "100")  # the program is off by default
    other = make_company(loyalty_enrolled=False)
    services.update_points_program(
        actor=None, data={"enabled": True, "points_per_sol": "1", "point_value": "0.01", "expiry_months": "12"}
    )
    pay(make_document(other, total="100"), "100")
    assert not PointsMovement.objects.exists()


def test_adjustment_needs_a_reason_and_cannot_go_negative(program_on):
    customer = make_company(loyalty_enrolled=True)
    with pytest.raises(ValidationError) as exc:
        services.adjust_points(actor=None, customer=customer, points="10", reason="")
    assert "reason" in exc.value.message_dict
    services.adjust_points(actor=None, customer=customer, points="10", reason="Cortesía")
    with pytest.raises(ValidationError) as exc:
        services.adjust_points(actor=None, customer=customer, points="-11", reason="Canje")
    assert "points" in exc.value.message_dict
    assert services.points_balance(customer) == 10
    with pytest.raises(PermissionDenied):
        services.adjust_points(actor=user_with_role("Ventas"), customer=customer, points="1", reason="x")


def test_points_expire_after_their_months_oldest_first(program_on):
    customer = make_company(loyalty_enrolled=True)
    pay(make_document(customer, total="100"), "100")  # 100 points, expire in 12 months
    services.adjust_points(actor=None, customer=customer, points="-30", reason="Canje")
    today = timezone.localdate()
    assert services.expire_points(today=today + timedelta(days=364)) == 0
    later = today + timedelta(days=366)
    assert services.expire_points(today=later) == 1
    assert services.points_balance(customer) == 0
    assert PointsMovement.objects.get(customer=customer, kind="vencido").points == -70
    assert services.expire_points(today=later) == 0  # idempotent


def test_request_queue_flow_and_notes():
    customer = make_company()
    ventas = user_with_role("Ventas")
    credit_request = services.request_credit_increase(actor=ventas, customer=customer, amount="5000", reason="Campaña")
    with pytest.raises(ValidationError):
        services.request_credit_increase(actor=ventas, customer=customer, amount="6000", reason="Otra")
    with pytest.raises(PermissionDenied):
        services.decide_credit_request(actor=ventas, credit_request=credit_request, approve=True)
    creditos = user_with_role("Créditos")
    with pytest.raises(ValidationError) as exc:
        services.decide_credit_request(actor=creditos, credit_request=credit_request, approve=False, reason="")
    assert "reason" in exc.value.message_dict
    services.decide_credit_request(actor=creditos, credit_request=credit_request, approve=False, reason="Deuda vencida")
    credit_request.refresh_from_db()
    assert credit_request.status == CreditRequest.Status.REJECTED
    assert not CreditAccount.objects.filter(customer=customer, credit_limit__isnull=False).exists()
    texts = list(CustomerNote.objects.filter(customer=customer).values_list("text", flat=True))
    assert any("rechazada" in t and "Deuda vencida" in t for t in texts)
    second = services.request_credit_increase(actor=ventas, customer=customer, amount="3000", reason="Nuevo pedido")
    services.decide_credit_request(actor=creditos, credit_request=second, approve=True, amount="2500")
    assert CreditAccount.objects.get(customer=customer).credit_limit == Decimal("2500.00")


def test_a_request_must_ask_more_than_the_current_cupo():
    customer = make_company()
    services.update_sales_conditions(actor=None, customer=customer, data={"credit_limit": "1000"})
    with pytest.raises(ValidationError) as exc:
        services.request_credit_increase(actor=None, customer=customer, amount="1000", reason="x")
    assert "amount" in exc.value.message_dict
