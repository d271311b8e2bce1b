"""`make dev` on a fresh clone says what it installs and how far it is (issue 12, point 9)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from local.template import ROOT


def test_the_virtualenv_step_names_each_step_and_numbers_each_package_it_installs(tmp_path: Path) -> None:
    venv = f"{tmp_path}/venv"
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", f"{venv}/.stamp", f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    steps = [line for line in dry_run.splitlines() if line.startswith('echo "==> [')]
    assert [step.split("]")[0][-3:] for step in steps] == ["1/3", "2/3", "3/3"]
    app_install = next(line for line in dry_run.splitlines() if " sync --frozen" in line)
    assert " -q " not in app_install  # uv's own lines are what shows how far it is
    assert "printf" in dry_run and "pipefail" in app_install  # numbered, and a failure still fails


def test_make_dev_says_it_is_starting_before_the_local_cloud_prints_its_urls() -> None:
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "dev", "-o", ".venv/.stamp"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert dry_run.splitlines()[0].startswith('echo "==> starting the local cloud')


def test_make_dev_reset_removes_what_the_local_cloud_kept_then_starts_it(tmp_path: Path) -> None:
    dry_run = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-n",
            "dev-reset",
            "-o",
            ".venv/.stamp",
            f"LOCAL_CLOUD_DIR={tmp_path}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()

    removal = next(line for line in dry_run if line.startswith("rm -rf"))
    assert f"{tmp_path}/aws " in removal + " " and f"{tmp_path}/outbox" in removal
    assert any(line.endswith("dev") and "make" in line for line in dry_run)
