"""GET/POST /api/v1/history with real binaries: a real Prometheus scrapes the
simulator and remote-writes to depin-sidecar, and reads the derived series
back from the sidecar by remote_read. The same questions are then asked twice
over the same data: of the sidecar's history endpoint, and of Prometheus's
own PromQL engine (query_range), whose only source for the derived series is
the sidecar's remote-read. Raw values must agree exactly (same samples, same
lookback, same number formatting); aggregations to 1e-9 (Prometheus 2.42
averages incrementally). Answers are also validated against the schema in
docs/openapi.yaml, and bad input is checked for a 400 with a message."""

import csv
import io
import json
import math
import os
import time
import unittest
import urllib.parse

import yaml

from harness import (SOURCE_DIR, IntegrationTestCase, PrometheusServer, Sidecar, Simulator,
                     fleet_prometheus_config, get_json, http_request, log, select)
from test_openapi import resolve, validate

FLEET = os.path.join(SOURCE_DIR, "config", "simulator", "ranking.yml")
SPEC = os.path.join(SOURCE_DIR, "docs", "openapi.yaml")
SCORE = "depin_provider_reputation_score"
READY_TIMEOUT = 180
MAX_SERIES = 60  # --query.max-series: above the fleet's scores, below all its derived series

SIDECAR_CONFIG = {
    "evaluation_interval": "2s",
    "windows": {"step": "5s", "length": "10m"},
    "confidence": {"min_samples": 4},
}


def key(metric):
    return tuple(sorted(metric.items()))


class QueryTest(IntegrationTestCase):
    def history(self, params, method="GET"):
        """(status, content type, parsed body) of /api/v1/history."""
        query = urllib.parse.urlencode(params, doseq=True)
        if method == "GET":
            status, headers, raw = http_request("GET", self.sidecar.url +
                                                "/api/v1/history?" + query)
        else:
            status, headers, raw = http_request(
                "POST", self.sidecar.url + "/api/v1/history", query.encode(),
                {"Content-Type": "application/x-www-form-urlencoded"})
        ctype = headers.get("content-type", "").split(";")[0]
        self.check_documented(method, status, ctype, raw)
        body = json.loads(raw) if ctype == "application/json" else raw.decode()
        return status, ctype, body

    def check_documented(self, method, status, ctype, raw):
        op = self.spec["paths"]["/api/v1/history"][method.lower()]
        self.assertIn(str(status), op["responses"], "undocumented status %d" % status)
        response = resolve(self.spec, op["responses"][str(status)])
        self.assertIn(ctype, response.get("content", {}), "undocumented type %r" % ctype)
        schema = response["content"][ctype]["schema"]
        value = json.loads(raw) if ctype == "application/json" else raw.decode()
        errors = validate(self.spec, schema, value)
        self.assertEqual(errors, [], "%s %d does not match docs/openapi.yaml:\n%s" % (
            method, status, "\n".join(errors[:20])))
        self.documented.add((method.lower(), status))

    def matrix(self, params, method="GET"):
        status, ctype, body = self.history(params, method)
        self.assertEqual(status, 200, body)
        self.assertEqual(ctype, "application/json")
        self.assertEqual(body["status"], "success")
        self.assertEqual(body["data"]["resultType"], "matrix")
        return {key(r["metric"]): r["values"] for r in body["data"]["result"]}

    def promql(self, expr, start, end, step):
        data = get_json(self.prom.url + "/api/v1/query_range?" + urllib.parse.urlencode(
            {"query": expr, "start": start, "end": end, "step": step}))
        self.assertEqual(data["status"], "success", data)
        return {key(r["metric"]): r["values"] for r in data["data"]["result"]}

    def assert_close(self, ours, theirs, what):
        self.assertEqual(sorted(ours), sorted(theirs), what)
        for k in ours:
            self.assertEqual([t for t, _ in ours[k]], [t for t, _ in theirs[k]], (what, k))
            for (t, a), (_, b) in zip(ours[k], theirs[k]):
                fa, fb = float(a), float(b)
                self.assertTrue(math.isclose(fa, fb, rel_tol=1e-9, abs_tol=1e-12) or
                                (math.isnan(fa) and math.isnan(fb)),
                                "%s %s at %s: %s vs Prometheus %s" % (what, k, t, a, b))

    def bad(self, params, status, fragment, method="GET"):
        got, ctype, body = self.history(params, method)
        self.assertEqual(got, status, body)
        self.assertEqual(ctype, "application/json")
        self.assertEqual(body["status"], "error")
        self.assertEqual(body["errorType"], "execution" if status == 422 else "bad_data")
        self.assertIn(fragment, body["error"])
        return body["error"]

    def test_history_agrees_with_promql_over_remote_read(self):
        with open(SPEC) as f:
            self.spec = yaml.safe_load(f)
        self.documented = set()
        workdir = self.tmpdir()
        sim = self.start_process(Simulator(workdir, FLEET, seed=42)).wait_ready()
        self.sidecar = self.start_process(Sidecar(workdir, SIDECAR_CONFIG, extra_args=[
            "--storage.path=" + os.path.join(workdir, "data"),
            "--query.max-series=%d" % MAX_SERIES])).wait_ready()
        self.prom = self.start_process(PrometheusServer(workdir, fleet_prometheus_config(
            sim.port, self.sidecar.port, remote_read=True))).wait_ready()
        providers = sorted(p["id"] for p in sim.truth()["providers"])
        self.assertLess(len(providers), MAX_SERIES)

        # 1. Wait until every provider has a score, then for some history.
        start = time.monotonic()
        while True:
            for p in (sim, self.sidecar, self.prom):
                self.assertTrue(p.alive(), "%s exited with %s" % (p.name, p.returncode()))
            scored = {l.get("provider") for l, _ in select(self.sidecar.metrics(), SCORE)}
            if all(p in scored for p in providers):
                break
            if time.monotonic() - start > READY_TIMEOUT:
                self.fail("after %d s, providers without a score: %s" % (
                    READY_TIMEOUT, sorted(set(providers) - scored)))
            time.sleep(2)
        time.sleep(40)
        end = int(time.time()) - 3
        begin = end - 30  # every provider has been scored for longer than this
        window = {"start": begin, "end": end, "step": "5s"}
        log("history window %d..%d" % (begin, end))

        # 2. Raw: every provider, values exactly as PromQL over remote-read.
        raw = self.matrix(dict(window, **{"match[]": SCORE}))
        self.assertEqual(sorted(dict(k)["provider"] for k in raw), providers)
        for k, values in raw.items():
            self.assertEqual(dict(k)["__name__"], SCORE)
            self.assertEqual([t for t, _ in values], list(range(begin, end + 1, 5)), k)
        prom_raw = self.promql(SCORE, begin, end, 5)
        self.assertEqual(raw, prom_raw)
        log("raw: %d series x %d points identical to PromQL" % (
            len(raw), len(next(iter(raw.values())))))
        # Unix seconds and RFC 3339 are the same times; POST form is the same query.
        rfc = {"start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(begin)),
               "end": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(end)), "step": "5"}
        self.assertEqual(self.matrix(dict(rfc, **{"match[]": SCORE})), raw)
        self.assertEqual(self.matrix(dict(window, **{"match[]": SCORE}), method="POST"), raw)
        # Two selectors: their union, each series once.
        one, two = providers[0], providers[1]
        union = self.matrix(dict(window, **{"match[]": [
            '%s{provider="%s"}' % (SCORE, one),
            '%s{provider=~"%s|%s"}' % (SCORE, one, two)]}))
        self.assertEqual(sorted(union), sorted(k for k in raw if dict(k)["provider"] in (one, two)))

        # 3. Aggregations across series, as PromQL's.
        cases = [
            ({"agg": "avg"}, SCORE, "avg(%s)" % SCORE),
            ({"agg": "p95"}, SCORE, "quantile(0.95, %s)" % SCORE),
            ({"agg": "quantile", "quantile": "0.5"}, SCORE, "quantile(0.5, %s)" % SCORE),
            ({"agg": "min"}, SCORE, "min(%s)" % SCORE),
            ({"agg": "max"}, SCORE, "max(%s)" % SCORE),
            ({"agg": "count"}, SCORE, "count(%s)" % SCORE),
            ({"agg": "avg", "by": "criterion"}, "depin_provider_reputation_criterion",
             "avg by (criterion) (depin_provider_reputation_criterion)"),
            ({"agg": "sum", "by": "tier"}, "depin_provider_tier",
             "sum by (tier) (depin_provider_tier)"),
            ({"agg": "avg_over_time", "window": "30s"}, SCORE, "avg_over_time(%s[30s])" % SCORE),
            ({"agg": "p99_over_time", "window": "1m"}, SCORE,
             "quantile_over_time(0.99, %s[1m])" % SCORE),
            ({"agg": "count_over_time"}, SCORE, "count_over_time(%s[5s])" % SCORE),
        ]
        for params, selector, expr in cases:
            ours = self.matrix(dict(window, **params, **{"match[]": selector}))
            self.assertTrue(ours, params)
            self.assert_close(ours, self.promql(expr, begin, end, 5), expr)
        log("%d aggregations agree with PromQL" % len(cases))
        # Providers per tier add up to the fleet at every step.
        tiers = self.matrix(dict(window, **{"match[]": "depin_provider_tier", "agg": "sum",
                                            "by": "tier"}))
        for i in range(len(range(begin, end + 1, 5))):
            self.assertEqual(sum(float(v[i][1]) for v in tiers.values()), len(providers))

        # 4. CSV: header + one row per (series, timestamp), same values.
        status, ctype, text = self.history(dict(window, **{"match[]": SCORE, "format": "csv"}))
        self.assertEqual((status, ctype), (200, "text/csv"))
        rows = list(csv.reader(io.StringIO(text)))
        self.assertEqual(rows[0], ["__name__", "provider", "timestamp", "value"])
        self.assertEqual(len(rows) - 1, sum(len(v) for v in raw.values()))
        from_csv = {}
        for name, provider, t, v in rows[1:]:
            from_csv.setdefault(key({"__name__": name, "provider": provider}), []).append(
                [int(t), v])
        self.assertEqual(from_csv, raw)

        # 5. Bad input: 400 bad_data with a message; limits 400 or 422.
        self.bad({"match[]": SCORE + "{provider=}"}, 400, "expected a quoted string")
        self.bad({"match[]": SCORE + '{provider=~"("}'}, 400, "invalid regular expression")
        self.bad({"match[]": "rate(%s[5m])" % SCORE}, 400, "no PromQL")
        self.bad({"match[]": '{provider=~".*"}'}, 400, "does not match the empty string")
        self.bad({}, 400, "match[]")
        self.bad(dict(window, **{"match[]": SCORE, "start": "yesterday"}), 400, "\"start\"")
        self.bad(dict(window, **{"match[]": SCORE, "step": "0"}), 400, "zero or negative")
        self.bad(dict(window, **{"match[]": SCORE, "end": begin - 1}), 400,
                 "end timestamp must not be before start time")
        self.bad(dict(window, **{"match[]": SCORE, "agg": "median"}), 400, "\"agg\"")
        self.bad(dict(window, **{"match[]": SCORE, "agg": "quantile", "quantile": "2"}), 400,
                 "[0, 1]")
        self.bad(dict(window, **{"match[]": SCORE, "query": "up"}), 400, "unknown parameter")
        self.bad(dict(window, **{"match[]": SCORE, "step": "0.001"}), 400,
                 "exceeded maximum resolution of 11000 points")
        self.bad(dict(window, **{"match[]": SCORE, "start": 0}), 400, "exceeds the maximum")
        self.bad(dict(window, **{"match[]": '{__name__=~"depin_provider_.+"}'}), 422,
                 "limit of %d" % MAX_SERIES)
        self.bad(dict(window, **{"match[]": SCORE + "{"}), 400, "unclosed", method="POST")
        self.bad(dict(window, **{"match[]": '{__name__=~"depin_.+"}'}), 422,
                 "limit of %d" % MAX_SERIES, method="POST")
        # Only GET and POST are routed to the endpoint: the server answers others.
        status, _, body = http_request("DELETE", self.sidecar.url + "/api/v1/history")
        self.assertEqual(status, 404, body)
        self.assertTrue(self.sidecar.alive())

        # 6. Every status the document lists for the endpoint was produced.
        for method, op in self.spec["paths"]["/api/v1/history"].items():
            if method not in ("get", "post"):
                continue
            for code in op["responses"]:
                self.assertIn((method, int(code)), self.documented,
                              "documented %s %s never produced" % (method.upper(), code))


if __name__ == "__main__":
    unittest.main()
