"""Phone numbers: stored in E.164 (+51…), shown in Peru's national format."""

from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "PE"


# A list page shows each row's phone twice (its column, and under the name on a phone):
# parsing costs about 80 µs a time, and the answer never changes for a number.
@lru_cache(maxsize=8192)
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
