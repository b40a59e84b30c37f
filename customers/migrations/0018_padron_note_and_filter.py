"""The note kind «Padrón SUNAT» (estado/condición refreshed from a new padrón, padron app) and
the partial index of the list's filter «Padrón SUNAT: no activo / no habido», built
CONCURRENTLY so a large customer table keeps taking writes (0013 says what to do if it fails)."""

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0017_repair_registry_dates"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="customernote",
            name="kind",
            field=models.CharField(
                choices=[
                    ("manual", "Nota"),
                    ("creado", "Creado"),
                    ("editado", "Editado"),
                    ("desactivado", "Desactivado"),
                    ("activado", "Activado"),
                    ("eliminado", "Eliminado"),
                    ("restaurado", "Restaurado"),
                    ("revertido", "Revertido"),
                    ("importado", "Importado"),
                    ("direccion", "Dirección"),
                    ("contacto", "Contacto"),
                    ("credito_bloqueado", "Crédito bloqueado"),
                    ("credito_desbloqueado", "Crédito desbloqueado"),
                    ("cupo_cambiado", "Cupo cambiado"),
                    ("padron", "Padrón SUNAT"),
                ],
                max_length=30,
                verbose_name="tipo",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcustomernote",
            name="kind",
            field=models.CharField(
                choices=[
                    ("manual", "Nota"),
                    ("creado", "Creado"),
                    ("editado", "Editado"),
                    ("desactivado", "Desactivado"),
                    ("activado", "Activado"),
                    ("eliminado", "Eliminado"),
                    ("restaurado", "Restaurado"),
                    ("revertido", "Revertido"),
                    ("importado", "Importado"),
                    ("direccion", "Dirección"),
                    ("contacto", "Contacto"),
                    ("credito_bloqueado", "Crédito bloqueado"),
                    ("credito_desbloqueado", "Crédito desbloqueado"),
                    ("cupo_cambiado", "Cupo cambiado"),
                    ("padron", "Padrón SUNAT"),
                ],
                max_length=30,
                verbose_name="tipo",
            ),
        ),
        AddIndexConcurrently(
            model_name="customer",
            index=models.Index(
                condition=models.Q(
                    ("deleted_at__isnull", True),
                    models.Q(
                        models.Q(("registry_status__in", ["", "ACTIVO"]), _negated=True),
                        ("registry_condition__startswith", "NO HABIDO"),
                        ("registry_condition__startswith", "NO HALLADO"),
                        _connector="OR",
                    ),
                ),
                fields=["sort_key", "id"],
                name="customer_registry_alert_idx",
            ),
        ),
    ]
