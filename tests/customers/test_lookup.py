"""RUC and DNI lookup against a real HTTP server on 127.0.0.1 (tests/fake_registry.py, the
`registry` fixture): answers, failures, retries, timeouts, cache and rate limit; the JSON the
form's script reads; and estado/condición saved with the customer and shown on its pages.

requests is never mocked: every lookup here opens a socket to the fake service.
"""

import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from customers import lookup, services
from customers.lookup import LookupFailed, LookupNotConfigured, LookupRateLimited, lookup_document, parse_answer
from customers.models import Customer
from tests.factories import make_address, make_company, valid_dni, valid_ruc
from tests.roles import assert_cannot, user_with_role

pytestmark = pytest.mark.django_db

GLORIA = "20100070970"
MANUAL = "ingrese los datos manualmente"


def gloria(**overrides) -> dict:
    """Gloria S.A. as apis.net.pe answers (flat, camelCase, the ubigeo names appended to the address)."""
    return {
        "nombre": "GLORIA S A",
        "estado": "ACTIVO",
        "condicion": "HABIDO",
        "direccion": "AV. REPUBLICA DE PANAMA NRO. 2461 LIMA LIMA LA VICTORIA",
        "ubigeo": "150115",
        "departamento": "LIMA",
        "provincia": "LIMA",
        "distrito": "LA VICTORIA",
        **overrides,
    }


@pytest.fixture
def ventas_user():
    return user_with_role("Ventas")


def find(kind: str, number: str, actor=None):
    return lookup_document(actor=actor, kind=kind, number=number)


# --- answers ----------------------------------------------------------------------------------


def test_a_found_ruc_gives_the_registry_data(registry):
    registry.add_ruc(GLORIA, **gloria())

    record = find("ruc", GLORIA)

    assert record.found and not record.cached
    assert (record.name, record.status, record.condition) == ("GLORIA S A", "ACTIVO", "HABIDO")
    # The trailing "LIMA LIMA LA VICTORIA" goes to the ubigeo selects, not into the street.
    assert record.street == "AV. REPUBLICA DE PANAMA NRO. 2461"
    assert record.ubigeo == "150115"
    assert lookup.resolve_district(record).name == "La Victoria"
    assert registry.hits(f"/ruc/{GLORIA}") == 1


def test_a_found_dni_gives_names_and_surnames(registry):
    dni = valid_dni()
    registry.add_dni(dni, nombres="ROSA ELENA", apellidoPaterno="QUISPE", apellidoMaterno="ÑAHUI")

    record = find("dni", dni)

    assert (record.first_names, record.last_names) == ("ROSA ELENA", "QUISPE ÑAHUI")
    assert record.name == "ROSA ELENA QUISPE ÑAHUI"
    assert record.status == record.condition == ""


def test_the_token_goes_as_a_bearer_header(registry):
    registry.add_ruc(GLORIA, **gloria())
    find("ruc", GLORIA)
    assert registry.requests[0]["authorization"] == "Bearer token-de-prueba"


def test_a_404_is_not_found(registry):
    record = find("ruc", GLORIA)
    assert not record.found
    assert registry.hits() == 1  # a 4xx is an answer: no retry


# --- failures ---------------------------------------------------------------------------------


def test_a_500_is_retried_then_reported(registry):
    registry.add_ruc(GLORIA, **gloria())
    registry.behaviour = "error"

    with pytest.raises(LookupFailed) as failure:
        find("ruc", GLORIA)

    assert registry.hits() == 3  # the first attempt and LOOKUP_RETRIES = 2 more
    assert failure.value.message == (
        f"No se pudo consultar el RUC {GLORIA} (el servicio tuvo un error, código 500); ingrese los datos manualmente."
    )


def test_a_500_followed_by_an_answer_is_recovered_by_the_retries(registry):
    registry.add_ruc(GLORIA, **gloria())
    registry.behaviour, registry.failures = "error", 2

    assert find("ruc", GLORIA).found
    assert registry.hits() == 3


def test_the_retries_wait_longer_each_time(registry, settings):
    settings.LOOKUP_BACKOFF = 0.1
    registry.behaviour = "error"
    started = time.monotonic()
    with pytest.raises(LookupFailed):
        find("ruc", GLORIA)
    assert time.monotonic() - started >= 0.1 + 0.2


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ("denied", "el servicio rechazó la clave de acceso, error 401"),
        ("busy", "el servicio recibió demasiadas consultas; inténtelo en unos minutos"),
    ],
)
def test_a_4xx_is_never_retried(registry, behaviour, reason):
    registry.behaviour = behaviour
    with pytest.raises(LookupFailed) as failure:
        find("ruc", GLORIA)
    assert registry.hits() == 1
    assert reason in failure.value.message


def test_a_service_that_never_answers_times_out(registry):
    registry.behaviour = "hang"

    with pytest.raises(LookupFailed) as failure:
        find("ruc", GLORIA)

    assert "(el servicio no respondió a tiempo); ingrese los datos manualmente." in failure.value.message
    assert registry.hits() == 3  # a timeout is retried LOOKUP_RETRIES times, no more


def test_an_answer_slower_than_the_read_timeout_is_given_up(registry):
    registry.add_ruc(GLORIA, **gloria())
    registry.behaviour, registry.delay = "slow", 0.6  # LOOKUP_TIMEOUT_READ is 0.3

    with pytest.raises(LookupFailed, match="no respondió a tiempo"):
        find("ruc", GLORIA)


def test_a_slow_answer_within_the_read_timeout_is_used(registry):
    registry.add_ruc(GLORIA, **gloria())
    registry.behaviour, registry.delay = "slow", 0.1

    assert find("ruc", GLORIA).found
    assert registry.hits() == 1


@pytest.fixture
def canary():
    """Another HTTP server on another loopback port: the address a hostile redirect points to."""
    from tests.fake_registry import FakeRegistry

    server = FakeRegistry().start()
    yield server
    server.stop()


def test_a_redirect_to_another_host_is_not_followed(registry, canary):
    canary.add_ruc(GLORIA, **gloria(nombre="DATOS DEL CANARIO"))
    registry.behaviour, registry.redirect_to = "redirect", canary.url

    with pytest.raises(LookupFailed) as failure:
        find("ruc", GLORIA)

    assert canary.hits() == 0
    assert registry.hits() == 1  # a redirect is an answer, not a failure to retry
    assert failure.value.message == (
        f"No se pudo consultar el RUC {GLORIA} (el servicio redirigió la consulta a otra dirección); "
        "ingrese los datos manualmente."
    )


def test_a_redirect_within_the_same_service_is_not_followed_either(registry):
    registry.add_ruc(GLORIA, **gloria())
    registry.behaviour, registry.redirect_to = "redirect", registry.url + "/otra"

    with pytest.raises(LookupFailed, match="redirigió"):
        find("ruc", GLORIA)
    assert registry.hits() == 1


def test_the_view_says_no_se_pudo_consultar_for_a_redirect(client, registry, canary, ventas_user):
    canary.add_ruc(GLORIA, **gloria(nombre="DATOS DEL CANARIO"))
    registry.behaviour, registry.redirect_to = "redirect", canary.url
    client.force_login(ventas_user)

    answer = client.get(lookup_url("ruc", GLORIA)).json()

    assert answer["ok"] is False and answer["error"] == "unavailable"
    assert "CANARIO" not in str(answer)
    assert canary.hits() == 0


def test_one_deadline_bounds_every_attempt_of_a_hanging_service(registry, settings):
    # Ten retries of a 0.3 s read timeout would take over 3 s; the deadline leaves room for
    # the first attempt and part of a second, no more.
    settings.LOOKUP_RETRIES, settings.LOOKUP_DEADLINE = 10, 0.5
    registry.behaviour = "hang"

    with pytest.raises(LookupFailed, match="no respondió a tiempo"):
        find("ruc", GLORIA)

    assert registry.hits() <= 2


def test_one_deadline_bounds_a_trickled_answer_and_its_retries(registry, settings):
    settings.LOOKUP_RETRIES, settings.LOOKUP_DEADLINE = 10, 0.5
    registry.add_ruc(GLORIA, **gloria())
    registry.behaviour, registry.delay = "trickle", 0.05

    with pytest.raises(LookupFailed, match="no respondió a tiempo"):
        find("ruc", GLORIA)

    assert registry.hits() <= 2


def test_an_answer_trickled_byte_by_byte_is_cut_at_the_deadline(registry):
    # Each byte arrives within the read timeout, but the whole answer would take seconds.
    registry.add_ruc(GLORIA, **gloria())
    registry.behaviour, registry.delay = "trickle", 0.05

    with pytest.raises(LookupFailed, match="no respondió a tiempo"):
        find("ruc", GLORIA)
    assert registry.hits() == 3  # each attempt is cut at its read deadline, then retried


def test_a_stopped_service_is_no_connection(registry):
    registry.stop()
    with pytest.raises(LookupFailed, match=r"\(no hay conexión con el servicio\); ingrese los datos manualmente"):
        find("ruc", GLORIA)


def test_garbage_is_reported_and_not_cached(registry):
    registry.behaviour = "garbage"

    for _ in range(2):
        with pytest.raises(LookupFailed, match="respondió datos no válidos"):
            find("ruc", GLORIA)

    assert registry.hits() == 2  # not retried (a 200), not cached either


@pytest.mark.parametrize(
    "answer",
    [b"{not json", b"[1, 2, 3]", b'"GLORIA"', b"{}", b'{"estado": "ACTIVO"}', b"\xff\xfe"],
    ids=["broken", "list", "string", "empty", "no-name", "not-utf8"],
)
def test_answers_that_are_not_a_record_are_refused(registry, answer):
    registry.add("ruc", GLORIA, answer)
    with pytest.raises(LookupFailed, match=MANUAL):
        find("ruc", GLORIA)


def test_an_answer_about_another_number_is_refused(registry):
    registry.add("ruc", GLORIA, {"ruc": "20131312955", "razonSocial": "SUNAT"})
    with pytest.raises(LookupFailed, match="los datos de otro número"):
        find("ruc", GLORIA)


def test_not_configured_makes_no_request(registry, settings):
    settings.LOOKUP_BASE_URL = ""
    with pytest.raises(LookupNotConfigured) as failure:
        find("ruc", GLORIA)
    assert failure.value.message == "La consulta de RUC/DNI no está configurada; ingrese los datos manualmente."
    assert registry.hits() == 0


# --- the number's own rules come first ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "number", "message"),
    [
        ("ruc", "20100070971", "su dígito verificador no corresponde"),
        ("ruc", "2010007097", "debe tener 11 dígitos"),
        ("ruc", "30100070970", "debe empezar con 10, 15, 16, 17 o 20"),
        ("dni", "4567891A", "solo puede tener números"),
        ("dni", "", "Ingrese el DNI"),
        ("pasaporte", "X1234567", "Elija RUC o DNI"),
    ],
)
def test_a_wrong_number_is_refused_before_any_request(registry, kind, number, message):
    with pytest.raises(ValidationError, match=message):
        find(kind, number)
    assert registry.hits() == 0


# --- cache ------------------------------------------------------------------------------------


def test_a_second_lookup_is_answered_by_the_cache(registry):
    registry.add_ruc(GLORIA, **gloria())
    first = find("ruc", GLORIA)
    registry.stop()  # even with the service gone

    second = find("ruc", GLORIA)

    assert second.cached and second.name == first.name and second.checked_at == first.checked_at
    assert registry.hits() == 1


def test_a_not_found_answer_is_cached_too(registry):
    assert not find("ruc", GLORIA).found
    assert not find("ruc", GLORIA).found
    assert registry.hits() == 1


def test_the_cache_is_shared_by_every_user(registry):
    registry.add_ruc(GLORIA, **gloria())
    find("ruc", GLORIA, actor=user_with_role("Ventas"))
    find("ruc", GLORIA, actor=user_with_role("Ventas"))
    assert registry.hits() == 1


def test_the_cache_lives_in_the_database(registry, django_assert_num_queries):
    # DatabaseCache: every app server and worker sees the same answers (settings.CACHES).
    from django.core.cache import cache

    registry.add_ruc(GLORIA, **gloria())
    find("ruc", GLORIA)
    with django_assert_num_queries(1):
        assert cache.get(f"lookup:v1:ruc:{GLORIA}")["name"] == "GLORIA S A"


# --- rate limit -------------------------------------------------------------------------------


@pytest.fixture
def same_minute(monkeypatch):
    """The rate limit counts per clock minute; pin it so a test never straddles two."""
    minute = {"value": 1000}
    monkeypatch.setattr(lookup, "_current_minute", lambda: minute["value"])
    return minute


def test_the_rate_limit_stops_a_user_with_a_spanish_message(registry, settings, same_minute, ventas_user):
    settings.LOOKUP_RATE_LIMIT = 2
    numbers = [valid_ruc() for _ in range(3)]
    find("ruc", numbers[0], actor=ventas_user)
    find("ruc", numbers[1], actor=ventas_user)

    with pytest.raises(LookupRateLimited) as failure:
        find("ruc", numbers[2], actor=ventas_user)

    assert failure.value.message == (
        "Hizo muchas consultas de RUC/DNI seguidas (máximo 2 por minuto). "
        "Espere un minuto o ingrese los datos manualmente."
    )
    assert registry.hits() == 2
    same_minute["value"] += 1  # the next minute
    assert not find("ruc", numbers[2], actor=ventas_user).found


def test_the_rate_limit_is_per_user(registry, settings, same_minute, ventas_user):
    settings.LOOKUP_RATE_LIMIT = 1
    find("ruc", valid_ruc(), actor=ventas_user)
    with pytest.raises(LookupRateLimited):
        find("ruc", valid_ruc(), actor=ventas_user)
    assert not find("ruc", valid_ruc(), actor=user_with_role("Ventas")).found


def test_answers_from_the_cache_do_not_count(registry, settings, same_minute, ventas_user):
    settings.LOOKUP_RATE_LIMIT = 1
    find("ruc", GLORIA, actor=ventas_user)
    for _ in range(3):
        find("ruc", GLORIA, actor=ventas_user)


# --- the shapes of the common services (README "RUC/DNI lookup") -----------------------------

RECORD = {
    "ruc": "20131312955",
    "razonSocial": "SUPERINTENDENCIA NACIONAL DE ADUANAS Y DE ADMINISTRACION TRIBUTARIA - SUNAT",
    "estado": "ACTIVO",
    "condicion": "HABIDO",
    "direccion": "AV. GARCILASO DE LA VEGA NRO. 1472",
    "ubigeo": "150101",
    "departamento": "LIMA",
    "provincia": "LIMA",
    "distrito": "LIMA",
}


@pytest.mark.parametrize(
    "payload",
    [
        RECORD,
        {"data": RECORD},
        {"success": True, "data": RECORD},
        # apiperu.dev: snake_case, the ubigeo as its three codes.
        {
            "success": True,
            "data": {
                "ruc": "20131312955",
                "nombre_o_razon_social": RECORD["razonSocial"],
                "estado": "ACTIVO",
                "condicion": "HABIDO",
                "direccion": "AV. GARCILASO DE LA VEGA NRO. 1472",
                "ubigeo": ["15", "1501", "150101"],
            },
        },
        {**{k: v for k, v in RECORD.items() if k != "razonSocial"}, "razon_social": RECORD["razonSocial"]},
        # SUNAT's own separators after the address.
        {**RECORD, "direccion": "AV. GARCILASO DE LA VEGA NRO. 1472 LIMA - LIMA - LIMA"},
    ],
    ids=["flat", "data", "success-data", "snake-case", "razon_social", "dashes"],
)
def test_every_supported_shape_gives_the_same_record(payload):
    record = parse_answer("ruc", "20131312955", payload)
    assert record.name == RECORD["razonSocial"]
    assert (record.status, record.condition, record.ubigeo) == ("ACTIVO", "HABIDO", "150101")
    assert record.street == "AV. GARCILASO DE LA VEGA NRO. 1472"


@pytest.mark.parametrize(
    "payload",
    [{"success": False, "message": "No se encontraron resultados."}, {"data": None}, {"success": True, "data": None}],
)
def test_answers_that_say_not_found(payload):
    assert parse_answer("ruc", GLORIA, payload) is None


def test_a_dni_in_snake_case():
    record = parse_answer(
        "dni",
        "45678912",
        {
            "success": True,
            "data": {
                "numero": "45678912",
                "nombres": "JUAN",
                "apellido_paterno": "PEREZ",
                "apellido_materno": "GARCIA",
            },
        },
    )
    assert (record.first_names, record.last_names) == ("JUAN", "PEREZ GARCIA")


def test_dashes_mean_empty():
    record = parse_answer("ruc", GLORIA, gloria(direccion="-", ubigeo="-", condicion="-"))
    assert (record.street, record.ubigeo, record.condition) == ("", "", "")


def test_the_district_is_found_by_its_names_when_the_ubigeo_is_missing():
    record = parse_answer(
        "ruc", GLORIA, gloria(ubigeo="", departamento="LIMA", provincia="LIMA", distrito="JESUS MARIA")
    )
    assert lookup.resolve_district(record).code == "150113"


def test_an_unknown_district_is_left_to_the_user():
    record = parse_answer("ruc", GLORIA, gloria(ubigeo="999999", distrito="ATLANTIDA"))
    assert lookup.resolve_district(record) is None


@pytest.mark.parametrize(
    ("status", "condition", "alert"),
    [
        ("ACTIVO", "HABIDO", ""),
        ("", "", ""),
        ("BAJA DE OFICIO", "HABIDO", "RUC en estado BAJA DE OFICIO"),
        ("ACTIVO", "NO HABIDO", "Contribuyente NO HABIDO"),
        ("ACTIVO", "NO HALLADO SE MUDO DE DOMICILIO", "Contribuyente NO HALLADO SE MUDO DE DOMICILIO"),
        ("SUSPENSION TEMPORAL", "NO HABIDO", "RUC en estado SUSPENSION TEMPORAL; contribuyente NO HABIDO"),
    ],
)
def test_which_registry_values_deserve_a_warning(status, condition, alert):
    assert lookup.registry_alert(status, condition) == alert


# --- the view the form's script calls ----------------------------------------------------------


def lookup_url(tipo: str, numero: str) -> str:
    return reverse("customers:document_lookup") + f"?tipo={tipo}&numero={numero}"


def test_the_view_gives_the_form_fields_of_a_ruc(client, registry, ventas_user):
    registry.add_ruc(GLORIA, **gloria(ubigeo="150122", distrito="MIRAFLORES", direccion="AV. LARCO 123"))
    client.force_login(ventas_user)

    answer = client.get(lookup_url("ruc", GLORIA)).json()

    assert answer["ok"] is True
    fields = answer["fields"]
    assert fields["business_name"] == "GLORIA S A"
    assert fields["address_street"] == "AV. LARCO 123"
    assert (fields["address_department"], fields["address_province"], fields["address_district"]) == (
        "15",
        "1501",
        "150122",
    )
    assert (fields["registry_status"], fields["registry_condition"]) == ("ACTIVO", "HABIDO")
    assert "registry_checked_at" not in fields  # the server knows when it asked
    assert answer["message"] == (
        f"RUC {GLORIA}: GLORIA S A — ACTIVO · HABIDO. Fuente: consulta en línea. Revise los datos y guarde."
    )
    assert answer["alert"] == ""


def test_the_view_warns_about_a_ruc_no_habido(client, registry, ventas_user):
    registry.add_ruc(GLORIA, **gloria(condicion="NO HABIDO"))
    client.force_login(ventas_user)
    assert client.get(lookup_url("ruc", GLORIA)).json()["alert"] == "Contribuyente NO HABIDO"


def test_the_view_gives_the_names_of_a_dni(client, registry, ventas_user):
    dni = valid_dni()
    registry.add_dni(dni, nombres="ROSA ELENA", apellidoPaterno="QUISPE", apellidoMaterno="ÑAHUI")
    client.force_login(ventas_user)

    answer = client.get(lookup_url("dni", dni)).json()

    assert answer["fields"] == {
        "first_names": "ROSA ELENA",
        "last_names": "QUISPE ÑAHUI",
        "registry_status": "",
        "registry_condition": "",
    }


def test_the_view_says_not_found(client, registry, ventas_user):
    client.force_login(ventas_user)
    response = client.get(lookup_url("ruc", GLORIA))
    assert response.status_code == 200
    assert response.json() == {
        "ok": False,
        "error": "not_found",
        "message": f"No se encontró el RUC {GLORIA} en el padrón; verifique el número o ingrese los datos manualmente.",
    }


@pytest.mark.parametrize("behaviour", ["error", "hang", "garbage", "busy", "denied"])
def test_the_view_never_fails_when_the_service_does(client, registry, ventas_user, behaviour):
    registry.behaviour = behaviour
    client.force_login(ventas_user)
    response = client.get(lookup_url("ruc", GLORIA))
    assert response.status_code == 200
    answer = response.json()
    assert answer["ok"] is False and answer["error"] == "unavailable"
    assert answer["message"].startswith(f"No se pudo consultar el RUC {GLORIA} (")
    assert answer["message"].endswith("; ingrese los datos manualmente.")


def test_the_view_never_answers_a_500(client, registry, ventas_user, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("la tabla del caché no existe")

    monkeypatch.setattr(lookup, "lookup_document", broken)
    client.force_login(ventas_user)
    response = client.get(lookup_url("ruc", GLORIA))
    assert response.status_code == 200
    assert response.json()["message"] == f"No se pudo consultar el RUC {GLORIA}; ingrese los datos manualmente."


def test_the_view_refuses_a_wrong_check_digit_without_asking(client, registry, ventas_user):
    client.force_login(ventas_user)
    response = client.get(lookup_url("ruc", "20100070971"))
    assert response.status_code == 400
    assert response.json()["message"] == "El RUC no es válido: su dígito verificador no corresponde."
    assert registry.hits() == 0


def test_the_view_says_when_the_rate_limit_is_reached(client, registry, settings, same_minute, ventas_user):
    settings.LOOKUP_RATE_LIMIT = 1
    client.force_login(ventas_user)
    client.get(lookup_url("ruc", valid_ruc()))
    response = client.get(lookup_url("ruc", valid_ruc()))
    assert response.status_code == 429
    assert "máximo 1 por minuto" in response.json()["message"]


def test_the_view_says_when_the_lookup_is_not_configured(client, ventas_user):
    client.force_login(ventas_user)
    answer = client.get(lookup_url("ruc", GLORIA)).json()
    assert answer == {
        "ok": False,
        "error": "not_configured",
        "message": "La consulta de RUC/DNI no está configurada; ingrese los datos manualmente.",
    }


@pytest.mark.parametrize("role", ["Consulta", "Créditos"])
def test_roles_that_cannot_create_or_edit_customers_cannot_look_up(client, registry, role):
    assert_cannot(client, role, "get", lookup_url("ruc", GLORIA))
    assert registry.hits() == 0


def test_the_view_takes_only_get(client, registry, ventas_user):
    client.force_login(ventas_user)
    assert client.post(lookup_url("ruc", GLORIA)).status_code == 405


# --- estado and condición saved with the customer ---------------------------------------------


def company_data(**overrides) -> dict:
    data = {
        "kind": "empresa",
        "document_type": "6",
        "document_number": GLORIA,
        "business_name": "Gloria S.A.",
        "business_line": "Lácteos",
        "address": {"district": "150122", "street": "Av. Larco 123"},
        "registry_status": "ACTIVO",
        "registry_condition": "no  habido",
        "registry_checked_at": "2025-05-12T10:30:00-05:00",
    }
    data.update(overrides)
    return data


def test_the_registry_values_are_saved_with_the_customer():
    customer = services.create_customer(actor=None, data=company_data())
    customer.refresh_from_db()
    assert (customer.registry_status, customer.registry_condition) == ("ACTIVO", "NO HABIDO")
    # This server never asked the registry about it: when is unknown, whatever the caller says.
    assert customer.registry_checked_at is None


def test_the_time_of_the_check_is_the_servers_lookup_never_the_callers(registry):
    registry.add_ruc(GLORIA, **gloria(condicion="NO HABIDO"))
    record = find("ruc", GLORIA)
    for checked_at in ("", "mañana", "2999-01-01T00:00:00+00:00", "0001-01-01T00:00:00+14:00"):
        customer = services.create_customer(actor=None, data=company_data(registry_checked_at=checked_at))
        customer.refresh_from_db()
        assert customer.registry_checked_at == record.checked_at
        Customer.objects.all().delete()


def test_estado_and_condicion_come_from_the_servers_lookup_when_it_made_one(registry):
    registry.add_ruc(GLORIA, **gloria(estado="BAJA DE OFICIO"))
    find("ruc", GLORIA)
    customer = services.create_customer(actor=None, data=company_data(registry_status="ACTIVO"))
    assert (customer.registry_status, customer.registry_condition) == ("BAJA DE OFICIO", "HABIDO")


def test_an_edit_that_keeps_the_registry_values_keeps_their_time():
    when = timezone.now() - timedelta(days=3)
    customer = make_company(
        document_number=GLORIA, registry_status="ACTIVO", registry_condition="HABIDO", registry_checked_at=when
    )
    data = company_data(registry_status="ACTIVO", registry_condition="HABIDO", registry_checked_at="")
    services.update_customer(actor=None, customer=customer, data=data)
    customer.refresh_from_db()
    assert customer.registry_checked_at == when


@pytest.mark.parametrize("value", ["A" * 41, "<script>", "ACTIVO\x00"])
def test_a_registry_value_that_is_not_sunats_is_refused(value):
    with pytest.raises(ValidationError) as failure:
        services.create_customer(actor=None, data=company_data(registry_status=value))
    assert "registry_status" in failure.value.message_dict
    assert not Customer.objects.exists()


def test_only_a_ruc_has_registry_values():
    customer = services.create_customer(
        actor=None,
        data={
            "kind": "persona",
            "document_type": "1",
            "document_number": valid_dni(),
            "first_names": "Rosa",
            "last_names": "Quispe",
            "registry_status": "ACTIVO",
            "registry_condition": "HABIDO",
        },
    )
    assert (customer.registry_status, customer.registry_condition, customer.registry_checked_at) == ("", "", None)


def test_a_caller_without_registry_values_keeps_them_while_the_ruc_stays():
    customer = services.create_customer(actor=None, data=company_data())
    data = {k: v for k, v in company_data().items() if not k.startswith("registry_")}

    services.update_customer(actor=None, customer=customer, data={**data, "business_line": "Leche"})
    customer.refresh_from_db()
    assert customer.registry_condition == "NO HABIDO"

    services.update_customer(actor=None, customer=customer, data={**data, "document_number": "20131312955"})
    customer.refresh_from_db()
    assert (customer.registry_status, customer.registry_condition, customer.registry_checked_at) == ("", "", None)


def test_the_form_carries_the_registry_values_in_hidden_fields(client, ventas_user):
    client.force_login(ventas_user)
    post = {
        "kind": "empresa",
        "document_type": "6",
        "document_number": GLORIA,
        "business_name": "Gloria S.A.",
        "business_line": "Lácteos",
        "address_department": "15",
        "address_province": "1501",
        "address_district": "150122",
        "address_street": "Av. Larco 123",
        "registry_status": "BAJA DE OFICIO",
        "registry_condition": "HABIDO",
        "registry_checked_at": "2025-05-12T10:30:00-05:00",
    }
    response = client.post(reverse("customers:create"), post)
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.registry_status == "BAJA DE OFICIO"

    page = client.get(reverse("customers:update", args=[customer.pk])).content.decode()
    assert 'name="registry_status" value="BAJA DE OFICIO"' in page
    assert "Padrón SUNAT: BAJA DE OFICIO · HABIDO" in page


def test_a_bad_registry_value_shows_under_the_number(client, ventas_user):
    client.force_login(ventas_user)
    response = client.post(
        reverse("customers:create"),
        {"kind": "empresa", "document_type": "6", "document_number": GLORIA, "registry_status": "<b>"},
    )
    assert "Dato del padrón no válido; vuelva a consultar el RUC con la lupa." in response.content.decode()


# --- the pages --------------------------------------------------------------------------------


def test_the_form_has_the_lupa_beside_the_number(client, registry, ventas_user):
    client.force_login(ventas_user)
    page = client.get(reverse("customers:create")).content.decode()
    assert "data-lookup-button" in page and "Buscar RUC o DNI" in page
    assert 'data-lookup-configured="1"' in page


def test_the_form_says_when_the_lookup_is_not_configured(client, ventas_user):
    client.force_login(ventas_user)
    assert 'data-lookup-configured="0"' in client.get(reverse("customers:create")).content.decode()


def test_the_summary_shows_estado_and_condicion_with_a_warning(client, ventas_user):
    customer = make_company(
        registry_status="ACTIVO", registry_condition="NO HABIDO", registry_checked_at=timezone.now()
    )
    make_address(customer=customer)
    client.force_login(ventas_user)

    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert "ACTIVO · NO HABIDO" in page
    assert "Atención: Contribuyente NO HABIDO" in page
    assert page.count('class="badge text-bg-warning registry-alert"') == 1  # in the header, beside the name


def test_the_summary_of_a_ruc_never_looked_up_says_so(client, ventas_user):
    customer = make_company()
    client.force_login(ventas_user)
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Sin consultar" in page
    assert "registry-alert" not in page


def test_the_list_marks_a_ruc_de_baja(client, ventas_user):
    make_company(business_name="Comercial Andina S.A.C.", registry_status="BAJA DE OFICIO", registry_condition="HABIDO")
    make_company(business_name="Gloria S.A.", registry_status="ACTIVO", registry_condition="HABIDO")
    client.force_login(ventas_user)

    page = client.get(reverse("customers:list")).content.decode()

    assert page.count("registry-alert") == 1
    assert "BAJA DE OFICIO" in page
