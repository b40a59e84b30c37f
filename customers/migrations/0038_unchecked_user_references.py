"""No database check on a customer's created_by nor a note's author (bench/README.md, the
confirmed import's PostgreSQL CPU): a large import checked the same user row again, at its
commit, for each customer it created and each note it wrote (75,000 checks a part of a
100,000-row file), as 0036 stopped the history's history_user checks for the same reason.
Deleting a user still sets both to NULL (on_delete=SET_NULL, through Django).

Dropping the constraints takes a brief lock on the customers, notes and users' tables (no scan).
Going back to 0037 adds them again (checking every row: at 1,000,000 customers, seconds).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0037_staged_row_batch_action_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="customer",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="creado por",
            ),
        ),
        migrations.AlterField(
            model_name="customernote",
            name="author",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="autor",
            ),
        ),
    ]
