"""End to end with real binaries: a real Prometheus scrapes the simulator's
fleet (found by http_sd) and remote-writes it to depin-sidecar; the sidecar
must rank the providers in the simulator's known order of quality."""

import json
import math
import time
import unittest
import zlib

from harness import (FLEET_CONFIG, IntegrationTestCase, fleet_prometheus_config, http_get,
                     http_post, log, parse_metrics, promtool_check_metrics, select, value_of)

FLEET = FLEET_CONFIG  # imported by other tests
TIERS = ("basic", "bronze", "silver", "gold", "platinum")

READY_TIMEOUT = 180   # every provider ranked with confidence > 0
SETTLE_SECONDS = 30   # then let windows fill a little more


def prometheus_config(sim_port, sidecar_port):
    return fleet_prometheus_config(sim_port, sidecar_port)


def by_provider(samples, name):
    out = {}
    for labels, value in select(samples, name):
        out[labels.get("provider")] = value
    return out


class EndToEndTest(IntegrationTestCase):
    def test_prometheus_to_sidecar_ranks_fleet_in_truth_order(self):
        fleet = self.start_fleet(seed=42)
        sim, sidecar, prom = fleet.processes()

        truth = sim.truth()
        order = truth["order"]
        self.assertGreaterEqual(len(order), 2, truth)
        self.assertEqual(sorted(order), sorted(p["id"] for p in truth["providers"]))
        log("truth order: %s" % order)

        # 1. Wait until every provider has a rank and a confidence > 0.
        start = time.monotonic()
        samples = []
        while True:
            for p in (sim, sidecar, prom):
                self.assertTrue(p.alive(), "%s exited with %s" % (p.name, p.returncode()))
            samples = sidecar.metrics()
            ranks = by_provider(samples, "depin_provider_rank")
            conf = by_provider(samples, "depin_provider_confidence")
            missing = [p for p in order if p not in ranks or not conf.get(p, 0) > 0]
            if not missing:
                break
            if time.monotonic() - start > READY_TIMEOUT:
                self.fail("after %d s, providers without rank or confidence: %s\n"
                          "ranks=%s confidence=%s received=%s" % (
                              READY_TIMEOUT, missing, ranks, conf,
                              value_of(samples, "depin_sidecar_samples_received_total")))
            time.sleep(2)
        log("all %d providers ranked after %.0f s" % (len(order), time.monotonic() - start))

        # 2. Let it run a little longer, then check the ranking.
        time.sleep(SETTLE_SECONDS)
        truth = sim.truth()
        order = truth["order"]
        body = sidecar.metrics_body()
        samples = parse_metrics(body)

        ranks = by_provider(samples, "depin_provider_rank")
        rep = by_provider(samples, "depin_provider_reputation_score")
        perf = by_provider(samples, "depin_provider_performance_score")
        pct = by_provider(samples, "depin_provider_percentile")
        conf = by_provider(samples, "depin_provider_confidence")
        level = by_provider(samples, "depin_provider_tier_level")
        table = "\n".join("  %-16s rank=%s reputation=%.2f performance=%.2f percentile=%s "
                          "confidence=%.2f tier_level=%s" % (
                              p, ranks.get(p), rep.get(p, math.nan), perf.get(p, math.nan),
                              pct.get(p), conf.get(p, math.nan), level.get(p))
                          for p in sorted(ranks, key=ranks.get))
        log("sidecar ranking:\n" + table)

        for p in order:
            self.assertIn(p, ranks, "no rank for %s\n%s" % (p, table))
            self.assertGreater(conf.get(p, 0), 0, "confidence 0 for %s" % p)
            self.assertIn(p, rep, "no reputation score for %s" % p)
            self.assertIn(p, perf, "no performance score for %s" % p)
            self.assertTrue(0 <= rep[p] <= 100, "reputation out of 0..100: %s" % rep[p])
            self.assertTrue(0 <= perf[p] <= 100, "performance out of 0..100: %s" % perf[p])
            self.assertTrue(0 <= conf[p] <= 1, "confidence out of 0..1: %s" % conf[p])
        ranked = sorted(order, key=lambda p: ranks[p])
        self.assertEqual(ranked, order,
                         "sidecar ranking differs from the simulator's truth\n%s" % table)
        self.assertEqual(sorted(ranks[p] for p in order), list(range(1, len(order) + 1)),
                         "ranks are not 1..N: %s" % ranks)

        # Percentiles decrease as the rank goes down the list.
        pcts = [pct.get(p) for p in ranked]
        self.assertNotIn(None, pcts, "missing percentile: %s" % pct)
        for a, b in zip(pcts, pcts[1:]):
            self.assertGreater(a, b, "percentiles not decreasing with rank: %s" % pcts)
        # Reputation scores do too (the rank is the reputation's order).
        reps = [rep[p] for p in ranked]
        for a, b in zip(reps, reps[1:]):
            self.assertGreaterEqual(a, b, "reputation not decreasing with rank: %s" % reps)

        # Tiers: a state-set with exactly one tier at 1 per provider.
        for p in order:
            tiers = {l["tier"]: v for l, v in select(samples, "depin_provider_tier", provider=p)}
            self.assertEqual(set(tiers), set(TIERS), "tier state-set of %s: %s" % (p, tiers))
            ones = [t for t, v in tiers.items() if v == 1]
            self.assertEqual(len(ones), 1, "%s: tiers at 1: %s" % (p, tiers))
            self.assertTrue(all(v in (0, 1) for v in tiers.values()), tiers)
            if p in level:
                self.assertEqual(TIERS.index(ones[0]), level[p],
                                 "%s: tier %s vs tier_level %s" % (p, ones[0], level[p]))

        # Where evaluation time goes, phase by phase (docs/benchmarks.md).
        phases = {l["phase"]: v for l, v in
                  select(samples, "depin_sidecar_evaluation_phase_duration_seconds")}
        self.assertEqual(set(phases), {"snapshot", "analytics", "render", "derived",
                                        "deflate"}, phases)
        self.assertTrue(all(v >= 0 for v in phases.values()), phases)

        received = value_of(samples, "depin_sidecar_samples_received_total", 0.0)
        self.assertGreater(received, 0)

        # The exposition passes promtool's linter with no warning.
        rc, out = promtool_check_metrics(body)
        self.assertEqual((rc, out.strip()), (0, ""), "promtool check metrics:\n" + out)

        # Prometheus's remote-write queue: samples sent, none failed.
        psamples = prom.metrics()
        total = value_of(psamples, "prometheus_remote_storage_samples_total")
        failed = value_of(psamples, "prometheus_remote_storage_samples_failed_total")
        self.assertIsNotNone(total, "prometheus_remote_storage_samples_total not exposed")
        self.assertIsNotNone(failed, "prometheus_remote_storage_samples_failed_total not exposed")
        self.assertGreater(total, 0)
        self.assertEqual(failed, 0, "Prometheus counted failed remote-write samples")
        log("prometheus sent %d samples, sidecar received %d" % (total, received))

        # The JSON API answers from the same evaluation.
        self.check_api(sidecar, order)
        self.check_gzip_scrape(sidecar)

        # All three stop cleanly on SIGTERM.
        self.assertEqual(sidecar.stop(), 0, "sidecar exit code on SIGTERM")

    def check_gzip_scrape(self, sidecar):
        """A scraper that accepts gzip (Prometheus does) gets the same
        exposition as one gzip member; q=0 refuses it."""
        def derived(body):
            return [l for l in body.decode().splitlines()
                    if l.startswith(("depin_provider_", "depin_network_"))]
        for _ in range(5):  # an evaluation may land between the requests
            before = derived(sidecar.metrics_body())
            status, headers, raw = http_get(sidecar.url + "/metrics",
                                            headers={"Accept-Encoding": "gzip"})
            if derived(sidecar.metrics_body()) == before:
                break
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("content-encoding"), "gzip", headers)
        self.assertEqual(headers.get("vary"), "Accept-Encoding", headers)
        self.assertEqual(int(headers["content-length"]), len(raw))
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # checks CRC and length
        text = inflater.decompress(raw) + inflater.flush()
        self.assertTrue(inflater.eof, "gzip member not finished")
        self.assertEqual(inflater.unused_data, b"", "bytes after the gzip member")
        self.assertGreater(len(before), 100)
        self.assertEqual(derived(text), before)
        self.assertIn(b"depin_sidecar_samples_received_total", text)
        self.assertLess(len(raw), len(text) / 3)
        status, headers, plain = http_get(sidecar.url + "/metrics",
                                          headers={"Accept-Encoding": "gzip;q=0, identity"})
        self.assertEqual(status, 200)
        self.assertNotIn("content-encoding", headers)
        self.assertIn(b"depin_provider_rank", plain)

    def check_api(self, sidecar, order):
        def get(path):
            status, headers, body = http_get(sidecar.url + path)
            return status, headers, body

        def post(path, payload):
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            return http_post(sidecar.url + path, data, {"Content-Type": "application/json"})

        status, _, body = get("/api/v1/providers")
        self.assertEqual(status, 200, body)
        listing = json.loads(body)
        self.assertEqual([p["id"] for p in listing["providers"]], order, listing)
        status, _, body = get("/api/v1/providers?limit=2&offset=1")
        self.assertEqual([p["id"] for p in json.loads(body)["providers"]], order[1:3])

        status, _, body = get("/api/v1/providers/" + order[-1])
        self.assertEqual(status, 200, body)
        detail = json.loads(body)
        self.assertEqual(len(detail["components"]), 6, detail)
        reasons = " | ".join(c["reason"] for c in detail["components"])
        self.assertIn("failure ratio", reasons)
        self.assertIn("network median", reasons)
        log("reasons for %s: %s" % (order[-1], reasons))
        status, _, body = get("/api/v1/providers/" + order[0] + "/audit")
        self.assertEqual(status, 200, body)
        self.assertIn("records", json.loads(body))
        self.assertEqual(get("/api/v1/providers/nobody")[0], 404)

        status, headers, body = get("/api/v1/rankings?format=csv")
        self.assertEqual(status, 200, body)
        self.assertTrue(headers.get("content-type", "").startswith("text/csv"), headers)
        lines = body.decode().strip().split("\n")
        self.assertEqual(len(lines), len(order) + 1, lines)
        self.assertEqual([l.split(",")[1] for l in lines[1:]], order)

        status, _, body = get("/api/v1/network")
        self.assertEqual(status, 200, body)
        self.assertEqual(sum(json.loads(body)["tiers"].values()), len(order))

        status, _, body = post("/api/v1/recommendations", {"gpus": 1, "duration_hours": 2})
        self.assertEqual(status, 200, body)
        recs = json.loads(body)["recommendations"]
        self.assertTrue(recs, body)
        self.assertEqual(recs[0]["provider"], order[0], body)
        for r in recs:
            self.assertTrue(0 <= r["completion_probability"] <= 1, r)
            self.assertTrue(r["reasons"], r)
        status, _, body = post("/api/v1/recommendations", {"gpus": 100000})
        self.assertEqual(status, 400, body)
        status, _, body = post("/api/v1/recommendations", {"gpus": 1, "colour": "red"})
        self.assertEqual(status, 400, body)
        self.assertIn("colour", json.loads(body)["error"])
        self.assertEqual(post("/api/v1/recommendations", b"{not json")[0], 400)
        status, _, body = post("/api/v1/recommendations", {"gpus": 64})
        self.assertEqual(status, 200, body)
        self.assertIn("explanation", json.loads(body))

        status, _, body = post("/api/v1/allocations",
                               {"jobs": [{"id": "a", "gpus": 1}, {"id": "b", "gpus": 1}]})
        self.assertEqual(status, 200, body)
        allocation = json.loads(body)
        self.assertEqual(allocation["solver"]["status"], "optimal", allocation)
        self.assertEqual(len(allocation["assignments"]), 2, allocation)
        self.assertEqual(get("/api/v1/allocations")[0], 405)
        self.assertEqual(get("/api/v1/nothing")[0], 404)


if __name__ == "__main__":
    unittest.main()
