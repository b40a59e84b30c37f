"""Importar and export pages: thin views over customers.importing and customers.exporting."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from customers import exporting, import_review, import_sheets, importing, queries, spreadsheets, tasks, uploads
from customers import import_columns as cols
from customers.filters import CustomerFilterSet
from customers.models import ImportJob
from customers.roles import is_administrador
from customers.xlsx_stream import TooManyRows

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HISTORY_SIZE = 30


def _upload_refused(request, message):
    """An upload over the size limit, refused while it arrived (customers.uploads): the page
    with why, as for any refused file."""
    return _import_page(request, message)


@permission_required("customers.import_customer", raise_exception=True)
@uploads.limit_upload(refused=_upload_refused)
def customer_import(request):
    """Upload a file (POST) or see the page: template link, upload form, import history."""
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("archivo")
        if upload is None:
            error = f"Elija el archivo que quiere importar ({spreadsheets.FORMATS})."
        else:
            try:
                job = importing.start_import(actor=request.user, upload=upload)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                if job.file_size <= settings.IMPORT_INLINE_MAX_BYTES:
                    importing.preview_import(job.pk)
                else:
                    tasks.preview_import.enqueue(job_id=job.pk)
                return redirect("customers:import_detail", pk=job.pk)
    return _import_page(request, error)


def _import_page(request, error: str):
    jobs = ImportJob.objects.select_related("created_by")
    if not is_administrador(request.user):
        jobs = jobs.filter(created_by=request.user)
    importing.reap_dead_jobs(jobs[:HISTORY_SIZE])  # the history shows no killed worker's job as running
    context = {
        "jobs": jobs[:HISTORY_SIZE],
        "error": error,
        "max_bytes": settings.IMPORT_MAX_BYTES,
        "max_mb": settings.IMPORT_MAX_BYTES // 1_048_576,
        "max_rows": settings.IMPORT_MAX_ROWS,
        "formats": spreadsheets.FORMATS,
        "accept": spreadsheets.ACCEPT,
    }
    return render(request, "customers/import.html", context, status=400 if error else 200)


@permission_required("customers.import_customer", raise_exception=True)
def import_template(request):
    response = HttpResponse(importing.template_xlsx(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="plantilla-clientes.xlsx"'
    return response


def _job(request, pk) -> ImportJob:
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    if job.created_by_id != request.user.pk and not is_administrador(request.user):
        raise Http404
    return importing.reap_if_dead(job)


@permission_required("customers.import_customer", raise_exception=True)
def import_detail(request, pk):
    """The job: progress while it runs (htmx polls the partial), then the preview or the result."""
    job = _job(request, pk)
    template = "customers/_import_job.html" if request.htmx else "customers/import_job.html"
    return render(request, template, _detail_context(request, job))


def _detail_context(
    request, job: ImportJob, *, posted_constants: dict | None = None, refused_constants: set | None = None
) -> dict:
    """The job page's context. ``posted_constants``: the mapping step's values as sent, shown
    again when they were refused (with the columns as sent, put on ``job.columns`` unsaved);
    ``refused_constants``: the keys of those refused (the page's message says why), outlined in red."""
    sheets = _sheets(job)
    context = {
        "job": job,
        "owner": job.created_by_id == request.user.pk,
        "sheets": sheets,
        "sheet_adds": job.sheet_adds,
        "importable": job.importable,
        "nothing_to_import": importing.NOTHING_TO_IMPORT,
    }
    if job.status in (ImportJob.Status.READY, ImportJob.Status.MAPPING) and job.columns:
        context["column_choices"] = importing.column_choices()
        context.update(_columns_summary(job.columns))
        context["constant_fields"], context["constants_used"] = importing.constant_fields(actor=request.user, job=job)
        # Rows refused for a field the file has no column for that can take one value for every
        # row (a company's giro): the way to fix it without editing the file is open, and
        # «No hay filas que importar» names it. Not for a bad value in a cell the file has: that
        # is fixed in the file (the cell wins over a value for every row).
        named = _clientes_error_columns(job)
        read = {column["key"] for column in job.columns if column["key"]}
        context["constants_could_fix"] = [
            f["label"] for f in context["constant_fields"] if f["label"] in named and f["key"] not in read
        ]
        if context["constants_could_fix"]:
            context["constants_open"] = context["mapping_open"] = True
        if posted_constants is not None:
            refused = refused_constants or set()
            context["constant_fields"] = [
                {**f, "value": posted_constants.get(f["key"], ""), "refused": f["key"] in refused}
                for f in context["constant_fields"]
            ]
            context["constants_open"] = context["mapping_open"] = True
            context["columns_pending"] = True  # what was sent is not applied: Importar waits
        if job.status == ImportJob.Status.MAPPING:  # nothing else to do on the page
            context["mapping_open"] = True
    if job.status == ImportJob.Status.READY:
        context.update(_rows_review(request, job))
    return context


def _clientes_error_columns(job: ImportJob) -> set[str]:
    """The columns named by the Clientes sheet's errors (job.errors: [row, column, message, sheet?])."""
    return {error[1] for error in job.errors if error[3:] in ([], ["Clientes"])}


def _rows_review(request, job: ImportJob) -> dict:
    """What the preview's rows do, a page of each list: the updates with their changes, the
    creations. Their staged rows go after a day without confirmation (the import then cleans
    the file again): the lists say so instead of showing nothing."""
    if not (job.checked_rules or {}).get("staged"):
        return {"review_gone": bool(job.to_create or job.to_update)}
    context = {}
    if job.to_update:
        context["updates"], context["update_rows"] = import_review.update_page(
            job, page=request.GET.get("actualizar"), user=request.user
        )
    if job.to_create:
        context["creates"], context["create_rows"] = import_review.create_page(
            job, page=request.GET.get("crear"), user=request.user
        )
    return context


def _sheets(job: ImportJob) -> list[tuple[str, dict]]:
    """The Direcciones and Contactos sheets that had rows, in the template's order: a sheet left
    with its titles only is not news ("0 por agregar, 0 ya registrados, 0 con errores")."""
    sheets = job.sheets or {}
    return [
        (name, sheets[name])
        for name in (import_sheets.ADDRESSES, import_sheets.CONTACTS)
        if name in sheets and any(sheets[name].get(count) for count in ("add", "unchanged", "errors", "added"))
    ]


def _columns_summary(columns: list[dict]) -> dict:
    """How the file's columns were read, counted, and whether the mapping step opens by itself:
    when a column was guessed (someone should look), when most columns were not recognized, or
    when one was read as what only other systems' files hold (a whole name, a second phone
    column…): a file from another system. Our template with one extra column of the office's own
    does not open forty drop-downs: the warning already names the ignored column. A file without
    titles always opens it: every column was read by its values."""
    headed = [c for c in columns if c["header"]]
    guessed = sum(1 for c in headed if c["how"] == "sugerido")
    ignored = sum(1 for c in headed if not c["key"])
    foreign = any(c["key"] in importing.MAPPING_ONLY_KEYS for c in headed)
    return {
        "columns_read": len(headed) - ignored,
        "columns_guessed": guessed,
        "columns_ignored": ignored,
        "mapping_open": guessed > 0 or ignored * 2 > len(headed) or foreign or importing.is_untitled(columns),
    }


@require_POST
@permission_required("customers.import_customer", raise_exception=True)
def import_confirm(request, pk):
    job = _job(request, pk)
    try:
        job = importing.confirm_import(actor=request.user, job=job, mode=request.POST.get("modo", ""))
    except PermissionDenied:
        raise
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("customers:import_detail", pk=job.pk)
    _run(job)
    return redirect("customers:import_detail", pk=job.pk)


@require_POST
@permission_required("customers.import_customer", raise_exception=True)
def import_columns(request, pk):
    """The mapping step: what each column of the file is; the preview runs again."""
    job = _job(request, pk)
    # By import_columns.column_ids: two columns titled alike take each its own choice.
    names = cols.column_ids([column["header"] for column in job.columns])
    mapping = {name: request.POST.get(f"col_{index}", "") for index, name in enumerate(names)}
    # «Valor para todas las filas»: const_<field key>.
    constants = {name[6:]: value for name, value in request.POST.items() if name.startswith("const_")}
    try:
        job = importing.choose_columns(actor=request.user, job=job, mapping=mapping, constants=constants)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        # The page again with what was sent, so that nothing typed is lost.
        for column, name in zip(job.columns, names, strict=True):
            column["key"] = mapping.get(name, column["key"])
        # A value refused for its field (ValidationError by field key): that field is outlined.
        refused = set(exc.message_dict) if hasattr(exc, "error_dict") else set()
        context = _detail_context(request, job, posted_constants=constants, refused_constants=refused)
        return render(request, "customers/import_job.html", context, status=400)
    # The mapping closes and the page looks much as before: say that the counts are new.
    if job.file_size <= settings.IMPORT_INLINE_MAX_BYTES:
        importing.preview_import(job.pk)
        messages.success(request, "Columnas aplicadas: la vista previa ya las usa.")
    else:
        tasks.preview_import.enqueue(job_id=job.pk)
        messages.success(request, "Columnas aplicadas: el archivo se revisa de nuevo con ellas.")
    return redirect("customers:import_detail", pk=job.pk)


@require_POST
@permission_required("customers.import_customer", raise_exception=True)
def import_retry(request, pk):
    job = _job(request, pk)
    try:
        job = importing.retry_import(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("customers:import_detail", pk=job.pk)
    _run(job)
    return redirect("customers:import_detail", pk=job.pk)


def _run(job: ImportJob) -> None:
    if job.file_size <= settings.IMPORT_INLINE_MAX_BYTES:
        importing.run_import(job.pk)
    else:
        tasks.run_import.enqueue(job_id=job.pk)


@permission_required("customers.import_customer", raise_exception=True)
def import_report(request, pk):
    job = _job(request, pk)
    if not job.error_report:
        raise Http404
    try:
        report = job.error_report.open("rb")
    except FileNotFoundError:  # (a media folder not carried to a new server…)
        messages.error(
            request,
            "El archivo de las filas con errores ya no está guardado en el servidor. Suba el archivo de nuevo "
            "para ver sus errores.",
        )
        return redirect("customers:import_detail", pk=job.pk)
    # Not the stored file's name: storage makes it unique («…-errores_CfEk35E.xlsx») and valid
    # (spaces to «_»); the person gets the name of the file they uploaded.
    return FileResponse(
        report,
        as_attachment=True,
        filename=importing.report_file_name(job),
        content_type=XLSX_TYPE,
    )


@permission_required("customers.export_customer", raise_exception=True)
def customer_export(request):
    """The list's customers as they are filtered now (the list's own FilterSet), as CSV or Excel."""
    filterset = CustomerFilterSet(request.GET, queryset=queries.list_customers())
    # The list's menu offers no download of an empty list; its address opened anyway (an old
    # link, a customer gone since) gets the list back with why, not a file of titles only.
    # One LIMIT 1 query, on the export only: the list itself knows from its page.
    if not filterset.qs.exists():
        messages.info(request, exporting.nothing_to_export(filterset))
        return _back_to_list(request)
    if request.GET.get("formato") == "xlsx":
        try:
            return exporting.xlsx_response(filterset.qs, request.user)
        except TooManyRows as exc:
            messages.error(
                request,
                f"La lista tiene más de {exc.args[0]:,} clientes, el máximo de filas de una hoja de Excel: "
                "descárguela en CSV o agregue un filtro.",
            )
            return _back_to_list(request)
    return exporting.csv_response(filterset.qs, request.user)


def _back_to_list(request):
    """The list with the export's search and filters."""
    query = request.GET.copy()
    query.pop("formato", None)
    return redirect(f"{reverse('customers:list')}?{query.urlencode()}" if query else reverse("customers:list"))
