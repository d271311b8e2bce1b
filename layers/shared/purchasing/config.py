"""The environment, as a typed model parsed once."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    table_name: str = Field(min_length=1)
    region: str = "us-east-1"
    idempotency_ttl_seconds: int = 3600
    events_topic_arn: str = ""
    approvals_topic_arn: str = ""
    approval_state_machine_arn: str = ""
    approval_link_secret_arn: str = ""
    api_base_url: str = ""
    documents_bucket: str = ""
    supplier_topic_arn: str = ""
    user_pool_id: str = ""
    allowed_origins: str = ""  # CORS: the template's AllowedOrigins (purchasing.api.cors)
    sender_email: str = ""
    ses_configuration_set: str = ""


@cache
def settings() -> Settings:
    return Settings(
        table_name=os.environ.get("TABLE_NAME", ""),
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        events_topic_arn=os.environ.get("EVENTS_TOPIC_ARN", ""),
        approvals_topic_arn=os.environ.get("APPROVALS_TOPIC_ARN", ""),
        approval_state_machine_arn=os.environ.get("APPROVAL_STATE_MACHINE_ARN", ""),
        approval_link_secret_arn=os.environ.get("APPROVAL_LINK_SECRET_ARN", ""),
        api_base_url=os.environ.get("API_BASE_URL", "").rstrip("/"),
        documents_bucket=os.environ.get("DOCUMENTS_BUCKET", ""),
        supplier_topic_arn=os.environ.get("SUPPLIER_TOPIC_ARN", ""),
        user_pool_id=os.environ.get("USER_POOL_ID", ""),
        allowed_origins=os.environ.get("ALLOWED_ORIGINS", ""),
        sender_email=os.environ.get("SENDER_EMAIL", ""),
        ses_configuration_set=os.environ.get("SES_CONFIGURATION_SET", ""),
    )
