from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render


@login_not_required
def csrf_failure(request, reason=""):
    """Spanish page for a rejected form (expired page, cookies off); never shows the reason."""
    return render(request, "403_csrf.html", status=403)
