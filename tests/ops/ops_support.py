"""Helpers shared by the ops tests (tests/ops): the repository's files, a
recording HTTP server and SMTP server (the "receivers" behind Alertmanager),
and Alertmanager as a process. Builds on tests/integration/harness.py
(free ports, processes stopped by PID, temporary directories).

Python: Debian's /usr/bin/python3 (stdlib + python3-yaml).
"""

import email
import email.policy
import http.server
import json
import os
import socketserver
import sys
import threading

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import harness  # noqa: E402  (tests/integration/harness.py)
from harness import Process, free_port, wait_http  # noqa: E402,F401

SOURCE_DIR = harness.SOURCE_DIR
ALERTMANAGER_BIN = os.environ.get("DEPIN_ALERTMANAGER_BIN", "/usr/bin/prometheus-alertmanager")
AMTOOL_BIN = os.environ.get("DEPIN_AMTOOL_BIN", "/usr/bin/amtool")
PROMTOOL_BIN = harness.PROMTOOL_BIN

RULES_DIR = os.path.join(SOURCE_DIR, "rules")
RULE_FILES = [os.path.join(RULES_DIR, f) for f in ("depin-recording.yml", "depin-alerts.yml")]
ALERTMANAGER_CONFIG = os.path.join(SOURCE_DIR, "alertmanager", "alertmanager.yml")
DASHBOARD_DIR = os.path.join(SOURCE_DIR, "grafana", "dashboards")
RUNBOOK_DIR = os.path.join(SOURCE_DIR, "docs", "runbooks")
RUNBOOK_URL_PREFIX = "https://github.com/depin-sidecar/depin-sidecar/blob/main/docs/runbooks/"

# Series that later analytics will add. Rules, dashboards and recording
# rules may use them; over an absent series they are silent or empty. Kept in
# sync with the list in docs/operations.md (test_static checks). Empty now:
# every series the rules and dashboards read is exported.
FORWARD_REFERENCES = ()

# Exported, but empty until their Holt-Winters models have seen two seasons.
WARMING_UP = (
    "depin_provider_forecast",
    "depin_network_capacity_exhaustion_seconds",
)


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


def alert_rules():
    """Every alerting rule of rules/depin-alerts.yml as (group name, rule dict)."""
    doc = load_yaml(os.path.join(RULES_DIR, "depin-alerts.yml"))
    return [(g["name"], r) for g in doc["groups"] for r in g["rules"] if "alert" in r]


def recording_rules():
    doc = load_yaml(os.path.join(RULES_DIR, "depin-recording.yml"))
    return [(g["name"], r) for g in doc["groups"] for r in g["rules"] if "record" in r]


# --------------------------------------------------------------------------
# Recording receivers

class Recorder:
    """Thread-safe list of what the receivers got."""

    def __init__(self):
        self._lock = threading.Lock()
        self._items = []

    def add(self, item):
        with self._lock:
            self._items.append(item)

    def items(self):
        with self._lock:
            return list(self._items)


class HTTPReceiver:
    """Answers 200 to every POST and records (path, headers, JSON body)."""

    def __init__(self):
        self.port = free_port()
        self.requests = Recorder()
        recorder = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = body.decode("utf-8", "replace")
                recorder.add({"path": self.path,
                              "headers": {k.lower(): v for k, v in self.headers.items()},
                              "body": payload})
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class SMTPReceiver:
    """A minimal SMTP server (no TLS, no AUTH) that records the messages."""

    def __init__(self):
        self.port = free_port()
        self.messages = Recorder()
        recorder = self.messages

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line):
                self.wfile.write((line + "\r\n").encode())
                self.wfile.flush()

            def handle(self):
                self.reply("220 localhost test SMTP")
                mail_from, rcpt = None, []
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    cmd = line.split(" ", 1)[0].upper()
                    if cmd in ("EHLO", "HELO"):
                        self.reply("250 localhost")
                    elif cmd == "MAIL":
                        mail_from = line[10:].strip()
                        self.reply("250 OK")
                    elif cmd == "RCPT":
                        rcpt.append(line[8:].strip())
                        self.reply("250 OK")
                    elif cmd == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        data = []
                        while True:
                            l = self.rfile.readline()
                            if not l or l in (b".\r\n", b".\n"):
                                break
                            if l.startswith(b".."):
                                l = l[1:]
                            data.append(l)
                        msg = email.message_from_bytes(b"".join(data), policy=email.policy.default)
                        recorder.add({"from": mail_from, "to": list(rcpt), "message": msg})
                        mail_from, rcpt = None, []
                        self.reply("250 OK")
                    elif cmd == "RSET":
                        mail_from, rcpt = None, []
                        self.reply("250 OK")
                    elif cmd == "NOOP":
                        self.reply("250 OK")
                    elif cmd == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Command not implemented")

        class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------
# Alertmanager

class AlertmanagerServer(Process):
    """prometheus-alertmanager with a config file, data in a temporary
    directory, clustering off."""

    def __init__(self, workdir, config_text, port=None, name="alertmanager"):
        self.port = port or free_port()
        self.config_path = os.path.join(workdir, name + ".yml")
        with open(self.config_path, "w") as f:
            f.write(config_text)
        data = os.path.join(workdir, name + "-data")
        os.makedirs(data, exist_ok=True)
        super().__init__(name, [ALERTMANAGER_BIN,
                                "--config.file=" + self.config_path,
                                "--storage.path=" + data,
                                "--web.listen-address=127.0.0.1:%d" % self.port,
                                "--cluster.listen-address=",
                                "--log.level=debug"], workdir)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def wait_ready(self, timeout=30):
        wait_http(self.url + "/-/ready", timeout, process=self)
        return self

    def post_alerts(self, alerts):
        status, _, body = harness.http_post(
            self.url + "/api/v2/alerts", json.dumps(alerts).encode(),
            headers={"Content-Type": "application/json"})
        if status != 200:
            raise AssertionError("POST /api/v2/alerts: HTTP %d %r" % (status, body[:300]))

    def alerts(self):
        return harness.get_json(self.url + "/api/v2/alerts")


# ---------------------------------------------------------------------------
# The shipped alertmanager/alertmanager.yml, pointed at local receivers

PAGER_URL_PREFIX = "https://pager.example.com/v1/alertmanager/"
SECRETS_DIR = "/etc/alertmanager/secrets/"
TOKEN = "test-pager-token"


def shorten_timers(route):
    for key in ("group_wait", "group_interval"):
        if key in route:
            route[key] = "1s"
    for child in route.get("routes", []) or []:
        shorten_timers(child)


def alertmanager_config_for_test(workdir, http_url, smtp_port):
    with open(ALERTMANAGER_CONFIG) as f:
        text = f.read()
    secrets = os.path.join(workdir, "secrets") + "/"
    os.makedirs(secrets, exist_ok=True)
    text = text.replace(SECRETS_DIR, secrets)
    text = text.replace(PAGER_URL_PREFIX, http_url + "/pager/")
    with open(secrets + "slack_url", "w") as f:
        f.write(http_url + "/slack\n")
    with open(secrets + "pager_token", "w") as f:
        f.write(TOKEN + "\n")
    with open(secrets + "smtp_password", "w") as f:
        f.write("not-used-without-AUTH\n")
    config = yaml.safe_load(text)
    config["global"]["smtp_smarthost"] = "127.0.0.1:%d" % smtp_port
    config["global"]["smtp_require_tls"] = False
    config["templates"] = [os.path.join(SOURCE_DIR, "alertmanager", "templates", "*.tmpl")]
    config["route"]["group_wait"] = "1s"
    config["route"]["group_interval"] = "1s"
    shorten_timers(config["route"])
    return yaml.safe_dump(config, sort_keys=False)


def start_shipped_alertmanager(test, workdir):
    """Starts the shipped Alertmanager config with its Slack/pager webhooks on
    a local HTTPReceiver and its mail on a local SMTPReceiver; all three are
    stopped at the end of `test`. Returns (alertmanager, http, smtp)."""
    http = HTTPReceiver().start()
    test.addCleanup(http.stop)
    smtp = SMTPReceiver().start()
    test.addCleanup(smtp.stop)
    am = test.start_process(AlertmanagerServer(
        workdir, alertmanager_config_for_test(workdir, http.url, smtp.port))).wait_ready()
    return am, http, smtp
