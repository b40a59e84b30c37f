"""Condiciones de venta, crédito, comprobantes and points of a customer.

Money is Decimal in NUMERIC(14,2) columns (MONEY below). Amounts of a comprobante and its
pagos are in the comprobante's currency; what the customer owes (the balance row, Ver
crédito, the list column) is in soles: a USD document counts at its own exchange rate.

Every rule lives in credit.services; these models only hold the data and its invariants.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

# Customers by the "app.Model" name Django resolves: no import of customers here.
Customer = "customers.Customer"

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


class PriceList(models.Model):
    """Lista de precios (Configuración)."""

    name = models.CharField("nombre", max_length=60, unique=True)
    is_active = models.BooleanField("activa", default=True)
    position = models.PositiveIntegerField("orden", default=0)

    class Meta:
        verbose_name = "lista de precios"
        verbose_name_plural = "listas de precios"
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class PaymentTerm(models.Model):
    """Forma de pago (Configuración): contado, or crédito with its plazo in days."""

    class Kind(models.TextChoices):
        CASH = "contado", "Contado"
        CREDIT = "credito", "Crédito"

    name = models.CharField("nombre", max_length=60, unique=True)
    kind = models.CharField("tipo", max_length=10, choices=Kind.choices, default=Kind.CASH)
    term_days = models.PositiveIntegerField("plazo (días)", default=0)
    is_active = models.BooleanField("activa", default=True)
    position = models.PositiveIntegerField("orden", default=0)

    class Meta:
        verbose_name = "forma de pago"
        verbose_name_plural = "formas de pago"
        ordering = ["position", "name"]
        constraints = [
            # Contado has no plazo; crédito has one of at least a day.
            models.CheckConstraint(
                condition=(models.Q(kind="contado", term_days=0) | models.Q(kind="credito", term_days__gte=1)),
                name="payment_term_days_match_kind",
            ),
        ]

    def __str__(self):
        return self.name


class PointsProgram(models.Model):
    """Programa de puntos: one row (pk=1), edited in Configuración."""

    enabled = models.BooleanField("programa activo", default=False)
    points_per_sol = models.DecimalField(
        "puntos por S/ 1 pagado",
        max_digits=8,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(ZERO)],
    )
    point_value = models.DecimalField(
        "valor de un punto (S/)",
        max_digits=8,
        decimal_places=4,
        default=Decimal("0.0100"),
        validators=[MinValueValidator(ZERO)],
    )
    expiry_months = models.PositiveIntegerField("meses hasta que vencen", default=12)

    class Meta:
        verbose_name = "programa de puntos"
        verbose_name_plural = "programa de puntos"

    def __str__(self):
        return "Programa de puntos"


class CreditAccount(models.Model):
    """A customer's condiciones de venta and credit, and the balance row.

    The balance fields (balance, open_documents, oldest_due_date) are kept by
    credit.services in the same transaction as each comprobante or pago, with this row
    locked, so the list reads a customer's crédito disponible without summing documents.
    `recompute_balances` checks them against the documents.
    """

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="credit_account", verbose_name="cliente"
    )
    price_list = models.ForeignKey(
        PriceList, on_delete=models.PROTECT, null=True, blank=True, verbose_name="lista de precios"
    )
    payment_term = models.ForeignKey(
        PaymentTerm, on_delete=models.PROTECT, null=True, blank=True, verbose_name="forma de pago"
    )
    # Empty: the customer has no credit at all; 0 is "cupo cero".
    credit_limit = models.DecimalField("cupo de crédito (S/)", **MONEY, null=True, blank=True)
    is_blocked = models.BooleanField("crédito bloqueado", default=False)
    blocked_reason = models.CharField("motivo del bloqueo", max_length=300, blank=True, default="")
    blocked_at = models.DateTimeField("bloqueado el", null=True, blank=True)
    # The balance row: what the customer owes in soles on its unpaid comprobantes.
    balance = models.DecimalField("saldo pendiente (S/)", **MONEY, default=ZERO)
    held = models.DecimalField("autorizaciones retenidas (S/)", **MONEY, default=ZERO)
    open_documents = models.PositiveIntegerField("comprobantes por cobrar", default=0)
    # The oldest due date among unpaid documents: "con deuda vencida" is oldest_due_date < today,
    # exact every day without a nightly job (an overdue amount stored here would go stale at midnight).
    oldest_due_date = models.DateField("vencimiento más antiguo", null=True, blank=True)
    updated_at = models.DateTimeField("modificado", auto_now=True)

    history = HistoricalRecords(
        excluded_fields=["balance", "held", "open_documents", "oldest_due_date", "updated_at"],
        history_change_reason_field=models.TextField(null=True),
    )

    class Meta:
        verbose_name = "condiciones de venta y crédito"
        verbose_name_plural = "condiciones de venta y crédito"
        permissions = [
            ("block_credit", "Puede bloquear y desbloquear el crédito"),
        ]
        indexes = [
            models.Index(fields=["customer"], name="credit_blocked_idx", condition=models.Q(is_blocked=True)),
            models.Index(fields=["customer"], name="credit_with_limit_idx", condition=models.Q(credit_limit__gt=0)),
            # "excedido": saldo above the cupo, few customers.
            models.Index(
                fields=["customer"],
                name="credit_exceeded_idx",
                condition=models.Q(balance__gt=models.F("credit_limit")),
            ),
            models.Index(fields=["oldest_due_date"], name="credit_oldest_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_limit__isnull=True) | models.Q(credit_limit__gte=0),
                name="credit_limit_not_negative",
            ),
            models.CheckConstraint(condition=models.Q(balance__gte=0), name="credit_balance_not_negative"),
        ]

    def __str__(self):
        return f"Crédito de {self.customer}"

    @property
    def available(self) -> Decimal:
        """Crédito disponible = cupo − saldo − autorizaciones retenidas (never below zero shown as negative)."""
        return (self.credit_limit or ZERO) - self.balance - self.held

    @property
    def exceeded(self) -> bool:
        return self.balance > (self.credit_limit or ZERO)


class Project(models.Model):
    """Proyecto of a customer, to which comprobantes may belong."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="projects", verbose_name="cliente")
    code = models.CharField("código", max_length=20)
    name = models.CharField("nombre", max_length=150)
    is_active = models.BooleanField("activo", default=True)

    class Meta:
        verbose_name = "proyecto"
        verbose_name_plural = "proyectos"
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["customer", "code"], name="unique_project_code_per_customer")]

    def __str__(self):
        return f"{self.code} · {self.name}"


class Document(models.Model):
    """Comprobante issued to the customer (SUNAT catálogo 01: tipos 01, 03, 07, 08)."""

    class Type(models.TextChoices):
        INVOICE = "01", "Factura"
        RECEIPT = "03", "Boleta de venta"
        CREDIT_NOTE = "07", "Nota de crédito"
        DEBIT_NOTE = "08", "Nota de débito"

    class Currency(models.TextChoices):
        PEN = "PEN", "Soles (S/)"
        USD = "USD", "Dólares (US$)"

    class Status(models.TextChoices):
        PENDING = "pendiente", "Pendiente"
        PARTIAL = "parcial", "Pagado parcialmente"
        PAID = "pagado", "Pagado"
        OVERDUE = "vencido", "Vencido"
        VOIDED = "anulado", "Anulado"
        APPLIED = "aplicada", "Aplicada"  # a nota de crédito, applied to its document

    # PROTECT: a customer with comprobantes can't be deleted from the database by accident.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="documents", verbose_name="cliente")
    doc_type = models.CharField("tipo", max_length=2, choices=Type.choices)
    series = models.CharField("serie", max_length=4)
    number = models.PositiveIntegerField("número")
    issue_date = models.DateField("fecha de emisión")
    due_date = models.DateField("fecha de vencimiento")
    currency = models.CharField("moneda", max_length=3, choices=Currency.choices, default=Currency.PEN)
    exchange_rate = models.DecimalField("tipo de cambio", max_digits=8, decimal_places=4, default=Decimal("1"))
    total = models.DecimalField("total", **MONEY)
    # Kept by the services: pagos and notas de crédito applied, in the document's currency.
    paid = models.DecimalField("pagado", **MONEY, default=ZERO)
    credited = models.DecimalField("notas de crédito", **MONEY, default=ZERO)
    is_voided = models.BooleanField("anulado", default=False)
    # A nota de crédito or débito modifies this document.
    related = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notes",
        verbose_name="documento que modifica",
    )
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, null=True, blank=True, related_name="documents", verbose_name="proyecto"
    )
    created_at = models.DateTimeField("registrado", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = "comprobante"
        verbose_name_plural = "comprobantes"
        ordering = ["-issue_date", "-id"]
        indexes = [
            # The Comprobantes tab: newest first per customer.
            models.Index(fields=["customer", "-issue_date", "-id"], name="document_customer_idx"),
            # Unpaid documents of a customer (saldo, aging, delete refusals).
            models.Index(
                fields=["customer", "due_date"],
                name="document_open_idx",
                condition=models.Q(is_voided=False) & ~models.Q(doc_type="07"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["doc_type", "series", "number"], name="unique_document_number"),
            models.CheckConstraint(condition=models.Q(total__gt=0), name="document_total_positive"),
            models.CheckConstraint(
                condition=models.Q(due_date__gte=models.F("issue_date")), name="document_dates_in_order"
            ),
            models.CheckConstraint(condition=models.Q(exchange_rate__gt=0), name="document_rate_positive"),
            models.CheckConstraint(
                condition=models.Q(paid__gte=0, credited__gte=0)
                & models.Q(paid__lte=models.F("total") - models.F("credited")),
                name="document_not_overpaid",
            ),
        ]

    def __str__(self):
        return f"{self.get_doc_type_display()} {self.serie_number}"

    @property
    def serie_number(self) -> str:
        return f"{self.series}-{self.number:08d}"

    @property
    def is_debt(self) -> bool:
        """Facturas, boletas and notas de débito are owed; a nota de crédito reduces another."""
        return self.doc_type != self.Type.CREDIT_NOTE

    @property
    def outstanding(self) -> Decimal:
        if self.is_voided or not self.is_debt:
            return ZERO
        return self.total - self.paid - self.credited

    @property
    def outstanding_pen(self) -> Decimal:
        return to_soles(self.outstanding, self.exchange_rate)

    def status_on(self, today) -> str:
        if self.is_voided:
            return self.Status.VOIDED
        if not self.is_debt:
            return self.Status.APPLIED
        if self.outstanding == 0:
            return self.Status.PAID
        if self.due_date < today:
            return self.Status.OVERDUE
        if self.paid > 0 or self.credited > 0:
            return self.Status.PARTIAL
        return self.Status.PENDING


def to_soles(amount: Decimal, rate: Decimal) -> Decimal:
    """An amount of a document in soles at its exchange rate, to the céntimo (half up)."""
    return (amount * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Payment(models.Model):
    """Pago applied to a comprobante, in the comprobante's currency."""

    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="payments", verbose_name="comprobante"
    )
    date = models.DateField("fecha")
    amount = models.DecimalField("monto", **MONEY)
    method = models.ForeignKey(
        PaymentTerm, on_delete=models.PROTECT, null=True, blank=True, verbose_name="medio de pago"
    )
    reference = models.CharField("referencia", max_length=60, blank=True, default="")
    created_at = models.DateTimeField("registrado", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = "pago"
        verbose_name_plural = "pagos"
        ordering = ["date", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self):
        return f"Pago de {self.amount} del {self.date:%d/%m/%Y}"


class PointsMovement(models.Model):
    """The points ledger: the balance is the sum of the movements, never a bare counter."""

    class Kind(models.TextChoices):
        EARNED = "ganado", "Ganados"
        ADJUSTED = "ajuste", "Ajuste"
        EXPIRED = "vencido", "Vencidos"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="points", verbose_name="cliente")
    kind = models.CharField("tipo", max_length=10, choices=Kind.choices)
    points = models.IntegerField("puntos")
    reason = models.CharField("motivo", max_length=300, blank=True, default="")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Earned points expire on this date (and positive adjustments, like earned ones).
    expires_on = models.DateField("vencen", null=True, blank=True)
    created_at = models.DateTimeField("fecha", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = "movimiento de puntos"
        verbose_name_plural = "movimientos de puntos"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="points_customer_idx")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(points=0), name="points_movement_not_zero"),
            # A document earns points once.
            models.UniqueConstraint(
                fields=["document"], condition=models.Q(kind="ganado"), name="points_earned_once_per_document"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.points:+,} puntos"


class CreditRequest(models.Model):
    """Solicitud de aumento de cupo: Ventas asks, Créditos approves or rejects."""

    class Status(models.TextChoices):
        PENDING = "pendiente", "Pendiente"
        APPROVED = "aprobada", "Aprobada"
        REJECTED = "rechazada", "Rechazada"

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="credit_requests", verbose_name="cliente"
    )
    amount = models.DecimalField("cupo solicitado (S/)", **MONEY)
    reason = models.CharField("motivo", max_length=300)
    status = models.CharField("estado", max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="solicitado por"
    )
    requested_at = models.DateTimeField("solicitado", auto_now_add=True)
    approved_amount = models.DecimalField("cupo aprobado (S/)", **MONEY, null=True, blank=True)
    decision_reason = models.CharField("motivo de la decisión", max_length=300, blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="decidido por",
    )
    decided_at = models.DateTimeField("decidido", null=True, blank=True)

    class Meta:
        verbose_name = "solicitud de crédito"
        verbose_name_plural = "solicitudes de crédito"
        ordering = ["-requested_at", "-id"]
        permissions = [("decide_creditrequest", "Puede aprobar o rechazar solicitudes de crédito")]
        indexes = [
            models.Index(
                fields=["requested_at"], name="credit_request_pending_idx", condition=models.Q(status="pendiente")
            )
        ]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="credit_request_amount_positive")]

    def __str__(self):
        return f"Solicitud de cupo de {self.customer_id} ({self.get_status_display()})"


class CreditAuthorization(models.Model):
    """A point of sale asks, before a sale on credit, whether the customer may owe `amount` more.

    Approved: the amount is held (CreditAccount.held) until the comprobante that names it
    arrives (status "usada"), it is cancelled, or it expires. An expired hold stops counting at
    `expires_at` by itself (readers compare it with now) and is released from the balance row
    lazily, the next time the customer's row is locked. Refused ones are kept too: Créditos may
    approve them by exception (Autorizaciones rechazadas)."""

    class Status(models.TextChoices):
        APPROVED = "aprobada", "Aprobada (retenida)"
        REFUSED = "rechazada", "Rechazada"
        USED = "usada", "Usada por un comprobante"
        CANCELLED = "cancelada", "Cancelada"
        EXPIRED = "vencida", "Vencida"

    class Refusal(models.TextChoices):
        INACTIVE = "inactive", "Cliente suspendido"
        TRASHED = "trashed", "Cliente en la Papelera"
        BLOCKED = "blocked", "Crédito bloqueado"
        NO_CREDIT = "no_credit", "Sin cupo de crédito"
        INSUFFICIENT = "insufficient", "Crédito disponible insuficiente"

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="credit_authorizations", verbose_name="cliente"
    )
    amount = models.DecimalField("monto (S/)", **MONEY)
    # The sale's reference in the point of sale: the same reference again returns this row.
    reference = models.CharField("referencia", max_length=100)
    status = models.CharField("estado", max_length=10, choices=Status.choices)
    refusal = models.CharField("motivo del rechazo", max_length=20, choices=Refusal.choices, blank=True, default="")
    reason = models.CharField("explicación", max_length=300, blank=True, default="")
    # Crédito disponible when it was decided (before holding this amount).
    available = models.DecimalField("disponible al decidir (S/)", **MONEY, null=True, blank=True)
    expires_at = models.DateTimeField("vence", null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="pedida por",
    )
    created_at = models.DateTimeField("pedida", auto_now_add=True)
    released_at = models.DateTimeField("liberada", null=True, blank=True)
    document = models.ForeignKey(
        Document,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="authorizations",
        verbose_name="comprobante",
    )
    # Approved by exception (Créditos, Autorizaciones rechazadas).
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="aprobada por excepción por",
    )
    overridden_at = models.DateTimeField("aprobada por excepción el", null=True, blank=True)
    override_reason = models.CharField("motivo de la excepción", max_length=300, blank=True, default="")

    class Meta:
        verbose_name = "autorización de crédito"
        verbose_name_plural = "autorizaciones de crédito"
        ordering = ["-created_at", "-id"]
        permissions = [("override_authorization", "Puede aprobar por excepción autorizaciones rechazadas")]
        indexes = [
            # The holds of a customer still counted (the available computation, lazy release).
            models.Index(
                fields=["customer", "expires_at"], name="credit_auth_holding_idx", condition=models.Q(status="aprobada")
            ),
            # Autorizaciones rechazadas, newest first.
            models.Index(
                fields=["-created_at"], name="credit_auth_refused_idx", condition=models.Q(status="rechazada")
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="credit_authorization_amount_positive"),
            # Idempotent by the sale's reference, per integrating system (its service user).
            models.UniqueConstraint(
                fields=["requested_by", "reference"], name="credit_authorization_reference", nulls_distinct=False
            ),
        ]

    def __str__(self):
        return f"Autorización {self.pk} ({self.reference})"

    def holds_on(self, now) -> bool:
        """Counts against crédito disponible at `now`."""
        return self.status == self.Status.APPROVED and self.expires_at is not None and self.expires_at > now

    def status_on(self, now) -> str:
        """The status as it is at `now`: an approved hold past its expiry is vencida even before
        its lazy release."""
        if self.status == self.Status.APPROVED and self.expires_at is not None and self.expires_at <= now:
            return self.Status.EXPIRED
        return self.status
