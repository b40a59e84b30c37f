"""The table of the padrón (padron_taxpayer) and its indexes, as SQL: a load builds a new
table beside the one in use and swaps it in (padron.services), so its shape lives here rather
than in a Django model. The migration 0001 created the first, empty, table from the same text.

RUC is a bigint (8 bytes, the fastest key to sort when the index is built). "-", SUNAT's
empty, is stored as it comes (padron.reader says why) and read as empty by padron.queries.
"""

TABLE = "padron_taxpayer"
NEW_TABLE = "padron_taxpayer_new"
OLD_TABLE = "padron_taxpayer_old"

COLUMNS_SQL = """
    ruc bigint NOT NULL,
    name text NOT NULL,
    status text NOT NULL,
    condition text NOT NULL,
    ubigeo text NOT NULL,
    road_type text NOT NULL,
    road_name text NOT NULL,
    zone_code text NOT NULL,
    zone_type text NOT NULL,
    number text NOT NULL,
    interior text NOT NULL,
    lot text NOT NULL,
    apartment text NOT NULL,
    block text NOT NULL,
    kilometre text NOT NULL
"""

# The name as searched: accents and Ñ folded, lower case, in the "C" collation so the btree
# serves both LIKE 'prefix%' and ORDER BY (the database collates in C.UTF-8 anyway). The same
# expression, applied to what the user types, is the search's key (padron.queries).
NAME_KEY_SQL = "(lower(translate({column}, 'ÁÉÍÓÚÜÑáéíóúüñ', 'AEIOUUNaeiouun')) COLLATE \"C\")"

# (index name, definition with {table}), built after the COPY of a load.
INDEXES = (
    ("padron_taxpayer_pkey", "ALTER TABLE {table} ADD CONSTRAINT {name} PRIMARY KEY (ruc)"),
    ("padron_taxpayer_name_idx", "CREATE INDEX {name} ON {table} (" + NAME_KEY_SQL.format(column="name") + ")"),
)


def create_table_sql(table: str) -> str:
    return f"CREATE TABLE {table} ({COLUMNS_SQL})"


def index_sql(table: str, name: str, template: str) -> str:
    return template.format(table=table, name=name)
