"""Phone numbers: stored in E.164 (+51…), shown in Peru's national format."""

import phonenumbers

DEFAULT_REGION = "PE"


def national_format(e164: str) -> str:
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 51:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
