"""`python -m local` says how far its start is, then prints its URLs (issue 12, point 9)."""

from __future__ import annotations

import re

from tests.e2e.conftest import LocalCloud


def test_the_local_cloud_says_how_far_it_is_then_prints_its_urls(local_cloud: LocalCloud) -> None:
    output = local_cloud.log.read_text()

    assert re.findall(r"local cloud: \[(\d)/4\]", output) == ["1", "2", "3", "4"]
    ready = output.index(f"Local cloud ready: {local_cloud.url}")
    assert output.index("[4/4]") < ready
    assert (
        f"{local_cloud.url}/docs" in output[ready:] and f"{local_cloud.url}/_local/outbox" in output[ready:]
    )
