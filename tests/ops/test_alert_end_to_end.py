"""An alert that really fires, end to end, with the real binaries: the
simulator takes one provider down and brings it back; Prometheus 2.42 (with
deploy/prometheus.yml's jobs and the shipped rules) fires
DepinProviderDown; Alertmanager 0.25 (the shipped routing and templates)
routes it to the region's Slack channel, not to the pager; the message
carries the provider, region, value and runbook; and a resolved message
follows when the provider is back.

Only the alert's `for` is shortened (15m -> 4s) so that the test takes about
a minute; its expression, labels and annotations are the shipped ones.
Receivers are local recording servers (tests/ops/ops_support.py).
"""

import os
import time
import unittest
import urllib.parse

import yaml

from ops_support import RULES_DIR, free_port, load_yaml, start_shipped_alertmanager
from harness import IntegrationTestCase, PrometheusServer, Sidecar, Simulator, get_json, log
from test_dashboards_live import SIDECAR_CONFIG, prometheus_config

ALERT = "DepinProviderDown"
SHORT_FOR = "4s"
DOWN_AT = 20      # simulated seconds: p-000 degrades (and, as provider 0, is down at once)
UP_AT = 55        # and recovers
TIMEOUT = 120

# p-000 is the fleet's first provider: its outage phase is 0, so with a long
# outage_period it is down exactly while its quality is low. Everyone else is
# good enough to have no outage at all.
FLEET = {
    "seed": 7,
    "time_scale": 1.0,
    "job_rate": 2.0,
    "outage_period": "1000s",
    "providers": [
        {"id": "p-000", "quality": 0.95, "region": "eu-west", "gpu_model": "H100", "gpus": 8,
         "degrade": [{"at": "%ds" % DOWN_AT, "quality": 0.1},
                     {"at": "%ds" % UP_AT, "quality": 0.95}]},
        {"id": "p-001", "quality": 0.92, "region": "eu-west", "gpu_model": "A100", "gpus": 8},
        {"id": "p-002", "quality": 0.90, "region": "eu-west", "gpu_model": "A100", "gpus": 8},
        {"id": "p-003", "quality": 0.88, "region": "us-east", "gpu_model": "L40S", "gpus": 4},
    ],
}


def accelerated_rules(path):
    doc = load_yaml(os.path.join(RULES_DIR, "depin-alerts.yml"))
    found = 0
    for g in doc["groups"]:
        for r in g["rules"]:
            if r.get("alert") == ALERT:
                r["for"] = SHORT_FOR
                found += 1
    assert found == 1, found
    with open(path, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
    return path


class AlertEndToEndTest(IntegrationTestCase):
    def test_provider_down_fires_routes_and_resolves(self):
        workdir = self.tmpdir()
        am, http, smtp = start_shipped_alertmanager(self, workdir)

        fleet = os.path.join(workdir, "fleet.yml")
        with open(fleet, "w") as f:
            yaml.safe_dump(FLEET, f)
        sim = self.start_process(Simulator(workdir, fleet)).wait_ready()
        sidecar = self.start_process(Sidecar(workdir, SIDECAR_CONFIG)).wait_ready()
        prom_port = free_port()
        cfg = prometheus_config(prom_port, sim.port, [sidecar.port])
        cfg["rule_files"] = [os.path.join(RULES_DIR, "depin-recording.yml"),
                             accelerated_rules(os.path.join(workdir, "depin-alerts.yml"))]
        cfg["alerting"] = {"alertmanagers": [{"static_configs": [
            {"targets": ["127.0.0.1:%d" % am.port]}]}]}
        prom = self.start_process(PrometheusServer(workdir, cfg, port=prom_port)).wait_ready()
        start = time.monotonic()

        def prom_alerts():
            data = get_json(prom.url + "/api/v1/alerts")
            return [a for a in data["data"]["alerts"] if a["labels"]["alertname"] == ALERT]

        def slack(channel):
            return [att for r in http.requests.items() if r["path"] == "/slack"
                    and r["body"].get("channel") == channel
                    for att in r["body"]["attachments"]]

        def wait(what, cond, timeout=TIMEOUT):
            deadline = start + timeout
            while True:
                for p in (sim, sidecar, prom, am):
                    self.assertTrue(p.alive(), "%s exited" % p.name)
                got = cond()
                if got:
                    return got
                if time.monotonic() > deadline:
                    self.fail("%s: not within %d s\nPrometheus alerts: %s\nreceived: %s" % (
                        what, timeout, prom_alerts(), http.requests.items()))
                time.sleep(0.5)

        # 1. Prometheus fires the alert for p-000, with the region joined in.
        firing = wait("%s firing in Prometheus" % ALERT, lambda: [
            a for a in prom_alerts() if a["state"] == "firing"])
        log("%s firing after %.0f s" % (ALERT, time.monotonic() - start))
        self.assertEqual([a["labels"]["provider"] for a in firing], ["p-000"], firing)
        labels = firing[0]["labels"]
        self.assertEqual({k: labels.get(k) for k in ("severity", "team", "region", "gpu_model",
                                                     "job")},
                         {"severity": "ticket", "team": "network-ops", "region": "eu-west",
                          "gpu_model": "H100", "job": "depin-providers"})
        self.assertEqual(firing[0]["annotations"]["summary"],
                         "Provider p-000 has been down for 15 minutes.")

        # 2. Alertmanager routes it to the eu Slack channel with the template.
        title = "[FIRING:1] %s p-000 eu-west (ticket)" % ALERT
        msgs = wait("Slack message in #depin-network-ops-eu", lambda: [
            m for m in slack("#depin-network-ops-eu") if m["title"] == title])
        log("Slack message after %.0f s: %s" % (time.monotonic() - start, title))
        text = msgs[0]["text"]
        self.assertIn("Provider p-000 has been down for 15 minutes.", text)
        self.assertIn("The scrape target of provider p-000 (region eu-west, job "
                      "depin-providers, instance 127.0.0.1:%d) has failed every scrape "
                      "(up = 0)" % sim.port, text)
        self.assertIn("Runbook: https://github.com/depin-sidecar/depin-sidecar/blob/main/docs/"
                      "runbooks/%s.md" % ALERT, text)
        self.assertIn("Source: http://", text)  # Prometheus's generator URL
        self.assertEqual(msgs[0]["color"], "warning")
        # A ticket: not paged, not in another region's channel.
        self.assertFalse([r for r in http.requests.items() if r["path"].startswith("/pager/")
                          and ALERT in repr(r["body"])])
        self.assertFalse([m for m in slack("#depin-network-ops-us") if ALERT in m["title"]])

        # 3. The provider comes back: Prometheus resolves, Alertmanager says so.
        resolved_title = "[RESOLVED] %s p-000 eu-west (ticket)" % ALERT
        msgs = wait("resolved message", lambda: [
            m for m in slack("#depin-network-ops-eu") if m["title"] == resolved_title])
        log("resolved message after %.0f s" % (time.monotonic() - start))
        self.assertEqual(msgs[0]["color"], "good")
        self.assertIn("Resolved:", msgs[0]["text"])
        self.assertFalse([a for a in prom_alerts() if a["state"] == "firing"])

        # The derived series of the degraded provider reflect the outage.
        status = get_json(prom.url + "/api/v1/query?" + urllib.parse.urlencode({
            "query": 'min_over_time(depin_provider_reputation_criterion{provider="p-000",'
                     'criterion="availability"}[2m])'}))
        result = status["data"]["result"]
        self.assertTrue(result, "no availability criterion for p-000")
        self.assertLess(float(result[0]["value"][1]), 1.0)


if __name__ == "__main__":
    unittest.main()
