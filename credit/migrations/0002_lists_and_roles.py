from django.db import migrations

PRICE_LISTS = ["Lista general"]
# name, kind, plazo in days
PAYMENT_TERMS = [
    ("Contado", "contado", 0),
    ("Crédito 30 días", "credito", 30),
    ("Transferencia", "contado", 0),
    ("Tarjeta", "contado", 0),
]


def seed(apps, schema_editor):
    PriceList = apps.get_model("credit", "PriceList")
    PaymentTerm = apps.get_model("credit", "PaymentTerm")
    PointsProgram = apps.get_model("credit", "PointsProgram")
    for position, name in enumerate(PRICE_LISTS, start=1):
        PriceList.objects.get_or_create(name=name, defaults={"position": position})
    for position, (name, kind, days) in enumerate(PAYMENT_TERMS, start=1):
        PaymentTerm.objects.get_or_create(name=name, defaults={"kind": kind, "term_days": days, "position": position})
    PointsProgram.objects.get_or_create(pk=1)


def sync_roles(apps, schema_editor):
    from customers.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("credit", "0001_initial"), ("customers", "0014_search_variants")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
