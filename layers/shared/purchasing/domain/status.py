"""A PO's status is derived from its lines' statuses, never set by hand.

In order of precedence:
1. no lines, or any line DRAFT            -> DRAFT
2. any line IN_REVIEW                     -> IN_REVIEW
3. all lines CANCELED                     -> CANCELED
4. all lines RECEIVED or CANCELED         -> RECEIVED
5. any line ORDERED or RECEIVED           -> ORDERED (stays ordered while partly received)
6. otherwise (approved, maybe some canceled) -> APPROVED
"""

from __future__ import annotations

from collections.abc import Iterable

from purchasing.domain.model import Status


def derive_po_status(line_statuses: Iterable[Status]) -> Status:
    statuses = set(line_statuses)
    if not statuses or Status.DRAFT in statuses:
        return Status.DRAFT
    if Status.IN_REVIEW in statuses:
        return Status.IN_REVIEW
    if statuses == {Status.CANCELED}:
        return Status.CANCELED
    if statuses <= {Status.RECEIVED, Status.CANCELED}:
        return Status.RECEIVED
    if statuses & {Status.ORDERED, Status.RECEIVED}:
        return Status.ORDERED
    return Status.APPROVED
