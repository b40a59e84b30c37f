"""The list's per-attribute filters (attributes.filters, inside CustomerFilterSet): one test
per kind of filter, through the same path the page uses."""

import pytest
from django.db import connection
from django.http import QueryDict

from attributes import indexes
from customers.filters import CustomerFilterSet
from customers.models import Customer
from customers.queries import list_customers, paginate_customers
from tests.attributes.factories import make_definition
from tests.factories import make_company

pytestmark = pytest.mark.django_db


def customer_with(name: str, **values) -> Customer:
    customer = make_company(business_name=name)
    Customer.objects.filter(pk=customer.pk).update(attributes=values)
    return customer


def names(params: dict) -> list[str]:
    filterset = CustomerFilterSet(QueryDict(mutable=True) | params, queryset=list_customers())
    page = paginate_customers(filterset.qs, page=1, searching=filterset.searching)
    return sorted(c.name for c in page)


def test_a_list_attribute_filters_by_its_option():
    nivel = make_definition(kind="lista", name="Nivel")
    customer_with("Oro S.A.", **{nivel.key: "Oro"})
    customer_with("Plata S.A.", **{nivel.key: "Plata"})
    make_company(business_name="Sin nivel S.A.")
    assert names({nivel.field_name: "Oro"}) == ["Oro S.A."]


def test_a_multiple_choice_attribute_filters_by_one_of_its_options():
    canales = make_definition(kind="multiple", name="Canales")
    customer_with("Ambos S.A.", **{canales.key: ["Oro", "Plata"]})
    customer_with("Uno S.A.", **{canales.key: ["Plata"]})
    assert names({canales.field_name: "Oro"}) == ["Ambos S.A."]
    assert names({canales.field_name: "Plata"}) == ["Ambos S.A.", "Uno S.A."]


def test_a_yes_no_attribute_filters_by_si_and_no():
    vip = make_definition(kind="si_no", name="VIP")
    customer_with("Sí S.A.", **{vip.key: True})
    customer_with("No S.A.", **{vip.key: False})
    make_company(business_name="Sin respuesta S.A.")
    assert names({vip.field_name: "si"}) == ["Sí S.A."]
    assert names({vip.field_name: "no"}) == ["No S.A."]


def test_an_integer_attribute_filters_by_range():
    empleados = make_definition(kind="entero", name="Empleados")
    customer_with("Chica S.A.", **{empleados.key: 5})
    customer_with("Mediana S.A.", **{empleados.key: 50})
    customer_with("Grande S.A.", **{empleados.key: 500})
    assert names({empleados.field_name + "_min": "10", empleados.field_name + "_max": "100"}) == ["Mediana S.A."]
    assert names({empleados.field_name + "_min": "50"}) == ["Grande S.A.", "Mediana S.A."]


def test_a_decimal_attribute_compares_numbers_not_text():
    ventas = make_definition(kind="decimal", name="Ventas anuales")
    customer_with("Nueve S.A.", **{ventas.key: 9.5})
    customer_with("Cien S.A.", **{ventas.key: 100.25})
    assert names({ventas.field_name + "_min": "10"}) == ["Cien S.A."]


def test_a_date_attribute_filters_by_range_typed_either_way():
    aniversario = make_definition(kind="fecha", name="Aniversario")
    customer_with("Vieja S.A.", **{aniversario.key: "1999-05-01"})
    customer_with("Nueva S.A.", **{aniversario.key: "2023-05-01"})
    assert names({aniversario.field_name + "_min": "2000-01-01"}) == ["Nueva S.A."]
    assert names({aniversario.field_name + "_max": "31/12/1999"}) == ["Vieja S.A."]


def test_a_text_attribute_filters_by_contains_ignoring_case_and_accents():
    apodo = make_definition(kind="texto", name="Apodo")
    make_company(business_name="Sin apodo S.A.")
    customer_with("Uno S.A.", **{apodo.key: "El Ñandú Veloz"})
    customer_with("Dos S.A.", **{apodo.key: "Otro"})
    # search_text holds the folded values, as customers.services keeps it
    Customer.objects.filter(business_name="Uno S.A.").update(search_text="uno s.a. el nandu veloz")
    Customer.objects.filter(business_name="Dos S.A.").update(search_text="dos s.a. otro")
    assert names({apodo.field_name: "ñandu"}) == ["Uno S.A."]
    assert names({apodo.field_name: '"Otro"'}) == ["Dos S.A."]


def test_a_word_found_elsewhere_does_not_match_the_attribute():
    apodo = make_definition(kind="texto", name="Apodo")
    customer_with("Veloz S.A.", **{apodo.key: "Lento"})
    Customer.objects.update(search_text="veloz sa lento")
    assert names({apodo.field_name: "veloz"}) == []


def test_a_dni_attribute_filters_by_the_whole_number():
    dni = make_definition(kind="dni", name="DNI del gerente")
    customer_with("Gerente S.A.", **{dni.key: "12345678"})
    customer_with("Otro S.A.", **{dni.key: "87654321"})
    assert names({dni.field_name: "12345678"}) == ["Gerente S.A."]


def test_an_option_that_is_not_in_the_list_is_ignored_and_the_page_says_so():
    nivel = make_definition(kind="lista", name="Nivel")
    customer_with("Oro S.A.", **{nivel.key: "Oro"})
    filterset = CustomerFilterSet(QueryDict(mutable=True) | {nivel.field_name: "Cobre"}, queryset=list_customers())
    assert "Nivel" in filterset.invalid_filters()
    assert filterset.qs.count() == 1


def test_a_bad_range_bound_is_ignored_and_named():
    empleados = make_definition(kind="entero", name="Empleados")
    filterset = CustomerFilterSet(
        QueryDict(mutable=True) | {empleados.field_name + "_min": "muchos"}, queryset=list_customers()
    )
    assert "Empleados (desde)" in filterset.invalid_filters()


def test_archived_attributes_offer_no_filter():
    from attributes import services

    nivel = make_definition(kind="lista", name="Nivel")
    services.archive_definition(actor=None, definition=nivel)
    filterset = CustomerFilterSet(QueryDict(), queryset=list_customers())
    assert nivel.field_name not in filterset.form.fields


def test_the_range_index_is_built_matches_the_filters_expression_and_is_dropped_with_the_attribute():
    from attributes import services

    empleados = make_definition(kind="entero", name="Empleados")
    assert indexes.sync_index(empleados.pk) == "created"
    assert indexes.index_name(empleados.pk) in indexes.existing_indexes()
    filterset = CustomerFilterSet(
        QueryDict(mutable=True) | {empleados.field_name + "_min": "10"}, queryset=Customer.objects.order_by()
    )
    range_filter = filterset.filters[empleados.field_name + "_min"]
    queryset = range_filter.filter(Customer.objects.order_by(), 10)
    with connection.cursor() as cursor:  # an empty table: make the planner show it can use it
        cursor.execute("SET LOCAL enable_seqscan = off")
    assert indexes.index_name(empleados.pk) in queryset.explain()
    services.delete_definition(actor=None, definition=empleados)
    assert indexes.sync_index(empleados.pk) == "dropped"
    assert indexes.index_name(empleados.pk) not in indexes.existing_indexes()


def test_an_option_filter_uses_the_attributes_own_index():
    nivel = make_definition(kind="lista", name="Nivel")
    indexes.sync_index(nivel.pk)
    filterset = CustomerFilterSet(QueryDict(mutable=True) | {nivel.field_name: "Oro"}, queryset=Customer.objects.all())
    queryset = filterset.filters[nivel.field_name].filter(Customer.objects.order_by(), "Oro")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    assert indexes.index_name(nivel.pk) in queryset.explain()


def test_a_filter_that_surely_matches_many_shows_the_estimate_without_counting(monkeypatch):
    from customers import queries

    nivel = make_definition(kind="lista", name="Nivel")
    indexes.sync_index(nivel.pk)
    for i in range(30):
        customer_with(f"Cliente {i:02d} S.A.", **{nivel.key: "Oro"})
    with connection.cursor() as cursor:  # the index's statistics give the planner the estimate
        cursor.execute("ANALYZE customers_customer")
    # 30 customers stand for "surely more than COUNT_LIMIT" at a million.
    monkeypatch.setattr(queries, "SURELY_MANY", 10)
    filterset = CustomerFilterSet(QueryDict(mutable=True) | {nivel.field_name: "Oro"}, queryset=list_customers())
    page = paginate_customers(filterset.qs, page=2, searching=filterset.searching, per_page=5)
    assert not page.count_exact and page.estimate >= 10
    assert [c.name for c in page] == [f"Cliente {i:02d} S.A." for i in range(5, 10)]
