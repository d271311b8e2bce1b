"""ARCHITECTURE.md stays true: every file or folder it names exists, every layer it draws is a
folder of the package, and the README leads to it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
PACKAGE = ROOT / "layers" / "shared" / "purchasing"


def named_paths(text: str) -> list[str]:
    """What the text names in backticks that looks like a path: a folder/ or a file.ext."""
    names = re.findall(r"`([^`\s<>*]+)`", text)
    return [name for name in names if "/" in name or re.search(r"\.(py|json|yaml|md)$", name)]


def exists(name: str) -> bool:
    """A path from the repository's root, or a module of the package named from its own folder
    (`model.py` in the domain's row, `inputs/`)."""
    return (ROOT / name).exists() or any(path.exists() for path in PACKAGE.glob(f"*/{name}"))


def test_every_path_the_architecture_names_exists() -> None:
    names = named_paths(DOC)
    assert len(names) > 30
    assert [name for name in names if not exists(name)] == []


def test_a_path_that_does_not_exist_is_found() -> None:
    assert not exists("layers/shared/purchasing/po_service.py")  # before the services/ folder
    assert not exists("routing.py")
    assert named_paths("see `local/nowhere.py` and `gone.py`") == ["local/nowhere.py", "gone.py"]


def test_the_diagram_draws_the_four_layers_of_the_package() -> None:
    drawn = set(re.findall(r"purchasing/(\w+)<br/>", DOC))
    assert drawn == {"api", "services", "data", "domain"}
    assert drawn == {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}


def test_the_readme_links_it_at_the_top() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## ")[0]
    assert "(ARCHITECTURE.md)" in head
