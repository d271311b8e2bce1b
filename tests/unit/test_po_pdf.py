"""The supplier's PDF, rendered (supplier_pdf.renderer) and read back with pypdf; what the supplier is
told (purchasing.domain.po_pdf): the fingerprint of what was ordered, the changes, the emails."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from purchasing.domain import po_pdf
from purchasing.domain.model import Line, PurchaseOrder, Status, Supplier
from supplier_pdf import renderer

ISSUED = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def line(no: int, status: Status = Status.ORDERED, **fields: Any) -> Line:
    values: dict[str, Any] = {"description": f"Hex bolt M{no}", "quantity": "3", "unitCost": "12.5"}
    values.update(fields)
    return Line.model_validate({"id": f"{no:05d}", "lineNo": no, "status": status, **values})


def purchase_order(lines: list[Line], **fields: Any) -> PurchaseOrder:
    values: dict[str, Any] = {
        "id": "a" * 32,
        "number": "PO-000123",
        "supplier": Supplier(name="Acme Metals", email="sales@acme-metals.example.com"),
        "currency": "EUR",
        "lines": lines,
        "createdAt": "2026-03-01T00:00:00.000Z",
        "updatedAt": "2026-03-01T00:00:00.000Z",
        "createdBy": "buyer@acme.example.com",
    }
    values.update(fields)
    return PurchaseOrder.model_validate(values)


def text_of(pdf: bytes) -> list[str]:
    """Each page's text, whitespace collapsed (wrapped cells break lines anywhere)."""
    assert pdf.startswith(b"%PDF-")
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def render(po: PurchaseOrder) -> str:
    return " ".join(text_of(renderer.render(po, buyer="acme", issued_at=ISSUED)))


# --- what the PDF shows --------------------------------------------------------------------------


def test_the_pdf_shows_the_header_every_ordered_line_and_the_subtotal() -> None:
    po = purchase_order(
        [
            line(1),
            line(2, description="Washer, stainless", quantity="1000", unitCost="0.0125"),
            line(3, status=Status.RECEIVED, quantity="2.5", unitCost="2000.002"),
        ]
    )

    text = render(po)

    for expected in ("Purchase order PO-000123", "acme", "2026-03-14", "Acme Metals", "EUR"):
        assert expected in text
    assert "sales@acme-metals.example.com" in text
    assert "1 Hex bolt M1 3 12.50 37.50" in text
    assert "2 Washer, stainless 1000 0.0125 12.50" in text
    assert "3 Hex bolt M3 2.5 2,000.002 5,000.01" in text  # 5000.005 rounded half up to cents
    assert "Subtotal (EUR): 5,050.01" in text


def test_only_ordered_and_received_lines_are_on_it() -> None:
    po = purchase_order(
        [
            line(1),
            line(2, status=Status.CANCELED, description="Canceled nut"),
            line(3, status=Status.DRAFT, description="Draft washer"),
        ]
    )
    text = render(po)
    assert "Canceled nut" not in text and "Draft washer" not in text
    assert "Subtotal (EUR): 37.50" in text


def test_amounts_round_to_the_currency_minor_unit() -> None:
    po = purchase_order([line(1, quantity="3", unitCost="333.335")], currency="JPY")
    assert "Subtotal (JPY): 1,000" in render(po)


def test_long_descriptions_wrap_inside_the_table() -> None:
    words = " ".join(f"word{n}" for n in range(300))  # 2,000 characters or so
    text = render(purchase_order([line(1, description=words[:2000]), line(2)]))
    assert words[:2000].rsplit(" ", 1)[0] in text
    assert "2 Hex bolt M2 3 12.50 37.50" in text


def test_quality_clauses_and_term_requirements_are_listed_per_line() -> None:
    po = purchase_order(
        [
            line(1, qualityClauses=["Certificate of conformity", "ISO 9001"], termRequirements=["Net 30"]),
            line(2),
        ]
    )
    text = render(po)
    assert "Quality clauses and term requirements" in text
    assert "Line 1: Hex bolt M1" in text
    assert "Quality: Certificate of conformity" in text and "Quality: ISO 9001" in text
    assert "Terms: Net 30" in text
    assert "Line 2:" not in text


def test_no_clause_section_when_no_line_has_any() -> None:
    assert "Quality clauses" not in render(purchase_order([line(1)]))


def test_a_thousand_lines_paginate_with_the_headings_on_every_page() -> None:
    po = purchase_order(
        [line(no, description=f"Part number {no:04d} " * (1 + no % 4)) for no in range(1, 1001)]
    )

    pages = text_of(renderer.render(po, buyer="acme", issued_at=ISSUED))

    assert len(pages) > 20
    table_pages = [page for page in pages if "Part number" in page]
    assert all("Line Description Quantity Unit cost Amount (EUR)" in page for page in table_pages)
    assert all(
        f"Purchase order PO-000123 Page {n} of {len(pages)}" in page for n, page in enumerate(pages, 1)
    )
    text = " ".join(pages)
    assert all(f"Part number {no:04d}" in text for no in range(1, 1001))
    assert "Subtotal (EUR): 37,500.00" in text


# --- text from anywhere ----------------------------------------------------------------------------


def test_latin_greek_and_cyrillic_text_prints_as_typed() -> None:
    po = purchase_order(
        [line(1, description="Śruba nierdzewna — Ωmega Гайка №5 €")],
        supplier=Supplier(name="Zakład Łódź Sp. z o.o.", email="biuro@lodz.example.com"),
    )
    text = render(po)
    assert "Śruba nierdzewna — Ωmega Гайка №5 €" in text
    assert "Zakład Łódź Sp. z o.o." in text


@pytest.mark.parametrize(
    "description",
    [
        "東京の部品 🔩 bolts",
        "tab\there, nul\x00, bell\x07, escape\x1b[31m",
        "right-to-left \u202eoverride\u202c and zero\u200bwidth",
        "x" * 2000,
        "ℌ𝔢𝔩𝔩𝔬 ﬁne ｆｕｌｌ ①",
    ],
)
def test_text_the_font_cannot_print_never_breaks_the_pdf(description: str) -> None:
    po = purchase_order([line(1, description=description), line(2, description="After it")])
    text = render(po)
    assert "After it" in text


def test_unprintable_characters_are_replaced_not_dropped_silently() -> None:
    glyphs = renderer._glyphs()
    assert renderer.printable("東京 bolts", glyphs) == "?? bolts"
    assert renderer.printable("ｆｕｌｌ", glyphs) == "full"  # compatibility forms decomposed
    assert renderer.printable("\ud800!", glyphs) == "?!"  # a lone surrogate (never valid JSON anyway)
    assert renderer.printable("a\x00b\u202ec\td\ne", glyphs) == "abc d\ne"
    assert renderer.printable("Łódź Ωmega Гайка", glyphs) == "Łódź Ωmega Гайка"


# --- fingerprint -----------------------------------------------------------------------------------


def test_the_fingerprint_is_stable_for_the_same_order() -> None:
    po = purchase_order([line(1), line(2)])
    same = purchase_order([line(1, quantity="3.0"), line(2, unitCost="12.50")], version=7)
    assert po_pdf.fingerprint(po) == po_pdf.fingerprint(same)
    assert re.fullmatch(r"[0-9a-f]{32}", po_pdf.fingerprint(po))


def test_what_the_supplier_is_not_told_leaves_the_fingerprint_alone() -> None:
    po = purchase_order([line(1), line(2)])
    paid = purchase_order([line(1, paid=True, eta="2026-04-01"), line(2, status=Status.RECEIVED)])
    with_draft = purchase_order([line(1), line(2), line(3, status=Status.DRAFT)])
    assert po_pdf.fingerprint(po) == po_pdf.fingerprint(paid) == po_pdf.fingerprint(with_draft)


@pytest.mark.parametrize(
    "changed",
    [
        [line(1, quantity="4"), line(2)],
        [line(1, unitCost="12.49"), line(2)],
        [line(1, description="Hex bolt M1, zinc"), line(2)],
        [line(1, qualityClauses=["CoC"]), line(2)],
        [line(1)],
        [line(1), line(2), line(3)],
        [line(1), line(2, status=Status.CANCELED)],
    ],
)
def test_a_reorder_after_a_revision_changes_the_fingerprint(changed: list[Line]) -> None:
    assert po_pdf.fingerprint(purchase_order(changed)) != po_pdf.fingerprint(
        purchase_order([line(1), line(2)])
    )


def test_another_supplier_or_number_changes_the_fingerprint() -> None:
    po = purchase_order([line(1)])
    other = Supplier(name="Globex", email="orders@globex.example.com")
    assert po_pdf.fingerprint(purchase_order([line(1)], supplier=other)) != po_pdf.fingerprint(po)
    assert po_pdf.fingerprint(purchase_order([line(1)], number="PO-000124")) != po_pdf.fingerprint(po)


# --- the supplier's email ------------------------------------------------------------------------


def test_the_supplier_email_carries_the_link_and_the_order_in_short() -> None:
    po = purchase_order([line(1), line(2, status=Status.CANCELED)])
    link = "https://api.example.com/test/supplier/abc.def"

    subject, body = po_pdf.supplier_message(po, buyer="acme", link=link, expires_at=ISSUED)

    assert subject == "Purchase order PO-000123"
    assert "Hello Acme Metals," in body
    assert "acme has placed purchase order PO-000123 with you: 1 line, subtotal 37.50 EUR." in body
    assert f"\n{link}\n" in body
    assert "until 2026-03-14" in body


def test_money_marks_thousands_and_keeps_cents() -> None:
    assert po_pdf.money(Decimal("1234567.5")) == "1,234,567.50"
    assert po_pdf.money(Decimal("0.0125")) == "0.0125"


# --- every PO the API accepts renders ------------------------------------------------------------

# Pieces of text that have broken or could break the layout: wide glyphs with no break opportunity,
# glyphs the font lacks, controls and bidi overrides, combining marks, newlines and tabs.
PIECES = ["W", "Ｗ", "東", "🔩", "\u202e", "\x07", "\t", "\n", " ", "e\u0301", "Ω", "﷽", "𝔥", "word "]


def text_at(limits: list[int]) -> st.SearchStrategy[str]:
    """A text of one of the lengths, made of one piece repeated or of anything, never blank."""
    repeated = st.builds(
        lambda piece, n: ("x" + piece * n)[:n], st.sampled_from(PIECES), st.sampled_from(limits)
    )
    anything = st.text(min_size=1, max_size=max(limits)).map(lambda text: "x" + text)
    return st.one_of(repeated, anything).map(lambda text: text[: max(limits)])


@st.composite
def lines_at_the_limits(draw: st.DrawFn) -> list[Line]:
    count = draw(st.sampled_from([1, 3]))
    return [
        line(
            no,
            description=draw(text_at([1, renderer.TABLE_TEXT, renderer.TABLE_TEXT + 1, 2000])),
            quantity=draw(st.sampled_from(["0.0001", "1", "1000000"])),
            unitCost=draw(st.sampled_from(["0", "0.01", "999999.99"])),
            qualityClauses=draw(st.lists(text_at([1, 500]), max_size=draw(st.sampled_from([0, 2, 50])))),
            termRequirements=draw(st.lists(text_at([1, 500]), max_size=2)),
            customAttributes={f"attr{n}": "v" * 500 for n in range(50)},
        )
        for no in range(1, count + 1)
    ]


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
@given(lines=lines_at_the_limits(), supplier=text_at([1, 200]))
@example(  # the extremes at once: the widest unbreakable description, every clause at its longest
    lines=[
        line(1, description="W" * 2000, qualityClauses=["Q" * 500] * 50, termRequirements=["T" * 500] * 50)
    ],
    supplier="W" * 200,
)
def test_every_po_the_api_accepts_renders(lines: list[Line], supplier: str) -> None:
    po = purchase_order(lines, supplier=Supplier(name=supplier, email="sales@acme-metals.example.com"))

    pages = text_of(renderer.render(po, buyer="acme", issued_at=ISSUED))

    assert "Subtotal (EUR)" in " ".join(pages)
    assert "Please quote PO-000123 on every delivery note and invoice." in pages[-1]


def test_a_description_too_long_for_a_table_row_shows_its_beginning_and_then_in_full() -> None:
    text = render(purchase_order([line(1, description="W" * 2000), line(2, description="After it")]))

    assert text.count("W") == renderer.TABLE_TEXT + 2000
    assert "(in full under Full descriptions)" in text and "Full descriptions Line 1" in text
    assert "2 After it 3 12.50 37.50" in text


def test_rendering_past_its_time_budget_raises_instead_of_being_killed() -> None:
    with pytest.raises(renderer.TooSlow):
        renderer.render(purchase_order([line(1)]), buyer="acme", issued_at=ISSUED, budget_seconds=-1)


# --- what changed for the supplier -----------------------------------------------------------------


def test_the_changes_name_every_kind_of_change_the_supplier_sees() -> None:
    before = purchase_order([line(1), line(2), line(3, qualityClauses=["ISO 9001"])])
    told = po_pdf.snapshot(before)
    after = purchase_order(
        [
            line(1, unitCost="13", partId="bolt-m6", description="Hex bolt M1, zinc"),
            line(3, qualityClauses=["ISO 14001"], termRequirements=["Net 30"]),
            line(4, description="Washer"),
        ],
        supplier=Supplier(name="Globex", email="sales@globex.example.com"),
        currency="USD",
    )

    assert po_pdf.changes(told, po_pdf.snapshot(after, told)) == [
        "Supplier: Globex sales@globex.example.com (was Acme Metals sales@acme-metals.example.com)",
        "Currency: USD (was EUR)",
        "Line 1 unit cost: 13 (was 12.5)",
        "Line 1 part: bolt-m6 (was None)",
        "Line 1 description changed (see the PDF)",
        "Line 2 withdrawn: Hex bolt M2",
        "Line 3 quality clauses changed (see the PDF)",
        "Line 3 term requirements changed (see the PDF)",
        "Line 4 added: Washer, 3 x 12.5",
    ]


def test_a_revision_is_titled_with_its_number_and_shows_canceled_and_short_closed_lines() -> None:
    told = po_pdf.snapshot(purchase_order([line(1), line(2)]))
    po = purchase_order(
        [line(1, status=Status.RECEIVED, quantity="3", canceledQuantity="1"), line(2, status=Status.CANCELED)]
    )

    text = " ".join(text_of(renderer.render(po, buyer="acme", issued_at=ISSUED, revision=3, told=told)))

    assert "Purchase order PO-000123 rev 3" in text
    assert "[Closed short: 1 canceled] Hex bolt M1 3 12.50 25.00" in text
    assert "[Canceled] Hex bolt M2 3 12.50 0.00" in text and "Subtotal (EUR): 25.00" in text
    assert po_pdf.is_cancellation(po, told) and not po_pdf.is_cancellation(po, None)
