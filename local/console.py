"""The web console (web/) as the local cloud serves it, and the stand-in for its CloudFront.

In AWS the console's files sit in a private bucket behind a CloudFront distribution (template.yaml:
ConsoleBucket, ConsoleDistribution) and its `config.json` is written there by the deploy. Locally
the gateway serves the same files under /console/ (`/` redirects there) and makes `config.json`
for this machine: the API on `http://localhost:<port>` (another origin than the console's
`http://127.0.0.1:<port>`, so that every call is a CORS call, as in AWS) and Cognito's managed
login on the local stand-in (`local.login`), and the value of the console's API key.

The distribution's domain name resolves locally to `LOCAL_DOMAIN`; `local_url` turns the URLs the
template builds on it (the app client's callback and logout URLs) into the local console's URL,
as `cloud.local_api_url` does for the API's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from local import template
from local.cloud import LOCAL_DISTRIBUTION_DOMAIN as LOCAL_DOMAIN
from local.gateway import Reply, Request, problem

WEB = template.ROOT / "web"
PREFIX = "/console/"
# What the console is made of (web/publish.py, its publisher, is not served, as it is not published).
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


def local_url(value: str, url: str) -> str:
    """`https://<the distribution's domain>/...` as the local console's URL under `url`."""
    prefix = f"https://{LOCAL_DOMAIN}/"
    return url.rstrip("/") + PREFIX + value[len(prefix) :] if value.startswith(prefix) else value


@dataclass
class Console:
    url: str  # the local cloud's own URL, http://127.0.0.1:<port>
    client_id: str
    storage: str = ""  # where presigned uploads go (the embedded AWS's S3)
    api_key: str = ""  # the console's API key (ConsoleApiKey), sent as x-api-key on every API call
    root: Path = WEB

    @property
    def api_url(self) -> str:
        """The API as the console calls it: localhost, a different origin from 127.0.0.1."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://localhost:{parts.port}"

    def config(self) -> dict[str, str]:
        """What the deploy writes as config.json in AWS (ConsoleFiles), for this machine."""
        return {
            "apiUrl": self.api_url,
            "clientId": self.client_id,
            "authorizeUrl": f"{self.url}/oauth2/authorize",
            "tokenUrl": f"{self.url}/oauth2/token",
            "logoutUrl": f"{self.url}/logout",
            "redirectUri": self.url + PREFIX,
            "apiKey": self.api_key,
        }

    def handle(self, request: Request) -> Reply | None:
        """A file of web/ for GET or HEAD under /console/; None for any other path."""
        method, path = request.method, urlsplit(request.target).path
        if path == "/" and method in ("GET", "HEAD"):
            return Reply(302, [("Location", PREFIX)])
        if path == PREFIX.rstrip("/"):
            return Reply(301, [("Location", PREFIX)])
        if not path.startswith(PREFIX):
            return None
        if method not in ("GET", "HEAD"):
            reply = problem(405, "Method not allowed", f"{path} accepts GET, HEAD", "method-not-allowed")
            reply.headers.append(("Allow", "GET, HEAD"))
            return reply
        relative = path[len(PREFIX) :] or "index.html"
        if relative == "config.json":
            return Reply(
                200, [("Content-Type", _TYPES[".json"]), *HEADERS], json.dumps(self.config()).encode()
            )
        file = (self.root / relative).resolve()
        if self.root.resolve() not in file.parents or not file.is_file() or file.suffix not in _TYPES:
            return problem(404, "Not found", f"no console file at {path}", "not-found")
        headers = [("Content-Type", _TYPES[file.suffix]), *HEADERS, *self.security_headers()]
        return Reply(200, headers, file.read_bytes())

    def security_headers(self) -> list[tuple[str, str]]:
        """The response headers policy of the distribution, with this machine's origins."""
        return [
            ("Content-Security-Policy", csp(self.api_url, self.url, self.storage)),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("X-Frame-Options", "DENY"),
        ]


HEADERS = [("Cache-Control", "no-cache")]


def csp(api: str, login: str, storage: str) -> str:
    """Only the console's own files, the API, the sign-in endpoints and the documents bucket
    (presigned uploads); never framed."""
    return (
        f"default-src 'self'; connect-src 'self' {api} {login} {storage}; img-src 'self' data:; "
        "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
        f"form-action 'self' {login}; frame-ancestors 'none'"
    )
