"""SES on the local cloud: the template's configuration set and its event destination in moto, the
sending identity verified from the template's `SesIdentity` parameter (as an operator verifies it
in AWS: moto then refuses any other sender, as SES does), and what moto's SES received.

moto's SES v2 SendEmail keeps the raw message but drops the configuration set and the tags, and
accepts a configuration set that does not exist. `apply` wraps it so that, as in AWS, an unknown
configuration set is refused (NotFoundException), and the set and tags of each accepted message
are kept beside it (`sent_details`) for the outbox and for the events SES would publish.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
import threading
from typing import Any

from moto.ses.models import RawMessage, ses_backends
from moto.sesv2.responses import SESV2Response

from local import template

_lock = threading.Lock()
_details: dict[str, dict[str, Any]] = {}  # SES message id -> {"configurationSet", "tags"}
_applied = False


def apply() -> None:
    """Wrap moto's SES v2 SendEmail (once per process)."""
    global _applied
    with _lock:
        if _applied:
            return
        original = SESV2Response.send_email

        def send_email(self: SESV2Response) -> str:
            params = json.loads(self.body)
            name = params.get("ConfigurationSetName")
            if name and name not in ses_backends[self.current_account][self.region].config_sets:
                from moto.ses.exceptions import NotFoundException

                raise NotFoundException(f"Configuration set <{name}> does not exist.")
            answer = original(self)
            message_id = json.loads(answer)["MessageId"]
            tags = {str(tag["Name"]): str(tag["Value"]) for tag in params.get("EmailTags") or []}
            with _lock:
                _details[message_id] = {"configurationSet": name, "tags": tags}
            return answer

        SESV2Response.send_email = send_email  # type: ignore[method-assign]
        _applied = True


def sent_details(message_id: str) -> dict[str, Any]:
    with _lock:
        return dict(_details.get(message_id) or {})


def sent_messages() -> list[Any]:
    """What moto's SES accepted, oldest first (in this process's moto)."""
    return list(ses_backends[template.ACCOUNT][template.REGION].sent_messages)


def identity() -> str:
    return str(template.resolve({"Ref": "SesIdentity"}, {}))


def create_configuration_set(aws: Any, logical_id: str, props: dict[str, Any], names: dict[str, str]) -> Any:
    """The configuration set; and the stack's sending identity, verified (out of band in AWS)."""
    from local.cloud import Created, physical_name

    apply()
    resolved = template.resolve(props, names)
    name = str(resolved.get("Name") or physical_name(logical_id))
    sesv2 = aws.client("sesv2")
    sesv2.create_configuration_set(ConfigurationSetName=name)
    sesv2.create_email_identity(EmailIdentity=identity())
    return Created(ref=name, attributes={})


def create_event_destination(aws: Any, logical_id: str, props: dict[str, Any], names: dict[str, str]) -> Any:
    """moto's SES v2 has no event destinations: its SES v1 API keeps them (read by `destination`)."""
    from local.cloud import Created

    resolved = template.resolve(props, names)
    declared = resolved["EventDestination"]
    destination: dict[str, Any] = {
        "Name": str(declared["Name"]),
        "Enabled": declared.get("Enabled") in (True, "true"),
        "MatchingEventTypes": [str(kind) for kind in declared.get("MatchingEventTypes") or []],
    }
    if "SnsDestination" in declared:
        destination["SNSDestination"] = {"TopicARN": str(declared["SnsDestination"]["TopicARN"])}
    aws.client("ses").create_configuration_set_event_destination(
        ConfigurationSetName=str(resolved["ConfigurationSetName"]), EventDestination=destination
    )
    return Created(ref=f"{resolved['ConfigurationSetName']}|{destination['Name']}")


def destination(configuration_set: str) -> dict[str, Any] | None:
    backend = ses_backends[template.ACCOUNT][template.REGION]
    found = backend.config_set_event_destination.get(configuration_set)
    return dict(found) if found else None


def _address(value: str) -> str:
    return email.utils.parseaddr(value)[1] or value


def as_email(message: RawMessage, at: str) -> dict[str, Any]:
    """A message moto's SES accepted, as the outbox keeps it: both parts, the tags."""
    parsed = email.message_from_string(message.raw_data, policy=email.policy.default)
    parts: dict[str, str] = {}
    for part in parsed.walk():
        kind = part.get_content_type()
        if kind in ("text/plain", "text/html") and kind not in parts:
            parts[kind] = str(part.get_content())
    details = sent_details(message.id)
    tags = details.get("tags") or {}
    return {
        "id": message.id,
        "at": at,
        "from": message.source,
        "to": ", ".join(dict.fromkeys(_address(item) for item in message.destinations)),
        "subject": str(parsed.get("Subject") or ""),
        "text": parts.get("text/plain", ""),
        "html": parts.get("text/html", ""),
        "configurationSet": details.get("configurationSet"),
        "tags": tags,
    }


# --- the events SES would publish ----------------------------------------------------------------

SIMULATOR = "simulator.amazonses.com"  # SES's mailbox simulator: bounce@..., complaint@..., success@...


def outcome(recipient: str) -> str:
    """What becomes of an email locally: it lands in the outbox (Delivery), unless it is addressed
    to SES's mailbox simulator's bounce or complaint address, as in AWS."""
    local_part, _, domain = _address(recipient).lower().partition("@")
    if domain == SIMULATOR:
        kind = local_part.split("+", 1)[0]
        return {"bounce": "Bounce", "complaint": "Complaint"}.get(kind, "Delivery")
    return "Delivery"


def event(sent: dict[str, Any], recipient: str, at: str) -> dict[str, Any]:
    """The event SES publishes to a configuration set's SNS destination (event publishing format)."""
    kind = outcome(recipient)
    mail = {
        "timestamp": sent["at"],
        "messageId": sent["id"],
        "source": sent["from"],
        "destination": [recipient],
        "tags": {key: [value] for key, value in (sent.get("tags") or {}).items()},
    }
    found: dict[str, Any] = {"eventType": kind, "mail": mail}
    if kind == "Bounce":
        found["bounce"] = {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": recipient,
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": at,
        }
    elif kind == "Complaint":
        found["complaint"] = {"complainedRecipients": [{"emailAddress": recipient}], "timestamp": at}
    else:
        found["delivery"] = {
            "timestamp": at,
            "recipients": [recipient],
            "smtpResponse": "250 2.0.0 OK (local outbox)",
        }
    return found


def publish_events(sns: Any, sent: dict[str, Any], at: str) -> int:
    """Publish what SES would about an email it accepted, to its configuration set's enabled SNS
    event destination, for the event types it matches; how many were published."""
    found = destination(str(sent.get("configurationSet") or ""))
    topic = ((found or {}).get("SNSDestination") or {}).get("TopicARN")
    if not found or not found.get("Enabled") or not topic:
        return 0
    matching = {str(kind).lower() for kind in found.get("MatchingEventTypes") or []}
    published = 0
    for recipient in str(sent["to"]).split(", "):
        news = event(sent, recipient, at)
        if news["eventType"].lower() in matching:
            sns.publish(TopicArn=topic, Message=json.dumps(news))
            published += 1
    return published
