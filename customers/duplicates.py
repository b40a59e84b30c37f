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
- ``parecido``: similar match keys (pg_trgm similarity ≥ SIMILAR) among each key's next
  NEIGHBOURS distinct keys in order (sorted neighbourhood): "transportes el rapido" and
  "transportes rapido", a typo late in the name. Word order swaps are not caught here.

A group never joins customers whose documents say they are different people or companies:
two different RUCs (two companies of one business group), two DNIs. The identity compared is
the document, with a RUC 10 read as its DNI; customers without a document fit any group.

«No son duplicados» stores the group's signature (its ids, sorted): that group is not shown
again, under any rule.
"""

from dataclasses import dataclass, field

from django.db import connection

from customers.models import Customer
from customers.reference import DNI, RUC

PAGE_SIZE = 25
SIMILAR = 0.6  # pg_trgm similarity of two match keys for "parecido" and "correo"
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
_NOT_DISMISSED = (
    "NOT EXISTS (SELECT 1 FROM customers_duplicatedismissal x WHERE x.signature = array_to_string(g.ids, '-'))"
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


@dataclass
class Page:
    groups: list[Group]
    next_cursor: str  # "" on the last page


def signature(ids) -> str:
    return "-".join(str(pk) for pk in sorted({int(pk) for pk in ids}))


def _sql_document(after: str, limit: int) -> tuple[str, list]:
    sql = f"""
        SELECT g.key, g.ids, 95 FROM (
            SELECT r.document_number AS key, ARRAY[d.id, r.id] AS ids
            FROM customers_customer r
            JOIN customers_customer d ON d.document_type_id = %s AND d.document_number = substr(r.document_number, 3, 8)
                 AND d.deleted_at IS NULL AND d.document_number <> ''
            WHERE r.document_type_id = %s AND r.document_number > %s AND r.document_number < '11'
              AND r.deleted_at IS NULL
            ORDER BY r.document_number
        ) g WHERE {_NOT_DISMISSED}
        ORDER BY g.key LIMIT %s"""
    return sql, [DNI, RUC, max(after, "10"), limit]


def _sql_phone(after: str, limit: int) -> tuple[str, list]:
    sql = f"""
        SELECT g.key, g.ids, CASE WHEN g.names = 1 THEN 95 ELSE 70 END FROM (
            SELECT p.number AS key, array_agg(DISTINCT c.id ORDER BY c.id) AS ids,
                   count(DISTINCT c.match_key) AS names
            FROM customers_customerphone p JOIN customers_customer c ON c.id = p.customer_id AND c.deleted_at IS NULL
            WHERE p.number > %s
            GROUP BY p.number
            HAVING count(DISTINCT c.id) > 1 AND count(DISTINCT {_IDENTITY}) <= 1
        ) g WHERE {_NOT_DISMISSED}
        ORDER BY g.key LIMIT %s"""
    return sql, [after, limit]


def _sql_mail(after: str, limit: int) -> tuple[str, list]:
    # Blocks: the customers of one domain (few per business domain); pairs only inside a block.
    sql = f"""
        WITH members AS (
            SELECT split_part(e.email, '@', 2) AS domain, c.id, c.match_key, {_IDENTITY} AS identity
            FROM customers_customeremail e JOIN customers_customer c ON c.id = e.customer_id AND c.deleted_at IS NULL
            WHERE e.in_trash = false AND split_part(e.email, '@', 2) > %s
              AND split_part(e.email, '@', 2) <> ALL(%s)
              AND split_part(e.email, '@', 2) IN (
                  SELECT split_part(email, '@', 2) FROM customers_customeremail
                  WHERE in_trash = false AND split_part(email, '@', 2) > %s
                  GROUP BY 1 HAVING count(DISTINCT customer_id) BETWEEN 2 AND %s
              )
        )
        SELECT g.key, g.ids, g.score FROM (
            SELECT a.domain || ' ' || lpad(a.id::text, 12, '0') || lpad(b.id::text, 12, '0') AS key,
                   ARRAY[a.id, b.id] AS ids, round(100 * similarity(a.match_key, b.match_key))::int AS score
            FROM members a JOIN members b ON b.domain = a.domain AND b.id > a.id
            WHERE similarity(a.match_key, b.match_key) >= %s
              AND (a.identity IS NULL OR b.identity IS NULL OR a.identity = b.identity)
        ) g WHERE {_NOT_DISMISSED}
        ORDER BY g.key LIMIT %s"""
    domain = after.partition(" ")[0]
    return sql, [domain, list(FREE_MAIL), domain, DOMAIN_BLOCK, SIMILAR, limit]


def _sql_name(after: str, limit: int) -> tuple[str, list]:
    sql = f"""
        SELECT g.key, g.ids, 100 FROM (
            SELECT c.match_key AS key, array_agg(c.id ORDER BY c.id) AS ids
            FROM customers_customer c
            WHERE c.deleted_at IS NULL AND c.match_key <> '' AND c.match_key > %s
            GROUP BY c.match_key
            HAVING count(*) > 1 AND count(DISTINCT {_IDENTITY}) <= 1
        ) g WHERE {_NOT_DISMISSED}
        ORDER BY g.key LIMIT %s"""
    return sql, [after, limit]


def _sql_similar(after: str, limit: int) -> tuple[str, list]:
    # Sorted neighbourhood: each distinct key against the next NEIGHBOURS keys in index order;
    # then the customers of both keys, if their documents allow one customer.
    lead = ", ".join(f"lead(k, {n}) OVER w AS k{n}" for n in range(1, NEIGHBOURS + 1))
    pairs = " UNION ALL ".join(
        f"SELECT k, k{n} AS other FROM keyed WHERE k{n} IS NOT NULL" for n in range(1, NEIGHBOURS + 1)
    )
    sql = f"""
        WITH keyed AS (
            SELECT k, {lead} FROM (
                SELECT DISTINCT match_key AS k FROM customers_customer
                WHERE deleted_at IS NULL AND match_key <> '' AND match_key >= %s
            ) d WINDOW w AS (ORDER BY k)
        ), near AS (
            SELECT k, other, similarity(k, other) AS score FROM ({pairs}) p
            WHERE left(k, 3) = left(other, 3) AND similarity(k, other) >= %s
        )
        SELECT g.key, g.ids, g.score FROM (
            SELECT n.k || ' | ' || n.other AS key, array_agg(c.id ORDER BY c.id) AS ids,
                   round(100 * max(n.score))::int AS score
            FROM near n JOIN customers_customer c ON c.match_key IN (n.k, n.other) AND c.deleted_at IS NULL
            GROUP BY n.k, n.other
            HAVING count(DISTINCT {_IDENTITY}) <= 1
        ) g WHERE {_NOT_DISMISSED}
        ORDER BY g.key LIMIT %s"""
    return sql, [after.partition(" | ")[0], SIMILAR, limit]


_SQL = {
    "documento": _sql_document,
    "telefono": _sql_phone,
    "correo": _sql_mail,
    "nombre": _sql_name,
    "parecido": _sql_similar,
}


def find_duplicates(*, rule: str, after: str = "", per_page: int = PAGE_SIZE, with_customers: bool = True) -> Page:
    """One page of the groups `rule` finds, after the cursor `after` (the previous page's
    next_cursor), with each group's customers loaded (in one query) unless told otherwise."""
    if rule not in _SQL:
        raise ValueError(f"Regla de duplicados desconocida: {rule!r}")
    sql, params = _SQL[rule](after or "", per_page + 1)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    more = len(rows) > per_page
    groups = [Group(rule=rule, key=key, ids=list(ids), score=score) for key, ids, score in rows[:per_page]]
    if rule == "parecido":
        # A pair of keys is one group; its cursor restarts at its first key, so skip what was shown.
        groups = [g for g in groups if g.key > after]
    if with_customers:
        _load_customers(groups)
    return Page(groups, groups[-1].key if more and groups else "")


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
