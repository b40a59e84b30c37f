"""The layers of README's "Architecture" stay one-way: every import of the project's modules,
function-level ones included (a lazy import hides a cycle, it doesn't remove it), read with
ast — tests, migrations and bench left out. No database needed."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Top to bottom: a package may import the ones after it, never one before it.
LAYERS = ["config", "integrations", "credit", "padron", "customers", "attributes", "peru"]

# Pages of an app (what a person or another system calls in through) and the start-up wiring:
# nothing below them imports them.
PAGES = {"views", "history_views", "forms", "admin", "urls", "api", "templatetags", "management", "apps"}


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _project_module(name: str, modules: dict) -> str | None:
    """The project module an imported name lives in (a.b.c → a.b when c is a name in it)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: Path, modules: dict) -> list[tuple[str, int]]:
    """(imported project module, line) for every import statement anywhere in the file."""
    found = []
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            # "from customers import services" imports the module customers.services.
            names = [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]
        else:
            continue
        targets = {_project_module(name, modules) for name in names} - {None, module}
        # "from a.b import c" names a.b's package a too: only the deepest target counts.
        targets = {t for t in targets if not any(o != t and o.startswith(t + ".") for o in targets)}
        # Importing customers.services.access from outside customers.services first runs
        # customers/services/__init__.py, and whatever that imports: an arrow to the package.
        for target in list(targets):
            package = target.rpartition(".")[0]
            while package:
                if package in modules and not module.startswith(package + ".") and package != module:
                    targets.add(package)
                package = package.rpartition(".")[0]
        found += [(target, node.lineno) for target in sorted(targets)]
    return found


def import_graph() -> dict[str, list[tuple[str, int]]]:
    modules = project_modules()
    return {module: imports_of(module, path, modules) for module, path in modules.items()}


def find_cycle(graph: dict) -> list[str] | None:
    """One cycle of the graph as [a, b, …, a], or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for target, _ in graph.get(module, []):
            if state.get(target) == "open":
                return stack[stack.index(target) :] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def _layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def _is_page(module: str) -> bool:
    return any(part in PAGES for part in module.split(".")[1:])


def upward_imports(graph: dict) -> list[str]:
    return [
        f"{module}:{line} imports {target} ({target.split('.')[0]} is above {module.split('.')[0]})"
        for module, targets in graph.items()
        for target, line in targets
        if _layer(target) < _layer(module)
    ]


def page_imports(graph: dict) -> list[str]:
    """Services, queries, models and helpers importing a page (views, forms, admin, …)."""
    return [
        f"{module}:{line} imports the page module {target}"
        for module, targets in graph.items()
        if not _is_page(module) and module != "config.urls"
        for target, line in targets
        if _is_page(target)
    ]


def model_imports(graph: dict) -> list[str]:
    """Models import only models and the plain helpers."""
    return [
        f"{module}:{line} imports {target}"
        for module, targets in graph.items()
        if module.endswith(".models")
        for target, line in targets
        if not (target.endswith(".models") or target.split(".")[0] == "peru")
    ]


def test_no_module_imports_itself_back_through_others():
    cycle = find_cycle(import_graph())
    assert cycle is None, "Import cycle: " + " → ".join(cycle)


def test_no_app_imports_one_above_it():
    assert upward_imports(import_graph()) == []


def test_nothing_below_the_pages_imports_a_page():
    assert page_imports(import_graph()) == []


def test_models_import_only_models_and_plain_helpers():
    assert model_imports(import_graph()) == []


def test_the_plain_helpers_import_no_app():
    graph = import_graph()
    helpers = {module: targets for module, targets in graph.items() if module.split(".")[0] == "peru"}
    assert helpers, "the peru package was not found"
    assert [t for targets in helpers.values() for t, _ in targets if t.split(".")[0] != "peru"] == []


# --- the checks themselves fail when they should ---------------------------------------------


def test_a_cycle_through_a_function_level_import_is_named(tmp_path):
    source = {
        "customers.services": "from customers import notes\n",
        "customers.notes": "def revert():\n    from customers import services\n",
    }
    modules = {name: tmp_path / f"{name}.py" for name in source}
    for name, text in source.items():
        modules[name].write_text(text)
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}

    assert find_cycle(graph) == ["customers.notes", "customers.services", "customers.notes"]


def test_an_import_of_a_higher_app_is_named_with_its_line(tmp_path):
    modules = {"attributes.services": tmp_path / "a.py", "customers.history": tmp_path / "h.py"}
    modules["attributes.services"].write_text("import json\n\n\ndef f():\n    from customers.history import stamp\n")
    modules["customers.history"].write_text("")
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}

    assert upward_imports(graph) == ["attributes.services:5 imports customers.history (customers is above attributes)"]


def test_relative_imports_and_packages_resolve_to_modules(tmp_path):
    (tmp_path / "services").mkdir()
    modules = {
        "customers.services": tmp_path / "services" / "__init__.py",
        "customers.services.records": tmp_path / "services" / "records.py",
        "customers.forms": tmp_path / "forms.py",
    }
    modules["customers.services"].write_text("from .records import create_customer\n")
    modules["customers.services.records"].write_text("from ..forms import CustomerForm\n")
    modules["customers.forms"].write_text("")
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}

    assert graph["customers.services"] == [("customers.services.records", 1)]
    assert page_imports(graph) == ["customers.services.records:1 imports the page module customers.forms"]


def test_importing_a_module_of_a_package_from_outside_runs_the_package_first(tmp_path):
    # notes → services.access looks harmless, but it runs services/__init__, which imports
    # records, which imports notes: importing notes first would find it half-initialised.
    (tmp_path / "services").mkdir()
    modules = {
        "customers.notes": tmp_path / "notes.py",
        "customers.services": tmp_path / "services" / "__init__.py",
        "customers.services.records": tmp_path / "services" / "records.py",
        "customers.services.access": tmp_path / "services" / "access.py",
    }
    modules["customers.notes"].write_text("from customers.services.access import locked_customer\n")
    modules["customers.services"].write_text("from customers.services.records import create_customer\n")
    modules["customers.services.records"].write_text(
        "from customers.notes import record_note\nfrom customers.services.access import locked_customer\n"
    )
    modules["customers.services.access"].write_text("")
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}

    assert ("customers.services", 1) in graph["customers.notes"]
    assert ("customers.services", 2) not in graph["customers.services.records"]  # inside the package
    assert find_cycle(graph) == [
        "customers.notes",
        "customers.services",
        "customers.services.records",
        "customers.notes",
    ]
