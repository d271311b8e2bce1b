"""What a running local cloud tells the commands beside it (`make token`, `make org`): where its
embedded AWS listens and the stack's outputs, as `aws cloudformation describe-stacks` tells them
about a deployed stack. Written at start in the state directory, removed at stop."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local import template

FILE = "stack.json"


def state_dir() -> Path:
    """Where the local cloud keeps its state (`.local-cloud/` at the repository root, or
    `$LOCAL_CLOUD_DIR`)."""
    return Path(os.environ.get("LOCAL_CLOUD_DIR") or template.ROOT / ".local-cloud")


@dataclass(frozen=True)
class Stack:
    endpoint: str  # the embedded AWS (moto)
    outputs: dict[str, str]


def outputs(names: dict[str, str]) -> dict[str, str]:
    """The template's Outputs, resolved against the local resources."""
    declared = template.load().get("Outputs") or {}
    return {str(key): str(template.resolve(value["Value"], names)) for key, value in declared.items()}


def write(stack: Stack, directory: Path | None = None) -> Path:
    directory = directory or state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE
    path.write_text(json.dumps({"endpoint": stack.endpoint, "outputs": stack.outputs}, indent=2))
    return path


def remove(directory: Path | None = None) -> None:
    (directory or state_dir()).joinpath(FILE).unlink(missing_ok=True)


def read(directory: Path | None = None) -> Stack:
    path = (directory or state_dir()) / FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise SystemExit(f"no local cloud is running ({path} is missing): start it with `make dev`") from None
    return Stack(endpoint=str(data["endpoint"]), outputs={str(k): str(v) for k, v in data["outputs"].items()})
