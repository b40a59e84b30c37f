"""A browser whose own size check did not run (an old one, scripts off) sends a file far over the
limit: the server refuses it while it arrives (customers.uploads) and the browser shows why —
the early answer is not lost to a reset connection. Against gunicorn, the production server,
which stops reading what the page left unread."""

from django.test import Client
from playwright.sync_api import expect

from tests.roles import user_with_role
from tests.test_web_server import _serve


def test_a_browser_that_sent_a_50_mb_file_is_told_its_size_and_the_maximum(
    browser, transactional_db, reference_data, monkeypatch, tmp_path
):
    monkeypatch.setenv("IMPORT_MAX_MB", "1")
    client = Client()
    client.force_login(user_with_role("Administrador"))
    big = tmp_path / "grande.xlsx"
    big.write_bytes(b"x" * 50_000_000)
    process, base, _ = _serve(False, (tmp_path / "web.log").open("w"), workers=1, threads=2)
    context = browser.new_context(base_url=base, locale="es-PE")
    try:
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])
        page = context.new_page()
        page.goto("/clientes/importar/")
        # What a browser without the page's script does: no check before sending.
        page.evaluate("document.getElementById('id_archivo').removeAttribute('data-max-bytes')")
        page.locator("#id_archivo").set_input_files(str(big))
        with page.expect_navigation() as sent:
            page.get_by_role("button", name="Revisar archivo").click()
        assert sent.value.status == 400
        expect(page.locator("#archivo-error")).to_have_text(
            "El archivo pesa 47.7 MB; el máximo es 1 MB. Divídalo en varios archivos."
        )
    finally:
        context.close()
        process.terminate()
        process.wait(timeout=15)
