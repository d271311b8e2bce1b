"""Use cases for parts: set a part's purchase type, read its inventory."""

from __future__ import annotations

from purchasing.api.auth import Principal
from purchasing.api.schemas import PutPartRequest
from purchasing.data import parts_repository
from purchasing.domain.errors import NotFound
from purchasing.domain.model import Part, PartInventory, utc_now


def put(principal: Principal, part_id: str, request: PutPartRequest) -> tuple[Part, bool]:
    part = Part(id=part_id, name=request.name, purchase_type=request.purchase_type, updated_at=utc_now())
    return part, parts_repository.put_part(principal.org_id, part)


def get(principal: Principal, part_id: str) -> PartInventory:
    inventory = parts_repository.inventory(principal.org_id, part_id)
    if inventory is None:
        raise NotFound(f"part {part_id} not found")
    return inventory
