"""The conventions the code must keep (docs/architecture.md), checked on the source.

The offline engine reuses the program's modules from one run to the next (re-importing
them on every run would cost more than evaluating the program), which is safe only while
no module reads config when it is imported: these tests hold the code to that.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pulumi
import pytest

from components.base import DeliveryComponent
from contract import Component
from stackctl.engine import ROOT

PROGRAM = [*sorted((ROOT / "components").rglob("*.py")), ROOT / "__main__.py"]
SETTINGS = ROOT / "components" / "settings"
CONFIG_READERS = {"Config", "get_config", "get_config_env", "CONFIG", "require_object"}


def _module_level_calls(tree: ast.Module) -> list[ast.Call]:
    """Calls made when the module is imported (outside every function body)."""
    calls: list[ast.Call] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return
        if isinstance(node, ast.Call):
            calls.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for statement in tree.body:
        if not isinstance(statement, ast.ClassDef):
            visit(statement)
        else:
            for item in statement.body:
                if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    visit(item)
    return calls


def _names(node: ast.AST) -> set[str]:
    return {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)} | {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name)
    }


@pytest.mark.parametrize(
    "path",
    [p for p in PROGRAM if not p.is_relative_to(SETTINGS)],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_only_settings_reads_config(path: Path) -> None:
    tree = ast.parse(path.read_text())
    assert not (_names(tree) & CONFIG_READERS), f"{path.name} reads config; settings should"


def test_settings_is_where_config_is_read() -> None:
    """The files the check above leaves out are the ones that do read config."""
    settings = [p for p in PROGRAM if p.is_relative_to(SETTINGS)]
    assert any(_names(ast.parse(p.read_text())) & CONFIG_READERS for p in settings)


@pytest.mark.parametrize(
    "path",
    [p for p in PROGRAM if p.name != "__main__.py"],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_module_reads_config_or_the_environment_when_imported(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for call in _module_level_calls(tree):
        names = _names(call)
        assert not (names & (CONFIG_READERS | {"load_settings", "environ", "getenv"})), (
            f"{path.name}:{call.lineno} reads config or the environment at import"
        )


def _component_classes() -> set[type[pulumi.ComponentResource]]:
    """Every `pulumi.ComponentResource` subclass the program's modules define."""
    for path in PROGRAM:
        if path.name != "__main__.py":  # run, never imported; it defines no class
            importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    found: set[type[pulumi.ComponentResource]] = set()
    pending = [pulumi.ComponentResource]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.partition(".")[0] == "components":
                found.add(sub)
    return found


def test_every_component_is_a_delivery_component() -> None:
    classes = _component_classes()
    strays = sorted(c.__qualname__ for c in classes if not issubclass(c, DeliveryComponent))
    assert strays == [], "every component subclasses components.base.DeliveryComponent"
    # One class per component kind of the contract, and the base they share.
    kinds = {v for k, v in vars(Component).items() if k.isupper() and k != "PREFIX"}
    assert {c.__name__ for c in classes} == {
        "DeliveryComponent",
        *(kind.removeprefix(Component.PREFIX) for kind in kinds),
    }
    main = ast.parse((ROOT / "__main__.py").read_text())
    assert not any(isinstance(node, ast.ClassDef) for node in ast.walk(main))


def test_the_checker_would_see_a_config_read_at_import() -> None:
    tree = ast.parse("import pulumi\nREGION = pulumi.Config().get('region')\n")
    assert any("Config" in _names(c) for c in _module_level_calls(tree))


def _imported_modules(tree: ast.Module) -> set[str]:
    """Every module an `import` or `from ... import` names (relative imports as written)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


CONTRACT_READERS = [
    *PROGRAM,
    ROOT / "contract.py",
    *sorted((ROOT / "policy").rglob("*.py")),
]


@pytest.mark.parametrize("path", CONTRACT_READERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_program_and_the_policy_pack_never_import_stackctl(path: Path) -> None:
    """`pulumi up` imports the program and the CLI loads the pack without the tools: what they
    share with `stackctl` is in contract.py, never in `stackctl` itself."""
    tooling = {
        m for m in _imported_modules(ast.parse(path.read_text())) if m.split(".")[0] == "stackctl"
    }
    assert not tooling, f"{path.relative_to(ROOT)} imports {sorted(tooling)}"


def test_the_import_check_sees_both_forms_of_import() -> None:
    tree = ast.parse("import stackctl.engine\nfrom stackctl import provenance\nfrom . import x\n")
    assert _imported_modules(tree) == {"stackctl.engine", "stackctl"}
