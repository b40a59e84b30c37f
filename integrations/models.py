"""API tokens, idempotency records and the webhook outbox of the integration API."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models


class Scope(models.TextChoices):
    CUSTOMERS_READ = "customers:read", "Leer clientes"
    CUSTOMERS_WRITE = "customers:write", "Escribir clientes"
    DOCUMENTS = "documents", "Comprobantes"
    CREDIT = "credit", "Crédito"


class ApiToken(models.Model):
    """One integrating system (a point of sale, the invoicing system). The secret is shown once
    and stored as its SHA-256 (it is 256 random bits: a slow hash adds nothing). Each token acts
    through its own service user (`api:<id>`, no usable password, permissions from the scopes),
    so the services check permissions and record history and notes the same way as for people."""

    name = models.CharField("nombre", max_length=100, unique=True)
    prefix = models.CharField("prefijo", max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = ArrayField(models.CharField(max_length=20, choices=Scope.choices), verbose_name="permisos")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_token", editable=False
    )
    created_at = models.DateTimeField("creado", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="creado por",
        editable=False,
    )
    expires_at = models.DateTimeField("vence", null=True, blank=True)
    last_used_at = models.DateTimeField("último uso", null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField("revocado", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "token de la API"
        verbose_name_plural = "tokens de la API"
        ordering = ["name"]

    def __str__(self):
        return self.name


class RateCounter(models.Model):
    """Requests of one token in one clock minute (the API's rate limit). UNLOGGED (migration
    0002): a counter costs no WAL and no disk flush, and losing the current minute's counts in
    a crash is harmless."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+", db_index=False)
    minute = models.BigIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "minute"], name="rate_counter_token_minute")]

    def __str__(self):
        return f"{self.token_id}@{self.minute}: {self.count}"


class IdempotencyRecord(models.Model):
    """The first answer to a create sent with an Idempotency-Key, replayed for the same key."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    operation = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="idempotency_key_per_token")]

    def __str__(self):
        return self.key


class WebhookEndpoint(models.Model):
    name = models.CharField("nombre", max_length=100)
    url = models.URLField("URL", max_length=500)
    secret = models.CharField("secreto", max_length=200, help_text="Firma HMAC-SHA256 de cada envío.")
    events = ArrayField(models.CharField(max_length=60), verbose_name="eventos")
    is_active = models.BooleanField("activo", default=True)
    created_at = models.DateTimeField("creado", auto_now_add=True)

    class Meta:
        verbose_name = "webhook"
        verbose_name_plural = "webhooks"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.url})"


class OutboxEvent(models.Model):
    """An event written in the transaction of the change it tells; one delivery per subscribed
    endpoint is written with it."""

    event = models.CharField("evento", max_length=60)
    customer_id = models.BigIntegerField("cliente", null=True, db_index=True)
    payload = models.JSONField()
    created_at = models.DateTimeField("creado", auto_now_add=True)

    class Meta:
        verbose_name = "evento"
        verbose_name_plural = "eventos"
        ordering = ["-id"]

    def __str__(self):
        return f"{self.event} #{self.pk}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pendiente"
        DELIVERED = "delivered", "Entregado"
        FAILED = "failed", "Abandonado"  # after WEBHOOK_MAX_ATTEMPTS; the admin can re-send it

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    # Deliveries of one customer to one endpoint go in event order: the next waits for this one.
    customer_id = models.BigIntegerField(null=True)
    status = models.CharField("estado", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField("intentos", default=0)
    next_attempt_at = models.DateTimeField("próximo intento", null=True, blank=True)
    delivered_at = models.DateTimeField("entregado", null=True, blank=True)

    class Meta:
        verbose_name = "envío de webhook"
        verbose_name_plural = "envíos de webhooks"
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"], name="webhook_delivery_due_idx", condition=models.Q(status="pending")
            ),
            models.Index(
                fields=["endpoint", "customer_id", "id"],
                name="webhook_delivery_order_idx",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self):
        return f"{self.event.event} → {self.endpoint.name}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField("fecha", auto_now_add=True)
    status_code = models.PositiveSmallIntegerField("código HTTP", null=True, blank=True)
    duration_ms = models.PositiveIntegerField("duración (ms)", default=0)
    response_excerpt = models.TextField("respuesta (extracto)", blank=True)
    error = models.CharField("error", max_length=300, blank=True)

    class Meta:
        verbose_name = "intento"
        verbose_name_plural = "intentos"
        ordering = ["id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error[:40]}"
