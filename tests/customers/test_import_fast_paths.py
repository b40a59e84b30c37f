"""The import preview's faster replacements, each compared with the behaviour it replaces over
many inputs (issue 17: the preview's CPU)."""

import json
import random
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.functional import lazy

from customers import import_staging
from peru import text, validators


def _reference_dumps(value):
    return None if value is None else json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def _random_value(rng, depth=0):
    scalars = [
        lambda: rng.choice(
            ["", "Av. Larco 123", "Ñandú S.A.C.", "línea\nnueva", 'comillas "dobles"', "\\", "😀", "\t"]
        ),
        lambda: "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(0, 12))),
        lambda: rng.randrange(-(2**63), 2**63),
        lambda: rng.choice([0, 1, -1, 2**53 + 1]),
        lambda: rng.choice([0.0, 1.5, -2.25, 1e16, 1e-7, 123456.789]),
        lambda: rng.choice([True, False, None]),
        lambda: Decimal(rng.choice(["1500.00", "0", "-3.14159", "1E+3", "12345678901234567890.123"])),
        lambda: date(2026, rng.randrange(1, 13), rng.randrange(1, 28)),
        lambda: datetime(2026, 12, 2, 1, 2, 3, rng.choice([0, 123456]), tzinfo=rng.choice([None, UTC])),
        lambda: time(13, 45, rng.randrange(60), rng.choice([0, 500000])),
        lambda: timedelta(days=rng.randrange(5), seconds=rng.randrange(100)),
        lambda: uuid.UUID(int=rng.getrandbits(128)),
        lambda: lazy(lambda: "Lima", str)(),
        lambda: 2**70,  # beyond 64 bits: orjson refuses it, json.dumps writes it
    ]
    if depth < 3 and rng.random() < 0.4:
        if rng.random() < 0.5:
            return [_random_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))]
        keys = [rng.choice(["a", "district_id", "ñ", "1", 1, 2, True, None])]
        return {k: _random_value(rng, depth + 1) for k in keys * rng.randrange(0, 3)}
    return rng.choice(scalars)()


def test_staged_json_reads_back_as_the_standard_encoder_wrote_it():
    rng = random.Random(17)
    for _ in range(20_000):
        value = _random_value(rng)
        ours, reference = import_staging._dumps(value), _reference_dumps(value)
        assert (ours is None) == (reference is None)
        if ours is not None:
            assert json.loads(ours) == json.loads(reference), (value, ours, reference)


def test_staged_json_of_a_customers_columns_is_the_standard_encoders():
    columns = import_staging.new_customer_columns()
    columns.update(attributes={"3": ["a", "b"], "7": "1500.50"}, registry_checked_at="2026-12-02T01:02:03+00:00")
    assert json.loads(import_staging._dumps(columns)) == json.loads(_reference_dumps(columns))


# --- peru.text.control_character_errors: one search over every text first -------------------


def _reference_control_character_errors(data: dict, *, skip=()) -> dict:
    """control_character_errors as it was before its one-search fast path (commit 746cff8)."""
    import re

    control = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
    errors = {}

    def holds(value) -> bool:
        if value.__class__ is str:
            return control.search(value) is not None
        if value is None or value.__class__ in (bool, int, float):
            return False
        if isinstance(value, dict):
            return any(holds(k) or holds(v) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return any(holds(item) for item in value)
        return isinstance(value, str) and control.search(value) is not None

    for key, value in data.items():
        if key in skip:
            continue
        if isinstance(value, dict):
            for sub, sub_value in value.items():
                if holds(sub) or holds(sub_value):
                    errors[f"{key}_{sub}"] = [text.CONTROL_MESSAGE]
        elif holds(key) or holds(value):
            errors[str(key)] = [text.CONTROL_MESSAGE]
    return errors


class _Text(str):
    pass


def _random_text(rng):
    # Now and then one character from around the control ranges (tab, LF and CR are allowed).
    alphabet = "abc ÁÑ\t\n\r" + "".join(map(chr, (0, 1, 8, 0x0B, 0x0C, 0x0E, 0x1F, 0x7F, 0x80, 0x9F, 0xA0)))
    chars = [rng.choice("abcdef ñ") for _ in range(rng.randrange(0, 8))]
    if rng.random() < 0.15:
        chars.insert(rng.randrange(len(chars) + 1), rng.choice(alphabet))
    value = "".join(chars)
    return _Text(value) if rng.random() < 0.1 else value


def _random_input(rng, depth=0):
    choice = rng.random()
    if depth < 3 and choice < 0.15:
        return {_random_key(rng): _random_input(rng, depth + 1) for _ in range(rng.randrange(0, 4))}
    if depth < 3 and choice < 0.3:
        items = [_random_input(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
        return tuple(items) if rng.random() < 0.3 else items
    if choice < 0.4:
        return rng.choice([None, True, False, 0, 17, 1.5, Decimal("2.5"), date(2026, 1, 1), object()])
    return _random_text(rng)


def _random_key(rng):
    return rng.choice(["street", "emails", "phones", "attributes", 3]) if rng.random() < 0.7 else _random_text(rng)


def test_control_character_errors_answer_as_the_search_of_each_text_did():
    rng = random.Random(1717)
    found = 0
    for _ in range(30_000):
        data = {_random_key(rng): _random_input(rng) for _ in range(rng.randrange(0, 8))}
        skip = rng.choice([(), ("attributes",), ("attributes", "street")])
        expected = _reference_control_character_errors(data, skip=skip)
        assert text.control_character_errors(data, skip=skip) == expected, (data, skip)
        found += bool(expected)
    assert 3_000 < found < 27_000  # both answers were compared many times


# --- peru.validators.validate_ruc: the check digit without python-stdnum's cleaning -----------


def _reference_validate_ruc(value):
    """validate_ruc as it was, with python-stdnum's is_valid (commit 746cff8)."""
    from stdnum.pe import ruc as stdnum_ruc

    value = validators._digits_only(value, "RUC", 11)
    if not value.startswith(validators.RUC_PREFIXES):
        raise ValidationError("El RUC debe empezar con 10, 15, 16, 17 o 20.", code="prefix")
    if not stdnum_ruc.is_valid(value):
        raise ValidationError("El RUC no es válido: su dígito verificador no corresponde.", code="check_digit")
    return value


def _outcome(check, value):
    try:
        return ("ok", check(value))
    except ValidationError as exc:
        return ("error", exc.code, exc.messages)


def test_validate_ruc_answers_as_python_stdnum_did():
    from stdnum.pe import ruc as stdnum_ruc

    rng = random.Random(20)
    samples = [
        "",
        " ",
        "2010007097O",
        "20100070970",
        "２０１００７０９７０",
        "20 100 070 970",
        "201000709701",
        "2010007097",
    ]
    for _ in range(60_000):
        body = rng.choice(["10", "15", "16", "17", "20", "11", "99", "00"]) + f"{rng.randrange(10**8):08d}"
        right = body + stdnum_ruc.calc_check_digit(body)
        samples += [right, body + str(rng.randrange(10))]
        if rng.random() < 0.05:
            samples.append(right[:5] + " " + right[5:])
    valid = 0
    for value in samples:
        expected = _outcome(_reference_validate_ruc, value)
        assert _outcome(validators.validate_ruc, value) == expected, value
        valid += expected[0] == "ok"
    assert valid > 30_000  # valid and invalid ones both compared many times


# --- customers.import_columns: a district named by its names, found once per file ------------


def test_a_district_by_name_answers_the_same_from_the_files_memory(db):
    from customers import import_columns as cols

    lookups, fresh_lookups = cols.Lookups.load(), cols.Lookups.load()
    places = [
        ("Miraflores", "Lima", "Lima"),
        ("miraflores", "", ""),  # two of them: ambiguous
        ("MIRAFLORES", "Arequipa", ""),
        ("Miraflores", "", "04"),
        ("San Isidro", "Lima", "15"),
        ("Atlantida", "Lima", "Lima"),  # no such district
        ("Chachapoyas", "Chachapoyas", "Amazonas"),
        ("Santa Rosa", "", ""),
        ("Huancayo", "1201", ""),
    ]
    for place in places * 3:
        fresh_errors, errors = {}, {}
        fresh = cols._find_district(*place, fresh_lookups, fresh_errors)
        assert cols._district_by_name(*place, lookups, errors) == fresh, place
        assert errors == fresh_errors, place
    assert len(lookups.districts_named) == len(places)
    assert any(fresh is None for fresh in (cols._find_district(*p, lookups, {}) for p in places))


# --- peru.text.phone_digits: a stored E.164 number without a walk over its characters ----------


def _reference_phone_digits(e164: str) -> str:
    digits = "".join(ch for ch in e164.partition(";")[0] if ch.isdigit())
    if digits.startswith("51") and len(digits) > 2 and digits[2] != "9":
        return f"{digits} 0{digits[2:]}"
    return digits


def test_phone_digits_answer_as_the_walk_over_each_character_did():
    rng = random.Random(22)
    alphabet = "0123456789+;- ()x٤४４²"  # other scripts' digits, full-width, superscript
    samples = ["", "+", "+51987654321", "+5114445555", "+5114445555;123", "+14155550123", "51987654321", "+51٤٤٤"]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 16))) for _ in range(20_000)]
    samples += ["+" + "".join(rng.choice("0123456789") for _ in range(rng.randrange(0, 14))) for _ in range(5_000)]
    for sample in samples:
        assert text.phone_digits(sample) == _reference_phone_digits(sample), sample


# --- customers.import_staging: a matched customer's columns read from its __dict__ -------------


def _stored_columns(customer) -> dict:
    """The reference: every updated column of ``customer`` as JSON, through the model's getattr."""
    return {column: import_staging._plain(getattr(customer, attname)) for column, attname in import_staging._UPDATED}


def _changed_columns(before: dict, after: dict) -> dict:
    """The reference: the updated columns whose value in ``after`` differs from ``before``."""
    return {c: after[c] for c in import_staging.UPDATED_COLUMNS if after[c] != before.get(c)}


def test_a_customers_field_values_are_what_its_fields_return_loaded_or_deferred(db):
    from customers.models import Customer
    from tests.factories import make_company

    company = make_company(business_name="Columnas S.A.C.")
    loaded = Customer.objects.get(pk=company.pk)
    expected = _stored_columns(loaded)
    for customer in (loaded, Customer.objects.only("id", "name").get(pk=company.pk)):
        # A customer read with only some fields: the others are fetched, not taken as missing.
        assert {
            column: import_staging.stored_column(customer, column) for column in import_staging.UPDATED_COLUMNS
        } == expected


def test_an_updates_changed_columns_are_the_comparison_of_every_column(db):
    # changed_from (only the columns the cleaned fields write) against the comparison of every
    # updated column with the cleaned fields over them, for changes of every kind of column.
    from customers.models import Customer, DocumentType
    from tests.factories import make_company

    company = make_company(business_name="Columnas S.A.C.")
    Customer.objects.filter(pk=company.pk).update(
        registry_checked_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC), attributes={"3": "azul"}
    )
    customer = Customer.objects.get(pk=company.pk)
    ruc = DocumentType.objects.get(pk=customer.document_type_id)
    rng = random.Random(17)
    candidates = {
        "business_name": ["Columnas S.A.C.", "Otra S.A.C.", ""],
        "business_line": [customer.business_line, "Comercio"],
        "phone": [customer.phone, "+51900000000", ""],
        "document_type": [ruc, None],
        "document_number": [customer.document_number, "20100070970"],
        "requests_detraction": [True, False],
        "attributes": [{"3": "azul"}, {"3": "rojo"}, {}],
        "registry_checked_at": [
            customer.registry_checked_at,
            datetime(2026, 12, 1, 5, 0, tzinfo=timezone(timedelta(hours=-5))),  # the same instant
            datetime(2026, 12, 2, 10, 0, tzinfo=UTC),
            None,
        ],
        "notification_emails": [[], ["a@b.pe"]],
    }
    for _ in range(300):
        fields = {name: rng.choice(values) for name, values in candidates.items() if rng.random() < 0.7}
        copies = {"search_text": rng.choice([customer.search_text, "otro"]), "has_whatsapp": rng.random() < 0.5}
        before = _stored_columns(customer)
        after = {**import_staging.with_fields(before, fields), **copies}
        new = {**import_staging.with_fields({}, fields, copy=False), **copies}
        assert import_staging.changed_from(customer, new) == _changed_columns(before, after), fields
        assert list(import_staging.changed_from(customer, new)) == list(_changed_columns(before, after))


def test_an_updates_note_from_the_changed_fields_is_the_note_of_the_whole_states(db):
    # importing._changed_values (the recorded fields the cleaned ones change) gives the same
    # lines, and the same "anything changed", as describe_changes over every recorded field.
    from customers import importing
    from customers.history import describe_changes
    from customers.models import Customer, DocumentType
    from tests.factories import make_company

    company = make_company(business_name="Notas S.A.C.")
    customer = Customer.objects.get(pk=company.pk)
    ruc = DocumentType.objects.get(pk=customer.document_type_id)
    attnames = [f.attname for f in importing._tracked()]
    rng = random.Random(17)
    candidates = {
        "business_name": ["Notas S.A.C.", "Otra S.A.C.", ""],
        "business_line": [customer.business_line, "Comercio", None],
        "phone": [customer.phone, "+5114701234", ""],
        "document_type": [ruc, None],
        "requests_detraction": [True, False, None],
        "attributes": [customer.attributes, {"3": "rojo"}, {}],
        "notification_emails": [[], ["a@b.pe"]],
        "description": ["", None, "Texto"],
    }
    for _ in range(300):
        fields = {name: rng.choice(values) for name, values in candidates.items() if rng.random() < 0.7}
        whole_before = {name: getattr(customer, name) for name in attnames}
        whole_after = {**whole_before}
        for name, value in fields.items():
            attname = importing._ATTNAMES.get(name, name)
            if attname in whole_after:  # a recorded field (the history's)
                whole_after[attname] = value.pk if hasattr(value, "_meta") else value
        before, after = importing._changed_values(customer, fields)
        assert describe_changes(Customer, before, after) == describe_changes(Customer, whole_before, whole_after)
        assert bool(before) == (whole_before != whole_after), fields


# --- peru.text.control_character_errors: the look first, at the input as JSON ----------------


def test_every_control_character_is_found_wherever_it_is_in_the_input():
    # Each code point of the Basic Multilingual Plane (lone surrogates included: orjson refuses
    # them, and the rule then searches each value), alone and inside texts nested as services
    # receive them: the answer is the reference's.
    found = 0
    for code in range(0x10000):
        character = chr(code)
        data = {
            "business_name": f"a{character}b",
            "address": {"street": "Av. Larco 1", "district": object()},
            "phones": [{"number": character, "whatsapp": True}],
            character: "clave",
        }
        expected = _reference_control_character_errors(data, skip=("attributes",))
        assert text.control_character_errors(data, skip=("attributes",)) == expected, hex(code)
        found += bool(expected)
    assert found == 29 + 1 + 32  # C0 but tab, line feed and carriage return; DEL; C1


def test_texts_that_look_like_escapes_are_not_taken_for_control_characters():
    # A backslash, a quote, "¿", "º" and friends make the JSON look twice; the answer stays no.
    data = {"street": 'Jr. "Lima" \\ 1\\b2\\f3\\u0000', "note": "¿Nº 5? ¡Sí! ° ª", "lines": "uno\ndos\tres\r"}
    assert text.control_character_errors(data) == {}
    assert text._any_control_character({"note": "¿Nº 5?"}) is False
    assert text._any_control_character({"street": "Av. Larco 1", "phones": ["+51987654321"], "n": 3}) is False


def test_other_digits_are_found_as_the_walk_over_each_character_found_them():
    for code in range(0x30000):
        value = f"98765{chr(code)}4321"
        expected = any(ch.isdigit() and not "0" <= ch <= "9" for ch in value)
        assert text.has_other_digits(value) == expected, hex(code)


# --- peru.text.dotless_initials: the runs found from their first dot --------------------------


def test_dotless_initials_answer_as_the_pattern_tried_at_every_character_did():
    import re

    reference = re.compile(r"(?<![^\W_])(?:[^\W_]\.)+[^\W_]\.?(?![^\W_])")
    rng = random.Random(23)
    samples = ["s.a.c.", "e.i.r.l", "ventas@a.b.c.pe", "x a.b.cd.e", "a.b.c..", "s.a.c 2010 s.r.l.", ".", "a.", "_a.b"]
    alphabet = "ab1._ .-@ñÁ٤\n"
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 16))) for _ in range(100_000)]
    for sample in samples:
        expected = [match.group().replace(".", "") for match in reference.finditer(sample)]
        assert text.dotless_initials(sample) == expected, sample


# --- peru.validators.normalize_email: Django's patterns compiled once ------------------------


def test_emails_are_judged_as_djangos_own_validator_judges_them():
    from django.core.validators import EmailValidator

    django_validator = EmailValidator(message="")
    rng = random.Random(24)
    parts = ["ventas", "a", "", ".", "..", "x.y", "ñandú", "münchen", "-", "_", '"q"', "[1.2.3.4]", "[::1]"]
    parts += ["localhost", "gloria", "pe", "com.pe", "xn--mnchen-3ya", "a" * 64, "a" * 70, "1", "ü"]
    samples = ["ventas@gloria.pe", "a@b", "a@[127.0.0.1]", "a@[::1]", "a@localhost", "@gloria.pe", "a@"]
    for _ in range(20_000):
        local = "".join(rng.choice(parts) for _ in range(rng.randrange(0, 3)))
        domain = ".".join(rng.choice(parts) for _ in range(rng.randrange(0, 4)))
        samples.append(f"{local}@{domain}" if rng.random() < 0.9 else local + domain)

    def judged(check, value):
        try:
            check(value)
        except ValidationError:
            return False
        return True

    accepted = 0
    for sample in samples:
        expected = judged(django_validator, sample)
        assert judged(validators._email_validator, sample) == expected, sample
        accepted += expected
    assert 500 < accepted < len(samples) - 500  # both answers compared many times


# --- customers.history.describe_changes: only the fields it is given -------------------------


def _reference_describe_changes(model, old: dict, new: dict) -> list[str]:
    """describe_changes as it was, over every recorded field (commit 2da4022)."""
    from customers import history
    from customers.models import Customer

    lines = []
    for f in history.tracked_fields(model):
        if f.name in history._HIDDEN or f.attname == "customer_id":
            continue
        before, after = old.get(f.attname), new.get(f.attname)
        if history._same(before, after):
            continue
        lines.append(f"{history._label(f)}: {history.display_value(f, before)} → {history.display_value(f, after)}")
    if model is Customer:
        lines += history._describe_contact_points(old, new)
        lines += history._describe_attributes(old.get("attributes") or {}, new.get("attributes") or {})
    return lines


def test_describe_changes_says_what_it_said_looking_at_every_recorded_field(db):
    from customers import history
    from customers.models import Address, Contact, Customer

    values = ["", None, "Texto", "Otro texto", True, False, 0, 3, "PE", "CL", "company", "person"]
    rng = random.Random(25)
    for model in (Customer, Address, Contact):
        attnames = [f.attname for f in history.tracked_fields(model) if not f.is_relation]
        attnames += ["phones", "emails", "no_es_un_campo", "customer_id"]
        for _ in range(2_000):
            old = {name: rng.choice(values) for name in rng.sample(attnames, rng.randrange(0, len(attnames)))}
            new = {name: rng.choice(values) for name in rng.sample(attnames, rng.randrange(0, len(attnames)))}
            pairs = model is Customer  # a customer's phones: [number, whatsapp]; a contact's: numbers
            for state in (old, new):
                if "phones" in state:
                    state["phones"] = rng.choice([[], [["+51987654321", True]], [["+5114701234", False]]])
                    state["phones"] = state["phones"] if pairs else [number for number, _ in state["phones"]]
            for state in (old, new):
                if "emails" in state:
                    state["emails"] = rng.choice([[], ["a@b.pe"], ["a@b.pe", "c@d.pe"]])
                if "attributes" in state:
                    state["attributes"] = rng.choice([{}, {"999": "a"}, {"999": "b"}])
                for name in ("notification_emails", "notification_whatsapp"):
                    if name in state:
                        state[name] = rng.choice([[], None, ["a@b.pe"], ["+51987654321"]])
            assert history.describe_changes(model, old, new) == _reference_describe_changes(model, old, new)


# --- customers.importing._array_literal: a chunk's values as one array text -----------------


def test_an_array_literal_reads_back_as_the_list_psycopg_would_have_sent(db):
    from django.db import connection

    from customers.importing import _array_literal

    rng = random.Random(26)
    pieces = ["", "a", " ", '"', "\\", ",", "{", "}", "NULL", "null", "ñ", "'", "\t", "\n", "😀", "20100070970", "a b"]
    texts = [["20100070970", "10468127511"], [], [""], ["NULL"], ['"', "\\", '\\"', "{}", "a,b"]]
    texts += [["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 5))) for _ in range(rng.randrange(1, 30))]]
    texts += [[rng.choice(pieces) * rng.randrange(1, 4) for _ in range(50)] for _ in range(40)]
    with connection.cursor() as cursor:
        for values in texts:
            cursor.execute("SELECT %s::text[], %s::text[]", [_array_literal(values), list(values)])
            ours, psycopgs = cursor.fetchone()
            assert ours == psycopgs == list(values), values
        numbers = [rng.randrange(-(2**63), 2**63) for _ in range(200)] + [0, 1, 2**31]
        cursor.execute("SELECT %s::bigint[], %s::bigint[]", [_array_literal(numbers), numbers])
        ours, psycopgs = cursor.fetchone()
        assert ours == psycopgs == numbers


# --- config.dbtypes: a UTC time read by datetime.fromisoformat -------------------------------


def test_times_load_as_the_python_parse_of_psycopg_and_django_loads_them(db):
    from django.db import connection
    from psycopg.pq import Format

    with connection.cursor() as cursor:
        adapters = cursor.cursor.adapters
        oid = adapters.types["timestamptz"].oid
        loader_class = adapters.get_loader(oid, Format.TEXT)
        fast = loader_class(oid, cursor.cursor)
        slow = loader_class(oid, cursor.cursor)
        assert fast._utc  # Django's set-up: the connection in UTC, UTC as the tzinfo
        slow._utc = False  # base.load's answer, through the safe checks as before
        # Times as PostgreSQL writes them: every precision of the fraction, years 1 to 9999
        # and past them, BC, infinity.
        cursor.execute(
            "SELECT (timestamptz '0001-01-01 00:00:00+00' + random() * interval '3650000 days')::text"
            " FROM generate_series(1, 3000)"
            " UNION ALL SELECT date_trunc(unit, now() + random() * interval '400 days')::text"
            " FROM generate_series(1, 200), unnest(array['second', 'milliseconds', 'minute', 'day']) unit"
            " UNION ALL SELECT unnest(array['0001-01-01 00:00:00+00', '0001-01-02 00:00:00.5+00',"
            " '9999-12-31 23:59:59.999999+00', '10000-01-01 00:00:00+00', '0044-03-15 00:00:00+00 BC',"
            " 'infinity', '-infinity', '2026-12-02 12:00:00.1+00', '2026-12-02 12:00:00.123+00'])::timestamptz::text"
        )
        texts = [row[0].encode() for row in cursor.fetchall()]
    assert len(texts) > 3_000
    for data in texts:
        expected = slow.load(data)
        value = fast.load(memoryview(data))
        assert value == expected and repr(value) == repr(expected), data


# --- customers.importing._loaded: matched customers built from their values --------------------


def test_matched_customers_are_the_instances_django_builds(db):
    from django.db.models import signals

    from customers.importing import _loaded
    from customers.models import Category, Customer
    from tests.factories import make_company, make_person

    category = Category.objects.create(name="Mayorista")
    made = [
        make_company(category=category, notification_emails=["a@b.pe"], attributes={"1": "x"}),
        make_person(is_active=False),
    ]
    # Model.__init__ sends these; _loaded does not call it, so no receiver may wait for them.
    assert not signals.pre_init.has_listeners(Customer)
    assert not signals.post_init.has_listeners(Customer)
    queryset = Customer.objects.filter(pk__in=[c.pk for c in made]).order_by("pk")
    for ours, django in zip(_loaded(queryset), queryset, strict=True):
        assert ours.__class__ is Customer
        state, django_state = ours.__dict__.pop("_state"), django.__dict__.pop("_state")
        assert ours.__dict__ == django.__dict__
        assert list(ours.__dict__) == list(django.__dict__)
        assert (state.adding, state.db, state.fields_cache) == (django_state.adding, django_state.db, {})
        ours._state, django._state = state, django_state
        assert ours.category == django.category
        assert ours.document_type.pk == ours.document_type_id
        assert ours.get_deferred_fields() == set()


# --- customers.import_columns.cell_texts: a file's repeated words read once --------------------


def test_a_rows_texts_from_the_files_memory_are_the_texts_read_afresh():
    from customers import import_columns as cols

    rng = random.Random(23)
    words = ["Empresa", " RUC ", "Lima", "=1+1", "'=SUMA(A1)", "Av.\u00a0Larco  1", "", "  ", "Miraflores"]
    known = {}
    for _ in range(5_000):
        cells = {
            key: rng.choice([*words, None, 20100070970.0, 7, True, date(2026, 1, 2), f"Cliente {rng.random()}"])
            for key in ("kind", "document_type", "business_name", "department", "street")
        }
        assert cols.cell_texts(cells, known) == cols.cell_texts(cells)
    assert len(known) <= cols.KNOWN_TEXTS
    assert all(key.__class__ is str for key in known)
