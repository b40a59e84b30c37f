"""The padrón as a provider of the lupa (customers.lookup): a RUC answered from the local
table, instantly and with no network. DNIs are not in the padrón (they go to the online
provider, when there is one)."""

from datetime import datetime, time

from django.utils import timezone

from customers.lookup import RUC, RegistryProvider, RegistryRecord
from padron import queries


class PadronProvider(RegistryProvider):
    def available(self) -> bool:
        return queries.current_padron() is not None

    def find(self, kind: str, number: str) -> RegistryRecord | None:
        """The padrón's record of the RUC; found=False when the padrón in use lacks it; None
        for a DNI or when no padrón is loaded (then the online provider decides)."""
        if kind != RUC:
            return None
        found = queries.find_in_current_padron(number)
        if found is None:
            return None
        file_date, loaded_at, taxpayer = found
        source = padron_source(file_date)
        # The padrón's date is when SUNAT said so (the customer's registry_checked_at).
        checked_at = timezone.make_aware(datetime.combine(file_date, time(0, 0))) if file_date else loaded_at
        if taxpayer is None:
            return RegistryRecord(kind=kind, number=number, found=False, source=source, checked_at=checked_at)
        return RegistryRecord(
            kind=kind,
            number=number,
            found=True,
            name=taxpayer.name,
            status=taxpayer.status[:40],
            condition=taxpayer.condition[:40],
            street=taxpayer.street,
            ubigeo=taxpayer.ubigeo,
            checked_at=checked_at or timezone.now(),
            source=source,
        )


def padron_source(file_date) -> str:
    return (
        f"padrón reducido del RUC de SUNAT del {file_date:%d/%m/%Y}"
        if file_date
        else "padrón reducido del RUC de SUNAT"
    )
