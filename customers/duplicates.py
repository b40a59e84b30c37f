"""Posibles duplicados: groups of customers outside the Papelera that are probably one.

Every rule runs in the database, walking an index in order and stopping once a page is full
(keyset: the next page starts after the last key shown), so a page costs about the same at
1,000,000 customers as at 1,000 — no all-pairs self-join anywhere:

- ``documento``: a RUC 10 (a person's RUC: "10" + DNI + check digit) and the DNI inside it
  (the unique document index, RUCs from "10…").
- ``telefono``: the same phone number (customer_phone_number_idx).
- ``correo``: the same e-mail domain and a similar name (trigram similarity of the match keys),
  free-mail domains (gmail, hotmail…) and domains of more than DOMAIN_BLOCK customers left out:
  those are everybody's, not one business's (customer_email_domain_idx).
- ``nombre``: the same match key — the name folded, without punctuation and legal suffixes
  ("Comercial Núñez SAC" = "COMERCIAL NUNEZ S.A.C."; Customer.match_key).
- ``parecido``: similar match keys (pg_trgm similarity ≥ SIMILAR_NAME) among each key's next
  NEIGHBOURS distinct keys in order (sorted neighbourhood): "transportes el rapido" and
  "transportes rapido", a typo late in the name; numbers in the names must be the same
  ("Bodega 1" and "Bodega 2" are two shops). Typos early in a long name, and words swapped,
  put the two keys far apart in order: this rule does not see them (the others may).

A group never joins customers whose documents say they are different people or companies:
two different RUCs (two companies of one business group), two DNIs. The identity compared is
the document, with a RUC 10 read as its DNI; customers without a document fit any group.

«No son duplicados» stores the group's signature (its ids, sorted): that group is not shown
again, under any rule.
"""

from dataclasses import dataclass, field

from django.db import connection

from customers.models import Customer, DuplicateDismissal
from customers.reference import DNI, RUC
from peru.phones import national_format

PAGE_SIZE = 25
SIMILAR = 0.6  # pg_trgm similarity of two names of one e-mail domain ("correo")
# Names alone are weaker evidence: at 0.6, 12,574 pairs of 1,000,000 seeded customers (mostly
# people without a DNI, "Ana Abigail" / "Ana Ruth" of one family); at 0.7 a typo still passes.
SIMILAR_NAME = 0.7
NEIGHBOURS = 3
DOMAIN_BLOCK = 50
FREE_MAIL = (
    "gmail.com",
    "hotmail.com",
    "hotmail.es",
    "outlook.com",
    "outlook.es",
    "live.com",
    "yahoo.com",
    "yahoo.es",
    "icloud.com",
    "msn.com",
    "aol.com",
    "protonmail.com",
    "proton.me",
)

RULES = {
    "documento": "Mismo DNI (RUC 10 y DNI)",
    "telefono": "Mismo teléfono",
    "correo": "Mismo dominio de correo y nombre parecido",
    "nombre": "Mismo nombre",
    "parecido": "Nombre parecido",
}

# The identity a document gives (NULL: no document): a RUC 10 is its DNI. Table alias c.
_IDENTITY = (
    f"CASE WHEN c.document_number = '' THEN NULL "
    f"WHEN c.document_type_id = '{RUC}' AND c.document_number LIKE '10%%' THEN 'P' || substr(c.document_number, 3, 8) "
    f"WHEN c.document_type_id = '{DNI}' THEN 'P' || c.document_number "
    f"ELSE c.document_type_id || ':' || c.document_number END"
)


@dataclass
class Group:
    rule: str
    key: str  # what the members share (the cursor of the next page)
    ids: list[int]
    score: int
    customers: list = field(default_factory=list)

    @property
    def reason(self) -> str:
        return RULES[self.rule]

    @property
    def signature(self) -> str:
        return signature(self.ids)

    @property
    def shared(self) -> str:
        """What the members share, as the page shows it."""
        if self.rule == "telefono":
            return national_format(self.key)
        if self.rule == "correo":
            return "@" + self.key.partition(" ")[0]
        if self.rule == "documento":
            return f"DNI {self.key[2:10]} en el RUC {self.key}"
        return self.key.replace(" | ", " ≈ ")


@dataclass
class Page:
    groups: list[Group]
    next_cursor: str  # "" on the last page


def signature(ids) -> str:
    return "-".join(str(pk) for pk in sorted({int(pk) for pk in ids}))


BATCH = 500  # candidate keys read per step of a page


# Each rule is two statements: the next BATCH candidate keys from the cursor on, in index order
# (cheap and streaming: index scans that stop at the LIMIT), then the groups of those keys that
# pass the document rule. find_duplicates repeats the pair until its page is full. A keys
# function returns the keys and where the next step starts (None: nothing after them).


def _simple_keys(sql: str, params: list):
    def keys(cursor, start: str, first: bool):
        cursor.execute(sql.replace("{op}", ">=" if first else ">"), [*params(start), BATCH])
        found = [row[0] for row in cursor.fetchall()]
        return found, (found[-1] if len(found) == BATCH else None)

    return keys


_keys_document = _simple_keys(
    """SELECT r.document_number FROM customers_customer r
       JOIN customers_customer d ON d.document_type_id = %s AND d.document_number = substr(r.document_number, 3, 8)
            AND d.deleted_at IS NULL AND d.document_number <> ''
       WHERE r.document_type_id = %s AND r.document_number {op} %s AND r.document_number < '11'
         AND r.deleted_at IS NULL
       ORDER BY r.document_number LIMIT %s""",
    lambda start: [DNI, RUC, max(start, "10")],
)


def _groups_document(keys: list) -> tuple[str, list]:
    sql = """
        SELECT r.document_number, ARRAY[d.id, r.id], 95 FROM customers_customer r
        JOIN customers_customer d ON d.document_type_id = %s AND d.document_number = substr(r.document_number, 3, 8)
             AND d.deleted_at IS NULL
        WHERE r.document_type_id = %s AND r.document_number = ANY(%s) AND r.deleted_at IS NULL"""
    return sql, [DNI, RUC, keys]


_keys_phone = _simple_keys(
    """SELECT number FROM customers_customerphone WHERE number {op} %s
       GROUP BY number HAVING count(*) > 1 ORDER BY number LIMIT %s""",
    lambda start: [start],
)


def _groups_phone(keys: list) -> tuple[str, list]:
    sql = f"""
        SELECT p.number, array_agg(DISTINCT c.id ORDER BY c.id),
               CASE WHEN count(DISTINCT c.match_key) = 1 THEN 95 ELSE 70 END
        FROM customers_customerphone p JOIN customers_customer c ON c.id = p.customer_id AND c.deleted_at IS NULL
        WHERE p.number = ANY(%s)
        GROUP BY p.number
        HAVING count(DISTINCT c.id) > 1 AND count(DISTINCT {_IDENTITY}) <= 1"""  # noqa: S608 (fixed SQL; values are parameters)
    return sql, [keys]


# Blocks: the customers of one domain (a business's few); pairs only inside a block. The
# expression is customer_email_domain_idx's.
_keys_mail = _simple_keys(
    """SELECT split_part(email, '@', 2) FROM customers_customeremail
       WHERE in_trash = false AND split_part(email, '@', 2) {op} %s
       GROUP BY 1 HAVING count(DISTINCT customer_id) BETWEEN 2 AND %s ORDER BY 1 LIMIT %s""",
    lambda start: [start.partition(" ")[0], DOMAIN_BLOCK],
)


def _groups_mail(keys: list) -> tuple[str, list]:
    sql = f"""
        WITH members AS (
            SELECT DISTINCT split_part(e.email, '@', 2) AS domain, c.id, c.match_key, {_IDENTITY} AS identity
            FROM customers_customeremail e JOIN customers_customer c ON c.id = e.customer_id AND c.deleted_at IS NULL
            WHERE e.in_trash = false AND split_part(e.email, '@', 2) = ANY(%s)
        )
        SELECT a.domain || ' ' || lpad(a.id::text, 12, '0') || '-' || lpad(b.id::text, 12, '0'),
               ARRAY[a.id, b.id], round(100 * similarity(a.match_key, b.match_key))::int
        FROM members a JOIN members b ON b.domain = a.domain AND b.id > a.id
        WHERE similarity(a.match_key, b.match_key) >= %s
          AND (a.identity IS NULL OR b.identity IS NULL OR a.identity = b.identity)"""  # noqa: S608 (fixed SQL; values are parameters)
    return sql, [[k for k in keys if k not in FREE_MAIL], SIMILAR]


_keys_name = _simple_keys(
    """SELECT match_key FROM customers_customer
       WHERE deleted_at IS NULL AND match_key <> '' AND match_key {op} %s
       GROUP BY match_key HAVING count(*) > 1 ORDER BY match_key LIMIT %s""",
    lambda start: [start],
)


def _groups_name(keys: list) -> tuple[str, list]:
    sql = f"""
        SELECT c.match_key, array_agg(c.id ORDER BY c.id), 100 FROM customers_customer c
        WHERE c.deleted_at IS NULL AND c.match_key <> '' AND c.match_key = ANY(%s)
        GROUP BY c.match_key HAVING count(DISTINCT {_IDENTITY}) <= 1"""  # noqa: S608 (fixed SQL; values are parameters)
    return sql, [keys]


def _keys_similar(cursor, start: str, first: bool):
    """Sorted neighbourhood: BATCH distinct keys from `start` on, each against the next
    NEIGHBOURS keys in index order (read past the batch, so no pair is lost at its edge)."""
    lead = ", ".join(f"lead(k, {n}) OVER w AS k{n}" for n in range(1, NEIGHBOURS + 1))
    pairs = " UNION ALL ".join(
        f"SELECT k, k{n} AS other FROM keyed WHERE n <= %s AND k{n} IS NOT NULL"  # noqa: S608 (fixed SQL)
        f" AND left(k, 3) = left(k{n}, 3)"
        for n in range(1, NEIGHBOURS + 1)
    )
    cursor.execute(
        f"""WITH keyed AS (
                SELECT k, row_number() OVER w AS n, {lead} FROM (
                    SELECT DISTINCT match_key AS k FROM customers_customer
                    WHERE deleted_at IS NULL AND match_key <> '' AND match_key >= %s
                    ORDER BY 1 LIMIT %s
                ) d WINDOW w AS (ORDER BY k)
            )
            SELECT k || ' | ' || other, NULL FROM ({pairs}) p
            WHERE similarity(k, other) >= %s
              AND regexp_replace(k, '[^0-9]', '', 'g') = regexp_replace(other, '[^0-9]', '', 'g')
            UNION ALL
            SELECT NULL, k FROM keyed WHERE n = %s + 1
            ORDER BY 1""",  # noqa: S608 (fixed SQL; values are parameters)
        [start.partition(" | ")[0], BATCH + NEIGHBOURS + 1, *([BATCH] * NEIGHBOURS), SIMILAR_NAME, BATCH],
    )
    rows = cursor.fetchall()
    following = next((nxt for pair, nxt in rows if pair is None), None)
    return [pair for pair, _ in rows if pair is not None], following


def _groups_similar(keys: list) -> tuple[str, list]:
    sql = f"""
        SELECT n.k || ' | ' || n.other, array_agg(c.id ORDER BY c.id), round(100 * similarity(n.k, n.other))::int
        FROM unnest(%s::text[], %s::text[]) AS n(k, other)
        JOIN customers_customer c ON c.match_key IN (n.k, n.other) AND c.deleted_at IS NULL AND c.match_key <> ''
        GROUP BY n.k, n.other
        HAVING count(DISTINCT {_IDENTITY}) <= 1"""  # noqa: S608 (fixed SQL; values are parameters)
    return sql, [[k.partition(" | ")[0] for k in keys], [k.partition(" | ")[2] for k in keys]]


_SQL = {
    "documento": (_keys_document, _groups_document),
    "telefono": (_keys_phone, _groups_phone),
    "correo": (_keys_mail, _groups_mail),
    "nombre": (_keys_name, _groups_name),
    "parecido": (_keys_similar, _groups_similar),
}


def find_duplicates(*, rule: str, after: str = "", per_page: int = PAGE_SIZE, with_customers: bool = True) -> Page:
    """One page of the groups `rule` finds after the cursor `after` (the previous page's
    next_cursor), not dismissed, with each group's customers loaded (one query) unless told not."""
    if rule not in _SQL:
        raise ValueError(f"Regla de duplicados desconocida: {rule!r}")
    keys_of, groups_sql = _SQL[rule]
    after = after or ""
    found: list[Group] = []
    step, first = after, True
    with connection.cursor() as cursor:
        while step is not None and len(found) <= per_page:
            keys, step = keys_of(cursor, step, first)
            first = False
            if not keys:
                continue
            cursor.execute(*groups_sql(keys))
            groups = [Group(rule=rule, key=key, ids=list(ids), score=score) for key, ids, score in cursor.fetchall()]
            groups = [g for g in groups if g.key > after]
            dismissed = set(
                DuplicateDismissal.objects.filter(signature__in=[g.signature for g in groups]).values_list(
                    "signature", flat=True
                )
            )
            found.extend(sorted((g for g in groups if g.signature not in dismissed), key=lambda g: g.key))
    shown = found[:per_page]
    if with_customers:
        _load_customers(shown)
    return Page(shown, shown[-1].key if len(found) > per_page else "")


def _load_customers(groups: list[Group]) -> None:
    ids = {pk for group in groups for pk in group.ids}
    found = {
        c.pk: c
        for c in Customer.objects.filter(pk__in=ids)
        .select_related("document_type")
        .prefetch_related("phones", "emails")
    }
    for group in groups:
        group.customers = [found[pk] for pk in group.ids if pk in found]
