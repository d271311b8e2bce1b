"""(l) The shared layer's size and each function's cold import, before and after the PDF moved apart.

"Before" is the code at BASELINE (main just before fpdf2 left the shared layer for the PDF layer,
which only PoPdfFunction has), taken out of git; "after" is this tree. Both are measured now, on this
machine, the same way:
- a layer's unzipped size: what `pip install --target` puts in a scratch directory from the layer's
  requirements.txt, plus the layer's own files (what `sam build` puts in /opt/python). pip installs
  this machine's wheels: Lambda's arm64 ones differ by a few percent;
- a function's cold import: a fresh interpreter importing its handler module with its template
  layers on sys.path (bench/_probe.py), median of RUNS, before and after alternating; and whether
  that import loaded fpdf.
Targets: the shared layer under 60 MB, and no function but PoPdfFunction imports fpdf.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from bench import env
from bench.core import Check, Context, Result, Section, Table, median, verdict
from bench.sections.import_time import PROBE, ROOT

BASELINE = "a53968d"  # main before the PDF layer: fpdf2, Pillow and fontTools in the shared layer
RUNS = 3
TARGET_MB = 60
RENDERS = "PoPdfFunction"
MB = 1_000_000


def _checkout(commit: str, into: Path) -> bool:
    """The baseline's layers/ and functions/ under `into`; False when git cannot give them."""
    done = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "layers", "functions"], capture_output=True, check=False
    )
    if done.returncode != 0:
        return False
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(into, filter="data")
    return True


def _size(path: Path) -> int:
    return sum(
        file.stat().st_size for file in path.rglob("*") if file.is_file() and "__pycache__" not in file.parts
    )


def layer_size(layer: Path, scratch: Path) -> int:
    """Bytes of the built layer, unzipped: its requirements installed, and its own files."""
    target = scratch / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    done = subprocess.run(
        [*pip, "--target", str(target), "-r", str(layer / "requirements.txt")], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"pip install for {layer} failed:\n{done.stderr[-2000:]}")
    own = sum(_size(path) if path.is_dir() else path.stat().st_size for path in layer.iterdir())
    return _size(target) + own - (layer / "requirements.txt").stat().st_size


def _cold_import(layers: list[Path], module_file: Path, environment: dict[str, str]) -> tuple[float, bool]:
    """(milliseconds, whether it loaded fpdf): one fresh interpreter importing the handler."""
    args = [os.pathsep.join(map(str, layers)), str(module_file), "handler_under_bench"]
    done = subprocess.run(
        [sys.executable, "-B", "-P", str(PROBE), "handler", *args],
        env=environment,
        capture_output=True,
        text=True,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH-PROBE ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"probe of {module_file} failed:\n{done.stderr[-2000:]}")
    timed = json.loads(lines[-1].removeprefix("BENCH-PROBE "))
    return timed["ns"] / 1e6, "fpdf" in timed["packages"]


def run(ctx: Context) -> Result:
    env.configure()
    from local import template

    sizes = Table(
        f"(l1) Shared layer, unzipped: {BASELINE} (before) and this tree (after)",
        ["layer", "before MB", "after MB", "target", "verdict"],
    )
    imports = Table(
        f"(l2) Cold import per function, fresh process, median of {RUNS}: before ({BASELINE}) and after",
        ["function", "before ms", "after ms", "change", "fpdf before", "fpdf after", "verdict"],
    )
    result = Result(tables=[sizes, imports])
    layers = template.layers()
    with tempfile.TemporaryDirectory(prefix="bench-layers-") as scratch_dir:
        scratch = Path(scratch_dir)
        before_root = scratch / "before"
        has_before = _checkout(BASELINE, before_root)
        shared_before = layer_size(before_root / "layers" / "shared", scratch / "b") if has_before else None
        shared_after = layer_size(layers["SharedLayer"], scratch / "a")
        pdf_after = layer_size(layers["PdfLayer"], scratch / "p")
        small = shared_after < TARGET_MB * MB
        shown = "-" if shared_before is None else f"{shared_before / MB:.1f}"
        sizes.add("SharedLayer", shown, f"{shared_after / MB:.1f}", f"< {TARGET_MB}", verdict(small))
        sizes.add("PdfLayer (po_pdf only)", "-", f"{pdf_after / MB:.1f}", "", "")
        result.checks.append(Check(f"shared layer < {TARGET_MB} MB unzipped", small))
        sizes.notes.append(
            "pip install --target --no-compile of the layer's requirements.txt (this machine's wheels, no "
            "bytecode), plus the layer's own files; MB = 10^6 bytes"
        )
        if not has_before:
            sizes.notes.append(f"before: {BASELINE} is not in this clone's history (a shallow clone?)")

        importers = []
        for logical_id, spec in template.functions({"PurchaseOrdersTable": env.TABLE_NAME}).items():
            environment = env.for_function(spec.environment)
            old_file = before_root / spec.module_file.relative_to(ROOT)
            old = has_before and old_file.exists()
            before_ms, after_ms, fpdf_before, fpdf_after = [], [], False, False
            for _ in range(RUNS):
                if old:
                    ms, fpdf_before = _cold_import([before_root / "layers" / "shared"], old_file, environment)
                    before_ms.append(ms)
                ms, fpdf_after = _cold_import(spec.layers, spec.module_file, environment)
                after_ms.append(ms)
            if fpdf_after:
                importers.append(logical_id)
            allowed = not fpdf_after or logical_id == RENDERS
            before = median(before_ms) if before_ms else None
            imports.add(
                logical_id,
                "-" if before is None else f"{before:.0f}",
                f"{median(after_ms):.0f}",
                "-" if before is None else f"{median(after_ms) - before:+.0f}",
                "-" if not old else ("yes" if fpdf_before else "no"),
                "yes" if fpdf_after else "no",
                verdict(allowed),
            )
        only_renderer = set(importers) <= {RENDERS}
        result.checks.append(Check(f"no function but {RENDERS} imports fpdf", only_renderer))
    imports.notes += [
        "each run: one fresh interpreter times the import and lists what it loaded (fpdf?)",
        "before: the baseline's handler with the baseline's shared layer; after: with its template layers",
    ]
    return result


SECTION = Section("layers", "Shared layer size and cold imports, before and after the PDF layer", run)
