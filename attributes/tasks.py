"""Background work of the attributes app: thin wrappers around attributes.indexes."""

from django_tasks import task

from attributes import indexes


@task()
def sync_attribute_index(*, definition_id: int) -> str:
    """Build or drop the btree index that makes range filters of one attribute fast."""
    return indexes.sync_index(definition_id)
