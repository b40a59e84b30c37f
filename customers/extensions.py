"""What the apps above customers add to its pages, without customers importing them.

customers owns these lists and never knows who fills them; an app above (credit today)
registers its entries once, from its AppConfig.ready() — the way NetBox's apps fill a
registry that core code reads (house style §11). Entries are plain data: url names, template
names and permissions, plus, where a page needs it, one callable named below.

- Summary tabs (``SummaryTab``): a tab of the customer summary whose pane loads from the
  app's URL (htmx, when the tab is first shown, and again on the ``customerChanged`` event
  that the app's side panels trigger after a save). A tab with the key of an existing one
  (e.g. "condiciones", a placeholder until credit fills it) takes its place.
- List columns (``ListColumn``): a header and a cell template for the customer list, and
  ``load_page(rows)``, called once per page with the 25 customers shown, which attaches what
  the cell reads to each row in one query (never a query or a SUM per row).
- Row menu entries (``RowMenuEntry``): items of the summary's "Más opciones" (``template``,
  rendered with ``customer``) and of the list's ⋮ menu, for users with the permission. The list
  carries one menu for the whole page (templates/customers/_row_menu.html, static/js/list.js),
  so its items (``list_template``) are rendered once, without a customer: their addresses are
  reversed with the id 0 in ``data-row-href`` / ``data-row-hx-get`` / ``data-row-hx-post`` /
  ``data-row-formaction`` and list.js puts the id of the row that opened the menu in their place;
  what differs from row to row is a state word (``row_state(customer)``, e.g. "credit-blocked",
  written on the row's ``data-row-state``) that an item shows with ``data-when="word"`` or hides
  with ``data-unless="word"``. ``load_page(rows)`` attaches what ``row_state`` reads, one query
  per page (a column with the same function does not run it twice).
- List filters (``ListFilter``): a django-filter Filter added to CustomerFilterSet, so the
  page, its htmx refresh and the export all apply it; with a template for the filter bar.
- Settings links (``SettingsLink``): sections of Configuración that live in another app.
- Spreadsheet columns (``SheetColumns``): columns of the import template, the import and the
  export (credit's cupo, lista de precios, forma de pago) that the app parses, checks and
  writes itself, set-based, with its own rules; customers only carries the cells.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SummaryTab:
    key: str
    label: str
    url_name: str  # reversed with the customer's pk
    permission: str
    before: str = "atributos"  # a new tab goes before this one


@dataclass(frozen=True)
class ListColumn:
    key: str
    label: str
    cell_template: str  # rendered with ``customer`` in the context
    permission: str
    load_page: Callable[[list], None] = field(default=lambda rows: None)
    css_class: str = ""


@dataclass(frozen=True)
class RowMenuEntry:
    key: str
    template: str  # the summary's <li> items, rendered with ``customer`` in the context
    permission: str
    list_template: str = ""  # the list's shared menu, rendered once per page; empty: not in the list
    row_state: Callable[[object], Iterable[str]] = field(default=lambda customer: ())
    load_page: Callable[[list], None] = field(default=lambda rows: None)


@dataclass(frozen=True)
class ListFilter:
    name: str  # the query parameter
    make_filter: Callable[[], object]  # returns a new django_filters.Filter
    template: str  # the filter bar's control, rendered with ``field`` (the bound form field)


@dataclass(frozen=True)
class SettingsLink:
    label: str
    url_name: str
    permission: str
    description: str = ""


@dataclass(frozen=True)
class SheetColumn:
    key: str  # unique within its SheetColumns
    header: str
    help: str = ""
    aliases: tuple[str, ...] = ()
    example_company: str = ""
    example_person: str = ""
    # The values a cell may hold, when they are a list (the import's mapping step offers them
    # in a select for «Valor para todas las filas»); None: free text.
    options: Callable[[], list[str]] | None = None


@dataclass(frozen=True)
class SheetColumns:
    """Columns an app adds to the customer spreadsheet. A column's import key is
    "<key>.<column key>". The callables (all set-based: never a query per row):

    - ``load()``: what a file's cleaning reads once (choice lists…), handed to ``clean``;
    - ``clean(cells, loaded)``: {column key: cell} of one row (only columns the file has) →
      (values to write, {column key: [messages]}); empty values: nothing to write;
    - ``current(customer_ids)``: {customer id: values as stored} for rows that update;
    - ``describe(old, new)``: the note's lines for what changes (empty: nothing changes);
    - ``write(rows, actor, reason)``: [(customer id, values)], inside the import's transaction,
      with history and notes as the app's own services record them;
    - ``export()``: [(header, ORM expression on Customer)] for the export."""

    key: str
    columns: tuple[SheetColumn, ...]
    permission: str  # to import values into the columns
    view_permission: str  # to export them
    load: Callable[[], object]
    clean: Callable[[dict, object], tuple[dict, dict]]
    current: Callable[[list], dict]
    describe: Callable[[dict, dict], list]
    write: Callable[..., int]
    export: Callable[[], list]


_tabs: list[SummaryTab] = []
_columns: list[ListColumn] = []
_row_menu: list[RowMenuEntry] = []
_filters: list[ListFilter] = []
_settings_links: list[SettingsLink] = []
_sheet_columns: list[SheetColumns] = []


def _add(registry: list, entry, key: str) -> None:
    # ready() may run twice (tests that reload apps): the last registration of a key wins.
    registry[:] = [e for e in registry if getattr(e, key) != getattr(entry, key)] + [entry]


def register_summary_tab(tab: SummaryTab) -> None:
    _add(_tabs, tab, "key")


def register_list_column(column: ListColumn) -> None:
    _add(_columns, column, "key")


def register_row_menu_entry(entry: RowMenuEntry) -> None:
    _add(_row_menu, entry, "key")


def register_list_filter(list_filter: ListFilter) -> None:
    _add(_filters, list_filter, "name")


def register_settings_link(link: SettingsLink) -> None:
    _add(_settings_links, link, "url_name")


def register_sheet_columns(group: SheetColumns) -> None:
    _add(_sheet_columns, group, "key")


def sheet_columns() -> list[SheetColumns]:
    return list(_sheet_columns)


def summary_tabs(base: list[tuple[str, str]], user) -> tuple[list[tuple[str, str]], dict[str, SummaryTab]]:
    """The summary's tabs for `user`: the base (key, label) list with the registered tabs in
    place, and the registered ones by key (their panes load from the app)."""
    tabs = list(base)
    mine = {}
    for tab in _tabs:
        if not user.has_perm(tab.permission):
            continue
        mine[tab.key] = tab
        keys = [key for key, _ in tabs]
        if tab.key in keys:
            tabs[keys.index(tab.key)] = (tab.key, tab.label)
        else:
            tabs.insert(keys.index(tab.before) if tab.before in keys else len(tabs), (tab.key, tab.label))
    return tabs, mine


def list_columns(user) -> list[ListColumn]:
    return [column for column in _columns if user.has_perm(column.permission)]


def load_columns(columns: list[ListColumn], rows: list, entries: list[RowMenuEntry] = ()) -> None:
    """Run each page loader of the columns and row menu entries once (one loader serving a
    column and an entry runs one query)."""
    loaders = []
    for item in [*columns, *entries]:
        if item.load_page not in loaders:
            loaders.append(item.load_page)
    for load_page in loaders:
        load_page(rows)


def row_menu_entries(user) -> list[RowMenuEntry]:
    return [entry for entry in _row_menu if user.has_perm(entry.permission)]


def list_row_menu_entries(user) -> list[RowMenuEntry]:
    """The entries of the list's shared row menu for `user` (those with a list_template)."""
    return [entry for entry in row_menu_entries(user) if entry.list_template]


def row_states(entries: list[RowMenuEntry], rows: list) -> None:
    """Each row's state words for the list's shared menu (``row.menu_state``, a string):
    "suspended" for a suspended customer, then what each entry says of the row."""
    for row in rows:
        words = [] if row.is_active else ["suspended"]
        for entry in entries:
            words.extend(entry.row_state(row))
        row.menu_state = " ".join(words)


def list_filters() -> list[ListFilter]:
    return list(_filters)


def settings_links(user) -> list[SettingsLink]:
    return [link for link in _settings_links if user.has_perm(link.permission)]
