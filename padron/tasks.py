"""Background work of the padrón: thin wrappers around padron.services."""

from django_tasks import task

from padron import services


@task()
def load_padron(*, load_id: int) -> str:
    """Load a padrón file into a new table and swap it in (progress on the PadronLoad)."""
    return services.run_load(load_id).status


@task()
def refresh_customers(*, load_id: int) -> int:
    """Update customers' estado/condición from the padrón just loaded."""
    return services.refresh_customers(load_id=load_id)
