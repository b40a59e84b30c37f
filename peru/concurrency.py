"""Optimistic concurrency: no silent lost updates.

Every record people edit (customer, address, contact, note, attribute definition, categoría and
clase) has a `version` that each write through the services increases by one, under the row's
lock. An edit says which version it started from (the form's hidden `version`; later the API's
`If-Match` ETag, or the version an import row was previewed against) and which fields it
changes (`changed`: what the person touched in the form; the keys of a PATCH; the columns that
differ in an import row). Under the row lock the service calls `reconcile`:

- same version: nothing happened meanwhile; the edit is written as it is;
- another version, and the fields the others changed since the edit's version (read from the
  history, version by version) do not overlap the fields this edit changes: the edit is applied
  on top of the current row, field by field, keeping the others' changes;
- otherwise (an overlap, or no history to prove there is none): StaleEdit, which names who
  changed what and when, and carries, field by field, the current value next to the one typed,
  so the form can keep everything typed and let the person save again on purpose (with the
  current version).

A field changed to the same value on both sides is not a conflict.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from peru.text import spanish_list


@dataclass
class Change:
    """One save by someone else since the edit's version."""

    who: str
    when: datetime
    lines: list[str]

    @property
    def when_text(self) -> str:
        return timezone.localtime(self.when).strftime("%d/%m/%Y %H:%M")


@dataclass
class Conflict:
    """A field both sides changed: its label, the current value and the one typed (as shown)."""

    key: str
    label: str
    current: str
    typed: str
    current_input: object = None  # the current value as the form's input takes it, if any


class StaleEdit(ValidationError):
    """Refused: someone else saved the record since the edit's version and the changes
    overlap (or can't be proved not to). `changes`: who changed what and when; `conflicts`:
    field by field, the current value and the one typed; `current_version`: what to save
    against on purpose."""

    def __init__(self, *, what: str, changes=(), conflicts=(), current_version: int = 0, gone: bool = False):
        self.what, self.changes, self.conflicts = what, list(changes), list(conflicts)
        self.current_version, self.gone = current_version, gone
        super().__init__(self.text(), code="stale")

    def text(self) -> str:
        if self.gone:
            return f"No se guardó: {self.what} ya no existe (otro usuario lo eliminó mientras usted editaba)."
        who = spanish_list([c.who for c in self.changes]) or "otro usuario"
        text = f"No se guardó: mientras usted editaba, {who} cambió {self.what}"
        if self.changes:
            single = len({c.who for c in self.changes}) == 1
            text += " (" + "; ".join(c.when_text if single else f"{c.who}, {c.when_text}" for c in self.changes) + ")"
        if self.conflicts:
            fields = ", ".join(c.label for c in self.conflicts)
            text += f", y usted también cambió: {fields}."
        else:
            text += "."
        return (
            text + " Lo que usted escribió sigue en el formulario: compare con los valores actuales y guarde de nuevo."
        )


def parse_version(value) -> int | None:
    """The version a form or request sent; None when absent or not a number (no check then)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def etag(version: int) -> str:
    """The ETag of a version, for the API's If-Match (see parse_etag)."""
    return f'"{version}"'


def parse_etag(value: str) -> int | None:
    """If-Match: "7" (or W/"7") -> 7."""
    value = (value or "").strip()
    if value.startswith("W/"):
        value = value[2:]
    return parse_version(value.strip('"'))


def _same(a, b) -> bool:
    empty = (None, "", [], {})
    return (a in empty and b in empty) or a == b


def changed_keys(base: dict, new: dict) -> set[str]:
    """Keys whose value differs between two states (attributes compared one by one, as
    "attributes.<id>")."""
    keys = set()
    for key in set(base) | set(new):
        if key == "attributes":
            old_values, new_values = base.get(key) or {}, new.get(key) or {}
            keys |= {
                f"attributes.{k}"
                for k in set(old_values) | set(new_values)
                if not _same(old_values.get(k), new_values.get(k))
            }
        elif not _same(base.get(key), new.get(key)):
            keys.add(key)
    return keys


def value_of(state: dict, key: str):
    if key.startswith("attributes."):
        return (state.get("attributes") or {}).get(key.split(".", 1)[1])
    return state.get(key)


def reconcile(
    *,
    what: str,
    version: int | None,
    current_version: int,
    changed: set[str] | None,
    submitted: dict,
    current: dict,
    base: dict | None,
    changes: list[Change],
    label,
    display,
    input_value=None,
) -> set[str] | None:
    """None: write the edit as it is (nothing happened since its version); a set: the keys
    to write over the current row (a stale edit that overlaps nothing); or StaleEdit.

    submitted: the whole state the edit would write; current: the row's state now (locked);
    base: the state at `version` from the history (None: not recorded, so nothing can be
    proved); changed: the keys the edit changes (None: unknown, so every key it would write);
    label(key) and display(key, value) word a conflict; input_value(key, value) gives the
    current value as the form's input shows it."""
    if version is None or version == current_version:
        return None
    mine = (
        set(changed)
        if changed is not None
        else (changed_keys(current, submitted) if base is None else changed_keys(base, submitted))
    )
    theirs = changed_keys(base, current) if base is not None else None
    overlap = {
        key
        for key in mine
        if (theirs is None or key in theirs) and not _same(value_of(current, key), value_of(submitted, key))
    }
    if overlap:
        conflicts = [
            Conflict(
                key=key,
                label=label(key),
                current=display(key, value_of(current, key)),
                typed=display(key, value_of(submitted, key)),
                current_input=input_value(key, value_of(current, key)) if input_value else None,
            )
            for key in sorted(overlap, key=lambda k: (k.startswith("attributes."), k))
        ]
        raise StaleEdit(what=what, changes=changes, conflicts=conflicts, current_version=current_version)
    # No overlap: the current row stays, with this edit's own changes on top.
    return mine


# --- one-row records with their own history (django-simple-history) --------------------------


def _plain_state(instance, fields) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in fields}


def _plain_display(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def check_instance(
    *, locked, version, changed, submitted: dict, what: str, display=None, describe=None, who=None
) -> set[str] | None:
    """reconcile() for one row locked by the caller: its fields (attname → value) now, at
    `version` (from its history: the latest record of that version) and in between (each
    later record: who, when, what, worded by `describe(old, new)` lines)."""
    if version is None or version == locked.version:
        return None
    model = type(locked)
    recorded = {f.attname for f in model.history.model._meta.fields}
    fields = [f for f in model._meta.concrete_fields if f.attname in recorded and f.attname not in ("id", "version")]
    labels = {f.attname: str(f.verbose_name)[:1].upper() + str(f.verbose_name)[1:] for f in fields}
    current = _plain_state(locked, fields)
    submitted = {key: value for key, value in {**current, **submitted}.items() if key in current}
    history = model.history.filter(id=locked.pk)
    record = history.filter(version=version).order_by("-history_id").first()
    base = _plain_state(record, fields) if record is not None and record.history_type != "-" else None
    display = display or (lambda key, value: _plain_display(value))
    describe = describe or (
        lambda old, new: [
            f"{labels[k]}: {display(k, old.get(k))} → {display(k, new.get(k))}" for k in sorted(changed_keys(old, new))
        ]
    )
    who = who or (lambda user: (user.get_full_name() or user.get_username()) if user else "el sistema")
    changes, previous = [], record
    for later in history.filter(version__gt=version).select_related("history_user").order_by("history_id"):
        new = _plain_state(later, fields)
        lines = describe(_plain_state(previous, fields), new) if previous is not None else []
        changes.append(Change(who=who(later.history_user), when=later.history_date, lines=lines))
        previous = later
    return reconcile(
        what=what,
        version=version,
        current_version=locked.version,
        changed=None if changed is None else {_attname(model, key) for key in changed},
        submitted=submitted,
        current=current,
        base=base,
        changes=changes,
        label=lambda key: labels.get(key, key),
        display=display,
        input_value=lambda key, value: _input_text(value),
    )


def _attname(model, key: str) -> str:
    try:
        return model._meta.get_field(key).attname
    except Exception:  # noqa: BLE001 — a key the model doesn't have (a form-only input)
        return key


def _input_text(value):
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


# --- forms -----------------------------------------------------------------------------------


def _plain(value):
    """A widget value comparable between the page shown and the page posted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, (list, tuple)):
        return sorted(str(item) for item in value)
    return str(value).strip()


class VersionedFormMixin:
    """For a Django form that edits a versioned record: hidden `version` (the record's, when
    the form was shown) and `shown` (a snapshot of every input then), so the service knows
    the edit's version and which fields this person changed (`edit_version`, `changed`).
    The form sets `record_version` and calls `init_version()` once its fields are set up."""

    record_version: int | None = None
    stale: StaleEdit | None = None

    def init_version(self) -> None:
        """The hidden version and snapshot; called by a versioned form once its fields are
        all set up (the snapshot reads every input)."""
        self.fields["version"] = forms.CharField(required=False, widget=forms.HiddenInput)
        self.fields["shown"] = forms.CharField(required=False, widget=forms.HiddenInput)
        if not self.is_bound:
            self.initial["version"] = self.record_version or ""
            self.initial["shown"] = json.dumps(self.snapshot(), ensure_ascii=False, separators=(",", ":"))

    # --- optimistic concurrency ------------------------------------------------------------

    def snapshot(self) -> dict:
        """What each input holds now (the initial values before a POST, the typed ones after)."""
        values = {}
        for name in self.fields:
            if name in ("version", "shown"):
                continue
            values[name] = _plain(self[name].value())
        return values

    @property
    def edit_version(self) -> int | None:
        return parse_version(self.data.get(self.add_prefix("version"))) if self.is_bound else None

    @property
    def changed(self) -> set[str] | None:
        """Service keys of the fields this person changed since the form was shown; None when
        the snapshot is missing or unreadable (the service then assumes every field)."""
        try:
            shown = json.loads(self.data.get(self.add_prefix("shown")) or "")
        except ValueError:
            return None
        if not isinstance(shown, dict):
            return None
        now = self.snapshot()
        return {self.service_key(name) for name in set(shown) | set(now) if shown.get(name) != now.get(name)}

    def service_key(self, name: str) -> str:
        """The service's key of a form field (overridden where they differ)."""
        return name

    def input_name(self, key: str) -> str | None:
        """The form field that holds a service key, for "Usar el valor actual"."""
        return key if key in self.fields else None

    def show_stale(self, stale) -> None:
        """A refused stale save: the message and the table above the form; the next save is
        against the current version (on purpose, after seeing what changed)."""
        self.stale = stale
        for conflict in stale.conflicts:
            conflict.input_name = self.input_name(conflict.key)
        data = self.data.copy()
        data[self.add_prefix("version")] = str(stale.current_version)
        self.data = data
