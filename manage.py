#!/usr/bin/env python3
"""Django's command-line utility for Clientes.

Run with the machine's plain Python (no virtual environment active), it first prepares the
project's own environment in .venv — created once, reinstalled only when pyproject.toml or
constraints.txt change — and then runs the command inside it. That is what makes
`python3 manage.py run` and `python3 manage.py test` work on a machine that has only Python.
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
MIN_PYTHON = (3, 11)


def _fail(message: str) -> None:
    sys.stderr.write(f"\nError: {message}\n")
    raise SystemExit(1)


def _install_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        path = ROOT / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _bootstrap() -> None:
    """Re-run this command inside .venv, creating or updating it first."""
    in_some_venv = sys.prefix != sys.base_prefix
    if in_some_venv or os.environ.get("CLIENTES_SKIP_VENV") == "1":
        return
    if sys.version_info < MIN_PYTHON:
        _fail("Clientes necesita Python 3.11 o superior; este es " + sys.version.split()[0] + ".")
    python = VENV / "bin" / "python"
    stamp = VENV / ".clientes-installed"
    fingerprint = _install_fingerprint()
    try:
        if not python.exists():
            print("Creando el entorno virtual en .venv …", flush=True)
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        if not stamp.exists() or stamp.read_text() != fingerprint:
            print("Instalando dependencias (pyproject.toml, versiones fijadas) …", flush=True)
            pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
            subprocess.run([*pip, "-c", str(ROOT / "constraints.txt"), "-e", f"{ROOT}[test]"], check=True)
            stamp.write_text(fingerprint)
    except subprocess.CalledProcessError as exc:
        _fail(f"la instalación falló ({exc}). Revise la conexión a PyPI y vuelva a intentarlo.")
    except OSError as exc:
        _fail(f"no se pudo preparar .venv: {exc}. ¿Hay espacio libre en disco?")
    os.execv(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])


def main() -> None:
    _bootstrap()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        _fail(
            f"no se pudo importar Django ({exc}). Ejecute manage.py con el Python del sistema "
            "(sin un entorno virtual activo) para que prepare .venv, o instale el proyecto en su entorno."
        )
    from django.core.exceptions import ImproperlyConfigured

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        _fail(f"configuración no válida: {exc}")


if __name__ == "__main__":
    main()
