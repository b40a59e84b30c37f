from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
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
    # Twelve months on (29/02 earns points that expire on 28/02 of the next year).
    assert movement.expires_on == services._add_months(timezone.localdate(), 12)


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
    expires_on = PointsMovement.objects.get(customer=customer, kind="ganado").expires_on
    assert services.expire_points(today=expires_on - timedelta(days=1)) == 0
    assert services.expire_points(today=expires_on) == 1
    assert services.points_balance(customer, today=expires_on) == 0
    assert PointsMovement.objects.get(customer=customer, kind="vencido").points == -70
    assert services.expire_points(today=expires_on) == 0  # idempotent


@pytest.mark.parametrize(
    "day,expected",
    [
        (date(2028, 2, 29), date(2029, 2, 28)),  # leap day: the last day of February
        (date(2027, 3, 31), date(2028, 3, 31)),
        (date(2027, 1, 31), date(2027, 2, 28)),  # one month on
    ],
)
def test_expiry_date_is_months_later_on_the_same_day_or_the_month_end(day, expected):
    months = 1 if expected.year == day.year else 12
    assert services._add_months(day, months) == expected


def lot(customer, points, expires_on, kind="ganado"):
    """A ledger row as if written earlier (earned a year ago, say)."""
    return PointsMovement.objects.create(customer=customer, kind=kind, points=points, expires_on=expires_on, reason="x")


def test_points_expiring_today_no_longer_count_without_any_job_having_run():
    customer = make_company(loyalty_enrolled=True)
    today = timezone.localdate()
    lot(customer, 100, today)  # on its date a lot no longer counts
    lot(customer, 50, today + timedelta(days=1))  # still counts today, not tomorrow
    assert services.points_balance(customer, today=today - timedelta(days=1)) == 150
    assert services.points_balance(customer) == 50
    assert services.points_balance(customer, today=today + timedelta(days=1)) == 0
    assert not PointsMovement.objects.filter(kind="vencido").exists()  # nothing written by reading
    # The nightly run writes the expiry, dated in its reason; the balance doesn't change.
    assert services.expire_points() == 1
    expired = PointsMovement.objects.get(kind="vencido")
    assert (expired.points, expired.reason) == (-100, f"Puntos vencidos el {today:%d/%m/%Y}")
    assert services.points_balance(customer) == 50


def test_expired_points_cannot_be_spent_and_the_write_records_the_expiry_first():
    customer = make_company(loyalty_enrolled=True)
    today = timezone.localdate()
    lot(customer, 100, today - timedelta(days=3))
    lot(customer, 50, today + timedelta(days=30))
    with pytest.raises(ValidationError) as exc:
        services.adjust_points(actor=None, customer=customer, points="-60", reason="Canje")
    assert "tiene 50 puntos" in exc.value.message_dict["points"][0]
    assert not PointsMovement.objects.filter(kind="vencido").exists()  # the refusal wrote nothing
    services.adjust_points(actor=None, customer=customer, points="-50", reason="Canje")
    kinds = list(PointsMovement.objects.filter(points__lt=0).order_by("id").values_list("kind", "points"))
    assert kinds == [("vencido", -100), ("ajuste", -50)]
    assert services.points_balance(customer) == 0
    assert services.expire_points(today=today + timedelta(days=31)) == 0  # the 50 were spent


def test_points_spent_before_their_date_do_not_expire_again():
    customer = make_company(loyalty_enrolled=True)
    today = timezone.localdate()
    lot(customer, 100, today + timedelta(days=1))
    lot(customer, 40, today + timedelta(days=10))
    services.adjust_points(actor=None, customer=customer, points="-30", reason="Canje")  # from the first lot
    tomorrow = today + timedelta(days=1)
    assert services.points_balance(customer, today=tomorrow) == 40
    assert services.expire_points(today=tomorrow) == 1
    assert PointsMovement.objects.get(kind="vencido").points == -70
    assert services.points_balance(customer, today=today + timedelta(days=10)) == 0
    assert services.expire_points(today=today + timedelta(days=10)) == 1
    assert sorted(PointsMovement.objects.filter(kind="vencido").values_list("points", flat=True)) == [-70, -40]


def test_the_points_tab_writes_the_due_expiry_so_the_ledger_adds_up(client):
    customer = make_company(loyalty_enrolled=True)
    lot(customer, 80, timezone.localdate() - timedelta(days=1))
    lot(customer, 20, timezone.localdate() + timedelta(days=1))
    client.force_login(user_with_role("Consulta"))
    response = client.get(reverse("credit:points", args=[customer.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert PointsMovement.objects.get(kind="vencido").points == -80
    assert 'data-figure="puntos">20<' in response.content.decode()


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
