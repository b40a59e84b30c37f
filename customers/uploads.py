"""The import's size limit (settings.IMPORT_MAX_BYTES) applied while an upload arrives, not
after Django has kept it whole.

Django reads a multipart body into memory or a temporary file before a view sees request.FILES:
checked only then (spreadsheets.check_upload), a 2 GB upload was received and written to disk
first. SizeLimit, an upload handler put first in ``request.upload_handlers``, refuses it before:
by the Content-Length the request declares, before a byte of the body is read; otherwise by the
file bytes counted as they arrive (a declared length that leaves room for the form's fields but
holds a file just over the limit). The refused body is not read further (StopUpload with
connection_reset: Django does not drain it), and what the handlers after it had stored of the
file is closed, so its temporary file is gone. The message is check_upload's: the size and the
maximum, in Spanish.

Handlers can't change once the body was read, and CsrfViewMiddleware reads it (the form's token)
before the view runs: limit_upload makes the view csrf_exempt, reads the body itself with the
handler in place, and only then runs the view under csrf_protect — as Django's documentation on
upload handlers tells. A refused upload never reached its token, so its answer (``refused``) is
given without the CSRF check: it must only answer, never act.
"""

from contextlib import suppress
from datetime import timedelta
from functools import wraps

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from import_export.tmp_storages import MediaStorage

from customers import spreadsheets

# What a multipart body holds besides the file: the boundaries, each part's headers (the file's
# name), the form's other fields (its CSRF token, the admin's format). A request longer than the
# limit by more than this holds a file over the limit; a shorter one is judged by its file bytes.
FORM_ALLOWANCE = 64 * 1024


class SizeLimit(FileUploadHandler):
    """Refuses a request whose files add up to more than ``max_bytes``; ``refused`` then holds
    the message. Passes every chunk on to the handlers after it (which store the file)."""

    def __init__(self, request=None, *, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.declared = 0
        self.received = 0
        self.refused = ""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.declared = content_length
        if content_length > self.max_bytes + FORM_ALLOWANCE:
            self._refuse(content_length)
            # The parse ends here, nothing read: no field, no file.
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            # The request's size says best what the file weighs: the body was not all read.
            self._refuse(max(self.received, self.declared))
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None  # the handlers after this one make the file

    def _refuse(self, size: int) -> None:
        try:
            spreadsheets.check_upload(self.file_name or "", size)
        except spreadsheets.FileRefused as exc:
            self.refused = str(exc)


def limit_upload(refused):
    """Decorator: the view's uploads limited to settings.IMPORT_MAX_BYTES while they arrive.
    ``refused(request, message, *args, **kwargs)`` answers a request over it (the view does not
    run); the view itself stays CSRF-protected."""

    def decorate(view):
        protected = csrf_protect(view)

        @wraps(view)
        def limited(request, *args, **kwargs):
            if request.method == "POST":
                handler = SizeLimit(request, max_bytes=spreadsheets.max_bytes())
                request.upload_handlers.insert(0, handler)
                # The body read now, with the handler first. A client gone mid-body
                # (UnreadablePostError) leaves the CSRF check no token, as before.
                with suppress(OSError):
                    request.POST  # noqa: B018
                if handler.refused:
                    return refused(request, handler.refused, *args, **kwargs)
            return protected(request, *args, **kwargs)

        return csrf_exempt(limited)

    return decorate


class AdminImportStorage(MediaStorage):
    """Where the admin's import (django-import-export) keeps an uploaded file between its preview
    and its confirm (settings.IMPORT_EXPORT_TMP_STORAGE_CLASS): the project's storage
    (MEDIA_ROOT, or the object storage of STORAGES), not the package's default, the temporary
    folder of the machine that showed the preview — behind a load balancer the confirm may reach
    another one (README, Growing past one machine), which did not have the file. The confirm
    removes its file; one whose preview was never confirmed is removed, STALE_AFTER later, by
    the next admin import that keeps one."""

    STALE_AFTER = timedelta(days=1)

    def save(self, data):
        super().save(data)
        self.remove_stale()

    def remove_stale(self) -> None:
        storage, folder = self._storage, self.MEDIA_FOLDER
        try:
            _folders, names = storage.listdir(folder)
        except FileNotFoundError:
            return
        before = timezone.now() - self.STALE_AFTER
        for name in names:
            path = f"{folder}/{name}"
            # Another import's confirm may remove it meanwhile.
            with suppress(FileNotFoundError):
                if storage.get_modified_time(path) < before:
                    storage.delete(path)
