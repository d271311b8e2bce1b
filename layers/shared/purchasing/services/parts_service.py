"""Use cases for parts: set a part's purchase type, list an org's parts, read its inventory, and
the purchase type each line of a PO or a template takes from its part."""

from __future__ import annotations

from collections.abc import Sequence

from purchasing.data import parts_repository
from purchasing.domain.caller import Principal
from purchasing.domain.errors import InvalidRequest, NotFound
from purchasing.domain.inputs.po import PutPartRequest
from purchasing.domain.model import Part, PartInventory, PurchaseType, utc_now


def put(principal: Principal, part_id: str, request: PutPartRequest) -> tuple[Part, bool]:
    part = Part(id=part_id, name=request.name, purchase_type=request.purchase_type, updated_at=utc_now())
    return part, parts_repository.put_part(principal.org_id, part)


def list_parts(
    principal: Principal, *, text: str | None, limit: int, cursor: str | None
) -> tuple[list[Part], str | None]:
    return parts_repository.list_parts(principal.org_id, text=text, limit=limit, cursor=cursor)


def get(principal: Principal, part_id: str) -> PartInventory:
    inventory = parts_repository.inventory(principal.org_id, part_id)
    if inventory is None:
        raise NotFound(f"part {part_id} not found")
    return inventory


def purchase_types(org_id: str, refs: Sequence[tuple[str, str | None]]) -> list[PurchaseType]:
    """For each (field, part id): a line takes its part's purchase type; a line with no part is
    physically received and stocks nothing. One batch read for all the parts named."""
    parts = parts_repository.get_parts(org_id, (part_id for _, part_id in refs if part_id))
    types = []
    for field, part_id in refs:
        if part_id is not None and part_id not in parts:
            raise InvalidRequest(f"no part {part_id}: create it with PUT /parts/{part_id}", field=field)
        types.append(parts[part_id].purchase_type if part_id else PurchaseType.PHYSICAL_NO_INVENTORY)
    return types
