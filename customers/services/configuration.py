"""Configuración: what the business makes mandatory, and its lists of categorías and clases."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from customers.models import Category, Customer, CustomerSettings
from peru.text import clean_spaces


def get_customer_settings() -> CustomerSettings:
    settings, _ = CustomerSettings.objects.get_or_create(pk=1)
    return settings


def update_customer_settings(*, actor, data: dict) -> CustomerSettings:
    with transaction.atomic():
        settings = CustomerSettings.objects.select_for_update().get_or_create(pk=1)[0]
        for field in ("require_email", "require_phone", "require_address"):
            if field in data:
                setattr(settings, field, bool(data[field]))
        settings.save()
    return settings


def save_choice(*, actor, model, name: str, instance=None):
    """Create or rename a Category or CustomerClass."""
    label = model._meta.verbose_name
    name = clean_spaces(name)
    if not name:
        raise ValidationError({"name": [f"Ingrese el nombre de la {label}."]})
    if len(name) > 60:
        raise ValidationError({"name": [f"Máximo 60 caracteres (tiene {len(name)})."]})
    clash = model.objects.filter(name__iexact=name)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise ValidationError({"name": [f"Ya existe una {label} con ese nombre."]})
    instance = instance or model(position=model.objects.count())
    instance.name = name
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise ValidationError({"name": [f"Ya existe una {label} con ese nombre."]}) from None
    return instance


def delete_choice(*, actor, instance) -> None:
    field = "category" if isinstance(instance, Category) else "customer_class"
    in_use = Customer.objects.filter(Q(**{field: instance})).count()
    if in_use:
        raise ValidationError(
            f"No se puede eliminar «{instance.name}»: {in_use} cliente{'s' if in_use != 1 else ''} la usa"
            f"{'n' if in_use != 1 else ''}. Cámbielos primero."
        )
    instance.delete()
