"""The PDF apart: fpdf2 (with Pillow and fontTools) is the PDF layer's, which only PoPdfFunction has.

Each function's handler is imported in a fresh interpreter with exactly its template layers on the
path (as Lambda extracts them into /opt/python), and the local runtime withholds from a function
what only other functions' layers hold, as AWS does.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from local import runtime, template
from tests.unit.test_po_pdf import ISSUED, line, purchase_order

ROOT = template.ROOT
PDF_LIBRARIES = {"fpdf", "PIL", "fontTools"}
RENDERS = "PoPdfFunction"
IMPORT_HANDLER = """
import importlib.util, json, sys
layers, module_file = json.loads(sys.argv[1]), sys.argv[2]
sys.path[:0] = layers
spec = importlib.util.spec_from_file_location("handler_under_test", module_file)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _imported_by(spec: template.FunctionSpec) -> set[str]:
    environment = {**os.environ, **spec.environment}
    done = subprocess.run(
        [
            sys.executable,
            "-P",
            "-c",
            IMPORT_HANDLER,
            json.dumps([str(p) for p in spec.layers]),
            str(spec.module_file),
        ],
        env=environment,
        cwd=spec.code_uri,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("logical_id", sorted(template.functions()))
def test_no_function_but_the_renderer_imports_fpdf_at_cold_start(logical_id: str) -> None:
    spec = template.functions()[logical_id]

    loaded = _imported_by(spec)

    if logical_id == RENDERS:
        assert PDF_LIBRARIES <= loaded
    else:
        assert not loaded & (PDF_LIBRARIES | {"supplier_pdf"})


def test_only_the_renderer_has_the_pdf_layer() -> None:
    pdf_layer = template.layers()["PdfLayer"]
    having = {logical_id for logical_id, spec in template.functions().items() if pdf_layer in spec.layers}
    assert having == {RENDERS}
    assert all(template.layers()["SharedLayer"] in spec.layers for spec in template.functions().values())


def test_the_shared_layer_installs_no_pdf_library_and_the_pdf_layer_does() -> None:
    layers = template.layers()
    assert not runtime.layer_modules(layers["SharedLayer"]) & PDF_LIBRARIES
    assert PDF_LIBRARIES <= runtime.layer_modules(layers["PdfLayer"])


def test_no_module_of_the_shared_layer_imports_the_pdf_layer_or_its_libraries() -> None:
    offenders = []
    for file in sorted((ROOT / "layers" / "shared").rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [
                f"{file.relative_to(ROOT)}: {name}"
                for name in names
                if name.split(".")[0] in PDF_LIBRARIES | {"supplier_pdf"}
            ]
    assert offenders == []


def test_the_local_runtime_withholds_what_only_other_functions_layers_hold() -> None:
    """As in AWS: a function without the PDF layer cannot import fpdf, though this process has it."""
    import fpdf

    runtimes = runtime.Runtimes(template.functions())
    po = purchase_order([line(1)])

    with runtimes.running("PoApiFunction"):
        for name in ("fpdf", "fpdf.enums", "PIL", "fontTools.ttLib", "supplier_pdf.renderer"):
            with pytest.raises(ImportError):
                __import__(name)
    with runtimes.running(RENDERS):
        from supplier_pdf import renderer

        assert renderer.FPDF is fpdf.FPDF  # the library is the process's, the layer's code its own
        pdf = renderer.render(po, buyer="acme", issued_at=ISSUED)  # fontTools imports its tables lazily
        assert pdf.startswith(b"%PDF-")

    assert sys.modules["fpdf"] is fpdf  # the process's own modules back once the function is done


def test_a_layer_requirement_file_as_a_lock_exports_it_is_read_too(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "# generated\nfpdf2==2.8.9 \\\n    --hash=sha256:00 \\\n    --hash=sha256:11\n    # via x\n"
    )
    assert PDF_LIBRARIES <= runtime.layer_libraries(tmp_path)
