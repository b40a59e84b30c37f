"""An upload over the import's size limit is refused while it arrives (customers.uploads): by its
declared length before a byte of it is read, by its counted bytes otherwise; never stored whole
on disk first, the page answering with the size and the maximum in Spanish."""

import http.client
import socket
import threading
from contextlib import suppress
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.test import Client
from django.urls import reverse

from customers.models import Customer, ImportJob
from customers.uploads import FORM_ALLOWANCE
from tests.customers.test_import import company, xlsx
from tests.roles import user_with_role

IMPORT = reverse("customers:import")
ADMIN_IMPORT = "/admin/customers/customer/import/"
MB = 1_048_576


class StoredBytes(FileUploadHandler):
    """Put before Django's own handlers (memory, temporary file): counts the bytes of the file
    that reached them, that is, that were kept in memory or written to disk."""

    total = 0

    def receive_data_chunk(self, raw_data, start):
        StoredBytes.total += len(raw_data)
        return raw_data

    def file_complete(self, file_size):
        return None


@pytest.fixture
def uploads_dir(settings, tmp_path):
    """A 1 MB limit; Django's temporary upload files in a folder of this test, used from 1 KB on;
    StoredBytes counting what reaches them."""
    settings.IMPORT_MAX_BYTES = MB
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.FILE_UPLOAD_HANDLERS = [f"{__name__}.StoredBytes", *django_settings.FILE_UPLOAD_HANDLERS]
    StoredBytes.total = 0
    return tmp_path


def _page_error(response) -> str:
    page = response.content.decode()
    start = page.index('id="archivo-error"')
    return page[page.index(">", start) + 1 : page.index("</div>", start)]


def test_a_file_declared_over_the_limit_is_refused_before_any_of_it_is_kept(client, db, uploads_dir):
    client.force_login(user_with_role("Administrador"))
    response = client.post(IMPORT, {"archivo": SimpleUploadedFile("grande.xlsx", b"x" * 3_000_000)})
    assert response.status_code == 400
    assert _page_error(response) == "El archivo pesa 2.9 MB; el máximo es 1 MB. Divídalo en varios archivos."
    assert StoredBytes.total == 0
    assert list(uploads_dir.iterdir()) == [] and not ImportJob.objects.exists()


def test_a_file_just_over_the_limit_is_refused_once_its_bytes_pass_it(client, db, uploads_dir):
    """Its request is within the room left for the form's fields: the bytes are counted, and the
    reading stops at the limit; the part already stored is removed with its temporary file."""
    client.force_login(user_with_role("Administrador"))
    size = MB + FORM_ALLOWANCE // 2
    response = client.post(IMPORT, {"archivo": SimpleUploadedFile("justo.xlsx", b"x" * size)})
    assert response.status_code == 400
    assert _page_error(response) == "El archivo pesa 1.1 MB; el máximo es 1 MB. Divídalo en varios archivos."
    assert 0 < StoredBytes.total <= MB
    assert list(uploads_dir.iterdir()) == [] and not ImportJob.objects.exists()


def test_a_file_of_exactly_the_limit_is_taken(client, db, uploads_dir, settings):
    content = xlsx([company()])
    settings.IMPORT_MAX_BYTES = len(content)
    client.force_login(user_with_role("Administrador"))
    response = client.post(IMPORT, {"archivo": SimpleUploadedFile("clientes.xlsx", content)})
    assert response.status_code == 302 and Customer.objects.count() == 0
    assert ImportJob.objects.get().file_size == len(content)
    settings.IMPORT_MAX_BYTES = len(content) - 1
    response = client.post(IMPORT, {"archivo": SimpleUploadedFile("clientes.xlsx", content)})
    assert response.status_code == 400 and "el máximo es" in _page_error(response)
    assert ImportJob.objects.count() == 1


def test_the_pages_still_check_the_csrf_token_of_a_file_within_the_limit(db, uploads_dir):
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(user_with_role("Administrador"))
    response = checked.post(IMPORT, {"archivo": SimpleUploadedFile("clientes.xlsx", xlsx([company()]))})
    assert response.status_code == 403 and not ImportJob.objects.exists()
    page = checked.get(IMPORT).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = checked.post(
        IMPORT, {"csrfmiddlewaretoken": token, "archivo": SimpleUploadedFile("clientes.xlsx", xlsx([company()]))}
    )
    assert response.status_code == 302 and ImportJob.objects.count() == 1
    # The admin's Importar too.
    response = checked.post(
        ADMIN_IMPORT, {"format": "0", "import_file": SimpleUploadedFile("a.xlsx", xlsx([company()]))}
    )
    assert response.status_code == 403
    response = checked.post(
        ADMIN_IMPORT,
        {"csrfmiddlewaretoken": token, "format": "0", "import_file": SimpleUploadedFile("a.xlsx", xlsx([company()]))},
    )
    assert response.status_code == 200 and 'name="import_file_name"' in response.content.decode()


@pytest.mark.parametrize("size", [3_000_000, MB + FORM_ALLOWANCE // 2])
def test_the_admin_import_refuses_a_file_over_the_limit_before_keeping_it(client, db, uploads_dir, size):
    client.force_login(user_with_role("Administrador"))
    response = client.post(ADMIN_IMPORT, {"format": "0", "import_file": SimpleUploadedFile("a.xlsx", b"x" * size)})
    assert response.status_code == 302 and response.url == ADMIN_IMPORT
    assert StoredBytes.total <= MB and list(uploads_dir.iterdir()) == []
    page = client.get(response.url).content.decode()
    assert "el máximo es 1 MB. Divídalo en varios archivos." in page


# --- over HTTP, to a live server -----------------------------------------------------------------


def _browser() -> tuple[str, str]:
    """What a signed-in browser sends with the Importar form: its cookies and the form's token."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_with_role("Administrador"))
    page = client.get(IMPORT).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    cookies = "; ".join(f"{name}={client.cookies[name].value}" for name in ("sessionid", "csrftoken"))
    return cookies, token


def _post_upload(live_url: str, browser: tuple[str, str], *, declared: int, sent: int) -> tuple[int, str]:
    """POST to Importar, as the form does, a multipart body whose Content-Length is ``declared``
    and of which the first ``sent`` bytes are sent (from a thread: the server may answer before
    taking them); the answer's status and page."""
    address = urlsplit(live_url)
    cookies, token = browser
    boundary = "limite-de-prueba"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="archivo"; filename="grande.xlsx"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    request = (
        f"POST {IMPORT} HTTP/1.1\r\nHost: {address.netloc}\r\nCookie: {cookies}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {declared}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    if sent < declared:
        body = head + b"x" * (sent - len(head))
    else:  # the whole body, well formed: the file fills what the form's parts leave
        body = head + b"x" * (declared - len(head) - len(tail)) + tail
    sock = socket.create_connection((address.hostname, address.port), timeout=60)

    def send():
        with suppress(OSError):  # the server answered and the test closed the connection
            sock.sendall(request + body)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read().decode()
    finally:
        sock.close()
        sender.join()


@pytest.fixture
def live_uploads(live_server, transactional_db, reference_data, uploads_dir):
    return live_server.url, _browser()


def test_over_http_a_2_gb_upload_is_answered_without_being_received(live_uploads, uploads_dir):
    """2 GB declared, 64 KB of it sent: the page answers all the same, so the server read none
    of the rest (it would wait for it)."""
    url, browser = live_uploads
    status, page = _post_upload(url, browser, declared=2 * 1024 * MB, sent=64 * 1024)
    assert status == 400
    assert "El archivo pesa 2048.0 MB; el máximo es 1 MB. Divídalo en varios archivos." in page
    assert StoredBytes.total == 0 and list(uploads_dir.iterdir()) == []
    assert not ImportJob.objects.exists()


def test_over_http_a_whole_body_over_the_limit_gets_the_message(live_uploads, uploads_dir):
    url, browser = live_uploads
    status, page = _post_upload(url, browser, declared=3 * MB, sent=3 * MB)
    assert status == 400
    assert "El archivo pesa 3.0 MB; el máximo es 1 MB. Divídalo en varios archivos." in page
    assert StoredBytes.total == 0 and list(uploads_dir.iterdir()) == []
    assert not ImportJob.objects.exists()


def test_gunicorn_answers_a_2_gb_upload_without_receiving_it(transactional_db, reference_data, monkeypatch, tmp_path):
    """The production server (manage.py run's gunicorn) as well: the answer comes while 2 GB are
    declared and 64 KB sent."""
    from tests.test_web_server import _serve

    monkeypatch.setenv("IMPORT_MAX_MB", "1")
    browser = _browser()
    process, base, _ = _serve(False, (tmp_path / "web.log").open("w"), workers=1, threads=2)
    try:
        status, page = _post_upload(base, browser, declared=2 * 1024 * MB, sent=64 * 1024)
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert status == 400
    assert "El archivo pesa 2048.0 MB; el máximo es 1 MB. Divídalo en varios archivos." in page
    assert not ImportJob.objects.exists()
