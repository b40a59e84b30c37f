"""Reading the spreadsheets people upload (.xlsx, .ods, .xls, .csv) into rows of cells, safely,
and writing .xlsx files (templates, error reports, exports).

Everything a hostile or broken file could do is refused with a Spanish message (FileRefused)
before any row reaches the import: a renamed executable, an encrypted workbook, a zip bomb
(the zip's declared sizes, ratios and file count are checked before inflating anything), XML
with a DOCTYPE (entity expansion), more rows than allowed (counted while streaming, whatever
the sheet's declared dimension says). LibreOffice's .ods has one more: a cell or row may say it
repeats a million times in a few bytes, and calamine builds every sheet whole in memory when
it opens the file — so calamine opens it first in a process of its own, its memory bounded
(_probe). A sheet of any format may hold one cell far from the others (A1 and CV900000), and
calamine builds every cell between: an .xlsx's sheets are scanned for their extent before
calamine opens them (_check_xlsx_cells), an .xls is probed, and no workbook is read past
max_cells. A cell holding a control character (peru.text's rule:
PostgreSQL refuses NUL, openpyxl writes none of them) comes without it, its row marked
(ControlRow) for the import to report as an error; so does a cell holding a formula's error value
(#N/A, #¡VALOR!…), which calamine reads as empty: each format's error cells are found in the file
(_error_cells). Markup saved as a spreadsheet (a flat .fods, Excel's XML 2003, a web page named
.xls) is refused saying how to save it (_refuse_markup). Reading uses python-calamine (Rust, about 18 times
faster than openpyxl here); writing uses openpyxl's write-only mode, which parses nothing (and
openpyxl reads XML through defusedxml wherever it does parse) — except the list's export, whose
text-only sheet customers.xlsx_stream writes itself, several times faster.
"""

import codecs
import csv
import functools
import io
import json
import re
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

from customers.xlsx_stream import column_letter
from peru.text import control_character_cells, json_bytes, strip_control_characters

XLSX, XLS, CSV, ODS = "xlsx", "xls", "csv", "ods"
# What the upload takes, in the words of the pages and messages, and for the file input's accept=.
FORMATS = ".xlsx, .ods, .xls o .csv"
ACCEPT = ".xlsx,.ods,.xls,.csv"
UPLOAD_ONE = f"Suba un {FORMATS}."
# An OpenDocument file's first member, stored: its type (a text document or a presentation is
# an OpenDocument zip too).
_ODF_MIMETYPE = "application/vnd.oasis.opendocument."
ODS_MIMETYPE = _ODF_MIMETYPE + "spreadsheet"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Members a workbook may have, and how much larger than its compressed size one may inflate:
# real sheets compress 5-20 times; a zip bomb, thousands.
MAX_ZIP_MEMBERS = 2_000
MAX_RATIO = 200
MAX_CSV_FIELD = 32_767  # Excel's own limit for a cell


class FileRefused(Exception):
    """The file can't be read as a spreadsheet; the message says why, in Spanish."""


@dataclass
class Table:
    """A sheet: its header row and an iterator of (row number in the sheet, cells)."""

    name: str
    headers: list[str]
    rows: Iterator[tuple[int, list]]
    # Rows the sheet says it has (a hint for how to read it, never a limit; None for a CSV).
    height: int | None = None
    # The cells calamine holds for the sheet: every one from its first to its last with a value.
    cells: int = 0
    # Positions of the headers that held control characters (shown without them).
    control_headers: list[int] = field(default_factory=list)
    # The header row's cells as read (control characters removed, as a ControlRow) and its
    # number in the sheet: a file typed without titles has its first customer there
    # (customers.importing reads it as a row then).
    first: list | None = None
    first_number: int = 1
    first_column: int = 0  # the sheet's column of the cells' first (0: A)
    hidden: bool = False  # a sheet the workbook keeps out of sight

    def column_name(self, index: int) -> str:
        """The name of a column of a file without titles: «Columna A», «Columna B»… as Excel
        letters them (the 27th is «Columna AA»)."""
        from openpyxl.utils import get_column_letter

        return f"Columna {get_column_letter(self.first_column + index + 1)}"


class ControlRow(list):
    """A row's cells where some cannot be imported as they are: cells that held control
    characters (C0 but tab, line feed and carriage return; DEL; C1 — peru.text's rule), which
    come with the characters removed, their positions in ``control``; and cells that hold a
    spreadsheet's error value (#N/A…: excel_error), kept as that text, ``errors`` {position:
    the error}. The import makes the row an error (import_columns.with_control_errors) and
    still matches, stages and reports it without a query, a jsonb value or an .xlsx cell that
    cannot hold them. Pickled with its positions (the preview's worker processes)."""

    def __init__(self, cells, control: list[int], errors: dict[int, str] | None = None):
        super().__init__(cells)
        self.control = control
        self.errors = errors or {}


def _marked(cells: list, control: list[int], errors: dict[int, str]) -> ControlRow:
    row = ControlRow(cells, control, errors)
    for index in control:
        row[index] = strip_control_characters(row[index])
    return row


# --- spreadsheet error values ---------------------------------------------------------------
#
# A formula that failed shows an error value instead of a value: #N/A (a VLOOKUP that found
# nothing), #VALUE!, #REF!… The cell is not empty, nor its value that text: what the person
# wanted there is unknown, so its row is an error (the import's message: EXCEL_ERROR_MESSAGE).
# Workbooks keep it as an error, in English whatever Excel's language; python-calamine reads it
# as an empty cell (python-calamine issue 105; the import took a RUC #N/A for «no document»),
# so each format's error cells are found in the file itself (_error_cells) and put back as
# their text. A CSV holds them as text already: Excel writes each error cell as it shows it,
# in Spanish (#¡VALOR!), and reads that text back as the error. A cell whose whole text is one
# of them is an error too, whatever the file: no value of any column (a document, a name, an
# amount, a date, an e-mail) is such a text, and read as one (digits of «#N/A»: none) it would
# be taken for an empty cell again.
EXCEL_ERROR_VALUES = (
    # Excel's, as its files keep them (and Excel in English shows them).
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
    "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
    # As Excel in Spanish shows them, and writes them to a CSV.
    "#¡NULO!", "#¡DIV/0!", "#¡VALOR!", "#¡REF!", "#¿NOMBRE?", "#¡NUM!",
    "#OBTENIENDO_DATOS", "#¡DESBORDAMIENTO!", "#¡CALC!", "#¡CAMPO!", "#¡BLOQUEADO!", "#¡CONECTAR!",
    "#¡OCUPADO!", "#¡DESCONOCIDO!",
    # Google Sheets' own.
    "#ERROR!",
)  # fmt: skip
# Compared in capitals and without ¡ ¿ (typed «#valor!» is Excel's #¡VALOR! too); LibreOffice's
# errors without an Excel name show as «Err:502».
_ERROR_VALUE = re.compile(
    "|".join(re.escape(v.replace("¡", "").replace("¿", "")) for v in EXCEL_ERROR_VALUES) + r"|ERR:5[0-9][0-9]"
)
EXCEL_ERROR_MESSAGE = "La celda tiene el error {error} de una fórmula; corrija la fórmula o escriba el valor."


def excel_error(cell) -> str | None:
    """The spreadsheet error value a cell holds (its text, as in the file), or None."""
    if cell.__class__ is not str or len(cell) > 24:
        return None
    text = cell.strip()
    if text[:1] not in ("#", "E", "e") or not _ERROR_VALUE.fullmatch(text.upper().replace("¡", "").replace("¿", "")):
        return None
    return text


def error_cells(cells: list, encoded: bytes | None = None) -> dict[int, str]:
    """{position: error value} of a row's cells that hold one (excel_error); {} for nearly
    every row, found by two looks in C (memchr): the row as JSON (``encoded``: peru.text.json_bytes,
    when the caller has them already) holds no «#» nor «:» (of LibreOffice's «Err:502») at all."""
    if encoded is None:
        encoded = json_bytes(cells)
    if encoded is not None and 0x23 not in encoded and 0x3A not in encoded:
        return {}
    return {index: error for index, cell in enumerate(cells) if (error := excel_error(cell))}


def _row(cells) -> list:
    """A row's cells as the import takes them: a ControlRow when some cannot be imported as
    they are. Both looks (in C, nearly every row has neither) at the row encoded once."""
    encoded = json_bytes(cells)
    control = control_character_cells(cells, encoded)
    errors = error_cells(cells, encoded)
    return _marked(list(cells), control, errors) if control or errors else cells


def max_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def max_rows() -> int:
    return settings.IMPORT_MAX_ROWS


def check_upload(name: str, size: int) -> None:
    """What can be said before reading a byte: the size."""
    if size == 0:
        raise FileRefused("El archivo está vacío.")
    if size > max_bytes():
        raise FileRefused(
            # Rounded up: a file just over 20 MB must not read "pesa 20.0 MB; el máximo es 20 MB".
            f"El archivo pesa {-(-size * 10 // 1_048_576) / 10:.1f} MB; el máximo es {max_bytes() // 1_048_576} MB. "
            "Divídalo en varios archivos."
        )


def detect_kind(path: str, name: str) -> str:
    """xlsx, ods, xls or csv, from the file's first bytes (a renamed file is judged by its content)."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    lowered = name.lower()
    if not head:
        raise FileRefused("El archivo está vacío.")
    if head.startswith(_ZIP_MAGIC):
        return _check_zip(path)
    if head.startswith(_OLE_MAGIC):
        if _is_encrypted_ooxml(path):
            raise FileRefused(
                "El libro está protegido con contraseña. Quite la contraseña en Excel y vuelva a subirlo."
            )
        return XLS
    if head.startswith(b"MZ") or head.startswith(b"\x7fELF") or head.startswith(b"%PDF"):
        raise FileRefused(f"El archivo no es una hoja de cálculo. {UPLOAD_ONE}")
    with open(path, "rb") as handle:
        sample = handle.read(_MARKUP_SAMPLE)
    _refuse_markup(sample, lowered)
    if lowered.endswith((".xlsx", ".xls")):
        raise FileRefused("El archivo no es un libro de Excel válido (¿está dañado o se cambió su extensión?).")
    if lowered.endswith(".ods"):
        raise FileRefused(
            "El archivo no es una hoja de cálculo de LibreOffice válida (¿está dañado o se cambió su extensión?)."
        )
    if _looks_binary(sample[:4096]):
        raise FileRefused(f"El archivo no es una hoja de cálculo. {UPLOAD_ONE}")
    return CSV


# Spreadsheets saved as text that is markup, not rows of cells: read as a CSV, their tags and
# attributes came out as the «cells» of a few garbage rows. Each is told by how it begins (its
# XML or HTML prolog, after a BOM and blank space, never by a first «<» alone: a CSV's first cell
# may start with one) and by the markers in its first bytes, and refused saying what it is and
# how to save it as a file the import reads.
_MARKUP_SAMPLE = 64 * 1024
# XML: its declaration, or (a writer that leaves it out) the root of a flat .fods or of Excel's XML.
_XML_PROLOG = re.compile(r"\s*<(?:\?xml\b|office:document\b|(?:ss:)?Workbook\b)", re.IGNORECASE)
# A page: its doctype or <html>; or, as some systems write their «Excel» export, a bare
# <table>, <head>, <meta>, <body> or <style> first (with a table row in the sample too).
_HTML_PAGE = re.compile(r"\s*(?:<!--.*?-->\s*)*<(?:!DOCTYPE\s+html\b|html\b)", re.IGNORECASE | re.DOTALL)
_HTML_PART = re.compile(r"\s*(?:<!--.*?-->\s*)*<(?:table|head|meta|body|style)\b", re.IGNORECASE | re.DOTALL)
_HTML_ROW = re.compile(r"<t[rd]\b", re.IGNORECASE)
# Excel's «Página web de un solo archivo» (.mht), also saved under .xls by some systems.
_MHT = re.compile(r"\s*MIME-Version:\s*1\.0\b", re.IGNORECASE)
_FLAT_ODF = re.compile(r'office:mimetype\s*=\s*["\']application/vnd\.oasis\.opendocument\.([a-z-]+)', re.IGNORECASE)
_SPREADSHEET_ML = re.compile(
    r"urn:schemas-microsoft-com:office:spreadsheet|progid\s*=\s*[\"']Excel\.Sheet", re.IGNORECASE
)
_HTML_TAG = re.compile(r"<html\b", re.IGNORECASE)

SAVE_AS_XLSX = (
    "Ábralo en Excel o LibreOffice y guárdelo como libro de Excel (Archivo › Guardar como…, tipo "
    "«Libro de Excel (.xlsx)») o, en LibreOffice, como «Hoja de cálculo ODF (.ods)», y súbalo."
)


def _refuse_markup(sample: bytes, lowered_name: str) -> None:
    """Refuse a flat OpenDocument spreadsheet (.fods), an Excel 2003 XML spreadsheet and a web
    page (HTML, or Excel's .mht) saved as .xls, each with what it is and how to save it."""
    text = _sample_text(sample)
    if _XML_PROLOG.match(text):
        flat = _FLAT_ODF.search(text)
        if flat and flat.group(1).lower() == "spreadsheet":
            raise FileRefused(
                "El archivo es una hoja de cálculo ODF plana (.fods: XML sin comprimir), un formato que no se "
                "importa. Ábrala en LibreOffice y guárdela como «Hoja de cálculo ODF (.ods)» (Archivo › Guardar "
                "como…) o como «Excel 2007-365 (.xlsx)», y súbala."
            )
        if flat:
            raise FileRefused(f"El archivo es un documento de LibreOffice, pero no una hoja de cálculo. {UPLOAD_ONE}")
        if _SPREADSHEET_ML.search(text):
            raise FileRefused(
                "El archivo es una «Hoja de cálculo XML 2003» de Excel, un formato antiguo que no se importa. "
                + SAVE_AS_XLSX
            )
        if not _HTML_TAG.search(text):
            raise FileRefused(f"El archivo es un XML, no una hoja de cálculo. {UPLOAD_ONE}")
    if _XML_PROLOG.match(text) or _HTML_PAGE.match(text) or (_HTML_PART.match(text) and _HTML_ROW.search(text)):
        raise FileRefused(_web_page_message(lowered_name))
    if _MHT.match(text) and "workbook" in text[:2048].lower():
        raise FileRefused(_web_page_message(lowered_name))


def _web_page_message(lowered_name: str) -> str:
    named = lowered_name.rsplit(".", 1)[-1] if "." in lowered_name else ""
    extension = f", aunque su nombre termine en .{named}" if named in ("xls", "xlsx", "csv") else ""
    return (
        f"El archivo es una página web (HTML){extension}: muchos sistemas exportan así su «Excel», y no se "
        f"importa. {SAVE_AS_XLSX}"
    )


def _sample_text(sample: bytes) -> str:
    """A file's first bytes as text, enough to read its tags: UTF-16 by its BOM, else each byte
    as a character (the tags are ASCII in UTF-8 and in Windows-1252)."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return sample[: len(sample) // 2 * 2].decode("utf-16", "replace").lstrip("\ufeff")
    return sample.removeprefix(codecs.BOM_UTF8).decode("latin-1")


# Bytes text does not hold: C0 but tab, line feed, vertical tab, form feed, carriage return
# and escape.
_BINARY_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])


def _looks_binary(sample: bytes) -> bool:
    """Whether a file's first bytes are not text. A legacy system's export with a stray NUL
    (or a few control characters) is text: it is read, and its cells that hold them become
    errors (ControlRow). Binary formats hold runs of NUL bytes (padding, little-endian
    numbers: an image, an executable, UTF-16 without a BOM), and compressed or random bytes
    are a tenth control bytes."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00\x00" in sample:
        return True
    control = len(sample) - len(sample.translate(None, _BINARY_BYTES))
    return control * 32 > max(len(sample), 256)  # a short file: 8 of them at least


def _is_encrypted_ooxml(path: str) -> bool:
    # An encrypted .xlsx is an OLE container holding "EncryptedPackage" (names in UTF-16).
    with open(path, "rb") as handle:
        head = handle.read(1 << 20)
    return "EncryptedPackage".encode("utf-16-le") in head or "EncryptionInfo".encode("utf-16-le") in head


def _check_zip(path: str) -> str:
    """Declared sizes and counts, before anything is inflated; and no DOCTYPE in any XML part.
    XLSX or ODS, by the parts the zip holds."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise FileRefused("El archivo tiene demasiadas partes para ser una hoja de cálculo.")
            total = 0
            for member in members:
                total += member.file_size
                ratio = member.file_size / max(member.compress_size, 1)
                if ratio > MAX_RATIO and member.file_size > 1_048_576:
                    raise FileRefused("El archivo está comprimido de forma sospechosa (¿una bomba zip?); no se leyó.")
                if member.flag_bits & 0x1:
                    raise FileRefused("El libro está protegido con contraseña. Quite la contraseña y vuelva a subirlo.")
            if total > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
                raise FileRefused(
                    "El libro ocupa demasiado al descomprimirlo "
                    f"({total / 1_048_576:.0f} MB; máximo {settings.IMPORT_MAX_UNCOMPRESSED_BYTES / 1_048_576:.0f} MB)."
                )
            kind = _zip_kind(archive, {m.filename: m for m in members})
            for member in members:
                if member.filename.endswith((".xml", ".rels")):
                    with archive.open(member) as part:
                        head = part.read(2048)
                    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                        raise FileRefused("El libro contiene definiciones XML no permitidas (DOCTYPE); no se leyó.")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as exc:
        raise FileRefused("El archivo está dañado: no se pudo abrir como hoja de cálculo.") from exc
    if kind == ODS:
        _probe(path, ODS)
    return kind


def _zip_kind(archive: zipfile.ZipFile, members: dict) -> str:
    """An Excel workbook or a LibreOffice spreadsheet (its ``mimetype`` part says so; a
    password-protected one lists its encrypted parts in its manifest)."""
    if "xl/workbook.xml" in members or "xl/workbook.bin" in members:
        return XLSX
    mimetype = members.get("mimetype")
    if mimetype is not None and mimetype.file_size <= 100:
        declared = archive.read(mimetype).decode("ascii", "replace").strip()
        if declared == ODS_MIMETYPE:
            manifest = members.get("META-INF/manifest.xml")
            listed = archive.read(manifest) if manifest is not None and manifest.file_size <= 1_048_576 else b""
            if b"encryption-data" in listed:
                raise FileRefused(
                    "La hoja de cálculo está protegida con contraseña. Guárdela sin contraseña "
                    "(en LibreOffice: Archivo › Guardar como…, sin marcar «Guardar con contraseña») "
                    "y vuelva a subirla."
                )
            if "content.xml" not in members:
                raise FileRefused("El archivo está dañado: no se pudo abrir como hoja de cálculo.")
            return ODS
        if declared.startswith(_ODF_MIMETYPE):
            raise FileRefused(f"El archivo es un documento de LibreOffice, pero no una hoja de cálculo. {UPLOAD_ONE}")
    raise FileRefused(f"El archivo .zip no es un libro de Excel ni una hoja de cálculo de LibreOffice. {UPLOAD_ONE}")


def too_many_rows(limit: int) -> FileRefused:
    return FileRefused(f"El archivo tiene más de {limit:,} filas de datos; divídalo en varios archivos.")


# What calamine may hold of a workbook: its sheets' cells, from the first to the last with a
# value (every cell between included: calamine builds each sheet whole, as a rectangle, when it
# opens it — about 32 bytes a cell of an .xlsx or .xls, 150 of an .ods), at most as many as the
# row cap's rows of a hundred columns, all sheets together (max_cells). A file a thousand columns
# wide fits (in fewer rows); a sheet whose data runs to row 900,000 and column CV does not,
# however few cells hold something: a 5 KB .xlsx with only A1 and CV900000 asked calamine for
# 2.9 GB, a 6 KB .xls with only A1 and IV65536 in eight sheets for 8 GB.
MAX_COLUMNS = 100


def max_cells() -> int:
    return (max_rows() + 1) * MAX_COLUMNS


def _too_many_cells(cells: int | None = None, where: str = "") -> FileRefused:
    """The one refusal of a workbook past max_cells. ``where``: the sheet and its far cells, when
    the scan knows them (_check_xlsx_cells); ``cells``: how many reading it would take."""
    taking = f"{cells:,} celdas" if cells else "demasiadas celdas"
    return FileRefused(
        f"{where + ': leer' if where else 'Leer'} el libro ocuparía {taking} (de la primera a la última "
        "celda con datos de cada hoja, las vacías entre ellas incluidas), más de las que caben en "
        f"{max_rows():,} filas de {MAX_COLUMNS} columnas. Borre lo que haya debajo y a la derecha de sus "
        "datos, o divida el archivo en varios."
    )


# …and the memory of the process that opens it (calamine keeps about 150 bytes a cell of an
# .ods; a file of the row cap's rows of 45 columns takes about 1.3 GB).
PROBE_MEMORY = 2 << 30
PROBE_SECONDS = 120
_PROBE = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
resource.setrlimit(resource.RLIMIT_CPU, (int(sys.argv[3]), int(sys.argv[3])))
from python_calamine import CalamineWorkbook
try:
    with open(sys.argv[1], "rb") as handle:
        workbook = CalamineWorkbook.from_filelike(handle)
    sheets = [workbook.get_sheet_by_name(name) for name in workbook.sheet_names]
    print(json.dumps({"cells": sum(sheet.height * sheet.width for sheet in sheets)}))
except MemoryError:
    sys.exit(3)
except Exception as exc:
    print(json.dumps({"error": str(exc)[:500]}))
"""


def _probe(path: str, kind: str) -> None:
    """Open the workbook with calamine in a process of its own, with its memory and time bounded,
    before this one does; refuse it past max_cells. An .ods cell or row may say it repeats a
    million times in a few bytes (table:number-columns-repeated, table:number-rows-repeated),
    an .xls or .xlsb (binary records) may hold one cell far from the others, and calamine builds
    every sheet whole when it opens the file: a file of 700 bytes asked this machine for
    gigabytes and aborted the process (a Rust allocation failure is not an exception). Here it
    ends the probe only, and the file is refused. Counting the repeats in Python instead (expat)
    took six times as long as calamine's whole read. An .xlsx is scanned instead
    (_check_xlsx_cells), unless its sheets are written in a way the scan does not follow."""
    too_big = _ODS_TOO_BIG if kind == ODS else None
    try:
        probe = subprocess.run(  # noqa: S603 - this interpreter, a fixed script, the file's path
            [sys.executable, "-I", "-c", _PROBE, path, str(PROBE_MEMORY), str(PROBE_SECONDS)],
            capture_output=True,
            timeout=PROBE_SECONDS + 10,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise (FileRefused(too_big) if too_big else _too_many_cells()) from exc
    try:
        answer = json.loads(probe.stdout) if probe.returncode == 0 else {}
    except ValueError:
        answer = {}
    if "error" in answer:
        # Calamine refuses a sheet of more than 100 million cells itself.
        if "cell limit" in answer["error"].lower():
            raise FileRefused(too_big) if too_big else _too_many_cells()
        raise FileRefused(_calamine_message(answer["error"]))
    if "cells" not in answer:  # out of memory or time (an abort, SIGKILL, SIGXCPU)
        raise FileRefused(too_big) if too_big else _too_many_cells()
    if answer["cells"] > max_cells():
        raise FileRefused(too_big) if too_big else _too_many_cells(answer["cells"])


_ODS_TOO_BIG = (
    "La hoja de cálculo ocupa demasiadas celdas para leerla (¿filas o columnas repetidas hasta el final "
    "de la hoja?). Borre las filas y columnas que sobran debajo y a la derecha de sus datos, o divídala "
    "en varios archivos."
)


# --- the extent of an .xlsx's sheets, read from their XML before calamine opens them ----------
#
# Calamine places a cell by its reference (<c r="CV900000">; the last r when a tag has several),
# or, without one, after the previous cell of its row (whose number its <row r=…> gives, or the
# previous row's plus one). A cell written as an empty tag (<c r="B2" s="1"/>: a format, no
# value) holds nothing and extends nothing. The scan reads each part of the zip in blocks
# (memory stays flat) and skips, in C (a regular expression's negative lookahead), every cell
# written as Excel, LibreOffice and openpyxl write them whose reference lies within the sheet's
# extent known so far: the last cell with a value in the block gives the rows (a sheet's rows
# come in order), the first block's cells the columns. The rest — a cell further down or to the
# right, or written any other way — is read here, in Python, exactly. A sheet written in a way
# the scan does not follow (cells without references or with a namespace prefix: some other
# programs' files) is left to _probe. About a third of a second for the bench's 100,000 rows
# (68 MB of XML), against about a second for calamine's own read of it.
_BLOCK = 1 << 22
_MAX_TAG = 1 << 20  # a block's unfinished tag carried to the next one: a tag longer is no sheet's
_FIRST_ROWS = 1 << 18
_ODD_CELLS = 20_000  # cells read in Python before the scan leaves the sheet to _probe
_CELL_TAG = re.compile(rb"""<c((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(/?)>""")
_ATTRIBUTE = re.compile(rb"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REFERENCE = re.compile(rb"([A-Za-z]+)([0-9]+)")
_VALUED_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?:\s+(?:s|t|cm|vm|ph)="[^"<>]*")*\s*>')
# An r attribute after another one: a tag's second r (calamine may read that one), or a row's.
_LATER_R = re.compile(rb"""r(?<=[\s"']r)(?<!<c r)(?<!<row r)\s*=""")
_TAG = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>""")
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
_PREFIX_BEFORE = re.compile(rb"<[A-Za-z_][\w.-]*\Z")


def _not_above(limit: bytes, low: str, high: str) -> bytes:
    """A pattern of the strings of [low-high] that are at most ``limit`` (of those characters),
    in the order where a shorter one comes first and strings of one length compare as text —
    the order of row numbers and of column letters."""
    if not limit:
        return rb"(?!)"
    any_one = f"[{low}-{high}]"
    # Possessive: what follows is never one of these characters, so no backtracking.
    shapes = [f"{any_one}{{1,{len(limit) - 1}}}+"] if len(limit) > 1 else []
    text = limit.decode()
    for index, char in enumerate(text[:-1]):
        if char > low:
            shapes.append(f"{text[:index]}[{low}-{chr(ord(char) - 1)}]{any_one}{{{len(text) - index - 1}}}")
    shapes.append(f"{text[:-1]}[{low}-{text[-1]}]")
    return f"(?:{'|'.join(shapes)})".encode()


@functools.lru_cache(maxsize=64)
def _odd_cells_pattern(rows: int, columns: int) -> re.Pattern:
    """The cell tags that do not start with a reference within ``rows`` × ``columns``."""
    letters = _not_above(column_letter(columns - 1).encode() if columns else b"", "A", "Z")
    within = letters + _not_above(str(rows).encode() if rows else b"", "0", "9")
    return re.compile(rb'<c(?! r="' + within + rb'"[\s/>])[\s/>]')


@dataclass
class _Extent:
    """A part's rows and columns from A1 to its last cell with a value, and the cells that set
    them: (row, column, reference)."""

    rows: int = 0
    columns: int = 0
    lowest: tuple = (0, 0, b"")
    rightmost: tuple = (0, 0, b"")

    def add(self, row: int, column: int, reference: bytes) -> None:
        if row > self.rows:
            self.rows, self.lowest = row, (row, column, reference)
        if column > self.columns:
            self.columns, self.rightmost = column, (row, column, reference)

    @property
    def cells(self) -> int:
        return self.rows * self.columns

    def far_cells(self) -> str:
        """The cell at the extent's corner, or the two that set its last row and column."""
        for row, column, reference in (self.lowest, self.rightmost):
            if (row, column) == (self.rows, self.columns):
                return f"en la celda {reference.decode().upper()}"
        return f"en las celdas {self.rightmost[2].decode().upper()} y {self.lowest[2].decode().upper()}"


def _check_xlsx_cells(path: str) -> None:
    """Refuse an .xlsx whose sheets would take calamine past max_cells, before it opens them.
    Every part of the zip is scanned (calamine finds its sheets through the workbook's
    relationships, which may point anywhere); a part that is no sheet has no cells."""
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if any(member.filename == "xl/workbook.bin" for member in members):
            _probe(path, XLSX)  # an .xlsb: binary sheets
            return
        extents = {}
        for member in members:
            try:
                extent = _part_extent(archive, member)
            except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, zlib.error):
                extent = None  # calamine says what it makes of the part
            if extent is None:
                _probe(path, XLSX)
                return
            if extent.cells:
                extents[member.filename] = extent
        total = sum(extent.cells for extent in extents.values())
        if total <= max_cells():
            return
        part, widest = max(extents.items(), key=lambda item: item[1].cells)
        try:
            name = next((name for name, named in _xlsx_sheet_parts(archive).items() if named == part), None)
        except Exception:  # noqa: BLE001 - the sheet's name is for the message only
            name = None
        sheet = f"La hoja «{name}»" if name else "Una hoja del libro"
    raise _too_many_cells(total, f"{sheet} tiene datos {widest.far_cells()}")


def _part_extent(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> _Extent | None:
    """The extent of the cells in one part of the zip (none in a part that is no sheet), or None
    when its cells are written in a way the scan leaves to _probe."""
    extent = _Extent()
    odd = 0
    carry = b""
    with archive.open(member) as part:
        first = True
        for block in _blocks(part):
            data = carry + block
            until = len(data)
            if block:
                # Tags whole: the block is read up to its last «<» (no tag holds one), the rest
                # with the next block.
                until = data.rfind(b"<")
                if until < 0:
                    carry = b""
                    continue
                carry = data[until:]
                if len(carry) > _MAX_TAG:
                    return None
            if first:  # the columns: the first rows' (the titles'), the widest of them
                first = False
                for letters, number in _VALUED_CELL.findall(data, 0, min(until, _FIRST_ROWS)):
                    extent.add(int(number), _column_index(letters.decode()) + 1, letters + number)
            # The block's last cell with a value: its rows are the ones up to it.
            end = data.rfind(b"</c>", 0, until)
            if end >= 0:
                last = _VALUED_CELL.match(data, data.rfind(b"<c ", 0, end), until)
                if last:
                    letters, number = last.groups()
                    extent.add(int(number), _column_index(letters.decode()) + 1, letters + number)
            for match in _odd_cells_pattern(extent.rows, extent.columns).finditer(data, 0, until):
                odd += 1
                if odd > _ODD_CELLS or not _odd_cell(data, match.start(), until, extent):
                    return None
            for match in _PREFIXED_CELL.finditer(data, 0, until):
                if _PREFIX_BEFORE.search(data, max(0, match.start() - 100), match.start()):
                    return None
            for match in _LATER_R.finditer(data, 0, until):
                start = data.rfind(b"<", 0, match.start())
                tag = _TAG.match(data, max(start, 0), until)
                if start < 0 or tag is None:
                    return None  # no tag the scan can read around it
                if tag.end() <= match.start() or tag.group(1) != b"c":
                    continue  # text, or another tag's r (a row's: rows place no cell here)
                odd += 1
                if odd > _ODD_CELLS or not _odd_cell(data, start, until, extent):
                    return None
            if not block:
                return extent


def _blocks(part) -> Iterator[bytes]:
    """The part's blocks as inflated, then b"" (the last unfinished tag's turn)."""
    while block := part.read(_BLOCK):
        yield block
    yield b""


def _odd_cell(data: bytes, start: int, until: int, extent: _Extent) -> bool:
    """Add to the extent a cell tag at ``start`` that is not a plain one; False when calamine
    would place it by where it comes (no reference) or the tag is not whole."""
    tag = _CELL_TAG.match(data, start, until)
    if tag is None:
        return False
    attributes, empty = tag.groups()
    if empty:
        return True  # a format without a value: nothing to place
    references = [double or single for name, double, single in _ATTRIBUTE.findall(attributes) if name == b"r"]
    if not references:
        return False
    for reference in references:
        # Calamine reads the last r, or the first when s and t come before another r: the
        # farthest of them is the bound. One it could not read makes it refuse the sheet.
        parts = _REFERENCE.fullmatch(reference)
        if parts:
            letters, number = parts.groups()
            extent.add(int(number), _column_index(letters.decode()) + 1, letters + number)
    return True


def open_tables(path: str, kind: str) -> list[Table]:
    """Every sheet (a CSV is one), each with a header row; rows stream lazily."""
    if kind == CSV:
        return [_csv_table(path)]
    # Before calamine builds any sheet: an .xlsx's extent is scanned (here, not on upload: once
    # per read of the file), an .xls is probed (an .ods was, when detect_kind told it).
    if kind == XLSX:
        _check_xlsx_cells(path)
    elif kind == XLS:
        _probe(path, XLS)
    try:
        workbook = _workbook(path, kind)
        names = list(workbook.sheet_names)
        hidden = {sheet.name for sheet in workbook.sheets_metadata if sheet.visible != SheetVisibleEnum.Visible}
    except (CalamineError, ValueError, OSError) as exc:
        raise FileRefused(_calamine_message(exc)) from exc
    except Exception as exc:  # calamine raises its own types for broken files
        raise FileRefused(_calamine_message(exc)) from exc
    errors = _error_cells(path, kind)
    tables, cells = [], 0
    for name in names:
        table = _sheet_table(workbook, name, errors.get(name))
        # The sheets as calamine holds them, counted as they load: two of a workbook's sheets
        # may be one part of its zip, read (and held) twice.
        cells += table.cells
        if cells > max_cells():
            raise _too_many_cells(cells)
        table.hidden = table.name in hidden
        tables.append(table)
    return tables


def _workbook(path: str, kind: str) -> CalamineWorkbook:
    """Calamine tells the format by the file's extension when it knows the extension: a file
    saved under another one (an .ods named .xlsx) is opened from its bytes, where calamine tries
    each format (the file is at most IMPORT_MAX_BYTES)."""
    if path.lower().endswith(f".{kind}") or not path.lower().endswith((".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")):
        return CalamineWorkbook.from_path(path)
    with open(path, "rb") as handle:
        return CalamineWorkbook.from_filelike(handle)


def _calamine_message(exc) -> str:
    text = str(exc).lower()
    if "password" in text or "encrypt" in text:
        return "El libro está protegido con contraseña. Quite la contraseña y vuelva a subirlo."
    return "El archivo está dañado o no es una hoja de cálculo: no se pudo leer."


def _sheet_table(workbook, name: str, errors: dict | None = None) -> Table:
    """``errors``: the sheet's error cells (_error_cells), put back in its rows."""
    try:
        sheet = workbook.get_sheet_by_name(name)
        # Rows come from the sheet's first row (the empty ones above its data too); cells from
        # the first column that has data (the letters of a file without titles start there).
        iterator = iter(sheet.iter_rows())
        if errors:
            iterator = _with_errors(iterator, errors, sheet.start[1] if sheet.start else 0)
        headers, control, first, number = [], [], None, 0
        for header_cells in iterator:
            number += 1
            if any(_blank(c) is False for c in header_cells):
                headers, control = _headers(header_cells)
                first = _first_cells(header_cells)
                break
    except Exception as exc:
        raise FileRefused(_calamine_message(exc)) from exc
    return Table(
        name,
        headers,
        _numbered(iterator, first=number + 1),
        height=sheet.height,
        cells=sheet.height * sheet.width,
        control_headers=control,
        first=first,
        first_number=number,
        first_column=sheet.start[1] if sheet.start else 0,
    )


def _with_errors(rows, errors: dict[int, dict[int, str]], first_column: int) -> Iterator[list]:
    """A sheet's rows (from its first) with its error cells' values in place of the empty text
    calamine reads there."""
    for index, cells in enumerate(rows):
        found = errors.get(index)
        if found:
            cells = list(cells)
            for column, error in found.items():
                at = column - first_column
                if at >= 0:
                    cells.extend([""] * (at + 1 - len(cells)))
                    cells[at] = error
        yield cells


# A workbook's error cells held in memory at most (a formula that failed on every row of a full
# file, in five columns): past it the file is refused rather than read without them.
MAX_ERROR_CELLS = 1_000_000
_TOO_MANY_ERRORS = (
    "El archivo tiene demasiadas celdas con errores de fórmula (#N/A, #¡VALOR!…). Corrija las fórmulas "
    "o copie y pegue sus valores (Pegado especial › Valores) y vuelva a subirlo."
)


def _error_cells(path: str, kind: str) -> dict[str, dict[int, dict[int, str]]]:
    """The error cells of each sheet of a workbook: {sheet: {row: {column: error}}}, rows and
    columns from 0 as calamine counts them. Nearly every file has none, told by a search of its
    bytes (in C) before anything is parsed."""
    try:
        if kind == XLSX:
            return _xlsx_errors(path)
        if kind == XLS:
            return _xls_errors(path)
        if kind == ODS:
            return _ods_errors(path)
    except FileRefused:
        raise
    except Exception as exc:  # calamine read the file: a part it skips is broken
        raise FileRefused(_calamine_message(exc)) from exc
    return {}


class _ErrorCells(dict):
    """{row: {column: error}}, refusing the file past MAX_ERROR_CELLS."""

    count = 0

    def add(self, row: int, column: int, error: str) -> None:
        self.count += 1
        if self.count > MAX_ERROR_CELLS:
            raise FileRefused(_TOO_MANY_ERRORS)
        self.setdefault(row, {})[column] = error


# .xlsx: an error cell is <c r="B2" t="e"><f>…</f><v>#N/A</v></c> (the formula, then the error it
# gave). Excel, LibreOffice, Google Sheets and openpyxl write the cell's reference (r); a writer
# that leaves it out is read by openpyxl instead (it counts the cells), slower but rare.
_XLSX_ERROR_TYPE = re.compile(rb"t=[\"']e[\"']")  # one search of a block for either quote
_XLSX_ERROR_CELL = re.compile(rb"<(?:\w+:)?c\s([^>]*?\bt\s*=\s*[\"']e[\"'][^>/]*)>(.*?)</(?:\w+:)?c>", re.DOTALL)
_XLSX_REFERENCE = re.compile(rb"\br\s*=\s*[\"']\$?([A-Za-z]{1,3})\$?([0-9]{1,7})[\"']")
_XLSX_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_CHUNK = 4 << 20


def _xlsx_errors(path: str) -> dict:
    found = {}
    with zipfile.ZipFile(path) as archive:
        for name, part in _xlsx_sheet_parts(archive).items():
            try:
                errors = _xlsx_sheet_errors(archive, part)
            except _Unreferenced:
                errors = _xlsx_sheet_errors_by_openpyxl(path, name)
            if errors:
                found[name] = errors
    return found


class _Unreferenced(Exception):
    """An error cell without its reference (r)."""


def _xlsx_sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """{sheet name: its part in the zip}, from the workbook and its relationships."""
    from defusedxml import ElementTree

    names = set(archive.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}  # an .xlsb (binary parts): its error cells are not looked for
    targets = {}
    for element in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels")).iter():
        if element.tag.endswith("Relationship") and element.get("Id") and element.get("Target"):
            target = element.get("Target").replace("\\", "/")
            targets[element.get("Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    parts = {}
    for element in ElementTree.fromstring(archive.read("xl/workbook.xml")).iter():
        if element.tag.endswith("}sheet"):
            ids = [value for key, value in element.attrib.items() if key.endswith("}id")]
            part = targets.get(ids[0]) if ids else None
            if part in names and element.get("name") is not None:
                parts[element.get("name")] = part
    return parts


def _xlsx_sheet_errors(archive: zipfile.ZipFile, part: str) -> dict:
    """A sheet's error cells, read in blocks of its XML cut after a row's tag (no cell spans
    two); a block without «t="e"» (nearly all) is not searched further."""
    errors = _ErrorCells()
    carry = b""
    with archive.open(part) as handle:
        while True:
            chunk = handle.read(_CHUNK)
            text = carry + chunk
            cut = len(text) if not chunk else text.rfind(b"row>") + 4
            if chunk and cut < 4:  # no row's tag yet: read on
                carry = text
                continue
            block, carry = text[:cut], text[cut:]
            if _XLSX_ERROR_TYPE.search(block):
                for match in _XLSX_ERROR_CELL.finditer(block):
                    reference = _XLSX_REFERENCE.search(match.group(1))
                    if reference is None:
                        raise _Unreferenced
                    value = _XLSX_VALUE.search(match.group(2))
                    error = value.group(1).decode("utf-8", "replace").strip() if value else ""
                    row = int(reference.group(2)) - 1
                    errors.add(row, _column_index(reference.group(1).decode()), error or "#N/A")
            if not chunk:
                return errors


def _column_index(letters: str) -> int:
    """A → 0, Z → 25, AA → 26."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index - 1


def _xlsx_sheet_errors_by_openpyxl(path: str, name: str) -> dict:
    from openpyxl import load_workbook

    errors = _ErrorCells()
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for row in workbook[name].iter_rows():
            for cell in row:
                if getattr(cell, "data_type", None) == "e" and cell.value:
                    errors.add(cell.row - 1, cell.column - 1, str(cell.value))
    finally:
        workbook.close()
    return errors


# .xls (BIFF8): an error cell is a BOOLERR record (0x0205, its error flag 1) or a FORMULA record
# (0x0006: length, row, column, format, then its result) whose result is an error (its first
# byte 2, its last two 0xFFFF). Searched for in the
# workbook's stream; xlrd reads the sheets, three times slower than calamine, only when one is
# there (or some other record's bytes look like one).
_XLS_ERROR_RECORD = re.compile(rb"\x05\x02\x08\x00.{7}\x01|\x06\x00.{8}\x02.{5}\xff\xff", re.DOTALL)


def _xls_errors(path: str) -> dict:
    import xlrd
    from xlrd import compdoc

    with open(path, "rb") as handle:
        content = handle.read()
    document = compdoc.CompDoc(content, logfile=io.StringIO())
    for name in ("Workbook", "Book"):
        memory, base, size = document.locate_named_stream(name)
        if memory is not None:
            break
    if memory is None or not _XLS_ERROR_RECORD.search(memory, base, base + size):
        return {}
    found = {}
    book = xlrd.open_workbook(file_contents=content, on_demand=True, logfile=io.StringIO())
    try:
        for index, name in enumerate(book.sheet_names()):
            sheet = book.sheet_by_index(index)
            errors = _ErrorCells()
            for row in range(sheet.nrows):
                types = sheet.row_types(row)
                if xlrd.XL_CELL_ERROR in types:
                    values = sheet.row_values(row)
                    for column, kind in enumerate(types):
                        if kind == xlrd.XL_CELL_ERROR:
                            errors.add(row, column, xlrd.error_text_from_code.get(values[column], "#N/A"))
            book.unload_sheet(index)
            if errors:
                found[name] = errors
    finally:
        book.release_resources()
    return found


# .ods: LibreOffice writes an error cell as <table:table-cell table:formula="…"
# office:value-type="string" office:string-value="" calcext:value-type="error"><text:p>#N/A
# </text:p></table:table-cell>. Its cells have no reference: they are counted (with their
# repeats), by expat, only in a file whose content.xml says «value-type="error"» somewhere.
_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_VALUE_TYPE = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0 value-type"
_ODS_OFFICE_VALUE_TYPE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 value-type"


def _ods_errors(path: str) -> dict:
    with zipfile.ZipFile(path) as archive:
        with archive.open("content.xml") as handle:
            carry = b""
            while chunk := handle.read(_CHUNK):
                if b'value-type="error"' in carry + chunk:
                    break
                carry = chunk[-20:]
            else:
                return {}
        with archive.open("content.xml") as handle:
            return _OdsErrors().read(handle)


class _OdsErrors:
    def __init__(self):
        self.found: dict = {}
        self.sheet: _ErrorCells | None = None
        self.row = self.column = 0
        self.rows_repeated = 1
        self.in_row: list = []  # the row's error cells: (column, repeated, error)
        self.cell = None  # an error cell being read: [column, repeated, its text]

    def read(self, handle) -> dict:
        from xml.parsers import expat

        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._doctype
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.ParseFile(handle)
        return self.found

    def _doctype(self, *args):
        raise FileRefused("El libro contiene definiciones XML no permitidas (DOCTYPE); no se leyó.")

    def _start(self, tag: str, attributes: dict) -> None:
        namespace, _, local = tag.partition(" ")
        if namespace != _ODS_TABLE:
            return
        if local == "table":
            self.sheet = self.found.setdefault(attributes.get(f"{_ODS_TABLE} name", ""), _ErrorCells())
            self.row = 0
        elif local == "table-row":
            self.column, self.in_row = 0, []
            self.rows_repeated = _repeats(attributes.get(f"{_ODS_TABLE} number-rows-repeated"))
        elif local in ("table-cell", "covered-table-cell"):
            repeated = _repeats(attributes.get(f"{_ODS_TABLE} number-columns-repeated"))
            kind = attributes.get(_ODS_VALUE_TYPE) or attributes.get(_ODS_OFFICE_VALUE_TYPE)
            if kind == "error":
                self.cell = [self.column, repeated, ""]
            self.column += repeated

    def _text(self, data: str) -> None:
        if self.cell is not None:
            self.cell[2] += data

    def _end(self, tag: str) -> None:
        namespace, _, local = tag.partition(" ")
        if namespace != _ODS_TABLE:
            return
        if local in ("table-cell", "covered-table-cell") and self.cell is not None:
            self.in_row.append(self.cell)
            self.cell = None
        elif local == "table-row" and self.sheet is not None:
            for row in range(self.row, self.row + self.rows_repeated) if self.in_row else ():
                for column, repeated, error in self.in_row:
                    for at in range(column, column + repeated):
                        self.sheet.add(row, at, error.strip() or "#N/A")
            self.row += self.rows_repeated
        elif local == "table":
            self.found = {name: cells for name, cells in self.found.items() if cells}
            self.sheet = None


def _repeats(value) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def _first_cells(cells) -> list:
    return _row(list(cells))


def _numbered(iterator, *, first: int) -> Iterator[tuple[int, list]]:
    """Rows with their number as the spreadsheet shows it; empty rows skipped; the row cap
    counted here, as rows arrive."""
    limit = max_rows()
    count = 0
    number = first - 1
    try:
        for cells in iterator:
            number += 1
            if all(_blank(c) for c in cells):
                continue
            count += 1
            if count > limit:
                raise too_many_rows(limit)
            yield number, _row(list(cells))
    except FileRefused:
        raise
    except UnicodeDecodeError as exc:
        raise FileRefused("El archivo CSV tiene caracteres que no se pudieron leer.") from exc
    except csv.Error as exc:
        raise FileRefused(_csv_error_message(exc, number + 1)) from exc
    except Exception as exc:  # a sheet that breaks half-way
        raise FileRefused(_calamine_message(exc)) from exc


def _csv_error_message(exc: csv.Error, number: int) -> str:
    """The csv module's error (English) as the person can act on it, naming the row it read."""
    if "field larger than field limit" in str(exc):
        return (
            f"El archivo CSV tiene en la fila {number} una celda demasiado larga (más de "
            f"{csv.field_size_limit():,} caracteres): ¿quedaron comillas sin cerrar?"
        )
    return f"El archivo CSV está mal formado cerca de la fila {number}: revise sus comillas y separadores."


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _headers(cells: list) -> tuple[list[str], list[int]]:
    """A header row as text, and the positions of the headers that held control characters."""
    return [_header(c) for c in cells], control_character_cells(cells)


def _header(cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return " ".join(strip_control_characters(str(cell or "")).split())


def _csv_table(path: str) -> Table:
    encoding, errors = _csv_encoding(path)
    with open(path, encoding=encoding, errors=errors, newline="") as handle:
        sample = handle.read(64 * 1024)
    # «sep=;»: the line Excel writes (and reads) first to say which separator the file uses.
    said = _SEPARATOR_LINE.match(sample)
    delimiter = said.group(1) if said else _delimiter(sample)
    csv.field_size_limit(MAX_CSV_FIELD * 4)
    handle = open(path, encoding=encoding, errors=errors, newline="")  # noqa: SIM115 - closed when the rows end

    def rows():
        with handle:
            if said:
                handle.readline()
            yield from csv.reader(handle, delimiter=delimiter)

    iterator = rows()
    # (Rows numbered as Excel shows them: it does not show the «sep=» line.)
    headers, control, first, number = [], [], None, 0
    try:
        for cells in iterator:
            number += 1
            if any(not _blank(c) for c in cells):
                headers, control = _headers(cells)
                first = _first_cells(cells)
                break
    except (csv.Error, UnicodeDecodeError) as exc:
        raise FileRefused("El archivo CSV está mal formado en su primera fila.") from exc
    return Table(
        "CSV", headers, _numbered(iterator, first=number + 1), control_headers=control, first=first, first_number=number
    )


_SEPARATOR_LINE = re.compile(r'"?sep=([,;\t|])"?[ \t]*(\r\n|\r|\n)', re.IGNORECASE)


def _csv_encoding(path: str) -> tuple[str, str]:
    """(encoding, errors) to read a CSV with: UTF-8 (with or without BOM) when the bytes are
    valid UTF-8; else Windows-1252, what Excel on Windows writes for "CSV (delimitado por
    comas)" — unless the file also holds UTF-8's accented letters (rows added in another
    program to a list Excel saved): then UTF-8 with each byte that is not UTF-8 read as
    Windows-1252 (MIXED_ERRORS), so that both kinds of line read as they were written."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "strict"
    bom = head.startswith(codecs.BOM_UTF8)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        if bom or _has_utf8_letter(path):
            return ("utf-8-sig" if bom else "utf-8"), MIXED_ERRORS
        return "cp1252", "strict"
    return ("utf-8-sig" if bom else "utf-8"), "strict"


# UTF-8's Latin-1 letters (á é í ó ú ñ ü and their capitals: «Ã» then a byte 0x80-0xBF), which
# Windows-1252 text never holds (it would read «Ã©», «Ã±»).
_UTF8_LETTER = re.compile(rb"\xc3[\x80-\xbf]")


def _has_utf8_letter(path: str) -> bool:
    """Whether the file holds a UTF-8 Latin-1 letter. One split across two blocks is found with
    the previous block's last byte."""
    with open(path, "rb") as handle:
        previous = b""
        while chunk := handle.read(1 << 20):
            if _UTF8_LETTER.search(previous[-1:] + chunk):
                return True
            previous = chunk
    return False


def _windows_1252_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """A codecs error handler: the bytes UTF-8 could not read, read as Windows-1252 (its five
    unassigned bytes as U+FFFD)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("cp1252", errors="replace"), error.end


MIXED_ERRORS = "clientes-windows-1252"
codecs.register_error(MIXED_ERRORS, _windows_1252_fallback)


def _delimiter(sample: str) -> str:
    """Comma or semicolon (Excel in Spanish writes semicolons): the one that splits the first
    lines into the same, larger number of fields."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1
    for candidate in (";", ",", "\t"):
        counts = [len(next(csv.reader([line], delimiter=candidate))) for line in lines[:10]]
        score = counts[0] if counts and counts[0] > 1 and all(c == counts[0] for c in counts[:5]) else 0
        score = score or (max(counts) if counts and max(counts) > 1 else 0) / 100
        if score > best_score:
            best, best_score = candidate, score
    return best


# --- writing -----------------------------------------------------------------------------------


def cell_text(value) -> str:
    """A cell's value as text (what a CSV would hold): integral floats without ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


# The first characters that make a cell run as a formula in Excel or LibreOffice (OWASP "CSV
# injection"). customers.exporting builds its SQL version of escape_formula from this string.
FORMULA_STARTS = "=+-@\t\r"
# A negative number ("-5", "-2.5": a número entero or decimal attribute) starts with "-" but is
# a number to Excel and LibreOffice, not a formula: it stays as it is, so that it reads back as a
# number (customers.exporting has the same pattern in SQL).
NEGATIVE_NUMBER = "-[0-9]+([.][0-9]+)?"
_NEGATIVE_NUMBER = re.compile(NEGATIVE_NUMBER)


def escape_formula(text: str) -> str:
    """A cell that starts with = + - @ (or a tab / carriage return) would run as a formula in
    Excel or LibreOffice: a leading apostrophe keeps it text. The import removes that apostrophe
    again."""
    if text and text[0] in FORMULA_STARTS and not _NEGATIVE_NUMBER.fullmatch(text):
        return "'" + text
    return text


def unescape_formula(text: str) -> str:
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    return text


def write_xlsx(
    path_or_file,
    sheets: list[tuple[str, list[str], object]],
    *,
    widths: dict | None = None,
    escape: bool = True,
    wrap_first: bool = False,
) -> None:
    """sheets: (title, headers, iterable of rows). Write-only mode: memory stays flat. Text cells,
    the titles among them, are written as text and escaped against formulas; the title row stays
    in view (frozen).
    ``widths``: {title: {column letter: width}}. ``wrap_first``: the first column's text wraps
    (the rejected rows' errors: a sentence or three)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    workbook = Workbook(write_only=True)
    wrapped = Alignment(wrap_text=True, vertical="top")
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        for index, width in (widths or {}).get(title, {}).items():
            sheet.column_dimensions[index].width = width
        header_cells = []
        for header in headers:
            # A title is a cell too: the rejected rows' report repeats the uploaded file's own.
            cell = WriteOnlyCell(sheet, value=escape_formula(header) if escape and isinstance(header, str) else header)
            cell.font = Font(bold=True)
            header_cells.append(cell)
        if headers:
            sheet.freeze_panes = "A2"
            sheet.append(header_cells)
        for row in rows:
            values = [escape_formula(v) if escape and isinstance(v, str) else v for v in row]
            if wrap_first and values:
                values[0] = WriteOnlyCell(sheet, value=values[0])
                values[0].alignment = wrapped
            sheet.append(values)
    workbook.save(path_or_file)


def xlsx_bytes(sheets, *, widths: dict | None = None, wrap_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets, widths=widths, wrap_first=wrap_first)
    return buffer.getvalue()
