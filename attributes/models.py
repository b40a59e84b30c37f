from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

NAME_MAX = 60
HELP_MAX = 250
OPTION_MAX = 60
MAX_OPTIONS = 100


class AttributeDefinition(models.Model):
    """A field the business adds to every customer (first source document, «Atributos
    adicionales»). Values live in Customer.attributes, keyed by str(pk)."""

    class Kind(models.TextChoices):
        TEXT = "texto", "Texto corto"
        LONG_TEXT = "texto_largo", "Texto largo"
        INTEGER = "entero", "Número entero"
        DECIMAL = "decimal", "Decimal"
        DATE = "fecha", "Fecha"
        BOOLEAN = "si_no", "Sí/No"
        CHOICE = "lista", "Lista de opciones"
        MULTIPLE = "multiple", "Selección múltiple"
        EMAIL = "email", "E-mail"
        PHONE = "telefono", "Teléfono"
        URL = "url", "URL"
        DNI = "dni", "DNI"
        RUC = "ruc", "RUC"

    name = models.CharField("nombre", max_length=NAME_MAX)
    kind = models.CharField("tipo", max_length=20, choices=Kind.choices)
    help_text = models.CharField("tip de ayuda", max_length=HELP_MAX, blank=True)
    required = models.BooleanField("obligatorio", default=False)
    options = ArrayField(models.CharField(max_length=OPTION_MAX), verbose_name="opciones", default=list, blank=True)
    # Optional range of a número entero / decimal ("number ranges" of the issue).
    min_value = models.DecimalField("mínimo", max_digits=18, decimal_places=4, null=True, blank=True)
    max_value = models.DecimalField("máximo", max_digits=18, decimal_places=4, null=True, blank=True)
    position = models.PositiveIntegerField("orden", default=0)
    archived_at = models.DateTimeField("archivado el", null=True, blank=True)
    # Optimistic concurrency (peru.concurrency): +1 on every write through the services.
    version = models.IntegerField("versión", default=1, db_default=1, editable=False)
    created_at = models.DateTimeField("creado", auto_now_add=True)
    updated_at = models.DateTimeField("actualizado", auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "atributo adicional"
        verbose_name_plural = "atributos adicionales"
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="attribute_name_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(min_value__isnull=True)
                | models.Q(max_value__isnull=True)
                | models.Q(min_value__lte=models.F("max_value")),
                name="attribute_min_lte_max",
            ),
        ]
        permissions = [("manage_attributedefinition", "Puede administrar los atributos adicionales")]

    def __str__(self):
        return self.name

    @property
    def key(self) -> str:
        """The key of this attribute's value in Customer.attributes."""
        return str(self.pk)

    @property
    def field_name(self) -> str:
        """Name of its field in the customer form and of its errors from the services."""
        return f"attr_{self.pk}"

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def has_options(self) -> bool:
        return self.kind in (self.Kind.CHOICE, self.Kind.MULTIPLE)

    @property
    def is_numeric(self) -> bool:
        return self.kind in (self.Kind.INTEGER, self.Kind.DECIMAL)

    @property
    def has_value_index(self) -> bool:
        """Filtered by equality or range through a btree index of its own on its value
        (attributes.indexes): every type but texto largo (contains only) and selección
        múltiple (a list: the GIN index's containment)."""
        return self.kind not in (self.Kind.LONG_TEXT, self.Kind.MULTIPLE)

    @property
    def is_ranged(self) -> bool:
        """Filtered by ranges (mín./máx.)."""
        return self.kind in (self.Kind.INTEGER, self.Kind.DECIMAL, self.Kind.DATE)
