#!/usr/bin/env python3
"""Renders dsr's HTML extracts in headless Chromium and fails if one scrolls
sideways (issue 12, "the page").

Each page given is opened through ChromeDriver (the WebDriver protocol, from
the standard library only) at a phone's width (390 px, as a mobile device),
at a desktop's (1280 px) and as printed (A4's 718 px of text width, print
media); at each, the page's scroll width must not exceed the viewport's,
and no element may reach past the right edge. A full-page screenshot of
each is written to --shots DIR as NAME-WIDTH.png (look at them with any
image viewer).

The page itself has a CSP that forbids scripts; WebDriver's scripts run
outside it, so the page is measured exactly as a person's browser gets it.

Usage: scripts/page_check.py [--shots DIR] PAGE.html...
Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian: chromium,
chromium-driver). Exit 0 when every page fits at every width, 1 when one
does not (each overflow listed), 2 when the browser cannot be started.
"""

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

CHROMIUM = os.environ.get("DSR_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("DSR_CHROMEDRIVER", "/usr/bin/chromedriver")

# (label, width, height, mobile, media)
VIEWS = [
    ("phone", 390, 844, True, "screen"),
    ("desktop", 1280, 900, False, "screen"),
    ("print", 718, 1047, False, "print"),
]

# Lists what reaches past the viewport's right edge (at most ten).
MEASURE = """
const w = document.documentElement.clientWidth;
const wide = [];
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect();
  if (r.width > 0 && r.right > w + 1) {
    wide.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
      + ' right=' + Math.round(r.right));
    if (wide.length >= 10) break;
  }
}
return {scroll: document.documentElement.scrollWidth, client: w, wide: wide};
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Driver:
    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [CHROMEDRIVER, f"--port={self.port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            try:
                if self.call("GET", "/status")["ready"]:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("chromedriver did not start")
        caps = {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--hide-scrollbars",
                    "--window-size=1280,900",
                ],
            },
        }
        session = self.call("POST", "/session", {"capabilities": {"alwaysMatch": caps}})
        self.sid = session["sessionId"]

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.load(r)["value"]
        except urllib.error.HTTPError as e:
            detail = json.load(e).get("value", {})
            raise RuntimeError(f"{method} {path}: {detail.get('message', e)}") from None

    def s(self, method, path, body=None):
        return self.call(method, f"/session/{self.sid}{path}", body)

    def cdp(self, cmd, params):
        return self.s("POST", "/goog/cdp/execute", {"cmd": cmd, "params": params})

    def close(self):
        try:
            self.s("DELETE", "")
        finally:
            self.proc.terminate()
            self.proc.wait(10)


def check(driver, page, shots):
    problems = []
    url = "file://" + os.path.abspath(page)
    name = os.path.splitext(os.path.basename(page))[0]
    for label, width, height, mobile, media in VIEWS:
        driver.cdp(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )
        driver.cdp("Emulation.setEmulatedMedia", {"media": media})
        driver.s("POST", "/url", {"url": url})
        m = driver.s("POST", "/execute/sync", {"script": MEASURE, "args": []})
        fits = m["scroll"] <= m["client"] and not m["wide"]
        print(
            f"{name} {label} {width}px: scroll width {m['scroll']} in {m['client']}"
            + ("" if fits else " — scrolls sideways: " + "; ".join(m["wide"]))
        )
        if not fits:
            problems.append(f"{page} at {label} ({width}px)")
        if shots:
            shot = driver.cdp(
                "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
            )
            with open(os.path.join(shots, f"{name}-{width}.png"), "wb") as f:
                f.write(base64.b64decode(shot["data"]))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shots", help="directory for the screenshots")
    ap.add_argument("pages", nargs="+")
    args = ap.parse_args()
    for tool in (CHROMIUM, CHROMEDRIVER):
        if not os.access(tool, os.X_OK):
            print(f"page_check: {tool} is missing (Debian: apt-get install chromium chromium-driver)", file=sys.stderr)
            return 2
    if args.shots:
        os.makedirs(args.shots, exist_ok=True)
    try:
        driver = Driver()
    except (RuntimeError, OSError) as e:
        print(f"page_check: the browser did not start: {e}", file=sys.stderr)
        return 2
    problems = []
    try:
        for page in args.pages:
            problems += check(driver, page, args.shots)
    finally:
        driver.close()
    if problems:
        print("page_check: these pages scroll sideways: " + ", ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
