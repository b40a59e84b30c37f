"""ImportJob's «Columnas por elegir»: a file none of whose columns was recognized waits for its
owner to say what each one is (the mapping step), instead of being refused. Choices only: no
change in the database."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0038_unchecked_user_references"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="status",
            field=models.CharField(
                choices=[
                    ("pendiente", "En cola para revisar"),
                    ("revisando", "Revisando el archivo"),
                    ("lista", "Vista previa lista"),
                    ("columnas", "Columnas por elegir"),
                    ("en_cola", "En cola para importar"),
                    ("importando", "Importando"),
                    ("terminada", "Terminada"),
                    ("fallida", "Fallida"),
                    ("rechazada", "Archivo rechazado"),
                    ("cancelada", "Cancelada"),
                ],
                default="pendiente",
                max_length=12,
                verbose_name="estado",
            ),
        ),
    ]
