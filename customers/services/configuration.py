"""Configuración: what the business makes mandatory, and its lists of categorías and clases.
The Configuración page and the Django admin call the same functions."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from customers.access import require_permission
from customers.models import Category, Customer, CustomerSettings
from customers.services.cleaning import refuse_control_characters
from peru.text import clean_spaces

CONFIGURE = "customers.change_customersettings"
CHOICE_NAME_MAX = 60


def get_customer_settings() -> CustomerSettings:
    settings, _ = CustomerSettings.objects.get_or_create(pk=1)
    return settings


def update_customer_settings(*, actor, data: dict) -> CustomerSettings:
    require_permission(actor, CONFIGURE)
    with transaction.atomic():
        settings = CustomerSettings.objects.select_for_update().get_or_create(pk=1)[0]
        for field in ("require_email", "require_phone", "require_address"):
            if field in data:
                setattr(settings, field, bool(data[field]))
        settings.save()
    return settings


def clean_choice_name(*, model, name: str, instance=None) -> str:
    """The name a Category or CustomerClass would get, or ValidationError({"name": …}); the
    admin's form asks before it saves, so a refusal shows on the form."""
    label = model._meta.verbose_name
    refuse_control_characters({"name": name})
    name = clean_spaces(name)
    if not name:
        raise ValidationError({"name": [f"Ingrese el nombre de la {label}."]})
    if len(name) > CHOICE_NAME_MAX:
        raise ValidationError({"name": [f"Máximo {CHOICE_NAME_MAX} caracteres (tiene {len(name)})."]})
    clash = model.objects.filter(name__iexact=name)
    if instance is not None and instance.pk is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise ValidationError({"name": [f"Ya existe una {label} con ese nombre."]})
    return name


def save_choice(*, actor, model, name: str, instance=None):
    """Create or rename a Category or CustomerClass."""
    require_permission(actor, CONFIGURE)
    name = clean_choice_name(model=model, name=name, instance=instance)
    instance = instance if instance is not None else model()
    if instance.pk is None:
        instance.position = model.objects.count()
    instance.name = name
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        label = model._meta.verbose_name
        raise ValidationError({"name": [f"Ya existe una {label} con ese nombre."]}) from None
    return instance


def check_delete_choice(instance) -> None:
    """ValidationError while customers use the Category or CustomerClass (the Papelera's too)."""
    field = "category" if isinstance(instance, Category) else "customer_class"
    in_use = Customer.objects.filter(**{field: instance}).count()
    if in_use:
        raise ValidationError(
            f"No se puede eliminar «{instance.name}»: {in_use} cliente{'s' if in_use != 1 else ''} la usa"
            f"{'n' if in_use != 1 else ''}. Cámbielos primero."
        )


def delete_choice(*, actor, instance) -> None:
    require_permission(actor, CONFIGURE)
    check_delete_choice(instance)
    try:
        with transaction.atomic():
            instance.delete()
    except ProtectedError:
        # A customer took it between the check and the delete: the foreign key refused.
        check_delete_choice(instance)
        raise
