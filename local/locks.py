"""The dependencies' lock, and the requirements files generated from it.

    python -m local.locks --write     (`make lock`: after a change to pyproject.toml or requirements/*.in,
                                       relocks and writes every generated file)
    python -m local.locks             (names each generated file that is not what its source gives)

pyproject.toml is the one list of the app's dependencies: the runtime ones in [project], the
developer's in [dependency-groups]. uv.lock pins every one of them with its hashes, and every file an
install reads is generated from it, so nothing can drift: a Lambda layer's requirements.txt (what
`sam build` installs) and requirements/uv.txt (uv itself, which pip installs first). The template
gates' tools pin boto3 apart from each other and from the app (checkov 1.35, the SAM CLI 1.43): each is
resolved on its own, from requirements/<tool>.in into requirements/<tool>.txt, with hashes too.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from local.template import ROOT

# Each generated requirements file and the part of uv.lock it holds (`uv export` options).
EXPORTS: dict[str, list[str]] = {
    "layers/shared/requirements.txt": ["--no-default-groups"],  # [project] dependencies: the runtime
    "layers/pdf/requirements.txt": ["--only-group", "pdf"],  # the PDF layer: only the po_pdf function's
    "requirements/uv.txt": ["--only-group", "bootstrap"],
}
TOOLS = ("checkov", "sam")
HEADER = "# Generated from uv.lock by `make lock` (python -m local.locks --write): do not edit.\n"


def uv() -> str:
    """The uv that the virtualenv was built with (the bootstrap group of uv.lock)."""
    return str(Path(sys.executable).with_name("uv"))


def exported(path: str, root: Path = ROOT) -> str:
    """What `path` must hold: its part of uv.lock, as `uv export` writes it (offline: the lock suffices)."""
    command = [uv(), "export", "--frozen", "--offline", "--no-emit-project", *EXPORTS[path]]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True)
    return HEADER + done.stdout


def lock_is_current(root: Path = ROOT) -> bool:
    """uv.lock still satisfies pyproject.toml (checked offline, against the lock itself)."""
    command = [uv(), "lock", "--check", "--offline"]
    return subprocess.run(command, cwd=root, capture_output=True, check=False).returncode == 0


def stale(root: Path = ROOT) -> list[str]:
    """The generated files that are not what uv.lock gives, and uv.lock itself if pyproject.toml moved on."""
    found = [] if lock_is_current(root) else ["uv.lock"]
    for path in EXPORTS:
        target = root / path
        if not target.exists() or target.read_text(encoding="utf-8") != exported(path, root):
            found.append(path)
    return found


def write_exports(root: Path = ROOT) -> None:
    for path in EXPORTS:
        (root / path).write_text(exported(path, root), encoding="utf-8")


def write(root: Path = ROOT) -> None:
    """Relock (keeping every pin the lock has unless pyproject.toml asks otherwise), then generate."""
    subprocess.run([uv(), "lock"], cwd=root, check=True)
    write_exports(root)
    for tool in TOOLS:
        source, target = f"requirements/{tool}.in", f"requirements/{tool}.txt"
        compile_ = [uv(), "pip", "compile", "--quiet", "--universal", "--generate-hashes", source]
        subprocess.run([*compile_, "--output-file", target], cwd=root, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.locks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="relock and write every generated file")
    parser.add_argument("--root", type=Path, default=ROOT, help="the project (default: this repository)")
    args = parser.parse_args(argv)
    if args.write:
        write(args.root)
        return 0
    out_of_date = stale(args.root)
    for path in out_of_date:
        print(f"{path} is not what its source gives: run `make lock`", file=sys.stderr)
    return 1 if out_of_date else 0


if __name__ == "__main__":
    sys.exit(main())
