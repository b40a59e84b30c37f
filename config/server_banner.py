"""No "Server:" header naming the software (gunicorn, or WSGIServer/0.2 CPython/3.x from the
development server): it tells an attacker which vulnerabilities to try and nobody else needs
it. Both servers write it themselves, outside any middleware, so their response writers are
adjusted once, when Django starts (config.apps)."""


def hide() -> None:
    from django.core.servers import basehttp

    # wsgiref (the development server, live_server): no Server line when server_software is empty;
    # its own error answers (a malformed request line) use version_string().
    basehttp.ServerHandler.server_software = ""
    basehttp.WSGIRequestHandler.version_string = lambda self: ""
    try:
        from gunicorn.http import wsgi
    except ImportError:  # gunicorn is a production dependency; a bare install may lack it
        return
    if getattr(wsgi.Response.default_headers, "_no_server", False):
        return
    original = wsgi.Response.default_headers

    def default_headers(self):
        return [line for line in original(self) if not line.lower().startswith("server:")]

    default_headers._no_server = True
    wsgi.Response.default_headers = default_headers
