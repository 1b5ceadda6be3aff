"""Open ``report.html`` in headless Chromium, as a reader would, and say what it shows.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON
messages separated by NUL bytes on file descriptors 3 and 4), so nothing beyond the standard
library and a ``chromium`` binary is needed: no WebDriver, no websocket client, no port.
``inspect_report`` records console errors and uncaught exceptions, checks that every claim shows
its heatmap and at least one curve, clicks a heatmap cell to check the details panel opens,
checks that no markup from data reached the page (an image, frame or event-handler attribute,
none of which the report draws; a hostile test payload also sets ``window.__injected`` if it
ever runs), and saves a screenshot of the page.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MAX_SCREENSHOT_HEIGHT = 16000  # Chromium's limit for one capture is about 16k pixels

# Run in the page after it loaded: per claim, is its heatmap drawn, how many curves are drawn;
# then does clicking a cell open the details panel.
PROBE = """(() => {
  const seen = [...document.querySelectorAll('section.spec')].map(s => {
    const drawn = el => { const r = el.getBoundingClientRect(); return r.width > 20 && r.height > 20; };
    const map = s.querySelector('table.heatmap');
    return {spec: s.dataset.spec, heatmap: !!map && drawn(map),
            curves: [...s.querySelectorAll('figure.curve svg')].filter(drawn).length,
            noCurve: !!s.querySelector('.no-curve')};
  });
  const cell = document.querySelector('td.cell[data-cell]');
  let details = false;
  if (cell) { cell.click(); const box = document.getElementById('details');
              details = getComputedStyle(box).display !== 'none' && box.textContent.includes('verdict'); }
  // the page draws no image, frame or handler attribute of its own: any is markup from data
  const injected = document.querySelectorAll('img, iframe, object, embed, script:not([id]):not(:last-of-type), [onerror], [onload], [onclick], [onmouseover]').length;
  return JSON.stringify({claims: seen, details: details, hasCells: !!cell, injected: injected,
                         ran: !!window.__injected});
})()"""


class BrowserMissing(RuntimeError):
    """No Chromium on this machine."""


@dataclass
class PageReport:
    claims: int = 0
    problems: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


def find_chromium() -> str:
    explicit = os.environ.get("MECHANISMS_CHROMIUM")
    for name in ([explicit] if explicit else []) + list(CANDIDATES):
        path = shutil.which(name)
        if path:
            return path
    raise BrowserMissing(
        "no Chromium found (looked for " + ", ".join(CANDIDATES) + "; set MECHANISMS_CHROMIUM to "
        "its path); on Debian or Ubuntu: apt-get install chromium"
    )


def inspect_report(
    page: Path,
    screenshot: Path | None = None,
    width: int = 1280,
    height: int | None = None,
    timeout: float = 60,
) -> PageReport:
    """Load ``page`` from disk, probe it, and save a ``screenshot`` (PNG) of its top ``height``
    pixels (default: the whole page)."""
    with DevTools(find_chromium(), timeout) as tab:
        tab.call(
            "Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=False
        )
        tab.load(Path(page).resolve().as_uri())
        seen = json.loads(
            tab.call("Runtime.evaluate", expression=PROBE, returnByValue=True)["result"]["value"]
        )
        report = PageReport(claims=len(seen["claims"]), console=tab.errors)
        report.problems += [f"console: {line}" for line in tab.errors]
        for claim in seen["claims"]:
            if not claim["heatmap"]:
                report.problems.append(f"{claim['spec']}: no heatmap drawn")
            if not claim["curves"] and not claim["noCurve"]:
                report.problems.append(f"{claim['spec']}: no curve drawn")
        if seen["hasCells"] and not seen["details"]:
            report.problems.append("clicking a heatmap cell did not open its details")
        if seen["injected"]:
            report.problems.append(
                f"markup from data in the page: {seen['injected']} element(s) it never draws"
            )
        if seen["ran"]:
            report.problems.append("a script from data ran (window.__injected is set)")
        if screenshot is not None:
            tab.call("Runtime.evaluate", expression="document.getElementById('details').style.display='none'")
            tab.screenshot(Path(screenshot), width, height)
    return report


class DevTools:
    """One headless Chromium with one tab, spoken to over the DevTools pipe."""

    def __init__(self, binary: str, timeout: float) -> None:
        self.binary, self.timeout = binary, timeout
        self.errors: list[str] = []
        self._buffer = b""
        self._next_id = 0

    def __enter__(self) -> DevTools:
        self._profile = tempfile.TemporaryDirectory(prefix="mechanisms-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def on_fds_3_and_4() -> None:  # in the child, before exec
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser_r, from_browser_w)]
            os.dup2(high[0], 3)  # moved up first: either end may itself be fd 3 or 4
            os.dup2(high[1], 4)

        flags = [
            "--headless",
            "--remote-debugging-pipe",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--disable-extensions",
            f"--user-data-dir={self._profile.name}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self._process = subprocess.Popen(
            [self.binary, *flags, "about:blank"],
            preexec_fn=on_fds_3_and_4,
            close_fds=False,  # every fd Python opened is close-on-exec; dup2 made 3 and 4 inheritable
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        target = self._send("Target.createTarget", None, url="about:blank")["targetId"]
        self._session = self._send("Target.attachToTarget", None, targetId=target, flatten=True)["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable")
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError, TimeoutError, RuntimeError):
            self._send("Browser.close", None)
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        for fd in (self._to_browser, self._from_browser):
            os.close(fd)
        self._profile.cleanup()

    def call(self, method: str, **params: object) -> dict:
        """A command to the tab; returns its result."""
        return self._send(method, self._session, **params)

    def load(self, url: str) -> None:
        self.call("Page.navigate", url=url)
        self._until(lambda m: m.get("method") == "Page.loadEventFired")

    def screenshot(self, path: Path, width: int, height: int | None) -> None:
        metrics = self.call("Page.getLayoutMetrics")
        full = int(metrics["cssContentSize"]["height"])
        tall = min(height or full, full, MAX_SCREENSHOT_HEIGHT)
        self.call(
            "Emulation.setDeviceMetricsOverride", width=width, height=tall, deviceScaleFactor=1, mobile=False
        )
        shot = self.call("Page.captureScreenshot", format="png")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def _send(self, method: str, session: str | None, **params: object) -> dict:
        self._next_id += 1
        message: dict = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        reply = self._until(lambda m: m.get("id") == message["id"])
        if "error" in reply:
            raise RuntimeError(f"Chromium: {method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def _until(self, wanted) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read(deadline)
            self._note(message)
            if wanted(message):
                return message

    def _note(self, message: dict) -> None:
        """Keep what a reader would see as an error in the page's console."""
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(
                " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            )
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.errors.append(
                details.get("exception", {}).get("description") or details.get("text", "exception")
            )
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.errors.append(params["entry"].get("text", ""))

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError(f"Chromium did not answer within {self.timeout:.0f} s")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe (did it crash?)")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)
