"""What the API reads and answers (published in /api/v1/openapi.json)."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

# Long enough for any field of the customer form (its own limits answer with Spanish messages);
# anything longer is refused before it reaches the services.
TEXT = 5000


class Error(Schema):
    detail: str = Field(..., description="Qué pasó, en español.")
    errors: dict[str, list[str]] | None = Field(None, description="Mensajes por campo (nombre del campo → mensajes).")


class MergedOut(Schema):
    detail: str = Field(..., description="Qué pasó, en español.")
    merged_into: int = Field(..., description="Id del cliente en que se fusionó este (Location apunta a él).")


class PhoneIn(Schema):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(..., max_length=40)
    whatsapp: bool = False


class AddressIn(Schema):
    model_config = ConfigDict(extra="forbid")
    district: str | None = Field(None, max_length=6, description="Ubigeo INEI de 6 dígitos.")
    street: str | None = Field(None, max_length=TEXT)
    unit: str | None = Field(None, max_length=TEXT)
    reference: str | None = Field(None, max_length=TEXT)


class CustomerIn(Schema):
    """The customer's data, as the customer form takes it (the same validation applies)."""

    model_config = ConfigDict(extra="forbid")
    kind: str | None = Field(None, description="empresa | persona")
    is_foreign: bool | None = None
    document_type: str | None = Field(
        None, max_length=2, description="Código del catálogo 06 de SUNAT (1 DNI, 6 RUC…)."
    )
    document_number: str | None = Field(None, max_length=40)
    business_name: str | None = Field(None, max_length=TEXT)
    first_names: str | None = Field(None, max_length=TEXT)
    last_names: str | None = Field(None, max_length=TEXT)
    business_line: str | None = Field(None, max_length=TEXT)
    contact_name: str | None = Field(None, max_length=TEXT)
    country: str | None = Field(None, max_length=2, description="ISO 3166-1 alfa-2 (extranjeros).")
    category: int | None = None
    customer_class: int | None = None
    requests_detraction: bool | None = None
    loyalty_enrolled: bool | None = None
    phones: list[PhoneIn] | None = Field(None, max_length=50)
    emails: list[str] | None = Field(None, max_length=50)
    notification_emails: list[str] | None = Field(None, max_length=50)
    notification_whatsapp: list[str] | None = Field(None, max_length=50)
    website: str | None = Field(None, max_length=TEXT)
    facebook: str | None = Field(None, max_length=TEXT)
    instagram: str | None = Field(None, max_length=TEXT)
    tiktok: str | None = Field(None, max_length=TEXT)
    x: str | None = Field(None, max_length=TEXT)
    linkedin: str | None = Field(None, max_length=TEXT)
    youtube: str | None = Field(None, max_length=TEXT)
    note: str | None = Field(None, max_length=TEXT)
    additional_info: str | None = Field(None, max_length=TEXT)
    description: str | None = Field(None, max_length=TEXT)
    address: AddressIn | None = Field(None, description="Dirección principal (fiscal).")
    attributes: dict[str, Any] | None = Field(None, description="Atributos adicionales: nombre → valor.")


class PhoneOut(Schema):
    number: str
    whatsapp: bool


class AddressOut(Schema):
    id: int
    kind: str
    is_default: bool
    street: str
    unit: str
    reference: str
    country: str
    district: str | None
    district_name: str | None
    province_name: str | None
    department_name: str | None


class ContactOut(Schema):
    id: int
    name: str
    role: str
    phones: list[str]
    emails: list[str]
    note: str


class CustomerSummary(Schema):
    """A row of a search: what a point of sale shows to pick a customer."""

    id: int
    kind: str
    is_foreign: bool
    document_type: str
    document_number: str
    name: str
    email: str
    phone: str
    is_active: bool


class CustomerOut(CustomerSummary):
    business_name: str
    first_names: str
    last_names: str
    business_line: str
    country: str
    category: str | None
    customer_class: str | None
    requests_detraction: bool
    loyalty_enrolled: bool
    phones: list[PhoneOut]
    emails: list[str]
    notification_emails: list[str]
    notification_whatsapp: list[str]
    website: str
    registry_status: str
    registry_condition: str
    additional_info: str
    description: str
    addresses: list[AddressOut]
    contacts: list[ContactOut]
    attributes: dict[str, Any] = Field(..., description="Atributos adicionales: nombre → valor.")
    created_at: datetime
    updated_at: datetime


class SearchOut(Schema):
    results: list[CustomerSummary]
    more: bool = Field(..., description="Hay más coincidencias: precise la búsqueda.")


class ChangeOut(Schema):
    id: int
    deleted: bool = Field(..., description="En la Papelera: quítelo de la copia local.")
    customer: CustomerSummary | None


class ChangesOut(Schema):
    results: list[ChangeOut]
    next: str = Field(..., description="Cursor para la próxima consulta (`since`).")
    more: bool = Field(..., description="Hay más cambios: consulte de nuevo con `next` enseguida.")
