"""The local cloud's resident memory under steady work (issue 12, point 6).

`python -m local` as a child process (as `make dev` runs it): one 1,000-line PO is created, then 500
small PATCHes are made on another PO, one after the other; the child's RSS (from /proc) is printed
after the big PO and after every 100 PATCHes. Target: under 50 MB of growth from the 100th PATCH to
the 500th (the first 100 warm caches up: imports, connections, the first stream shards).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from bench.core import Check, Context, Result, Section, Table, verdict
from bench.harness import new_po_body
from bench.sections.approvals import LocalCloud

BIG_LINES = 1000
PATCHES = 500
EVERY = 100
TARGET_MB = 50.0
REQUEST_SECONDS = 600  # a PATCH may wait for the stream consumer of the big PO (one invocation at a time)
QUIET_SECONDS = 5.0  # the big PO's stream batches are done when the log is this long quiet


def request(cloud: LocalCloud, method: str, path: str, body: Any, bearer: str, **headers: str) -> Any:
    """The reply's JSON; a RuntimeError for any status but 200 and 201."""
    call = urllib.request.Request(cloud.url + path, data=json.dumps(body).encode(), method=method)
    call.add_header("Content-Type", "application/json")
    call.add_header("Authorization", f"Bearer {bearer}")
    call.add_header("x-api-key", cloud.api_key())
    for key, value in headers.items():
        call.add_header(key, value)
    try:
        with urllib.request.urlopen(call, timeout=REQUEST_SECONDS) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"{method} {path}: {error.code} {error.read()[:300]!r}") from error


def settle(cloud: LocalCloud) -> None:
    """Until the local cloud's log has been quiet for QUIET_SECONDS (the stream pump is done)."""
    size, since = cloud.log_size(), time.monotonic()
    while time.monotonic() - since < QUIET_SECONDS:
        time.sleep(0.5)
        if cloud.log_size() != size:
            size, since = cloud.log_size(), time.monotonic()


def rss_mb(pid: int) -> float:
    """Resident set size of a process, in MB (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def run(_context: Context) -> Result:
    cloud = LocalCloud()
    cloud.start()
    try:
        assert cloud.process is not None
        pid = cloud.process.pid
        org = f"bench-memory-{uuid.uuid4().hex[:8]}"
        bearer = cloud.token(org, f"buyer@{org}.example.com", "buyer")
        table = Table("Local cloud RSS under steady work", ["after", "RSS MB", "growth MB"])
        started = rss_mb(pid)
        table.add("start", f"{started:.0f}", "")
        request(cloud, "POST", "/pos", new_po_body(BIG_LINES), bearer)
        settle(cloud)
        after_big = rss_mb(pid)
        table.add(f"a {BIG_LINES}-line PO", f"{after_big:.0f}", f"{after_big - started:+.0f}")
        print(f"  RSS at start: {started:.0f} MB, after the big PO: {after_big:.0f} MB", flush=True)
        po = request(cloud, "POST", "/pos", new_po_body(1), bearer)
        version = po["version"]
        marks: dict[int, float] = {}
        for n in range(1, PATCHES + 1):
            supplier = {"name": f"Acme Metals {n}", "email": "sales@acme-metals.example.com"}
            headers = {"If-Match": f'"{version}"'}
            version = request(cloud, "PATCH", f"/pos/{po['id']}", {"supplier": supplier}, bearer, **headers)[
                "version"
            ]
            if n % EVERY == 0:
                marks[n] = rss_mb(pid)
                table.add(f"{n} PATCHes", f"{marks[n]:.0f}", f"{marks[n] - after_big:+.0f}")
                print(f"  RSS after {n} PATCHes: {marks[n]:.0f} MB", flush=True)  # a long run shows progress
        growth = marks[PATCHES] - marks[EVERY]
        table.notes.append(
            f"growth from PATCH {EVERY} to {PATCHES}: {growth:+.1f} MB "
            f"(target < {TARGET_MB:g} MB: {verdict(growth < TARGET_MB)})"
        )
        check = Check(
            f"RSS growth, PATCH {EVERY} to {PATCHES} after a {BIG_LINES}-line PO < 50 MB", growth < 50
        )
        return Result(tables=[table], checks=[check])
    finally:
        cloud.stop()
        cloud.remove()


SECTION = Section("memory", "Memory: the local cloud's RSS under steady PATCHes after a big PO", run)
