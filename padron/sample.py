"""Padrón-shaped files for tests and benchmarks: SUNAT's padrón reducido del RUC as it comes.

One header row and one line per taxpayer, pipe-separated with a trailing pipe, Latin-1,
"-" for an empty field and the stray spaces of the real file ("GLORIA S A  |", " ACTIVO").
The values look real (surnames with Ñ, companies with their legal form, the estados and
condiciones SUNAT writes, INEI ubigeos) and every RUC is unique with a valid check digit.
write_padron() streams: 15,000,000 lines take about a minute and a few MB of memory.
"""

import io
import random
import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

# The header of the file as SUNAT distributes it (15 columns, trailing pipe).
HEADER = (
    "RUC|NOMBRE O RAZÓN SOCIAL|ESTADO DEL CONTRIBUYENTE|CONDICIÓN DE DOMICILIO|UBIGEO|TIPO DE VÍA|"
    "NOMBRE DE VÍA|CÓDIGO DE ZONA|TIPO DE ZONA|NÚMERO|INTERIOR|LOTE|DEPARTAMENTO|MANZANA|KILÓMETRO|"
)
FIELD_COUNT = 15
MEMBER_NAME = "padron_reducido_ruc.txt"

_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

SURNAMES = (  # noqa: SIM905  (words of a text: easier to read and extend)
    "QUISPE MAMANI FLORES RODRIGUEZ SANCHEZ GARCIA ROJAS GONZALES HUAMAN RAMOS CHAVEZ TORRES "
    "DIAZ MENDOZA VASQUEZ CASTILLO ESPINOZA CRUZ LOPEZ PEREZ GUTIERREZ RAMIREZ MORALES VARGAS "
    "CARDENAS CONDORI HUAMANI MUÑOZ NUÑEZ IBAÑEZ PEÑA ZUÑIGA CASTAÑEDA YAÑEZ ORDOÑEZ "
    "ALVAREZ JIMENEZ HERRERA MEDINA AGUILAR SALAZAR RIVERA CHOQUE TICONA APAZA CCAMA"
).split()
GIVEN_NAMES = (  # noqa: SIM905  (words of a text: easier to read and extend)
    "JUAN JOSE LUIS CARLOS JORGE MIGUEL ANGEL ROSA MARIA ELENA CARMEN ANA LUCIA SOFIA JULIO "
    "VICTOR CESAR PEDRO RAUL JESUS MARTHA GLADYS ROCIO ÑUSTA ELMER WILBER YESENIA MILAGROS"
).split()
COMPANY_WORDS = (  # noqa: SIM905  (words of a text: easier to read and extend)
    "INVERSIONES COMERCIAL CORPORACION DISTRIBUIDORA SERVICIOS GENERALES TRANSPORTES "
    "CONSTRUCTORA AGROINDUSTRIAS INDUSTRIAS IMPORTACIONES EXPORTACIONES GRUPO NEGOCIACIONES "
    "MULTISERVICIOS TEXTIL MINERA PESQUERA LOGISTICA SOLUCIONES TECNOLOGIA ANDINA DEL SUR NORTE "
    "PACIFICO AMAZONICA SANTA ROSA SAN MARTIN EL PORVENIR LOS ANDES ORO PERU LIMA AREQUIPA CUSCO "
    "ÑAÑA MAÑANA ALIMENTOS FERRETERIA FARMACIA BOTICA PANADERIA GLORIA"
).split()
LEGAL_FORMS = ("S.A.C.", "S.A.", "E.I.R.L.", "S.R.L.", "SOCIEDAD ANONIMA CERRADA", "S.A.A.", "")
STATUSES = (
    ("ACTIVO", 62),
    ("BAJA DE OFICIO", 14),
    ("BAJA DEFINITIVA", 12),
    ("BAJA PROV. POR OFICIO", 4),
    ("SUSPENSION TEMPORAL", 7),
    ("BAJA PROVISIONAL", 1),
)
CONDITIONS = (("HABIDO", 80), ("NO HABIDO", 12), ("NO HALLADO", 3), ("PENDIENTE", 5))
ROAD_TYPES = ("AV.", "JR.", "CAL.", "PSJ.", "CAR.", "-")
ZONE_CODES = ("URB.", "P.J.", "A.H.", "COO.", "RES.", "ASOC.", "-")
UBIGEOS = (  # noqa: SIM905  (words of a text: easier to read and extend)
    "150101 150115 150122 150131 150132 150140 150141 150103 040101 040126 080101 080108 130101 "
    "140101 200101 120101 160101 220101 250101 210101 110101 050101 060101 070101 090101 100101 "
    "170101 180101 190101 230101 240101 010101 020101 030101 150501 150601 150801 151001"
).split()


def ruc_check_digit(first_ten: str) -> str:
    total = sum(w * int(c) for w, c in zip(_WEIGHTS, first_ten, strict=True))
    return str((11 - total % 11) % 10)


def make_ruc(prefix: str, body: int) -> str:
    first_ten = f"{prefix}{body % 100_000_000:08d}"
    return first_ten + ruc_check_digit(first_ten)


def padron_line(
    ruc: str,
    name: str,
    status: str = "ACTIVO",
    condition: str = "HABIDO",
    ubigeo: str = "150101",
    road_type: str = "-",
    road_name: str = "-",
    zone_code: str = "-",
    zone_type: str = "-",
    number: str = "-",
    interior: str = "-",
    lot: str = "-",
    apartment: str = "-",
    block: str = "-",
    kilometre: str = "-",
) -> str:
    """One line as SUNAT writes it (no newline): the fields in the header's order, trailing pipe."""
    fields = (
        ruc,
        name,
        status,
        condition,
        ubigeo,
        road_type,
        road_name,
        zone_code,
        zone_type,
        number,
        interior,
        lot,
        apartment,
        block,
        kilometre,
    )
    return "|".join(value if value != "" else "-" for value in fields) + "|"


def _weighted(pairs) -> list[str]:
    return [value for value, weight in pairs for _ in range(weight)]


def generate_lines(count: int, *, seed: int = 0, start: int = 0) -> Iterator[str]:
    """``count`` random taxpayers, each line unique by RUC (lines ``start`` … ``start+count-1``
    of the same seed never repeat a RUC)."""
    rng = random.Random(seed)
    choice, randrange = rng.choice, rng.randrange
    statuses, conditions = _weighted(STATUSES), _weighted(CONDITIONS)
    for i in range(start, start + count):
        kind = randrange(100)
        # 10: personas naturales (most of the padrón), 20: empresas, 15/17: special cases.
        # The stride is coprime with 10^8, so distinct i never give the same RUC.
        if kind < 68:
            ruc = make_ruc("10", i * 7919 + 12_345)
            name = f"{choice(SURNAMES)} {choice(SURNAMES)} {choice(GIVEN_NAMES)}"
            if randrange(2):
                name += " " + choice(GIVEN_NAMES)
        else:
            ruc = make_ruc("20" if kind < 97 else ("15" if kind < 99 else "17"), i * 7919 + 54_321)
            words = [choice(COMPANY_WORDS) for _ in range(1 + randrange(3))]
            name = " ".join(words) + (" " + choice(LEGAL_FORMS) if randrange(10) else "")
            name = name.strip()
        status, condition = choice(statuses), choice(conditions)
        if randrange(20) == 0:  # the real file's stray spaces
            name, status = name + "  ", " " + status
        road = choice(ROAD_TYPES)
        has_road = road != "-"
        zone = choice(ZONE_CODES)
        yield padron_line(
            ruc,
            name,
            status,
            condition,
            choice(UBIGEOS) if randrange(50) else "-",
            road,
            f"{choice(SURNAMES)} {choice(COMPANY_WORDS)}" if has_road else "-",
            zone,
            f"{choice(COMPANY_WORDS)} {choice(SURNAMES)}" if zone != "-" else "-",
            str(randrange(1, 3000)) if has_road and randrange(4) else "-",
            str(randrange(1, 900)) if randrange(8) == 0 else "-",
            str(randrange(1, 40)) if not has_road else "-",
            str(randrange(100, 1200)) if randrange(10) == 0 else "-",
            choice("ABCDEFGHJKLMN") if not has_road else "-",
            str(randrange(1, 80)) if road == "CAR." else "-",
        )


def write_padron(
    target,
    lines: int | Iterable[str],
    *,
    seed: int = 0,
    header: str = HEADER,
    encoding: str = "latin-1",
    as_zip: bool | None = None,
    member: str = MEMBER_NAME,
) -> Path | None:
    """Write a padrón file to ``target`` (a path or a binary file object): ``lines`` random
    lines, or the given lines. A target ending in .zip (or as_zip=True) gets a zip holding
    ``member``, compressed like SUNAT's."""
    rows = generate_lines(lines, seed=seed) if isinstance(lines, int) else lines
    path = Path(target) if isinstance(target, (str, Path)) else None
    if as_zip is None:
        as_zip = path is not None and path.suffix.lower() == ".zip"
    if as_zip:
        info = zipfile.ZipInfo(member, date_time=time.localtime()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        with (
            zipfile.ZipFile(path or target, "w", compresslevel=1) as archive,
            archive.open(info, "w", force_zip64=True) as raw,
        ):
            _write_lines(raw, header, rows, encoding)
    elif path is not None:
        with open(path, "wb") as raw:
            _write_lines(raw, header, rows, encoding)
    else:
        _write_lines(target, header, rows, encoding)
    return path


def _write_lines(raw, header: str, rows: Iterable[str], encoding: str) -> None:
    buffer = io.BufferedWriter(raw, 1 << 20) if not isinstance(raw, io.BufferedIOBase) else raw
    if header is not None:
        buffer.write((header + "\r\n").encode(encoding))
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= 10_000:
            buffer.write(("\r\n".join(batch) + "\r\n").encode(encoding, errors="replace"))
            batch = []
    if batch:
        buffer.write(("\r\n".join(batch) + "\r\n").encode(encoding, errors="replace"))
    buffer.flush()
