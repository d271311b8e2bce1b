"""The environment a handler module needs before it is imported (Powertools reads it at import)."""

from __future__ import annotations

import os

TABLE_NAME = "purchase-orders-bench"
TOPIC_NAME = "po-events-bench"
TOPIC_ARN = f"arn:aws:sns:us-east-1:123456789012:{TOPIC_NAME}"  # moto's default account

ENV: dict[str, str] = {
    "TABLE_NAME": TABLE_NAME,
    "EVENTS_TOPIC_ARN": TOPIC_ARN,
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_SERVICE_NAME": "purchase-orders",
    "POWERTOOLS_METRICS_NAMESPACE": "PurchaseOrders",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


def configure() -> None:
    """Fake credentials and quiet Powertools for this process; call before importing app code."""
    os.environ.update(ENV)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)


def for_function(template_env: dict[str, str]) -> dict[str, str]:
    """A child process's environment: ours, the function's own from the template, then the bench's."""
    return {**os.environ, **template_env, **ENV}
