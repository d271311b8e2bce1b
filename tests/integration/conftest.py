"""Fixtures the local cloud's integration tests share."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from moto.core.config import default_user_config

from local import cloud


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[cloud.Moto]:
    """moto in server mode in this process; its port and config are put back afterwards."""
    monkeypatch.delenv("MOTO_PORT", raising=False)
    monkeypatch.setitem(default_user_config, "stepfunctions", dict(default_user_config["stepfunctions"]))
    server = cloud.start_moto()
    monkeypatch.setenv("MOTO_PORT", os.environ["MOTO_PORT"])
    try:
        yield server
    finally:
        server.stop()
