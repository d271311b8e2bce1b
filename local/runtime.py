"""What each function sees of the process while it runs: as in Lambda, only its own.

In AWS every instance of a function runs in a process of its own. Here they share one, and several
run at once (`local.gateway.Invoker`: each instance one invocation at a time), so what an instance
sees is kept per thread, for the thread that runs it:
- the environment (`os.environ` is a mapping that answers, in such a thread, with the function's own):
  what the process had outside any function (PATH, the local endpoint, the local cloud's quiet
  Powertools defaults), less every variable any function of the template sets and any AWS
  credentials, plus exactly the variables the template gives this function and the credentials of
  its role (`local.iam`). A variable the template forgets is missing here, as in AWS;
- the layers' code (`layers/shared`, `layers/pdf`): each function imports its own copy, so what a
  layer caches at import or on first use (settings, clients, table names) is that instance's. An
  `import` of a layer in that thread finds the instance's copy; what it has not imported yet is
  imported with its copy in `sys.modules`, one such import at a time (`loading`). A function imports
  nothing of a layer it does not have, neither the layer's code nor the libraries its
  requirements.txt installs: fpdf2 is the PDF layer's, and any other function importing it fails
  (ModuleNotFoundError), as it would in AWS;
- boto3's default session, which caches the credentials it first found;
- the event Powertools is resolving, which it keeps on a class (`BaseRouter.current_event`): one
  per process in Lambda, one per thread here.
"""

from __future__ import annotations

import builtins
import functools
import importlib.metadata
import os
import sys
import threading
from collections.abc import Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

import boto3
from packaging.requirements import Requirement

from local import template

if TYPE_CHECKING:
    from pathlib import Path

    from local.iam import Credentials

CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


def layer_packages(specs: dict[str, template.FunctionSpec] | None = None) -> set[str]:
    """The top-level modules of every layer's own code: each function imports its own copy."""
    return {name for layer in _layers(specs) for name in layer_code(layer)}


def withheld(
    spec: template.FunctionSpec, specs: dict[str, template.FunctionSpec] | None = None
) -> frozenset[str]:
    """What the function cannot import: the code, and the libraries the requirements install, of the
    layers only other functions have (the libraries stay the process's: one copy, as for the shared
    layer's, which every function has)."""
    own = {name for layer in spec.layers for name in layer_modules(layer)}
    return frozenset({name for layer in _layers(specs) for name in layer_modules(layer)} - own)


def _layers(specs: dict[str, template.FunctionSpec] | None) -> set[Path]:
    return {layer for spec in (specs or template.functions()).values() for layer in spec.layers}


def layer_code(layer: Path) -> set[str]:
    """The top-level modules of a layer's own code (what it puts in /opt/python)."""
    return {path.stem if path.suffix == ".py" else path.name for path in layer.iterdir() if _importable(path)}


@functools.cache  # each function asks for every layer's: reading the distributions once took 2 s a start
def layer_libraries(layer: Path) -> frozenset[str]:
    """The top-level modules the layer's requirements.txt installs, with everything they require."""
    file = layer / "requirements.txt"
    lines = file.read_text().replace("\\\n", " ").splitlines() if file.exists() else []
    wanted = [line.split("#")[0].split()[0] for line in lines if line.split("#")[0].strip()]
    return frozenset(_top_level_modules(Requirement(entry) for entry in wanted if not entry.startswith("-")))


def _top_level_modules(requirements: Iterable[Requirement]) -> set[str]:
    modules: set[str] = set()
    seen: set[str] = set()
    pending = list(requirements)
    while pending:
        requirement = pending.pop()
        key = f"{requirement.name.lower().replace('_', '-')}{sorted(requirement.extras)}"
        if key in seen:
            continue
        seen.add(key)
        distribution = importlib.metadata.distribution(requirement.name)
        modules |= _distribution_modules(distribution)
        for entry in distribution.requires or []:
            needed = Requirement(entry)
            extras = [{"extra": extra} for extra in requirement.extras or {""}]
            if needed.marker is None or any(needed.marker.evaluate(extra) for extra in extras):
                pending.append(needed)
    return modules


def _distribution_modules(distribution: importlib.metadata.Distribution) -> set[str]:
    listed = distribution.read_text("top_level.txt")
    if listed:
        return set(listed.split())
    tops = {file.parts[0] for file in distribution.files or [] if file.parts}
    names = {top.split(".")[0] for top in tops if not top.endswith((".dist-info", ".data"))}
    return {name for name in names if name.isidentifier() and name != "__pycache__"}


def layer_modules(layer: Path) -> set[str]:
    return layer_code(layer) | layer_libraries(layer)


def _importable(path: os.PathLike[str]) -> bool:
    name = os.fspath(path)
    return (name.endswith(".py") or os.path.isdir(name)) and not os.path.basename(name).startswith((".", "_"))


@dataclass
class _State:
    environment: dict[str, str]
    withheld: frozenset[str] = frozenset()  # what only layers the function does not have hold
    modules: dict[str, ModuleType] = field(default_factory=dict)
    session: boto3.session.Session | None = None


_thread = threading.local()  # .state: the _State of the function the thread runs; .loading: in `loading`
_loading = threading.RLock()  # one import with a function's layer in sys.modules at a time


def _running() -> _State | None:
    return getattr(_thread, "state", None)


class _Environ(MutableMapping[str, str]):
    """`os.environ`: the process's own, except in a thread that runs a function: that function's."""

    def __init__(self, process: MutableMapping[str, str]) -> None:
        self.process = process

    def _mapping(self) -> MutableMapping[str, str]:
        state = _running()
        return state.environment if state is not None else self.process

    def __getitem__(self, key: str) -> str:
        return self._mapping()[key]

    def __setitem__(self, key: str, value: str) -> None:
        self._mapping()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._mapping()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._mapping()))

    def __len__(self) -> int:
        return len(self._mapping())

    def copy(self) -> dict[str, str]:
        return dict(self._mapping())


_process_environ: MutableMapping[str, str] = os.environ
_original_import = builtins.__import__
_original_default_session = boto3._get_default_session
_PACKAGES = layer_packages()


def _import(
    name: str,
    globals: dict[str, Any] | None = None,
    locals: dict[str, Any] | None = None,
    fromlist: tuple[str, ...] | list[str] | None = (),
    level: int = 0,
) -> ModuleType:
    """`import` in a thread that runs a function finds the function's own copy of the layer, and
    nothing of a layer the function does not have."""
    state = _running()
    if state is not None and not level and name.split(".")[0] in state.withheld:
        raise ModuleNotFoundError(f"No module named {name!r} in this function's layers", name=name)
    if state is None or getattr(_thread, "loading", False) or level or name.split(".")[0] not in _PACKAGES:
        return _original_import(name, globals, locals, fromlist, level)
    found = _imported(state.modules, name, fromlist or ())
    if found is not None:
        return found
    with _layer_in_sys_modules(state):
        return _original_import(name, globals, locals, fromlist, level)


def _imported(
    modules: dict[str, ModuleType], name: str, fromlist: tuple[str, ...] | list[str]
) -> ModuleType | None:
    """What `import name` (or `from name import ...`) gives, if the function has imported it all."""
    if name not in modules:
        return None
    if not fromlist:
        return modules[name.split(".")[0]]
    module = modules[name]
    for item in fromlist:
        if item != "*" and not hasattr(module, item) and f"{name}.{item}" not in modules:
            return None
    return module


def _default_session() -> boto3.session.Session:
    state = _running()
    if state is None:
        return _original_default_session()
    if state.session is None:
        state.session = boto3.session.Session()  # with the function's credentials, as its thread sees them
    return state.session


class _PerThread:
    """A class attribute each thread sets and reads for itself (a data descriptor)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._values = threading.local()

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        try:
            return self._values.value
        except AttributeError:
            raise AttributeError(self.name) from None

    def __set__(self, instance: object, value: Any) -> None:
        self._values.value = value


def _per_thread_router_event() -> None:
    """Powertools keeps the event being resolved on a class, `BaseRouter.current_event` (and its
    `lambda_context`): one per process, which is one per instance in Lambda. Here the functions
    share the process and Powertools (a library of the layer), and two requests resolved at once
    read each other's event: an approval page found no decision in a form it was sent, a handler no
    claims in a request the authorizer had passed (a 422, a 401). Each thread gets its own."""
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    if isinstance(BaseRouter.__dict__.get("current_event"), _PerThread):
        return
    descriptors = {name: _PerThread(name) for name in ("current_event", "lambda_context")}
    for name, descriptor in descriptors.items():
        setattr(BaseRouter, name, descriptor)  # what resolvers read (`self.current_event`)
    # what Powertools sets and reads on the class itself (`BaseRouter.current_event = ...`)
    meta = type("PerThreadRouterMeta", (type(BaseRouter),), dict(descriptors))
    BaseRouter.__class__ = meta  # type: ignore[method-assign]  # same layout: CPython allows it


def _install() -> None:
    """Idempotent: the per-thread environment, imports, default session and Powertools event above,
    process-wide."""
    if not isinstance(os.environ, _Environ):
        os.environ = _Environ(_process_environ)  # type: ignore[assignment]  # noqa: B003 (kept: the base)
    builtins.__import__ = _import  # type: ignore[assignment]
    boto3._get_default_session = _default_session
    _per_thread_router_event()


@contextmanager
def _layer_in_sys_modules(state: _State) -> Iterator[None]:
    """The function's layer modules in sys.modules (importlib needs them there), and back out."""
    with _loading:
        saved = _take_layer_modules()
        sys.modules.update(state.modules)
        loading, _thread.loading = getattr(_thread, "loading", False), True
        try:
            yield
        finally:
            _thread.loading = loading
            state.modules = _take_layer_modules()  # with what it imported on the way
            sys.modules.update(saved)


def _take_layer_modules() -> dict[str, ModuleType]:
    names = [name for name in sys.modules if name.split(".", 1)[0] in _PACKAGES]
    return {name: module for name in names if (module := sys.modules.pop(name)) is not None}


class Runtimes:
    """Each function's environment, layer modules and default boto3 session; `running` gives them to
    the calling thread.

    Without credentials for a function, it keeps the process's own (tests on `mock_aws` need none)."""

    def __init__(
        self,
        specs: dict[str, template.FunctionSpec],
        credentials: dict[str, Credentials] | None = None,
    ) -> None:
        self.specs = specs
        self.credentials = credentials or {}
        self.withheld = {logical_id: withheld(spec, specs) for logical_id, spec in specs.items()}
        self._states: dict[tuple[str, int], _State] = {}  # (function, instance) -> its state
        self._lock = threading.Lock()
        _install()

    def environment(self, logical_id: str) -> dict[str, str]:
        """The process environment the function's invocations see."""
        spec = self.specs[logical_id]
        template_keys = {key for other in self.specs.values() for key in other.environment}
        dropped = template_keys | (set(CREDENTIAL_VARIABLES) if logical_id in self.credentials else set())
        outside = {key: value for key, value in _process_environ.items() if key not in dropped}
        own = self.credentials[logical_id].environment() if logical_id in self.credentials else {}
        return {**outside, **spec.environment, **own}

    def refresh(self) -> None:
        """Take the function environments again (their values changed, e.g. the API's URL is known)."""
        for (logical_id, _instance), state in self._states.items():
            state.environment = self.environment(logical_id)

    @contextmanager
    def running(self, logical_id: str, instance: int = 0) -> Iterator[None]:
        """The state of one instance of the function for the calling thread, for the duration (one
        thread per instance at a time: the invoker's lock for the instance)."""
        with self._lock:
            state = self._states.get((logical_id, instance))
            if state is None:
                environment = self.environment(logical_id)
                state = self._states[logical_id, instance] = _State(environment, self.withheld[logical_id])
        outer, _thread.state = _running(), state
        try:
            yield
        finally:
            _thread.state = outer

    @contextmanager
    def loading(self, logical_id: str, instance: int = 0) -> Iterator[None]:
        """`running`, with the instance's layer in sys.modules: a cold start (importlib) runs here."""
        with self.running(logical_id, instance), _layer_in_sys_modules(self._states[logical_id, instance]):
            yield
