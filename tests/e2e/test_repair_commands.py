"""`make recompute` and `make redrive` against the running local cloud, as an operator runs them: the
command reaches the cloud through its Lambda Invoke route and its AWS endpoint (/_local/aws)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from local.template import ROOT
from tests.e2e.conftest import Client, LocalCloud, eventually, po_body

pytestmark = pytest.mark.e2e


def repair(local_cloud: LocalCloud, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local.repair", "--url", local_cloud.url, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_recompute_an_org_and_a_po_through_the_local_consumer(
    local_cloud: LocalCloud, buyer: Client, org: str
) -> None:
    ids = [buyer("POST", "/pos", po_body(lines=2)).json["id"] for _ in range(2)]

    whole_org = repair(local_cloud, "recompute", "--org", org)
    one_po = repair(local_cloud, "recompute", "--org", org, "--po", ids[0])

    assert whole_org.returncode == 0, whole_org.stderr
    assert whole_org.stdout.splitlines() == [
        f"recompute: 2 PO(s) of org {org} through StatusStreamFunction",
        "recompute: 2 recomputed, 0 failed",
    ]
    assert one_po.returncode == 0, one_po.stderr
    assert one_po.stdout.splitlines()[-1] == "recompute: 1 recomputed, 0 failed"
    assert eventually(lambda: buyer("GET", f"/pos/{ids[1]}").json["status"] == "DRAFT", "still a draft")


def test_redrive_reports_every_queue_of_the_local_cloud(local_cloud: LocalCloud) -> None:
    done = repair(local_cloud, "redrive")

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "redrive: dead-letter queues"
    assert "  DocumentUploadsDeadLetterQueue: empty" in lines
    assert "  PoPdfDeadLetterQueue: empty" in lines
    assert "redrive: stream failure queues" in lines


def test_the_lambda_invoke_route_answers_as_lambda_does(local_cloud: LocalCloud) -> None:
    url = f"{local_cloud.url}/_local/lambda/2015-03-31/functions/NoSuchFunction/invocations"
    request = urllib.request.Request(url, data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(request, timeout=10)
    assert missing.value.code == 404
    assert "Function not found" in json.loads(missing.value.read())["message"]
    empty = urllib.request.Request(
        url.replace("NoSuchFunction", "StatusStreamFunction"), data=b'{"Records": []}', method="POST"
    )
    with urllib.request.urlopen(empty, timeout=10) as answered:
        assert json.loads(answered.read()) == {"batchItemFailures": []}
