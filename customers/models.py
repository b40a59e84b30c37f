from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from peru.phones import national_format


class Department(models.Model):
    """Departamento (INEI ubigeo, 2 digits)."""

    code = models.CharField("código", max_length=2, primary_key=True)
    name = models.CharField("nombre", max_length=80)

    class Meta:
        verbose_name = "departamento"
        verbose_name_plural = "departamentos"
        ordering = ["code"]

    def __str__(self):
        return self.name


class Province(models.Model):
    """Provincia (INEI ubigeo, 4 digits: departamento + provincia)."""

    code = models.CharField("código", max_length=4, primary_key=True)
    name = models.CharField("nombre", max_length=80)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="provinces", verbose_name="departamento"
    )

    class Meta:
        verbose_name = "provincia"
        verbose_name_plural = "provincias"
        ordering = ["code"]

    def __str__(self):
        return self.name


class District(models.Model):
    """Distrito (INEI ubigeo, 6 digits: departamento + provincia + distrito)."""

    code = models.CharField("ubigeo", max_length=6, primary_key=True)
    name = models.CharField("nombre", max_length=80)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="districts", verbose_name="provincia")

    class Meta:
        verbose_name = "distrito"
        verbose_name_plural = "distritos"
        ordering = ["code"]

    def __str__(self):
        return self.name


class DocumentType(models.Model):
    """Tipo de documento de identidad, SUNAT catálogo 06."""

    code = models.CharField("código SUNAT", max_length=1, primary_key=True)
    name = models.CharField("nombre", max_length=120)
    short_name = models.CharField("abreviatura", max_length=20)
    for_foreigners = models.BooleanField("para extranjeros", default=False)
    position = models.PositiveSmallIntegerField("orden", default=0)

    class Meta:
        verbose_name = "tipo de documento"
        verbose_name_plural = "tipos de documento (SUNAT catálogo 06)"
        ordering = ["position", "code"]

    def __str__(self):
        return self.short_name


class ChoiceList(models.Model):
    """A short list the business edits in Configuración (categorías, clases)."""

    name = models.CharField("nombre", max_length=60, unique=True)
    position = models.PositiveSmallIntegerField("orden", default=0)
    # Optimistic concurrency (peru.concurrency): +1 on every write through the services.
    version = models.IntegerField("versión", default=1, db_default=1, editable=False)

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Category(ChoiceList):
    """Categoría de cliente (PRO, NORMAL…)."""

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    class Meta(ChoiceList.Meta):
        verbose_name = "categoría de cliente"
        verbose_name_plural = "categorías de cliente"


class CustomerClass(ChoiceList):
    """Clase de cliente."""

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    class Meta(ChoiceList.Meta):
        verbose_name = "clase de cliente"
        verbose_name_plural = "clases de cliente"


class CustomerSettings(models.Model):
    """One row (pk=1): which optional fields the business makes mandatory. The first source
    document requires none of them, the second requires e-mail, phone and address."""

    require_email = models.BooleanField("correo electrónico obligatorio", default=False)
    require_phone = models.BooleanField("teléfono obligatorio", default=False)
    require_address = models.BooleanField("dirección obligatoria (también personas y extranjeros)", default=False)

    class Meta:
        verbose_name = "configuración de clientes"
        verbose_name_plural = "configuración de clientes"
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="customer_settings_single_row")]

    def __str__(self):
        return "Configuración de clientes"


_OUTSIDE_TRASH = models.Q(deleted_at__isnull=True)
# The yes/no and type columns of the list's filters (CustomerFilterSet), in the filter indexes.
# A RUC whose estado is not ACTIVO, or whose condición is NO HABIDO / NO HALLADO (the same
# rule as customers.lookup.registry_flags): the list's filter «Padrón SUNAT» and its index.
NOT_ACTIVE = ~models.Q(registry_status__in=["", "ACTIVO"])
NOT_FOUND = models.Q(registry_condition__startswith="NO HABIDO") | models.Q(registry_condition__startswith="NO HALLADO")
REGISTRY_ALERT = NOT_ACTIVE | NOT_FOUND

_FLAGS = ["is_foreign", "kind", "is_active", "has_whatsapp", "requests_detraction"]

# History tables (django-simple-history) keep no foreign key constraint to the customers' tables
# (its historical foreign keys are plain columns); nor, for the customers, addresses and
# contacts that a bulk import records by the ten thousand, to the user (history_user): the
# user is one row every record of an import would check again at commit (deleting a user
# still sets history_user to NULL: Django's on_delete does it, through the index). Foreign
# keys of a historical customer that nothing filters on get no index either.
HISTORY_UNREAD_REFERENCES = ["document_type", "category", "customer_class", "created_by", "deleted_by"]


class CustomerVersionExtras(models.Model):
    """Extra columns of each historical customer: the phones and e-mails (child rows that the
    services replace on each save) as they were at that version, filled by customers.history."""

    phones = models.JSONField("teléfonos", default=list, blank=True)  # [[E.164, whatsapp], …]
    emails = models.JSONField("correos electrónicos", default=list, blank=True)

    class Meta:
        abstract = True


class Customer(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "empresa", "Empresa"
        PERSON = "persona", "Persona natural"

    kind = models.CharField("tipo de cliente", max_length=10, choices=Kind.choices)
    is_foreign = models.BooleanField("extranjero", default=False)
    # No index of its own: 13 values, and the unique (type, number) index serves lookups.
    document_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, verbose_name="tipo de documento", db_index=False
    )
    document_number = models.CharField("número de documento", max_length=20, blank=True)
    business_name = models.CharField("razón social", max_length=200, blank=True)
    first_names = models.CharField("nombres", max_length=100, blank=True)
    last_names = models.CharField("apellidos", max_length=100, blank=True)
    # Razón social or "apellidos, nombres", kept by the services; sort_key orders it the
    # Spanish way on any PostgreSQL collation (see peru.text.sort_key).
    name = models.CharField("nombre o razón social", max_length=250, editable=False)
    sort_key = models.CharField(max_length=250, editable=False)
    email = models.CharField("correo electrónico", max_length=254, blank=True)
    phone = models.CharField("teléfono", max_length=30, blank=True)  # peru.phones: E.164[;ext=anexo]
    business_line = models.CharField("giro", max_length=150, blank=True)
    country = models.CharField("país", max_length=2, default="PE", db_default="PE")
    # From the RUC registry (SUNAT) when the document was looked up: ACTIVO / BAJA …, HABIDO / NO HABIDO …
    registry_status = models.CharField("estado del contribuyente", max_length=40, blank=True, db_default="")
    registry_condition = models.CharField("condición del contribuyente", max_length=40, blank=True, db_default="")
    registry_checked_at = models.DateTimeField("consultado en el padrón", null=True, blank=True)
    # Partial indexes below instead of the FK's own (which would hold every customer without one).
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, verbose_name="categoría", db_index=False
    )
    customer_class = models.ForeignKey(
        CustomerClass,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name="clase de cliente",
        db_index=False,
    )
    requests_detraction = models.BooleanField("solicita detracción", default=False, db_default=False)
    loyalty_enrolled = models.BooleanField("inscrito en el programa de puntos", default=False, db_default=False)
    additional_info = models.TextField("información adicional", blank=True, db_default="")
    description = models.TextField("descripción", blank=True, db_default="")
    notification_emails = ArrayField(
        models.CharField(max_length=254),
        verbose_name="correos de notificación",
        default=list,
        blank=True,
        db_default=[],
    )
    notification_whatsapp = ArrayField(
        models.CharField(max_length=20),
        verbose_name="WhatsApp de notificación",
        default=list,
        blank=True,
        db_default=[],
    )
    facebook = models.CharField("Facebook", max_length=300, blank=True, db_default="")
    instagram = models.CharField("Instagram", max_length=300, blank=True, db_default="")
    tiktok = models.CharField("TikTok", max_length=300, blank=True, db_default="")
    x = models.CharField("X", max_length=300, blank=True, db_default="")
    linkedin = models.CharField("LinkedIn", max_length=300, blank=True, db_default="")
    youtube = models.CharField("YouTube", max_length=300, blank=True, db_default="")
    website = models.CharField("página web", max_length=300, blank=True, db_default="")
    is_active = models.BooleanField("activo", default=True)
    # Optimistic concurrency (peru.concurrency): +1 on every write through the services.
    version = models.IntegerField("versión", default=1, db_default=1, editable=False)
    # Values of the attributes the business defines (attributes.models.AttributeDefinition),
    # keyed by the definition's id as text; validated by attributes.services on every write.
    attributes = models.JSONField("atributos adicionales", default=dict, blank=True, db_default={})
    # Copies the list reads without joins, kept by customers.services and customers.bulk:
    # the folded name, document, every e-mail and the phone digits (peru.text.search_text),
    # searched through a trigram index; whether a phone has WhatsApp; and the departamento of
    # the default address.
    search_text = models.TextField("texto de búsqueda", editable=False, blank=True, default="", db_default="")
    # The name as the duplicate finder compares it (customers.duplicates): sort_key without
    # the ñ mark, dots, punctuation and a trailing legal suffix (S.A.C., E.I.R.L., S.A., S.R.L.):
    # "Comercial Núñez SAC" and "COMERCIAL NUNEZ S.A.C." both give "comercial nunez". The
    # database computes it (the SQL function of migration 0029), so every writer — the
    # services, COPY of the import and the seed — keeps it without knowing it exists.
    match_key = models.GeneratedField(
        expression=models.Func(models.F("sort_key"), function="customer_match_key", output_field=models.TextField()),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name="clave de duplicados",
    )
    has_whatsapp = models.BooleanField("con WhatsApp", editable=False, default=False, db_default=False)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="departamento",
        db_index=False,  # the partial index below serves the filter
    )
    created_at = models.DateTimeField("creado", auto_now_add=True)
    updated_at = models.DateTimeField("modificado", auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="creado por",
        db_index=False,  # never filtered on; an index would only slow writes
        # No database check (as the history's history_user): an import of 100,000 rows checked
        # the same user row for each customer it created. Deleting a user still sets it to
        # NULL (on_delete, through Django).
        db_constraint=False,
    )

    # The Papelera: a deleted customer keeps every row. The database lets its document and e-mails
    # be reused, but the services keep them reserved (they offer to restore it) until it is purged.
    deleted_at = models.DateTimeField("eliminado", null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="eliminado por",
        db_index=False,  # never filtered on; an index would only slow writes
    )

    class Meta:
        verbose_name = "cliente"
        verbose_name_plural = "clientes"
        ordering = ["sort_key", "id"]
        permissions = [
            ("restore_customer", "Puede restaurar clientes de la Papelera"),
            ("purge_customer", "Puede eliminar definitivamente"),
            ("revert_customer", "Puede revertir un cliente a una versión anterior"),
            ("import_customer", "Puede importar clientes desde Excel o CSV"),
            ("export_customer", "Puede exportar clientes a CSV o Excel"),
            ("merge_customer", "Puede fusionar clientes duplicados y deshacer fusiones"),
        ]
        indexes = [
            models.Index(fields=["sort_key", "id"], name="customer_sort_idx"),
            # The type filter in name order: companies and persons cluster in the alphabet
            # ("Agencia…", "Agroindustrias…" come before the first surname), so walking
            # customer_sort_idx for persons would read 50,000 companies first.
            models.Index(fields=["kind", "sort_key", "id"], name="customer_kind_sort_idx", condition=_OUTSIDE_TRASH),
            # Search: LIKE '%word%' on the folded copy (customers.queries explains the plans).
            GinIndex(fields=["search_text"], opclasses=["gin_trgm_ops"], name="customer_search_trgm"),
            # Attribute filters by value (containment: attributes @> '{"12": "Oro"}').
            GinIndex(fields=["attributes"], opclasses=["jsonb_path_ops"], name="customer_attributes_gin"),
            # Sorting by document: descending through this one backwards; ascending, with the
            # customers without a document after the others, through the next one
            # (customers.filters.ORDERINGS).
            models.Index(fields=["document_number", "id"], name="customer_document_sort_idx", condition=_OUTSIDE_TRASH),
            models.Index(
                models.ExpressionWrapper(models.Q(document_number=""), output_field=models.BooleanField()),
                "document_number",
                "id",
                name="customer_document_asc_idx",
                condition=_OUTSIDE_TRASH,
            ),
            # Filters. A value held by few customers gets its own small index, or a list
            # filtered by it would read the whole table to fill a page (or to count). The
            # flags other filters test ride along as key columns: "departamento 08 con
            # WhatsApp" or "extranjeros de Cusco" are then answered inside the index instead of
            # reading every customer of the department from the table (a skip scan serves any
            # subset of them). At 1M: 70-80 ms -> 2-30 ms for such pairs, same index size.
            models.Index(
                fields=["department", *_FLAGS], name="customer_department_flags_idx", condition=_OUTSIDE_TRASH
            ),
            # The same filter in name order, deep pages included: a typed page=100 of a
            # departamento reads its 2,500 ids from this index alone (customers.queries._rows)
            # instead of walking customer_sort_idx through 65,000 customers of every
            # department (70 ms -> under 1 ms at 1M; 81 MB).
            models.Index(
                fields=["department", "sort_key", "id"],
                include=_FLAGS,
                name="customer_department_sort_idx",
                condition=_OUTSIDE_TRASH,
            ),
            models.Index(
                fields=["category", *_FLAGS],
                name="customer_category_flags_idx",
                condition=_OUTSIDE_TRASH & models.Q(category__isnull=False),
            ),
            models.Index(
                fields=["customer_class", *_FLAGS],
                name="customer_class_flags_idx",
                condition=_OUTSIDE_TRASH & models.Q(customer_class__isnull=False),
            ),
            # The references of the Papelera's customers too, for the PROTECT check when a
            # categoría or clase is deleted. Partial: a customer without one (most of them) is
            # not in it, so writing it costs nothing (an import's updates are never HOT: each
            # updated customer goes into every index it belongs to — bench/README.md, importing).
            models.Index(fields=["category"], name="customer_category_idx", condition=models.Q(category__isnull=False)),
            models.Index(
                fields=["customer_class"], name="customer_class_idx", condition=models.Q(customer_class__isnull=False)
            ),
            models.Index(
                fields=["sort_key", "id"],
                name="customer_suspended_idx",
                condition=_OUTSIDE_TRASH & models.Q(is_active=False),
            ),
            models.Index(
                fields=["sort_key", "id"],
                name="customer_foreign_idx",
                condition=_OUTSIDE_TRASH & models.Q(is_foreign=True),
            ),
            models.Index(
                fields=["sort_key", "id"],
                name="customer_detraction_idx",
                condition=_OUTSIDE_TRASH & models.Q(requests_detraction=True),
            ),
            # The integration API's changes feed (GET /api/v1/customers/changes?since=…).
            models.Index(fields=["updated_at", "id"], name="customer_changes_idx"),
            models.Index(
                fields=["sort_key", "id"],
                name="customer_registry_alert_idx",
                condition=_OUTSIDE_TRASH & REGISTRY_ALERT,
            ),
            # The duplicate finder: equal keys side by side, and each key's neighbours in order.
            models.Index(
                fields=["match_key", "id"],
                include=["document_type", "document_number"],  # the finder's document rule, index-only
                name="customer_match_key_idx",
                condition=_OUTSIDE_TRASH & ~models.Q(match_key=""),
            ),
            # The Papelera, newest first.
            models.Index(fields=["-deleted_at", "-id"], name="customer_trash_idx", condition=~_OUTSIDE_TRASH),
        ]
        constraints = [
            # A document belongs to at most one customer outside the trash.
            models.UniqueConstraint(
                fields=["document_type", "document_number"],
                condition=models.Q(deleted_at__isnull=True) & ~models.Q(document_number=""),
                name="unique_document_outside_trash",
            ),
            models.CheckConstraint(condition=models.Q(kind__in=["empresa", "persona"]), name="customer_kind_valid"),
            models.CheckConstraint(condition=~models.Q(name=""), name="customer_has_a_name"),
        ]

    # One record per change (customers.services stamps the actor and the reason). Derived copies
    # (list columns kept by the services, updated_at) stay out: history_date says when, and the
    # copies follow from the rest, so updating them with queryset.update() loses nothing.
    history = HistoricalRecords(
        bases=[CustomerVersionExtras],
        excluded_fields=[
            "sort_key",
            "match_key",
            "search_text",
            "has_whatsapp",
            "department",
            "updated_at",
            "email",
            "phone",
        ],
        # Nobody looks historical customers up by these (only by id, date and user): the indexes
        # simple-history gives each foreign key were written on every record and never read.
        no_db_index=HISTORY_UNREAD_REFERENCES,
        user_db_constraint=False,
        history_change_reason_field=models.TextField(null=True),
    )

    def __str__(self):
        return self.name

    @property
    def phone_display(self) -> str:
        return national_format(self.phone)


class Address(models.Model):
    class Kind(models.TextChoices):
        FISCAL = "fiscal", "Fiscal"
        DELIVERY = "entrega", "Entrega"
        OTHER = "otra", "Otra"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses", verbose_name="cliente")
    kind = models.CharField("tipo", max_length=10, choices=Kind.choices, default=Kind.FISCAL)
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name="distrito (ubigeo)",
        # Never filtered on (addresses are read by customer; the list filters the customer's
        # own department): two indexes that every new or moved address wrote, for nothing but
        # the PROTECT check when a district of the reference data is deleted, which never happens.
        db_index=False,
    )
    country = models.CharField("país", max_length=2, default="PE", db_default="PE")
    street = models.CharField("calle y número", max_length=200, blank=True)
    unit = models.CharField("Dpto./Ofic./Casa", max_length=60, blank=True)
    reference = models.CharField("indicaciones", max_length=250, blank=True)
    is_default = models.BooleanField("predeterminada", default=False)
    # Optimistic concurrency (peru.concurrency): +1 on every write through the services.
    version = models.IntegerField("versión", default=1, db_default=1, editable=False)

    class Meta:
        verbose_name = "dirección"
        verbose_name_plural = "direcciones"
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(is_default=True), name="one_default_address_per_customer"
            )
        ]

    history = HistoricalRecords(
        no_db_index=["district"], user_db_constraint=False, history_change_reason_field=models.TextField(null=True)
    )

    def __str__(self):
        parts = [self.street, self.unit]
        if self.district_id:
            parts.append(self.district.name)
        return ", ".join(p for p in parts if p)


class CustomerPhone(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones", verbose_name="cliente")
    number = models.CharField("teléfono", max_length=30)  # E.164, then ;ext=anexo (peru.phones)
    whatsapp = models.BooleanField("WhatsApp", default=False)
    position = models.PositiveSmallIntegerField("orden", default=0)

    class Meta:
        verbose_name = "teléfono"
        verbose_name_plural = "teléfonos"
        ordering = ["position", "id"]
        # The duplicate finder's "mismo teléfono": customers sharing a number, in number order.
        indexes = [models.Index(fields=["number", "customer"], name="customer_phone_number_idx")]

    def __str__(self):
        return self.display

    @property
    def display(self) -> str:
        return national_format(self.number)

    @property
    def whatsapp_link(self) -> str:
        from peru.phones import whatsapp_link

        return whatsapp_link(self.number)


class CustomerEmail(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="emails", verbose_name="cliente")
    email = models.CharField("correo electrónico", max_length=254)  # lower-cased by the services
    position = models.PositiveSmallIntegerField("orden", default=0)
    # Copy of "the customer is in the Papelera", kept by the services in the same transaction,
    # so the database itself can say "one customer per e-mail outside the trash".
    in_trash = models.BooleanField(default=False, db_default=False, editable=False)

    class Meta:
        verbose_name = "correo electrónico"
        verbose_name_plural = "correos electrónicos"
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=models.Q(in_trash=False), name="unique_email_outside_trash"
            ),
        ]
        # The duplicate finder's "mismo dominio": the customers of one e-mail domain.
        indexes = [
            models.Index(
                models.Func(models.F("email"), models.Value("@"), models.Value(2), function="split_part"),
                "customer",
                name="customer_email_domain_idx",
                condition=models.Q(in_trash=False),
            )
        ]

    def __str__(self):
        return self.email


class Contact(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name="cliente")
    name = models.CharField("nombre", max_length=150)
    role = models.CharField("cargo", max_length=100, blank=True)
    phones = ArrayField(models.CharField(max_length=30), verbose_name="teléfonos", default=list, blank=True)
    emails = ArrayField(models.CharField(max_length=254), verbose_name="correos", default=list, blank=True)
    note = models.CharField("nota", max_length=250, blank=True)
    # Optimistic concurrency (peru.concurrency): +1 on every write through the services.
    version = models.IntegerField("versión", default=1, db_default=1, editable=False)

    class Meta:
        verbose_name = "contacto"
        verbose_name_plural = "contactos"
        ordering = ["name", "id"]

    history = HistoricalRecords(user_db_constraint=False, history_change_reason_field=models.TextField(null=True))

    def __str__(self):
        return self.name


class CustomerNote(models.Model):
    """One entry of the Notas timeline: written by the system for an action on the customer
    (customers.notes.record_note, in the action's transaction) or by a person."""

    class Kind(models.TextChoices):
        MANUAL = "manual", "Nota"
        CREATED = "creado", "Creado"
        EDITED = "editado", "Editado"
        SUSPENDED = "desactivado", "Suspendido"  # codes stay (migration 0023); words changed
        REACTIVATED = "activado", "Reactivado"
        TRASHED = "eliminado", "Eliminado"
        RESTORED = "restaurado", "Restaurado"
        REVERTED = "revertido", "Revertido"
        IMPORTED = "importado", "Importado"
        ADDRESS = "direccion", "Dirección"
        CONTACT = "contacto", "Contacto"
        CREDIT_BLOCKED = "credito_bloqueado", "Crédito bloqueado"
        CREDIT_UNBLOCKED = "credito_desbloqueado", "Crédito desbloqueado"
        CREDIT_LIMIT = "cupo_cambiado", "Cupo cambiado"
        PADRON = "padron", "Padrón SUNAT"  # estado/condición updated from a new padrón (padron app)
        MERGED = "fusionado", "Fusionado"  # customers.services.merging
        MERGE_UNDONE = "fusion_deshecha", "Fusión deshecha"

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="notes",
        verbose_name="cliente",
        db_index=False,  # customer_note_timeline_idx starts with it
    )
    kind = models.CharField("tipo", max_length=30, choices=Kind.choices)
    text = models.TextField("texto")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="autor",
        db_index=False,  # never filtered on
        # No database check, as Customer.created_by: an import's notes checked the same user
        # row once each (on_delete still sets it to NULL).
        db_constraint=False,
    )
    created_at = models.DateTimeField("fecha", auto_now_add=True)
    edited_at = models.DateTimeField("editada", null=True, blank=True)
    # Optimistic concurrency (peru.concurrency): +1 on every write through the services.
    version = models.IntegerField("versión", default=1, db_default=1, editable=False)

    # Edits and deletions of people's notes are recorded (who, when, the text before).
    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    class Meta:
        verbose_name = "nota"
        verbose_name_plural = "notas"
        ordering = ["-created_at", "-id"]
        # The timeline, newest first, a page at a time (keyset on created_at, id).
        indexes = [models.Index(fields=["customer", "-created_at", "-id"], name="customer_note_timeline_idx")]
        constraints = [models.CheckConstraint(condition=~models.Q(text=""), name="customer_note_has_text")]

    def __str__(self):
        return self.text[:60]

    @property
    def is_manual(self) -> bool:
        return self.kind == self.Kind.MANUAL


class ImportJob(models.Model):
    """One uploaded file on its way in: checked (vista previa), then imported or left. The row
    is the import history (who, when, which file, counts, error report) and the progress a
    page shows while a worker runs it (customers.importing)."""

    class Status(models.TextChoices):
        PENDING = "pendiente", "En cola para revisar"
        CHECKING = "revisando", "Revisando el archivo"
        READY = "lista", "Vista previa lista"
        # A file with titles and rows of which no column was recognized (another system's
        # export): the owner says what each column is (the mapping step), then it is checked.
        # Not a preview: no row was read, so no count would mean anything.
        MAPPING = "columnas", "Columnas por elegir"
        QUEUED = "en_cola", "En cola para importar"
        IMPORTING = "importando", "Importando"
        DONE = "terminada", "Terminada"
        FAILED = "fallida", "Fallida"
        REFUSED = "rechazada", "Archivo rechazado"
        CANCELLED = "cancelada", "Cancelada"

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "todo", "Todo o nada"
        VALID_ONLY = "validas", "Solo las filas válidas"

    file = models.FileField("archivo", upload_to="imports/%Y/%m/", max_length=300)
    file_name = models.CharField("nombre del archivo", max_length=255)
    file_size = models.PositiveBigIntegerField("tamaño", default=0)
    file_sha256 = models.CharField(max_length=64)
    status = models.CharField("estado", max_length=12, choices=Status.choices, default=Status.PENDING)
    mode = models.CharField("modo", max_length=8, choices=Mode.choices, default=Mode.ALL_OR_NOTHING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="usuario"
    )
    created_at = models.DateTimeField("subido", auto_now_add=True)
    previewed_at = models.DateTimeField("revisado", null=True, blank=True)
    finished_at = models.DateTimeField("terminado", null=True, blank=True)
    # Progress of the step running now (rows read of the file's rows, errors found so far).
    rows_total = models.PositiveIntegerField("filas", default=0)
    rows_done = models.PositiveIntegerField("filas procesadas", default=0)
    # The preview's counts, then what the import wrote.
    to_create = models.PositiveIntegerField("por crear", default=0)
    to_update = models.PositiveIntegerField("por actualizar", default=0)
    unchanged = models.PositiveIntegerField("sin cambios", default=0)
    error_rows = models.PositiveIntegerField("filas con errores", default=0)
    created = models.PositiveIntegerField("creados", default=0)
    updated = models.PositiveIntegerField("actualizados", default=0)
    rejected = models.PositiveIntegerField("rechazadas", default=0)
    errors = models.JSONField("errores", default=list, blank=True)  # [[row, column, message], …] (the first ones)
    warnings = models.JSONField("avisos", default=list, blank=True)
    message = models.TextField("mensaje", blank=True)
    error_report = models.FileField("reporte de errores", upload_to="imports/%Y/%m/", max_length=300, blank=True)
    # The file's column → field chosen in the mapping step ("" = ignorar), by the file's header
    # (and, under customers.import_columns.CONSTANTS_KEY, the values given for every row),
    # and how each column was read in the last preview ([{"header", "key", "how"}]).
    mapping = models.JSONField("columnas elegidas", default=dict, blank=True)
    columns = models.JSONField("columnas", default=list, blank=True)
    # What the preview's checks depended on (attribute definitions, required fields) and whether
    # its rows were staged: the confirmed import writes the staged rows while these still hold.
    checked_rules = models.JSONField(default=dict, blank=True)
    # The Direcciones and Contactos sheets: {sheet: {"headers", "add", "unchanged", "errors", "added"}}.
    sheets = models.JSONField("otras hojas", default=dict, blank=True)
    # An import written in several connections (customers.import_parallel): set, and committed,
    # once every part is prepared and before any commits — the decision a worker killed in
    # between leaves for reap_if_dead to carry out (commit the parts) instead of rolling back.
    commit_decided = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = "importación"
        verbose_name_plural = "importaciones"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.CHECKING, self.Status.QUEUED, self.Status.IMPORTING)

    @property
    def percent(self) -> int:
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0

    @property
    def sheet_adds(self) -> int:
        """Addresses and contacts (the Direcciones and Contactos sheets) the import would add."""
        return sum(counts.get("add", 0) for counts in (self.sheets or {}).values())

    @property
    def importable(self) -> bool:
        """The preview found something to write: customers to create or update, or addresses and
        contacts for customers already registered."""
        return bool(self.to_create or self.to_update or self.sheet_adds)


class ImportStagedRow(models.Model):
    """A row of an import as the preview checked it, ready for the confirmed import to write with
    a few set-based statements (customers.import_staging) instead of cleaning the file again.
    Kept until the import ends; ``batch`` is "job-<id>" (or a one-off key for the admin)."""

    batch = models.CharField(max_length=40)
    sheet = models.CharField(max_length=20, blank=True)  # "" for Clientes, else Direcciones, Contactos
    number = models.PositiveIntegerField()  # the row's number in its sheet
    action = models.CharField(max_length=8)  # create, update, address, contact, error
    parent = models.PositiveIntegerField(null=True)  # an address's or contact's customer row in Clientes
    customer_id = models.BigIntegerField(null=True)  # the matched customer; a create's new id at the write
    # Customer columns to write (by column name, as jsonb_populate_record reads them): every
    # column for a create, the changed ones for an update; null for an error row.
    fields = models.JSONField(null=True)
    phones = models.JSONField(null=True)  # [[number, whatsapp], …] when the row writes them
    emails = models.JSONField(null=True)  # [email, …] when the row writes them
    address = models.JSONField(null=True)  # the main address when the row writes it
    note = models.TextField(blank=True)  # the customer's "Creado / Actualizado por importación" note
    extra = models.JSONField(null=True)  # {group: values} of the columns apps above customers add
    errors = models.JSONField(null=True)  # [[column, message], …] of an error row
    raw = models.JSONField(null=True)  # an error row's cells as read, for the error report

    class Meta:
        verbose_name = "fila preparada de importación"
        verbose_name_plural = "filas preparadas de importación"
        indexes = [
            # The confirmed import's statements each pick one action of a batch (the rows to
            # update, the Direcciones rows, the errors…): through this index a statement reads
            # only those rows, and one whose action the file has none of reads nothing.
            models.Index(fields=["batch", "action"], name="staged_row_batch_action_idx"),
        ]

    def __str__(self):
        return f"{self.batch} fila {self.number} ({self.action})"


class ImportMapping(models.Model):
    """The column mapping chosen for a file with these headers, offered again for the next one."""

    headers_key = models.CharField(max_length=64, unique=True)  # sha256 of the folded headers
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "columnas de importación"
        verbose_name_plural = "columnas de importación"

    def __str__(self):
        # The values for every row (customers.import_columns.CONSTANTS_KEY) are a dict.
        return ", ".join(
            ", ".join(f"{k} = {v}" for k, v in key.items())
            if isinstance(key, dict)
            else f"{header} → {key or 'ignorar'}"
            for header, key in self.mapping.items()
        )[:200]


class CustomerMerge(models.Model):
    """One Fusionar: `merged` went into `survivor`. `record` holds what it takes to undo it
    exactly (customers.services.merging): the rows each mover moved, the survivor's fields,
    phones and e-mails before, and the merged customer's state."""

    survivor = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="merges", verbose_name="cliente que queda"
    )
    merged = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", verbose_name="cliente fusionado")
    record = models.JSONField("registro", default=dict)
    # The survivor's "Fusionado" note: its Deshacer button on the timeline.
    note = models.ForeignKey(CustomerNote, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField("fusionado", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="usuario"
    )
    undone_at = models.DateTimeField("deshecha", null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = "fusión de clientes"
        verbose_name_plural = "fusiones de clientes"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["merged"], name="customer_merge_merged_idx", condition=models.Q(undone_at__isnull=True)
            )
        ]

    def __str__(self):
        return f"{self.merged_id} → {self.survivor_id}"


class DuplicateDismissal(models.Model):
    """«No son duplicados»: a group of the finder (its customers' ids, sorted) not shown again."""

    signature = models.CharField("clientes", max_length=200, unique=True)  # "12-57-90"
    created_at = models.DateTimeField("descartado", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="usuario"
    )

    class Meta:
        verbose_name = "grupo descartado"
        verbose_name_plural = "grupos descartados"

    def __str__(self):
        return self.signature
