"""django-tasks-db's worker (``manage.py db_worker``, what ``manage.py run`` starts), which first
finishes what a killed worker left behind.

A large confirmed import writes in parts that wait prepared (two-phase commit,
customers.import_parallel) between its last write and its commit. A worker killed in that moment
leaves them prepared, holding the row locks of every customer they updated: nobody could save those
customers until someone opened the import or started another one. A worker starting again (a
supervisor restarting it, ``manage.py run`` started again) resolves them first — committed when the
import had decided to commit, else rolled back and its job Fallida, ready to retry.

This command takes the name of django-tasks-db's (the ``config`` app comes before it in
INSTALLED_APPS), so every way of starting the worker does it.
"""

from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Command as TaskWorkerCommand

from customers.importing import resolve_abandoned_parts


class Command(TaskWorkerCommand):
    help = TaskWorkerCommand.help + " (first resolving the imports a killed worker left half committed)"

    def handle(self, *args, **options):
        resolve_abandoned_parts()
        close_old_connections()
        return super().handle(*args, **options)
