"""The customer list page read the way static/js/list.js reads it (tests of views and apps)."""

import re
from html.parser import HTMLParser

ADDRESSES = ("data-row-href", "data-row-formaction", "data-row-hx-get", "data-row-hx-post")


class _Menu(HTMLParser):
    """The items of #row-menu: label, address attribute and address, data-when / data-unless."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # inside #row-menu while > 0
        self.items, self.li = [], None
        self.item = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "ul" and attrs.get("id") == "row-menu":
            self.depth = 1
            return
        if not self.depth:
            return
        if tag == "ul":
            self.depth += 1
        elif tag == "li":
            self.li = attrs
        elif any(name in attrs for name in ADDRESSES):
            source = next(name for name in ADDRESSES if name in attrs)
            self.item = {
                "source": source,
                "address": attrs[source],
                "when": self.li.get("data-when"),
                "unless": self.li.get("data-unless"),
                "label": "",
            }

    def handle_data(self, data):
        if self.item is not None:
            self.item["label"] += data

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "ul":
            self.depth -= 1
        elif self.item is not None and tag in ("a", "button"):
            self.item["label"] = self.item["label"].strip()
            self.items.append(self.item)
            self.item = None


def row_menu(page: str, customer) -> dict[str, tuple[str, str]]:
    """What the ⋮ of `customer`'s row offers, as list.js fills the shared menu:
    {label: (address attribute, address with the row's id)}."""
    assert page.count('id="row-menu"') == 1
    row = re.search(rf'<tr[^>]*>(?:(?!</tr>).)*data-row-menu="{customer.pk}"', page, re.S)
    assert row, f"la fila de {customer} no tiene ⋮"
    state = re.search(r'data-row-state="([^"]*)"', re.match(r"<tr[^>]*>", row.group(0)).group(0))
    words = state.group(1).split() if state else []
    parser = _Menu()
    parser.feed(page)
    offered = {}
    for item in parser.items:
        if item["when"] and item["when"] not in words or item["unless"] and item["unless"] in words:
            continue
        assert "/0/" in item["address"], item
        offered[item["label"]] = (item["source"], item["address"].replace("/0/", f"/{customer.pk}/", 1))
    return offered
