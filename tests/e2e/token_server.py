"""What `make token` does, for the e2e tests' local cloud, without its start-up cost each time: one
process per local cloud reads `[org, email, roles]` lines and answers each with `{"token": ...}` (or
`{"error": ...}`), through the same `local.token.issue`."""

from __future__ import annotations

import json
import sys

from local import stack, token


def main() -> int:
    running = stack.read()  # the local cloud of LOCAL_CLOUD_DIR
    for line in sys.stdin:
        org, email, roles = json.loads(line)
        try:
            answer = {"token": token.issue(org, email, token._roles(roles), running)}
        except SystemExit as refused:  # another org's user: what make token says and exits with
            answer = {"error": str(refused)}
        print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
