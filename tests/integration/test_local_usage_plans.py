"""The local gateway asks for API keys and throttles as API Gateway does: the template's usage plan
and keys made in the embedded moto, each key on its own token bucket, the stage's throttle over all,
and `make api-key` giving a client a key of its own (issue 12, point 3: per-client throttling).

The buckets run on a clock the test moves, so no assertion depends on how fast the machine is."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local import api_key, cloud, gateway, persistence, repair, template, usage_plans
from tests.integration.test_local_cloud import VERIFIER as verifier
from tests.integration.test_local_cloud import Recorder, bearer, problem_of, request


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def local_aws(moto_server: cloud.Moto) -> Iterator[cloud.Resources]:
    """The template's resources in the embedded moto: its usage plan, the console's key in it."""
    yield cloud.create_resources(moto_server)


def moto_gateway(
    resources: cloud.Resources, clock: Clock, recorder: Recorder | None = None
) -> gateway.Gateway:
    stage = resources.names["PurchaseOrdersApi.Stage"]
    return gateway.Gateway(
        recorder or Recorder(),
        gateway.Router.from_template(),
        verifier.authorize,
        api_keys=usage_plans.moto_keys(cloud.API_ID, stage),
        clock=clock,
    )


def console_key(moto: cloud.Moto, resources: cloud.Resources) -> str:
    found = moto.client("apigateway").get_api_key(apiKey=resources.refs["ConsoleApiKey"], includeValue=True)
    return str(found["value"])


def get_pos(key: str) -> gateway.Request:
    return request("GET", "/pos", Authorization=bearer(), x_api_key=key)


def test_a_token_route_needs_a_key_of_the_stage_usage_plan(
    moto_server: cloud.Moto, local_aws: cloud.Resources
) -> None:
    recorder = Recorder()
    api = moto_gateway(local_aws, Clock(), recorder)
    apigateway = moto_server.client("apigateway")
    disabled = apigateway.create_api_key(name="disabled", enabled=False)
    outside = apigateway.create_api_key(name="in-no-plan", enabled=True)
    apigateway.create_usage_plan_key(
        usagePlanId=local_aws.refs["ClientUsagePlan"], keyId=disabled["id"], keyType="API_KEY"
    )
    other_stage = apigateway.create_usage_plan(
        name="other", apiStages=[{"apiId": cloud.API_ID, "stage": "prod"}]
    )
    elsewhere = apigateway.create_api_key(name="other-stage", enabled=True)
    apigateway.create_usage_plan_key(usagePlanId=other_stage["id"], keyId=elsewhere["id"], keyType="API_KEY")

    missing = api.handle(request("GET", "/pos", Authorization=bearer(), Origin="http://localhost:3000"))
    refused = [
        api.handle(get_pos(key)) for key in ("nope", disabled["value"], outside["value"], elsewhere["value"])
    ]
    served = api.handle(get_pos(console_key(moto_server, local_aws)))

    assert missing.status == 403 and problem_of(missing)["type"] == "/problems/invalid-api-key"
    assert missing.header("Access-Control-Allow-Origin") == "http://localhost:3000"  # the browser reads it
    assert [reply.status for reply in refused] == [403] * 4
    assert served.status == 200
    assert len(recorder.events) == 1  # no refused request reached the function


def test_the_authorizer_answers_before_the_key_is_looked_at(local_aws: cloud.Resources) -> None:
    api = moto_gateway(local_aws, Clock())

    reply = api.handle(request("GET", "/pos", x_api_key="nope"))

    assert reply.status == 401 and problem_of(reply)["type"] == "/problems/unauthorized"


def test_link_routes_and_preflights_need_no_key(local_aws: cloud.Resources) -> None:
    recorder = Recorder()
    api = moto_gateway(local_aws, Clock(), recorder)
    without_key: dict[str, Any] = {"x_api_key": ""}

    links = [
        api.handle(request(route.method, route.path.replace("{token}", "t0k3n"), **without_key))
        for route in template.routes()
        if template.route_authorizer(route) is None
    ]
    preflight = api.handle(
        request(
            "OPTIONS",
            "/pos",
            Origin="http://localhost:3000",
            Access_Control_Request_Method="GET",
            **without_key,
        )
    )

    assert len(links) == 5 and all(reply.status == 200 for reply in links)
    assert len(recorder.events) == 5
    assert preflight.status == 200
    assert "x-api-key" in (preflight.header("Access-Control-Allow-Headers") or "").lower().split(",")


def test_each_key_is_throttled_on_its_own_at_its_plan_rate_and_burst(
    moto_server: cloud.Moto, local_aws: cloud.Resources
) -> None:
    clock = Clock()
    api = moto_gateway(local_aws, clock)
    plan = moto_server.client("apigateway").get_usage_plan(usagePlanId=local_aws.refs["ClientUsagePlan"])
    burst, rate = plan["throttle"]["burstLimit"], plan["throttle"]["rateLimit"]
    assert (burst, rate) == (40, 20.0)  # the template's defaults (ClientThrottling*)
    busy = console_key(moto_server, local_aws)
    other = json.loads(_make_api_key(moto_server, local_aws, "other-client"))["value"]

    first = [api.handle(get_pos(busy)).status for _ in range(burst)]
    throttled = api.handle(get_pos(busy))
    others = api.handle(get_pos(other))
    clock.now += 1.0  # a second's refill: `rate` requests
    again = [api.handle(get_pos(busy)).status for _ in range(int(rate))]
    then = api.handle(get_pos(busy))

    assert first == [200] * burst
    assert throttled.status == 429 and problem_of(throttled)["type"] == "/problems/throttled"
    assert others.status == 200  # one client's burst does not hold another up
    assert again == [200] * int(rate) and then.status == 429


def test_the_stage_throttle_holds_every_request_keyed_or_not(
    monkeypatch: pytest.MonkeyPatch, moto_server: cloud.Moto, local_aws: cloud.Resources
) -> None:
    # the operator's overrides of the stage's MethodSettings throttle (sam deploy --parameter-overrides)
    monkeypatch.setitem(template.LOCAL_PARAMETERS, "ApiThrottlingRateLimit", "1")
    monkeypatch.setitem(template.LOCAL_PARAMETERS, "ApiThrottlingBurstLimit", "3")
    clock = Clock()
    api = moto_gateway(local_aws, clock)
    key = console_key(moto_server, local_aws)

    served = [
        api.handle(get_pos(key)),
        api.handle(request("GET", "/approvals/t0k3n")),
        api.handle(get_pos(key)),
    ]
    link = api.handle(request("GET", "/supplier/t0k3n"))
    keyed = api.handle(get_pos(key))
    preflight = api.handle(request("OPTIONS", "/pos", Origin="http://localhost:3000"))
    clock.now += 1.0
    later = api.handle(request("GET", "/supplier/t0k3n"))

    assert api.stage_throttle == usage_plans.Throttle(rate=1.0, burst=3)
    assert [reply.status for reply in served] == [200, 200, 200]
    assert (link.status, keyed.status, preflight.status) == (429, 429, 429)
    assert problem_of(link)["type"] == "/problems/throttled"
    assert later.status == 200


def _make_api_key(moto: cloud.Moto, resources: cloud.Resources, client: str) -> str:
    """`make api-key`'s module against a gateway serving this moto, as against `make dev`."""
    api = gateway.Gateway(
        Recorder(),
        gateway.Router.from_template(),
        verifier.authorize,
        aws={"endpoint": moto.endpoint, "names": resources.names},
    )
    server = gateway.serve(api, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        return json.dumps(api_key.create(repair.local_target(f"http://{host!s}:{port}"), client))
    finally:
        server.shutdown()
        server.server_close()


def test_make_api_key_gives_a_client_a_working_key_once(
    moto_server: cloud.Moto, local_aws: cloud.Resources, capsys: pytest.CaptureFixture[str]
) -> None:
    api = moto_gateway(local_aws, Clock())
    before = api.handle(get_pos("x" * 40))

    made = json.loads(_make_api_key(moto_server, local_aws, "acme-erp"))
    with pytest.raises(SystemExit, match="has a key in the usage plan already"):
        _make_api_key(moto_server, local_aws, "acme-erp")

    assert before.status == 403
    assert made["client"] == "acme-erp" and made["usagePlanId"] == local_aws.refs["ClientUsagePlan"]
    assert api.handle(get_pos(made["value"])).status == 200
    key = moto_server.client("apigateway").get_api_key(apiKey=made["id"])
    assert (key["name"], key["enabled"]) == ("acme-erp", True)
    with pytest.raises(SystemExit):
        api_key.main(["--client", "not a name"])
    assert "1-64 letters" in capsys.readouterr().err


def test_every_key_and_its_plan_survive_a_restart(
    moto_server: cloud.Moto, local_aws: cloud.Resources, tmp_path: Path
) -> None:
    console = console_key(moto_server, local_aws)
    client = json.loads(_make_api_key(moto_server, local_aws, "acme-erp"))["value"]
    persistence.save(moto_server, local_aws, tmp_path / "aws")

    cloud._moto_api(moto_server.endpoint, "reset")  # a new start: an empty AWS, the template made again
    again = cloud.create_resources(moto_server)
    fresh = console_key(moto_server, again)
    persistence.restore(moto_server, again, tmp_path / "aws")
    api = moto_gateway(again, Clock())

    assert fresh != console  # what a start without the saved state would give the console
    assert console_key(moto_server, again) == console
    assert [api.handle(get_pos(key)).status for key in (console, client, fresh)] == [200, 200, 403]
