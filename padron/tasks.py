"""Background work of the padrón: thin wrappers around padron.loading."""

from django_tasks import task

from padron import loading
from padron.models import PadronLoad


@task()
def load_padron(*, load_id: int) -> str:
    """Load a padrón file into a new table and swap it in (progress on the PadronLoad); then
    queue the refresh of customers' estado/condición."""
    load = loading.run_load(load_id)
    if load.status == PadronLoad.Status.DONE:
        refresh_customers.enqueue(load_id=load.pk)
    return load.status


@task()
def refresh_customers(*, load_id: int) -> int:
    """Update customers' estado/condición from the padrón just loaded."""
    return loading.refresh_customers(load_id=load_id)
