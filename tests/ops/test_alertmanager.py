"""The shipped Alertmanager configuration in a real Alertmanager 0.25:
inhibition (regional and network outages, a starved sidecar, page over
ticket) and delivery through every receiver type (Slack, webhook, e-mail)
with the shipped templates.

The config is alertmanager/alertmanager.yml with only what a test must
change: secret files point into a temporary directory (the Slack URL file
holds the URL of a local recording server), the pager URLs and the SMTP
smarthost point at local recording servers, SMTP without TLS, and the
grouping delays are shortened. Routing, inhibition and templates are the
shipped ones.
"""

import datetime
import time
import unittest

from ops_support import TOKEN, start_shipped_alertmanager
from harness import IntegrationTestCase, log

def alert(name, severity, team, annotations=None, **labels):
    labels = dict(labels, alertname=name, severity=severity, team=team)
    subject = labels.get("provider") or labels.get("region") or labels.get("instance") or "network"
    ann = {"summary": "%s for %s" % (name, subject),
           "description": "%s: description of %s" % (name, subject),
           "runbook_url": "https://github.com/depin-sidecar/depin-sidecar/blob/main/docs/runbooks/%s.md" % name}
    ann.update(annotations or {})
    now = datetime.datetime.now(datetime.timezone.utc)
    return {"labels": labels, "annotations": ann,
            "startsAt": now.isoformat(),
            "endsAt": (now + datetime.timedelta(hours=1)).isoformat(),
            "generatorURL": "http://prometheus.example:9090/graph?g0.expr=" + name}


def key(a):
    l = a["labels"]
    return (l["alertname"], l.get("provider", ""), l.get("region", ""), l.get("instance", ""),
            l["severity"])


# Phase 1: (alert, expected state: "active" or "suppressed")
PHASE1 = [
    # Regional outage in eu-west inhibits the per-provider alerts there only.
    (alert("DepinRegionOutage", "page", "network-ops", region="eu-west"), "active"),
    (alert("DepinProviderDown", "ticket", "network-ops", provider="p-1", region="eu-west",
           instance="sim:9500", gpu_model="H100"), "suppressed"),
    (alert("DepinProviderDown", "ticket", "network-ops", provider="p-2", region="us-east",
           instance="sim:9500", gpu_model="A100"), "active"),
    # A starved sidecar inhibits the alerts over its own derived series only.
    (alert("DepinSidecarNotReceivingSamples", "page", "sre", job="depin-sidecar",
           instance="sidecar-0:9470"), "active"),
    (alert("DepinProviderUnscored", "ticket", "network-ops", provider="p-3", region="us-east",
           instance="sidecar-0:9470", job="depin-sidecar", gpu_model="A100"), "suppressed"),
    (alert("DepinProviderUnscored", "ticket", "network-ops", provider="p-4", region="us-east",
           instance="sidecar-1:9470", job="depin-sidecar", gpu_model="A100"), "active"),
    # The fast-burn page inhibits the slow-burn ticket of the same provider.
    (alert("DepinProviderErrorBudgetBurn", "page", "network-ops", provider="p-5",
           region="ap-south", instance="sidecar-1:9470", job="depin-sidecar", long="1h",
           short="5m"), "active"),
    (alert("DepinProviderErrorBudgetBurn", "ticket", "network-ops", provider="p-5",
           region="ap-south", instance="sidecar-1:9470", job="depin-sidecar", long="3d",
           short="6h"), "suppressed"),
    (alert("DepinProviderErrorBudgetBurn", "ticket", "network-ops", provider="p-6",
           region="ap-south", instance="sidecar-1:9470", job="depin-sidecar", long="3d",
           short="6h"), "active"),
    # Capacity: page over ticket in the same region.
    (alert("DepinRegionCapacityExhaustion", "page", "capacity", region="ap-south"), "active"),
    (alert("DepinRegionCapacityExhaustion", "ticket", "capacity", region="ap-south"),
     "suppressed"),
    (alert("DepinRegionCapacityExhaustion", "ticket", "capacity", region="us-east"), "active"),
    # Info and SRE tickets, for delivery.
    (alert("DepinProviderLowConfidence", "info", "network-ops", provider="p-7",
           region="eu-west"), "suppressed"),  # p-7 is in eu-west: regional outage
    (alert("DepinSidecarRejectingSamples", "ticket", "sre", job="depin-sidecar",
           instance="sidecar-1:9470"), "active"),
]

# Phase 2: a network-wide outage on top: every per-provider alert and the
# regional outage are inhibited; sidecar and capacity alerts are not.
PHASE2_NEW = alert("DepinNetworkOutage", "page", "network-ops")
PHASE2_EXPECT = {
    ("DepinRegionOutage", "", "eu-west", "", "page"): "suppressed",
    ("DepinProviderDown", "p-2", "us-east", "sim:9500", "ticket"): "suppressed",
    ("DepinProviderUnscored", "p-4", "us-east", "sidecar-1:9470", "ticket"): "suppressed",
    ("DepinProviderErrorBudgetBurn", "p-5", "ap-south", "sidecar-1:9470", "page"): "suppressed",
    ("DepinSidecarNotReceivingSamples", "", "", "sidecar-0:9470", "page"): "active",
    ("DepinRegionCapacityExhaustion", "", "us-east", "", "ticket"): "active",
    ("DepinNetworkOutage", "", "", "", "page"): "active",
}


class AlertmanagerTest(IntegrationTestCase):
    def states(self, am):
        return {key(a): a["status"]["state"] for a in am.alerts()}

    def wait_states(self, am, expected, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            got = self.states(am)
            wrong = {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v}
            if not wrong:
                return got
            if time.monotonic() > deadline:
                self.fail("alert states (got, expected) differ: %s" % wrong)
            time.sleep(0.5)

    def test_inhibition_routing_and_delivery(self):
        workdir = self.tmpdir()
        am, http, smtp = start_shipped_alertmanager(self, workdir)

        # --- phase 1: inhibition ---------------------------------------------
        am.post_alerts([a for a, _ in PHASE1])
        expected = {key(a): s for a, s in PHASE1}
        self.wait_states(am, expected)
        log("phase 1: %d alerts, %d suppressed as expected" % (
            len(expected), sum(1 for s in expected.values() if s == "suppressed")))

        # --- delivery ----------------------------------------------------------
        # Wait for: Slack (eu/us/ap channels, info channel), pager webhooks, e-mail.
        def delivered():
            reqs = http.requests.items()
            slack = [r for r in reqs if r["path"] == "/slack"]
            pager = [r for r in reqs if r["path"].startswith("/pager/")]
            return reqs, slack, pager, smtp.messages.items()

        deadline = time.monotonic() + 30
        want_channels = {"#depin-network-ops-eu", "#depin-network-ops-us", "#depin-network-ops-ap"}
        want_pager = {"/pager/depin-sre", "/pager/depin-network-ops"}
        want_mail = {"depin-capacity@example.com", "depin-sre-tickets@example.com"}
        while True:
            reqs, slack, pager, mails = delivered()
            channels = {r["body"].get("channel") for r in slack}
            paths = {r["path"] for r in pager}
            rcpts = {t.strip("<>") for m in mails for t in m["to"]}
            if want_channels <= channels and want_pager <= paths and want_mail <= rcpts:
                break
            if time.monotonic() > deadline:
                self.fail("not delivered within 30 s: slack channels %s, pager %s, mail %s\n%s" % (
                    sorted(channels), sorted(paths), sorted(rcpts), am.log_tail(30)))
            time.sleep(0.5)
        time.sleep(2)  # let any (wrong) further notification arrive
        reqs, slack, pager, mails = delivered()

        # Nothing suppressed was delivered anywhere: neither in the webhook
        # payloads nor in the "Labels:" lines the templates write for Slack
        # and e-mail.
        delivered_labels = [a["labels"] for r in pager for a in r["body"]["alerts"]]
        texts = [att["text"] for r in slack for att in r["body"]["attachments"]] + [
            m["message"].get_body(("plain",)).get_content() for m in mails]
        for a, state in PHASE1:
            line = "Labels: " + "".join("%s=%s " % kv for kv in sorted(a["labels"].items()))
            sent = a["labels"] in delivered_labels or any(line in t for t in texts)
            if state == "suppressed":
                self.assertFalse(sent, "inhibited alert was delivered: %s" % a["labels"])
            else:
                self.assertTrue(sent, "active alert not delivered: %s" % a["labels"])

        # Slack: the shipped template (title, runbook link, colour, text).
        by_channel = {}
        for r in slack:
            by_channel.setdefault(r["body"]["channel"], []).append(r["body"])
        us = [att for b in by_channel["#depin-network-ops-us"] for att in b["attachments"]]
        down = [a for a in us if "DepinProviderDown" in a["title"]]
        self.assertTrue(down, us)
        self.assertEqual(down[0]["title"], "[FIRING:1] DepinProviderDown p-2 us-east (ticket)")
        self.assertEqual(down[0]["title_link"],
                         "https://github.com/depin-sidecar/depin-sidecar/blob/main/docs/runbooks/"
                         "DepinProviderDown.md")
        self.assertEqual(down[0]["color"], "warning")
        self.assertIn("DepinProviderDown for p-2", down[0]["text"])
        self.assertIn("Runbook: https://github.com/depin-sidecar/", down[0]["text"])
        self.assertIn("provider=p-2", down[0]["text"])
        eu = [att for b in by_channel["#depin-network-ops-eu"] for att in b["attachments"]]
        self.assertEqual([a["title"] for a in eu], ["[FIRING:1] DepinRegionOutage eu-west (page)"])
        self.assertEqual(eu[0]["color"], "danger")

        # Pager webhooks: Alertmanager's JSON payload, bearer token from the file.
        for r in pager:
            self.assertEqual(r["headers"].get("authorization"), "Bearer " + TOKEN)
            self.assertEqual(r["body"]["version"], "4")
        pages = {(r["path"], a["labels"]["alertname"], a["labels"].get("provider", ""))
                 for r in pager for a in r["body"]["alerts"]}
        self.assertIn(("/pager/depin-sre", "DepinSidecarNotReceivingSamples", ""), pages)
        self.assertIn(("/pager/depin-network-ops", "DepinRegionOutage", ""), pages)
        self.assertIn(("/pager/depin-network-ops", "DepinProviderErrorBudgetBurn", "p-5"), pages)
        self.assertIn(("/pager/depin-network-ops", "DepinRegionCapacityExhaustion", ""), pages)
        self.assertFalse([p for p in pages if p[1] == "DepinProviderDown"],
                         "a ticket reached the pager: %s" % pages)

        # E-mail: subject and bodies from the template.
        mail = {t.strip("<>"): m["message"] for m in mails for t in m["to"]}
        sre = mail["depin-sre-tickets@example.com"]
        self.assertEqual(sre["Subject"], "[FIRING:1] DepinSidecarRejectingSamples (ticket)")
        text = sre.get_body(("plain",)).get_content()
        self.assertIn("DepinSidecarRejectingSamples for sidecar-1:9470", text)
        self.assertIn("Runbook: https://github.com/depin-sidecar/", text)
        html = sre.get_body(("html",)).get_content()
        self.assertIn('<a href="https://github.com/depin-sidecar/depin-sidecar/blob/main/docs/'
                      'runbooks/DepinSidecarRejectingSamples.md">Runbook</a>', html)
        cap = mail["depin-capacity@example.com"]
        self.assertEqual(cap["Subject"], "[FIRING:1] DepinRegionCapacityExhaustion us-east (ticket)")

        # No notification failed (a template error would show here).
        self.assertNotIn("level=error", am.log_text().replace(
            'level=error component=cluster', ''),
            "Alertmanager logged errors:\n" + am.log_tail(40))

        # --- phase 2: network-wide outage -----------------------------------------
        am.post_alerts([PHASE2_NEW])
        self.wait_states(am, PHASE2_EXPECT)
        log("phase 2: network outage inhibits per-provider alerts and the regional outage")


if __name__ == "__main__":
    unittest.main()
