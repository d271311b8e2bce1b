"""What each function sees of the process while it runs: as in Lambda, only its own.

In AWS every function runs in a process of its own. Here they share one, so each invocation swaps in
its function's state (under the invoker's lock: one invocation at a time) and puts the rest back:
- the environment: what the process had outside any function (PATH, the local endpoint, the local
  cloud's quiet Powertools defaults), less every variable any function of the template sets and any
  AWS credentials, plus exactly the variables the template gives this function and the credentials
  of its role (`local.iam`). A variable the template forgets is missing here, as in AWS;
- the shared layer's modules (`layers/shared`): each function imports its own copy, so what the
  layer caches at import or on first use (settings, clients, table names) is that function's;
- boto3's default session, which caches the credentials it first found.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING

import boto3

from local import template

if TYPE_CHECKING:
    from local.iam import Credentials

CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


def layer_packages() -> set[str]:
    """The top-level modules of the shared layer (what every function imports from /opt/python)."""
    root = template.ROOT / "layers" / "shared"
    return {path.stem if path.suffix == ".py" else path.name for path in root.iterdir() if _importable(path)}


def _importable(path: os.PathLike[str]) -> bool:
    name = os.fspath(path)
    return (name.endswith(".py") or os.path.isdir(name)) and not os.path.basename(name).startswith((".", "_"))


@dataclass
class _State:
    environment: dict[str, str]
    modules: dict[str, ModuleType] = field(default_factory=dict)
    session: boto3.session.Session | None = None


class Runtimes:
    """Each function's environment, layer modules and default boto3 session; `running` swaps them in.

    Without credentials for a function, it keeps the process's own (tests on `mock_aws` need none)."""

    def __init__(
        self,
        specs: dict[str, template.FunctionSpec],
        credentials: dict[str, Credentials] | None = None,
    ) -> None:
        self.specs = specs
        self.credentials = credentials or {}
        self.packages = layer_packages()
        self._states: dict[str, _State] = {}

    def environment(self, logical_id: str) -> dict[str, str]:
        """The process environment the function's invocations see."""
        spec = self.specs[logical_id]
        template_keys = {key for other in self.specs.values() for key in other.environment}
        dropped = template_keys | (set(CREDENTIAL_VARIABLES) if logical_id in self.credentials else set())
        outside = {key: value for key, value in os.environ.items() if key not in dropped}
        own = self.credentials[logical_id].environment() if logical_id in self.credentials else {}
        return {**outside, **spec.environment, **own}

    def refresh(self) -> None:
        """Take the function environments again (their values changed, e.g. the API's URL is known)."""
        for logical_id, state in self._states.items():
            state.environment = self.environment(logical_id)

    @contextmanager
    def running(self, logical_id: str) -> Iterator[None]:
        """The function's state in the process for the duration; the caller holds the invoker's lock."""
        state = self._states.get(logical_id)
        if state is None:
            state = self._states[logical_id] = _State(self.environment(logical_id))
        saved_environment = dict(os.environ)
        saved_modules = self._take_layer_modules()
        saved_session = boto3.DEFAULT_SESSION
        _replace_environment(state.environment)
        sys.modules.update(state.modules)
        boto3.DEFAULT_SESSION = state.session
        try:
            yield
        finally:
            state.modules = self._take_layer_modules()  # with what it imported on the way
            state.session = boto3.DEFAULT_SESSION
            sys.modules.update(saved_modules)
            boto3.DEFAULT_SESSION = saved_session
            _replace_environment(saved_environment)

    def _take_layer_modules(self) -> dict[str, ModuleType]:
        taken = {
            name: module
            for name, module in sys.modules.items()
            if name.split(".", 1)[0] in self.packages and module is not None
        }
        for name in taken:
            del sys.modules[name]
        return taken


def _replace_environment(wanted: dict[str, str]) -> None:
    """Key by key, never cleared: other threads (moto's) read the environment meanwhile."""
    for key in [key for key in os.environ if key not in wanted]:
        del os.environ[key]
    for key, value in wanted.items():
        if os.environ.get(key) != value:
            os.environ[key] = value
