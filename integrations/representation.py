"""Customers as the API and the webhooks show them (plain dicts matching integrations.api.schemas)."""

from django.utils import timezone

from attributes.models import AttributeDefinition
from credit.models import CreditAuthorization, Document, Payment
from credit.queries import apply_live_holds, get_account
from credit.services import points_balance
from customers.models import Customer


def summary(customer: Customer) -> dict:
    return {
        "id": customer.pk,
        "kind": customer.kind,
        "is_foreign": customer.is_foreign,
        "document_type": customer.document_type_id,
        "document_number": customer.document_number,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "is_active": customer.is_active,
    }


def detail(customer: Customer) -> dict:
    names = {d.key: d.name for d in AttributeDefinition.objects.all()}
    addresses = []
    for a in customer.addresses.all():
        district = a.district
        addresses.append(
            {
                "id": a.pk,
                "kind": a.kind,
                "is_default": a.is_default,
                "street": a.street,
                "unit": a.unit,
                "reference": a.reference,
                "country": a.country,
                "district": a.district_id,
                "district_name": district.name if district else None,
                "province_name": district.province.name if district else None,
                "department_name": district.province.department.name if district else None,
            }
        )
    return {
        **summary(customer),
        **{
            name: getattr(customer, name)
            for name in (
                "business_name",
                "first_names",
                "last_names",
                "business_line",
                "country",
                "requests_detraction",
                "loyalty_enrolled",
                "website",
                "registry_status",
                "registry_condition",
                "additional_info",
                "description",
                "created_at",
                "updated_at",
            )
        },  # fmt: skip
        "category": customer.category.name if customer.category_id else None,
        "customer_class": customer.customer_class.name if customer.customer_class_id else None,
        "phones": [{"number": p.number, "whatsapp": p.whatsapp} for p in customer.phones.all()],
        "emails": [e.email for e in customer.emails.all()],
        "notification_emails": list(customer.notification_emails),
        "notification_whatsapp": list(customer.notification_whatsapp),
        "addresses": addresses,
        "contacts": [
            {
                "id": c.pk,
                "name": c.name,
                "role": c.role,
                "phones": list(c.phones),
                "emails": list(c.emails),
                "note": c.note,
            }
            for c in customer.contacts.all()
        ],
        "attributes": {names[k]: v for k, v in (customer.attributes or {}).items() if k in names},
    }


# --- crédito -----------------------------------------------------------------------------------


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def credit_of(customer: Customer) -> dict:
    """Condiciones de venta, crédito disponible (live holds), bloqueo and points (credit.queries)."""
    account = get_account(customer)
    apply_live_holds([account])
    return {
        "price_list": account.price_list.name if account.price_list_id else None,
        "payment_term": account.payment_term.name if account.payment_term_id else None,
        "credit_limit": _money(account.credit_limit),
        "balance": _money(account.balance),
        "held": _money(account.held),
        "available": _money(account.available) if account.credit_limit is not None else None,
        "is_blocked": account.is_blocked,
        "blocked_reason": account.blocked_reason,
        "open_documents": account.open_documents,
        "oldest_due_date": account.oldest_due_date,
        "points": points_balance(customer),
    }


def detail_with_credit(customer: Customer) -> dict:
    return {**detail(customer), "version": customer.version, "credit": credit_of(customer)}


def document_out(document: Document) -> dict:
    return {
        "id": document.pk,
        "customer_id": document.customer_id,
        "doc_type": document.doc_type,
        "series": document.series,
        "number": document.number,
        "serie_number": document.serie_number,
        "issue_date": document.issue_date,
        "due_date": document.due_date,
        "currency": document.currency,
        "exchange_rate": f"{document.exchange_rate:.4f}",
        "total": _money(document.total),
        "paid": _money(document.paid),
        "credited": _money(document.credited),
        "outstanding": _money(document.outstanding),
        "status": document.status_on(timezone.localdate()),
        "related_id": document.related_id,
        "created_at": document.created_at,
    }


def payment_out(payment: Payment) -> dict:
    return {
        "id": payment.pk,
        "document_id": payment.document_id,
        "amount": _money(payment.amount),
        "date": payment.date,
        "reference": payment.reference,
        "document": document_out(Document.objects.get(pk=payment.document_id)),
    }


def authorization_out(authorization: CreditAuthorization) -> dict:
    now = timezone.now()
    status = authorization.status_on(now)
    by = authorization.overridden_by
    return {
        "id": authorization.pk,
        "customer_id": authorization.customer_id,
        "amount": _money(authorization.amount),
        "reference": authorization.reference,
        "approved": authorization.refusal == "" or authorization.overridden_at is not None,
        "status": status,
        "reason": authorization.reason,
        "refusal": authorization.refusal or None,
        "available": _money(authorization.available),
        "expires_at": authorization.expires_at,
        "document_id": authorization.document_id,
        "overridden": authorization.overridden_at is not None,
        "override_reason": authorization.override_reason,
        "overridden_by": (by.get_full_name() or by.username) if by else None,
        "overridden_at": authorization.overridden_at,
        "created_at": authorization.created_at,
    }
