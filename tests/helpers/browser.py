"""Headless Chromium driven over the Chrome DevTools Protocol (CDP), with no browser download.

Only what the tests need: open a page, run JavaScript in it, watch its network, take a
screenshot. Debian's chromium does the work; websocket-client carries the protocol.
"""

import base64
import contextlib
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import requests
import websocket

from tooling.machine import stop

# As root in a sandbox without a GPU; the last four keep Chromium from calling home, which
# this closed network answers by refusing the connections.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,800",
]


@contextlib.contextmanager
def chromium(timeout=30):
    """Start a throwaway headless Chromium; yields a Page connected to its first tab."""
    profile = Path(tempfile.mkdtemp(prefix="drf-auth-chromium-"))
    process = subprocess.Popen(
        [
            shutil.which("chromium"),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",  # any free port, written to DevToolsActivePort
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its renderer and GPU processes go with it in stop()
    )
    try:
        port = devtools_port(profile, process, timeout)
        tabs = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
        tab = next(tab for tab in tabs if tab["type"] == "page")
        page = Page(tab["webSocketDebuggerUrl"], timeout)
        try:
            yield page
        finally:
            page.close()
    finally:
        stop(process)
        shutil.rmtree(profile, ignore_errors=True)


def devtools_port(profile, process, timeout):
    deadline = time.monotonic() + timeout
    port_file = profile / "DevToolsActivePort"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"chromium exited {process.returncode}:\n{process.stderr.read()[-4000:]}"
            )
        if port_file.exists() and port_file.read_text().strip():
            return int(port_file.read_text().split()[0])
        time.sleep(0.1)
    raise TimeoutError(f"chromium did not open its DevTools port within {timeout} s")


class Page:
    """One tab: send CDP commands, wait for events; every event received is kept in .events."""

    def __init__(self, url, timeout):
        # No Origin header: Chromium refuses DevTools connections from origins it was not told of.
        self.socket = websocket.create_connection(url, timeout=timeout, suppress_origin=True)
        self.timeout = timeout
        self.events = []
        self.next_id = 0

    def close(self):
        self.socket.close()

    def send(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = self.receive()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def receive(self):
        message = json.loads(self.socket.recv())
        if "method" in message:
            self.events.append(message)
        return message

    def wait_for(self, event, after=0):
        """The first `event` received since self.events had `after` entries."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for message in self.events[after:]:
                if message["method"] == event:
                    return message["params"]
            self.receive()
        raise TimeoutError(f"no {event} within {self.timeout} s")

    def open(self, url):
        """Navigate and wait until the page and everything it loads have arrived."""
        mark = len(self.events)
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired", after=mark)

    def evaluate(self, expression):
        """Run JavaScript in the page and return its (JSON-able) value."""
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}\n{result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_until(self, expression):
        """Evaluate `expression` until it is true, e.g. until a script has drawn the page."""
        deadline = time.monotonic() + self.timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{expression} still false after {self.timeout} s")
            time.sleep(0.1)

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(base64.b64decode(data))
