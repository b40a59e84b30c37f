import io
import zipfile

import pytest

from padron import reader
from padron.sample import HEADER, generate_lines, make_ruc, padron_line, write_padron
from tests.padron.conftest import GLORIA, standard_lines


def read(data: bytes, **options):
    source = reader.Source(io.BytesIO(data), name="x", max_bytes=options.pop("max_bytes", 1 << 30)).open()
    layout = reader.parse_header(source.readline())
    rejections = reader.Rejections()
    chunks = list(reader.read_chunks(source, layout, rejections, **options))
    rows = [line.split("|") for chunk in chunks for line in chunk.copy_text.decode("latin-1").splitlines()]
    return rows, rejections, layout


def file_bytes(lines, **options) -> bytes:
    buffer = io.BytesIO()
    write_padron(buffer, lines, **options)
    return buffer.getvalue()


def test_the_standard_file_gives_one_row_of_fifteen_fields_per_line():
    rows, rejections, layout = read(file_bytes(standard_lines()))
    assert layout.standard and layout.encoding == "latin-1"
    assert [row[0] for row in rows] == [line.split("|")[0] for line in standard_lines()]
    assert all(len(row) == 15 for row in rows)
    assert rows[2][1] == "QUISPE MUÑOZ ROSA ELENA"
    assert rejections.total == 0


def test_stray_spaces_around_values_are_trimmed():
    line = f" {GLORIA} |GLORIA S A  | ACTIVO|HABIDO |150115|AV.|X|-|-|1|-|-|-|-|-|"
    rows, rejections, _ = read(file_bytes([line]))
    assert rows[0][:5] == [GLORIA, "GLORIA S A", "ACTIVO", "HABIDO", "150115"]
    assert rejections.total == 0


def test_columns_are_found_by_header_name_whatever_the_accents_case_and_order():
    header = "ruc|Estado del Contribuyente|Nombre o Razon Social|condicion de domicilio|Ubigeo|"
    line = f"{GLORIA}|ACTIVO|GLORIA S A|HABIDO|150115|"
    rows, rejections, layout = read(file_bytes([line], header=header))
    assert not layout.standard
    assert rows[0][:5] == [GLORIA, "GLORIA S A", "ACTIVO", "HABIDO", "150115"]
    assert rows[0][5:] == ["-"] * 10  # columns this edition lacks: empty


@pytest.mark.parametrize(
    "first_line",
    ["Nombre;Apellido;Correo", "RUC|NOMBRE|TELEFONO|", "", "\x00\x01PK binary"],
)
def test_a_file_without_the_padron_header_is_refused(first_line):
    with pytest.raises(reader.NotAPadron, match="no es el padrón reducido del RUC"):
        read(file_bytes([f"{GLORIA}|GLORIA|"], header=first_line))


def test_bad_lines_are_counted_by_reason_with_their_line_numbers():
    good = standard_lines()
    bad_digit = GLORIA[:-1] + "1"
    lines = [
        good[0],
        "20100070970|SOLO TRES|CAMPOS|",  # line 3
        padron_line(bad_digit, "DIGITO MALO"),  # line 4
        padron_line("30123456789", "PREFIJO MALO"),  # line 5
        padron_line("2010007097", "CORTO"),  # line 6
        padron_line(make_ruc("20", 5), "-"),  # line 7: no name
        good[1],
    ]
    rows, rejections, _ = read(file_bytes(lines))
    assert len(rows) == 2
    assert rejections.counts == {
        reader.FIELD_COUNT: 1,
        reader.CHECK_DIGIT: 1,
        reader.BAD_RUC: 2,
        reader.NO_NAME: 1,
    }
    assert [(number, reason) for number, reason, _ in rejections.samples] == [
        (3, reader.FIELD_COUNT),
        (4, reader.CHECK_DIGIT),
        (5, reader.BAD_RUC),
        (6, reader.BAD_RUC),
        (7, reader.NO_NAME),
    ]
    assert "DIGITO MALO" in rejections.samples[1][2]


def test_line_numbers_continue_across_chunks():
    lines = list(generate_lines(500))
    lines[400] = "basura"
    rows, rejections, _ = read(file_bytes(lines), chunk_bytes=4096)
    assert len(rows) == 499
    assert rejections.samples[0][0] == 402  # the header is line 1


def test_samples_are_capped_but_every_bad_line_is_counted():
    lines = ["x|y|"] * 100
    _, rejections, _ = read(file_bytes(lines))
    assert rejections.total == 100
    assert len(rejections.samples) == reader.MAX_SAMPLES


def test_a_utf8_file_is_read_as_utf8():
    rows, _, layout = read(file_bytes(standard_lines(), encoding="utf-8"))
    assert layout.encoding == "utf-8" and layout.copy_encoding == "UTF8"
    assert rows[2][1].encode("latin-1").decode("utf-8") == "QUISPE MUÑOZ ROSA ELENA"


def test_a_utf8_body_under_a_header_without_accents_is_read_as_utf8():
    header = "RUC|NOMBRE O RAZON SOCIAL|ESTADO DEL CONTRIBUYENTE|CONDICION DE DOMICILIO|UBIGEO|"
    lines = [f"{GLORIA}|MUÑOZ E HIJOS S.A.C.|ACTIVO|HABIDO|150101|"]
    rows, _, layout = read(file_bytes(lines, header=header, encoding="utf-8"))
    assert layout.encoding == "utf-8"
    assert rows[0][1].encode("latin-1").decode("utf-8") == "MUÑOZ E HIJOS S.A.C."


def test_lines_not_valid_in_a_utf8_file_are_refused_as_encoding_errors():
    data = file_bytes(standard_lines(), encoding="utf-8") + padron_line(GLORIA, "PE\xd1A").encode("latin-1") + b"\r\n"
    rows, rejections, _ = read(data)
    assert len(rows) == 3
    assert rejections.counts == {reader.ENCODING: 1}


def test_a_txt_cut_in_the_middle_of_a_line_is_truncated():
    data = file_bytes(standard_lines())
    with pytest.raises(reader.NotAPadron, match="incompleto: termina en medio de la línea 4"):
        read(data[:-30])


def test_a_last_line_without_its_newline_but_whole_is_fine():
    rows, rejections, _ = read(file_bytes(standard_lines()).rstrip(b"\r\n"))
    assert len(rows) == 3 and rejections.total == 0


def test_the_zip_as_sunat_ships_it_is_read_and_dated():
    buffer = io.BytesIO()
    write_padron(buffer, standard_lines(), as_zip=True)
    source = reader.Source(io.BytesIO(buffer.getvalue()), name="x.zip", max_bytes=1 << 30).open()
    assert source.member_date is not None
    layout = reader.parse_header(source.readline())
    assert layout.standard


def test_a_zip_with_other_files_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("padron_reducido_ruc.txt", HEADER + "\n")
        archive.writestr("virus.exe", b"MZ")
    with pytest.raises(reader.NotAPadron, match="contiene 2 archivo"):
        reader.Source(io.BytesIO(buffer.getvalue()), name="x.zip", max_bytes=1 << 30).open()


def test_a_zip_bomb_is_refused_before_reading_it():
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("padron_reducido_ruc.txt", "w", force_zip64=True) as member,
    ):
        member.write((HEADER + "\n").encode("latin-1"))
        zeros = b"0" * (1 << 20)
        for _ in range(200):
            member.write(zeros)
    with pytest.raises(reader.NotAPadron, match="bomba zip"):
        reader.Source(io.BytesIO(buffer.getvalue()), name="x.zip", max_bytes=1 << 40).open()


def test_a_zip_declaring_more_than_the_limit_is_refused():
    buffer = io.BytesIO()
    write_padron(buffer, standard_lines(), as_zip=True)
    with pytest.raises(reader.NotAPadron, match="más de lo que el padrón puede pesar"):
        reader.Source(io.BytesIO(buffer.getvalue()), name="x.zip", max_bytes=100).open()


def test_a_truncated_zip_is_refused():
    buffer = io.BytesIO()
    write_padron(buffer, list(generate_lines(2000)), as_zip=True)
    with pytest.raises(reader.NotAPadron, match="dañado o incompleto"):
        reader.Source(io.BytesIO(buffer.getvalue()[:-5000]), name="x.zip", max_bytes=1 << 30).open()


def test_a_zip_whose_data_is_corrupt_fails_while_reading():
    buffer = io.BytesIO()
    write_padron(buffer, list(generate_lines(3000, seed=4)), as_zip=True)
    data = bytearray(buffer.getvalue())
    data[20_000] ^= 0xFF  # inside the compressed stream
    with pytest.raises(reader.NotAPadron, match="dañado o incompleto"):
        read(bytes(data))


def test_backslashes_are_escaped_for_copy():
    rows, _, _ = read(file_bytes([padron_line(GLORIA, "GLORIA S\\A")]))
    assert rows[0][1] == "GLORIA S\\\\A"  # COPY's text format reads it back as one backslash


def test_fast_and_careful_lines_mixed_give_the_same_fields():
    """The fast path keeps a line whole and drops the trailing pipes of the joined chunk; lines
    of the careful path are put back in the same shape: an empty last field stays empty, a name
    that starts with "-" is a name, "-" or blanks alone are no name."""
    ruc = make_ruc("20", 1)
    lines = [
        padron_line(ruc, "ALFA SAC")[:-2] + "|",  # standard, the last field empty (then the trailing pipe)
        " " + padron_line(make_ruc("20", 2), "BETA SAC"),  # careful: a space before the RUC
        padron_line(make_ruc("20", 3), "GAMMA SAC")[:-1],  # careful: no trailing pipe
        padron_line(make_ruc("20", 4), "-DELTA-"),  # a name starting with "-"
        padron_line(make_ruc("20", 5), " - "),  # no name
        padron_line(make_ruc("20", 6), "   "),  # no name
        padron_line(make_ruc("20", 7), "ÉPSILON S.A."),
    ]
    rows, rejections, _ = read(file_bytes(lines))
    assert [row[1] for row in rows] == ["ALFA SAC", "BETA SAC", "GAMMA SAC", "-DELTA-", "ÉPSILON S.A."]
    assert all(len(row) == 15 for row in rows)
    assert rows[0][14] == "" and rows[2][14] == "-"
    assert rejections.counts == {reader.NO_NAME: 2}
    assert [sample[0] for sample in rejections.samples] == [6, 7]  # line numbers (the header is 1)


def test_a_damaged_zip_is_reported_through_the_unzipping_thread():
    data = bytearray(file_bytes(list(generate_lines(3000, seed=4)), as_zip=True))
    data[len(data) // 2] ^= 0xFF  # a byte of the compressed text
    with pytest.raises(reader.NotAPadron, match="dañado o incompleto"):
        read(bytes(data), chunk_bytes=4096)
