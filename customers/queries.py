import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from django.db import OperationalError, connection, transaction
from django.db.models import F, Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from customers.models import (
    Address,
    Category,
    Contact,
    Customer,
    CustomerClass,
    Department,
    District,
    DocumentType,
    Province,
)
from peru.text import sort_key

# Every role that may view customers (the views check customers.view_customer) sees all of
# them: these reads take no acting user.


def list_customers() -> QuerySet[Customer]:
    """Customers outside the Papelera, in Spanish alphabetical order.
    customers.filters.CustomerFilterSet narrows it; paginate_customers() reads one page."""
    return (
        Customer.objects.filter(deleted_at__isnull=True)
        .select_related("document_type", "category")
        .order_by("sort_key", "id")
    )


# What a row of the list page shows (templates/customers/_row.html, customers.views._row_texts;
# the apps' columns read the rows' ids): its 25 customers are read without the other columns —
# the search text, the attributes (a JSON parsed per row), the names apart, the dates.
LIST_ROW_FIELDS = (
    "is_active",
    "is_foreign",
    "name",
    "document_type__short_name",
    "document_number",
    "email",
    "phone",
    "registry_status",
    "registry_condition",
    "category__name",
)


def list_page_customers() -> QuerySet[Customer]:
    """list_customers() as the list page shows them (LIST_ROW_FIELDS)."""
    return list_customers().only(*LIST_ROW_FIELDS)


def list_trash() -> QuerySet[Customer]:
    """The Papelera: deleted customers, the most recently deleted first, with who did it."""
    return (
        Customer.objects.filter(deleted_at__isnull=False)
        .select_related("document_type", "deleted_by")
        .order_by("-deleted_at", "-id")
    )


# --- one page of the list, at a million customers -------------------------------------------
#
# Measured with 1,000,000 customers (bench/search.py; bench/README.md has the figures):
# - An exact COUNT of a common search term reads every matching row: 300 ms and more. Up to
#   COUNT_LIMIT matches the count is exact; above it the page says "más de 10,000" (searches)
#   or gives the planner's estimate (filters only: equality estimates are good; for LIKE they
#   are off by two orders of magnitude, so a search never shows one).
# - For at most COUNT_LIMIT matches, one query finds them through the indexes (the trigram
#   index for words), sorts them and counts them (a window function): a few to 40 ms.
# - Above that, sorting every match is too slow, and so is walking the name index until 25
#   matches appear: matches cluster ("inversiones" sorts under I, so the walk reads every
#   name from A to I, 1.9 s). A search with more matches is shown newest first (walking the
#   primary key backwards finds 25 matches at once, ~1 ms) and the page says so. Filters alone
#   are spread over the alphabet and keep the alphabetical order through the index.
# - The planner cannot know how many rows LIKE '%word%' matches, so the plan is chosen for it:
#   trigram index to find and count (seq scans off), primary key walk for newest first (bitmap
#   scans off). SET LOCAL keeps those settings inside this transaction.

COUNT_LIMIT = 10_000
PAGE_SIZE = 25
# A query that still runs after this long is cancelled and the page asks to narrow the search.
LIST_TIMEOUT = "3s"
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement cancelled by that timeout


@dataclass
class CustomerPage:
    """One page of customers and what the page says about the total."""

    rows: list
    number: int
    per_page: int
    count: int  # exact when count_exact; otherwise COUNT_LIMIT: there are more
    count_exact: bool = True
    estimate: int | None = None  # the planner's estimate, when not exact and nothing is searched
    newest_first: bool = False  # too many matches to sort them alphabetically
    clamped: bool = False  # the page asked for does not exist; this is the nearest one
    beyond_walk: int | None = None  # the typed newest-first page asked for, too deep to open directly
    timed_out: bool = False

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.rows)

    @property
    def first_pk(self):
        return self.rows[0].pk if self.rows else None

    @property
    def last_pk(self):
        return self.rows[-1].pk if self.rows else None

    @property
    def page_range(self) -> list:
        """Page numbers to link, with None for a gap: 1 … 4 5 [6] 7 8 … 40."""
        last = self.num_pages
        near = range(max(1, self.number - 2), min(last, self.number + 2) + 1)
        pages = sorted({1, last, *near})
        out: list = []
        for page in pages:
            if out and page - out[-1] > 1:
                out.append(None)
            out.append(page)
        return out


def page_number(value) -> tuple[int, bool]:
    """The page asked for in the URL, and whether it was usable: garbage means page 1."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return 1, value in (None, "")
    if number < 1:
        return 1, False
    return number, True


def paginate_customers(
    queryset: QuerySet,
    *,
    page,
    searching: bool,
    per_page: int = PAGE_SIZE,
    common_word: tuple[str, QuerySet] | None = None,
    cursor: tuple[str, int] | None = None,
) -> CustomerPage:
    """One page of ``queryset`` (the FilterSet's qs, ordered by one of its orderings) with the
    count the page can afford; ``searching``: a word goes through the trigram index.
    ``common_word``: (word, the list without the search) when the search is that one word
    and nothing but the estado narrows the list (CustomerFilterSet.common_word): the word
    statistics may say it surely has too many matches to count. ``cursor`` (page_cursor()):
    in a list too long to count, the page right after or before that row, found from it
    through the index instead of skipping all the rows before it."""
    number, usable = page_number(page)
    order = tuple(queryset.query.order_by) or ("sort_key", "id")
    max_pages = max(1, COUNT_LIMIT // per_page)
    try:
        with transaction.atomic(), _pipelined():
            # Plans found by measuring (the note above): JIT compiles for tens of ms to save
            # less; a search is found and counted through the trigram index.
            plan = {"enable_seqscan": "off", "enable_indexscan": "off", "enable_indexonlyscan": "off"}
            _set_local(statement_timeout=LIST_TIMEOUT, jit="off", **(plan if searching else {}))
            if number > max_pages:
                number, usable = max_pages, False
            if not searching:
                page = _page_of_many(queryset, number=number, per_page=per_page, clamped=not usable, cursor=cursor)
                if page is not None:
                    return page
            if searching and common_word and _surely_many_with(*common_word):
                ids, total = [], COUNT_LIMIT + 1
            else:
                ids, total = _sorted_matches(queryset, order, offset=(number - 1) * per_page, per_page=per_page)
            if total is None and number > 1:
                # Past the last page: count, then show the last page.
                total = _count_matches(queryset)
                number = max(1, min(-(-min(total, COUNT_LIMIT) // per_page), max_pages))
                usable = False
                if total <= COUNT_LIMIT:
                    ids, _ = _sorted_matches(queryset, order, offset=(number - 1) * per_page, per_page=per_page)
            total = total or 0
            if total <= COUNT_LIMIT:
                # The ids matched already: fetch them plainly, without the filters again.
                rows = _rows_by_id(queryset, ids)
                return CustomerPage(rows, number, per_page, total, clamped=not usable)
            offset = (number - 1) * per_page
            if searching:
                _set_local(**_WALK_PLAN)
                asked = number
                rows, number, bounded = _newest_rows(queryset, number=number, per_page=per_page, cursor=cursor)
                return CustomerPage(
                    rows,
                    number,
                    per_page,
                    COUNT_LIMIT,
                    count_exact=False,
                    newest_first=True,
                    clamped=not usable or (number < asked and not bounded),
                    beyond_walk=asked if number < asked and bounded else None,
                )
            rows = _rows(queryset, order, offset=offset, per_page=per_page, cursor=cursor)
            estimate = _estimate(queryset)
            return CustomerPage(
                rows, number, per_page, COUNT_LIMIT, count_exact=False, estimate=estimate, clamped=not usable
            )
    except OperationalError as exc:
        if not _cancelled(exc):
            raise
        return CustomerPage([], 1, per_page, 0, timed_out=True)


# Filters alone that the planner expects to match SURELY_MANY times or more skip the exact
# count: finding 10,001 matches only to say "más de 10,000" cost 50-170 ms at 1M for a common
# attribute value (bench/attributes.py), while walking the name order until the page is full
# takes 2-5 ms. Equality and range estimates come from statistics and are close; a search's
# LIKE estimate is not, so searches never take this path. Two filters are estimated as if
# independent, which can be far off for a pair that rarely meets ("extranjeros" and a
# departamento): hence the margin over COUNT_LIMIT, and the walk's own time limit, after
# which the count path answers (a walk through most of the table would take seconds).
SURELY_MANY = 3 * COUNT_LIMIT
WALK_TIMEOUT = "60ms"


def _page_of_many(
    queryset: QuerySet, *, number: int, per_page: int, clamped: bool, cursor: tuple[str, int] | None = None
) -> CustomerPage | None:
    """The page straight from the index order when the estimate says there are surely more
    than COUNT_LIMIT matches; None otherwise (or when that page turns out empty or slow to find)."""
    estimate = _estimate(queryset)
    if estimate is None or estimate < SURELY_MANY:
        return None
    offset = (number - 1) * per_page
    try:
        # A savepoint: a cancelled walk leaves the page's transaction usable, and rolling it
        # back also undoes its SET LOCAL.
        with transaction.atomic():
            _set_local(statement_timeout=WALK_TIMEOUT)
            order = tuple(queryset.query.order_by) or ("sort_key", "id")
            rows = _rows(queryset, order, offset=offset, per_page=per_page, cursor=cursor)
    except OperationalError as exc:
        if not _cancelled(exc):
            raise
        return None
    if not rows:
        _set_local(statement_timeout=LIST_TIMEOUT)  # the count path answers, with the list's limit
        return None
    # The page answers: nothing else runs in this transaction, so its 60 ms limit stays (one
    # round trip fewer, each of which waits for a core while an import keeps both busy).
    if len(rows) < per_page:
        # The walk reached the end: the estimate was wrong, and the total is known.
        return CustomerPage(rows, number, per_page, offset + len(rows), clamped=clamped)
    return CustomerPage(rows, number, per_page, COUNT_LIMIT, count_exact=False, estimate=estimate, clamped=clamped)


# A search for one word that the statistics of customer_search_words (migration 0019: ANALYZE
# keeps the share of customers holding each common word, e-mail domains included) put in
# COMMON_WORD_MATCHES customers or more skips the count: finding 10,001 matches of "sac" or
# "gmail.com" only to say "más de 10,000" cost 70-180 ms at 1M (bench/list_http.py), the
# newest-first page 2-5 ms. A word holds every search term it contains ("garci" is in every
# "garcia"), so the share of the commonest such word is a lower bound of the term's share.
# The share comes from a sample of 30,000 rows refreshed by autovacuum: hence a margin of 2
# over COUNT_LIMIT (a word seen in 2% of the sample is in far more than 1% of the table).
COMMON_WORD_MATCHES = 2 * COUNT_LIMIT
WORD_STATISTICS_SECONDS = 300  # how long a process reuses the statistics it read
_word_statistics: dict = {"read_at": None, "words": ()}


def _common_words() -> tuple:
    """(word, share) of the commonest words of the search column, read at most every
    WORD_STATISTICS_SECONDS; empty before the first ANALYZE or on a server without them."""
    now = time.monotonic()
    read_at = _word_statistics["read_at"]
    if read_at is None or now - read_at > WORD_STATISTICS_SECONDS:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats_ext_exprs "
                "WHERE statistics_name = 'customer_search_words' AND most_common_elems IS NOT NULL"
            )
            row = cursor.fetchone()
        words = tuple(zip(row[0], row[1], strict=False)) if row else ()
        _word_statistics.update(read_at=now, words=words)
    return _word_statistics["words"]


def common_word_share(term: str) -> float:
    """The share of customers that surely hold ``term`` (folded, one word): that of the
    commonest word containing it, or 0."""
    return max((share for word, share in _common_words() if term in word), default=0.0)


def _surely_many_with(word: str, among: QuerySet) -> bool:
    """Whether the statistics say ``word`` is in COMMON_WORD_MATCHES or more of ``among`` (the
    list without the search: its estimate comes from btree statistics and is close)."""
    share = common_word_share(word)
    if share * COMMON_WORD_MATCHES < 1:
        return False  # no such common word: skip the EXPLAIN too
    estimate = _estimate(among)
    return estimate is not None and share * estimate >= COMMON_WORD_MATCHES


# --- keyset pages -----------------------------------------------------------------------------
#
# In a list too long to count, page N skipped (N-1) × 25 matches: page 200 of "comercial"
# newest first read 5,000 matches of the primary key walk, 100,000 rows (250-450 ms at 1M), and
# page 100 of a departamento walked the name index through 65,000 rows. The links of such a
# list (Anterior, Siguiente) carry the id of the row they continue from ("tras" / "antes"), and
# the page starts there through the same index, however deep. A typed page number without it
# still skips rows, within the list's time limit.

CURSORS = ("tras", "antes")


def page_cursor(params) -> tuple[str, int] | None:
    """("tras", id) or ("antes", id) from the query string of a list link; None for none or
    garbage (the page number answers then)."""
    for direction in CURSORS:
        value = str(params.get(direction) or "").strip()
        if value.isdigit() and 0 < int(value) < 2**63:
            return direction, int(value)
    return None


def _rows(queryset: QuerySet, order: tuple, *, offset: int, per_page: int, cursor) -> list:
    """The page of ``queryset`` in ``order``: after/before the cursor's row when there is one
    (and it still exists), else the rows from ``offset``."""
    if cursor and _keyset_order(queryset.model, order):
        direction, pk = cursor
        field = order[0].lstrip("-")
        model = queryset.model
        if field == "pk":
            key = pk if model._default_manager.filter(pk=pk).exists() else None
        else:
            key = model._default_manager.filter(pk=pk).values_list(field, flat=True).first()
        if key is not None:
            forward = direction == "tras"
            ascending = not order[0].startswith("-")
            comparison = ">" if forward == ascending else "<"
            table = connection.ops.quote_name(model._meta.db_table)
            if field == "pk":
                where, params = f'{table}."id" {comparison} %s', [pk]
            else:
                column = connection.ops.quote_name(model._meta.get_field(field).column)
                where, params = f'({table}.{column}, {table}."id") {comparison} (%s, %s)', [key, pk]
            walk = order if forward else tuple(f[1:] if f.startswith("-") else f"-{f}" for f in order)
            # ``where`` holds only quoted names of our own; the values go as parameters.
            rows = list(queryset.extra(where=[where], params=params).order_by(*walk)[:per_page])  # noqa: S610
            return rows if forward else rows[::-1]
    if not offset:
        return list(queryset.order_by(*order)[:per_page])
    # A typed page number skips ``offset`` rows: skip them as ids only (an index-only scan
    # where an index holds the filter and the order, e.g. customer_department_sort_idx), then
    # read the page's rows by id. Skipping whole rows (with their document type and category)
    # read 2,500 to 65,000 table rows for a deep page (bench/README.md, list_http.py).
    ids = list(queryset.order_by(*order).values_list("pk", flat=True)[offset : offset + per_page])
    return _rows_by_id(queryset, ids)


# A typed page number of a newest-first list (a bookmark, an edited URL; the list's own links
# carry a cursor) skips the matches before it by walking the primary key backwards and testing
# each row for the word: about 0.4 µs a row at 1M, however the rows are read (an index-only walk
# over a covering (id) INCLUDE (is_active, search_text) index, 124 MB, was no faster: testing
# LIKE is the cost), so page 200 of "comercial" (2.7% of the customers) read 182,000 rows, 70 ms.
# The trigram index finds every match instead, but then reads them all (27,000 rows for
# "comercial", as slow). So the walk is bounded: it tests at most NEWEST_WALK_ROWS rows, from
# the newest match down (ids are unique, so "id above the newest match's id minus the bound"
# holds at most that many). A page inside that range is the same page as before; a deeper one
# shows the deepest whole page found there, and the page says so: Siguiente continues from it
# (keyset), and a narrower search or a filter reaches the older customers. bench/README.md has
# the figures.
NEWEST_WALK_ROWS = 50_000

# --- the first newest-first page, past customers without the word ------------------------------
#
# The walk finds the first page at once when the word is among the newest customers, but it
# tests every row it passes, 0.25-0.5 µs each whatever the test: each bulk import of 50,000
# customers without the word put 50,000 more rows before its first match, and seven imports
# took "comercial" from 21 to 144 ms over HTTP (bench/README.md, list_searches.py). No plan
# over the indexes skips such a run from scratch: the trigram index reads the word's posting
# lists whole (10-40 ms for "comercial", 50-150 for "gmail.com"), and every match it finds is
# read from the table (2-3 µs each: 27,000 for "comercial"); windows of ids through it paid
# that read once a window and lost to the walk after three imports. What skips the run is
# knowing where the first page ended last time: the id of its last row (``_page_ends``, per
# process, for a page that ended more than REMEMBERED_DEPTH ids below the highest id drawn,
# _highest_id_drawn: a running import's uncommitted customers are ids the walk passes too). The page is
# then the newest matches at or above that id, found through the trigram index ANDed with
# that range of the primary key (0.04 µs an id in the range instead of the walk's 0.25-0.5),
# and it is exactly the first page whenever the range holds a whole page: a match below the
# id is older than every match above it. Otherwise (rows that left the list) the walk answers,
# as before. The range is taken while it spans more than RANGE_IDS_PER_MATCH ids per match
# the planner expects: for a common word ("gmail.com", 200,000 matches) the posting lists
# cost more than walking a few hundred thousand rows.
REMEMBERED_DEPTH = 20_000
PAGE_ENDS = 1_000  # searches whose first page's end a process remembers
RANGE_IDS_PER_MATCH = 2
_WALK_PLAN = {"enable_indexscan": "on", "enable_bitmapscan": "off", "enable_sort": "off"}
# Parallel workers for the range took 3-5 ms to start, for a few dozen rows read.
_RANGE_PLAN = {
    "enable_indexscan": "off",
    "enable_bitmapscan": "on",
    "enable_sort": "on",
    "max_parallel_workers_per_gather": "0",
}
_page_ends: dict = {}
_page_ends_lock = threading.Lock()


def _first_newest_page(queryset: QuerySet, *, per_page: int, top: int) -> list:
    """The newest ``per_page`` matches of ``queryset``, newest first (``top``: the highest id)."""
    newest = queryset.order_by("-pk")
    key = _page_key(queryset, per_page)
    remembered = _page_ends.get(key)  # (the id the page ended at, the matches expected)
    if remembered and top - remembered[0] > RANGE_IDS_PER_MATCH * remembered[1]:
        _set_local(**_RANGE_PLAN)
        rows = list(newest.filter(pk__gte=remembered[0])[:per_page])
        if len(rows) == per_page:
            _remember_page_end(key, rows[-1].pk, remembered[1])
            return rows  # under the range plan: a deeper page sets the walk's again (_newest_rows)
        _set_local(**_WALK_PLAN)  # (the workers stay off: what follows reads a page or walks)
    rows = list(newest[:per_page])
    if len(rows) == per_page and top - rows[-1].pk > REMEMBERED_DEPTH:
        matches = _estimate(queryset)
        if matches is not None:
            _remember_page_end(key, rows[-1].pk, matches)
    return rows


def _highest_id_drawn(model) -> int:
    """The highest id the table's sequence has handed out: where a walk down the primary key
    starts, counting the rows other transactions have not committed yet. The newest visible id
    (``ORDER BY id DESC LIMIT 1``) cost one more pass over those: a confirmed import holds 25,000
    to 50,000 new customers uncommitted at the top of the index (ids drawn at its preview), each
    a heap visit before the first visible id, 20 ms at 50,000 (bench/README.md, «the list during
    an import»). Only the remembered first page's heuristics read it; the page never depends on it."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')::regclass)", [table])
        (drawn,) = cursor.fetchone()
    if drawn is None:  # a sequence never called (ids given explicitly): the newest visible id
        drawn = model._default_manager.order_by("-pk").values_list("pk", flat=True).first()
    return drawn or 0


def _page_key(queryset: QuerySet, per_page: int) -> str:
    sql, params = queryset.order_by().query.sql_with_params()
    return f"{per_page}\x00{sql}\x00{params!r}"


def _remember_page_end(key: str, pk: int, matches: int) -> None:
    with _page_ends_lock:
        _page_ends.pop(key, None)
        _page_ends[key] = (pk, matches)
        while len(_page_ends) > PAGE_ENDS:
            del _page_ends[next(iter(_page_ends))]  # the least recently found


def _newest_rows(queryset: QuerySet, *, number: int, per_page: int, cursor) -> tuple[list, int, bool]:
    """The rows of newest-first page ``number``, its number (``number`` itself, or a lower one
    when that page lies deeper than the walk reaches) and whether the walk stopped at its bound
    (False: it saw every id, so a lower number means the page does not exist)."""
    offset = (number - 1) * per_page
    model = queryset.model
    if cursor and model._default_manager.filter(pk=cursor[1]).exists():
        return _rows(queryset, ("-pk",), offset=offset, per_page=per_page, cursor=cursor), number, False
    first = _first_newest_page(queryset, per_page=per_page, top=_highest_id_drawn(model))
    if not offset or not first:
        return first, 1 if not first else number, False
    _set_local(**_WALK_PLAN)  # the first page may have come through the range plan
    floor = first[0].pk - NEWEST_WALK_ROWS
    walk = queryset.filter(pk__lte=first[0].pk).order_by("-pk").values_list("pk", flat=True)
    if floor > 0:
        walk = walk.filter(pk__gt=floor)
    ids = list(walk[: offset + per_page])
    if len(ids) == offset + per_page or (floor <= 0 and len(ids) > offset):
        # The page lies inside the walk (or the walk saw every id): the same rows as ever.
        return _rows_by_id(queryset, ids[offset:]), number, False
    # The deepest whole page within the bound; when the walk saw every id, the last page.
    reachable = len(ids) // per_page if floor > 0 else -(-len(ids) // per_page)
    if reachable < 1:
        # Fewer than a page within the bound: only the first page opens directly.
        return first, 1, floor > 0
    start = (reachable - 1) * per_page
    return _rows_by_id(queryset, ids[start : start + per_page]), reachable, floor > 0


def _rows_by_id(queryset: QuerySet, ids: list) -> list:
    """The rows of these ids in this order, read plainly (the filters matched already), with
    the related rows and only the columns ``queryset`` selects."""
    # No ORDER BY: under the newest-first plan settings (sorts off) an ordered read by id
    # walked the whole name index (175 ms at 1M) instead of the primary key.
    rows_queryset = queryset.model._default_manager.order_by()
    rows_queryset.query.select_related = queryset.query.select_related
    rows_queryset.query.deferred_loading = queryset.query.deferred_loading
    found = rows_queryset.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def _keyset_order(model, order: tuple) -> bool:
    """Whether a cursor can continue ``order``: the primary key alone, or one column of the
    model then the id. Other orders (Documento ascending puts customers without a document
    last through an expression) take the page by its number."""
    field = order[0].lstrip("-")
    if field == "pk":
        return True
    columns = {f.name for f in model._meta.concrete_fields}
    return len(order) == 2 and field in columns and order[1].lstrip("-") in ("id", "pk")


@contextmanager
def _pipelined():
    """The page's statements sent without waiting for answers nobody reads (psycopg's pipeline
    mode): each SET LOCAL, SAVEPOINT and RELEASE goes with the next statement whose rows are
    read. The walk in name order (the default list's path) takes 5 round trips instead of 8
    (psycopg still waits for BEGIN alone, and leaving pipeline mode is one); each waits for a
    core when a bulk import keeps both busy (bench/list_cpu.py, tests/customers/test_list_cost.py).

    A failed statement (a walk cancelled by its time limit) leaves the pipeline refusing
    everything until it is synchronised: before the next statement (ROLLBACK TO SAVEPOINT,
    the count that answers instead) it is."""
    raw = connection.connection
    off = psycopg.pq.PipelineStatus.OFF
    if raw is None or not psycopg.Pipeline.is_supported() or raw.pgconn.pipeline_status != off:
        yield
        return

    def resync(execute, sql, params, many, context):
        if raw.pgconn.pipeline_status == psycopg.pq.PipelineStatus.ABORTED:
            pipeline.sync()
        return execute(sql, params, many, context)

    with raw.pipeline() as pipeline, connection.execute_wrapper(resync):
        yield


def _cancelled(exc: OperationalError) -> bool:
    """Whether a statement timeout (not another failure) ended the query."""
    return getattr(getattr(exc, "__cause__", None), "sqlstate", None) == QUERY_CANCELED


def _set_local(**settings: str) -> None:
    """Planner and timeout settings for the rest of this transaction (SET LOCAL)."""
    names = list(settings)
    sql = "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in names)
    params = [item for name in names for item in (name, settings[name])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _sorted_matches(queryset: QuerySet, order: tuple, *, offset: int, per_page: int) -> tuple[list, int | None]:
    """Ids of one page among the first COUNT_LIMIT + 1 matches, sorted by ``order``, and how
    many matches there are (COUNT_LIMIT + 1 meaning "more"); None when the page is empty."""
    keys = {f"_k{i}": F(field.lstrip("-")) for i, field in enumerate(order)}
    inner = queryset.order_by().values(_pk=F("pk"), **keys)[: COUNT_LIMIT + 1]
    sql, params = inner.query.sql_with_params()
    order_sql = ", ".join(f'"_k{i}" {"DESC" if field.startswith("-") else "ASC"}' for i, field in enumerate(order))
    # Django compiled ``sql`` (values stay in ``params``); order_sql holds only fixed names.
    page_sql = f'SELECT "_pk", COUNT(*) OVER () FROM ({sql}) AS "matches" ORDER BY {order_sql} LIMIT %s OFFSET %s'  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(page_sql, (*params, per_page, offset))
        rows = cursor.fetchall()
    return [row[0] for row in rows], (rows[0][1] if rows else None)


def _count_matches(queryset: QuerySet) -> int:
    """How many rows match, up to COUNT_LIMIT + 1."""
    return queryset.order_by()[: COUNT_LIMIT + 1].count()


def _estimate(queryset: QuerySet) -> int | None:
    """The planner's estimate of the matches (EXPLAIN, under a millisecond). Of their ids
    alone: the same estimate (the page's joins follow foreign keys), for a third of the
    Python that writes the SQL of every column and join (0.3 ms instead of 0.8)."""
    try:
        plan = json.loads(queryset.order_by().values("pk").explain(format="json"))
        return int(plan[0]["Plan"]["Plan Rows"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def get_customer(*, pk) -> Customer:
    """One customer with what its summary shows (trashed ones included: the summary says so).
    404 when it does not exist."""
    addresses = Address.objects.select_related("district__province__department").order_by("-is_default", "id")
    queryset = Customer.objects.select_related(
        "document_type", "category", "customer_class", "created_by", "deleted_by"
    )
    queryset = queryset.prefetch_related(
        "phones",
        "emails",
        Prefetch("addresses", queryset=addresses),
        Prefetch("contacts", queryset=Contact.objects.all()),
    )
    return get_object_or_404(queryset, pk=pk)


def find_customer(*, pk) -> Customer | None:
    """The customer a lifecycle button acts on, in or out of the Papelera (the service checks
    the state under a lock); None when it no longer exists."""
    return Customer.objects.select_related("document_type").filter(pk=pk).first()


def get_customer_for_update(*, pk) -> Customer:
    """The customer an edit form or panel works on: 404 when missing or in the Papelera
    (a trashed customer is restored first, then edited)."""
    return get_object_or_404(Customer.objects.select_related("document_type"), pk=pk, deleted_at__isnull=True)


def get_address(*, customer: Customer, pk) -> Address:
    """One address of this customer; an id of another customer's address is a 404."""
    return get_object_or_404(Address.objects.select_related("district__province"), pk=pk, customer=customer)


def get_contact(*, customer: Customer, pk) -> Contact:
    return get_object_or_404(Contact, pk=pk, customer=customer)


def list_addresses(*, customer: Customer) -> list[Address]:
    return list(customer.addresses.select_related("district__province__department").order_by("-is_default", "id"))


def list_contacts(*, customer: Customer) -> list[Contact]:
    return list(customer.contacts.order_by("name", "id"))


# --- choices for the forms -----------------------------------------------------------------


def _by_name(rows):
    return sorted(rows, key=lambda row: sort_key(row[1]))


def department_choices() -> list[tuple[str, str]]:
    return _by_name(Department.objects.values_list("code", "name"))


def province_choices(department_code: str) -> list[tuple[str, str]]:
    if not department_code:
        return []
    return _by_name(Province.objects.filter(department_id=department_code).values_list("code", "name"))


def district_choices(province_code: str) -> list[tuple[str, str]]:
    if not province_code:
        return []
    return _by_name(District.objects.filter(province_id=province_code).values_list("code", "name"))


def document_types() -> list[DocumentType]:
    return list(DocumentType.objects.order_by("position", "code"))


def category_choices() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Category.objects.order_by("position", "name").values_list("pk", "name")]


def class_choices() -> list[tuple[str, str]]:
    return [
        (str(pk), name) for pk, name in CustomerClass.objects.order_by("position", "name").values_list("pk", "name")
    ]


def list_choices_with_usage(model) -> list:
    """Categories or classes for Configuración, each with how many customers use it."""
    from django.db.models import Count

    related = "customer"
    return list(model.objects.annotate(in_use=Count(related)).order_by("position", "name"))
