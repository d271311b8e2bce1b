"""Org settings over HTTP: the approval policy and the exchange rates (admins only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, TypeVar

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from purchasing import config
from purchasing.api.http import Api, IfMatch, caller, ok, version_from
from purchasing.domain.approval_route import ApprovalPolicy, ApprovalRoute, ExchangeRates
from purchasing.domain.caller import ADMIN
from purchasing.domain.model import DECIMAL_PATTERN, Currency
from purchasing.observability import logger, metrics, tracer
from purchasing.services import approval_service

# What this function needs of its environment, parsed at cold start: a missing variable fails the import.
ENVIRONMENT = config.load(*config.API_FUNCTION)

app = Api()
Settings = TypeVar("Settings", ApprovalPolicy, ExchangeRates)
SampleAmount = Annotated[
    str,
    Query(
        pattern=DECIMAL_PATTERN, description="a PO subtotal to route, a decimal string", examples=["1200.00"]
    ),
]


@app.get(
    "/settings/approval-policy",
    responses=ok(200, ApprovalPolicy),
    tags=["Settings"],
    summary="Read the org's approval policy",
    description=("Who: an admin. Changes: nothing. No levels means submitted lines are approved at once."),
)
def get_policy() -> Response[ApprovalPolicy]:
    """The org's approval policy (no levels: submitted lines are approved at once)."""
    return _versioned(approval_service.get_policy(caller(app, ADMIN)))


@app.put(
    "/settings/approval-policy",
    responses=ok(200, ApprovalPolicy, 409, 412),
    tags=["Settings"],
    summary="Replace the org's approval policy",
    description=(
        "Who: an admin. Changes: the policy; rounds already running keep the route they started "
        "with. `If-Match` or `version` guards against a stale write (412)."
    ),
)
def put_policy(body: ApprovalPolicy, if_match: IfMatch = None) -> Response[ApprovalPolicy]:
    """Replace the policy. Rounds already running keep the route they started with."""
    return _versioned(approval_service.put_policy(caller(app, ADMIN), body, version_from(if_match)))


@app.get(
    "/settings/approval-route",
    responses=ok(200, ApprovalRoute),
    tags=["Settings"],
    summary="Preview the route of a sample amount",
    description=(
        "Who: an admin. Changes: nothing. The levels and approvers a PO of `amount` in `currency` "
        "(the policy's unless given) would go through under the current policy and exchange "
        "rates, and why."
    ),
)
def preview_route(
    amount: SampleAmount, currency: Annotated[Currency | None, Query()] = None
) -> ApprovalRoute:
    """What the policy does with a PO of this amount, before any PO exists."""
    return approval_service.sample_route(caller(app, ADMIN), Decimal(amount), currency)


def _versioned(settings: Settings) -> Response[Settings]:
    headers = {"ETag": f'"{settings.version}"'}
    return Response(status_code=200, body=settings, headers=headers, content_type="application/json")


@app.get(
    "/settings/exchange-rates",
    responses=ok(200, ExchangeRates),
    tags=["Settings"],
    summary="Read the org's exchange rates",
    description=("Who: an admin. Changes: nothing. Units of the base currency per unit of each currency."),
)
def get_rates() -> Response[ExchangeRates]:
    """What one unit of each currency is worth in the base currency (the policy's currency)."""
    return _versioned(approval_service.get_rates(caller(app, ADMIN)))


@app.put(
    "/settings/exchange-rates",
    responses=ok(200, ExchangeRates, 409, 412),
    tags=["Settings"],
    summary="Replace the org's exchange rates",
    description=(
        "Who: an admin. Changes: the rates used to route POs in other currencies. `If-Match` or "
        "`version` guards against a stale write (412)."
    ),
)
def put_rates(body: ExchangeRates, if_match: IfMatch = None) -> Response[ExchangeRates]:
    """Replace the rates. A PO in a currency without a rate goes through every amount-gated level."""
    return _versioned(approval_service.put_rates(caller(app, ADMIN), body, version_from(if_match)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
