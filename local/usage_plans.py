"""API keys, usage plans and throttling, as API Gateway applies them to the local gateway's stage.

A route that requires an API key (`ApiKeyRequired`) is served only to a request whose `x-api-key`
is the value of an enabled key in a usage plan of this API's stage; the key's requests are then
throttled by its plan's rate and burst, each key on its own bucket, and every request (keyed or not)
by the stage's `MethodSettings` throttle. API Gateway's throttles are token buckets: a bucket holds
up to `burst` requests and refills at `rate` a second; a request that finds it empty gets 429.

The keys and plans live in the embedded AWS (moto's API Gateway), where the template's
`AWS::ApiGateway::ApiKey`, `UsagePlan` and `UsagePlanKey` were created, and where `make api-key`
(`local.api_key`) adds a client's key, as it does in a deployed stack.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local import template


@dataclass(frozen=True)
class Throttle:
    rate: float  # requests a second, steady
    burst: int  # requests at once, above the rate


@dataclass(frozen=True)
class ClientKey:
    """A valid API key for this stage: its id and its usage plan's throttle (None: the plan sets none)."""

    id: str
    throttle: Throttle | None


class _Bucket:
    def __init__(self, throttle: Throttle, now: float) -> None:
        self.throttle = throttle
        self.tokens = float(throttle.burst)
        self.updated = now

    def take(self, now: float) -> bool:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.throttle.burst), self.tokens + elapsed * self.throttle.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Buckets:
    """A token bucket per name (a key's id, or the stage), made full when first used or when its
    throttle changes (a plan updated)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, name: str, throttle: Throttle) -> bool:
        with self._lock:
            now = self.clock()
            bucket = self._buckets.get(name)
            if bucket is None or bucket.throttle != throttle:
                bucket = self._buckets[name] = _Bucket(throttle, now)
            return bucket.take(now)


def stage_throttle() -> Throttle | None:
    """The throttle the API's `MethodSettings` set for every method of the stage (`/*`, `*`)."""
    for api in template.resources("AWS::Serverless::Api").values():
        for setting in api.get("MethodSettings") or []:
            if setting.get("ResourcePath") == "/*" and setting.get("HttpMethod") == "*":
                if "ThrottlingRateLimit" in setting and "ThrottlingBurstLimit" in setting:
                    return Throttle(
                        rate=float(template.resolve(setting["ThrottlingRateLimit"], {})),
                        burst=int(template.resolve(setting["ThrottlingBurstLimit"], {})),
                    )
    return None


def _throttle(declared: dict[str, Any]) -> Throttle | None:
    if "rateLimit" not in declared or "burstLimit" not in declared:
        return None
    return Throttle(rate=float(declared["rateLimit"]), burst=int(declared["burstLimit"]))


def moto_keys(api_id: str, stage: str) -> Callable[[str], ClientKey | None]:
    """Looks a key value up in the embedded AWS's API Gateway, as API Gateway does on each request:
    an enabled key, in a usage plan that lists this API's stage."""
    from moto.apigateway.models import apigateway_backends

    def lookup(value: str) -> ClientKey | None:
        backend = apigateway_backends[template.ACCOUNT][template.REGION]
        key = next((key for key in list(backend.keys.values()) if key.value == value), None)
        if key is None or not key.enabled:
            return None
        for plan_id, members in list(backend.usage_plan_keys.items()):
            plan = backend.usage_plans.get(plan_id)
            if (
                plan is not None
                and key.id in members
                and {"apiId": api_id, "stage": stage} in plan.api_stages
            ):
                return ClientKey(key.id, _throttle(plan.throttle))
        return None

    return lookup
