"""Loads of the padrón reducido del RUC, and the first (empty) padron_taxpayer table with its
indexes. Later loads rebuild that table beside it and swap it in (padron.schema, which holds
the same SQL; this copy is frozen, as a migration must be)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PadronLoad",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("en_cola", "En cola"),
                            ("cargando", "Cargando"),
                            ("cargado", "Cargado"),
                            ("fallido", "No se cargó"),
                        ],
                        default="en_cola",
                        max_length=10,
                        verbose_name="estado",
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("subido", "Archivo subido"),
                            ("almacenamiento", "Archivo en el almacenamiento"),
                            ("ruta", "Archivo del servidor (manage.py load_padron)"),
                        ],
                        max_length=15,
                        verbose_name="origen",
                    ),
                ),
                ("file_name", models.CharField(max_length=500, verbose_name="archivo")),
                ("original_name", models.CharField(blank=True, max_length=255, verbose_name="nombre del archivo")),
                ("file_size", models.BigIntegerField(default=0, verbose_name="tamaño (bytes)")),
                ("file_date", models.DateField(blank=True, null=True, verbose_name="fecha del padrón")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="creada")),
                ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="intentos")),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="inicio")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="fin")),
                ("heartbeat_at", models.DateTimeField(blank=True, null=True, verbose_name="último avance")),
                ("phase", models.CharField(blank=True, max_length=80, verbose_name="etapa")),
                ("bytes_total", models.BigIntegerField(default=0)),
                ("bytes_read", models.BigIntegerField(default=0)),
                ("lines_read", models.BigIntegerField(default=0, verbose_name="líneas leídas")),
                ("rows_loaded", models.BigIntegerField(default=0, verbose_name="RUC cargados")),
                ("rows_rejected", models.BigIntegerField(default=0, verbose_name="líneas rechazadas")),
                ("rejected_by_reason", models.JSONField(blank=True, default=dict, verbose_name="rechazos por motivo")),
                ("rejected_samples", models.JSONField(blank=True, default=list, verbose_name="ejemplos de rechazos")),
                ("duplicates", models.BigIntegerField(default=0, verbose_name="RUC repetidos")),
                ("message", models.TextField(blank=True, verbose_name="mensaje")),
                ("is_current", models.BooleanField(default=False, verbose_name="en uso")),
                ("taxpayer_count", models.BigIntegerField(default=0, verbose_name="RUC en el padrón")),
                ("customers_checked", models.BigIntegerField(default=0)),
                ("customers_updated", models.BigIntegerField(default=0)),
                ("customers_refreshed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="cargada por",
                    ),
                ),
            ],
            options={
                "verbose_name": "carga del padrón SUNAT",
                "verbose_name_plural": "cargas del padrón SUNAT",
                "ordering": ["-created_at", "-id"],
                "permissions": [("load_padron", "Puede cargar el padrón reducido del RUC")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("is_current", True)), fields=("is_current",), name="one_current_padron"
                    )
                ],
            },
        ),
        migrations.RunSQL(
            sql=[
                """
                CREATE TABLE padron_taxpayer (
                    ruc bigint NOT NULL, name text NOT NULL, status text NOT NULL, condition text NOT NULL,
                    ubigeo text NOT NULL, road_type text NOT NULL, road_name text NOT NULL,
                    zone_code text NOT NULL, zone_type text NOT NULL, number text NOT NULL,
                    interior text NOT NULL, lot text NOT NULL, apartment text NOT NULL, block text NOT NULL,
                    kilometre text NOT NULL
                )
                """,
                "ALTER TABLE padron_taxpayer ADD CONSTRAINT padron_taxpayer_pkey PRIMARY KEY (ruc)",
                """CREATE INDEX padron_taxpayer_name_idx ON padron_taxpayer
                   ((lower(translate(name, 'ÁÉÍÓÚÜÑáéíóúüñ', 'AEIOUUNaeiouun')) COLLATE "C"))""",
            ],
            reverse_sql=["DROP TABLE IF EXISTS padron_taxpayer", "DROP TABLE IF EXISTS padron_taxpayer_new"],
        ),
    ]
