"""Schemathesis against the OpenAPI document the local cloud serves, as a buyer.

Every operation, positive and negative data, all phases (examples, coverage, fuzzing, stateful
with links inferred from Location headers). Bounded by examples per operation, so it takes
about a minute and a half on two cores. `ST_MAX_EXAMPLES` and `ST_SEED` override; a failure
prints the seed and a curl command to reproduce each finding.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from local import template
from tests.e2e.conftest import LocalCloud

pytestmark = pytest.mark.e2e

CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
)
MAX_EXAMPLES = int(os.environ.get("ST_MAX_EXAMPLES") or 30)
HARD_LIMIT_SECONDS = 300


def test_the_api_conforms_to_its_openapi_document(local_cloud: LocalCloud, tmp_path: Path) -> None:
    token = local_cloud.token(f"fuzz-{uuid.uuid4().hex[:8]}", "fuzz@acme.example", "buyer")
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{local_cloud.url}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "2",
        "--request-timeout",
        "60",
        "--output-sanitize",
        "true",
    ]
    if os.environ.get("ST_SEED"):
        command += ["--seed", os.environ["ST_SEED"]]

    # Run where its caches (.hypothesis, .schemathesis) cannot land in the repository.
    result = subprocess.run(
        command,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=HARD_LIMIT_SECONDS,
    )

    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == 0, f"schemathesis found problems:\n{output}"
    tested = re.search(r"Tested:\s+(\d+)", output)
    assert tested is not None and int(tested.group(1)) == len(template.routes()), "not every operation ran"
