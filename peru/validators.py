"""Field-level rules for Peruvian customer data. Each function raises ValidationError with a
Spanish message that says what is wrong, or returns the normalised value."""

import re
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from peru.phones import DEFAULT_REGION, parse_phone
from peru.text import has_other_digits, normalize_digits

# SUNAT: RUC prefixes — 10 persona natural, 15/16/17 special cases, 20 persona jurídica.
RUC_PREFIXES = ("10", "15", "16", "17", "20")


_ASCII_DIGITS = re.compile(r"[0-9]+")


def _digits_only(value: str, label: str, length: int) -> str:
    value = normalize_digits(value).strip().replace(" ", "")
    if not value:
        raise ValidationError(f"Ingrese el {label}.", code="required")
    if not _ASCII_DIGITS.fullmatch(value):
        raise ValidationError(f"El {label} solo puede tener números.", code="not_digits")
    if len(value) != length:
        raise ValidationError(f"El {label} debe tener {length} dígitos (tiene {len(value)}).", code="length")
    return value


def validate_ruc(value: str) -> str:
    value = _digits_only(value, "RUC", 11)
    if not value.startswith(RUC_PREFIXES):
        raise ValidationError("El RUC debe empezar con 10, 15, 16, 17 o 20.", code="prefix")
    if not _ruc_check_digit_holds(value):
        raise ValidationError("El RUC no es válido: su dígito verificador no corresponde.", code="check_digit")
    return value


# python-stdnum's RUC rule (stdnum.pe.ruc.is_valid), for 11 ASCII digits: its prefixes (16 is
# not among them: such a RUC fails as a wrong check digit) and its mod-11 check digit, weights
# 5 4 3 2 7 6 5 4 3 2. Written out because the import checks one RUC a row and stdnum's
# cleaning and generators were a twentieth of the preview's time; a test compares the two.
_STDNUM_PREFIXES = ("10", "15", "17", "20")
_ZEROS = 48 * 41  # "0" is 48; the weights add up to 41


def _ruc_check_digit_holds(value: str) -> bool:
    if not value.startswith(_STDNUM_PREFIXES):
        return False
    d = value.encode("ascii")
    total = 5 * d[0] + 4 * d[1] + 3 * d[2] + 2 * d[3] + 7 * d[4] + 6 * d[5] + 5 * d[6] + 4 * d[7] + 3 * d[8] + 2 * d[9]
    return d[10] - 48 == (11 - (total - _ZEROS) % 11) % 10


def validate_dni(value: str) -> str:
    return _digits_only(value, "DNI", 8)


# Foreign documents (SUNAT catálogo 06): letters and digits; SUNAT accepts up to 12 characters for
# carné de extranjería and pasaporte and up to 15 for the others.
_FOREIGN_MAX = {"4": 12, "7": 12}
_FOREIGN_PATTERN = re.compile(r"^[A-Z0-9-]+$")


def validate_foreign_document(code: str, value: str) -> str:
    value = normalize_digits(value).strip().upper().replace(" ", "")
    if not value:
        raise ValidationError("Ingrese el número de documento.", code="required")
    maximum = _FOREIGN_MAX.get(code, 15)
    if len(value) > maximum:
        raise ValidationError(f"El número de documento admite hasta {maximum} caracteres.", code="length")
    if not _FOREIGN_PATTERN.match(value):
        raise ValidationError("El número de documento solo puede tener letras, números y guiones.", code="chars")
    return value


def _phone_text(value: str) -> str:
    """What was typed, with digits of other scripts (Arabic-Indic, full-width…) as 0-9."""
    raw = normalize_digits(value or "").strip()
    if has_other_digits(raw):
        raise ValidationError(f"«{raw}» no es un teléfono válido: escriba los números con 0-9.", code="invalid")
    return raw


def normalize_phone(value: str, region: str = DEFAULT_REGION, *, department: str = "") -> str:
    """'999 111 222' -> '+51999111222'; '(01) 470 1234 anexo 205' -> '+5114701234;ext=205'
    (peru.phones.parse_phone says what is accepted). Raises if it is not a possible number."""
    return parse_phone(_phone_text(value), region, department=department).stored


def normalize_whatsapp(value: str, region: str = DEFAULT_REGION) -> str:
    """A WhatsApp number: a phone without an anexo (a chat cannot dial an extension)."""
    phone = parse_phone(_phone_text(value), region)
    if phone.extension:
        raise ValidationError(f"«{value.strip()}»: un número de WhatsApp no lleva anexo.", code="extension")
    return phone.e164


def _email_validator_compiled() -> EmailValidator:
    """Django's EmailValidator with its own patterns compiled here, once: its class holds them
    behind lazy proxies, whose calls cost twice the matching itself (an import checks an e-mail
    or two a row)."""
    validator = EmailValidator(message="")
    for name in ("user_regex", "domain_regex", "literal_regex"):
        lazy = getattr(EmailValidator, name)
        setattr(validator, name, re.compile(lazy.pattern, lazy.flags))
    return validator


_email_validator = _email_validator_compiled()


def normalize_email(value: str) -> str:
    email = (value or "").strip().lower()
    if not email:
        raise ValidationError("Ingrese el correo electrónico.", code="required")
    if len(email) > 254:
        raise ValidationError("El correo electrónico es demasiado largo (máximo 254 caracteres).", code="length")
    try:
        _email_validator(email)
    except ValidationError:
        raise ValidationError(f"«{value.strip()}» no es un correo electrónico válido.", code="invalid") from None
    return email


_url_validator = URLValidator(schemes=["http", "https"])


def normalize_url(value: str) -> str:
    url = (value or "").strip()
    if url and "://" not in url:
        url = "https://" + url
    try:
        _url_validator(url)
    except ValidationError:
        raise ValidationError(f"«{value.strip()}» no es una dirección web válida.", code="invalid") from None
    if len(url) > 300:
        raise ValidationError("La dirección web es demasiado larga (máximo 300 caracteres).", code="length")
    return url


# Social networks: a handle ("@usuario" or "usuario") or a URL of that network, stored as the URL.
SOCIAL_NETWORKS = {
    # field: (label, hosts, profile URL template, handle pattern)
    "facebook": ("Facebook", ("facebook.com", "fb.com"), "https://www.facebook.com/{}", r"[A-Za-z0-9.]{5,50}"),
    "instagram": ("Instagram", ("instagram.com",), "https://www.instagram.com/{}", r"[A-Za-z0-9._]{1,30}"),
    "tiktok": ("TikTok", ("tiktok.com",), "https://www.tiktok.com/@{}", r"[A-Za-z0-9._]{2,24}"),
    "x": ("X", ("x.com", "twitter.com"), "https://x.com/{}", r"[A-Za-z0-9_]{1,15}"),
    "linkedin": ("LinkedIn", ("linkedin.com",), "https://www.linkedin.com/in/{}", r"[A-Za-z0-9-]{3,100}"),
    "youtube": ("YouTube", ("youtube.com", "youtu.be"), "https://www.youtube.com/@{}", r"[A-Za-z0-9._-]{3,30}"),
}


def normalize_social(network: str, value: str) -> str:
    label, hosts, template, pattern = SOCIAL_NETWORKS[network]
    raw = (value or "").strip()
    handle = raw[1:] if raw.startswith("@") else raw
    if re.fullmatch(pattern, handle):
        return template.format(handle)
    url = raw if "://" in raw else "https://" + raw
    host = (urlparse(url).hostname or "").lower()
    if any(host == h or host.endswith("." + h) for h in hosts):
        return normalize_url(url)
    raise ValidationError(
        f"«{raw}» no es un usuario ni una dirección de {label} (ej.: @usuario o {template.format('usuario')}).",
        code="invalid",
    )
