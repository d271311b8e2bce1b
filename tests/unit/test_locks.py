"""One source of dependencies (pyproject.toml), one lock with hashes (uv.lock), and every requirements
file an install reads generated from it (issue 13, point 5)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from local import locks, template
from local.template import ROOT

PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+?)(?: ;.*)? \\$")


def pins(path: Path) -> dict[str, str]:
    """name -> version of a generated requirements file, checking every pin carries its hashes."""
    found: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if match := PIN.match(line):
            assert lines[number + 1].strip().startswith("--hash=sha256:"), f"{path}: {line} has no hash"
            found[canonicalize_name(match[1])] = match[2]
        else:
            assert not line or line[0] in " #", f"{path}: {line!r} is not a pin with hashes"
    assert found, path
    return found


def test_every_generated_requirements_file_is_what_the_lock_gives(capsys: pytest.CaptureFixture[str]) -> None:
    assert locks.main([]) == 0, capsys.readouterr().err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for path in ("pyproject.toml", "uv.lock", *locks.EXPORTS):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, tmp_path / path)
    assert locks.stale(tmp_path) == []
    return tmp_path


def test_a_generated_file_edited_by_hand_is_found(project: Path) -> None:
    layer = project / "layers/shared/requirements.txt"
    layer.write_text(re.sub(r"(?m)^pynamodb==\S+", "pynamodb==6.0.0", layer.read_text()))

    assert locks.stale(project) == ["layers/shared/requirements.txt"]
    locks.write_exports(project)
    assert locks.stale(project) == []


def test_a_dependency_changed_without_relocking_is_found(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"pynamodb>=6.0,<7"', '"pynamodb>=7"'))

    assert locks.stale(project) == ["uv.lock"]
    assert locks.main(["--root", str(project)]) == 1
    assert "uv.lock is not what its source gives: run `make lock`" in capsys.readouterr().err


def test_the_shared_layer_ships_the_runtime_dependencies_pinned_with_hashes_and_nothing_of_dev() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = pins(ROOT / "layers/shared/requirements.txt")
    for requirement in map(Requirement, declared["project"]["dependencies"]):
        name = canonicalize_name(requirement.name)
        assert requirement.specifier.contains(shipped[name]), (name, shipped[name])
    dev_only = {canonicalize_name(Requirement(dev).name) for dev in declared["dependency-groups"]["dev"]}
    assert not dev_only & set(shipped)


def test_every_layer_sam_builds_installs_generated_requirements() -> None:
    """What `make build` (sam build) installs into a layer is a file generated from the lock."""
    layers = [
        resource["Properties"]["ContentUri"]
        for resource in template.load()["Resources"].values()
        if resource["Type"] == "AWS::Serverless::LayerVersion"
        and str((resource.get("Metadata") or {}).get("BuildMethod", "")).startswith("python")
    ]
    assert layers
    for content in layers:
        assert f"{content.rstrip('/')}/requirements.txt" in locks.EXPORTS, content


@pytest.mark.parametrize("tool", locks.TOOLS)
def test_each_tool_is_pinned_with_hashes_to_what_its_source_asks(tool: str) -> None:
    source = ROOT / f"requirements/{tool}.in"
    locked = ROOT / f"requirements/{tool}.txt"
    assert f"uv pip compile --universal --generate-hashes requirements/{tool}.in" in locked.read_text()
    pinned = pins(locked)
    asked = [line for line in source.read_text().splitlines() if line.strip() and not line.startswith("#")]
    for requirement in map(Requirement, asked):
        assert requirement.specifier.contains(pinned[canonicalize_name(requirement.name)]), requirement


def test_make_installs_every_virtualenv_from_the_lock_checking_hashes(tmp_path: Path) -> None:
    def dry_run(target: str) -> str:
        command = ["make", "--no-print-directory", "-n", "-B", target, f"VENV={tmp_path}/venv"]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout

    app = dry_run(f"{tmp_path}/venv/.stamp")
    assert "--require-hashes --no-deps -r requirements/uv.txt" in app
    assert f"{tmp_path}/venv/bin/uv sync --frozen" in app  # uv.lock's hashes; the app itself editable
    for tool in locks.TOOLS:
        assert f"--require-hashes requirements/{tool}.txt" in dry_run(f".venv-{tool}/.stamp")
