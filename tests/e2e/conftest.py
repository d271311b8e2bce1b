"""The local cloud as a subprocess (`python -m local`), and a small HTTP client for it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from local.cloud import free_port
from local.template import ROOT

STARTUP_SECONDS = 180  # generous: on a machine shared with other work the start is slow
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
STOP_SECONDS = 90  # the last save of a whole session's table and bucket, and a handler mid-run, finish first


@dataclass
class LocalCloud:
    url: str
    state: Path
    log: Path
    _tokens: dict[tuple[str, str, str], str] = field(default_factory=dict)

    _issuer: subprocess.Popen[str] | None = None

    def token(self, org: str, email: str = "buyer@acme.example", role: str = "buyer") -> str:
        """A real ID token of the local user pool, from what `make token` runs (tests/e2e/token_server,
        started once: the command's own start-up cost, paid for each token, was a tenth of the
        e2e tests' time; test_onboarding runs the command itself). One account belongs to one org,
        so the email is tagged with the org (buyer+<org>@acme.example)."""
        local, _, domain = email.partition("@")
        key = (org, f"{local}+{org}@{domain}", role)
        if key not in self._tokens:
            answer = self._issue(*key)
            assert "token" in answer, answer
            self._tokens[key] = answer["token"]
        return self._tokens[key]

    def _issue(self, org: str, email: str, role: str) -> dict[str, str]:
        if self._issuer is None:
            self._issuer = subprocess.Popen(
                [sys.executable, "-m", "tests.e2e.token_server"],
                cwd=ROOT,
                env={**os.environ, "LOCAL_CLOUD_DIR": str(self.state)},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        assert self._issuer.stdin is not None and self._issuer.stdout is not None
        self._issuer.stdin.write(json.dumps([org, email, role]) + "\n")
        self._issuer.stdin.flush()
        line = self._issuer.stdout.readline()
        assert line, f"the token server exited with {self._issuer.poll()}"
        return dict(json.loads(line))

    def close(self) -> None:
        """Stop the token server, if one was started (its stdin closed, it ends)."""
        if self._issuer is not None:
            self._issuer.communicate(timeout=30)
            self._issuer = None

    def run_token(self, org: str, email: str, role: str, *args: str) -> subprocess.CompletedProcess[str]:
        """`python -m local.token` against this local cloud, as `make token` runs it."""
        return self.run("local.token", "--org", org, "--email", email, "--role", role, *args)

    def run(self, module: str, *args: str) -> subprocess.CompletedProcess[str]:
        """`python -m <module>` (one of make's commands) against this local cloud."""
        return subprocess.run(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            env={**os.environ, "LOCAL_CLOUD_DIR": str(self.state)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """`python -m local` on a free port with its own state directory; stopped with SIGTERM."""
    state = tmp_path_factory.mktemp("local-cloud")
    log = state / "output.log"
    port = free_port()
    env = {**os.environ, "LOCAL_CLOUD_DIR": str(state), "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "local", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    code: int | None = None
    try:
        _wait_until_ready(process, f"{url}/openapi.json", log)
        running = LocalCloud(url=url, state=state, log=log)
        try:
            yield running
        finally:
            running.close()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert code == 0, f"the local cloud exited with {code}:\n{log.read_text()[-4000:]}"


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local cloud exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the local cloud was not ready within {STARTUP_SECONDS}s:\n{log.read_text()}")


@dataclass
class HttpReply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text) if self.text else None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()


class Client:
    """What a web client does: JSON over HTTP with a bearer token and its API key (x-api-key): the
    one given, else the web console's, read once from the local cloud's /console/config.json."""

    def __init__(self, base_url: str, token: str | None, api_key: str | None = None) -> None:
        self.base_url = base_url
        self.token = token
        self.api_key = api_key

    def key(self) -> str:
        if self.api_key is None:
            with urllib.request.urlopen(f"{self.base_url}/console/config.json", timeout=30) as response:
                self.api_key = str(json.loads(response.read())["apiKey"])
        return self.api_key

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> HttpReply:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token is not None:
            request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("x-api-key", self.key())
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return HttpReply(response.status, _headers(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            return HttpReply(error.code, _headers(error.headers), error.read().decode())


def _headers(message: Any) -> dict[str, str]:
    return {key.lower(): value for key, value in message.items()}


@pytest.fixture
def org() -> str:
    """A fresh organization per test, so listings see only the test's own POs."""
    return f"org-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def buyer(local_cloud: LocalCloud, org: str) -> Client:
    return Client(local_cloud.url, local_cloud.token(org, "buyer@acme.example", "buyer"))


def po_body(lines: int = 2, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "supplier": {"name": "Acme Metals", "email": "sales@acme-metals.com"},
        "currency": "USD",
        "lines": [
            {"description": f"Bolt M{6 + n}", "quantity": "10", "unitCost": "1.25"} for n in range(lines)
        ],
    }
    body.update(overrides)
    return body


T = TypeVar("T")
EVENTUALLY_SECONDS = 30.0  # generous: it only matters when something never happens


def eventually(probe: Callable[[], T | None], what: str, seconds: float = EVENTUALLY_SECONDS) -> T:
    """The probe's first truthy answer, asked every 0.1 s; an AssertionError after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds}s: {what}")
        time.sleep(0.1)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Debian's chromium and chromedriver (`make browser`), headless; missing is a failure in CI."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if shutil.which(path) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed (make browser)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
