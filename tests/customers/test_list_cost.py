"""What one request of the customer list costs the database: a fixed number of statements and
of round trips, whoever asks and whatever the rows show — the page and its htmx refresh, while
a bulk import keeps both cores busy, wait for a core at each round trip (bench/list_cpu.py
measures both at 1,000,000 customers)."""

import tempfile
from contextlib import contextmanager, nullcontext
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from psycopg import pq

from credit.models import CreditAccount
from customers.models import Category, Customer
from tests.factories import make_company, make_foreign_customer, make_person
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("customers:list")


def sign_in(client, role: str):
    # As the login form signs in: through config.auth.RoleBackend, which reads the user with
    # its groups and permissions (the first backend, django-axes', reads the user alone).
    user = user_with_role(role)
    client.force_login(user, backend="config.auth.RoleBackend")
    return user


def varied_customers(count: int) -> None:
    """Customers of every kind a row shows differently: companies and people, foreign,
    suspended, with and without category, phone and e-mail, a RUC with a warning, a credit
    account (blocked or not)."""
    category, _ = Category.objects.get_or_create(name="Mayorista")
    for i in range(count):
        kind = i % 5
        if kind == 0:
            customer = make_company(business_name=f"Comercial {i:02d} S.A.C.", category=category)
        elif kind == 1:
            customer = make_person(first_names="Rosa", last_names=f"Quispe {i:02d}", phone="", email="")
        elif kind == 2:
            customer = make_foreign_customer(last_names=f"Smith {i:02d}", is_active=False)
        elif kind == 3:
            customer = make_company(business_name=f"Andina {i:02d} S.R.L.", registry_condition="NO HABIDO")
        else:
            customer = make_company(business_name=f"Norte {i:02d} E.I.R.L.", phone="+5114567890")
        if i % 3 == 0:
            CreditAccount.objects.create(customer=customer, credit_limit=Decimal("1000.00"), is_blocked=i % 2 == 0)


@contextmanager
def round_trips():
    """How many times the connection sends statements and then waits for the server (libpq's
    trace of the protocol: a run of messages sent followed by answers is one round trip)."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    counted = [0]
    with tempfile.TemporaryFile() as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            yield counted
        finally:
            pgconn.untrace()
        trace.seek(0)
        sides = [line[:1] for line in trace.read().decode().splitlines() if line[:1] in ("F", "B")]
    counted[0] = sum(1 for sent, answered in zip(sides, sides[1:], strict=False) if (sent, answered) == ("F", "B"))


# (page, htmx refresh). Every request: the session, the user with its groups and permissions
# (one statement: config.auth.RoleBackend), the attributes to filter by; the list's transaction
# (a savepoint here: the test's transaction): its planner settings, the estimate or the count,
# the rows; the credit app's column (the page's balance rows). The whole page adds the
# navigation's badges (one statement, for who sees the credit queues) and the filter bar's
# choices (departamentos, categorías, clases).
QUERIES = {
    "Administrador": (14, 10),
    "Créditos": (14, 10),
    "Ventas": (13, 10),
    "Consulta": (13, 10),
}


@pytest.mark.parametrize("role", list(QUERIES))
def test_a_list_request_runs_a_fixed_number_of_queries(client, django_assert_num_queries, role):
    varied_customers(30)
    sign_in(client, role)
    client.get(LIST)  # warm up whatever a first request caches
    page, partial = QUERIES[role]
    with django_assert_num_queries(page):
        assert client.get(LIST, {"estado": "todos", "tipo": "empresa"}).status_code == 200
    with django_assert_num_queries(partial):
        assert client.get(LIST, {"estado": "todos", "tipo": "empresa"}, **HTMX).status_code == 200


@pytest.mark.parametrize("params", [{"estado": "todos"}, {"q": "comercial"}, {"tipo": "persona"}])
def test_the_queries_do_not_grow_with_the_rows(client, params):
    # A field a row shows but the page does not read (queries.LIST_ROW_FIELDS) would cost a
    # query per row: 25 rows must cost what 1 costs.
    sign_in(client, "Administrador")
    varied_customers(1)
    make_person(first_names="Ana", last_names="Comercial")
    client.get(LIST, params)  # warm up what a process reads once (the words' statistics)
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST, params).status_code == 200
        counts.append(len(captured))
        varied_customers(30)
    assert counts[0] == counts[1]


def test_a_list_request_makes_few_round_trips(client, monkeypatch):
    # As at 1,000,000 customers, the planner expects many: the page walks the name order, in a
    # savepoint with the walk's time limit. Its statements go together
    # (customers.queries._pipelined): settings, savepoint, settings, rows in one round trip,
    # the release with the pipeline's end in another (here the list's transaction is a
    # savepoint of the test's). Then: session, user, attributes, the list (1 + 2 + 1),
    # credit's column; the whole page adds the badges and the 3 choices.
    from customers import queries

    monkeypatch.setattr(queries, "_estimate", lambda queryset: 50_000)
    varied_customers(30)
    sign_in(client, "Administrador")
    client.get(LIST)

    def trips(**headers) -> int:
        with round_trips() as counted:
            assert client.get(LIST, {"tipo": "empresa"}, **headers).status_code == 200
        return counted[0]

    assert (trips(), trips(**HTMX)) == (12, 8)
    # Each statement on its own: three more.
    monkeypatch.setattr(queries, "_pipelined", nullcontext)
    assert (trips(), trips(**HTMX)) == (15, 11)


def test_a_walk_cancelled_inside_the_pipeline_leaves_the_page_and_the_connection_usable(client, monkeypatch):
    # The pipeline refuses every statement after a failed one until it is synchronised: the
    # walk's timeout must still end in the count's page, and the connection keep working.
    from customers import queries

    monkeypatch.setattr(queries, "COUNT_LIMIT", 3)
    monkeypatch.setattr(queries, "WALK_TIMEOUT", "20ms")
    monkeypatch.setattr(queries, "_estimate", lambda queryset: 50_000)
    original = queries._set_local

    def slow_walk(**settings):
        original(**settings)
        if settings.get("statement_timeout") == queries.WALK_TIMEOUT:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(60)")

    monkeypatch.setattr(queries, "_set_local", slow_walk)
    make_company(business_name="Comercial B S.A.C.")
    make_company(business_name="Comercial A S.A.C.")
    sign_in(client, "Ventas")
    page = client.get(LIST, {"tipo": "empresa"}, **HTMX).content.decode()
    assert "Comercial A S.A.C." in page and "Comercial B S.A.C." in page and "2 clientes activos" in page
    assert Customer.objects.count() == 2
    assert connection.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF
