"""What the API reads and answers (published in /api/v1/openapi.json)."""

import datetime as dt
from datetime import date, datetime
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


# --- crédito, comprobantes, pagos, autorizaciones ---------------------------------------------

# A program's decimal text, read as written (credit.money.parse_amount without `typed`): not as
# a person types it in the pages, where «2.000» is refused as ambiguous.
AMOUNT_TEXT = 'punto decimal, como lo escribe un programa: "2.000" es 2.00; "1500,50" es un error'
AMOUNT = Field(..., max_length=30, description=f'Monto en soles como texto decimal, p. ej. "150.50" ({AMOUNT_TEXT}).')


class CreditOut(Schema):
    """Condiciones de venta and crédito of a customer (amounts in soles as decimal strings)."""

    price_list: str | None = Field(..., description="Lista de precios.")
    payment_term: str | None = Field(..., description="Forma de pago.")
    credit_limit: str | None = Field(..., description="Cupo de crédito; null: sin crédito.")
    balance: str = Field(..., description="Saldo pendiente de sus comprobantes.")
    held: str = Field(..., description="Autorizaciones retenidas (vigentes).")
    available: str | None = Field(..., description="Crédito disponible = cupo − saldo − retenido; null sin cupo.")
    is_blocked: bool
    blocked_reason: str
    open_documents: int
    oldest_due_date: date | None
    points: int = Field(..., description="Puntos acumulados.")


class CustomerWithCreditOut(CustomerOut):
    version: int = Field(..., description="Versión del cliente (la ETag de la respuesta; envíela en If-Match).")
    credit: CreditOut


class CreditIn(Schema):
    """Cupo and bloqueo (scope crédito). Fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")
    credit_limit: str | None = Field(
        None, max_length=30, description=f'Cupo en soles, p. ej. "5000.00" ({AMOUNT_TEXT}); null o "" quita el crédito.'
    )
    blocked: bool | None = Field(None, description="Bloquear (true) o desbloquear (false) el crédito.")
    reason: str | None = Field(None, max_length=TEXT, description="Motivo: obligatorio para bloquear o desbloquear.")


class DocumentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    customer_id: int
    doc_type: str = Field(
        ..., max_length=2, description="01 factura, 03 boleta, 07 nota de crédito, 08 nota de débito."
    )
    series: str = Field(..., max_length=4, description="F001, B001…")
    number: int = Field(..., ge=1, le=99_999_999)
    issue_date: date
    due_date: date | None = Field(None, description="Vacío: el día de emisión (contado).")
    currency: str = Field("PEN", max_length=3, description="PEN o USD.")
    exchange_rate: str | None = Field(None, max_length=20, description='Tipo de cambio (solo USD), p. ej. "3.7500".')
    total: str = AMOUNT
    related_id: int | None = Field(None, description="Comprobante que modifica una nota de crédito o débito.")
    project_id: int | None = None
    authorization_id: int | None = Field(None, description="Autorización de crédito de la venta: libera su retención.")


class DocumentOut(Schema):
    id: int
    customer_id: int
    doc_type: str
    series: str
    number: int
    serie_number: str
    issue_date: date
    due_date: date
    currency: str
    exchange_rate: str
    total: str
    paid: str
    credited: str
    outstanding: str
    status: str = Field(..., description="pendiente, parcial, pagado, vencido, anulado o aplicada (nota de crédito).")
    related_id: int | None
    created_at: datetime


class AnnulIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(..., max_length=TEXT, description="Motivo de la anulación.")


class PaymentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    document_id: int
    amount: str = AMOUNT
    date: dt.date | None = Field(None, description="Vacío: hoy.")
    method_id: int | None = Field(None, description="Forma de pago (id).")
    reference: str = Field(
        ..., max_length=60, description="Número de operación o recibo: la misma referencia no cuenta dos veces."
    )


class PaymentOut(Schema):
    id: int
    document_id: int
    amount: str
    date: dt.date
    reference: str
    document: DocumentOut


class AuthorizationIn(Schema):
    model_config = ConfigDict(extra="forbid")
    customer_id: int
    amount: str = AMOUNT
    reference: str = Field(
        ..., max_length=100, description="Referencia de la venta: la misma otra vez devuelve la primera respuesta."
    )


class AuthorizationOut(Schema):
    id: int
    customer_id: int
    amount: str
    reference: str
    approved: bool = Field(..., description="Aprobada (también si luego se usó, canceló o venció).")
    status: str = Field(..., description="aprobada (retenida), rechazada, usada, cancelada o vencida.")
    reason: str = Field(..., description="Por qué se rechazó (vacío si se aprobó).")
    refusal: str | None = Field(
        ..., description="inactive, trashed, blocked, no_credit o insufficient; null si se aprobó."
    )
    available: str | None = Field(
        ..., description="Crédito disponible tras retener este monto (aprobada) o al rechazar (rechazada)."
    )
    expires_at: datetime | None = Field(..., description="Hasta cuándo retiene el monto.")
    document_id: int | None
    overridden: bool = Field(..., description="Aprobada por excepción por Créditos.")
    override_reason: str
    overridden_by: str | None
    overridden_at: datetime | None
    created_at: datetime
