"""The lists Configuración starts with. The data migration calls seed_lists with its
historical models; tests that flush the database (live_server) call it again."""

PRICE_LISTS = ["Lista general"]
# name, kind, plazo in days
PAYMENT_TERMS = [
    ("Contado", "contado", 0),
    ("Crédito 30 días", "credito", 30),
    ("Transferencia", "contado", 0),
    ("Tarjeta", "contado", 0),
]


def seed_lists(apps=None) -> None:
    """Create the seeded lists and the points program row when missing (idempotent)."""
    from django.apps import apps as global_apps

    apps = apps or global_apps
    PriceList = apps.get_model("credit", "PriceList")
    PaymentTerm = apps.get_model("credit", "PaymentTerm")
    PointsProgram = apps.get_model("credit", "PointsProgram")
    for position, name in enumerate(PRICE_LISTS, start=1):
        PriceList.objects.get_or_create(name=name, defaults={"position": position})
    for position, (name, kind, days) in enumerate(PAYMENT_TERMS, start=1):
        PaymentTerm.objects.get_or_create(name=name, defaults={"kind": kind, "term_days": days, "position": position})
    PointsProgram.objects.get_or_create(pk=1)
