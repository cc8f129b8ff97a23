"""Reference check: the sidecar's latency and job-duration percentiles agree
with a real Prometheus's histogram_quantile over the same raw buckets.

Prometheus scrapes the simulator and stores the raw histograms while it
remote-writes them to the sidecar. At the sidecar's last evaluation time we
ask Prometheus for histogram_quantile(q, sum by (le) (increase(...[10m]))):
both then cover every sample since the start, so they must agree up to the
samples in flight (remote-write batches lag by about a second)."""

import time
import unittest

from harness import IntegrationTestCase, log, select, value_of

RUN_SECONDS = 75
PAIRS = (  # sidecar family, raw histogram family
    ("depin_provider_response_latency_seconds", "depin_provider_response_seconds"),
    ("depin_provider_job_duration_seconds", "depin_job_duration_seconds"),
)
RELATIVE_TOLERANCE = 0.05


class ReferenceQuantilesTest(IntegrationTestCase):
    def test_percentiles_match_prometheus_histogram_quantile(self):
        fleet = self.start_fleet(seed=7)
        sim, sidecar, prom = fleet.processes()
        time.sleep(RUN_SECONDS)

        # A figure can differ while a remote-write batch is still in flight
        # (a few samples of a provider with few jobs move a p95 by a bucket,
        # more so on a busy machine), which the next evaluation resolves: an
        # evaluation passes when every figure agrees, and one of three
        # successive evaluations must.
        attempts = []
        last_at = None
        for attempt in range(3):
            samples = self.wait_next_evaluation(sidecar, last_at)
            last_at = value_of(samples, "depin_sidecar_last_evaluation_timestamp_seconds")
            compared, worst, bad = self.compare(samples, prom, last_at)
            self.assertGreaterEqual(compared, 2 * 3 * 6)
            log("evaluation %d: compared %d percentiles; worst relative difference %.2f%%"
                % (attempt + 1, compared, 100 * worst))
            if not bad:
                return
            attempts.append(bad)
        self.fail("percentiles disagreed in 3 successive evaluations: %r" % attempts)

    def wait_next_evaluation(self, sidecar, last_at):
        deadline = time.time() + 30
        while True:
            samples = sidecar.metrics()
            at = value_of(samples, "depin_sidecar_last_evaluation_timestamp_seconds")
            self.assertIsNotNone(at)
            if last_at is None or at > last_at:
                return samples
            self.assertLess(time.time(), deadline, "no new evaluation within 30 s")
            time.sleep(0.5)

    def compare(self, samples, prom, at):
        compared = 0
        worst = 0.0
        bad = []
        for family, raw in PAIRS:
            for labels, ours in select(samples, family):
                provider, pct = labels["provider"], labels["percentile"]
                q = float(pct) / 100.0
                expr = ('histogram_quantile(%g, sum by (le) (increase(%s_bucket{provider="%s"}[10m])))'
                        % (q, raw, provider))
                result = prom.instant_query(expr, time=at)
                self.assertEqual(len(result), 1, "%s -> %r" % (expr, result))
                theirs = float(result[0]["value"][1])
                diff = abs(ours - theirs) / max(abs(theirs), 1e-9)
                worst = max(worst, diff)
                log("%s{provider=%s,percentile=%s}: sidecar %.4f prometheus %.4f (%.2f%%)"
                    % (family, provider, pct, ours, theirs, 100 * diff))
                if diff > RELATIVE_TOLERANCE:
                    bad.append((expr, ours, theirs))
                compared += 1
        return compared, worst, bad


if __name__ == "__main__":
    unittest.main()
