from django.db.models import QuerySet

from customers.models import Customer


def list_customers(*, actor) -> QuerySet[Customer]:
    """Customers the actor may see, in Spanish alphabetical order."""
    return Customer.objects.select_related("document_type").order_by("sort_key", "id")
