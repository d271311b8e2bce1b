"""A background poller: what every pump is made of."""

from __future__ import annotations

import sys
import threading

STOP_SECONDS = 15  # how long stop() waits for a delivery in progress before leaving it behind
MAX_BACKOFF_SECONDS = 5.0


def log(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class Poller:
    """Calls `poll_once` on a thread of its own until stopped: again at once while it finds work,
    after `interval` seconds when it finds none, and backing off while it keeps failing."""

    def __init__(self, name: str, interval: float) -> None:
        self.name = name
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self) -> bool:
        """Do what is due; True when there may be more to do right away."""
        raise NotImplementedError

    def sleep(self, seconds: float) -> bool:
        """Wait, unless stopping; True when stopping (so that retries end promptly)."""
        return self._stopping.wait(seconds) if seconds > 0 else self._stopping.is_set()

    def idle(self) -> bool:
        """Wait after a poll that found nothing to do; True when stopping."""
        return self.sleep(self.interval)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=STOP_SECONDS)
            if self._thread.is_alive():
                log(f"warning: {self.name} did not stop within {STOP_SECONDS}s; left running")
            self._thread = None

    def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                busy = self.poll_once()
                failures = 0
            except Exception as error:  # a pump keeps running: say what failed, back off, try again
                if self._stopping.is_set():
                    return  # moto may be going away under us
                failures += 1
                if failures == 1 or failures % 20 == 0:
                    log(f"error: {self.name}: {error!r} (failure {failures} in a row)")
                busy = False
                if self.sleep(min(MAX_BACKOFF_SECONDS, self.interval * 2**failures)):
                    return
            if not busy and self.idle():
                return


class Group:
    """Pollers started and stopped together (in reverse on stop)."""

    def __init__(self, pollers: list[Poller]) -> None:
        self.pollers = pollers

    def start(self) -> None:
        for poller in self.pollers:
            poller.start()

    def stop(self) -> None:
        for poller in reversed(self.pollers):
            poller.stop()
