"""Numbers handed out in order per org and kind (PO-000001, SO-000001...), from a counter item."""

from __future__ import annotations

from purchasing.data.tables import CounterItem


def next_number(org_id: str, prefix: str) -> str:
    """The org's next number of a kind (PO-000001, SO-000001...), from its counter item."""
    counter = CounterItem(pk=f"ORG#{org_id}", sk=f"COUNTER#{prefix}")
    counter.update(actions=[CounterItem.value.add(1)])
    return f"{prefix}-{int(counter.value):06d}"
