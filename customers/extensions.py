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
- Row menu entries (``RowMenuEntry``): a template rendered inside the row's ⋮ menu and in the
  summary's actions, for users with the permission.
- List filters (``ListFilter``): a django-filter Filter added to CustomerFilterSet, so the
  page, its htmx refresh and the export all apply it; with a template for the filter bar.
- Settings links (``SettingsLink``): sections of Configuración that live in another app.
- Spreadsheet columns (``SheetColumns``): columns of the import template, the import and the
  export (credit's cupo, lista de precios, forma de pago) that the app parses, checks and
  writes itself, set-based, with its own rules; customers only carries the cells.
"""

from collections.abc import Callable
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
    template: str  # <li> items, rendered with ``customer`` in the context
    permission: str


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


def load_columns(columns: list[ListColumn], rows: list) -> None:
    for column in columns:
        column.load_page(rows)


def row_menu_entries(user) -> list[RowMenuEntry]:
    return [entry for entry in _row_menu if user.has_perm(entry.permission)]


def list_filters() -> list[ListFilter]:
    return list(_filters)


def settings_links(user) -> list[SettingsLink]:
    return [link for link in _settings_links if user.has_perm(link.permission)]
