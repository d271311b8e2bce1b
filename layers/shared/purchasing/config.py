"""The environment, as typed parts each function declares and parses once, at cold start.

Each part is what one concern reads (the table, the documents bucket, the mail sender...), every
field named by its variable. A function's handler module declares the parts it needs
(`ENVIRONMENT = config.load(config.Table, config.Documents, ...)`) and so fails at import, naming
every missing variable, when its template Environment does not provide them; a test checks each
declaration against template.yaml. Code deep in the layer reads its part with `config.get(Part)`.
Plain pydantic models (the layer has pydantic already): no settings library needed for this much.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_REGION = "us-east-1"


class Environment(BaseModel):
    """A part of the environment: each field is read from the variable its alias names."""

    model_config = ConfigDict(extra="ignore")

    @classmethod
    def variables(cls) -> set[str]:
        return {field.alias or name for name, field in cls.model_fields.items()}


class Observability(Environment):
    """What Powertools reads at import (purchasing.observability): the names metrics and logs carry."""

    service_name: str = Field(alias="POWERTOOLS_SERVICE_NAME", min_length=1)
    metrics_namespace: str = Field(alias="POWERTOOLS_METRICS_NAMESPACE", min_length=1)
    log_level: str = Field(alias="POWERTOOLS_LOG_LEVEL", min_length=1)


class Table(Environment):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)


class Cors(Environment):
    """The template's AllowedOrigins (purchasing.api.cors): empty lets no other origin read an answer."""

    allowed_origins: str = Field(alias="ALLOWED_ORIGINS")


class Links(Environment):
    """The base of every link; empty on the API's functions: they build the API's own URL."""

    api_base_url: str = Field(alias="API_BASE_URL")

    @field_validator("api_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


class Documents(Environment):
    documents_bucket: str = Field(alias="DOCUMENTS_BUCKET", min_length=1)


class LinkSecret(Environment):
    approval_link_secret_arn: str = Field(alias="APPROVAL_LINK_SECRET_ARN", min_length=1)


class Events(Environment):
    events_topic_arn: str = Field(alias="EVENTS_TOPIC_ARN", min_length=1)


class Approvals(Environment):
    approvals_topic_arn: str = Field(alias="APPROVALS_TOPIC_ARN", min_length=1)
    approval_state_machine_arn: str = Field(alias="APPROVAL_STATE_MACHINE_ARN", min_length=1)


class SupplierMessages(Environment):
    supplier_topic_arn: str = Field(alias="SUPPLIER_TOPIC_ARN", min_length=1)


class UserPool(Environment):
    user_pool_id: str = Field(alias="USER_POOL_ID", min_length=1)


class Mail(Environment):
    sender_email: str = Field(alias="SENDER_EMAIL", min_length=1)
    ses_configuration_set: str = Field(alias="SES_CONFIGURATION_SET", min_length=1)


# What every function behind the API reads: Powertools' names, the table, CORS and the links' base.
API_FUNCTION: tuple[type[Environment], ...] = (Observability, Table, Cors, Links)

Part = TypeVar("Part", bound=Environment)


class MissingConfiguration(RuntimeError):
    """The function's environment lacks (or has an empty) variable one of its parts needs."""


@cache
def get(part: type[Part]) -> Part:
    """The part, parsed from the environment once per function (its own copy of this layer)."""
    try:
        return part.model_validate(os.environ)
    except ValidationError as error:
        raise MissingConfiguration(_message([error])) from None


def load(*parts: type[Environment]) -> tuple[type[Environment], ...]:
    """Parse every part now (at cold start): one error naming every variable that is wrong."""
    errors = []
    for part in parts:
        try:
            part.model_validate(os.environ)
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise MissingConfiguration(_message(errors))
    return parts


def _message(errors: list[ValidationError]) -> str:
    missing = sorted({str(e["loc"][0]) for error in errors for e in error.errors() if e["type"] == "missing"})
    wrong = sorted({str(e["loc"][0]) for error in errors for e in error.errors() if e["type"] != "missing"})
    said = [f"missing {', '.join(missing)}"] if missing else []
    said += [f"empty or invalid {', '.join(wrong)}"] if wrong else []
    return f"the function's environment (template.yaml Environment) is incomplete: {'; '.join(said)}"


def region() -> str:
    """The function's region: Lambda sets AWS_REGION (AWS_DEFAULT_REGION where it does not)."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
