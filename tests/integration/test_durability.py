"""Restart without loss (issue 4): write-ahead log and state checkpoint.

Two sidecars A and B with the same configuration receive the same
remote-write requests from a steady sender. B is killed with SIGKILL in the
middle of the load and restarted on the same --storage.path; the sender keeps
every request B did not acknowledge with 2xx and retries it, in order, until
B accepts it (as Prometheus does). Afterwards the windows of A and B, read at
the same evaluation time through /api/v1/status/windows, must be identical:
nothing B acknowledged was lost. Also: a corrupt checkpoint and a truncated
WAL tail are reported at start and the rest recovered; the audit trail
survives a clean restart.
"""

import json
import os
import signal
import threading
import time
import unittest

from harness import (FAST_SIDECAR_CONFIG, SOURCE_DIR, IntegrationTestCase, Sidecar, get_json,
                     http_request, log, value_of)
from remote_write import default_headers, encode_write_request, now_ms
from test_openapi import resolve, validate

import snappy
import yaml

import test_remote_write_v2 as rw2  # its 2.0 encoder (the module, not its tests)

PROVIDERS = ["prov-%02d" % i for i in range(12)]


def fleet_request(tick, ts, down=()):
    """One scrape of the synthetic fleet at ts: up, job counters, GPU
    utilisation and a latency histogram per provider."""
    series = []
    for i, p in enumerate(PROVIDERS):
        lab = {"provider": p}
        series.append(({"__name__": "up", **lab}, [(0.0 if p in down else 1.0, ts)]))
        series.append(({"__name__": "depin_jobs_completed_total", **lab},
                       [(float(tick * (2 + i % 3)), ts)]))
        series.append(({"__name__": "depin_jobs_failed_total", **lab},
                       [(float(tick // (5 + i)), ts)]))
        series.append(({"__name__": "DCGM_FI_DEV_GPU_UTIL", "gpu": "0", **lab},
                       [(50.0 + (tick * (i + 1)) % 37, ts)]))
        for le, share in (("0.1", 1), ("0.5", 3), ("+Inf", 4)):
            series.append(({"__name__": "depin_provider_response_seconds_bucket", "le": le,
                            **lab}, [(float(tick * share), ts)]))
        series.append(({"__name__": "depin_provider_response_seconds_count", **lab},
                       [(float(tick * 4), ts)]))
        series.append(({"__name__": "depin_provider_response_seconds_sum", **lab},
                       [(tick * 0.25 * (1 + i / 10.0), ts)]))
    return snappy.compress(encode_write_request(series))


def post(url, body, timeout=5):
    """(status, body); status 0 when the connection failed (sidecar down)."""
    try:
        status, _, text = http_request("POST", url, body=body, headers=default_headers(),
                                       timeout=timeout)
        return status, text
    except OSError as e:  # refused, reset mid-request, timeout
        return 0, str(e)


def documented_errors(path, status, ctype, raw):
    """Where an answer of GET `path` differs from docs/openapi.yaml."""
    with open(os.path.join(SOURCE_DIR, "docs", "openapi.yaml")) as f:
        spec = yaml.safe_load(f)
    responses = spec["paths"][path]["get"]["responses"]
    if str(status) not in responses:
        return ["undocumented status %d" % status]
    content = resolve(spec, responses[str(status)]).get("content", {})
    if ctype not in content:
        return ["undocumented content type %r" % ctype]
    return validate(spec, content[ctype]["schema"], json.loads(raw))


def windows_at(sidecar, t_ms):
    status, headers, raw = http_request(
        "GET", sidecar.url + "/api/v1/status/windows?time=%.3f" % (t_ms / 1000.0))
    errors = documented_errors("/api/v1/status/windows", status,
                               headers.get("content-type", "").split(";")[0], raw)
    if errors:
        raise AssertionError("/api/v1/status/windows vs docs/openapi.yaml: %s" % errors[:10])
    return json.loads(raw)["data"]


def damage(sidecar, file, kind):
    return value_of(sidecar.metrics(), "depin_sidecar_recovery_damage_total", 0,
                    file=file, kind=kind)


class DurabilityTest(IntegrationTestCase):

    def sidecar(self, workdir, name, storage, port=None, extra=()):
        return Sidecar(workdir, FAST_SIDECAR_CONFIG, port=port, name=name,
                       extra_args=("--storage.path=" + storage, *extra))

    def test_kill_9_mid_load_loses_no_acknowledged_sample(self):
        workdir = self.tmpdir()
        a = self.start_process(self.sidecar(workdir, "a", os.path.join(workdir, "data-a"),
                                            extra=("--storage.checkpoint-interval=5s",)))
        # B checkpoints during the load and is killed 3.5 s after its second
        # checkpoint: the WAL then holds a few dozen requests to replay.
        b_args = dict(workdir=workdir, name="b", storage=os.path.join(workdir, "data-b"),
                      extra=("--storage.checkpoint-interval=5s",))
        b = self.start_process(self.sidecar(**b_args))
        a.wait_ready()
        b.wait_ready()

        backlog = []  # requests B has not acknowledged yet, oldest first
        acked_by_b = 0
        refused_by_b = 0
        killed = threading.Event()

        def kill_b():
            os.kill(b.pid, signal.SIGKILL)
            killed.set()
            log("SIGKILL sent to b pid %d" % b.pid)

        timer = threading.Timer(8.5, kill_b)  # mid-load, at an arbitrary moment
        timer.start()
        self.addCleanup(timer.cancel)
        start = time.time()
        tick = 0
        last_ts = 0
        restarted = None
        while time.time() - start < 16.0:
            tick += 1
            last_ts = now_ms()
            body = fleet_request(tick, last_ts)
            status, text = post(a.write_url, body)
            self.assertEqual(status, 204, text)
            backlog.append(body)
            while backlog:  # in order, as a Prometheus shard retries
                status, text = post((restarted or b).write_url, backlog[0], timeout=2)
                self.assertFalse(400 <= status < 500, text)  # Prometheus would drop it
                if status // 100 != 2:
                    refused_by_b += 1
                    break
                backlog.pop(0)
                acked_by_b += 1
            if killed.is_set() and restarted is None:
                b.proc.wait(timeout=10)
                self.assertEqual(b.returncode(), -signal.SIGKILL)
                restarted = self.start_process(self.sidecar(port=b.port, name="b2", **{
                    k: v for k, v in b_args.items() if k != "name"}))
            time.sleep(0.1)
        self.assertIsNotNone(restarted, "B was never killed")
        restarted.wait_ready()
        deadline = time.time() + 30
        while backlog and time.time() < deadline:
            status, text = post(restarted.write_url, backlog[0])
            if status // 100 == 2:
                backlog.pop(0)
                acked_by_b += 1
            else:
                time.sleep(0.2)
        self.assertEqual(backlog, [], "B did not take its backlog back")
        log("ticks %d, acknowledged by b %d, refused while down %d" % (
            tick, acked_by_b, refused_by_b))
        self.assertGreater(refused_by_b, 0, "the sender never saw B down")

        # B recovered from its checkpoint and WAL (the log says so, and so do
        # the self-metrics), and then holds exactly what A holds.
        text = restarted.log_text()
        self.assertIn("state recovered", text)
        replayed = value_of(restarted.metrics(), "depin_sidecar_wal_replayed_requests_total", 0)
        self.assertGreater(replayed, 5)
        wa = windows_at(a, last_ts)
        wb = windows_at(restarted, last_ts)
        self.assertEqual(len(wa["providers"]), len(PROVIDERS))
        self.assertEqual(json.dumps(wb, sort_keys=True), json.dumps(wa, sort_keys=True))
        up_samples = sum(sum(p["signals"]["up"]["count"]) for p in wa["providers"])
        self.assertEqual(up_samples, tick * len(PROVIDERS))
        log("windows identical: %d providers, %d up samples, %d requests replayed" % (
            len(wa["providers"]), up_samples, replayed))

    def test_corrupt_checkpoint_and_truncated_wal_are_reported_and_the_rest_recovered(self):
        workdir = self.tmpdir()
        storage = os.path.join(workdir, "data-b")
        a = self.start_process(self.sidecar(workdir, "a", os.path.join(workdir, "data-a")))
        b = self.start_process(self.sidecar(workdir, "b", storage,
                                            extra=("--storage.checkpoint-interval=1h",)))
        a.wait_ready()
        b.wait_ready()
        t0 = now_ms() - 60_000
        requests = [fleet_request(k + 1, t0 + 1000 * k) for k in range(40)]
        for body in requests[:20]:
            for s in (a, b):
                self.assertEqual(post(s.write_url, body)[0], 204)
        self.assertEqual(b.stop(), 0)  # clean: the checkpoint holds the 20 requests
        b = self.start_process(self.sidecar(workdir, "b2", storage, port=b.port,
                                            extra=("--storage.checkpoint-interval=1h",)))
        b.wait_ready()
        for i, body in enumerate(requests[20:]):
            self.assertEqual(post(b.write_url, body)[0], 204)
            if i < 19:  # A never sees the last one: B will lose it to the cut below
                self.assertEqual(post(a.write_url, body)[0], 204)
        os.kill(b.pid, signal.SIGKILL)
        b.proc.wait(timeout=10)

        checkpoint = os.path.join(storage, "state.checkpoint")
        with open(checkpoint, "rb") as f:
            data = bytearray(f.read())
        victim = b"prov-05"
        pos = data.find(b"\x02" + bytes([len(victim), 0, 0, 0]) + victim)  # its window record
        self.assertGreater(pos, 0)
        data[pos + 40] ^= 0xFF
        with open(checkpoint, "wb") as f:
            f.write(bytes(data))
        wal_dir = os.path.join(storage, "wal")
        last = sorted(os.listdir(wal_dir))[-1]
        path = os.path.join(wal_dir, last)
        size = os.path.getsize(path)
        os.truncate(path, size - 7)

        b = self.start_process(self.sidecar(workdir, "b3", storage, port=b.port))
        b.wait_ready()
        text = b.log_text()
        self.assertIn("state damaged; recovered what is intact", text)
        self.assertIn("checkpoint_corrupt_records=1", text)
        self.assertIn("wal_truncated_segments=1", text)
        self.assertEqual(damage(b, "checkpoint", "corrupt"), 1)
        self.assertEqual(damage(b, "wal", "truncated"), 1)
        self.assertTrue(os.path.exists(checkpoint + ".damaged"))

        at = t0 + 1000 * 39
        wa = {p["id"]: p for p in windows_at(a, at)["providers"]}
        wb = {p["id"]: p for p in windows_at(b, at)["providers"]}
        self.assertEqual(sorted(wb), sorted(wa))
        for p in PROVIDERS:
            if p == "prov-05":
                continue
            self.assertEqual(wb[p], wa[p], p)
        # The damaged provider keeps what the WAL held after the checkpoint.
        self.assertEqual(sum(wb["prov-05"]["signals"]["up"]["count"]), 19)
        self.assertEqual(sum(wa["prov-05"]["signals"]["up"]["count"]), 39)

    def test_audit_trail_survives_a_clean_restart(self):
        workdir = self.tmpdir()
        storage = os.path.join(workdir, "data")
        b = self.start_process(self.sidecar(workdir, "b", storage)).wait_ready()
        tick = 0
        deadline = time.time() + 90
        while time.time() < deadline:
            tick += 1
            # prov-03 goes down for a while; becoming scored puts its first
            # tier and score changes on record.
            down = ("prov-03",) if 20 <= tick < 40 else ()
            self.assertEqual(post(b.write_url, fleet_request(tick, now_ms(), down))[0], 204)
            if tick % 10 == 0:
                records = get_json(b.url + "/api/v1/providers/prov-03/audit")["records"]
                if len(records) >= 2:
                    break
            time.sleep(0.25)
        before = get_json(b.url + "/api/v1/providers/prov-03/audit")["records"]
        self.assertGreaterEqual(len(before), 2, "no tier or score change on record")
        self.assertEqual(b.stop(), 0)
        b = self.start_process(self.sidecar(workdir, "b2", storage, port=b.port)).wait_ready()
        after = get_json(b.url + "/api/v1/providers/prov-03/audit")["records"]
        self.assertEqual(after[:len(before)], before)
        self.assertIn("state recovered", b.log_text())
        # The introspection endpoint refuses a bad time as documented.
        path = "/api/v1/status/windows"
        status, headers, raw = http_request("GET", b.url + path + "?time=yesterday")
        self.assertEqual(status, 400, raw)
        self.assertIn(b"invalid time", raw)
        self.assertEqual(documented_errors(path, status, headers.get("content-type"), raw), [])

    def test_remote_write_2_requests_replay_after_kill_9(self):
        workdir = self.tmpdir()
        storage = os.path.join(workdir, "data")
        b = self.start_process(self.sidecar(workdir, "b", storage,
                                            extra=("--storage.checkpoint-interval=1h",)))
        b.wait_ready()
        t = now_ms()
        req = rw2.V2Request()
        provider = {"provider": "rw2-only"}
        req.add(dict(provider, __name__="up"),
                samples=[(1, t - 30_000 * k) for k in range(5, -1, -1)])
        req.add(dict(provider, __name__="depin_jobs_completed_total"),
                samples=[(100, t - 60_000), (120, t - 1_000)])
        req.add(dict(provider, __name__="depin_provider_response_seconds"),
                histograms=[rw2.histogram(t - 20_000, 10, 3.5, [(-1, 1)], [10]),
                            rw2.histogram(t - 5_000, 30, 10.5, [(-1, 1)], [30])])
        status, _, text = rw2.post_v2(b.write_url, req.encode())
        self.assertEqual(status, 204, text)
        self.assertEqual(post(b.write_url, fleet_request(1, t))[0], 204)  # and a 1.0 one
        before = windows_at(b, t)
        self.assertEqual(len(before["providers"]), len(PROVIDERS) + 1)
        os.kill(b.pid, signal.SIGKILL)
        b.proc.wait(timeout=10)
        b = self.start_process(self.sidecar(workdir, "b2", storage, port=b.port)).wait_ready()
        self.assertIn("wal_requests_replayed=2", b.log_text())
        after = windows_at(b, t)
        self.assertEqual(json.dumps(after, sort_keys=True), json.dumps(before, sort_keys=True))
        rw2_window = [p for p in after["providers"] if p["id"] == "rw2-only"][0]
        self.assertIn("response_latency", rw2_window["signals"])

if __name__ == "__main__":
    unittest.main()
