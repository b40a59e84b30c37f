"""Background work of the customers app: thin wrappers around customers.importing."""

from django_tasks import task

from customers import importing


@task()
def preview_import(*, job_id: int) -> str:
    """Read and check an uploaded file (the import's vista previa)."""
    return importing.preview_import(job_id).status


@task()
def run_import(*, job_id: int) -> str:
    """Write a confirmed import."""
    return importing.run_import(job_id).status
