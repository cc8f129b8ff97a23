#!/usr/bin/python3
"""Side-by-side remote-write benchmark (docs/benchmarks.md, issue 7).

In one run on 127.0.0.1, with temporary data directories and free ports:

1. depin-sidecar (built-in defaults: every analytic on, evaluation every 15 s),
   a real Prometheus 2.42 (--web.enable-remote-write-receiver) and a real
   VictoriaMetrics, one after another, each receive the identical pre-encoded
   payloads of depin-loadgen (same fingerprint): one warm-up scrape that
   creates the series (not measured), then a fixed rate for a fixed time.
   Measured per receiver: CPU seconds (utime+stime of its PID, from the
   loadgen's first request to `--settle` seconds after its last answer) per
   accepted sample, RSS (idle, peak while sending, steady after), latency.
2. The sidecar alone: the rate stepped up until it falls behind (achieved
   rate under 95 % of the target, a non-2xx answer or requests leaving more
   than a second late), then one as-fast-as-possible run.
3. Memory per provider and per series, evaluation time and GET /metrics time
   of the comparison's sidecar and at each of --scale-providers (a fresh
   sidecar each, --scale-scrapes scrapes). A point is skipped when the machine
   lacks the memory it needs (measured per provider at the comparison's size).

Everything started is stopped by PID at exit (harness atexit + signal
handlers). Prints a JSON report and a Markdown summary.
"""

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
import harness  # noqa: E402  (stdlib-only process and HTTP helpers)

TICK = os.sysconf("SC_CLK_TCK")
SAMPLES_PER_PROVIDER = 140  # per scrape, all targets up (loadgen_main.cc)
_LOADGENS = []


def _kill_loadgens():
    for p in _LOADGENS:
        if p.poll() is None:
            p.kill()
            p.wait()


def _on_signal(signum, frame):
    raise SystemExit(128 + signum)


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)


def log(msg):
    sys.stderr.write("[compare %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def cpu_seconds(pid):
    """utime + stime of the process (all its threads), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        data = f.read()
    fields = data[data.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_bytes(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def load_average():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


class RssSampler(threading.Thread):
    """Samples a PID's RSS every `period` seconds until stopped."""

    def __init__(self, pid, period=0.25):
        super().__init__(daemon=True)
        self.pid, self.period = pid, period
        self.samples = []
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            try:
                self.samples.append(rss_bytes(self.pid))
            except OSError:
                return
            self._stop_event.wait(self.period)

    def stop(self):
        self._stop_event.set()
        self.join()
        return max(self.samples) if self.samples else 0


class Loadgen:
    """depin-loadgen runs sharing one payload cache per (scrape range)."""

    def __init__(self, binary, workdir, providers, connections, start_ms):
        self.binary, self.workdir = binary, workdir
        self.providers, self.connections, self.start_ms = providers, connections, start_ms

    def _args(self, first, scrapes):
        cache = os.path.join(self.workdir, "payload-p%d-c%d-f%d-n%d.bin" % (
            self.providers, self.connections, first, scrapes))
        return ["--providers=%d" % self.providers, "--concurrency=%d" % self.connections,
                "--start-ms=%d" % self.start_ms, "--first-scrape=%d" % first,
                "--scrapes=%d" % scrapes, "--payload-cache=" + cache]

    def build(self, first, scrapes):
        out = subprocess.run([self.binary, "--url=http://127.0.0.1:1/", "--build-only",
                              *self._args(first, scrapes)],
                             check=True, capture_output=True, text=True)
        info = json.loads(out.stdout)
        log("payload scrapes %d..%d of %d providers: %d samples, %.1f MB, %.1f s%s" % (
            first, first + scrapes - 1, self.providers, info["samples"], info["bytes"] / 1e6,
            info["build_seconds"], " (cached)" if info["from_cache"] else ""))
        return info

    def run(self, url, first, scrapes, rate=0, duration=0, pid=None, settle=0.0):
        """Sends; with `pid`, measures that process's CPU and RSS over the send."""
        out_path = os.path.join(self.workdir, "loadgen-%d.json" % int(time.monotonic() * 1e6))
        argv = [self.binary, "--url=" + url, "--output=" + out_path,
                "--rate=%g" % rate, "--duration=%g" % duration, *self._args(first, scrapes)]
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        _LOADGENS.append(p)
        early = []
        for line in p.stderr:
            if "depin-loadgen: sending" in line:
                break
            early.append(line)
        measured = {}
        sampler = None
        if pid is not None:
            measured["cpu_before"] = cpu_seconds(pid)
            measured["wall_before"] = time.monotonic()
            sampler = RssSampler(pid)
            sampler.start()
        rest = p.stderr.read()
        code = p.wait()
        if code != 0:
            raise RuntimeError("depin-loadgen failed (%d): %s%s" % (code, "".join(early), rest))
        if pid is not None:
            time.sleep(settle)
            measured["cpu_seconds"] = cpu_seconds(pid) - measured.pop("cpu_before")
            measured["wall_seconds"] = time.monotonic() - measured.pop("wall_before")
            measured["peak_rss"] = sampler.stop()
            measured["steady_rss"] = rss_bytes(pid)
        with open(out_path) as f:
            report = json.load(f)
        report["measured"] = measured
        return report


def scrapes_for(rate, duration, providers):
    return int(math.ceil(rate * duration / (SAMPLES_PER_PROVIDER * providers))) + 1


def metric_values(text, name):
    """{labels string: value} of every sample of `name` in an exposition."""
    out = {}
    for line in text.splitlines():
        if line.startswith(name) and (len(line) == len(name) or line[len(name)] in "{ "):
            key, _, value = line.rpartition(" ")
            out[key[len(name):]] = float(value)
    return out


def sidecar_self_metrics(sidecar):
    """The sidecar's own series that the report needs, from one GET /metrics."""
    status, _, body = harness.http_get(sidecar.url + "/metrics", timeout=120)
    if status != 200:
        raise RuntimeError("sidecar /metrics: HTTP %d" % status)
    text = body.decode()
    one = lambda n: sum(metric_values(text, n).values())  # noqa: E731
    return {
        "evaluation_duration_seconds": one("depin_sidecar_evaluation_duration_seconds"),
        "evaluations_total": one("depin_sidecar_evaluations_total"),
        "last_evaluation_timestamp": one("depin_sidecar_last_evaluation_timestamp_seconds"),
        "active_providers": one("depin_sidecar_active_providers"),
        "active_series": one("depin_sidecar_active_series"),
        "window_bytes": one("depin_sidecar_window_bytes"),
        "samples_received_total": one("depin_sidecar_samples_received_total"),
        "samples_rejected_total": metric_values(text, "depin_sidecar_samples_rejected_total"),
        "series_dropped_total": metric_values(text, "depin_sidecar_series_dropped_total"),
        "metrics_bytes": len(body),
    }


def time_metrics_get(url, repeat):
    """Wall time of complete GET /metrics answers, read by curl (the render is
    cached per evaluation, so this is the serve time)."""
    times, size = [], 0
    for _ in range(repeat):
        out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w",
                              "%{http_code} %{size_download} %{time_total}", url + "/metrics"],
                             check=True, capture_output=True, text=True, timeout=300)
        code, size, total = out.stdout.split()
        if code != "200":
            raise RuntimeError("GET /metrics: HTTP %s" % code)
        size = int(size)
        times.append(float(total))
    times.sort()
    return {"bytes": size, "median_s": times[len(times) // 2], "max_s": times[-1],
            "min_s": times[0], "repeat": repeat}


def wait_evaluation_after(sidecar, since, timeout):
    """Waits until an evaluation that started after Unix time `since` has
    finished. Polls /metrics seldom: at 100k providers it is hundreds of MB."""
    deadline = time.monotonic() + timeout
    time.sleep(5)
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        m = sidecar_self_metrics(sidecar)
        if m["last_evaluation_timestamp"] - m["evaluation_duration_seconds"] >= since:
            return m
        time.sleep(max(2.0, 3 * (time.monotonic() - t0)))
    raise RuntimeError("no evaluation within %.0f s" % timeout)


# Built-in defaults (every analytic on, forecasts included, evaluation every
# 15 s) except that a provider is scored from its first window slot: the runs
# send minutes of data, and scoring everyone is what steady state costs.
SIDECAR_CONFIG = {"confidence": {"min_samples": 1, "min_jobs": 1}}


def start_sidecar(workdir, name):
    os.makedirs(os.path.join(workdir, name), exist_ok=True)
    s = harness.Sidecar(os.path.join(workdir, name), config=SIDECAR_CONFIG, name=name,
                        extra_args=["--storage.path=" + os.path.join(workdir, name, "data")])
    s.start()
    s.wait_ready(60)
    return s


def start_prometheus(workdir):
    d = os.path.join(workdir, "prometheus")
    os.makedirs(d, exist_ok=True)
    port = harness.free_port()
    config = os.path.join(d, "prometheus.yml")
    with open(config, "w") as f:
        json.dump({"global": {"scrape_interval": "15s"}}, f)
    p = harness.Process("prometheus", [
        harness.PROMETHEUS_BIN, "--config.file=" + config,
        "--storage.tsdb.path=" + os.path.join(d, "data"),
        "--web.listen-address=127.0.0.1:%d" % port,
        "--web.enable-remote-write-receiver", "--log.level=warn"], d)
    p.start()
    harness.wait_http("http://127.0.0.1:%d/-/ready" % port, 60, process=p)
    return p, "http://127.0.0.1:%d/api/v1/write" % port


def start_victoria(workdir, binary):
    d = os.path.join(workdir, "victoria-metrics")
    os.makedirs(d, exist_ok=True)
    port = harness.free_port()
    p = harness.Process("victoria-metrics", [
        binary, "-storageDataPath=" + os.path.join(d, "data"),
        "-httpListenAddr=127.0.0.1:%d" % port, "-loggerLevel=WARN"], d)
    p.start()
    harness.wait_http("http://127.0.0.1:%d/health" % port, 60, process=p)
    return p, "http://127.0.0.1:%d/api/v1/write" % port


def receiver_summary(name, idle_rss, warm, run):
    m = run["measured"]
    accepted = run["samples_accepted"]
    return {
        "receiver": name,
        "warmup": {k: warm[k] for k in ("samples_accepted", "elapsed_s", "status")},
        "requests": run["requests"],
        "samples_sent": run["samples_sent"],
        "samples_accepted": accepted,
        "status": run["status"],
        "first_error": run["first_error"],
        "achieved_rate": run["achieved_rate"],
        "latency_ms": run["latency_ms"],
        "schedule_lag_ms": run["schedule_lag_ms"],
        "cpu_seconds": m["cpu_seconds"],
        "wall_seconds": m["wall_seconds"],
        "cpu_us_per_sample": 1e6 * m["cpu_seconds"] / accepted if accepted else None,
        "cores_busy": m["cpu_seconds"] / m["wall_seconds"],
        "idle_rss": idle_rss,
        "peak_rss": m["peak_rss"],
        "steady_rss": m["steady_rss"],
        "payload_fingerprint": run["payload"]["fingerprint"],
    }


def measure_receiver(name, pid, url, gen, args, plan):
    idle = rss_bytes(pid)
    log("%s: warm-up (scrape 0, as fast as answered)" % name)
    warm = gen.run(url, 0, 1)
    if warm["status"]["2xx"] != warm["requests"]:
        raise RuntimeError("%s refused warm-up requests: %s" % (name, warm["first_error"]))
    time.sleep(args.settle)
    log("%s: measuring %g samples/s for %g s" % (name, args.rate, args.duration))
    run = gen.run(url, 1, plan["measure_scrapes"], rate=args.rate, duration=args.duration,
                  pid=pid, settle=args.settle)
    s = receiver_summary(name, idle, warm, run)
    log("%s: %.3f CPU s for %d samples = %.2f us/sample; p50 %.1f ms p99 %.1f ms; "
        "RSS idle %.0f MB peak %.0f MB" % (
            name, s["cpu_seconds"], s["samples_accepted"], s["cpu_us_per_sample"] or -1,
            s["latency_ms"]["p50"], s["latency_ms"]["p99"], s["idle_rss"] / 1e6,
            s["peak_rss"] / 1e6))
    return s


def held(run, rate):
    """Kept up with `rate`: every answer 2xx, 95 % of the rate achieved, no
    request leaving more than a second behind its schedule."""
    errors = run["requests"] - run["status"]["2xx"]
    return (errors == 0 and run["achieved_rate"] >= 0.95 * rate
            and run["schedule_lag_ms"]["p99"] < 1000)


def step_up(sidecar, gen, args, first_scrape, comparison):
    """Rates doubling from twice the comparison's (when it held) until the
    sidecar falls behind."""
    steps = []
    best = args.rate if held(comparison, args.rate) else 0
    rate = args.rate * 2 if best else args.rate
    for _ in range(args.max_steps):
        n = scrapes_for(rate, args.step_duration, gen.providers)
        gen.build(first_scrape, n)
        run = gen.run(sidecar.write_url, first_scrape, n, rate=rate,
                      duration=args.step_duration, pid=sidecar.pid)
        first_scrape += n
        errors = run["requests"] - run["status"]["2xx"]
        ok = held(run, rate)
        step = {"target_rate": rate, "achieved_rate": run["achieved_rate"], "errors": errors,
                "latency_ms": run["latency_ms"], "schedule_lag_ms": run["schedule_lag_ms"],
                "cpu_seconds": run["measured"]["cpu_seconds"],
                "wall_seconds": run["measured"]["wall_seconds"], "held": ok}
        steps.append(step)
        log("step %g/s: achieved %.0f/s, p99 %.1f ms, lag p99 %.0f ms, errors %d: %s" % (
            rate, run["achieved_rate"], run["latency_ms"]["p99"],
            run["schedule_lag_ms"]["p99"], errors, "held" if ok else "fell behind"))
        if not ok:
            break
        best = max(best, rate)
        rate *= 2
    # One run as fast as the sidecar answers, for the ceiling.
    n = scrapes_for(max(best, args.rate) * 2, args.step_duration, gen.providers)
    gen.build(first_scrape, n)
    afap = gen.run(sidecar.write_url, first_scrape, n, duration=args.step_duration,
                   pid=sidecar.pid)
    first_scrape += n
    ceiling = {"achieved_rate": afap["achieved_rate"], "latency_ms": afap["latency_ms"],
               "errors": afap["requests"] - afap["status"]["2xx"],
               "cpu_seconds": afap["measured"]["cpu_seconds"],
               "wall_seconds": afap["measured"]["wall_seconds"]}
    log("as fast as answered: %.0f samples/s, p99 %.1f ms" % (
        afap["achieved_rate"], afap["latency_ms"]["p99"]))
    return {"steps": steps, "max_held_rate": best, "as_fast_as_possible": ceiling}, first_scrape


def sidecar_scale_point(sidecar, idle_rss, providers, metrics_repeat):
    m = sidecar_self_metrics(sidecar)
    rss = rss_bytes(sidecar.pid)
    point = {
        "providers": int(m["active_providers"]),
        "series": int(m["active_series"]),
        "rss": rss,
        "idle_rss": idle_rss,
        "rss_per_provider": (rss - idle_rss) / max(providers, 1),
        "rss_per_series": (rss - idle_rss) / max(m["active_series"], 1),
        "window_bytes_per_provider": m["window_bytes"] / max(m["active_providers"], 1),
        "evaluation_seconds": m["evaluation_duration_seconds"],
        "metrics_get": time_metrics_get(sidecar.url, metrics_repeat),
        "samples_rejected": m["samples_rejected_total"],
    }
    log("%d providers: RSS %.0f MB (%.1f kB/provider), evaluation %.2f s, GET /metrics "
        "%.0f ms median for %.1f MB" % (
            providers, rss / 1e6, point["rss_per_provider"] / 1e3, point["evaluation_seconds"],
            point["metrics_get"]["median_s"] * 1e3, point["metrics_get"]["bytes"] / 1e6))
    return point


def memory_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def scale_point(args, workdir, start_ms, providers, bytes_per_provider):
    """A fresh sidecar fed --scale-scrapes scrapes of `providers` providers as
    fast as it answers; memory, evaluation and /metrics once it has evaluated
    them. Skipped (None) when the machine lacks the memory it would need."""
    # The sidecar's RSS as measured at the comparison's size, the payload,
    # and room left for whatever else runs on a shared machine.
    need = (1.3 * bytes_per_provider * providers
            + 30 * SAMPLES_PER_PROVIDER * providers * args.scale_scrapes + args.memory_reserve)
    if bytes_per_provider and memory_available() < need:
        log("%d providers: skipped, needs ~%.1f GB with the reserve, %.1f GB available" % (
            providers, need / 1e9, memory_available() / 1e9))
        return {"providers": providers, "skipped": "needs ~%.1f GB (%.0f kB/provider), %.1f GB "
                "available" % (need / 1e9, bytes_per_provider / 1e3, memory_available() / 1e9)}
    gen = Loadgen(args.loadgen, workdir, providers, args.connections, start_ms)
    gen.build(0, args.scale_scrapes)
    sidecar = start_sidecar(workdir, "sidecar-%d" % providers)
    idle = rss_bytes(sidecar.pid)
    run = gen.run(sidecar.write_url, 0, args.scale_scrapes, pid=sidecar.pid)
    log("%d providers: sent %d samples at %.0f/s, %d non-2xx" % (
        providers, run["samples_sent"], run["achieved_rate"],
        run["requests"] - run["status"]["2xx"]))
    wait_evaluation_after(sidecar, time.time(), args.evaluation_wait)
    point = sidecar_scale_point(sidecar, idle, providers, args.metrics_repeat)
    point["ingest"] = {"achieved_rate": run["achieved_rate"], "latency_ms": run["latency_ms"],
                       "samples": run["samples_accepted"],
                       "cpu_us_per_sample": 1e6 * run["measured"]["cpu_seconds"]
                       / max(run["samples_accepted"], 1)}
    point["peak_rss"] = run["measured"]["peak_rss"]
    sidecar.stop()
    os.remove(gen._args(0, args.scale_scrapes)[-1].split("=", 1)[1])  # free the disk
    return point


def ratio(a, b):
    return b / a if a and b else None


def markdown(report):
    mb = lambda b: b / 1e6  # noqa: E731
    lines = ["| receiver | samples/s achieved | CPU µs/sample | cores busy | p50 ms | p99 ms "
             "| max ms | idle RSS MB | peak RSS MB | steady RSS MB | non-2xx |",
             "|" + " --- |" * 11]
    for x in report["receivers"]:
        lines.append("| %s | %.0f | %.2f | %.2f | %.1f | %.1f | %.1f | %.0f | %.0f | %.0f | %d |" % (
            x["receiver"], x["achieved_rate"], x["cpu_us_per_sample"], x["cores_busy"],
            x["latency_ms"]["p50"], x["latency_ms"]["p99"], x["latency_ms"]["max"],
            mb(x["idle_rss"]), mb(x["peak_rss"]), mb(x["steady_rss"]),
            x["requests"] - x["status"]["2xx"]))
    lines.append("")
    for k, v in report["ratios"].items():
        lines.append("- %s: %s" % (k, "%.2f" % v if v else "n/a"))
    if "stepup" in report:
        lines += ["", "| target samples/s | achieved | p50 ms | p99 ms | lag p99 ms | held |",
                  "|" + " --- |" * 6]
        for st in report["stepup"]["steps"]:
            lines.append("| %.0f | %.0f | %.1f | %.1f | %.0f | %s |" % (
                st["target_rate"], st["achieved_rate"], st["latency_ms"]["p50"],
                st["latency_ms"]["p99"], st["schedule_lag_ms"]["p99"],
                "yes" if st["held"] else "no"))
        c = report["stepup"]["as_fast_as_possible"]
        lines.append("| as fast as answered | %.0f | %.1f | %.1f | — | — |" % (
            c["achieved_rate"], c["latency_ms"]["p50"], c["latency_ms"]["p99"]))
    lines += ["", "| providers | series | RSS MB | kB/provider | bytes/series | window kB/provider "
              "| evaluation s | /metrics MB | GET /metrics median ms |", "|" + " --- |" * 9]
    for p in report["scale"]:
        if "skipped" in p:
            lines.append("| %d | skipped: %s |" % (p["providers"], p["skipped"]))
            continue
        lines.append("| %d | %d | %.0f | %.1f | %.0f | %.1f | %.2f | %.1f | %.0f |" % (
            p["providers"], p["series"], mb(p["rss"]), p["rss_per_provider"] / 1e3,
            p["rss_per_series"], p["window_bytes_per_provider"] / 1e3, p["evaluation_seconds"],
            mb(p["metrics_get"]["bytes"]), p["metrics_get"]["median_s"] * 1e3))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(SOURCE_DIR, "build"))
    ap.add_argument("--victoria-metrics", default="/usr/bin/victoria-metrics")
    ap.add_argument("--providers", type=int, default=10000)
    ap.add_argument("--rate", type=float, default=0,
                    help="samples/s of the comparison (default: the fleet's own rate, "
                    "providers x 140 samples per 15 s scrape)")
    ap.add_argument("--duration", type=float, default=43,
                    help="seconds of the comparison (with --settle: three evaluation intervals)")
    ap.add_argument("--connections", type=int, default=4,
                    help="loadgen connections (Prometheus queue shards); the sidecar decodes "
                    "2 x cores requests at once")
    ap.add_argument("--settle", type=float, default=2.0,
                    help="seconds after the last answer still counted (deferred work)")
    ap.add_argument("--step-duration", type=float, default=15,
                    help="seconds per step: at least one evaluation interval, which it must absorb")
    ap.add_argument("--max-steps", type=int, default=5)
    ap.add_argument("--scale-providers", default="20000,100000",
                    help="provider counts of further memory/evaluation/metrics points, a fresh "
                    "sidecar each ('' skips; the comparison's sidecar is the first point)")
    ap.add_argument("--scale-scrapes", type=int, default=2)
    ap.add_argument("--metrics-repeat", type=int, default=5)
    ap.add_argument("--memory-reserve", type=float, default=4e9,
                    help="bytes a scale point must leave available to other processes")
    ap.add_argument("--evaluation-wait", type=float, default=120)
    ap.add_argument("--skip", default="", help="comma list: prometheus,victoria,stepup")
    ap.add_argument("--output", help="write the JSON report here too")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    if args.rate <= 0:
        args.rate = args.providers * SAMPLES_PER_PROVIDER / 15.0
    harness.SIDECAR_BIN = os.path.join(args.build_dir, "src", "app", "depin-sidecar")
    args.loadgen = os.path.join(args.build_dir, "bench", "depin-loadgen")
    started = time.time()
    workdir = tempfile.mkdtemp(prefix="depin-bench-")
    log("workdir %s; load average %s" % (workdir, load_average()))
    try:
        report = run(args, skip, workdir)
    finally:
        _kill_loadgens()
        harness._stop_all_processes()
        if not harness.KEEP:
            import shutil
            shutil.rmtree(workdir, ignore_errors=True)
    report["total_seconds"] = time.time() - started
    text = json.dumps(report, indent=2)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n")
    print(text)
    print(markdown(report))


def run(args, skip, workdir):
    report = {"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
              "command": " ".join(sys.argv), "load_average_start": load_average(),
              "nproc": os.cpu_count(), "settings": {
                  k: v for k, v in vars(args).items() if k not in ("loadgen",)}}
    plan = {"measure_scrapes": scrapes_for(args.rate, args.duration, args.providers)}
    # Scrape 0 ... the measured scrapes end at the start of the run: the
    # sidecar's windows see current data; later scrapes (the step-up) stay
    # within its 5-minute tolerance for timestamps ahead of its clock.
    start_ms = int(time.time() * 1000) - (1 + plan["measure_scrapes"]) * 15000
    gen = Loadgen(args.loadgen, workdir, args.providers, args.connections, start_ms)
    gen.build(0, 1)
    gen.build(1, plan["measure_scrapes"])

    receivers = []
    sidecar = start_sidecar(workdir, "sidecar")
    evals_before = sidecar_self_metrics(sidecar)["evaluations_total"]
    s = measure_receiver("depin-sidecar", sidecar.pid, sidecar.write_url, gen, args, plan)
    after = sidecar_self_metrics(sidecar)
    s["evaluations_during_run"] = after["evaluations_total"] - evals_before
    s["evaluation_seconds"] = after["evaluation_duration_seconds"]
    s["samples_rejected"] = after["samples_rejected_total"]
    receivers.append(s)
    # The comparison's size as a scale point: once an evaluation has covered
    # the data it received.
    wait_evaluation_after(sidecar, time.time(), args.evaluation_wait)
    comparison_point = sidecar_scale_point(sidecar, s["idle_rss"], args.providers,
                                           args.metrics_repeat)
    if "stepup" not in skip:
        report["stepup"], _ = step_up(sidecar, gen, args, 1 + plan["measure_scrapes"], s)
        report["stepup"]["samples_rejected"] = sidecar_self_metrics(sidecar)[
            "samples_rejected_total"]
    sidecar.stop()

    if "prometheus" not in skip:
        prom, url = start_prometheus(workdir)
        receivers.append(measure_receiver("prometheus-2.42", prom.pid, url, gen, args, plan))
        prom.stop()
    if "victoria" not in skip:
        vm, url = start_victoria(workdir, args.victoria_metrics)
        receivers.append(measure_receiver("victoria-metrics", vm.pid, url, gen, args, plan))
        vm.stop()
    report["receivers"] = receivers
    fingerprints = {x["payload_fingerprint"] for x in receivers}
    report["identical_payloads"] = len(fingerprints) == 1

    by = {x["receiver"]: x for x in receivers}
    side = by["depin-sidecar"]
    report["scale"] = [comparison_point]
    per_provider = side["steady_rss"] / args.providers
    for n in [int(x) for x in args.scale_providers.split(",") if x.strip()]:
        report["scale"].append(scale_point(args, workdir, start_ms, n, per_provider))

    report["ratios"] = {}
    for name in ("prometheus-2.42", "victoria-metrics"):
        if name in by:
            o = by[name]
            report["ratios"]["%s CPU per sample / sidecar's" % name] = ratio(
                side["cpu_us_per_sample"], o["cpu_us_per_sample"])
            report["ratios"]["%s peak RSS / sidecar's" % name] = ratio(
                side["peak_rss"], o["peak_rss"])
            report["ratios"]["%s p99 latency / sidecar's" % name] = ratio(
                side["latency_ms"]["p99"], o["latency_ms"]["p99"])
    report["load_average_end"] = load_average()
    return report


if __name__ == "__main__":
    main()
