"""One number-reservation model (data.tables.NumberItem) for PO and order numbers, storing each
reservation exactly as the two models before it did, so the table's items stay readable."""

from __future__ import annotations

from purchasing.data.tables import NumberItem


def test_a_po_number_is_reserved_under_its_own_key_with_the_po() -> None:
    item = NumberItem.of("PO", "acme", "po-7", "p1")

    assert item.serialize() == {
        "PK": {"S": "ORG#acme#PONUMBER#PO-7"},
        "SK": {"S": "PONUMBER"},
        "poId": {"S": "p1"},
    }


def test_an_order_number_is_reserved_under_its_own_key_with_the_order() -> None:
    item = NumberItem.of("ORDER", "acme", "so-9", "o1")

    assert item.serialize() == {
        "PK": {"S": "ORG#acme#ORDERNUMBER#SO-9"},
        "SK": {"S": "ORDERNUMBER"},
        "orderId": {"S": "o1"},
    }


def test_a_reservation_to_delete_is_its_key_alone() -> None:
    assert NumberItem.of("PO", "acme", "po-7").serialize() == {
        "PK": {"S": "ORG#acme#PONUMBER#PO-7"},
        "SK": {"S": "PONUMBER"},
    }
