"""Imports point one way: down the layer table of docs/architecture.md, never up, never into another face's routes.

Every `from deskpilot.x import y` and `import deskpilot.x` in src/deskpilot (also the ones inside functions) is
checked against the layers below. A new top-level package must be placed in LAYERS before it can be imported.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "deskpilot"

# The higher the number, the higher the layer. A module may import its own layer and any layer below it.
FACES, REPORTS, FLOWS, AREAS, BASE_ACCOUNTS, BASE_AUDIT, BASE_DB, CORE, BLOCKS = 8, 7, 6, 5, 4, 3, 2, 1, 0
LAYERS: dict[str, int] = {
    "cli": FACES, "api": FACES, "web": FACES, "channels": FACES, "connectors": FACES,
    # The table registry for Alembic and the tests: it gathers every owner's tables, so only faces load it.
    "schema": FACES, "migrations": FACES, "demo": FACES,
    # Backup and restore copy the whole database and DATA_DIR at the revision the migrations know.
    "backup": FACES,
    "analytics": REPORTS,
    "intake": FLOWS, "conversations": FLOWS, "evaluation": FLOWS, "governance": FLOWS, "privacy": FLOWS,
    "jobs": FLOWS,
    # The AI runtime builds the chat assistant (a flow) from the areas' AI parts; faces and jobs receive it.
    "runtime": FLOWS,
    "triage": AREAS, "assist": AREAS, "kb": AREAS, "runbooks": AREAS, "tickets": AREAS,
    "accounts": BASE_ACCOUNTS, "audit": BASE_AUDIT, "db": BASE_DB,
    "config": CORE, "errors": CORE, "clock": CORE, "validation": CORE, "safe_csv": CORE, "content_store": CORE,
    "personal_data": CORE,
    "data_retention": CORE,
    "encryption_keys": CORE, "sealed_storage": CORE,
    # The mail server connection (SMTP sending, OAuth2 sign-in): the e-mail channel and the runbooks share it.
    "mailserver": CORE,
    "ml": BLOCKS,
}
NAMES = {FACES: "face", REPORTS: "reports", FLOWS: "flow", AREAS: "area", BASE_ACCOUNTS: "base (accounts)",
         BASE_AUDIT: "base (audit)", BASE_DB: "base (db)", CORE: "core", BLOCKS: "block"}
# The building blocks know nothing of ours but the settings and the typed errors.
BLOCKS_MAY_IMPORT = {"ml", "config", "errors"}
# Known upward imports, each to be removed by the change named beside it (and then from this list: the test
# below fails when a listed import no longer exists). Nothing may be added here to make a new import pass.
PENDING: dict[tuple[str, str], str] = {}
# The only modules that may import schema.py (it pulls in every owner's tables, a channel's included).
SCHEMA_READERS = {"cli", "api", "migrations", "schema"}


@dataclass(frozen=True)
class Import:
    source: str
    line: int
    target: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    return (PACKAGE / f"{name}.py").exists() or (PACKAGE / name / "__init__.py").exists()


def _targets(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join([*base, node.module] if node.module else base)
        else:
            module = node.module or ""
        if module == "deskpilot":
            return [f"deskpilot.{alias.name}" if _is_module(alias.name) else "deskpilot" for alias in node.names]
        return [module]
    return []


def imports_in_src() -> list[Import]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            for target in _targets(node, package):
                if target.startswith("deskpilot."):
                    found.append(Import(str(path.relative_to(SRC)), getattr(node, "lineno", 0), target))
    return found


def _top(module: str) -> str:
    # The package itself (its __version__) counts as core.
    return module.split(".")[1] if module.count(".") else "config"


def violation(imp: Import) -> str | None:
    """Why `imp` points the wrong way, or None when it is allowed."""
    source = _top(imp.source.removesuffix(".py").replace("/", "."))
    target = _top(imp.target)
    if source == target:
        return None
    if source not in LAYERS or target not in LAYERS:
        unknown = source if source not in LAYERS else target
        return f"deskpilot.{unknown} has no layer: place it in the layer table (docs/architecture.md and LAYERS)"
    if target == "schema" and source not in SCHEMA_READERS:
        return "only cli, api and migrations may import schema.py (it reaches every owner's tables by name)"
    if source == "ml":
        allowed = target in BLOCKS_MAY_IMPORT
        return None if allowed else "a building block (ml) imports nothing of ours but config and errors"
    if LAYERS[source] == FACES and LAYERS[target] == FACES and ".routes" in imp.target:
        return "a face never imports another face's routes: move the shared use case into a service"
    if LAYERS[target] > LAYERS[source]:
        return f"a {NAMES[LAYERS[source]]} imports a {NAMES[LAYERS[target]]}: upward"
    return None


def test_the_walker_sees_every_kind_of_import() -> None:
    sources = {i.source for i in imports_in_src()}
    assert "deskpilot/api/app.py" in sources
    assert any(i.target.startswith("deskpilot.tickets") for i in imports_in_src())


@pytest.mark.parametrize(("imp", "reason"), [
    (Import("deskpilot/audit/decisions.py", 1, "deskpilot.tickets.facts"), "upward"),
    (Import("deskpilot/ml/embeddings.py", 1, "deskpilot.tickets.models"), "imports nothing of ours"),
    (Import("deskpilot/web/console_ticket.py", 1, "deskpilot.api.routes.assist"), "another face's routes"),
    (Import("deskpilot/analytics/report.py", 1, "deskpilot.schema"), "only cli, api and migrations"),
    (Import("deskpilot/tickets/service.py", 1, "deskpilot.intake"), "upward"),
])
def test_upward_imports_are_named_with_why(imp: Import, reason: str) -> None:
    found = violation(imp)
    assert found is not None and reason in found


def test_no_module_imports_upward_or_into_another_face_s_routes() -> None:
    wrong = [f"{imp}: {why}" for imp in imports_in_src()
             if (why := violation(imp)) is not None and (imp.source, imp.target) not in PENDING]
    assert not wrong, "Imports that point the wrong way (docs/architecture.md, 'Which way imports point'):\n" + \
        "\n".join(wrong)


def test_every_pending_upward_import_still_exists_so_the_list_only_shrinks() -> None:
    found = {(imp.source, imp.target) for imp in imports_in_src()}
    gone = [f"{source} → {target}" for source, target in PENDING if (source, target) not in found]
    assert not gone, "Fixed, so remove from PENDING in tests/test_import_graph.py: " + ", ".join(gone)
