"""Domain exceptions. Each carries the HTTP status it maps to; the API edge renders them once."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    title = "Bad request"
    type = "bad-request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class Unauthenticated(DomainError):
    status, title, type = 401, "Unauthorized", "unauthorized"


class Forbidden(DomainError):
    status, title, type = 403, "Forbidden", "forbidden"


class FeatureNotEnabled(DomainError):
    """A feature the org's registry entry does not switch on (customer POs)."""

    status, title, type = 403, "Feature not enabled", "feature-not-enabled"


class NotFound(DomainError):
    status, title, type = 404, "Not found", "not-found"


class PoNotEditable(DomainError):
    status, title, type = 409, "Not editable in this status", "not-editable"


class InvalidTransition(DomainError):
    """The step asked for does not apply in the current status: ordering a PO that is not APPROVED,
    receiving or canceling a line that is not open, an order's status change it cannot make."""

    status, title, type = 409, "Not allowed in this status", "invalid-transition"


class LimitReached(DomainError):
    """A count limit of the resource (a PO's lines) is reached."""

    status, title, type = 409, "Limit reached", "limit-reached"


class UserExists(DomainError):
    status, title, type = 409, "User exists", "user-exists"


class OverReceipt(DomainError):
    status, title, type = 409, "More than ordered", "over-receipt"


class DuplicatePoNumber(DomainError):
    status, title, type = 409, "Duplicate PO number", "duplicate-po-number"


class ConcurrentUpdate(DomainError):
    status, title, type = 409, "Concurrent update", "concurrent-update"


class NotReady(DomainError):
    """The thing exists but is not in a state that allows this yet (a document still pending)."""

    status, title, type = 409, "Not ready", "not-ready"


class PdfFailed(DomainError):
    """The PO's PDF could not be made; the supplier was not sent it."""

    status, title, type = 409, "PDF failed", "pdf-failed"


class StateConflict(DomainError):
    """Refused in the resource's current status (an order not yet processing, a blanket PO
    past its end date or cap)."""

    status, title, type = 409, "Conflict with the current state", "state-conflict"


class BlanketPoEnded(StateConflict):
    status, title, type = 409, "Blanket PO ended", "blanket-po-ended"


class BlanketPoCapExceeded(StateConflict):
    status, title, type = 409, "Blanket PO cap exceeded", "blanket-po-cap-exceeded"


class NoApprover(StateConflict):
    """An approval level of the policy has no one to ask (nor anyone to escalate to)."""

    status, title, type = 409, "No approver", "no-approver"


class SelfLockout(StateConflict):
    """An admin may not take away their own admin role or account."""

    status, title, type = 409, "Cannot lock yourself out", "self-lockout"


class VersionMismatch(DomainError):
    status, title, type = 412, "Version mismatch", "version-mismatch"


class TooLarge(DomainError):
    status, title, type = 413, "Too large", "too-large"


class BadRequest(DomainError):
    status, title, type = 400, "Bad request", "bad-request"


class InvalidCursor(DomainError):
    status, title, type = 400, "Invalid cursor", "invalid-cursor"


class InvalidRequest(DomainError):
    status, title, type = 422, "Invalid request", "validation"
