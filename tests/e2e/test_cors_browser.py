"""A web client on another origin calls the API from a real headless Chromium: the browser sends
a preflight (the Authorization and x-api-key headers make it one), the gateway answers it from the template's
Cors settings, and the function's answer carries the origin, so the page reads the POs. A page
from an origin the stack does not allow gets nothing it can read."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from local.cloud import free_port
from tests.e2e.conftest import Client, LocalCloud, po_body

pytestmark = pytest.mark.e2e

PAGE = """<!DOCTYPE html>
<html><head><title>web client</title></head>
<body><pre id="out">pending</pre>
<script>
  fetch(%(api)s + "/pos", {headers: {"Authorization": "Bearer " + %(token)s, "x-api-key": %(key)s}})
    .then(async (response) => {
      const body = await response.json();
      document.getElementById("out").textContent = JSON.stringify(
        {status: response.status, etag: response.headers.get("x-amzn-RequestId") !== null, body});
    })
    .catch((error) => { document.getElementById("out").textContent = "blocked: " + error; });
</script></body></html>
"""


class WebClient:
    """A page served from its own origin on this machine (a web client's dev server)."""

    def __init__(self, host: str, api: str, token: str, key: str, address: str = "127.0.0.1") -> None:
        page = (PAGE % {"api": json.dumps(api), "token": json.dumps(token), "key": json.dumps(key)}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server convention
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        port = free_port()
        self.server = ThreadingHTTPServer((address, port), Handler)
        self.url = f"http://{host}:{port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def pages() -> Iterator[list[WebClient]]:
    served: list[WebClient] = []
    yield served
    for page in served:
        page.close()


def read(browser: Any, url: str) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    WebDriverWait(browser, 30).until(lambda driver: driver.find_element(By.ID, "out").text != "pending")
    return str(browser.find_element(By.ID, "out").text)


def test_a_page_of_another_local_origin_reads_the_pos_with_a_token(
    browser: Any, local_cloud: LocalCloud, org: str, buyer: Client, pages: list[WebClient]
) -> None:
    # Given a PO, and a web client served from http://localhost:<another port>
    created = buyer("POST", "/pos", po_body(lines=1))
    assert created.status == 201, created.text
    token = local_cloud.token(org, "buyer@acme.example", "buyer")
    pages.append(WebClient("localhost", local_cloud.url, token, buyer.key()))

    # When the page calls GET /pos with the token
    seen = json.loads(read(browser, pages[0].url))

    # Then the browser let it read the answer, and the exposed request id
    assert seen["status"] == 200
    assert [po["id"] for po in seen["body"]["items"]] == [created.json["id"]]
    assert seen["etag"] is True


def test_a_page_of_an_origin_the_stack_does_not_allow_reads_nothing(
    browser: Any, local_cloud: LocalCloud, org: str, buyer: Client, pages: list[WebClient]
) -> None:
    # 127.0.0.2 (loopback too) is neither the local cloud's own address nor localhost
    token = local_cloud.token(org, "buyer@acme.example", "buyer")
    pages.append(WebClient("127.0.0.2", local_cloud.url, token, buyer.key(), address="127.0.0.2"))

    assert read(browser, pages[0].url).startswith("blocked: TypeError")
