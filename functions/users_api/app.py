"""An org's users over HTTP (admins only): invite, list, change roles, disable."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from purchasing import config
from purchasing.api.http import Api, caller, ok
from purchasing.api.user_schemas import UserList
from purchasing.domain.caller import ADMIN
from purchasing.domain.inputs.users import InviteUserRequest, UpdateUserRequest
from purchasing.domain.orgs import OrgUser
from purchasing.observability import logger, metrics, tracer
from purchasing.services import users_service

# What this function needs of its environment, parsed at cold start: a missing variable fails the import.
ENVIRONMENT = config.load(*config.API_FUNCTION, config.UserPool)

app = Api()

UserId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,128}$", description="the user's id (their sub)")]


@app.post(
    "/users",
    responses=ok(201, OrgUser, 409),
    tags=["Users"],
    summary="Invite a user into your org",
    description=(
        "Who: an admin. Changes: creates the user in the caller's org with the roles given; "
        "Cognito emails the invitation."
    ),
)
def invite_user(body: InviteUserRequest) -> Response[OrgUser]:
    """Cognito emails the invitation; the org is the caller's, from the token."""
    user = users_service.invite(caller(app, ADMIN), body)
    return Response(status_code=201, body=user, content_type="application/json")


@app.get(
    "/users",
    responses=ok(200, UserList),
    tags=["Users"],
    summary="List your org's users",
    description=("Who: an admin. Changes: nothing."),
)
def list_users() -> UserList:
    return UserList(items=users_service.list_users(caller(app, ADMIN)))


@app.patch(
    "/users/<userId>",
    responses=ok(200, OrgUser, 404),
    tags=["Users"],
    summary="Change a user's roles",
    description=("Who: an admin. Changes: the user's roles."),
)
def update_user(userId: UserId, body: UpdateUserRequest) -> OrgUser:
    return users_service.update_roles(caller(app, ADMIN), userId, body)


@app.delete(
    "/users/<userId>",
    responses=ok(200, OrgUser, 404),
    tags=["Users"],
    summary="Disable a user",
    description=("Who: an admin. Changes: the user can no longer sign in; their history stays."),
)
def disable_user(userId: UserId) -> OrgUser:
    """The user can no longer sign in; their history stays."""
    return users_service.disable(caller(app, ADMIN), userId)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
