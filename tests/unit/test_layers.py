"""The four layers of `purchasing` and the arrows between them: api -> services -> data -> domain,
and api -> domain. Every import in the package is read (those inside functions and TYPE_CHECKING
blocks too: a lazy import is an arrow all the same), and one that points back fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "shared" / "purchasing"
CROSS_CUTTING = {"config", "observability"}  # the environment and the Powertools objects
MAY_IMPORT: dict[str, set[str]] = {
    "api": {"api", "services", "domain", *CROSS_CUTTING},
    "services": {"services", "data", "domain", *CROSS_CUTTING},
    "data": {"data", "domain", *CROSS_CUTTING},
    "domain": {"domain"},  # pure rules: no environment, no logger, no AWS
    "config": set(),
    "observability": set(),
}
NO_AWS = ("boto3", "botocore", "pynamodb")


def imported(source: str) -> list[tuple[int, str]]:
    """Every module `source` imports, absolute, with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module == "purchasing":  # its modules, by name
            found += [(node.lineno, f"purchasing.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def layer_of(module: str) -> str | None:
    """`purchasing.services.po_service` -> "services"; None outside the package."""
    parts = module.split(".")
    return parts[1] if parts[0] == "purchasing" and len(parts) > 1 else None


def back_arrows(layer: str, name: str, source: str) -> list[str]:
    """The imports of module `name` (in `layer`) that point where its layer may not."""
    wrong = []
    for line, module in imported(source):
        target = layer_of(module)
        if module == "purchasing" or target is not None and target not in MAY_IMPORT[layer]:
            wrong.append(f"{name}:{line} ({layer}) imports {module}")
        elif layer == "domain" and module.split(".")[0] in NO_AWS:
            wrong.append(f"{name}:{line} (domain) imports {module}")
    return wrong


def test_the_package_is_four_layers_and_two_cross_cutting_modules() -> None:
    tops = {path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    tops |= {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}
    assert tops == set(MAY_IMPORT)


def test_no_import_points_back_up_the_layers() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        layer = relative.parts[0].removesuffix(".py")
        if layer == "__init__":
            continue
        wrong += back_arrows(layer, str(relative), path.read_text(encoding="utf-8"))
    assert wrong == []


@pytest.mark.parametrize(
    ("layer", "source"),
    [
        ("services", "from purchasing.api.http import caller\n"),
        ("services", "def f():\n    from purchasing.api import pages\n"),
        ("data", "if TYPE_CHECKING:\n    from purchasing.services import document_service\n"),
        ("domain", "from purchasing.data import tables\n"),
        ("domain", "from purchasing.config import settings\n"),
        ("domain", "import boto3\n"),
        ("api", "from purchasing.data import po_repository\n"),  # api goes through a use case
        ("api", "import purchasing.data.tables\n"),
        ("api", "from purchasing import po_service\n"),
    ],
)
def test_a_back_arrow_is_caught(layer: str, source: str) -> None:
    assert back_arrows(layer, "example.py", source) != []


@pytest.mark.parametrize(
    ("layer", "source"),
    [
        ("api", "from purchasing.services import po_service\nfrom purchasing.domain import caller\n"),
        ("services", "from purchasing.data import po_repository\nfrom purchasing import observability\n"),
        ("data", "from purchasing.domain.model import Line\nimport boto3\n"),
        ("domain", "from purchasing.domain import errors\nimport pydantic\n"),
    ],
)
def test_an_arrow_down_is_allowed(layer: str, source: str) -> None:
    assert back_arrows(layer, "example.py", source) == []
