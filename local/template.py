"""template.yaml, read for running it locally: the single source of resources, routes and env.

The local cloud, the integration tests and the benchmarks all build what they need from here,
so none of them can drift from what `sam deploy` creates.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
ACCOUNT = "123456789012"
REGION = "us-east-1"


def _overrides(text: str) -> dict[str, str]:
    """`Name=value Name=value`, as `sam deploy --parameter-overrides` takes them."""
    return dict(item.split("=", 1) for item in text.split() if "=" in item)


# The local stack's parameter overrides, as `sam deploy --parameter-overrides` sets a stack's; an
# operator adds their own with LOCAL_PARAMETER_OVERRIDES="Name=value ..." (a load test's throttles).
LOCAL_PARAMETERS = {
    # `make token` signs in with the user's password (USER_PASSWORD_AUTH); production keeps SRP only
    "PasswordSignIn": "true",
    # browsers on this machine: the local cloud's own pages and any http://localhost:<port>
    "AllowedOrigins": "http://127.0.0.1:*,http://localhost:*",
    "SenderEmail": "purchase-orders@local.test",
    "SesIdentity": "local.test",
    **_overrides(os.environ.get("LOCAL_PARAMETER_OVERRIDES", "")),
}


@cache
def load() -> dict[str, Any]:
    return dict(cfn_yaml.load(str(TEMPLATE)))


def resources(resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical id -> properties, for every resource of one type."""
    return {
        name: dict(resource.get("Properties") or {})
        for name, resource in load()["Resources"].items()
        if resource["Type"] == resource_type
    }


def table_definition(logical_id: str, table_name: str) -> dict[str, Any]:
    """CreateTable arguments from the template's own table properties."""
    props = resources("AWS::DynamoDB::Table")[logical_id]
    definition: dict[str, Any] = {"TableName": table_name}
    for key in (
        "AttributeDefinitions",
        "KeySchema",
        "GlobalSecondaryIndexes",
        "BillingMode",
        "SSESpecification",
    ):
        if key in props:
            definition[key] = _plain(props[key])
    if "StreamSpecification" in props:
        definition["StreamSpecification"] = {"StreamEnabled": True, **_plain(props["StreamSpecification"])}
    if "SSESpecification" in definition:  # CloudFormation says SSEEnabled where the API says Enabled
        sse = definition["SSESpecification"]
        definition["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled"))}
    return definition


def ttl_attribute(logical_id: str) -> str | None:
    spec = resources("AWS::DynamoDB::Table")[logical_id].get("TimeToLiveSpecification") or {}
    return str(spec["AttributeName"]) if spec.get("Enabled") else None


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str


@dataclass
class FunctionSpec:
    logical_id: str
    code_uri: Path
    module_file: Path
    handler_name: str
    environment: dict[str, str] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    layers: list[Path] = field(default_factory=list)  # each layer's ContentUri, in the template's order


def layers() -> dict[str, Path]:
    """Every AWS::Serverless::LayerVersion: logical id -> its ContentUri (the code and requirements)."""
    return {
        logical_id: ROOT / str(props["ContentUri"])
        for logical_id, props in resources("AWS::Serverless::LayerVersion").items()
    }


def _layer_paths(refs: list[Any]) -> list[Path]:
    """The layers a function's Layers list names (SAM appends a function's list to the Globals')."""
    known = layers()
    return [known[ref["Ref"]] for ref in refs if isinstance(ref, dict) and ref.get("Ref") in known]


def functions(physical_names: dict[str, str] | None = None) -> dict[str, FunctionSpec]:
    """Every AWS::Serverless::Function with its environment resolved against local names."""
    names = physical_names or {}
    template = load()
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    global_env = ((globals_.get("Environment") or {}).get("Variables")) or {}
    global_layers = list(globals_.get("Layers") or [])
    specs: dict[str, FunctionSpec] = {}
    for logical_id, props in resources("AWS::Serverless::Function").items():
        module, handler_name = str(props["Handler"]).rsplit(".", 1)
        code_uri = ROOT / str(props["CodeUri"])
        env = {**global_env, **(((props.get("Environment") or {}).get("Variables")) or {})}
        events = {name: dict(event) for name, event in (props.get("Events") or {}).items()}
        routes = [
            Route(
                method=str(event["Properties"]["Method"]).upper(),
                path=str(event["Properties"]["Path"]),
                function=logical_id,
            )
            for event in events.values()
            if event["Type"] == "Api"
        ]
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_uri=code_uri,
            module_file=code_uri / f"{module.replace('.', '/')}.py",
            handler_name=handler_name,
            environment={key: str(resolve(value, names)) for key, value in env.items()},
            routes=routes,
            events=events,
            layers=_layer_paths(global_layers + list(props.get("Layers") or [])),
        )
    return specs


def routes() -> list[Route]:
    return [route for spec in functions().values() for route in spec.routes]


def put_layers_on_path(spec: FunctionSpec) -> None:
    """The function's layers on sys.path, as Lambda extracts them into /opt/python. (What a function
    may import of layers it does not have is for `local.runtime` to refuse.)"""
    for layer in map(str, reversed(spec.layers)):
        if layer not in sys.path:
            sys.path.insert(0, layer)


def load_module(spec: FunctionSpec, fresh: bool = False) -> ModuleType:
    """Import a function's handler module under a name of its own (every function has an app.py);
    once, unless `fresh` (a cold start: imported again, with whatever the layer's modules are now)."""
    name = f"functions_{spec.code_uri.name}_{spec.module_file.stem}"
    if fresh:  # the local cloud's own copy, bound to its function's layer and environment: never
        name += "_cold_start"  # the module tests import in the same process
    if name in sys.modules and not fresh:
        return sys.modules[name]
    put_layers_on_path(spec)
    module_spec = importlib.util.spec_from_file_location(name, spec.module_file)
    assert module_spec and module_spec.loader
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return module


def resolve(value: Any, names: dict[str, str]) -> Any:
    """Ref, Fn::Sub, Fn::GetAtt and Fn::If against local physical names; parameters take their
    local values (`LOCAL_PARAMETERS`), else their defaults.

    `names` maps a logical id to its Ref value, and may map "<LogicalId>.<Attribute>" to the
    real value of an attribute (the local cloud's resources do); otherwise GetAtt gives a
    placeholder ARN, which is all a test without resources needs."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            return _ref(str(arg), names)
        if key == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1] if len(arg) > 1 else {})
            own = {str(name): str(resolve(item, names)) for name, item in variables.items()}
            return re.sub(
                r"\$\{([^}]+)\}", lambda m: own.get(m.group(1)) or _sub_var(m.group(1), names), text
            )
        if key == "Fn::GetAtt":
            logical, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
            if f"{logical}.{attribute}" in names:  # the real value, where the resource was created
                return names[f"{logical}.{attribute}"]
            return f"arn:aws:local:{REGION}:{ACCOUNT}:{attribute.lower()}/{_ref(str(logical), names)}"
        if key == "Fn::If":
            name, when_true, when_false = arg
            return resolve(when_true if condition(str(name)) else when_false, names)
    if isinstance(value, dict):
        return {key: resolve(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, names) for item in value]
    return value


def _ref(name: str, names: dict[str, str]) -> str:
    pseudo = {
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::StackName": "purchase-orders-local",
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    if name in pseudo:
        return pseudo[name]
    parameters = load().get("Parameters") or {}
    if name in parameters:
        return LOCAL_PARAMETERS.get(name, str(parameters[name].get("Default", "")))
    return names.get(name, name)


def condition(name: str) -> bool:
    """A template condition, evaluated against the local stack's parameters."""
    return _holds((load().get("Conditions") or {})[name])


def _holds(expression: Any) -> bool:
    ((key, arg),) = dict(expression).items()
    if key == "Fn::Equals":
        left, right = (str(resolve(item, {})) for item in arg)
        return left == right
    if key == "Fn::Not":
        return not _holds(arg[0])
    if key == "Fn::And":
        return all(_holds(item) for item in arg)
    if key == "Fn::Or":
        return any(_holds(item) for item in arg)
    if key == "Condition":
        return condition(str(arg))
    raise ValueError(f"condition function {key} not supported locally")


def _sub_var(expression: str, names: dict[str, str]) -> str:
    if "." in expression:
        return str(resolve({"Fn::GetAtt": expression.split(".", 1)}, names))
    return _ref(expression, names)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value


# --- appended for the local cloud: route authorization and function settings ---------------------


def route_authorizer(route: Route) -> str | None:
    """The authorizer API Gateway puts in front of a route, or None for a public one.

    The event's own `Auth.Authorizer` wins (`NONE` makes the route public); otherwise the
    default authorizer of its API (`RestApiId`), or of the implicit API from `Globals.Api`.
    """
    auth, api_auth = _route_auth(route)
    own = auth.get("Authorizer")
    if own is not None:
        return None if str(own) == "NONE" else str(own)
    default = api_auth.get("DefaultAuthorizer")
    return None if default in (None, "NONE") else str(default)


def route_api_key_required(route: Route) -> bool:
    """Whether API Gateway asks the route's callers for an API key (x-api-key): the event's own
    `Auth.ApiKeyRequired`, else its API's `Auth.ApiKeyRequired` (SAM's two places for it)."""
    auth, api_auth = _route_auth(route)
    required = auth.get("ApiKeyRequired", api_auth.get("ApiKeyRequired", False))
    return required is True or str(required).lower() == "true"


def _route_auth(route: Route) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `Auth` of a route's Api event, and the `Auth` of the API it belongs to (its `RestApiId`,
    or the implicit API from `Globals.Api`)."""
    for event in functions()[route.function].events.values():
        props = event.get("Properties") or {}
        if event.get("Type") != "Api" or str(props.get("Path")) != route.path:
            continue
        if str(props.get("Method", "")).upper() != route.method:
            continue
        api_ref = props.get("RestApiId")
        if isinstance(api_ref, dict) and "Ref" in api_ref:
            api = resources("AWS::Serverless::Api").get(str(api_ref["Ref"])) or {}
        else:
            api = (load().get("Globals") or {}).get("Api") or {}
        return dict(props.get("Auth") or {}), dict(api.get("Auth") or {})
    raise KeyError(f"no Api event for {route.method} {route.path} on {route.function}")


def authorizer_pool_arn() -> Any:
    """The user pool ARN (unresolved) of the API's Cognito authorizer."""
    for api in resources("AWS::Serverless::Api").values():
        for authorizer in ((api.get("Auth") or {}).get("Authorizers") or {}).values():
            if "UserPoolArn" in authorizer:
                return authorizer["UserPoolArn"]
    raise KeyError("no Cognito authorizer in the template")


def function_setting(logical_id: str, key: str, default: Any = None) -> Any:
    """A function property as deployed: its own value, else `Globals.Function`'s, else default."""
    props = resources("AWS::Serverless::Function")[logical_id]
    if key in props:
        return props[key]
    return ((load().get("Globals") or {}).get("Function") or {}).get(key, default)


# --- appended for the approval workflow: state machines and their definitions -------------------


def state_machines() -> dict[str, dict[str, Any]]:
    """Logical id -> properties, for every AWS::Serverless::StateMachine."""
    return resources("AWS::Serverless::StateMachine")


def state_machine_definition(logical_id: str, physical_names: dict[str, str]) -> str:
    """The ASL text a state machine deploys: its DefinitionUri file with `${Name}` replaced from
    its DefinitionSubstitutions, resolved against local physical names (as Step Functions does).

    A `${Name}` the substitutions do not define is an error here, where it would be one on deploy.
    """
    props = state_machines()[logical_id]
    text = (ROOT / str(props["DefinitionUri"])).read_text(encoding="utf-8")
    substitutions = {
        str(name): str(resolve(value, physical_names))
        for name, value in (props.get("DefinitionSubstitutions") or {}).items()
    }

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in substitutions:
            raise KeyError(f"{logical_id}: ${{{name}}} is not in DefinitionSubstitutions")
        return substitutions[name]

    return re.sub(r"\$\{([^}]+)\}", substitute, text)


# --- appended for checks on what CloudFormation deploys: the template after the SAM transform -----

_PACKAGED_URIS = ("CodeUri", "ContentUri", "DefinitionUri")


def transformed(template_body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The template as CloudFormation receives it: local code paths replaced by S3 URIs (as
    `sam package` does), then the SAM transform applied offline (samtranslator, no AWS call)."""
    from samtranslator.translator.transform import transform

    body = _plain(template_body if template_body is not None else load())
    for resource in body["Resources"].values():
        props = resource.get("Properties") or {}
        for key in _PACKAGED_URIS:
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"s3://packaged/{props[key].strip('/')}"

    class NoManagedPolicies:  # the template names managed policies by ARN only
        def load(self) -> dict[str, str]:
            return {}

    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    return dict(transform(body, {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT}, NoManagedPolicies()))
