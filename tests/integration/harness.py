"""Harness for the integration tests: real binaries on 127.0.0.1, free ports,
temporary directories, every process stopped by PID (also when a test fails).

Standard library only. Configuration files are written as JSON, which is
YAML, so no YAML module is needed.

Environment (set by CTest, see CMakeLists.txt):
  DEPIN_SIDECAR_BIN    path of depin-sidecar
  DEPIN_SIMULATOR_BIN  path of depin-simulator
  DEPIN_SOURCE_DIR     the repository root
  DEPIN_PROMETHEUS_BIN optional, default /usr/bin/prometheus
  DEPIN_PROMTOOL_BIN   optional, default /usr/bin/promtool
  DEPIN_IT_KEEP=1      keep the temporary directories (logs, data) after the run
"""

import atexit
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

SOURCE_DIR = os.environ.get("DEPIN_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
SIDECAR_BIN = os.environ.get("DEPIN_SIDECAR_BIN") or os.path.join(
    SOURCE_DIR, "build", "src", "app", "depin-sidecar")
SIMULATOR_BIN = os.environ.get("DEPIN_SIMULATOR_BIN") or os.path.join(
    SOURCE_DIR, "build", "src", "simulator", "depin-simulator")
PROMETHEUS_BIN = os.environ.get("DEPIN_PROMETHEUS_BIN", "/usr/bin/prometheus")
PROMTOOL_BIN = os.environ.get("DEPIN_PROMTOOL_BIN", "/usr/bin/promtool")
KEEP = os.environ.get("DEPIN_IT_KEEP") == "1"

STOP_TIMEOUT = 10.0

# The simulator fleet most tests rank, and sidecar settings that give scores
# within a minute (2s evaluations, 5s slots, 4 samples for confidence).
FLEET_CONFIG = os.path.join(SOURCE_DIR, "config", "simulator", "ranking.yml")
FAST_SIDECAR_CONFIG = {
    "evaluation_interval": "2s",
    "windows": {"step": "5s", "length": "10m"},
    "confidence": {"min_samples": 4},
}

# Every process started, so that none outlives the test run even when the
# runner is interrupted (Ctrl-C, or SIGTERM from CTest) before the cleanups.
_ALL_PROCESSES = []


def _stop_all_processes():
    for p in reversed(_ALL_PROCESSES):
        if p.alive():
            p.stop()


def _on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


atexit.register(_stop_all_processes)
if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
    signal.signal(signal.SIGTERM, _on_sigterm)


def log(msg):
    sys.stderr.write("[harness %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def free_port():
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------
# HTTP

def http_request(method, url, body=None, headers=None, timeout=10):
    """Returns (status, headers as a dict with lower-case names, body bytes).

    Uses http.client so that no header is added behind the test's back
    (urllib adds a Content-Type to every POST). If the server answers and
    closes before reading the whole body (e.g. 413 on Content-Length), the
    answer is still read.
    """
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    try:
        try:
            conn.request(method, path, body=body, headers=headers or {})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer early; try to read its answer
        resp = conn.getresponse()
        data = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        return resp.status, hdrs, data
    finally:
        conn.close()


def http_get(url, headers=None, timeout=10):
    return http_request("GET", url, headers=headers, timeout=timeout)


def http_post(url, body, headers=None, timeout=10):
    return http_request("POST", url, body=body, headers=headers, timeout=timeout)


def wait_http(url, timeout=30.0, process=None, expect=200):
    """Polls url until it answers `expect`; fails early if process died."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if process is not None and not process.alive():
            raise AssertionError("%s exited with %s before %s answered\n%s" % (
                process.name, process.returncode(), url, process.log_tail()))
        try:
            status, _, body = http_get(url, timeout=2)
            if status == expect:
                return body
            last = "HTTP %d" % status
        except OSError as e:
            last = repr(e)
        time.sleep(0.2)
    raise AssertionError("%s did not answer %d within %.0f s (last: %s)" % (
        url, expect, timeout, last))


def get_json(url, timeout=10):
    status, _, body = http_get(url, timeout=timeout)
    if status != 200:
        raise AssertionError("GET %s: HTTP %d: %r" % (url, status, body[:200]))
    return json.loads(body)


# --------------------------------------------------------------------------
# Prometheus text format (0.0.4), enough for the tests

_SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+-?\d+)?\s*$')


def _parse_labels(text):
    """Parses the inside of {...}: name="value" pairs with \\\\ \\" \\n escapes."""
    labels = {}
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " ,":
            i += 1
        if i >= n:
            break
        j = text.index("=", i)
        name = text[i:j].strip()
        i = j + 1
        if text[i] != '"':
            raise ValueError("label value not quoted: %r" % text)
        i += 1
        value = []
        while text[i] != '"':
            c = text[i]
            if c == "\\":
                nxt = text[i + 1]
                value.append({"n": "\n", "\\": "\\", '"': '"'}.get(nxt, "\\" + nxt))
                i += 2
            else:
                value.append(c)
                i += 1
        i += 1
        if name in labels:
            raise ValueError("duplicate label %r in %r" % (name, text))
        labels[name] = "".join(value)
    return labels


def _parse_value(s):
    if s in ("+Inf", "Inf"):
        return float("inf")
    if s == "-Inf":
        return float("-inf")
    return float(s)  # also NaN


def parse_metrics(text):
    """Parses exposition text into a list of (name, labels dict, value)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE_RE.match(line)
        if not m:
            raise ValueError("unparsable metrics line: %r" % line)
        name, lbl, value = m.group(1), m.group(2), m.group(3)
        labels = _parse_labels(lbl[1:-1]) if lbl else {}
        out.append((name, labels, _parse_value(value)))
    return out


def select(samples, name, **match):
    """Samples named `name` whose labels include `match`."""
    return [(labels, value) for n, labels, value in samples
            if n == name and all(labels.get(k) == v for k, v in match.items())]


def value_of(samples, name, default=None, **match):
    """Sum of the values of the matching samples, or default if none."""
    found = select(samples, name, **match)
    if not found:
        return default
    return sum(v for _, v in found)


# --------------------------------------------------------------------------
# Processes

class Process:
    """A child process with its output in a log file, stopped by PID."""

    def __init__(self, name, argv, workdir, env=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.workdir = workdir
        self.log_path = os.path.join(workdir, name + ".log")
        self.env = env
        self.proc = None
        self._log = None

    def start(self):
        if not os.access(self.argv[0], os.X_OK):
            raise AssertionError("%s: binary not found or not executable: %s" % (
                self.name, self.argv[0]))
        self._log = open(self.log_path, "ab")
        self._log.write(("# %s\n" % " ".join(self.argv)).encode())
        self._log.flush()
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, cwd=self.workdir, env=env)
        _ALL_PROCESSES.append(self)
        log("started %s pid %d: %s" % (self.name, self.proc.pid, " ".join(self.argv)))
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def returncode(self):
        return self.proc.poll() if self.proc else None

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, wait up to timeout, then SIGKILL. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log("%s pid %d ignored SIGTERM for %.0f s: SIGKILL" % (
                    self.name, self.proc.pid, timeout))
                try:
                    os.kill(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        if self._log:
            self._log.close()
            self._log = None
        return self.proc.returncode

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines=40):
        text = self.log_text().splitlines()
        return "\n".join(text[-lines:])


class Sidecar(Process):
    """depin-sidecar with a config (dict, merged over built-in defaults)."""

    def __init__(self, workdir, config=None, port=None, extra_args=(), name="sidecar"):
        self.port = port or free_port()
        self.config_path = os.path.join(workdir, name + ".yml")
        with open(self.config_path, "w") as f:
            json.dump(config or {}, f, indent=2)
        # Each sidecar its own data directory unless the test names one: two
        # sidecars on one directory would share (and lock) the same files.
        if not any(a.startswith("--storage.path") for a in extra_args):
            extra_args = ("--storage.path=" + os.path.join(workdir, name + "-data"),
                          *extra_args)
        super().__init__(name, [SIDECAR_BIN,
                                "--config.file=" + self.config_path,
                                "--web.listen-address=127.0.0.1:%d" % self.port,
                                "--log.level=info", *extra_args], workdir)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def write_url(self):
        return self.url + "/api/v1/write"

    def wait_ready(self, timeout=30):
        wait_http(self.url + "/-/ready", timeout, process=self)
        return self

    def metrics(self):
        status, _, body = http_get(self.url + "/metrics")
        if status != 200:
            raise AssertionError("sidecar /metrics: HTTP %d" % status)
        return parse_metrics(body)

    def metrics_body(self):
        status, _, body = http_get(self.url + "/metrics")
        if status != 200:
            raise AssertionError("sidecar /metrics: HTTP %d" % status)
        return body


class Simulator(Process):
    """depin-simulator serving a fleet file."""

    def __init__(self, workdir, config_file=None, port=None, seed=None, extra_args=(),
                 name="simulator"):
        self.port = port or free_port()
        argv = [SIMULATOR_BIN, "--web.listen-address=127.0.0.1:%d" % self.port]
        if config_file:
            argv.append("--config.file=" + config_file)
        if seed is not None:
            argv.append("--seed=%d" % seed)
        argv.extend(extra_args)
        super().__init__(name, argv, workdir)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def wait_ready(self, timeout=30):
        wait_http(self.url + "/-/healthy", timeout, process=self)
        return self

    def truth(self):
        return get_json(self.url + "/truth")


def fleet_prometheus_config(sim_port, sidecar_port, scrape_interval="2s", scrape_timeout="1s",
                            evaluation_interval="2s", remote_read=False):
    """A Prometheus that discovers the simulator's providers by http_sd and
    remote-writes their series (those with a provider label) to the sidecar;
    optionally reads derived history back from it by remote-read."""
    config = {
        "global": {"scrape_interval": scrape_interval, "scrape_timeout": scrape_timeout,
                   "evaluation_interval": evaluation_interval},
        "scrape_configs": [{
            "job_name": "depin-providers",
            "http_sd_configs": [{"url": "http://127.0.0.1:%d/sd" % sim_port,
                                 "refresh_interval": "5s"}],
        }],
        "remote_write": [{
            "url": "http://127.0.0.1:%d/api/v1/write" % sidecar_port,
            "remote_timeout": "5s",
            "write_relabel_configs": [{"source_labels": ["provider"], "regex": ".+",
                                       "action": "keep"}],
            "queue_config": {"batch_send_deadline": "1s"},
        }],
    }
    if remote_read:
        config["remote_read"] = [{
            "url": "http://127.0.0.1:%d/api/v1/read" % sidecar_port,
            "read_recent": True,
            "remote_timeout": "10s",
        }]
    return config


class PrometheusServer(Process):
    """A real Prometheus with its config and TSDB in a temporary directory."""

    def __init__(self, workdir, config, port=None, name="prometheus", extra_args=()):
        self.port = port or free_port()
        self.data_dir = os.path.join(workdir, name + "-data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.config_path = os.path.join(workdir, name + ".yml")
        with open(self.config_path, "w") as f:
            json.dump(config, f, indent=2)
        super().__init__(name, [PROMETHEUS_BIN,
                                "--config.file=" + self.config_path,
                                "--storage.tsdb.path=" + self.data_dir,
                                "--web.listen-address=127.0.0.1:%d" % self.port,
                                "--log.level=warn"] + list(extra_args), workdir)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def wait_ready(self, timeout=60):
        wait_http(self.url + "/-/ready", timeout, process=self)
        return self

    def instant_query(self, expr, time=None):
        """Result list of an instant query: [{"metric": {...}, "value": [t, "v"]}],
        evaluated now or at `time` (Unix seconds)."""
        params = {"query": expr}
        if time is not None:
            params["time"] = "%.3f" % time
        data = get_json(self.url + "/api/v1/query?" + urllib.parse.urlencode(params))
        if data.get("status") != "success":
            raise AssertionError("query %r failed: %r" % (expr, data))
        return data["data"]["result"]

    def metrics(self):
        status, _, body = http_get(self.url + "/metrics")
        if status != 200:
            raise AssertionError("prometheus /metrics: HTTP %d" % status)
        return parse_metrics(body)


def promtool_check_metrics(body):
    """Runs `promtool check metrics` on an exposition; returns (rc, output)."""
    res = subprocess.run([PROMTOOL_BIN, "check", "metrics"], input=body,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    return res.returncode, res.stdout.decode("utf-8", "replace")


# --------------------------------------------------------------------------
# Test case base

class Fleet:
    """What start_fleet started: the simulator, the sidecar, Prometheus."""

    def __init__(self, workdir, sim, sidecar, prometheus):
        self.workdir = workdir
        self.sim = sim
        self.sidecar = sidecar
        self.prometheus = prometheus

    def processes(self):
        return (self.sim, self.sidecar, self.prometheus)


class IntegrationTestCase(unittest.TestCase):
    """Processes started by a test (or by setUpClass) are stopped by PID in
    cleanups, whatever the outcome; when a test fails, the tail of every
    process's log is printed. Temporary directories are removed at the end
    unless DEPIN_IT_KEEP=1."""

    _class_processes = []

    @classmethod
    def class_tmpdir(cls):
        d = tempfile.mkdtemp(prefix="depin-it-%s-" % cls.__name__)
        if not KEEP:
            cls.addClassCleanup(shutil.rmtree, d, True)
        else:
            log("keeping %s" % d)
        return d

    @classmethod
    def start_class_process(cls, process):
        """Starts a process that lives for the whole class."""
        if "_class_processes" not in cls.__dict__:
            cls._class_processes = []
        cls._class_processes.append(process)
        cls.addClassCleanup(process.stop)
        process.start()
        return process

    def tmpdir(self):
        """A temporary directory removed after the test (and its log dump)."""
        d = tempfile.mkdtemp(prefix="depin-it-%s-" % self._testMethodName)
        self._tmpdirs.append(d)
        return d

    def start_process(self, process):
        """Starts a process that is stopped at the end of this test."""
        self._processes.append(process)
        self.addCleanup(process.stop)
        process.start()
        return process

    def start_fleet(self, seed=42, sidecar_config=None, sidecar_args=(),
                    fleet_config=FLEET_CONFIG):
        """Simulator -> real Prometheus (scrape + remote-write) -> sidecar, all
        ready and stopped at the end of the test. Returns a Fleet."""
        workdir = self.tmpdir()
        sim = self.start_process(Simulator(workdir, fleet_config, seed=seed)).wait_ready()
        sidecar = self.start_process(Sidecar(
            workdir, FAST_SIDECAR_CONFIG if sidecar_config is None else sidecar_config,
            extra_args=sidecar_args)).wait_ready()
        prom = self.start_process(PrometheusServer(
            workdir, fleet_prometheus_config(sim.port, sidecar.port))).wait_ready()
        return Fleet(workdir, sim, sidecar, prom)

    def run(self, result=None):
        # Cleanups (which stop the processes) run inside super().run(); the
        # logs are dumped after them and before the directories are removed.
        self._processes = []
        self._tmpdirs = []
        before = len(result.failures) + len(result.errors) if result is not None else 0
        try:
            return super().run(result)
        finally:
            if result is not None and len(result.failures) + len(result.errors) > before:
                self.dump_logs()
            for d in self._tmpdirs:
                if KEEP:
                    log("keeping %s" % d)
                else:
                    shutil.rmtree(d, True)

    def dump_logs(self):
        procs = list(getattr(self, "_processes", [])) + list(
            type(self).__dict__.get("_class_processes", []))
        for p in procs:
            sys.stderr.write("\n----- %s (pid %s, exit %s): last lines of %s -----\n%s\n" % (
                p.name, p.pid, p.returncode(), p.log_path, p.log_tail(60)))
        sys.stderr.flush()
