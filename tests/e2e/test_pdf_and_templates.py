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


def test_a_line_canceled_on_an_ordered_po_sends_its_supplier_one_change_notice(
    local_cloud: LocalCloud, buyer: Client
) -> None:
    # Given an ordered PO whose supplier got the "placed" email
    po = buyer("POST", "/pos", po_body(lines=2)).json
    assert buyer("POST", f"/pos/{po['id']}/submit").status == 202
    status_is(buyer, po["id"], "APPROVED")
    assert buyer("POST", f"/pos/{po['id']}/order").status == 200
    outbox = Client(local_cloud.url, None)

    def emails() -> list[dict[str, Any]]:
        items = outbox("GET", "/_local/outbox", headers={"Accept": "application/json"}).json["items"]
        return [
            item
            for item in items
            if item["attributes"].get("poId") == po["id"] and item["to"] == po["supplier"]["email"]
        ]

    placed = eventually(lambda: emails() or None, "the supplier's first email")[0]
    assert placed["subject"] == f"Purchase order {po['number']}"
    (first_link,) = [url for url in placed["links"] if "/supplier/" in url]

    # When one of its lines is canceled
    assert buyer("POST", f"/pos/{po['id']}/lines/00002/cancel").status == 200

    # Then the supplier gets one change notice, revision 2, saying what changed
    def notice() -> dict[str, Any] | None:
        found = [item for item in emails() if item["subject"] != placed["subject"]]
        return found[0] if found else None

    change = eventually(notice, "the supplier's change notice")
    assert change["subject"] == f"Change to purchase order {po['number']} rev 2"
    assert "- Line 2 canceled: Bolt M7" in change["body"]
    (new_link,) = [url for url in change["links"] if "/supplier/" in url]
    assert fetch(new_link)[0] == 302

    # And the first link now answers 410 with a page pointing to revision 2's email
    status, _, page = fetch(first_link)
    assert status == 410 and b"Revision 2 replaces it" in page
    assert [item["subject"] for item in emails()].count(placed["subject"]) == 1
