"""The list's reads: search semantics, every filter alone and combined, Spanish order, and the
page and count strategy (customers.filters + customers.queries.paginate_customers)."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from customers import import_staging, queries, services
from customers.filters import CustomerFilterSet, TrashFilterSet
from customers.models import Category, Customer, CustomerClass
from customers.reference import load_reference_data
from tests.concurrency import uncommitted
from tests.factories import make_address, make_company, make_foreign_customer, make_person

pytestmark = pytest.mark.django_db

GLORIA = "20100070970"


def listing(query: str = "") -> queries.CustomerPage:
    data = QueryDict(query)
    filterset = CustomerFilterSet(data, queryset=queries.list_customers())
    return queries.paginate_customers(
        filterset.qs, page=data.get("page"), searching=filterset.searching, common_word=filterset.common_word
    )


def names(query: str = "") -> list[str]:
    return [customer.name for customer in listing(query)]


def filterset(query: str) -> CustomerFilterSet:
    return CustomerFilterSet(QueryDict(query), queryset=queries.list_customers())


# --- search --------------------------------------------------------------------------------


def test_a_name_is_found_without_its_accents_and_in_any_case():
    make_person(first_names="Rosa", last_names="Núñez Quispe")
    make_company(business_name="Gloria S.A.")

    assert names("q=nunez") == ["Núñez Quispe, Rosa"]
    assert names("q=NÚÑEZ") == ["Núñez Quispe, Rosa"]


def test_any_part_of_the_name_is_found():
    make_company(business_name="Inversiones Ccoripata S.A.C.")
    make_company(business_name="Gloria S.A.")

    assert names("q=oripa") == ["Inversiones Ccoripata S.A.C."]


def test_every_word_of_the_term_must_be_found_in_any_order():
    make_person(first_names="Rosa Elena", last_names="Quispe Mamani")
    make_person(first_names="María", last_names="Quispe Flores")

    assert names("q=rosa quispe") == ["Quispe Mamani, Rosa Elena"]
    assert names("q=quispe") == ["Quispe Flores, María", "Quispe Mamani, Rosa Elena"]
    assert names("q=quispe carmen") == []


def test_a_short_word_beside_a_long_one_narrows_the_search():
    make_person(first_names="Rosa", last_names="de la Cruz Apaza", email="")
    make_person(first_names="Rosa", last_names="Quispe Apaza", email="")

    assert names("q=de apaza") == ["de la Cruz Apaza, Rosa"]


def test_the_beginning_of_a_ruc_finds_it():
    make_company(business_name="Gloria S.A.", document_number=GLORIA)
    make_company(business_name="Backus S.A.A.", document_number="20100113610")

    assert names("q=2010007") == ["Gloria S.A."]
    assert sorted(names("q=2010")) == ["Backus S.A.A.", "Gloria S.A."]


def test_any_part_of_a_document_finds_it():
    make_person(first_names="Rosa", last_names="Quispe", document_number="45781236")
    make_company(business_name="Gloria S.A.", document_number=GLORIA)

    assert names("q=781236") == ["Quispe, Rosa"]
    assert names("q=0070970") == ["Gloria S.A."]


def test_a_foreign_document_is_found_whatever_the_case_of_its_letters():
    make_foreign_customer(document_number="AB1234567", first_names="John", last_names="Smith")

    assert names("q=ab12345") == ["Smith, John"]


def test_a_foreign_tax_id_typed_with_its_dashes_is_found():
    tin = {"document_type_id": "0"}  # documento tributario no domiciliado, as written abroad
    make_foreign_customer(**tin, document_number="958-58-9998", first_names="John", last_names="Williams")
    make_foreign_customer(**tin, document_number="J-21897281-0", first_names="Ana", last_names="Rojas")
    make_company(business_name="Gloria S.A.", document_number=GLORIA)

    assert names("q=958-58-9998") == ["Williams, John"]
    assert names("q=958-58") == ["Williams, John"]
    assert names("q=958589998") == ["Williams, John"]
    assert names("q=J-21897281-0") == ["Rojas, Ana"]
    assert names("q=21897281") == ["Rojas, Ana"]


def test_dotted_initials_are_found_with_or_without_their_dots():
    make_company(business_name="Viajes Andinos S.A.C.")
    make_company(business_name="Grupo Norte E.I.R.L.")
    make_company(business_name="Sacsayhuamán Tours S.R.L.")

    assert names("q=s.a.c") == ["Viajes Andinos S.A.C."]
    assert names("q=S.A.C.") == ["Viajes Andinos S.A.C."]
    assert names("q=viajes s.a.c") == ["Viajes Andinos S.A.C."]
    assert names("q=e.i.r.l") == ["Grupo Norte E.I.R.L."]
    assert names("q=eirl") == ["Grupo Norte E.I.R.L."]
    assert names("q=sac") == ["Sacsayhuamán Tours S.R.L.", "Viajes Andinos S.A.C."]
    assert filterset("q=s.a.c").searching


def test_dotted_initials_in_an_email_are_found_beside_another_word():
    make_company(business_name="Ferretería Central", email="ventas@a.b.c.pe")
    make_company(business_name="Ferretería Sur", email="ventas@abc.pe")

    assert names("q=ferreteria a.b.c") == ["Ferretería Central"]
    assert names("q=a.b.c.pe") == ["Ferretería Central"]


def test_the_search_column_of_existing_customers_gains_the_variants():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("customers.migrations.0014_search_variants")
    customer = make_company(business_name="Viajes Andinos S.A.C.")
    foreign = make_foreign_customer(document_type_id="0", document_number="958-58-9998", last_names="Williams")
    plain = make_company(business_name="Gloria")
    before = {c.pk: c.search_text for c in (customer, foreign, plain)}
    Customer.objects.filter(pk=customer.pk).update(search_text="viajes andinos s.a.c. 20100070970")
    Customer.objects.filter(pk=foreign.pk).update(search_text="williams, john 958-58-9998")

    with connection.schema_editor() as editor:
        migration.append_variants(apps, editor)
        migration.append_variants(apps, editor)  # a second run adds nothing

    after = dict(Customer.objects.values_list("pk", "search_text"))
    assert after[customer.pk] == "viajes andinos s.a.c. 20100070970 sac"
    assert after[foreign.pk] == "williams, john 958-58-9998 958589998"
    assert after[plain.pk] == before[plain.pk]
    assert names("q=s.a.c") == ["Viajes Andinos S.A.C."]


def test_every_email_of_the_customer_is_searched_not_only_the_first():
    data = {
        "kind": "persona",
        "document_type": "1",
        "first_names": "Rosa",
        "last_names": "Quispe",
        "emails": ["rosa@quispe.pe", "Pagos.Rosa@Gmail.com"],
    }
    services.create_customer(actor=None, data=data)
    make_company(business_name="Gloria S.A.", email="ventas@gloria.pe")

    assert names("q=pagos.rosa@gmail") == ["Quispe, Rosa"]
    assert names("q=ROSA@QUISPE.PE") == ["Quispe, Rosa"]
    assert names("q=gloria.pe") == ["Gloria S.A."]


def test_a_phone_is_found_by_its_digits_however_it_is_typed():
    make_company(business_name="Gloria S.A.", phone="+51987654321")
    make_company(business_name="Backus S.A.A.", phone="+51912345678")

    for typed in ("987654321", "987 654 321", "+51 987-654-321", "654321"):
        assert names(f"q={typed.replace('+', '%2B')}") == ["Gloria S.A."], typed


def test_a_lima_landline_is_found_as_dialled_with_the_trunk_zero():
    make_company(business_name="Gloria S.A.", phone="+5114445555")

    assert names("q=(01) 444-5555") == ["Gloria S.A."]
    assert names("q=444 5555") == ["Gloria S.A."]


def test_a_term_under_three_letters_finds_names_that_start_so():
    make_company(business_name="Ñahui Import S.A.C.")
    make_company(business_name="Nazca Tours S.A.C.")
    make_company(business_name="Inversiones Ñahui S.A.C.")

    assert names("q=ña") == ["Ñahui Import S.A.C."]
    assert names("q=n") == ["Nazca Tours S.A.C.", "Ñahui Import S.A.C."]
    assert filterset("q=ña").short_search


@pytest.mark.parametrize("collation,like", [("C.UTF-8", False), ("C", False), ("es_PE.UTF-8", True)])
def test_names_that_start_so_are_a_range_alone_where_text_is_ordered_by_code_point(monkeypatch, collation, like):
    # A second condition (LIKE 'ca%') beside the range made the planner expect 10 rows of
    # 15,000 at 1M and sort them all; a linguistic collation needs it (its range is not a prefix).
    from customers import filters

    monkeypatch.setattr(filters, "_database_collation", [collation])
    for name in ("Ca", "Cañete S.A.C.", "Calle Uno S.A.C.", "Cb Import S.A.C.", "Bca S.A.C.", "Cz S.A.C."):
        make_company(business_name=name)

    assert ("LIKE" in str(filterset("q=ca").qs.query)) is like
    assert names("q=ca") == ["Ca", "Calle Uno S.A.C.", "Cañete S.A.C."]


def test_sql_and_like_wildcards_in_the_box_are_plain_text():
    make_company(business_name="Gloria S.A.")

    assert names("q=%25%25%25") == []
    assert names("q=___") == []
    assert names("q=' OR 1=1; DROP TABLE customers_customer; --") == []
    assert Customer.objects.count() == 1


def test_a_very_long_term_is_cut_and_the_filterset_says_so():
    make_company(business_name="Gloria S.A.")
    fs = filterset("q=" + "gloria " + "x" * 10_000)

    assert fs.search_truncated
    assert len(fs.search_term) == 100
    assert listing("q=" + "gloria " + "x" * 10_000).rows == []


def test_customers_in_the_papelera_are_not_in_the_list_but_in_its_search():
    kept = make_company(business_name="Comercial Andina S.A.C.")
    gone = make_company(business_name="Comercial Andes S.A.C.")
    services.trash_customer(actor=None, customer=gone)

    assert names("q=comercial") == [kept.name]
    trash = TrashFilterSet(QueryDict("q=andes"), queryset=queries.list_trash()).qs
    assert [c.name for c in trash] == ["Comercial Andes S.A.C."]


# --- filters, one by one and together ------------------------------------------------------


def test_the_list_shows_active_customers_by_default():
    make_company(business_name="Activa S.A.C.")
    make_company(business_name="Suspendida S.A.C.", is_active=False)

    assert names() == ["Activa S.A.C."]
    assert names("estado=suspendidos") == ["Suspendida S.A.C."]
    assert names("estado=todos") == ["Activa S.A.C.", "Suspendida S.A.C."]


@pytest.mark.parametrize(
    ("tipo", "expected"),
    [("empresa", ["Gloria S.A."]), ("persona", ["Quispe, Rosa"]), ("extranjero", ["Smith, John"])],
)
def test_the_tipo_filter(tipo, expected):
    make_company(business_name="Gloria S.A.")
    make_person(first_names="Rosa", last_names="Quispe")
    make_foreign_customer(first_names="John", last_names="Smith")

    assert names(f"tipo={tipo}") == expected


def test_the_categoria_filter():
    pro = Category.objects.get(name="PRO")
    make_company(business_name="Gloria S.A.", category=pro)
    make_company(business_name="Backus S.A.A.")

    assert names(f"categoria={pro.pk}") == ["Gloria S.A."]


def test_the_clase_filter():
    external = CustomerClass.objects.create(name="EXTERNO")
    make_company(business_name="Gloria S.A.", customer_class=external)
    make_company(business_name="Backus S.A.A.")

    assert names(f"clase={external.pk}") == ["Gloria S.A."]


def test_the_departamento_filter_reads_the_default_address():
    cusco = make_company(business_name="Inka Tours S.A.C.")
    make_address(customer=cusco, district_id="080101")
    make_address(customer=cusco, district_id="150101", kind="entrega")  # not the default one
    lima = make_company(business_name="Gloria S.A.")
    make_address(customer=lima, district_id="150101")

    assert names("departamento=08") == ["Inka Tours S.A.C."]
    assert names("departamento=15") == ["Gloria S.A."]


def test_the_departamento_follows_the_default_address_when_it_changes():
    customer = make_company(business_name="Gloria S.A.")
    make_address(customer=customer, district_id="150101")
    data = {"kind": "entrega", "district": "080101", "street": "Av. Sol 1", "is_default": True}
    services.save_address(actor=None, customer=customer, data=data)

    assert names("departamento=08") == ["Gloria S.A."]
    assert names("departamento=15") == []


def test_the_whatsapp_filter():
    make_company(business_name="Gloria S.A.", has_whatsapp=True)
    make_company(business_name="Backus S.A.A.")

    assert names("whatsapp=on") == ["Gloria S.A."]
    assert len(names("")) == 2  # unticked: no condition, not "without WhatsApp"


def test_the_detraccion_filter():
    make_company(business_name="Gloria S.A.", requests_detraction=True)
    make_company(business_name="Backus S.A.A.")

    assert names("detraccion=on") == ["Gloria S.A."]


def test_search_and_filters_combine():
    lima = make_company(business_name="Comercial Quispe S.A.C.", has_whatsapp=True)
    make_address(customer=lima, district_id="150101")
    cusco = make_company(business_name="Comercial Quispe Cusco S.A.C.", has_whatsapp=True)
    make_address(customer=cusco, district_id="080101")
    make_company(business_name="Comercial Quispe Norte S.A.C.", is_active=False)
    make_person(first_names="Rosa", last_names="Quispe")

    assert names("q=quispe&tipo=empresa&departamento=15&whatsapp=on") == ["Comercial Quispe S.A.C."]
    assert names("q=quispe&tipo=empresa&estado=todos") == [
        "Comercial Quispe Cusco S.A.C.",
        "Comercial Quispe Norte S.A.C.",
        "Comercial Quispe S.A.C.",
    ]


@pytest.mark.parametrize(
    "query",
    ["estado=borrados", "tipo=hacker", "departamento=99", "categoria=abc", "clase=-1"],
)
def test_an_unknown_filter_value_is_left_out_and_reported(query):
    make_company(business_name="Activa S.A.C.")
    make_company(business_name="Suspendida S.A.C.", is_active=False)

    fs = filterset(query)
    assert fs.invalid_filters(), query
    # The other rules still hold: active customers, alphabetical.
    assert names(query) == ["Activa S.A.C."]


def test_an_unknown_order_falls_back_to_names_without_a_report():
    # The order is no filter the user sees (a column header or, on phones, a select).
    make_company(business_name="Backus S.A.A.")
    make_company(business_name="Alicorp S.A.A.")

    assert filterset("orden=password").invalid_filters() == []
    assert names("orden=password") == ["Alicorp S.A.A.", "Backus S.A.A."]


# --- order -----------------------------------------------------------------------------------


def test_names_sort_the_spanish_way_whatever_the_database_collation():
    for name in ["Zoila Import S.A.C.", "Óscar Tours S.A.C.", "Ñahui S.A.C.", "Núñez Hermanos S.A.C.", "Álvaro S.A.C."]:
        make_company(business_name=name)
    expected = ["Álvaro S.A.C.", "Núñez Hermanos S.A.C.", "Ñahui S.A.C.", "Óscar Tours S.A.C.", "Zoila Import S.A.C."]

    assert names() == expected
    assert names("orden=-nombre") == expected[::-1]
    # The database collates in C.UTF-8: ordering by the raw name would put accents last.
    assert connection.vendor == "postgresql"
    assert [c.name for c in Customer.objects.order_by("name")] != expected


def test_the_list_sorts_by_document():
    make_company(business_name="B S.A.C.", document_number="20100113610")
    make_company(business_name="A S.A.C.", document_number=GLORIA)

    assert names("orden=documento") == ["A S.A.C.", "B S.A.C."]
    assert names("orden=-documento") == ["B S.A.C.", "A S.A.C."]


def test_customers_without_a_document_come_last_in_both_directions():
    make_company(business_name="B S.A.C.", document_number="20100113610")
    make_company(business_name="A S.A.C.", document_number=GLORIA)
    make_person(first_names="Sin", last_names="Documento", document_number="")

    assert names("orden=documento") == ["A S.A.C.", "B S.A.C.", "Documento, Sin"]
    assert names("orden=-documento") == ["B S.A.C.", "A S.A.C.", "Documento, Sin"]


def test_the_document_order_walks_an_index():
    for order in ("documento", "-documento"):
        queryset = CustomerFilterSet({"orden": order}, queryset=queries.list_customers()).qs
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
        plan = queryset[:25].explain()
        assert "customer_document_" in plan and "Sort" not in plan.split("Index")[0], plan


# --- pages and the count ---------------------------------------------------------------------


def test_pages_are_counted_exactly_below_the_limit():
    for i in range(30):
        make_company(business_name=f"Empresa {i:02d} S.A.C.")

    first, second = listing(), listing("page=2")
    assert (first.count, first.count_exact, first.num_pages, len(first)) == (30, True, 2, 25)
    assert [c.name for c in second] == [f"Empresa {i:02d} S.A.C." for i in range(25, 30)]
    assert (second.start_index, second.end_index) == (26, 30)


@pytest.mark.parametrize(
    ("page", "nearest"),
    [
        ("999999", 2),  # past the end: the last page
        ("-3", 1),  # before the start or not a whole number: the first page
        ("1e9", 1),
        ("abc", 1),
        ("0", 1),
    ],
)
def test_an_impossible_page_shows_the_nearest_one(page, nearest):
    for i in range(30):
        make_company(business_name=f"Empresa {i:02d} S.A.C.")

    result = listing(f"page={page}")
    assert result.clamped
    assert result.number == nearest
    first = 0 if nearest == 1 else 25
    assert [c.name for c in result] == [f"Empresa {i:02d} S.A.C." for i in range(first, min(first + 25, 30))]


def test_a_search_with_more_matches_than_the_limit_shows_the_newest_first(monkeypatch):
    monkeypatch.setattr(queries, "COUNT_LIMIT", 3)
    made = [make_company(business_name=f"Comercial {letter} S.A.C.") for letter in "ABCDE"]

    page = listing("q=comercial")
    assert (page.count_exact, page.newest_first) == (False, True)
    assert [c.pk for c in page] == [c.pk for c in reversed(made)]


@pytest.fixture
def word_statistics(monkeypatch):
    """A small list limit, and the search words' statistics (migration 0019) as ANALYZE
    leaves them, read afresh: counts run in the test's transaction, so does ANALYZE."""
    monkeypatch.setattr(queries, "COUNT_LIMIT", 3)
    monkeypatch.setattr(queries, "COMMON_WORD_MATCHES", 6)
    monkeypatch.setattr(queries, "_word_statistics", {"read_at": None, "words": ()})

    def analyze():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE customers_customer")
        queries._word_statistics["read_at"] = None

    return analyze


def _count_queries(monkeypatch) -> list:
    counted = []
    original = queries._sorted_matches
    monkeypatch.setattr(queries, "_sorted_matches", lambda *a, **k: counted.append(1) or original(*a, **k))
    return counted


def test_a_word_the_statistics_find_in_many_customers_is_shown_newest_first_without_counting(
    monkeypatch, word_statistics
):
    made = [make_company(business_name=f"Comercial {i:02d} S.A.C.") for i in range(12)]
    make_person(first_names="Rosa", last_names="Quispe")
    word_statistics()
    counted = _count_queries(monkeypatch)

    page = listing("q=comerc")  # inside the common word "comercial"
    assert (page.count_exact, page.newest_first) == (False, True)
    assert [c.pk for c in page] == [c.pk for c in reversed(made)]
    assert not counted


def test_a_word_below_the_margin_is_counted_and_sorted(monkeypatch, word_statistics):
    for letter in "CBA":
        make_company(business_name=f"Comercial {letter} S.A.C.")
    for i in range(12):
        make_person(first_names="Rosa", last_names=f"Quispe{i:02d}")
    word_statistics()  # "comercial" is in 3 of 15: 3 is below the margin of 6
    counted = _count_queries(monkeypatch)

    page = listing("q=comercial")
    assert counted
    assert (page.count_exact, page.newest_first) == (True, False)
    assert [c.name for c in page] == [f"Comercial {letter} S.A.C." for letter in "ABC"]


@pytest.mark.parametrize("query", ["q=comercial&tipo=empresa", "q=comercial sac", "q=comercial&whatsapp=on"])
def test_the_word_statistics_are_not_used_with_another_filter_or_word(monkeypatch, word_statistics, query):
    for i in range(12):
        make_company(business_name=f"Comercial {i:02d} S.A.C.")
    word_statistics()
    counted = _count_queries(monkeypatch)

    assert filterset(query).common_word is None
    listing(query)
    assert counted


def test_the_estado_alone_still_uses_the_word_statistics(monkeypatch, word_statistics):
    for i in range(12):
        make_company(business_name=f"Comercial {i:02d} S.A.C.")
    word_statistics()

    word, among = filterset("q=Comercial&estado=todos").common_word
    assert word == "comercial" and among.count() == 12


def test_filters_alone_keep_the_alphabetical_order_above_the_limit_with_an_estimate(monkeypatch):
    monkeypatch.setattr(queries, "COUNT_LIMIT", 3)
    for letter in "EDCBA":
        make_company(business_name=f"Comercial {letter} S.A.C.")

    page = listing("tipo=empresa")
    assert (page.count_exact, page.newest_first) == (False, False)
    assert page.estimate is not None
    assert [c.name for c in page] == [f"Comercial {letter} S.A.C." for letter in "ABCDE"]


def test_filters_whose_walk_in_name_order_is_slow_are_counted_instead(monkeypatch):
    # The planner promises many matches for two filters that rarely meet, so the page first
    # walks the name order, which at a million would read most of the table: once the walk
    # runs out of time, the exact count answers, and the page's transaction is still usable.
    monkeypatch.setattr(queries, "COUNT_LIMIT", 3)
    monkeypatch.setattr(queries, "WALK_TIMEOUT", "20ms")
    monkeypatch.setattr(queries, "_estimate", lambda queryset: 50_000)
    make_company(business_name="Comercial B S.A.C.", is_active=False)
    make_person(first_names="Ana", last_names="Suspendida")
    make_company(business_name="Comercial A S.A.C.", is_active=False)
    make_company(business_name="Comercial C S.A.C.")
    walks = []
    original = queries._set_local

    def slow_walk(**settings):
        original(**settings)
        if settings.get("statement_timeout") == queries.WALK_TIMEOUT:
            walks.append(True)
            # A statement that would last a minute: the walk's 20 ms timeout always cancels it,
            # however busy the machine, so the outcome never depends on timing.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(60)")

    monkeypatch.setattr(queries, "_set_local", slow_walk)
    page = listing("tipo=empresa&estado=suspendidos")
    assert walks, "a large estimate sends the page to the walk first"
    assert (page.count_exact, page.count, page.timed_out) == (True, 2, False)
    assert [c.name for c in page] == ["Comercial A S.A.C.", "Comercial B S.A.C."]


def test_filters_with_a_large_estimate_show_it_from_the_name_order(monkeypatch):
    monkeypatch.setattr(queries, "_estimate", lambda queryset: 50_000)
    for letter in "DCBA":
        make_company(business_name=f"Comercial {letter} S.A.C.")

    fs = filterset("tipo=empresa")
    page = queries.paginate_customers(fs.qs, page="1", searching=False, per_page=3)
    assert (page.count_exact, page.estimate) == (False, 50_000)
    assert [c.name for c in page] == [f"Comercial {letter} S.A.C." for letter in "ABC"]


def test_after_a_walk_past_the_end_the_count_gets_the_lists_time_not_the_walks(monkeypatch):
    monkeypatch.setattr(queries, "_estimate", lambda queryset: 50_000)
    monkeypatch.setattr(queries, "WALK_TIMEOUT", "30ms")
    # The count path gets the list's time: a minute here, so 0.1 s more than the walk's 30 ms
    # passes whatever the machine's load, and only the walk's timeout could cancel it.
    monkeypatch.setattr(queries, "LIST_TIMEOUT", "60s")
    make_company(business_name="Comercial B S.A.C.")
    make_company(business_name="Comercial A S.A.C.")
    original = queries._sorted_matches

    def slower_than_a_walk(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.1)")
        return original(*args, **kwargs)

    monkeypatch.setattr(queries, "_sorted_matches", slower_than_a_walk)
    page = listing("tipo=empresa&page=5")  # the walk finds nothing there; the count path answers
    assert (page.timed_out, page.clamped, page.count) == (False, True, 2)
    assert [c.name for c in page] == ["Comercial A S.A.C.", "Comercial B S.A.C."]


def test_a_wrong_large_estimate_still_shows_the_exact_count_when_the_walk_reaches_the_end(monkeypatch):
    # Two filters the planner takes as independent: it expects 50,000, there are 2.
    monkeypatch.setattr(queries, "_estimate", lambda queryset: 50_000)
    make_company(business_name="Comercial B S.A.C.")
    make_company(business_name="Comercial A S.A.C.")

    page = listing("tipo=empresa")
    assert (page.count_exact, page.count, page.num_pages, page.has_next) == (True, 2, 1, False)
    assert [c.name for c in page] == ["Comercial A S.A.C.", "Comercial B S.A.C."]


def test_a_search_that_takes_too_long_is_stopped_with_an_empty_page(monkeypatch):
    make_company(business_name="Gloria S.A.")
    original = queries._sorted_matches

    def slow(*args, **kwargs):
        # A minute-long statement: the list's 50 ms timeout always cancels it.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(60)")
        return original(*args, **kwargs)

    monkeypatch.setattr(queries, "LIST_TIMEOUT", "50ms")
    monkeypatch.setattr(queries, "_sorted_matches", slow)

    page = listing("q=gloria")
    assert page.timed_out and page.rows == []
    assert Customer.objects.count() == 1  # the connection still works afterwards


# --- keyset pages in lists too long to count ----------------------------------------------------


def _page(query: str, number: int, cursor=None) -> queries.CustomerPage:
    fs = filterset(query)
    return queries.paginate_customers(
        fs.qs, page=str(number), searching=fs.searching, common_word=fs.common_word, per_page=3, cursor=cursor
    )


def test_newest_first_pages_continue_from_the_row_before_them(monkeypatch):
    monkeypatch.setattr(queries, "COUNT_LIMIT", 9)  # 3 pages of 3 may be walked
    for i in range(12):
        make_company(business_name=f"Comercial {i:02d} S.A.C.")

    first = _page("q=comercial", 1)
    second = _page("q=comercial", 2, ("tras", first.last_pk))
    third = _page("q=comercial", 3, ("tras", second.last_pk))
    assert first.newest_first and second.newest_first
    assert [c.pk for c in second] == [c.pk for c in _page("q=comercial", 2)]  # the same rows as by number
    assert [c.pk for c in third] == [c.pk for c in _page("q=comercial", 3)]
    assert [c.pk for c in _page("q=comercial", 2, ("antes", third.first_pk))] == [c.pk for c in second]


@pytest.mark.parametrize("orden", ["nombre", "-nombre", "documento", "-documento"])
def test_alphabetical_pages_of_a_long_filter_continue_from_their_neighbour(monkeypatch, orden):
    monkeypatch.setattr(queries, "_estimate", lambda queryset: 50_000)
    for i in range(10):
        make_company(business_name=f"Comercial {9 - i:02d} S.A.C.")
    query = f"tipo=empresa&orden={orden}"

    by_number = [[c.pk for c in _page(query, n)] for n in (1, 2, 3)]
    first = _page(query, 1)
    second = _page(query, 2, ("tras", first.last_pk))
    third = _page(query, 3, ("tras", second.last_pk))
    assert not second.count_exact
    assert [[c.pk for c in page] for page in (first, second, third)] == by_number
    assert [c.pk for c in _page(query, 2, ("antes", third.first_pk))] == by_number[1]


def test_a_cursor_to_a_row_that_is_gone_falls_back_to_the_page_number(monkeypatch):
    monkeypatch.setattr(queries, "COUNT_LIMIT", 9)
    for i in range(12):
        make_company(business_name=f"Comercial {i:02d} S.A.C.")
    expected = [c.pk for c in _page("q=comercial", 2)]
    assert [c.pk for c in _page("q=comercial", 2, ("tras", 999_999_999))] == expected


def _bounded_walk(monkeypatch, newest: int) -> list:
    """12 "Comercial" customers, 3 pages of 3 walkable, and a typed page's walk that reaches
    only the ``newest`` of them; their ids, newest first."""
    monkeypatch.setattr(queries, "COUNT_LIMIT", 9)
    made = [make_company(business_name=f"Comercial {i:02d} S.A.C.").pk for i in range(12)][::-1]
    monkeypatch.setattr(queries, "NEWEST_WALK_ROWS", made[0] - made[newest])
    return made


def test_a_typed_newest_first_page_within_the_walk_has_the_same_rows(monkeypatch):
    made = _bounded_walk(monkeypatch, newest=9)

    page = _page("q=comercial", 3)
    assert (page.number, page.beyond_walk, page.clamped) == (3, None, False)
    assert [c.pk for c in page] == made[6:9]


def test_a_typed_newest_first_page_beyond_the_walk_shows_the_deepest_whole_page_reached(monkeypatch):
    made = _bounded_walk(monkeypatch, newest=7)  # two whole pages of 3 among the 7 newest

    page = _page("q=comercial", 3)
    assert (page.number, page.beyond_walk, page.newest_first) == (2, 3, True)
    assert [c.pk for c in page] == made[3:6]
    # Siguiente continues from its last row: the page asked for, with the same rows as ever.
    following = _page("q=comercial", 3, ("tras", page.last_pk))
    assert (following.number, following.beyond_walk) == (3, None)
    assert [c.pk for c in following] == made[6:9]


def test_a_typed_newest_first_page_with_less_than_a_page_within_the_walk_shows_the_first(monkeypatch):
    made = _bounded_walk(monkeypatch, newest=2)

    page = _page("q=comercial", 3)
    assert (page.number, page.beyond_walk) == (1, 3)
    assert [c.pk for c in page] == made[0:3]


def test_a_typed_newest_first_page_past_the_last_match_is_the_nearest_one_when_the_walk_saw_every_id(
    monkeypatch,
):
    monkeypatch.setattr(queries, "COUNT_LIMIT", 9)
    monkeypatch.setattr(queries, "_surely_many_with", lambda word, among: True)  # statistics wrong: only 5
    made = [make_company(business_name=f"Comercial {i} S.A.C.").pk for i in range(5)][::-1]
    monkeypatch.setattr(queries, "NEWEST_WALK_ROWS", made[0] + 1)  # the walk covers every id

    page = _page("q=comercial", 3)
    assert (page.number, page.clamped, page.beyond_walk) == (2, True, None)
    assert [c.pk for c in page] == made[3:]


@pytest.mark.parametrize("params", [{"tras": "abc"}, {"antes": "-4"}, {"tras": "9" * 30}, {}])
def test_garbage_cursors_are_ignored(params):
    assert queries.page_cursor(params) is None


# --- typed page numbers in lists too long to count -----------------------------------------------


@pytest.mark.parametrize("query", ["orden=nombre", "orden=-nombre", "orden=documento", "estado=todos", "tipo=empresa"])
def test_a_typed_deep_page_has_the_rows_of_the_plain_order(monkeypatch, query):
    monkeypatch.setattr(queries, "_estimate", lambda queryset: 50_000)  # too many to count
    for i in range(10):
        make_company(business_name=f"Comercial {9 - i:02d} S.A.C.")
    fs = filterset(query)
    expected = [c.pk for c in fs.qs][6:9]

    with CaptureQueriesContext(connection) as captured:
        page = _page(query, 3)

    assert not page.count_exact and [c.pk for c in page] == expected
    # The rows before the page are skipped as ids only, then the page's rows are read by id.
    skip = next(q["sql"] for q in captured.captured_queries if "OFFSET 6" in q["sql"])
    assert skip.split(" FROM ")[0] == 'SELECT "customers_customer"."id" AS "pk"'
    with CaptureQueriesContext(connection) as later:
        assert all(c.document_type.short_name for c in page)  # read with the rows
    assert not later.captured_queries


# --- the first newest-first page, past customers without the word ------------------------------


@pytest.fixture
def page_ends(monkeypatch):
    """Three "Comercial" per page, newest first; a first page that ends more than two ids below
    the newest is remembered, and found again from where it ended."""
    monkeypatch.setattr(queries, "COUNT_LIMIT", 3)
    monkeypatch.setattr(queries, "REMEMBERED_DEPTH", 2)
    monkeypatch.setattr(queries, "RANGE_IDS_PER_MATCH", 0)  # the range always pays (tiny table)
    monkeypatch.setattr(queries, "_page_ends", {})


def _first_page_ids(query: str = "q=comercial") -> list[int]:
    return [c.pk for c in _page(query, 1)]


def _imported_after(matching: int, others: int) -> tuple[list[int], list[int]]:
    """``matching`` "Comercial" customers, then ``others`` newer ones without the word (what a
    bulk import of other names leaves); both lists of ids, newest first."""
    made = [make_company(business_name=f"Comercial {i:02d} S.A.C.").pk for i in range(matching)]
    newer = [make_company(business_name=f"Distribuidora {i:02d} E.I.R.L.").pk for i in range(others)]
    return made[::-1], newer[::-1]


def _rename(pk: int, name: str) -> None:
    customer = Customer.objects.get(pk=pk)
    data = {
        "kind": "empresa",
        "document_type": "6",
        "document_number": customer.document_number,
        "business_name": name,
        "business_line": customer.business_line or "Comercio",
        "address": {"district": "150122", "street": "Av. Larco 123"},
    }
    services.update_customer(actor=None, customer=customer, data=data)


def test_the_first_newest_page_found_again_from_where_it_ended_is_the_same_page(page_ends):
    made, _newer = _imported_after(6, 5)

    assert _first_page_ids() == made[:3]  # walked: remembers where it ended
    with CaptureQueriesContext(connection) as ran:
        assert _first_page_ids() == made[:3]  # through the range from that row
    assert any(f'"id" >= {made[2]}' in query["sql"] for query in ran.captured_queries)


def test_a_customer_given_the_word_after_the_first_page_was_found_shows_on_it(page_ends):
    made, newer = _imported_after(6, 5)
    _first_page_ids()

    _rename(newer[3], "Comercial Nueva S.A.C.")  # among the newer ones, inside the range
    assert _first_page_ids() == [newer[3], *made[:2]]
    _rename(made[5], "Comercial Antigua S.A.C.")  # already a match: the oldest stays out
    assert _first_page_ids() == [newer[3], *made[:2]]
    created = make_company(business_name="Comercial Recién Llegada S.A.C.").pk
    assert _first_page_ids() == [created, newer[3], made[0]]


@pytest.mark.django_db(transaction=True)
def test_customers_another_session_has_not_committed_stay_off_the_newest_page_until_it_commits(page_ends):
    load_reference_data()  # transactional tests start without the reference rows
    made, _newer = _imported_after(6, 5)
    assert _first_page_ids() == made[:3]  # walked: remembered

    def import_in_its_own_session():
        # The newest ids, uncommitted: what a confirmed import holds until it commits.
        return [make_company(business_name=f"Comercial Importada {i}").pk for i in range(4)]

    with uncommitted(import_in_its_own_session) as held:
        assert _first_page_ids() == made[:3]
        assert _first_page_ids() == made[:3]  # through the remembered range too
    imported = held.result
    assert _first_page_ids() == imported[::-1][:3]  # committed: on the first page at once


def test_ids_drawn_and_never_written_leave_the_first_page_as_it_was(page_ends):
    made, _newer = _imported_after(6, 5)
    assert _first_page_ids() == made[:3]

    import_staging.new_ids(50)  # an import previewed and never confirmed
    assert _first_page_ids() == made[:3]
    created = make_company(business_name="Comercial Recién Llegada S.A.C.").pk
    assert _first_page_ids() == [created, *made[:2]]


def test_a_first_page_whose_rows_left_the_list_is_walked_again(page_ends):
    made, _newer = _imported_after(6, 5)
    _first_page_ids()

    for pk in made[:2]:
        services.suspend_customer(actor=None, customer=Customer.objects.get(pk=pk))
    assert _first_page_ids() == made[2:5]  # only one left at or above the remembered end


def test_the_first_page_of_a_search_with_a_filter_is_remembered_apart(page_ends):
    made, _newer = _imported_after(6, 5)
    services.suspend_customer(actor=None, customer=Customer.objects.get(pk=made[0]))

    assert _first_page_ids() == made[1:4]
    assert _first_page_ids("q=comercial&estado=todos") == made[:3]
    assert _first_page_ids() == made[1:4]


def test_a_typed_newest_first_page_walks_its_bound_from_the_newest_match(page_ends, monkeypatch):
    made, newer = _imported_after(12, 5)
    monkeypatch.setattr(queries, "COUNT_LIMIT", 9)  # 3 pages of 3 may be walked
    monkeypatch.setattr(queries, "NEWEST_WALK_ROWS", made[0] - made[9])  # 9 matches from the newest one

    page = _page("q=comercial", 3)
    assert (page.number, page.beyond_walk) == (3, None)
    assert [c.pk for c in page] == made[6:9]
