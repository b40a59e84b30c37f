from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from config.auth import can_use_admin
from credit.authorizations import hold_duration
from credit.queries import queue_counts
from customers.roles import role_names

# Top navigation: (label, url name, permission needed to see it). A section whose page has
# not been built yet shows as disabled rather than linking to a dead page.
NAVIGATION = [
    ("Clientes", "customers:list", "customers.view_customer"),
    # A permission of its own (customers/roles.py: Administrador).
    ("Importar", "customers:import", "customers.import_customer"),
    ("Papelera", "customers:trash", "customers.view_customer"),
    ("Atributos adicionales", "attributes:list", "attributes.manage_attributedefinition"),
    # Créditos' queue of raise-cupo requests, with the count of pending ones (BADGES below).
    ("Solicitudes de crédito", "credit:requests", "credit.view_creditrequest"),
    # Créditos' queue of credit authorizations the API refused (approve by exception), with the
    # count of the last CREDIT_AUTHORIZATION_HOURS.
    ("Autorizaciones rechazadas", "credit:authorizations", "credit.view_creditauthorization"),
    # Ventas sees the outcome of what it asked (hidden for who sees the queue itself).
    ("Mis solicitudes", "credit:my_requests", "credit.add_creditrequest"),
    ("Configuración", "settings", "customers.change_customersettings"),
]
BADGES = ("credit:requests", "credit:authorizations")
HIDDEN_WITH = {"credit:my_requests": "credit.view_creditrequest"}


def navigation(request):
    """The top navigation and the user menu, read only by templates that show them (base.html):
    an htmx partial of the list renders without them, and skips their queries (the pending
    requests' count)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    return {
        "nav_items": SimpleLazyObject(lambda: _navigation_items(request, user)),
        "can_use_admin": SimpleLazyObject(lambda: can_use_admin(user)),
        # The user's groups, read with its permissions (customers.roles.role_names).
        "user_roles": SimpleLazyObject(lambda: role_names(user)),
    }


def _navigation_items(request, user) -> list[dict]:
    items = []
    current = request.path
    shown = [
        (label, url_name)
        for label, url_name, perm in NAVIGATION
        if user.has_perm(perm) and not (url_name in HIDDEN_WITH and user.has_perm(HIDDEN_WITH[url_name]))
    ]
    badges = _badges({url_name for _, url_name in shown})
    for label, url_name in shown:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            url = None
        matches = bool(url) and (current == url or (url != "/" and current.startswith(url)))
        items.append({"label": label, "url": url, "active": matches, "badge": badges.get(url_name)})
    # /clientes/papelera/ is inside /clientes/: only the closest section is the current one.
    active = [item for item in items if item["active"]]
    for item in active:
        item["active"] = item is max(active, key=lambda i: len(i["url"]))
    return items


def _badges(url_names: set) -> dict:
    """The counts of the shown sections that carry one (BADGES), in one query."""
    requests, authorizations = BADGES
    if not url_names & set(BADGES):
        return {}
    pending, refused = queue_counts(
        pending=requests in url_names,
        refused_since=timezone.now() - hold_duration() if authorizations in url_names else None,
    )
    return {requests: pending, authorizations: refused}
