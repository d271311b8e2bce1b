"""The console's admin and customer-order screens in a real headless Chromium, on the local cloud:
an admin signs in, sets a two-level approval policy and sees the route the server gives a sample
amount; a 422 shows under its field and a 412 on a stale policy offers a reload that keeps what
was typed; the admin invites a user; an order takes its customer PO as a number and another from a
blanket PO whose cap, consumed and remaining follow; the invoice quotes the customer PO. Each main
screen is written to the tour (docs/tour/12-... to 19-...), at 1280 px wide, and the policy editor
and an order at 390 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local.template import ROOT
from tests.e2e.conftest import Client, LocalCloud
from tests.e2e.test_console_browser import PASSWORD, unlabelled, user_with_password

pytestmark = pytest.mark.e2e

TOUR = ROOT / "docs" / "tour"
WAIT_SECONDS = 30
UPLOAD_SECONDS = 90  # the upload, then the ingest (S3 notification, queue, function) and the attach
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def signed_in(browser: Any, cloud: LocalCloud, org: str, role: str = "admin") -> Client:
    """A user of `org` with a password (`make token`'s PASSWORD=), signed in to the console
    through the local managed login; the API client has the same user's token."""
    from selenium.webdriver.common.by import By

    email = f"{role}+{org}@acme.example"
    client = Client(cloud.url, cloud.token(org, f"{role}@acme.example", role))  # the same user
    user_with_password(cloud, org, email, role)  # after the token: that gave it a random password
    browser.set_window_size(1280, 900)
    browser.get(f"{cloud.url}/")
    wait(browser, lambda: browser.find_elements(By.ID, "sign-in"), "the sign-in button")
    browser.find_element(By.ID, "sign-in").click()
    wait(browser, lambda: browser.find_elements(By.NAME, "password"), "the managed login form")
    browser.find_element(By.NAME, "username").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
    wait(browser, lambda: browser.find_elements(By.ID, "who-email"), "the signed-in header")
    return client


def wait(browser: Any, condition: Any, what: str, seconds: float = WAIT_SECONDS) -> Any:
    """`condition()`'s first truthy answer; an element the view replaced meanwhile is asked again."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(browser, seconds, poll_frequency=0.1, ignored_exceptions=ignored).until(
        lambda _: condition(), message=f"not within {seconds}s: {what}"
    )


def go(browser: Any, hash_: str, ready_id: str) -> None:
    """To the view at `hash_`, once it has replaced the one shown before and shows #`ready_id`."""
    from selenium.webdriver.common.by import By

    before = browser.find_elements(By.CSS_SELECTOR, "#view > *")
    browser.execute_script("location.hash = arguments[0]", hash_)
    wait(
        browser,
        lambda: all(replaced(element) for element in before) and browser.find_elements(By.ID, ready_id),
        f"{hash_} (#{ready_id})",
    )


def fill(browser: Any, name: str, value: str, within: str = "") -> None:
    from selenium.webdriver.common.by import By

    element = browser.find_element(By.CSS_SELECTOR, f'{within} [name="{name}"]'.strip())
    element.clear()
    element.send_keys(value)


def value(browser: Any, name: str) -> str:
    from selenium.webdriver.common.by import By

    return str(browser.find_element(By.CSS_SELECTOR, f'[name="{name}"]').get_attribute("value"))


def text(browser: Any, selector: str) -> str:
    from selenium.webdriver.common.by import By

    return str(browser.find_element(By.CSS_SELECTOR, selector).text)


def field_error(browser: Any, name: str) -> str:
    """The error shown in the field of the input `name` (empty when none)."""
    from selenium.webdriver.common.by import By

    found = browser.find_elements(
        By.XPATH,
        f'//*[@name="{name}"]/ancestor::div[contains(@class, "field")][1]'
        '//*[contains(@class, "field-error")]',
    )
    return " ".join(element.text for element in found)


def replaced(element: Any) -> bool:
    """Whether the view has drawn `element` anew (the one found before is gone from the page)."""
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    return False


def shoot(browser: Any, name: str) -> None:
    """The screen into the tour, once it is usable: every input labelled, nothing wider than the window."""
    assert unlabelled(browser) == [], name
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"), name
    TOUR.mkdir(parents=True, exist_ok=True)
    browser.execute_script("window.scrollTo(0, 0)")
    height = browser.execute_script("return document.documentElement.scrollHeight")
    width = browser.execute_script("return window.innerWidth")
    browser.set_window_size(max(width, 390), min(max(height + 120, 600), 4000))
    browser.save_screenshot(str(TOUR / f"{name}.png"))


def test_an_admin_sets_the_policy_sees_the_route_and_invites_a_user(
    browser: Any, local_cloud: LocalCloud, org: str
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    admin = signed_in(browser, local_cloud, org)

    # The nav shows the admin screens to an admin
    nav = text(browser, "#nav")
    assert "Approval policy" in nav and "Users" in nav

    # When the admin makes a two-level policy (Finance from 5000.00) and saves it
    go(browser, "#/admin/policy", "policy-form")
    browser.find_element(By.ID, "policy-add-level").click()
    fill(browser, "levels[0].name", "Manager")
    fill(browser, "levels[0].approvers", "ann@acme-corp.example, bob@acme-corp.example")
    fill(browser, "levels[0].timeoutHours", "48")
    fill(browser, "levels[0].escalateTo", "director@acme-corp.example")
    browser.find_element(By.ID, "policy-add-level").click()
    fill(browser, "levels[1].name", "Finance")
    fill(browser, "levels[1].approvers", "fin@acme-corp.example")
    fill(browser, "levels[1].minAmount", "5000")
    fill(browser, "resetThreshold.amount", "100")
    fill(browser, "resetThreshold.percent", "5")
    browser.find_element(By.ID, "policy-save").click()

    # Then the server has it, and the preview says what a sample amount goes through
    wait(browser, lambda: "Version 1" in text(browser, "#policy-version"), "the saved policy's version")
    stored = admin("GET", "/settings/approval-policy").json
    assert [(lv["name"], lv["approvers"], lv.get("minAmount")) for lv in stored["levels"]] == [
        ("Manager", ["ann@acme-corp.example", "bob@acme-corp.example"], None),
        ("Finance", ["fin@acme-corp.example"], "5000.00"),
    ]
    fill(browser, "amount", "6000", within="#route-form")
    browser.find_element(By.ID, "route-preview-button").click()
    wait(browser, lambda: "2 levels of approval" in text(browser, "#route-preview"), "the route of 6000")
    assert "subtotal 6000 is at least 5000.00" in text(browser, "#route-levels")
    fill(browser, "amount", "1200.00", within="#route-form")
    browser.find_element(By.CSS_SELECTOR, '#route-form [name="amount"]').send_keys(Keys.ENTER)  # the keyboard
    wait(browser, lambda: "1 level of approval" in text(browser, "#route-preview"), "the route of 1200.00")
    assert "subtotal 1200.00 is below 5000.00" in text(browser, "#route-levels")
    shoot(browser, "12-admin-policy")

    # A 422 shows under the field it names, and nothing typed is lost
    fill(browser, "levels[1].timeoutHours", "0.1")
    fill(browser, "levels[1].approvers", "fin@acme-corp.example, not-an-email")
    browser.find_element(By.ID, "policy-save").click()
    wait(browser, lambda: field_error(browser, "levels[1].timeoutHours"), "the timeout's error")
    assert "at least 0.25" in field_error(browser, "levels[1].timeoutHours")
    assert "email" in field_error(browser, "levels[1].approvers")
    assert value(browser, "levels[1].approvers") == "fin@acme-corp.example, not-an-email"
    assert admin("GET", "/settings/approval-policy").json["version"] == 1

    # A 412: someone else saved meanwhile; the form says so, offers a reload, keeps what was typed
    fill(browser, "levels[1].timeoutHours", "72")
    fill(browser, "levels[1].approvers", "fin@acme-corp.example")
    fill(browser, "levels[1].minAmount", "7500")
    other = {"levels": [{"name": "Director", "approvers": ["dir@acme-corp.example"]}]}
    assert admin("PUT", "/settings/approval-policy", other, headers={"If-Match": '"1"'}).status == 200
    browser.find_element(By.ID, "policy-save").click()
    wait(
        browser,
        lambda: browser.find_elements(By.CSS_SELECTOR, "#policy-form .form-alert.conflict"),
        "the 412",
    )
    assert "version 2" in text(browser, "#policy-form .form-alert")
    assert value(browser, "levels[1].minAmount") == "7500"
    browser.find_element(By.CSS_SELECTOR, "#policy-form button.reload").click()
    wait(browser, lambda: "now version 2" in text(browser, "#policy-conflict"), "what changed")
    assert "admin+" in text(browser, "#policy-conflict")
    assert (value(browser, "levels[0].name"), value(browser, "levels[1].minAmount")) == ("Manager", "7500")
    browser.find_element(By.ID, "policy-save").click()
    wait(browser, lambda: "Version 3" in text(browser, "#policy-version"), "the save over version 2")
    assert admin("GET", "/settings/approval-policy").json["levels"][1]["minAmount"] == "7500.00"

    # Exchange rates: a rate saved, and the preview converts with it
    browser.find_element(By.ID, "rates-add").click()
    fill(browser, "rates[0].currency", "EUR")
    fill(browser, "rates[0].rate", "1.10")
    browser.find_element(By.ID, "rates-save").click()
    wait(browser, lambda: "Version 1" in text(browser, "#rates-version"), "the saved rates")
    fill(browser, "amount", "7000", within="#route-form")
    fill(browser, "currency", "EUR", within="#route-form")
    browser.find_element(By.ID, "route-preview-button").click()
    wait(
        browser, lambda: "7000 EUR at 1.10 = 7700.00 USD" in text(browser, "#route-preview"), "the conversion"
    )

    # At 390 px the editor fits the screen (shoot checks: no sideways scrolling)
    browser.set_window_size(390, 844)
    shoot(browser, "13-admin-policy-on-a-phone")
    browser.set_window_size(1280, 900)

    # Users: the admin invites a buyer who also approves
    go(browser, "#/admin/users", "invite-form")
    wait(browser, lambda: browser.find_elements(By.ID, "users-table"), "the users of the org")
    fill(browser, "email", f"pat+{org}@acme.example", within="#invite-form")
    browser.find_element(By.ID, "invite-role-approver").click()
    browser.find_element(By.ID, "invite-button").click()
    wait(
        browser, lambda: f"pat+{org}@acme.example" in text(browser, "#users-table"), "the invited user's row"
    )
    pat = f"pat+{org}@acme.example"

    def pats() -> dict[str, Any]:
        return next(user for user in admin("GET", "/users").json["items"] if user["email"] == pat)

    assert sorted(pats()["roles"]) == ["approver", "buyer"]

    # ... then takes the approver role away, and disables the account (the button asks twice)
    row = f'//tr[td[contains(., "{pat}")]]'
    browser.find_element(By.XPATH, f'{row}//input[@value="approver"]').click()
    table = browser.find_element(By.ID, "users-table")
    browser.find_element(By.XPATH, f'{row}//button[text()="Save roles"]').click()
    wait(browser, lambda: replaced(table), "the users read again")
    assert pats()["roles"] == ["buyer"]
    for _ in range(2):  # from the keyboard (a toast may cover the button for the mouse)
        browser.find_element(By.CSS_SELECTOR, f'button[aria-label="Disable {pat}"]').send_keys(Keys.ENTER)
    wait(browser, lambda: "disabled" in text(browser, "#users-table"), "pat's account disabled")
    assert pats()["enabled"] is False
    fill(browser, "email", "not an email", within="#invite-form")
    browser.find_element(By.ID, "invite-button").click()
    wait(browser, lambda: field_error(browser, "email"), "the invite's 422 under the email")
    assert value(browser, "email") == "not an email"
    shoot(browser, "14-admin-users")


def processing_order(buyer: Client, amount: str) -> str:
    created = buyer("POST", "/orders", {"customer": {"name": "Globex"}, "amount": amount, "currency": "USD"})
    assert created.status == 201, created.text
    assert buyer("PATCH", f"/orders/{created.json['id']}", {"status": "PROCESSING"}).status == 200
    return str(created.json["id"])


def attach_the_blanket(browser: Any, order_id: str) -> None:
    """On the order's page, the customer PO from the first blanket PO the form offers."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    go(browser, f"#/orders/{order_id}", "attach-po-form")
    browser.find_element(By.ID, "mode-BLANKET").click()
    Select(browser.find_element(By.NAME, "blanketPoId")).select_by_index(1)
    browser.find_element(By.ID, "attach-po").click()


def test_orders_take_a_customer_po_by_number_and_from_a_blanket_and_the_invoice_quotes_it(
    browser: Any, local_cloud: LocalCloud, org: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    buyer = signed_in(browser, local_cloud, org, role="buyer")
    assert "Approval policy" not in text(browser, "#nav")  # a buyer sees no admin screens

    # An order made in the console, moved to PROCESSING, takes the customer's PO number
    go(browser, "#/orders", "order-form")
    fill(browser, "customer.name", "Globex")
    fill(browser, "amount", "1200.00")
    browser.find_element(By.ID, "order-create").click()
    wait(browser, lambda: browser.find_elements(By.ID, "order-moves"), "the new order's page")
    browser.find_element(By.CSS_SELECTOR, '#order-moves [data-status="PROCESSING"]').click()
    wait(browser, lambda: browser.find_elements(By.ID, "attach-po-form"), "the attach form once PROCESSING")
    fill(browser, "poNumber", "GX-7781")
    browser.find_element(By.ID, "attach-po").click()
    wait(browser, lambda: browser.find_elements(By.ID, "customer-po-number"), "the attached customer PO")
    assert text(browser, "#customer-po-number") == "GX-7781"
    assert text(browser, "#customer-po-mode") == "Number only"
    order_id = browser.execute_script("return location.hash").split("/")[2]
    assert buyer("GET", f"/orders/{order_id}").json["customerPo"]["poNumber"] == "GX-7781"

    # A partner link to copy
    browser.find_element(By.ID, "partner-link-create").click()
    wait(browser, lambda: browser.find_elements(By.ID, "partner-link-url"), "the partner link")
    assert "/partner/" in str(browser.find_element(By.ID, "partner-link-url").get_attribute("value"))
    shoot(browser, "15-customer-order")
    browser.set_window_size(390, 844)
    shoot(browser, "16-customer-order-on-a-phone")
    browser.set_window_size(1280, 900)

    # The invoice quotes the customer PO
    browser.find_element(By.ID, "invoice-link").click()
    wait(browser, lambda: browser.find_elements(By.ID, "invoice"), "the invoice")
    assert text(browser, "#invoice-po-number") == "GX-7781"
    assert text(browser, "#invoice-po-mode") == "Number only"
    assert text(browser, "#invoice-total") == "1,200.00 USD"
    shoot(browser, "17-invoice")

    # Another order takes the customer's PO with its document: the browser posts the file straight
    # to S3 (the progress bar fills), the ingest accepts it, then the PO is attached with it
    pdf = tmp_path / "GX-7790.pdf"
    pdf.write_bytes(PDF)
    uploaded = processing_order(buyer, "480.00")
    go(browser, f"#/orders/{uploaded}", "attach-po-form")
    browser.find_element(By.ID, "mode-FULL_UPLOAD").click()
    fill(browser, "poNumber", "GX-7790")
    browser.find_element(By.NAME, "file").send_keys(str(pdf))
    browser.find_element(By.ID, "attach-po").click()
    wait(
        browser,
        lambda: browser.find_elements(By.ID, "customer-po-mode"),
        "the PO with its document",
        UPLOAD_SECONDS,
    )
    assert text(browser, "#customer-po-mode") == "Number and document"
    assert "GX-7790.pdf" in text(browser, "#customer-po")
    go(browser, f"#/orders/{uploaded}/invoice", "invoice")
    assert text(browser, "#invoice-po-number") == "GX-7790"
    assert browser.find_element(By.ID, "invoice-po-document").get_attribute("href").startswith("http")

    # A blanket PO with a cap; an order of 1200.00 draws on it
    go(browser, "#/blanket-pos", "blanket-form")
    fill(browser, "poNumber", "GX-BLANKET-2026")
    fill(browser, "customer.name", "Globex")
    fill(browser, "cap", "2000.00")
    browser.find_element(By.ID, "blanket-create").click()
    wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, ".blanket-figures"), "the blanket PO's page")
    assert text(browser, ".blanket-figures .remaining") == "2,000.00 USD"
    attach_the_blanket(browser, processing_order(buyer, "1200.00"))
    wait(
        browser,
        lambda: browser.find_elements(By.CSS_SELECTOR, "#customer-po .blanket-figures"),
        "the drawn blanket",
    )
    assert text(browser, "#customer-po-mode") == "Blanket PO"
    assert text(browser, "#customer-po .consumed") == "1,200.00 USD"
    assert text(browser, "#customer-po .remaining") == "800.00 USD"

    # A third order of 900.00 does not fit: the 409 says so next to the blanket it names
    attach_the_blanket(browser, processing_order(buyer, "900.00"))
    wait(
        browser,
        lambda: browser.find_elements(By.CSS_SELECTOR, "#attach-po-form .form-alert"),
        "the cap's 409",
    )
    assert "800.00 of its cap 2000.00 left" in text(browser, "#attach-po-form .form-alert")
    fill(browser, "poNumber", "GX-BLANKET-2026/3")
    browser.find_element(By.CSS_SELECTOR, "#attach-po-form button.reload").click()  # what was typed stays
    wait(
        browser,
        lambda: not browser.find_elements(By.CSS_SELECTOR, "#attach-po-form .form-alert"),
        "the reload",
    )
    assert browser.find_element(By.ID, "mode-BLANKET").is_selected()
    assert value(browser, "poNumber") == "GX-BLANKET-2026/3"

    go(browser, "#/blanket-pos", "blanket-table")
    assert text(browser, "#blanket-table td.consumed") == "1,200.00 USD"
    assert text(browser, "#blanket-table td.remaining") == "800.00 USD"
    shoot(browser, "18-blanket-pos")
    go(browser, "#/orders", "orders-table")
    shoot(browser, "19-customer-orders")
