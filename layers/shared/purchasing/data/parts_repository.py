"""Parts and their inventory lots: a part and its lots share one partition (one Query reads both).
An org's parts are listed through ByUpdated (GSI3PK ORG#o#PARTS), newest first, with an opaque cursor.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from pynamodb.exceptions import PutError

from purchasing.data.mapping import to_item, to_model
from purchasing.data.paging import query_page
from purchasing.data.tables import LotItem, PartItem, PartsPartitionItem, org_list_key, part_pk
from purchasing.domain.model import InventoryLot, Part, PartInventory

PART_SK = "PART"
LIST = "PARTS"


def lot_sk(po_id: str, line_id: str) -> str:
    return f"LOT#{po_id}#{line_id}"


def put_part(org_id: str, part: Part) -> bool:
    """Create or replace a part; True when it is new."""
    item = to_item(
        PartItem,
        part,
        pk=part_pk(org_id, part.id),
        sk=PART_SK,
        part_id=part.id,
        id_folded=part.id.casefold(),
        name_folded=part.name.casefold(),
        gsi3pk=org_list_key(org_id, LIST),
        gsi3sk=f"{part.updated_at}#{part.id}",
    )
    try:
        item.save(condition=PartItem.pk.does_not_exist())
        return True
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    item.save()
    return False


def get_parts(org_id: str, part_ids: Iterable[str]) -> dict[str, Part]:
    keys = [(part_pk(org_id, part_id), PART_SK) for part_id in sorted(set(part_ids))]
    if not keys:
        return {}
    return {item.part_id: _part(item) for item in PartItem.batch_get(keys)}


def list_parts(
    org_id: str, *, text: str | None, limit: int, cursor: str | None
) -> tuple[list[Part], str | None]:
    """One page of the org's parts, newest first; `text` keeps those whose id or name contains it,
    whatever the case (a page is filled from as many reads as it takes)."""
    condition = None
    if text:
        folded = text.casefold()
        condition = PartItem.id_folded.contains(folded) | PartItem.name_folded.contains(folded)
    items, next_cursor = query_page(
        PartItem.by_updated,
        org_list_key(org_id, LIST),
        "GSI3PK",
        limit=limit,
        cursor=cursor,
        condition=condition,
    )
    return [_part(item) for item in items], next_cursor


def inventory(org_id: str, part_id: str) -> PartInventory | None:
    part: Part | None = None
    lots: list[InventoryLot] = []
    for item in PartsPartitionItem.query(part_pk(org_id, part_id)):
        if isinstance(item, PartItem):
            part = _part(item)
        elif isinstance(item, LotItem):
            lots.append(_lot(item))
    if part is None:
        return None
    return PartInventory(
        part=part,
        on_order_quantity=sum((lot.on_order_quantity for lot in lots), Decimal(0)),
        in_stock_quantity=sum((lot.in_stock_quantity for lot in lots), Decimal(0)),
        lots=lots,
    )


def write_lots(org_id: str, part_lots: Iterable[tuple[str, str, str, InventoryLot | None]]) -> None:
    """(part id, PO id, line id, lot or None to remove it): absolute values, so a replay is harmless."""
    with LotItem.batch_write() as batch:
        for part_id, po_id, line_id, lot in part_lots:
            pk, sk = part_pk(org_id, part_id), lot_sk(po_id, line_id)
            if lot is None:
                batch.delete(LotItem(pk=pk, sk=sk))
                continue
            on_order, in_stock = lot.on_order_quantity, lot.in_stock_quantity
            batch.save(
                to_item(LotItem, lot, pk=pk, sk=sk, part_id=part_id, on_order=on_order, in_stock=in_stock)
            )


def _part(item: PartItem) -> Part:
    return to_model(Part, item, id=item.part_id)


def _lot(item: LotItem) -> InventoryLot:
    return to_model(InventoryLot, item, on_order_quantity=item.on_order, in_stock_quantity=item.in_stock)
