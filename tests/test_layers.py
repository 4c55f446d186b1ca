"""The layering the architecture promises, read from the source (pure, no imports run):
protocols reach the database only through registry_core's services and bootstrap, never
registry_core.db or asyncpg; registry_core knows no protocol and no wire format."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def offenders(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = sorted(m for m in imported_modules(path)
                     if any(m == f or m.startswith(f + ".") for f in forbidden))
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def test_the_scan_sees_every_kind_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import registry_core.db.tx\nfrom registry_core import db\n"
                      "def f():\n    from registry_core.db.pool import open_pool\n")
    assert {"registry_core.db.tx", "registry_core.db", "registry_core.db.pool"} <= imported_modules(sample)


def test_no_protocol_module_imports_the_database_layer() -> None:
    assert len(list((ROOT / "protocols").rglob("*.py"))) > 50
    assert offenders("protocols", ("registry_core.db", "asyncpg")) == {}


def test_the_core_knows_no_protocol_or_wire_format() -> None:
    assert offenders("registry_core", ("protocols", "lxml", "aiohttp")) == {}
