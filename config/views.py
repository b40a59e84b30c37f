from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.templatetags.static import static

from config.audit import log_event


@login_not_required
def csrf_failure(request, reason=""):
    """Spanish page for a rejected form (expired page, cookies off); never shows the reason
    (the log has Django's, which names no token)."""
    log_event(request, "Formulario rechazado (CSRF)", detail=reason)
    return render(request, "403_csrf.html", status=403)


@login_not_required
def favicon(request):
    """Browsers ask for /favicon.ico on every site, signed in or not; the icon is a static file
    (its name carries a hash in production, so the redirect is not permanent)."""
    return redirect(static("img/favicon.svg"))
