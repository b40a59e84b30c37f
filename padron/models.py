"""A load of SUNAT's padrón reducido del RUC: where its file is, how far it got, what it
refused, and which load is the padrón in use. The taxpayers themselves are in
padron_taxpayer (padron.schema), a table each load rebuilds and swaps in whole."""

from django.conf import settings
from django.db import models


class PadronLoad(models.Model):
    class Status(models.TextChoices):
        QUEUED = "en_cola", "En cola"
        RUNNING = "cargando", "Cargando"
        DONE = "cargado", "Cargado"
        FAILED = "fallido", "No se cargó"

    class Source(models.TextChoices):
        UPLOAD = "subido", "Archivo subido"
        STORAGE = "almacenamiento", "Archivo en el almacenamiento"
        PATH = "ruta", "Archivo del servidor (manage.py load_padron)"

    status = models.CharField("estado", max_length=10, choices=Status.choices, default=Status.QUEUED)
    source = models.CharField("origen", max_length=15, choices=Source.choices)
    # A name in Django's default storage (UPLOAD, STORAGE) or a path on the loading machine (PATH).
    file_name = models.CharField("archivo", max_length=500)
    original_name = models.CharField("nombre del archivo", max_length=255, blank=True)
    file_size = models.BigIntegerField("tamaño (bytes)", default=0)
    file_date = models.DateField("fecha del padrón", null=True, blank=True)
    created_at = models.DateTimeField("creada", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="cargada por",
        db_index=False,
    )
    attempts = models.PositiveSmallIntegerField("intentos", default=0)
    started_at = models.DateTimeField("inicio", null=True, blank=True)
    finished_at = models.DateTimeField("fin", null=True, blank=True)
    heartbeat_at = models.DateTimeField("último avance", null=True, blank=True)
    phase = models.CharField("etapa", max_length=80, blank=True)
    bytes_total = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    lines_read = models.BigIntegerField("líneas leídas", default=0)
    rows_loaded = models.BigIntegerField("RUC cargados", default=0)
    rows_rejected = models.BigIntegerField("líneas rechazadas", default=0)
    rejected_by_reason = models.JSONField("rechazos por motivo", default=dict, blank=True)
    rejected_samples = models.JSONField("ejemplos de rechazos", default=list, blank=True)  # [[line, reason, text]]
    duplicates = models.BigIntegerField("RUC repetidos", default=0)
    message = models.TextField("mensaje", blank=True)
    is_current = models.BooleanField("en uso", default=False)
    taxpayer_count = models.BigIntegerField("RUC en el padrón", default=0)
    # The refresh of customers' estado/condición after the load (padron.loading.refresh_customers).
    customers_checked = models.BigIntegerField(default=0)
    customers_updated = models.BigIntegerField(default=0)
    customers_refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "carga del padrón SUNAT"
        verbose_name_plural = "cargas del padrón SUNAT"
        ordering = ["-created_at", "-id"]
        permissions = [("load_padron", "Puede cargar el padrón reducido del RUC")]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=models.Q(is_current=True), name="one_current_padron"
            ),
        ]

    def __str__(self):
        return f"Padrón {self.original_name or self.file_name} ({self.get_status_display()})"

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
