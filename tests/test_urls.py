"""Every URL of the project asks an anonymous visitor to sign in.

The URLs are read from the resolver when the tests are collected, so a URL added by a later
feature is checked without touching this file; one that answers an anonymous visitor with
anything but the way to the login page fails here, unless it is in PUBLIC below.
"""

# re._parser: the standard library's regex parser (its public alias sre_parse is deprecated).
from re import _constants as sre_constants
from re import _parser as sre_parse
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

pytestmark = pytest.mark.django_db

# The only URLs an anonymous visitor may use, each with what it answers to GET. Keep it short:
# everything else belongs behind the login page.
PUBLIC = {
    "login": 200,  # the login page itself
    "logout": 405,  # POST only; signing out needs no session (see test_logout_…)
    "admin:login": 200,  # the admin's own login page
    "favicon": 302,  # browsers ask for /favicon.ico before anyone signs in: to the static icon
}
# Not URL patterns, so checked elsewhere: the CSRF failure page is a view without a URL
# (settings.CSRF_FAILURE_VIEW, tests/test_error_pages.py); static files are served by WhiteNoise
# before URL resolution (below).

# The integration API (namespace "api", under /api/v1/) answers anonymous callers 401 JSON, not
# the login page; these of its URLs answer otherwise.
API_NAMESPACE = "api:"
API_OTHERS = {
    "api:openapi-json": 200,  # the published schema: integrators read it before holding a token
    "api:openapi-view": 302,  # the docs page: for people signed in to the app (to the login page)
    "api:api-root": 404,  # nothing there: the operations are under it (JSON, like any unknown API path)
}


def _example(parsed) -> str:
    """A string that the parsed regular expression matches: the shortest non-empty choice,
    with "1" for digits and for "anything", so numeric ids get a plausible value."""
    out = []
    for op, arg in parsed:
        if op is sre_constants.LITERAL:
            out.append(chr(arg))
        elif op is sre_constants.NOT_LITERAL:
            out.append("1" if chr(arg) != "1" else "x")
        elif op is sre_constants.ANY:
            out.append("1")
        elif op is sre_constants.IN:
            out.append(_example_char(arg))
        elif op is sre_constants.BRANCH:
            out.append(_example(arg[1][0]))
        elif op is sre_constants.SUBPATTERN:
            out.append(_example(arg[-1]))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, high, item = arg
            out.append(_example(item) * max(low, min(1, high)))
        elif op is sre_constants.AT:
            continue
        else:
            raise ValueError(f"No sé generar un ejemplo para {op} en un patrón de URL")
    return "".join(out)


def _example_char(items) -> str:
    if items and items[0][0] is sre_constants.NEGATE:
        excluded = {chr(arg) for op, arg in items[1:] if op is sre_constants.LITERAL}
        return next(c for c in "1x-" if c not in excluded)
    for op, arg in items:
        if op is sre_constants.LITERAL:
            return chr(arg)
        if op is sre_constants.RANGE:
            low, high = arg
            return "1" if low <= ord("1") <= high else chr(low)
        if op is sre_constants.CATEGORY:
            return "1" if arg is sre_constants.CATEGORY_DIGIT else "x"
    raise ValueError(f"No sé generar un carácter para {items}")


def _walk(resolver, prefix="", namespace=""):
    """(example path, qualified name, pattern) for every URL pattern, at any depth."""
    for entry in resolver.url_patterns:
        part = _example(sre_parse.parse(entry.pattern.regex.pattern))
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, prefix + part, inner)
        else:
            assert isinstance(entry, URLPattern)
            name = f"{namespace}{entry.name}" if entry.name else None
            yield "/" + prefix + part, name, entry


URLS = list(_walk(get_resolver()))


def test_the_walk_finds_the_project_urls():
    names = {name for _, name, _ in URLS}
    assert {"home", "login", "logout", "customers:list", "admin:index", "admin:auth_user_change"} <= names
    assert set(PUBLIC) <= names


@pytest.mark.parametrize(("path", "name", "pattern"), URLS, ids=[path for path, _, _ in URLS])
def test_every_example_path_reaches_its_own_pattern(path, name, pattern):
    # Otherwise the tests below would check some other view.
    match = resolve(path)
    if (name or "").startswith(API_NAMESPACE):
        # django-ninja names one pattern per operation (GET and POST /customers), all with the
        # path's one view, which dispatches by method: the first pattern of the path answers.
        assert match.route.endswith(str(pattern.pattern)), f"{path} llega a {match.route}, no a {pattern}"
        return
    assert match.func == pattern.callback, f"{path} llega a {match.view_name}, no a {name or pattern}"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("path", "name"),
    [(path, name) for path, name, _ in URLS if name not in PUBLIC and not (name or "").startswith(API_NAMESPACE)],
    ids=[path for path, name, _ in URLS if name not in PUBLIC and not (name or "").startswith(API_NAMESPACE)],
)
def test_an_anonymous_visitor_is_sent_to_sign_in(client, path, name, method):
    response = getattr(client, method)(path)

    assert response.status_code == 302, f"{method.upper()} {path} ({name}) respondió {response.status_code}"
    location = urlsplit(response.headers["Location"])
    # Under LoginRequiredMiddleware Django sends the admin's model pages to LOGIN_URL and the
    # admin's own pages (index, password…) to the admin login; either is a login page.
    logins = {reverse("login")}
    if path.startswith(reverse("admin:index")):
        logins.add(reverse("admin:login"))
    assert location.path in logins, f"{path} redirige a {location.path}, no a {' ni '.join(sorted(logins))}"
    assert parse_qs(location.query).get("next") == [path]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("path", "name"),
    [(path, name) for path, name, _ in URLS if (name or "").startswith(API_NAMESPACE) and name not in API_OTHERS],
    ids=[path for path, name, _ in URLS if (name or "").startswith(API_NAMESPACE) and name not in API_OTHERS],
)
def test_an_anonymous_api_caller_gets_401_json(client, path, name, method):
    response = getattr(client, method)(path)
    if response.status_code == 405:  # that path does not take the method: JSON too
        assert response["Content-Type"].startswith("application/json")
        return
    assert response.status_code == 401, f"{method.upper()} {path} ({name}) respondió {response.status_code}"
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


@pytest.mark.parametrize(("name", "status"), API_OTHERS.items())
def test_the_api_urls_without_a_token(client, name, status):
    response = client.get(reverse(name))
    assert response.status_code == status
    if name == "api:openapi-view":
        assert urlsplit(response.headers["Location"]).path == reverse("login")


@pytest.mark.parametrize(("name", "status"), PUBLIC.items())
def test_a_public_url_answers_an_anonymous_visitor(client, name, status):
    assert client.get(reverse(name)).status_code == status


def test_logout_of_an_anonymous_visitor_goes_to_the_login_page(client):
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("login")


def test_the_login_page_is_the_spanish_form(client):
    response = client.get(reverse("login"))
    assert "Ingresar a Clientes" in response.content.decode()


def test_favicon_ico_leads_to_our_icon(client):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(response.streaming_content)


def test_every_page_links_the_icon(client):
    assert '<link rel="icon" href="/static/img/favicon.svg"' in client.get(reverse("login")).content.decode()


@pytest.mark.parametrize("path", ["/static/css/app.css", "/static/bootstrap/css/bootstrap.min.css"])
def test_static_files_are_served_to_anonymous_visitors(client, path):
    # WhiteNoise answers before the login requirement; the file must really be there.
    response = client.get(path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)
