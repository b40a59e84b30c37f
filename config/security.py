"""Which address a request comes from, for login throttling (django-axes)."""

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, unless TRUSTED_PROXY_COUNT proxies sit in front of us.

    X-Forwarded-For is written by the client first and by each proxy after it, so only the
    entry added by our own outermost proxy can be trusted: counting from the right. Without
    trusted proxies the header is ignored, so a spoofed header cannot reset the count.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]
