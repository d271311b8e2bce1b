"""The web console in a real headless Chromium on the local cloud, end to end: a buyer signs in
through the sign-in page (code + PKCE against the local user pool), creates a PO with three lines
(a 422 shows under the field it names, nothing typed is lost), submits it under a two-level policy
after the route preview, the approvers approve both levels from the emailed links in the outbox,
and the open PO page shows APPROVED without being reloaded; then the buyer orders, receives
partly and reads the history. Each main screen is saved to docs/tour/ (the README's tour), at
1280 px and the PO page at a 390 px phone width."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local.template import ROOT
from tests.e2e.conftest import Client, LocalCloud, eventually, po_body
from tests.e2e.test_approver_path import email_to

pytestmark = pytest.mark.e2e

TOUR = ROOT / "docs" / "tour"
WAIT = 30
PASSWORD = "Console-Passw0rd!"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"  # noqa: E501


def user_with_password(local_cloud: LocalCloud, org: str, email: str, roles: str) -> None:
    """`make token ... PASSWORD=...`: the user exists with this password, to sign in with."""
    done = local_cloud.run_token(org, email, roles, "--password", PASSWORD)
    assert done.returncode == 0, done.stderr


def wait(browser: Any, condition: Any, seconds: float = WAIT) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # the page redraws what changed: an element found a moment ago may have been replaced
    return WebDriverWait(browser, seconds, ignored_exceptions=[StaleElementReferenceException]).until(
        condition
    )


def by_id(browser: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return wait(browser, lambda driver: driver.find_element(By.ID, element_id))


def text_of(browser: Any, element_id: str) -> str:
    """The element's (non-empty) text, read again if the page's poll redrew the element meanwhile."""
    from selenium.webdriver.common.by import By

    return str(wait(browser, lambda driver: driver.find_element(By.ID, element_id).text))


def receipt_box(browser: Any, element_id: str, value: str) -> Any:
    """The box with `value` typed in: typed again if the page's poll redrew it while it was typed."""
    from selenium.webdriver.common.by import By

    def typed(driver: Any) -> Any:
        box = driver.find_element(By.ID, element_id)
        if box.get_attribute("value") != value:
            box.clear()
            box.send_keys(value)
        return box if box.get_attribute("value") == value else False

    return wait(browser, typed)


def shot(browser: Any, name: str) -> None:
    TOUR.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(TOUR / f"{name}.png"))


def unlabelled(browser: Any) -> list[str]:
    """Inputs with no label a screen reader can read (every input must have one)."""
    return list(
        browser.execute_script(
            """return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter((el) => !el.labels?.length && !el.getAttribute('aria-label'))
                 .map((el) => el.outerHTML);"""
        )
    )


def approve_from_outbox(browser: Any, outbox: Client, approver: str, po_id: str) -> None:
    """The approver opens the emailed link in a tab of their own and approves."""
    from selenium.webdriver.common.by import By

    email = eventually(lambda: email_to(outbox, approver, po_id), f"{approver}'s email")
    console_tab = browser.current_window_handle
    browser.switch_to.new_window("tab")
    browser.get(email["links"][0])
    browser.find_element(By.ID, "comment").send_keys("Fine for this quarter")
    browser.find_element(By.CSS_SELECTOR, "button[value=approve]").click()
    wait(browser, lambda driver: "approved" in driver.find_element(By.TAG_NAME, "body").text.lower())
    browser.close()
    browser.switch_to.window(console_tab)


def pick_part(browser: Any, combobox: Any, text: str, part_id: str) -> None:
    """Type into the part picker, wait for what GET /parts?q= finds (only the part that matches),
    pick it with the keys."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    assert combobox.get_attribute("role") == "combobox"
    combobox.send_keys(text)
    listbox = by_id(browser, combobox.get_attribute("aria-controls"))

    def found(driver: Any) -> list[str]:
        options = listbox.find_elements(By.CSS_SELECTOR, "[role=option]")
        return [option.get_attribute("data-part-id") for option in options] if listbox.is_displayed() else []

    wait(browser, lambda driver: found(driver) == [part_id])
    combobox.send_keys(Keys.ARROW_DOWN)
    option = listbox.find_element(By.CSS_SELECTOR, "[role=option]")
    assert combobox.get_attribute("aria-activedescendant") == option.get_attribute("id")
    combobox.send_keys(Keys.ENTER)  # picks the part, does not submit the form
    assert combobox.get_attribute("value") == part_id and not listbox.is_displayed()


def test_a_buyer_takes_a_po_from_sign_in_to_partly_received_in_the_console(
    browser: Any, local_cloud: LocalCloud, org: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    email = f"buyer+{org}@acme.example"
    user_with_password(local_cloud, org, email, "buyer")
    admin = Client(local_cloud.url, local_cloud.token(org, "admin@acme.example", "admin"))
    manager, finance = "manager@acme-corp.com", "finance@acme-corp.com"
    policy = {
        "levels": [{"name": "Manager", "approvers": [manager]}, {"name": "Finance", "approvers": [finance]}]
    }
    assert admin("PUT", "/settings/approval-policy", policy).status == 200
    for part_id, name in (("BOLT-M8", "Hex bolt M8"), ("WRENCH-T", "Torque wrench")):
        body = {"name": name, "purchaseType": "PHYSICAL_NO_INVENTORY"}
        assert admin("PUT", f"/parts/{part_id}", body).status == 201
    browser.set_window_size(1280, 900)

    # Sign in: the console sends the browser to the sign-in page and gets it back with a code
    browser.get(local_cloud.url + "/")
    by_id(browser, "sign-in").click()
    by_id(browser, "username").send_keys(email)
    by_id(browser, "password").send_keys(PASSWORD)
    shot(browser, "01-sign-in")
    by_id(browser, "sign-in").click()
    assert by_id(browser, "who-email").text == email
    assert org in by_id(browser, "who-org").text and by_id(browser, "who-roles").text == "buyer"
    assert browser.current_url.startswith(local_cloud.url + "/console/")  # served by the local cloud

    # A new PO with three lines; a bad quantity is a 422 shown under its own input
    by_id(browser, "new-po").click()
    form = by_id(browser, "po-form")
    form.find_element(By.NAME, "supplier.name").send_keys("Acme Metals")
    form.find_element(By.NAME, "supplier.email").send_keys("sales@acme-metals.example")
    by_id(browser, "add-line").click()
    by_id(browser, "add-line").click()
    pick_part(browser, form.find_element(By.NAME, "lines[0].partId"), "hex", "BOLT-M8")
    wait(browser, lambda driver: "Hex bolt M8: physical no inventory" in form.text)  # its name and type
    lines = [("Hex bolt M8", "100", "0.35"), ("Torque wrench", "1,5", "30.00"), ("Anodizing", "1", "80.005")]
    for index, (description, quantity, cost) in enumerate(lines):
        form.find_element(By.NAME, f"lines[{index}].description").send_keys(description)
        form.find_element(By.NAME, f"lines[{index}].quantity").send_keys(quantity)
        form.find_element(By.NAME, f"lines[{index}].unitCost").send_keys(cost)
    assert unlabelled(browser) == []
    by_id(browser, "save").click()
    error = wait(browser, lambda driver: driver.find_element(By.CSS_SELECTOR, ".field-error"))
    bad = form.find_element(By.NAME, "lines[1].quantity")
    assert error.find_element(By.XPATH, "..") == bad.find_element(By.XPATH, "..")  # under that input
    assert bad.get_attribute("aria-invalid") == "true"
    assert error.get_attribute("id") in (bad.get_attribute("aria-describedby") or "").split()
    assert "decimal string" in error.text
    assert [
        element.get_attribute("value")
        for element in form.find_elements(By.CSS_SELECTOR, "[name$='.description']")
    ] == [
        "Hex bolt M8",
        "Torque wrench",
        "Anodizing",
    ]  # nothing typed is lost
    shot(browser, "02-new-po-422-under-its-field")
    bad.clear()
    bad.send_keys("2")
    by_id(browser, "save").click()

    # The PO page: the server's amounts and total, as decimal strings
    by_id(browser, "po-status")  # the PO page is shown
    po_id = browser.current_url.rsplit("/", 1)[1]
    buyer = Client(local_cloud.url, local_cloud.token(org, "buyer@acme.example", "buyer"))
    po = buyer("GET", f"/pos/{po_id}").json
    assert [line["partId"] for line in po["lines"]] == ["BOLT-M8", None, None]
    assert po["totals"]["subtotal"] == "175.01"  # 35.00 + 60.00 + 80.01 (80.005 rounded half up)
    assert text_of(browser, "po-total") == "175.01 USD" and text_of(browser, "po-status") == "DRAFT"
    shot(browser, "03-po-draft")

    # Submit, after the route preview; both levels approve from the outbox's links
    by_id(browser, "submit").click()
    preview = by_id(browser, "route-preview")
    assert "Manager" in preview.text and "Finance" in preview.text
    shot(browser, "04-submit-with-route-preview")
    by_id(browser, "confirm-submit").click()
    wait(browser, lambda driver: driver.find_element(By.ID, "po-status").text == "IN REVIEW")
    browser.execute_script("window.notReloaded = true")
    outbox = Client(local_cloud.url, None)
    approve_from_outbox(browser, outbox, manager, po_id)
    approve_from_outbox(browser, outbox, finance, po_id)
    wait(browser, lambda driver: driver.find_element(By.ID, "po-status").text == "APPROVED")
    assert browser.execute_script("return window.notReloaded") is True  # the page saw it change
    shot(browser, "05-po-approved-without-reload")

    # Order, receive part of the first line, and the history tells it all
    by_id(browser, "order").click()
    wait(browser, lambda driver: driver.find_element(By.ID, "po-status").text == "ORDERED")
    receipt_box(browser, "receive-00001", "40").submit()
    wait(browser, lambda driver: "received 40 (40 of 100)" in driver.find_element(By.ID, "timeline").text)
    assert text_of(browser, "po-status") == "ORDERED"
    timeline = text_of(browser, "timeline")
    for said in (
        "created with 3 lines",
        "Level 1 (Manager) approved",
        "Level 2 (Finance) approved",
        "ordered",
    ):
        assert said in timeline
    assert unlabelled(browser) == []

    # A document, uploaded straight to the bucket with a progress bar, then checked and listed
    pdf = tmp_path / "quote.pdf"
    pdf.write_bytes(PDF)
    by_id(browser, "document-file").send_keys(str(pdf))
    by_id(browser, "upload-form").submit()
    wait(browser, lambda driver: "ACCEPTED" in driver.find_element(By.ID, "document-list").text)
    assert by_id(browser, "upload-progress").get_attribute("value") == "100"
    browser.execute_script("document.getElementById('po-lines').scrollIntoView()")
    shot(browser, "06-po-ordered-partly-received")
    browser.execute_script("document.getElementById('po-history').scrollIntoView()")
    shot(browser, "07-po-documents-and-history")

    # Save it as a template; the templates screen lists it
    by_id(browser, "save-template").click()
    by_id(browser, "template-form").submit()
    wait(browser, lambda driver: not driver.find_elements(By.ID, "template-form"))  # saved
    browser.get(local_cloud.url + "/console/#/templates")
    wait(browser, lambda driver: "Acme Metals" in driver.find_element(By.ID, "view").text)
    shot(browser, "08-templates")

    # The list, filtered by status; and the PO page on a phone
    browser.get(local_cloud.url + "/console/#/pos?status=ORDERED")
    wait(browser, lambda driver: po["number"] in driver.find_element(By.ID, "po-list").text)
    shot(browser, "09-po-list")
    browser.set_window_size(390, 844)
    browser.get(f"{local_cloud.url}/console/#/pos/{po_id}")
    by_id(browser, "po-status")
    wait(browser, lambda driver: "Received" in driver.find_element(By.ID, "po-lines").text)
    wider = browser.execute_script(
        """return [...document.querySelectorAll('body *')]
             .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
             .map((el) => el.tagName + '#' + el.id + '.' + el.className);"""
    )
    shot(browser, "10-po-on-a-phone")
    assert wider == []  # nothing wider than the phone's screen

    by_id(browser, "sign-out").click()
    by_id(browser, "sign-in")


def test_a_stale_edit_says_what_changed_and_reloads_without_losing_what_was_typed(
    browser: Any, local_cloud: LocalCloud, org: str
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    # Given a draft PO open in the console's edit form
    buyer = Client(local_cloud.url, local_cloud.token(org, "buyer@acme.example", "buyer"))
    email = f"buyer+{org}@acme.example"  # the same user: a password of its own, to sign in with
    user_with_password(local_cloud, org, email, "buyer")
    po = buyer("POST", "/pos", po_body(lines=1)).json
    browser.set_window_size(1280, 900)
    browser.get(f"{local_cloud.url}/console/#/pos/{po['id']}/edit")
    by_id(browser, "sign-in").click()
    by_id(browser, "username").send_keys(email)
    by_id(browser, "password").send_keys(PASSWORD + Keys.ENTER)  # the keyboard alone
    form = by_id(browser, "po-form")
    assert browser.current_url.endswith(f"#/pos/{po['id']}/edit")  # back where the user was going

    # When someone else changes the supplier meanwhile, and this user saves a new quantity
    changed = buyer(
        "PATCH", f"/pos/{po['id']}", {"supplier": {"name": "Shell Co", "email": "pay@shell.example"}}
    )
    assert changed.status == 200, changed.text
    form.find_element(By.NAME, "supplier.name").send_keys(" Ltd")
    quantity = form.find_element(By.NAME, "lines[0].quantity")
    quantity.clear()
    quantity.send_keys("12" + Keys.ENTER)

    # Then a 412 says so and takes the focus; Reload (by keyboard) says what changed, keeps the input
    alert = wait(browser, lambda driver: driver.find_element(By.CSS_SELECTOR, ".form-alert.conflict"))
    assert "Version mismatch" in alert.text or "version" in alert.text.lower()
    assert browser.switch_to.active_element == alert
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("class") == "reload"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    changes = by_id(browser, "changed")
    assert "supplier → Shell Co <pay@shell.example>" in changes.text
    assert form.find_element(By.NAME, "supplier.name").get_attribute("value") == "Acme Metals Ltd"
    assert form.find_element(By.NAME, "lines[0].quantity").get_attribute("value") == "12"
    shot(browser, "11-stale-edit-reloaded")

    # And saving again applies what the user typed on the latest version
    by_id(browser, "save").click()
    by_id(browser, "po-status")
    saved = buyer("GET", f"/pos/{po['id']}").json
    assert saved["supplier"]["name"] == "Acme Metals Ltd" and saved["lines"][0]["quantity"] == "12"
