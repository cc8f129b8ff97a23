"""The built-in web page (GET /ui, docs/web-ui.md) in a real browser.

Debian's chromium, headless, is driven over the DevTools protocol (a small
stdlib WebSocket client below: Runtime.evaluate polls the live DOM, so data
that arrives asynchronously, including the never-ending event stream, is
waited for rather than raced). The sidecar is fed by a real Prometheus that
scrapes the simulator. Checked against the simulator's truth and the
sidecar's own API:

- the page and its assets are served with their content types, 404/405
  otherwise, and behind the same basic auth as the rest of the server;
- refused by the server's stream cap (503), the page's live part reopens
  the stream once a slot is free;
- the leaderboard lists exactly the simulator's providers in rank order;
- a region filter, then a GPU-model filter, narrow it to the simulator's
  providers with those attributes; minimum tier and reputation give what the
  API gives for the same query; clearing restores it; a column header sorts;
- the network section lists the simulator's regions with capacity bars;
- a provider page shows the API's components (weights, reasons), criteria,
  the audit trail's incidents, the forecast band and the reputation history
  (SVG, from /api/v1/history);
- the live part counts events from /api/v1/events, and the last one it shows
  is the event with that id on the server's stream;
- in a browser authenticated by basic auth, under a Content-Security-Policy
  of default-src 'self', the page loads and the event stream connects.

Chromium is killed by PID (and its process group) whatever the outcome.
DEPIN_WEB_SCREENSHOTS=<dir> saves screenshots of the views there.
"""

import base64
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import time
import unittest
import urllib.parse

import harness
from harness import (FAST_SIDECAR_CONFIG, IntegrationTestCase, Process, Sidecar, get_json,
                     http_get, http_post, log)

CHROMIUM = shutil.which("chromium")
READY_TIMEOUT = 150     # every provider of the fleet ranked
FORECAST_TIMEOUT = 120  # forecasts appear after two 20 s seasons of data
EVENT_TIMEOUT = 90      # outages of p-004/p-005 every 30 s cause penalty events
DOM_TIMEOUT = 30        # the page shows what the API has

# The harness's fast settings, with forecasts that warm up within the test.
SIDECAR_CONFIG = dict(FAST_SIDECAR_CONFIG, forecast={
    "step": "5s", "season": "20s", "horizons": ["10s", "30s", "1m"]})


# --------------------------------------------------------------------------
# A minimal Chrome DevTools protocol client (RFC 6455 WebSocket, stdlib only)

class PageScriptError(AssertionError):
    pass


class DevTools:
    """One WebSocket connection to a page target; call() sends a command and
    returns its result, skipping the protocol's events."""

    GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, ws_url, timeout=30):
        u = urllib.parse.urlsplit(ws_url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16))
        self.sock.sendall(b"GET " + u.path.encode() + b" HTTP/1.1\r\n"
                          b"Host: " + ("%s:%d" % (u.hostname, u.port)).encode() + b"\r\n"
                          b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                          b"Sec-WebSocket-Key: " + key + b"\r\n"
                          b"Sec-WebSocket-Version: 13\r\n\r\n")
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self._recv()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if " 101 " not in lines[0] + " ":
            raise AssertionError("DevTools handshake failed: %s" % lines[0])
        headers = {k.strip().lower(): v.strip() for k, v in
                   (line.split(":", 1) for line in lines[1:] if ":" in line)}
        accept = base64.b64encode(hashlib.sha1(key + self.GUID).digest()).decode()
        if headers.get("sec-websocket-accept") != accept:
            raise AssertionError("DevTools handshake: bad Sec-WebSocket-Accept")
        self.next_id = 0

    def close(self):
        try:
            self._send_frame(0x8, b"")
        except OSError:
            pass
        self.sock.close()

    def _recv(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise AssertionError("DevTools connection closed")
        return chunk

    def _read(self, n):
        while len(self.buf) < n:
            self.buf += self._recv()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send_frame(self, opcode, payload):
        # Client frames are masked (RFC 6455 5.3).
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _message(self):
        """The next text message (fragments joined; pings answered)."""
        parts = []
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                raise AssertionError("DevTools connection closed by the browser")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x1, 0x0):
                parts.append(payload)
                if b0 & 0x80:
                    return b"".join(parts).decode("utf-8")

    def call(self, method, params=None):
        self.next_id += 1
        mid = self.next_id
        self._send_frame(0x1, json.dumps({"id": mid, "method": method,
                                          "params": params or {}}).encode())
        while True:
            msg = json.loads(self._message())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise AssertionError("%s failed: %s" % (method, msg["error"]))
                return msg.get("result", {})

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page (promises awaited)."""
        res = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True})
        if "exceptionDetails" in res:
            raise PageScriptError("page script failed: %s\n%s" % (
                expression, json.dumps(res["exceptionDetails"])[:1000]))
        return res.get("result", {}).get("value")

    def wait_for(self, expression, what, timeout=DOM_TIMEOUT, interval=0.25):
        """Polls `expression` until it is truthy; returns its value. Script
        errors count as not yet (the page may still be loading)."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except PageScriptError as e:
                value = e
            if value and not isinstance(value, PageScriptError):
                return value
            time.sleep(interval)
        raise AssertionError("page: %s not seen within %.0f s (last value %r; body: %s)" % (
            what, timeout, value, self.evaluate("document.body.innerText.slice(0, 1500)")))

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png",
                                                   "captureBeyondViewport": True})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))


class Chromium(Process):
    """Debian's headless chromium with a DevTools port, in its own process
    group; stop() ends it by PID, then anything left of its group or still
    using its profile directory."""

    def __init__(self, workdir, url, name="chromium"):
        self.profile = os.path.join(workdir, name + "-profile")
        os.makedirs(self.profile, exist_ok=True)
        super().__init__(name, [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                                "--disable-dev-shm-usage", "--no-first-run",
                                "--no-default-browser-check", "--disable-extensions",
                                "--disable-background-networking", "--window-size=1280,1024",
                                "--user-data-dir=" + self.profile,
                                "--remote-debugging-address=127.0.0.1",
                                "--remote-debugging-port=0", url], workdir)

    def start(self):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, cwd=self.workdir,
                                     start_new_session=True)
        harness._ALL_PROCESSES.append(self)  # stopped at exit even if the test is interrupted
        log("started %s pid %d" % (self.name, self.proc.pid))
        return self

    def stop(self, timeout=harness.STOP_TIMEOUT):
        code = super().stop(timeout)
        if self.proc is None:
            return code
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # zygotes, renderers, GPU process
        except (ProcessLookupError, PermissionError):
            pass
        needle = ("--user-data-dir=" + self.profile).encode()
        for pid in os.listdir("/proc"):  # crashpad handlers live in sessions of their own
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    if needle in f.read():
                        os.kill(int(pid), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass
        return code

    def devtools(self, url_prefix, timeout=30):
        """A DevTools connection to the page whose URL starts with url_prefix."""
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError("chromium exited with %s\n%s" % (
                    self.returncode(), self.log_tail()))
            try:
                with open(port_file) as f:
                    port = int(f.readline())
                status, _, body = http_get("http://127.0.0.1:%d/json/list" % port)
                pages = [t for t in json.loads(body) if t.get("type") == "page" and
                         t.get("url", "").startswith(url_prefix)] if status == 200 else []
                if pages:
                    return DevTools(pages[0]["webSocketDebuggerUrl"])
            except (OSError, ValueError):
                pass
            time.sleep(0.25)
        raise AssertionError("no chromium page for %s within %.0f s\n%s" % (
            url_prefix, timeout, self.log_tail()))


def sse_event(url, event_id, headers=None, timeout=20):
    """The event with id `event_id` on the server's stream (from its history)."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request("GET", u.path, headers=dict(headers or {}, **{"Last-Event-ID": "0"}))
        resp = conn.getresponse()
        if resp.status != 200:
            raise AssertionError("GET %s: HTTP %d" % (url, resp.status))
        event = {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = resp.fp.readline().decode("utf-8").rstrip("\n")
            if line:
                field, _, value = line.partition(":")
                event[field] = value[1:] if value.startswith(" ") else value
                continue
            if event.get("id") == str(event_id):
                return event
            event = {}
        raise AssertionError("event %s not on the stream within %.0f s" % (event_id, timeout))
    finally:
        conn.close()


def bcrypt_hash(password):
    """As test_security.py: Python's crypt (libxcrypt), else htpasswd."""
    from test_security import bcrypt_hash as make
    return make(password)


# JavaScript snippets read by the test.
ROWS = "[...document.querySelectorAll('#board tbody tr')].map(r => r.dataset.provider)"
RANKS = ("[...document.querySelectorAll('#board tbody tr')]"
         ".map(r => Number(r.cells[0].textContent))")


def js_json(value):
    """A JavaScript string literal holding JSON.stringify(value)'s text."""
    return json.dumps(json.dumps(value, separators=(",", ":")))


def set_control(control_id, value):
    return ("(() => { const c = document.getElementById(%s); c.value = %s; "
            "c.dispatchEvent(new Event('change')); return true; })()" % (
                json.dumps(control_id), json.dumps(value)))


@unittest.skipIf(CHROMIUM is None, "chromium is not installed (scripts/install-deps.sh)")
class WebPageTest(IntegrationTestCase):
    def screenshot(self, tab, name):
        directory = os.environ.get("DEPIN_WEB_SCREENSHOTS")
        if directory:
            os.makedirs(directory, exist_ok=True)
            tab.screenshot(os.path.join(directory, name + ".png"))

    def test_served_with_content_types_and_auth(self):
        workdir = self.tmpdir()
        sidecar = self.start_process(Sidecar(workdir, SIDECAR_CONFIG)).wait_ready()
        for path, kind, marker in (("/ui", "text/html", b'<script src="/ui/ui.js"'),
                                   ("/ui/", "text/html", b'<table id="board"'),
                                   ("/ui/ui.css", "text/css", b".tier-gold"),
                                   ("/ui/ui.js", "text/javascript", b"new EventSource(")):
            status, headers, body = http_get(sidecar.url + path)
            self.assertEqual(status, 200, path)
            self.assertTrue(headers["content-type"].startswith(kind), (path, headers))
            self.assertEqual(headers.get("cache-control"), "no-cache", path)
            self.assertIn(marker, body, path)
        status, _, body = http_get(sidecar.url + "/")
        self.assertEqual(status, 200)
        self.assertIn(b'<a href="/ui">', body)  # the landing page links the page
        status, _, _ = http_get(sidecar.url + "/ui/missing.js")
        self.assertEqual(status, 404)
        status, _, _ = http_post(sidecar.url + "/ui", b"x")
        self.assertEqual(status, 405)

        # The server refuses streams past its cap (503), which ends an
        # EventSource for good: the page opens a new one once a slot is free.
        held = []
        try:
            while True:
                conn = http.client.HTTPConnection("127.0.0.1", sidecar.port, timeout=10)
                conn.request("GET", "/api/v1/events")
                resp = conn.getresponse()
                if resp.status != 200:
                    self.assertEqual(resp.status, 503)
                    conn.close()
                    break
                held.append(conn)
                self.assertLessEqual(len(held), 64, "no stream cap")
            browser = self.start_process(Chromium(workdir, sidecar.url + "/ui", name="chromium-cap"))
            tab = browser.devtools(sidecar.url + "/ui")
            self.addCleanup(tab.close)
            tab.wait_for("document.getElementById('live-state').dataset.state === 'reconnecting'",
                         "event stream refused past the cap")
            time.sleep(3)
            self.assertEqual(tab.evaluate(
                "document.getElementById('live-state').dataset.state"), "reconnecting")
        finally:
            for conn in held:
                conn.close()
        # A slot frees when the server next writes to a closed stream (the
        # heartbeat, every 15 s); the page retries every 10 s.
        tab.wait_for("document.getElementById('live-state').dataset.state === 'connected'",
                     "event stream reopened", timeout=45)
        log("%d streams held; the page reconnected once they closed" % len(held))
        browser.stop()

        # The same basic auth as every other path; a browser that has the
        # credentials gets the page, its data and the event stream, also
        # under a strict Content-Security-Policy (no inline script or style).
        password = "web-pw"
        web_config = os.path.join(workdir, "web.yml")
        with open(web_config, "w") as f:
            json.dump({"basic_auth_users": {"alice": bcrypt_hash(password)},
                       "http_server_config": {"headers": {
                           "Content-Security-Policy": "default-src 'self'"}}}, f)
        secured = self.start_process(Sidecar(
            self.tmpdir(), SIDECAR_CONFIG, extra_args=["--web.config.file=" + web_config],
            name="sidecar-auth"))
        harness.wait_http(secured.url + "/ui", process=secured, expect=401)
        for path in ("/ui", "/ui/ui.js", "/api/v1/network"):
            status, headers, _ = http_get(secured.url + path)
            self.assertEqual(status, 401, path)
            self.assertIn("www-authenticate", headers)
        auth = {"Authorization": "Basic " + base64.b64encode(
            ("alice:" + password).encode()).decode()}
        status, headers, _ = http_get(secured.url + "/ui", headers=auth)
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        self.assertEqual(headers.get("content-security-policy"), "default-src 'self'")

        url = "http://alice:%s@127.0.0.1:%d/ui" % (password, secured.port)
        browser = self.start_process(Chromium(workdir, url))
        tab = browser.devtools(url)
        self.addCleanup(tab.close)
        tab.wait_for("document.getElementById('live-state').dataset.state === 'connected'",
                     "event stream connected behind basic auth")
        tab.wait_for("document.body.dataset.view === 'board' && "
                     "document.getElementById('error').hidden",
                     "leaderboard loaded behind basic auth")
        self.assertIn("0 providers", tab.evaluate(
            "document.getElementById('network-summary').textContent"))

    def test_leaderboard_provider_network_and_live_events(self):
        fleet = self.start_fleet(sidecar_config=SIDECAR_CONFIG)
        workdir, sim, sidecar = fleet.workdir, fleet.sim, fleet.sidecar
        truth = sim.truth()
        providers = {p["id"]: p for p in truth["providers"]}
        self.assertGreaterEqual(len(providers), 4, truth)

        start = time.monotonic()
        while True:
            status, _, raw = http_get(sidecar.url + "/api/v1/providers?limit=1000")
            page = json.loads(raw) if status == 200 else {"providers": []}
            if (len(page["providers"]) == len(providers) and
                    all(p["rank"] is not None for p in page["providers"])):
                break
            self.assertLess(time.monotonic() - start, READY_TIMEOUT,
                            "providers not all ranked: %s" % raw[:500])
            time.sleep(1)
        log("all %d providers ranked after %.0f s" % (len(providers), time.monotonic() - start))

        browser = self.start_process(Chromium(workdir, sidecar.url + "/ui"))
        tab = browser.devtools(sidecar.url + "/ui")
        self.addCleanup(tab.close)

        # Leaderboard: exactly the simulator's providers, in rank order.
        tab.wait_for("%s.length === %d" % (ROWS, len(providers)), "every provider listed")
        self.assertEqual(sorted(tab.evaluate(ROWS)), sorted(providers))
        ranks = tab.evaluate(RANKS)
        self.assertEqual(ranks, sorted(ranks), "leaderboard not in rank order")
        self.assertEqual(tab.evaluate(
            "document.querySelectorAll('#board tbody svg.bar').length"), len(providers))

        # Network: the simulator's regions, each with a capacity bar.
        regions = sorted({p["region"] for p in providers.values()})
        shown = tab.wait_for(
            "(() => { const r = [...document.querySelectorAll('#regions tbody tr')]"
            ".map(t => t.dataset.region); return r.length === %d && r; })()" % len(regions),
            "every region in the network section")
        self.assertEqual(sorted(shown), regions)
        self.assertEqual(tab.evaluate("document.querySelectorAll('#regions tbody svg.bar').length"),
                         len(regions))
        gpus = {r["region"]: r["gpus_total"] for r in get_json(sidecar.url + "/api/v1/network")["regions"]}
        texts = tab.evaluate("Object.fromEntries([...document.querySelectorAll('#regions tbody tr')]"
                             ".map(t => [t.dataset.region, t.cells[3].textContent]))")
        for region in regions:
            self.assertIn("/ %d" % gpus[region], texts[region])
        self.screenshot(tab, "leaderboard")

        # Filters narrow the list to the simulator's providers with those attributes.
        region = providers[truth["order"][0]]["region"]
        in_region = sorted(i for i, p in providers.items() if p["region"] == region)
        self.assertLess(len(in_region), len(providers))
        tab.evaluate(set_control("f-region", region))
        tab.wait_for("JSON.stringify(%s.sort()) === %s" % (ROWS, js_json(in_region)),
                     "leaderboard filtered to region %s" % region)
        self.assertIn("region=" + region, tab.evaluate("location.hash"))
        gpu = providers[in_region[-1]]["gpu_model"]
        both = sorted(i for i in in_region if providers[i]["gpu_model"] == gpu)
        self.assertLess(len(both), len(in_region), "fleet file: a region with two GPU models")
        tab.evaluate(set_control("f-gpu", gpu))
        tab.wait_for("JSON.stringify(%s.sort()) === %s" % (ROWS, js_json(both)),
                     "leaderboard filtered to %s in %s" % (gpu, region))
        self.screenshot(tab, "filtered")
        tab.evaluate("document.getElementById('f-reset').click()")
        tab.wait_for("%s.length === %d" % (ROWS, len(providers)), "filters cleared")

        # Minimum tier and reputation: the page lists what the API answers to
        # the same query (tiers move, so both are read until they agree).
        tab.evaluate(set_control("f-tier", "silver"))
        tab.evaluate(set_control("f-score", "50"))
        self.assertIn("min_score=50", tab.evaluate("location.hash"))
        deadline = time.monotonic() + DOM_TIMEOUT
        while True:
            expected = [p["id"] for p in get_json(
                sidecar.url + "/api/v1/providers?tier=silver&min_score=50")["providers"]]
            shown = tab.evaluate(ROWS)
            if shown == expected:
                break
            self.assertLess(time.monotonic(), deadline, "page %s, API %s" % (shown, expected))
            time.sleep(0.5)
        self.assertLess(len(expected), len(providers))
        tiers = tab.evaluate("[...document.querySelectorAll('#board tbody tr')]"
                             ".map(r => r.cells[4].textContent)")
        self.assertTrue(all(t in ("silver", "gold", "platinum") for t in tiers), tiers)
        tab.evaluate("document.getElementById('f-reset').click()")
        tab.wait_for("%s.length === %d" % (ROWS, len(providers)), "filters cleared")

        # Sorting by a column header: reputation, best first.
        tab.evaluate("document.querySelector('#board th button[data-sort=reputation]').click()")
        reputations = tab.wait_for(
            "location.hash.includes('sort=reputation') && %s.length === %d && "
            "[...document.querySelectorAll('#board tbody tr')]"
            ".map(r => parseFloat(r.cells[5].textContent))" % (ROWS, len(providers)),
            "leaderboard sorted by reputation")
        self.assertEqual(reputations, sorted(reputations, reverse=True))
        tab.evaluate("location.hash = '#/'")
        tab.wait_for("%s.length === %d && !location.hash.includes('sort')" % (ROWS, len(providers)),
                     "back to rank order")

        # Provider page: the worst provider has planted outages, so penalties.
        worst = truth["order"][-1]
        deadline = time.monotonic() + EVENT_TIMEOUT
        while True:
            audit = get_json(sidecar.url + "/api/v1/providers/%s/audit" % worst)["records"]
            if any(r["kind"] == "penalty" for r in audit):
                break
            self.assertLess(time.monotonic(), deadline, "no penalty for %s: %s" % (worst, audit))
            time.sleep(2)
        detail = get_json(sidecar.url + "/api/v1/providers/" + worst)
        tab.evaluate("document.querySelector('#board a[href=\"#/provider/%s\"]').click()" % worst)
        tab.wait_for("!document.getElementById('view-provider').hidden && "
                     "document.getElementById('view-provider').dataset.provider === %s" %
                     json.dumps(worst), "provider page of " + worst)
        self.assertTrue(tab.evaluate("document.getElementById('view-board').hidden"))
        self.assertIn(worst, tab.evaluate("document.getElementById('p-title').textContent"))
        components = tab.evaluate(
            "[...document.querySelectorAll('#components tbody tr')].map(r => "
            "({name: r.dataset.component, weight: Number(r.cells[1].textContent), "
            "reason: r.cells[4].textContent, bars: r.querySelectorAll('svg.bar').length}))")
        self.assertEqual([c["name"] for c in components],
                         [c["component"] for c in detail["components"]])
        for shown_c, api_c in zip(components, detail["components"]):
            self.assertAlmostEqual(shown_c["weight"], api_c["weight"], places=2)
            self.assertTrue(shown_c["reason"], shown_c)
            self.assertEqual(shown_c["bars"], 1)
        self.assertIn("network median", " ".join(c["reason"] for c in components))
        self.assertEqual(tab.evaluate("document.querySelectorAll('#criteria tbody tr').length"),
                         len(detail["criteria"]))
        kinds = tab.wait_for(
            "(() => { const k = [...document.querySelectorAll('#incidents tbody tr')]"
            ".map(r => r.dataset.kind); return k.includes('penalty') && k; })()",
            "a penalty among the incidents")
        self.assertGreaterEqual(kinds.count("penalty"),
                                sum(1 for r in audit if r["kind"] == "penalty"))

        # Forecast band once the sidecar forecasts (after two seasons).
        deadline = time.monotonic() + FORECAST_TIMEOUT
        needle = 'depin_provider_forecast{bound="upper"'
        while not any(needle in line and 'provider="%s"' % worst in line and
                      'signal="uptime"' in line
                      for line in sidecar.metrics_body().decode().splitlines()):
            self.assertLess(time.monotonic(), deadline, "no forecast for %s" % worst)
            time.sleep(2)
        tab.evaluate("refresh('navigation')")
        signals = tab.wait_for(
            "(() => { const f = [...document.querySelectorAll('#forecast figure')]; "
            "return f.some(x => x.dataset.signal === 'uptime') && "
            "f.every(x => x.querySelector('polygon.band')) && "
            "f.map(x => x.dataset.signal); })()", "forecast bands, uptime's among them")
        self.assertLessEqual(set(signals), {"uptime", "gpu_util", "failure_ratio", "jobs_completed"})
        self.assertEqual(tab.evaluate(
            "document.querySelector('#forecast figure[data-signal=uptime]')"
            ".querySelectorAll('circle.dot').length"), 3)  # the three horizons
        self.assertGreaterEqual(int(tab.evaluate(
            "document.getElementById('reputation-chart').dataset.points")), 2)
        self.assertTrue(tab.evaluate("!!document.querySelector('#reputation-chart polyline')"))
        self.screenshot(tab, "provider")

        # Live: the counter grows with the stream, and the last event shown is
        # the server's event with that id.
        first = tab.wait_for("Number(document.getElementById('event-count').textContent) > 0 && "
                             "Number(document.getElementById('event-count').textContent)",
                             "a first live event", timeout=EVENT_TIMEOUT)
        self.assertEqual(tab.evaluate("document.getElementById('live-state').dataset.state"),
                         "connected")
        later = tab.wait_for(
            "Number(document.getElementById('event-count').textContent) > %d && "
            "[document.getElementById('live').dataset.lastEventId, "
            "document.getElementById('last-event').textContent, "
            "document.querySelector('#events li').dataset.kind]" % first,
            "a further live event", timeout=EVENT_TIMEOUT)
        event_id, last_line, kind = later
        on_server = sse_event(sidecar.url + "/api/v1/events", event_id)
        self.assertEqual(on_server["event"], kind)
        self.assertIn(kind, last_line)
        data = json.loads(on_server["data"])
        self.assertIn(data.get("provider") or data.get("region"), last_line)
        log("page saw %d+ events; last %s: %s" % (first, event_id, last_line))
        self.screenshot(tab, "live")


if __name__ == "__main__":
    unittest.main()
