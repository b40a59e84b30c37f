from django.conf import settings
from django.db import models


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


class Customer(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "empresa", "Empresa"
        PERSON = "persona", "Persona natural"

    kind = models.CharField("tipo de cliente", max_length=10, choices=Kind.choices)
    is_foreign = models.BooleanField("extranjero", default=False)
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT, verbose_name="tipo de documento")
    document_number = models.CharField("número de documento", max_length=20, blank=True)
    business_name = models.CharField("razón social", max_length=200, blank=True)
    first_names = models.CharField("nombres", max_length=100, blank=True)
    last_names = models.CharField("apellidos", max_length=100, blank=True)
    # Razón social or "apellidos, nombres", kept by the services; sort_key orders it the
    # Spanish way on any PostgreSQL collation (see customers.text.sort_key).
    name = models.CharField("nombre o razón social", max_length=250, editable=False)
    sort_key = models.CharField(max_length=250, editable=False, db_index=True)
    email = models.CharField("correo electrónico", max_length=254, blank=True)
    phone = models.CharField("teléfono", max_length=20, blank=True)
    business_line = models.CharField("giro", max_length=150, blank=True)
    is_active = models.BooleanField("activo", default=True)
    created_at = models.DateTimeField("creado", auto_now_add=True)
    updated_at = models.DateTimeField("modificado", auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="creado por",
    )

    class Meta:
        verbose_name = "cliente"
        verbose_name_plural = "clientes"
        ordering = ["sort_key", "id"]

    def __str__(self):
        return self.name

    @property
    def phone_display(self) -> str:
        from customers.phones import national_format

        return national_format(self.phone)


class Address(models.Model):
    class Kind(models.TextChoices):
        FISCAL = "fiscal", "Fiscal"
        DELIVERY = "entrega", "Entrega"
        OTHER = "otra", "Otra"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses", verbose_name="cliente")
    kind = models.CharField("tipo", max_length=10, choices=Kind.choices, default=Kind.FISCAL)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, verbose_name="distrito (ubigeo)"
    )
    street = models.CharField("calle y número", max_length=200, blank=True)
    unit = models.CharField("Dpto./Ofic./Casa", max_length=60, blank=True)
    reference = models.CharField("indicaciones", max_length=250, blank=True)
    is_default = models.BooleanField("predeterminada", default=False)

    class Meta:
        verbose_name = "dirección"
        verbose_name_plural = "direcciones"
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(is_default=True), name="one_default_address_per_customer"
            )
        ]

    def __str__(self):
        parts = [self.street, self.unit]
        if self.district_id:
            parts.append(self.district.name)
        return ", ".join(p for p in parts if p)
