"""Reading SUNAT's padrón reducido del RUC: the zip (or the .txt) as SUNAT distributes it,
streamed in chunks and turned into COPY text for padron_taxpayer, without ever holding the
whole file in memory.

The file: one header row, then one line per taxpayer, fields separated by "|" with a trailing
"|", Latin-1, "-" for an empty field, stray spaces around some values. Column names vary in
accents and case between editions, so columns are found by their folded header name; a file
whose header lacks RUC, nombre o razón social, estado and condición is not the padrón.

Each line is checked (field count, an 11-digit RUC with a valid prefix and check digit) and
the bad ones are counted by reason, with a few samples and their line numbers; everything else
(trimming, escaping) happens on the whole chunk at C speed (bytes.replace), since
a Python loop over 15 fields of 15 million lines would take minutes. PostgreSQL converts the
encoding (COPY … ENCODING 'LATIN1').
"""

import contextlib
import functools
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from peru.streams import read_ahead

# Columns of padron_taxpayer, in COPY order; the header names each one answers to (folded:
# lower case, no accents, letters and digits only).
COLUMNS = (
    ("ruc", ("ruc", "numeroderuc", "nruc")),
    ("name", ("nombreorazonsocial", "razonsocial", "nombreorazonsocialdelcontribuyente", "nombre")),
    ("status", ("estadodelcontribuyente", "estadocontribuyente", "estado")),
    ("condition", ("condiciondedomicilio", "condiciondeldomicilio", "condiciondomicilio", "condicion")),
    ("ubigeo", ("ubigeo",)),
    ("road_type", ("tipodevia", "tipovia")),
    ("road_name", ("nombredevia", "nombrevia")),
    ("zone_code", ("codigodezona", "codigozona")),
    ("zone_type", ("tipodezona", "tipozona")),
    ("number", ("numero", "nro")),
    ("interior", ("interior",)),
    ("lot", ("lote",)),
    ("apartment", ("departamento", "dpto")),  # the unit (Dpto. 301), not the region
    ("block", ("manzana", "mza")),
    ("kilometre", ("kilometro", "km")),
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)
REQUIRED = ("ruc", "name", "status", "condition")
REQUIRED_LABELS = "RUC, NOMBRE O RAZÓN SOCIAL, ESTADO DEL CONTRIBUYENTE y CONDICIÓN DE DOMICILIO"

CHUNK_BYTES = 4 << 20
MAX_SAMPLES = 20  # bad lines kept with their number and text, per load
MAX_COMPRESSION_RATIO = 100  # the padrón compresses about 8:1; a zip bomb, thousands to one
RUC_PREFIXES = frozenset({b"10", b"15", b"16", b"17", b"20"})
_WEIGHT_SUM = 41 * ord("0")  # sum of the check-digit weights (5,4,3,2,7,6,5,4,3,2) times "0"

# Reasons a line is refused (the page lists them with their counts).
FIELD_COUNT = "cantidad de campos incorrecta"
BAD_RUC = "RUC no válido (11 dígitos que empiezan con 10, 15, 16, 17 o 20)"
CHECK_DIGIT = "dígito verificador del RUC incorrecto"
ENCODING = "caracteres que no son del juego de caracteres del archivo"
NO_NAME = "sin nombre o razón social"


class NotAPadron(Exception):
    """The file is not the padrón, or cannot be read whole (damaged, truncated): `message`
    says what, in Spanish. Nothing of it is loaded."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[^a-z0-9]", "", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


@dataclass
class Layout:
    """Where each column of the table is in the file's lines."""

    positions: tuple[int | None, ...]  # per COLUMN_NAMES: index of the field in a line, or None
    field_count: int  # fields per line (without the trailing pipe's empty one)
    encoding: str  # "latin-1" or "utf-8"
    header: str

    @property
    def standard(self) -> bool:
        return self.positions == tuple(range(len(COLUMN_NAMES))) and self.field_count == len(COLUMN_NAMES)

    @property
    def copy_encoding(self) -> str:
        return "UTF8" if self.encoding == "utf-8" else "LATIN1"


def parse_header(raw: bytes) -> Layout:
    """The layout of a file from its first line; NotAPadron when it is not the padrón's."""
    raw = raw.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n")
    if not raw.strip() or b"\x00" in raw or b"|" not in raw:
        raise NotAPadron(
            f"El archivo no es el padrón reducido del RUC: su primera línea no tiene las columnas {REQUIRED_LABELS} "
            "separadas por «|»."
        )
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
        if text.isascii():
            encoding = "latin-1"  # SUNAT's encoding; an ASCII header says nothing against it
    except UnicodeDecodeError:
        text, encoding = raw.decode("latin-1"), "latin-1"
    names = [part.strip() for part in text.split("|")]
    if names and names[-1] == "":
        names.pop()  # the trailing pipe
    folded = [fold(name) for name in names]
    positions = []
    for _column, aliases in COLUMNS:
        found = next((folded.index(alias) for alias in aliases if alias in folded), None)
        positions.append(found)
    missing = [column for column, position in zip(COLUMN_NAMES, positions, strict=True) if position is None]
    if any(column in missing for column in REQUIRED):
        shown = " | ".join(names[:8])[:200]
        raise NotAPadron(
            f"El archivo no es el padrón reducido del RUC: su primera línea debe tener las columnas {REQUIRED_LABELS} "
            f"y tiene «{shown}»."
        )
    return Layout(positions=tuple(positions), field_count=len(names), encoding=encoding, header=text)


@dataclass
class Chunk:
    copy_text: bytes  # COPY text format, tab-separated, one line per good row
    lines: int  # lines read (good and bad, blank lines included)
    good: int
    bytes_read: int


@dataclass
class Rejections:
    counts: Counter = field(default_factory=Counter)
    samples: list = field(default_factory=list)  # [line number, reason, text]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, line_number: int, reason: str, raw: bytes, encoding: str) -> None:
        self.counts[reason] += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append([line_number, reason, raw.decode(encoding, errors="replace")[:160]])


def _partial_sums(weights: tuple[int, ...]) -> dict[bytes, int]:
    """Weighted digit sums of every 5-digit string: two dict lookups check a RUC's digit
    several times faster than ten multiplications in Python (15 million times per load)."""
    sums = {b"": 0}
    for weight in weights:
        sums = {prefix + bytes([48 + d]): total + weight * d for prefix, total in sums.items() for d in range(10)}
    return sums


@functools.cache
def _check_tables() -> tuple[dict[bytes, int], dict[bytes, int]]:
    """Built on first use (about 15 MB): web processes that never load a padrón don't pay."""
    return _partial_sums((5, 4, 3, 2, 7)), _partial_sums((6, 5, 4, 3, 2))


def ruc_problem(ruc: bytes) -> str | None:
    """None when ``ruc`` is a valid RUC (SUNAT's mod-11 check digit), else the reason."""
    if len(ruc) != 11 or not ruc.isdigit() or ruc[:2] not in RUC_PREFIXES:
        return BAD_RUC
    heads, tails = _check_tables()
    if (11 - (heads[ruc[:5]] + tails[ruc[5:10]]) % 11) % 10 != ruc[10] - 48:
        return CHECK_DIGIT
    return None


def parse_lines(lines: list[bytes], first_number: int, layout: Layout, rejections: Rejections) -> tuple[bytes, int]:
    """COPY text (text format, "|" as the delimiter) of the good lines among ``lines``
    (numbered from ``first_number``) and how many they were; the bad ones go to ``rejections``.

    The fast path — a line as SUNAT writes it: the standard columns, the trailing pipe, an
    11-digit RUC — does as little as possible per line (this loop runs 15 million times a
    load): no slicing of the line, only the RUC's parts looked up, the name's first byte looked
    at; each good line is kept whole, trailing pipe included, and the pipes are dropped from the
    joined text at C speed. Anything unusual (spaces around the RUC, a missing trailing pipe,
    another column order) takes the careful path."""
    separators = layout.field_count - 1
    pipes = separators + 1 if layout.standard else -1  # no fast path for another column order
    (heads, tails), prefixes, suspect = _check_tables(), RUC_PREFIXES, _NAME_SUSPECT
    good = []
    append = good.append
    for offset, line in enumerate(lines):
        if line.count(b"|") == pipes and line[-1] == 124 and line[11] == 124 and line[:11].isdigit():  # 124: "|"
            if line[:2] not in prefixes:
                rejections.add(first_number + offset, BAD_RUC, line[:-1], layout.encoding)
            elif (11 - (heads[line[:5]] + tails[line[5:10]]) % 11) % 10 != line[10] - 48:
                rejections.add(first_number + offset, CHECK_DIGIT, line[:-1], layout.encoding)
            elif line[12] in suspect and line[12 : line.find(b"|", 12)].strip() in (b"", b"-"):
                rejections.add(first_number + offset, NO_NAME, line[:-1], layout.encoding)
            else:
                append(line)
            continue
        line = line.strip()
        if not line:
            continue
        count = line.count(b"|")
        if count == separators + 1 and line[-1] == 124:
            line = line[:-1]
        elif count != separators:
            rejections.add(first_number + offset, FIELD_COUNT, line, layout.encoding)
            continue
        if not layout.standard:
            line = _reorder(line, layout)
        head, _, rest = line.partition(b"|")
        ruc = head.strip()
        line = ruc + b"|" + rest
        reason = ruc_problem(ruc)
        if reason is None and line[12 : line.find(b"|", 12)].strip() in (b"", b"-"):
            reason = NO_NAME
        if reason is not None:
            rejections.add(first_number + offset, reason, line, layout.encoding)
            continue
        append(line + b"|")
    if not good:
        return b"", 0
    return _to_copy((b"\n".join(good) + b"\n").replace(b"|\n", b"\n")), len(good)


# First bytes of a name that may make it empty or "-" once trimmed: "|", "-" and blanks.
_NAME_SUSPECT = frozenset(b"|- \t\x0b\x0c\r\n")


def _reorder(line: bytes, layout: Layout) -> bytes:
    parts = line.split(b"|")
    return b"|".join(parts[p] if p is not None else b"-" for p in layout.positions)


def _to_copy(text: bytes) -> bytes:
    """Trimmed fields in COPY's text format. "-" (SUNAT's empty) stays: replacing it here
    would cost more than the rest of the load; queries read it as empty (padron.queries)."""
    if b"\\" in text:
        text = text.replace(b"\\", b"\\\\")
    # Two spaces are the usual stray ones: one pass takes them, the next any single one left.
    while b" |" in text:
        text = text.replace(b"  |", b"|").replace(b" |", b"|")
    while b"| " in text:
        text = text.replace(b"|  ", b"|").replace(b"| ", b"|")
    return text


class Source:
    """The padrón's text in a file object (a zip or a .txt), read chunk by chunk.

    ``fileobj`` must be seekable (zipfile needs it; Django's storage files are). The zip must
    hold one .txt and nothing else, and be no zip bomb: its declared size is bounded, its
    compression ratio is that of text, and zipfile stops at the declared size and checks the
    CRC at the end (a lie raises BadZipFile, reported as a damaged file)."""

    def __init__(self, fileobj, *, name: str, max_bytes: int):
        self.fileobj = fileobj
        self.name = name
        self.max_bytes = max_bytes
        self.member_date = None  # the date SUNAT wrote the .txt (zip entry), when known
        self.total_bytes = 0
        self._archive = None
        self._stream = None

    def open(self) -> "Source":
        head = self.fileobj.read(4)
        self.fileobj.seek(0)
        if head.startswith(b"PK"):
            self._stream = self._open_zip()
        else:
            self.fileobj.seek(0, 2)
            self.total_bytes = self.fileobj.tell()
            self.fileobj.seek(0)
            if self.total_bytes > self.max_bytes:
                raise NotAPadron(f"El archivo pesa {self.total_bytes:,} bytes: más de lo que el padrón puede pesar.")
            self._stream = self.fileobj
        return self

    def _open_zip(self):
        try:
            self._archive = zipfile.ZipFile(self.fileobj)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            raise NotAPadron(
                "El zip está dañado o incompleto (¿se cortó la descarga?): vuelva a descargarlo."
            ) from None
        members = [info for info in self._archive.infolist() if not info.is_dir()]
        if len(members) != 1 or not members[0].filename.lower().endswith(".txt"):
            names = ", ".join(info.filename for info in members[:5]) or "ninguno"
            raise NotAPadron(
                f"El zip debe contener solo el padrón (un archivo .txt) y contiene {len(members)} archivo(s): {names}."
            )
        info = members[0]
        if info.file_size > self.max_bytes:
            raise NotAPadron(
                f"El archivo del zip dice pesar {info.file_size:,} bytes: más de lo que el padrón puede pesar."
            )
        if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
            raise NotAPadron(
                f"El zip no es el del padrón: se expande más de {MAX_COMPRESSION_RATIO} veces (una «bomba zip»)."
            )
        self.total_bytes = info.file_size
        year, month, day = info.date_time[:3]
        # (1980, 1, 1) is the zip format's "no date".
        if (year, month, day) != (1980, 1, 1):
            with contextlib.suppress(ValueError):
                self.member_date = date(year, month, day)
        return self._archive.open(info)

    def read(self, size: int) -> bytes:
        try:
            return self._stream.read(size)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise NotAPadron(
                "El zip está dañado o incompleto (¿se cortó la descarga?): vuelva a descargarlo. "
                f"Se leyeron {self._stream_position():,} bytes. Detalle: {exc}"
            ) from None

    def readline(self) -> bytes:
        try:
            return self._stream.readline()
        except (zipfile.BadZipFile, EOFError, OSError, ValueError):
            raise NotAPadron(
                "El zip está dañado o incompleto (¿se cortó la descarga?): vuelva a descargarlo."
            ) from None

    def _stream_position(self) -> int:
        try:
            return self._stream.tell()
        except (OSError, ValueError, AttributeError):
            return 0

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()


def read_chunks(
    source: Source, layout: Layout, rejections: Rejections, *, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[Chunk]:
    """The COPY text of the file after its header, chunk by chunk (about ``chunk_bytes`` each,
    cut at line ends). NotAPadron when the file ends in the middle of a line that is not whole
    (a truncated .txt), or when the zip turns out damaged."""
    blocks = read_ahead(_blocks(source, chunk_bytes), name="padron-inflate")
    try:
        yield from _chunks(blocks, layout, rejections)
    finally:
        blocks.close()


def _blocks(source: Source, size: int) -> Iterator[bytes]:
    """The file's bytes, ``size`` at a time, then one empty block. Read in a thread of their
    own (read_chunks): zlib inflates and zipfile checks the CRC with the GIL released, so
    the unzipping runs beside the checks of the previous block, not before them."""
    while data := source.read(size):
        yield data
    yield b""


def _chunks(blocks: Iterator[bytes], layout: Layout, rejections: Rejections) -> Iterator[Chunk]:
    number = 2  # line 1 is the header
    pending = b""
    first = True
    for data in blocks:
        at_end = not data
        data = pending + data
        if not data:
            return
        if at_end:
            body, pending = data, b""
        else:
            cut = data.rfind(b"\n")
            if cut < 0:
                pending = data
                if len(pending) > 1 << 20:
                    raise NotAPadron(
                        f"La línea {number} mide más de 1 MB: el archivo no es el padrón reducido del RUC."
                    )
                continue
            body, pending = data[: cut + 1], data[cut + 1 :]
        if at_end and not body.endswith(b"\n"):
            _check_last_line(body, number, layout)
        if first:
            first = False
            _detect_utf8(body, layout)
        if b"\x00" in body:  # PostgreSQL refuses NUL in text
            body = body.replace(b"\x00", b"")
        lines = body.splitlines()
        copy_text, good = parse_lines(lines, number, layout, rejections)
        if layout.encoding == "utf-8" and copy_text:
            copy_text, good = _valid_utf8(copy_text, good, lines, number, layout, rejections)
        yield Chunk(copy_text=copy_text, lines=len(lines), good=good, bytes_read=len(body))
        number += len(lines)
        if at_end:
            return


def _detect_utf8(body: bytes, layout: Layout) -> None:
    """A header without accents says nothing of the encoding: the first chunk decides. SUNAT
    writes Latin-1, where Ñ is one byte; text that is valid UTF-8 with non-ASCII letters is a
    file someone re-saved as UTF-8 (Latin-1 text is almost never valid UTF-8)."""
    if layout.encoding == "latin-1" and layout.header.isascii() and not body.isascii():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return
        layout.encoding = "utf-8"


def _check_last_line(body: bytes, number: int, layout: Layout) -> None:
    """A file cut short ends in a line without its newline that is not whole either."""
    last = body.rsplit(b"\n", 1)[-1].strip()
    if not last:
        return
    count = last.count(b"|")
    whole = count == layout.field_count and last.endswith(b"|") or count == layout.field_count - 1
    if not whole:
        line = number + body.count(b"\n")
        raise NotAPadron(
            f"El archivo está incompleto: termina en medio de la línea {line:,} (¿se cortó la descarga?). "
            "Vuelva a descargarlo."
        )


def _valid_utf8(copy_text, good, lines, number, layout, rejections):
    try:
        copy_text.decode("utf-8")
        return copy_text, good
    except UnicodeDecodeError:
        pass
    kept = []
    for offset, line in enumerate(lines):
        try:
            line.decode("utf-8")
            kept.append(line)
        except UnicodeDecodeError:
            rejections.add(number + offset, ENCODING, line, "latin-1")
            kept.append(b"")
    return parse_lines(kept, number, layout, Rejections())
