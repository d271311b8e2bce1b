"""The supplier's PDF and purchase templates on the local cloud, over HTTP: a PO placed from a
template is ordered; the status stream, the PO events topic, the PDF queue and its function make
the PDF; the buyer downloads it, and the supplier's email with its link lands in the local outbox."""

from __future__ import annotations

import io
import re
import urllib.error
import urllib.request
from typing import Any

import pytest
from pypdf import PdfReader

from tests.e2e.conftest import Client, LocalCloud, eventually, po_body

pytestmark = pytest.mark.e2e


def status_is(buyer: Client, po_id: str, status: str) -> None:
    eventually(lambda: buyer("GET", f"/pos/{po_id}").json["status"] == status, f"PO {po_id} {status}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 302 itself is what the test looks at


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_a_po_from_a_template_is_ordered_and_its_supplier_gets_the_pdf(
    local_cloud: LocalCloud, buyer: Client
) -> None:
    # Given a template of a common order
    body = po_body(lines=3)
    template = buyer("POST", "/templates", {"name": "Weekly bolts", **body})
    assert template.status == 201, template.text
    assert [item["id"] for item in buyer("GET", "/templates").json["items"]] == [template.json["id"]]

    # When a PO made from it is submitted (no policy: approved at once) and ordered
    created = buyer("POST", f"/templates/{template.json['id']}/pos")
    assert created.status == 201, created.text
    po = created.json
    assert [line["description"] for line in po["lines"]] == ["Bolt M6", "Bolt M7", "Bolt M8"]
    assert buyer("GET", f"/pos/{po['id']}/pdf").status == 409
    assert buyer("POST", f"/pos/{po['id']}/submit").status == 202
    status_is(buyer, po["id"], "APPROVED")
    assert buyer("POST", f"/pos/{po['id']}/order").status == 200

    # Then the buyer gets a link to the PDF, which shows the PO and its lines
    def pdf_ready() -> dict[str, Any] | None:
        reply = buyer("GET", f"/pos/{po['id']}/pdf")
        assert reply.status in (200, 409), reply.text
        return reply.json if reply.status == 200 else None

    link = eventually(pdf_ready, f"the PDF of {po['id']}")
    assert link["number"] == po["number"]
    status, headers, content = fetch(link["url"])
    assert status == 200 and content.startswith(b"%PDF-")
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))
    assert f"Purchase order {po['number']}" in text
    for line in po["lines"]:
        assert f"{line['lineNo']} {line['description']} 10 1.25 12.50" in text

    # And the supplier's email is in the outbox, with a link that leads to the same PDF
    outbox = Client(local_cloud.url, None)

    def email() -> dict[str, Any] | None:
        items = outbox("GET", "/_local/outbox", headers={"Accept": "application/json"}).json["items"]
        found = [item for item in items if item["subject"] == f"Purchase order {po['number']}"]
        return found[0] if found and found[0]["attributes"].get("poId") == po["id"] else None

    message = eventually(email, "the supplier's email in the outbox")
    assert message["to"] == "sales@acme-metals.com"
    (supplier_link,) = [url for url in message["links"] if "/supplier/" in url]
    assert supplier_link.startswith(local_cloud.url)
    status, headers, _ = fetch(supplier_link)
    assert status == 302
    status, _, again = fetch(headers["Location"])
    assert status == 200 and again == content

    forged = supplier_link[:-3] + ("AAA" if not supplier_link.endswith("AAA") else "BBB")
    assert fetch(forged)[0] == 403
