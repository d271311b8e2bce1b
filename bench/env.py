"""The environment a handler module needs before it is imported (Powertools reads it at import)."""

from __future__ import annotations

import os

TABLE_NAME = "purchase-orders-bench"
TOPIC_NAME = "po-events-bench"
TOPIC_ARN = f"arn:aws:sns:us-east-1:123456789012:{TOPIC_NAME}"  # moto's default account
APPROVALS_TOPIC_NAME = "po-approvals-bench"
APPROVALS_TOPIC_ARN = f"arn:aws:sns:us-east-1:123456789012:{APPROVALS_TOPIC_NAME}"
STATE_MACHINE_NAME = "approval-bench"
STATE_MACHINE_ARN = f"arn:aws:states:us-east-1:123456789012:stateMachine:{STATE_MACHINE_NAME}"
LINK_SECRET_NAME = "approval-link-bench"  # a Secrets Manager secret, by name
LINK_SECRET = "bench-link-secret-" + "x" * 40
API_BASE_URL = "https://api.example.com/bench"  # where the emailed approval links point
DOCUMENTS_BUCKET = "documents-bench"
SUPPLIER_TOPIC_NAME = "po-suppliers-bench"
SUPPLIER_TOPIC_ARN = f"arn:aws:sns:us-east-1:123456789012:{SUPPLIER_TOPIC_NAME}"

ENV: dict[str, str] = {
    "TABLE_NAME": TABLE_NAME,
    "EVENTS_TOPIC_ARN": TOPIC_ARN,
    "APPROVALS_TOPIC_ARN": APPROVALS_TOPIC_ARN,
    "APPROVAL_STATE_MACHINE_ARN": STATE_MACHINE_ARN,
    "APPROVAL_LINK_SECRET_ARN": LINK_SECRET_NAME,
    "API_BASE_URL": API_BASE_URL,
    "DOCUMENTS_BUCKET": DOCUMENTS_BUCKET,
    "SUPPLIER_TOPIC_ARN": SUPPLIER_TOPIC_ARN,
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_SERVICE_NAME": "purchase-orders",
    "POWERTOOLS_METRICS_NAMESPACE": "PurchaseOrders",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "ERROR",  # the ingest warns of every quarantined upload it is fed
}


_outside: dict[str, str] | None = None  # the environment as it was before the first configure()


def configure() -> None:
    """Fake credentials and quiet Powertools for this process; call before importing app code."""
    global _outside
    if _outside is None:
        _outside = dict(os.environ)
    os.environ.update(ENV)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)


def for_function(template_env: dict[str, str]) -> dict[str, str]:
    """A child process's environment: ours, the function's own from the template, then the bench's."""
    return {**os.environ, **template_env, **ENV}


def outside() -> dict[str, str]:
    """The environment this process was started with (before configure() and the handlers' own):
    for a program of the project run as a child, e.g. the local cloud, as `make` would run it."""
    return dict(os.environ if _outside is None else _outside)
