"""Onward remote-write with real binaries: the simulator's fleet reaches
depin-sidecar through a real Prometheus, and the sidecar forwards its derived
series to a real VictoriaMetrics. VictoriaMetrics is stopped (by PID) for
several evaluations and started again on the same port and data directory;
then stopped again while the sidecar restarts with a non-empty disk buffer.
At the end every derived sample the sidecar stored (read back over its
remote-read endpoint) must be in VictoriaMetrics exactly once: none missing,
no duplicate timestamps. A second target that answers 400 shows that
rejected batches are dropped and counted, and do not hold up the other one."""

import json
import math
import os
import time
import unittest
import urllib.parse

import snappy

from harness import (FAST_SIDECAR_CONFIG, FLEET_CONFIG, IntegrationTestCase, Process,
                     PrometheusServer, Sidecar, Simulator, fleet_prometheus_config, free_port,
                     http_get, http_request, log, select, value_of, wait_http)
from test_remote_read import decode_read_response, read_request

VM_BIN = os.environ.get("DEPIN_VICTORIA_METRICS_BIN", "/usr/bin/victoria-metrics")
DOWN_SECONDS = 8      # evaluations (1s apart) while VictoriaMetrics is down
DRAIN_TIMEOUT = 90
READY_TIMEOUT = 150
SENT = "depin_sidecar_remote_write_samples_total"


class VictoriaMetrics(Process):
    def __init__(self, workdir, port, data_dir, name="victoria-metrics"):
        self.port = port
        super().__init__(name, [VM_BIN, "-storageDataPath=" + data_dir,
                                "-httpListenAddr=127.0.0.1:%d" % port,
                                "-loggerLevel=WARN"], workdir)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def wait_ready(self, timeout=30):
        wait_http(self.url + "/health", timeout, process=self)
        return self

    def export(self):
        """{(labels tuple, t_ms): [values]} of every series it holds."""
        http_get(self.url + "/internal/force_flush")
        query = urllib.parse.urlencode({"match[]": '{__name__=~".+"}'})
        status, _, body = http_get(self.url + "/api/v1/export?" + query, timeout=60)
        if status != 200:
            raise AssertionError("export: HTTP %d %r" % (status, body[:200]))
        out = {}
        for line in body.decode().splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            labels = tuple(sorted(row["metric"].items()))
            for t, v in zip(row["timestamps"], row["values"]):
                out.setdefault((labels, t), []).append(v)
        return out


def sidecar_config(vm_port):
    config = dict(FAST_SIDECAR_CONFIG)
    config["evaluation_interval"] = "1s"
    config["remote_write"] = [
        {"url": "http://127.0.0.1:%d/api/v1/write" % vm_port, "name": "vm",
         "remote_timeout": "5s",
         "queue_config": {"capacity": 4000, "max_samples_per_send": 1000,
                          "batch_send_deadline": "200ms", "min_backoff": "50ms",
                          "max_backoff": "500ms"}},
        # VictoriaMetrics answers 400 on an unknown path.
        {"url": "http://127.0.0.1:%d/api/v1/no-such-path" % vm_port, "name": "bad",
         "queue_config": {"batch_send_deadline": "200ms", "min_backoff": "50ms",
                          "max_backoff": "500ms"}},
    ]
    return config


class ForwardTest(IntegrationTestCase):
    def metric(self, sidecar, name, **labels):
        return value_of(sidecar.metrics(), name, 0.0, **labels)

    def wait_drained(self, sidecar, since_s):
        """Until the vm target acknowledged samples newer than `since_s` and
        its disk buffer is empty."""
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while time.monotonic() < deadline:
            self.assertTrue(sidecar.alive(), "sidecar exited")
            samples = sidecar.metrics()
            sent_t = value_of(samples, "depin_sidecar_remote_write_highest_sent_timestamp_seconds",
                              0.0, remote_name="vm")
            disk = value_of(samples, "depin_sidecar_remote_write_disk_buffer_bytes", -1.0,
                            remote_name="vm")
            if sent_t > since_s and disk == 0:
                return sent_t
            time.sleep(0.5)
        self.fail("vm target not drained after %d s" % DRAIN_TIMEOUT)

    def stored_samples(self, sidecar, start_ms, end_ms):
        raw = read_request(start_ms, end_ms, [(2, "__name__", ".+")])
        status, _, body = http_request("POST", sidecar.url + "/api/v1/read", snappy.compress(raw), {
            "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
            "X-Prometheus-Remote-Read-Version": "0.1.0"}, timeout=60)
        self.assertEqual(status, 200, body[:300])
        (series,) = decode_read_response(snappy.uncompress(body))
        return {(labels, t): v for labels, samples in series.items() for t, v in samples}

    def test_derived_series_reach_victoria_metrics_exactly_once_across_outages(self):
        start_ms = int(time.time() * 1000) - 60_000
        workdir = self.tmpdir()
        storage = os.path.join(workdir, "sidecar-data")
        vm_port, vm_data = free_port(), os.path.join(workdir, "vm-data")
        vm = self.start_process(VictoriaMetrics(workdir, vm_port, vm_data)).wait_ready()
        sim = self.start_process(Simulator(workdir, FLEET_CONFIG, seed=7)).wait_ready()
        args = ["--storage.path=" + storage, "--storage.checkpoint-interval=1h"]
        sidecar = self.start_process(Sidecar(workdir, sidecar_config(vm_port), extra_args=args))
        sidecar.wait_ready()
        prom = self.start_process(PrometheusServer(
            workdir, fleet_prometheus_config(sim.port, sidecar.port))).wait_ready()

        # 1. Forwarding works; wait until every provider is scored, so that
        #    the outages below cover the full set of derived series.
        providers = [p["id"] for p in sim.truth()["providers"]]
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            samples = sidecar.metrics()
            scored = {labels.get("provider") for labels, _ in select(
                samples, "depin_provider_reputation_score")}
            if value_of(samples, SENT, 0, remote_name="vm", outcome="sent") > 0 and \
                    all(p in scored for p in providers):
                break
            self.assertLess(time.monotonic(), deadline, "providers not scored: %s" % sorted(
                set(providers) - scored))
            time.sleep(1)

        # 2. VictoriaMetrics goes away for several evaluations, then returns.
        vm.stop()
        log("victoria-metrics stopped")
        time.sleep(DOWN_SECONDS)
        samples = sidecar.metrics()
        pending = value_of(samples, "depin_sidecar_remote_write_pending_samples", 0,
                           remote_name="vm")
        disk = value_of(samples, "depin_sidecar_remote_write_disk_buffer_bytes", 0,
                        remote_name="vm")
        retried = value_of(samples, SENT, 0, remote_name="vm", outcome="retried")
        log("while down: pending=%d disk_bytes=%d retried=%d" % (pending, disk, retried))
        self.assertGreater(pending, 0)
        self.assertGreater(disk, 0)
        self.assertGreater(retried, 0)
        back = time.time()
        vm = self.start_process(VictoriaMetrics(workdir, vm_port, vm_data)).wait_ready()
        self.wait_drained(sidecar, back)
        log("drained after the first outage")

        # 3. Down again, and the sidecar restarts meanwhile: the disk buffer
        #    carries the unsent batches over.
        vm.stop()
        time.sleep(DOWN_SECONDS / 2)
        self.assertEqual(sidecar.stop(), 0)
        segments = [f for f in os.listdir(os.path.join(storage, "forward", "vm"))
                    if f.endswith(".seg")]
        log("sidecar stopped with %d segments buffered" % len(segments))
        self.assertGreater(len(segments), 0)
        sidecar = self.start_process(Sidecar(workdir, sidecar_config(vm_port), port=sidecar.port,
                                             extra_args=args, name="sidecar2"))
        sidecar.wait_ready()
        self.assertIn("disk buffer has unsent batches", sidecar.log_text())
        time.sleep(2)
        back = time.time()
        vm = self.start_process(VictoriaMetrics(workdir, vm_port, vm_data)).wait_ready()
        sent_t = self.wait_drained(sidecar, back)

        # 4. Everything stored up to the last acknowledged evaluation is in
        #    VictoriaMetrics once. (VictoriaMetrics drops NaN samples.)
        end_ms = int(round(sent_t * 1000)) - 1
        stored = self.stored_samples(sidecar, start_ms, end_ms)
        stored = {k: v for k, v in stored.items() if not math.isnan(v)}
        exported = {k: v for k, v in vm.export().items() if k[1] <= end_ms}
        evaluations = sorted({t for _, t in stored})
        log("stored: %d samples over %d evaluations; exported: %d" % (
            len(stored), len(evaluations), len(exported)))
        self.assertGreater(len(evaluations), 2 * DOWN_SECONDS)
        duplicates = [(k, v) for k, v in exported.items() if len(v) > 1]
        self.assertEqual(duplicates[:5], [], "%d duplicated samples" % len(duplicates))
        missing = sorted(set(stored) - set(exported))
        self.assertEqual(missing[:5], [], "%d of %d stored samples missing" % (
            len(missing), len(stored)))
        extra = sorted(set(exported) - set(stored))
        self.assertEqual(extra[:5], [], "%d samples in VictoriaMetrics not stored" % len(extra))
        wrong = [(k, stored[k], v) for k, v in exported.items()
                 if not math.isclose(v[0], stored[k], rel_tol=1e-9, abs_tol=1e-12)]
        self.assertEqual(wrong[:5], [])

        # 5. The rejecting target: dropped with a count, never sent, never stuck.
        samples = sidecar.metrics()
        self.assertGreater(value_of(samples, SENT, 0, remote_name="bad", outcome="failed"), 0)
        self.assertEqual(value_of(samples, SENT, 0, remote_name="bad", outcome="sent"), 0)
        self.assertEqual(value_of(samples, SENT, 0, remote_name="vm", outcome="failed"), 0)
        self.assertEqual(value_of(samples, SENT, 0, remote_name="vm", outcome="dropped"), 0)
        self.assertIn("rejected by the target", sidecar.log_text())
        for p in (sim, prom):
            self.assertTrue(p.alive())


if __name__ == "__main__":
    unittest.main()
