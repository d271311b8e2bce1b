"""`python -m local`: the whole template on this machine, no AWS account and no Docker.

    python -m local --port 3000        (what `make dev` runs; PORT=... make dev to change)

moto runs in a thread as the embedded AWS, the template's resources are created in it, the
handlers run in this process against it, and the local gateway serves the API's routes.
Ctrl-C (SIGINT) or SIGTERM stops the HTTP server, the pumps and moto, and exits 0;
`kill -USR1 <pid>` prints every thread's stack (a pump that seems stuck, say) and goes on.
"""

from __future__ import annotations

import argparse
import faulthandler
import gc
import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from local import (
    cloud,
    cognito,
    console,
    gateway,
    iam,
    login,
    openapi,
    persistence,
    pumps,
    routes,
    runtime,
    stack,
    template,
    usage_plans,
)
from local import outbox as outboxes

# Quiet, offline defaults for the handlers; the environment can still override them.
HANDLER_DEFAULTS = {
    "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
    "POWERTOOLS_METRICS_DISABLED": "true",  # set to false to see the EMF metrics on stdout
}


SWITCH_INTERVAL = 0.001  # seconds a thread may hold the GIL while others wait (Python's default: 0.005)


@dataclass
class LocalCloud:
    host: str = "127.0.0.1"
    port: int = 3000
    moto: cloud.Moto | None = None
    resources: cloud.Resources = field(default_factory=cloud.Resources)
    server: gateway.Server | None = None
    pumps: list[pumps.Pump] = field(default_factory=list)
    outbox: outboxes.Outbox | None = None
    progress: bool = False
    persist: bool = True
    saver: persistence.Saver | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        for key, value in HANDLER_DEFAULTS.items():
            os.environ.setdefault(key, value)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-call access log
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        listening = gateway.bind(self.host, self.port)  # a port in use fails here, before the rest
        try:
            self.say("[1/4] starting the embedded AWS (moto)")
            self.moto = cloud.start_moto(self.host)
            cloud.use_endpoint(self.moto.endpoint)
            self.say("[2/4] creating the template's resources")
            self.resources = cloud.create_resources(self.moto)
            restored = persistence.restore(self.moto, self.resources)  # what the last run saved
            if restored:
                self.say(
                    f"      put back what was saved in {persistence.directory()} (make dev-reset: clean)"
                )
            specs = template.functions(self.resources.names)
            self.say(f"[3/4] the roles of {len(specs)} functions, from the transformed template")
            # from here on each function's calls are checked against its own role
            credentials = iam.enforce(self.moto.client, self.resources.names)
            invoker = gateway.Invoker(specs, runtime.Runtimes(specs, credentials))
            self.outbox = outboxes.Outbox()
            if not restored:
                self.outbox.reset()  # what it held points at a moto state that is gone
            api = gateway.Gateway(
                invoker,
                routes.Router.from_template(),
                self.verifier().authorize,
                openapi=lambda: openapi.document(specs),
                outbox=self.outbox,
                aws={"endpoint": self.moto.endpoint, "names": self.resources.names},
                api_keys=usage_plans.moto_keys(cloud.API_ID, str(template.resolve({"Ref": "Stage"}, {}))),
            )
            self.server = gateway.serve(api, self.host, self.port, listening)  # its URL is known
            api.pages = self.console_pages()
            for spec in specs.values():  # links the handlers build to the API lead here
                spec.environment = {
                    key: cloud.local_api_url(value, self.url) for key, value in spec.environment.items()
                }
                if spec.environment.get("API_BASE_URL") == "":  # an API function: its own URL is ours
                    spec.environment["API_BASE_URL"] = self.url
            self.say(f"[4/4] loading {len(specs)} functions and starting the pumps")
            invoker.load_all()
            outputs = stack.outputs(self.resources.names)
            local_outputs = {key: cloud.local_api_url(value, self.url) for key, value in outputs.items()}
            stack.write(stack.Stack(self.moto.endpoint, local_outputs))
            self.pumps = pumps.start_pumps(pumps.PumpContext(self.moto, self.resources, invoker, self.outbox))
            if self.persist:
                self.saver = persistence.Saver(self.moto, self.resources)
                self.saver.start()
        except BaseException:
            listening.close()
            self.stop()
            raise
        self._thread = threading.Thread(target=self.server.serve_forever, name="gateway", daemon=True)
        self._thread.start()

    def say(self, step: str) -> None:
        """Startup progress, on stderr (the banner with the URLs follows on stdout when ready)."""
        if self.progress:
            print(f"local cloud: {step}", file=sys.stderr, flush=True)

    def console_pages(self) -> list[Callable[[gateway.Request], gateway.Reply | None]]:
        """The web console under /console/ and the stand-in for its Cognito managed login."""
        assert self.moto is not None
        refs, url = self.resources.refs, self.url
        signing_in = login.Login(
            self.moto.client("cognito-idp"), refs["UserPool"], lambda value: console.local_url(value, url)
        )
        # the console's API key, as the deploy puts it in config.json (ConsoleFiles' ApiKeyId)
        key_id = template.resolve(
            template.resources("Custom::ConsoleFiles")["ConsoleFiles"]["ApiKeyId"], refs
        )
        key = self.moto.client("apigateway").get_api_key(apiKey=key_id, includeValue=True)
        files = console.Console(url, refs["UserPoolClient"], storage=self.moto.endpoint, api_key=key["value"])
        return [files.handle, signing_in.handle]

    def verifier(self) -> cognito.Verifier:
        """Checks tokens against the user pool of the API's Cognito authorizer, as AWS does."""
        assert self.moto is not None
        names = self.resources.names
        pool_arn = str(template.resolve(template.authorizer_pool_arn(), names))
        pool_id = pool_arn.rsplit("/", 1)[-1]
        clients = [
            self.resources.refs[logical_id]
            for logical_id, props in template.resources("AWS::Cognito::UserPoolClient").items()
            if template.resolve(props["UserPoolId"], names) == pool_id
        ]
        return cognito.Verifier(pool_id, clients, cognito.jwks_from(self.moto.endpoint, pool_id))

    def stop(self) -> None:
        stack.remove()
        if self.server is not None:
            if self._thread is not None:
                self.server.shutdown()
                self._thread.join()
            self.server.server_close()
            self.server = None
        pumps.stop_pumps(self.pumps)
        self.pumps = []
        if self.saver is not None:
            self.saver.stop()  # the last save: nothing runs any more
            self.saver = None
        if self.moto is not None:
            self.moto.stop()
            self.moto = None

    def banner(self) -> str:
        assert self.moto is not None
        created = "".join(f"\n    {logical} -> {ref}" for logical, ref in self.resources.refs.items())
        outbox = self.outbox.directory if self.outbox is not None else "none"
        return "\n".join(
            [
                f"Local cloud ready: {self.url}  (API docs {self.url}/docs, OpenAPI {self.url}/openapi.json)",
                f"  web console: {self.url}/  (a user to sign in with: make token ... PASSWORD=...)",
                f"  embedded AWS (moto): {self.moto.endpoint}   resources:{created or ' none'}",
                f"  emails SES received: {self.url}/_local/outbox  (files in {outbox})",
                f"  messages the topics carried: {self.url}/_local/events",
                f"  user pool (moto's Cognito): {self.resources.refs.get('UserPool')}",
                "  get a token:  TOKEN=$(make -s token ORG=acme EMAIL=buyer@acme.example ROLE=buyer)",
                "                (or .venv/bin/python -m local.token --org acme --email ... --role buyer)",
                "  and a key:    make -s api-key CLIENT=my-script   (its value: KEY=...)",
                f'  then:         curl -H "Authorization: Bearer $TOKEN" -H "x-api-key: $KEY" {self.url}/pos',
                "  Ctrl-C stops it.",
            ]
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 3000))
    parser.add_argument("--host", default="127.0.0.1", help="loopback by default")
    parser.add_argument(
        "--state-dir",
        type=Path,
        help="where the local cloud's state lives (default .local-cloud/, or $LOCAL_CLOUD_DIR)",
    )
    args = parser.parse_args(argv)
    if args.state_dir is not None:
        os.environ["LOCAL_CLOUD_DIR"] = str(args.state_dir.resolve())

    # Every function, pump and moto share this process and its GIL: a thread woken by an answer waits
    # for the running ones to yield it, 5 ms each by default. A small PO's many short steps beside a
    # big PO's long ones then add up; 1 ms lets them through (the big PO's work barely notices).
    previous_interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>`: every thread's stack
    try:
        local_cloud = LocalCloud(host=args.host, port=args.port, progress=True)
        try:
            local_cloud.start()
        except OSError as error:
            print(f"local cloud: cannot start on {args.host}:{args.port}: {error}", file=sys.stderr)
            return 1
        # What start loaded (moto, botocore's models, every function's modules) lives as long as the
        # process: out of the collector's full passes, which otherwise walk all of it again and again.
        gc.freeze()
        print(local_cloud.banner(), flush=True)
        # Wake up now and then: the OS may deliver SIGTERM to any of the pumps' or moto's threads,
        # and Python runs the handler only when the main thread next runs; a bare wait() can sleep
        # through it for ever.
        while not stopping.wait(timeout=0.2):
            pass
        print("local cloud: stopping", file=sys.stderr, flush=True)
        local_cloud.stop()
        print("local cloud: stopped", file=sys.stderr, flush=True)
        return 0
    finally:
        faulthandler.unregister(signal.SIGUSR1)
        sys.setswitchinterval(previous_interval)
