"""Reports end to end: a real Prometheus scrapes the simulator's fleet and
remote-writes it to depin-sidecar; GET /api/v1/reports answers an HTML
document (parsed with html.parser: well nested, inline SVG charts, every
provider named) and a CSV table (parsed with the csv module: the documented
columns, one row per provider, figures agreeing with the JSON API and the
audit trail); bad parameters answer 400; scheduled reports appear in
--storage.path/reports, written whole, and only the newest `keep` stay."""

import csv
import calendar
import glob
import io
import json
import os
import time
from html.parser import HTMLParser

import yaml

from harness import (SOURCE_DIR, IntegrationTestCase, PrometheusServer, Sidecar, Simulator,
                     fleet_prometheus_config, get_json, http_request, log, value_of)

FLEET = os.path.join(SOURCE_DIR, "config", "simulator", "ranking.yml")
TIERS = ("basic", "bronze", "silver", "gold", "platinum")
READY_TIMEOUT = 180
# The columns docs/reports.md documents, in order.
COLUMNS = ["period_start", "period_end", "provider", "region", "gpu_model", "tier", "rank",
           "tier_leader_position", "reputation", "reputation_start", "reputation_change",
           "rank_start", "rank_change", "performance", "confidence", "uptime_ratio", "penalties",
           "tier_demotions", "anomalies", "price_per_gpu_hour", "cost_per_job_dollars",
           "cost_efficiency", "gpus_total", "gpus_allocated"]
VOID = {"meta", "br", "hr", "img", "link", "input"}


class Document(HTMLParser):
    """Collects nesting errors, tag counts and the text of an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.counts, self.text = [], [], {}, []

    def handle_starttag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else ""))
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse_html(body):
    doc = Document()
    doc.feed(body)
    doc.close()
    if doc.stack:
        doc.errors.append("never closed: %s" % doc.stack)
    return doc


def utc_seconds(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


class ReportsTest(IntegrationTestCase):
    def test_reports_on_demand_and_scheduled(self):
        workdir = self.tmpdir()
        data = os.path.join(workdir, "data")
        reports_dir = os.path.join(data, "reports")
        sim = self.start_process(Simulator(workdir, FLEET, seed=42)).wait_ready()
        sidecar = self.start_process(Sidecar(workdir, {
            "evaluation_interval": "2s",
            "windows": {"step": "5s", "length": "10m"},
            "confidence": {"min_samples": 4},
            "reports": {"enabled": True, "interval": "3s", "period": "1h", "keep": 2,
                        "max_period": "2d"},
        }, extra_args=["--storage.path=" + data])).wait_ready()
        self.start_process(PrometheusServer(
            workdir, fleet_prometheus_config(sim.port, sidecar.port))).wait_ready()
        truth = sim.truth()
        order = truth["order"]
        regions = {p["id"]: p["region"] for p in truth["providers"]}

        with open(os.path.join(SOURCE_DIR, "docs", "openapi.yaml")) as f:
            spec = yaml.safe_load(f)
        operation = spec["paths"]["/api/v1/reports"]["get"]
        self.assertEqual(operation.get("x-tested-by"), "tests/integration/test_reports.py")
        produced = set()

        def documented(status, headers, body):
            """The answer's status and content type are those openapi.yaml documents."""
            produced.add(status)
            response = operation["responses"].get(str(status))
            self.assertIsNotNone(response, "undocumented status %d: %r" % (status, body[:200]))
            if "$ref" in response:
                response = spec["components"]["responses"][response["$ref"].split("/")[-1]]
            ctype = headers.get("content-type", "").split(";")[0].strip()
            self.assertIn(ctype, response["content"], "undocumented content type")
            if ctype == "application/json":
                self.assertIsInstance(json.loads(body)["error"], str)

        def get(query):
            answer = http_request("GET", sidecar.url + "/api/v1/reports" + query, timeout=30)
            documented(*answer)
            return answer

        # 1. Wait until every provider is ranked, then a little longer so
        # that the derived history spans several evaluations.
        start = time.monotonic()
        while True:
            self.assertTrue(sidecar.alive(), sidecar.log_tail())
            page = get_json(sidecar.url + "/api/v1/providers?limit=1000") if get("")[0] == 200 \
                else {"providers": []}
            ranked = sorted(p["id"] for p in page["providers"] if p["rank"] is not None)
            if ranked == sorted(order):
                break
            if time.monotonic() - start > READY_TIMEOUT:
                self.fail("providers not all ranked after %d s: %s" % (READY_TIMEOUT, ranked))
            time.sleep(2)
        log("all %d providers ranked after %.0f s" % (len(order), time.monotonic() - start))
        time.sleep(20)

        # 2. HTML: well nested, self-contained, charts inline, every provider named.
        status, headers, body = get("?period=1h&format=html")
        self.assertEqual(status, 200, body[:300])
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        html = body.decode("utf-8")
        doc = parse_html(html)
        self.assertEqual(doc.errors, [])
        self.assertTrue(html.startswith("<!DOCTYPE html>"))
        self.assertGreaterEqual(doc.counts.get("svg", 0), 6, doc.counts)
        self.assertGreaterEqual(doc.counts.get("polyline", 0), 1, "no history line drawn")
        for tag in ("script", "link", "img", "iframe"):
            self.assertNotIn(tag, doc.counts, "not self-contained: <%s>" % tag)
        text = " ".join(doc.text)
        for section in ("Leaders", "Movers", "Incidents", "Cost efficiency", "Capacity outlook"):
            self.assertIn(section, text)
        for p in order:
            self.assertIn(p, text, "provider %s not in the HTML report" % p)
        for region in set(regions.values()):
            self.assertIn(region, text)
        log("HTML report: %d bytes, %d svg charts" % (len(body), doc.counts["svg"]))

        # 3. CSV: the documented columns, a row per provider, figures that
        # agree with the JSON API and with the audit trail.
        for attempt in range(3):
            status, headers, body = get("?period=1h&format=csv")
            self.assertEqual(status, 200, body[:300])
            providers = {p["id"]: p for p in get_json(
                sidecar.url + "/api/v1/providers?limit=1000")["providers"]}
            # Same evaluation when the ranks agree (else one ran in between).
            rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
            if all(r["rank"] == str(providers[r["provider"]]["rank"]) for r in rows
                   if r["provider"] in providers):
                break
            log("an evaluation ran between the two requests; again (%d)" % attempt)
        self.assertEqual(headers["content-type"], "text/csv; charset=utf-8")
        header = next(csv.reader(io.StringIO(body.decode("utf-8"))))
        self.assertEqual(header, COLUMNS)
        with open(os.path.join(SOURCE_DIR, "docs", "reports.md")) as f:
            reports_doc = f.read()
        for column in COLUMNS:
            self.assertIn("`%s`" % column, reports_doc, "column %s not documented" % column)
        self.assertEqual(sorted(r["provider"] for r in rows), sorted(order))
        ranks = sorted(int(r["rank"]) for r in rows)
        self.assertEqual(ranks, list(range(1, len(order) + 1)))
        end = utc_seconds(rows[0]["period_end"])
        self.assertEqual(end - utc_seconds(rows[0]["period_start"]), 3600)
        self.assertLess(abs(end - time.time()), 30)
        with_history = 0
        for r in rows:
            p = providers[r["provider"]]
            self.assertIn(r["tier"], TIERS)
            self.assertEqual(r["tier"], p["tier"], r)
            self.assertEqual(r["region"], regions[r["provider"]])
            self.assertAlmostEqual(float(r["reputation"]), p["reputation"], places=3)
            self.assertEqual(float(r["gpus_total"]), 8)
            if r["reputation_start"]:
                with_history += 1
                self.assertAlmostEqual(float(r["reputation_change"]),
                                       float(r["reputation"]) - float(r["reputation_start"]),
                                       places=4)
            # Penalties in the CSV are the audit trail's penalty records of the period.
            audit = get_json(sidecar.url + "/api/v1/providers/%s/audit" % r["provider"])
            penalties = [a for a in audit["records"] if a["kind"] == "penalty"
                         and a["timestamp_ms"] < (end + 1) * 1000]
            self.assertEqual(int(r["penalties"]), len(penalties), r["provider"])
        self.assertEqual(with_history, len(order), "every provider has derived history")
        leaders = [r for r in rows if r["tier_leader_position"]]
        self.assertTrue(leaders)
        for tier in TIERS:
            in_tier = sorted((int(r["rank"]), r) for r in rows if r["tier"] == tier)
            positions = [r["tier_leader_position"] for _, r in in_tier]
            self.assertEqual(positions, [str(i + 1) for i in range(min(5, len(in_tier)))] +
                             [""] * max(0, len(in_tier) - 5), tier)
        log("CSV report: %d rows; penalties %s" % (
            len(rows), {r["provider"]: r["penalties"] for r in rows}))

        # 4. Bad parameters: 400 with a message; only GET.
        for query, needle in (("?period=3d", "at most 2d"), ("?period=abc", "period"),
                              ("?period=0s", "period"), ("?format=pdf", "html or csv"),
                              ("?colour=red", "unknown parameter"),
                              ("?format=csv&format=html", "repeated")):
            status, headers, body = get(query)
            self.assertEqual(status, 400, query)
            self.assertIn(needle, json.loads(body)["error"], query)
        answer = http_request("POST", sidecar.url + "/api/v1/reports", body=b"{}")
        self.assertEqual(answer[0], 405, answer[2])
        documented(*answer)
        self.assertEqual(get("?period=2d&format=csv")[0], 200)
        # Every documented format and status (503 only before the first evaluation).
        formats = operation["parameters"][1]["schema"]["enum"]
        for fmt in formats:
            self.assertEqual(get("?format=" + fmt)[0], 200)
        startup_only = {s for s, r in operation["responses"].items()
                        if spec["components"]["responses"].get(
                            r.get("$ref", "").split("/")[-1], {}).get("x-startup-only")}
        self.assertEqual({str(s) for s in produced} | startup_only,
                         set(operation["responses"]), "documented statuses never produced")

        # 5. Scheduled: files appear every 3 s, whole (no temporary files),
        # both formats, and only the newest 2 of each stay.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            samples = sidecar.metrics()
            if value_of(samples, "depin_sidecar_reports_generated_total", 0) >= 3:
                break
            time.sleep(1)
        samples = sidecar.metrics()
        generated = value_of(samples, "depin_sidecar_reports_generated_total", 0)
        self.assertGreaterEqual(generated, 3)
        self.assertEqual(value_of(samples, "depin_sidecar_report_failures_total"), 0)
        last = value_of(samples, "depin_sidecar_report_last_success_timestamp_seconds")
        self.assertLess(abs(time.time() - last), 15)
        # A listing taken while a report is being written may catch the new
        # HTML file before the CSV and the pruning: list again then.
        for _ in range(10):
            html_files = sorted(glob.glob(os.path.join(reports_dir, "report-*.html")))
            csv_files = sorted(glob.glob(os.path.join(reports_dir, "report-*.csv")))
            if len(html_files) == 2 and len(csv_files) == 2:
                break
            time.sleep(0.3)
        self.assertEqual(len(html_files), 2, os.listdir(reports_dir))
        self.assertEqual([f[:-5] for f in html_files], [f[:-4] for f in csv_files])
        for name in os.listdir(reports_dir):
            self.assertRegex(name, r"^report-\d{8}T\d{6}Z\.(html|csv)(\.tmp)?$")
        newest = html_files[-1]
        stamp = os.path.basename(newest)[len("report-"):-len(".html")]
        self.assertLess(abs(calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ")) -
                            time.time()), 15)
        with open(newest, encoding="utf-8") as f:
            doc = parse_html(f.read())
        self.assertEqual(doc.errors, [])
        self.assertGreaterEqual(doc.counts.get("svg", 0), 6)
        with open(csv_files[-1], encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(sorted(r["provider"] for r in rows), sorted(order))
        self.assertEqual(utc_seconds(rows[0]["period_end"]) - utc_seconds(rows[0]["period_start"]),
                         3600)
        self.assertIn("report written", sidecar.log_text())
        log("%d scheduled reports written, newest %s" % (generated, os.path.basename(newest)))
