"""PO documents over HTTP: a presigned POST to upload one, a short-lived link to download it once
the ingest has accepted it."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from purchasing import po_document_service
from purchasing.api.http import WRITERS, Api, PoId, caller, ok
from purchasing.api.upload_schemas import UploadDocumentRequest
from purchasing.document_service import DownloadLink, Upload
from purchasing.observability import logger, metrics, tracer

app = Api()

DocumentId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="the document's id")]


@app.post(
    "/pos/<poId>/documents",
    responses=ok(201, Upload, 404),
    tags=["Documents"],
    summary="A presigned POST to upload a PO document",
)
def request_upload(poId: PoId, body: UploadDocumentRequest) -> Response[Upload]:
    upload = po_document_service.request_upload(caller(app, *WRITERS), poId, body)
    return Response(status_code=201, body=upload, content_type="application/json")


@app.get(
    "/pos/<poId>/documents/<documentId>",
    responses=ok(200, DownloadLink, 404, 409),
    tags=["Documents"],
    summary="A short-lived download link for an accepted document",
)
def get_document(poId: PoId, documentId: DocumentId) -> DownloadLink:
    return po_document_service.download_link(caller(app), poId, documentId)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
