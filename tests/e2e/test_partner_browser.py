"""A partner uploads its PO from the emailed link in a real headless Chromium, on the local cloud:
the page asks the API for a presigned POST and sends the file straight to S3 (moto); the ingest
(S3 notification, uploads queue, queue pump, ingest function) accepts it, and the order then
carries the document and the customer PO (FULL_UPLOAD with the number the partner typed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Client, eventually

pytestmark = pytest.mark.e2e

DEADLINE_SECONDS = 30
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"  # noqa: E501


def test_a_partner_uploads_its_po_from_the_link_and_the_order_carries_it(
    browser: Any, buyer: Client, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # Given an order being processed and a partner link for it
    created = buyer(
        "POST", "/orders", {"customer": {"name": "Initech"}, "amount": "480.00", "currency": "USD"}
    )
    assert created.status == 201, created.text
    order_id = created.json["id"]
    assert buyer("PATCH", f"/orders/{order_id}", {"status": "PROCESSING"}).status == 200
    link = buyer("POST", f"/orders/{order_id}/partner-links", {"expiresInDays": 2})
    assert link.status == 201, link.text
    pdf = tmp_path / "INI-PO-4711.pdf"
    pdf.write_bytes(PDF)

    # When the partner opens it, types its PO number, chooses the file and submits
    browser.get(link.json["url"])
    assert "Upload your PO" in browser.title
    browser.find_element(By.ID, "po-number").send_keys("INI-PO-4711")
    browser.find_element(By.ID, "file").send_keys(str(pdf))
    browser.find_element(By.ID, "upload-button").click()
    status = browser.find_element(By.ID, "upload-status")
    WebDriverWait(browser, DEADLINE_SECONDS).until(
        lambda _: status.get_attribute("data-state") in ("ok", "error")
    )

    # Then the page says so, and once ingested the order carries the document and the PO
    assert status.get_attribute("data-state") == "ok", status.text
    assert "INI-PO-4711.pdf" in status.text

    def attached() -> dict[str, Any] | None:
        order = buyer("GET", f"/orders/{order_id}").json
        accepted = [d for d in order["documents"] if d["status"] == "ACCEPTED"]
        return order if accepted and order["customerPo"] else None

    order = eventually(attached, "the order carries the partner's PO")
    (document,) = order["documents"]
    assert (document["fileName"], document["source"], document["poNumber"]) == (
        "INI-PO-4711.pdf",
        "PARTNER",
        "INI-PO-4711",
    )
    po = order["customerPo"]
    assert (po["mode"], po["poNumber"], po["documentId"], po["source"]) == (
        "FULL_UPLOAD",
        "INI-PO-4711",
        document["id"],
        "PARTNER",
    )
    invoice = buyer("GET", f"/orders/{order_id}/invoice").json
    assert invoice["purchaseOrder"]["documentUrl"]


def test_a_forged_link_shows_a_page_that_says_so(browser: Any, buyer: Client) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{buyer.base_url}/partner/eyJ4Ijoi.bm90LXNpZ25lZA")

    assert "not valid" in browser.find_element(By.TAG_NAME, "h1").text
    assert not browser.find_elements(By.ID, "upload-form")
