"""PostgreSQL backend that starts the embedded server on the first connection.

Used only when DATABASE_URL is not set. Starting lazily means commands that never touch the
database (collectstatic, check) do not start a server.
"""

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        from config import embedded

        params = super().get_connection_params()
        params["host"] = embedded.socket_dir()
        params.pop("port", None)
        return params
