"""PO documents over HTTP: a presigned POST to upload one, a short-lived link to download it once
the ingest has accepted it."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from purchasing import config
from purchasing.api.http import WRITERS, Api, IdempotencyKey, PoId, caller, ok
from purchasing.data.idempotency import CONFIG as IDEMPOTENCY_CONFIG
from purchasing.data.idempotency import create_once
from purchasing.domain.inputs.uploads import UploadDocumentRequest
from purchasing.observability import logger, metrics, tracer
from purchasing.services import po_document_service
from purchasing.services.document_service import DownloadLink, Upload

# What this function needs of its environment, parsed at cold start: a missing variable fails the import.
ENVIRONMENT = config.load(*config.API_FUNCTION, config.Documents)

app = Api()

DocumentId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="the document's id")]


@app.post(
    "/pos/<poId>/documents",
    responses=ok(201, Upload, 404, 409),
    tags=["Documents"],
    summary="Start uploading a document to a purchase order",
    description=(
        "Who: a buyer or an admin. Changes: records a PENDING document and returns a presigned "
        "POST; the document is accepted once the file arrives. Statuses: any but CANCELED (409)."
    ),
)
def request_upload(
    poId: PoId, body: UploadDocumentRequest, idempotency_key: IdempotencyKey = None
) -> Response[Upload]:
    principal = caller(app, *WRITERS)
    create = lambda: po_document_service.request_upload(principal, poId, body)  # noqa: E731
    request = {"poId": poId, "body": body.model_dump(mode="json")}
    upload = create_once(
        principal.org_id, idempotency_key, "POST /pos/{poId}/documents", request, create, Upload
    )
    return Response(status_code=201, body=upload, content_type="application/json")


@app.get(
    "/pos/<poId>/documents/<documentId>",
    responses=ok(200, DownloadLink, 404, 409),
    tags=["Documents"],
    summary="Get a download link for a purchase order's document",
    description=(
        "Who: any member of the org (buyer, approver or admin). Changes: nothing. Statuses: any "
        "PO; the document must be accepted (409 while pending)."
    ),
)
def get_document(poId: PoId, documentId: DocumentId) -> DownloadLink:
    return po_document_service.download_link(caller(app), poId, documentId)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    IDEMPOTENCY_CONFIG.register_lambda_context(context)
    return app.resolve(event, context)
