"""registry_checked_at came from the browser until the services stamped it themselves: a
value outside 1900 … tomorrow (0001-01-01+14:00 made every page showing that customer answer
500) is not a time the registry was asked, so it becomes unknown (NULL), in the customers and
in their history. Compared in SQL: such values cannot even be read into Python.
"""

from datetime import UTC, datetime, timedelta

from django.db import migrations
from django.db.models import Q
from django.utils import timezone

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


def repair(apps, schema_editor):
    out_of_range = Q(registry_checked_at__lt=EARLIEST) | Q(registry_checked_at__gt=timezone.now() + timedelta(days=1))
    for model in ("Customer", "HistoricalCustomer"):
        fixed = apps.get_model("customers", model).objects.filter(out_of_range).update(registry_checked_at=None)
        if fixed:
            print(f"\n  customers.0017: {fixed} {model} con registry_checked_at fuera de rango, ahora vacío")


class Migration(migrations.Migration):
    dependencies = [("customers", "0016_ascii_document_numbers")]

    operations = [migrations.RunPython(repair, migrations.RunPython.noop)]
