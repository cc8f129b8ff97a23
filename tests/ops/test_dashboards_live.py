"""Every Grafana panel query and variable query, run against a real
Prometheus 2.42 fed by the real simulator and two depin-sidecar shards.

The stack follows deploy/prometheus.yml (same scrape jobs, same rule files,
same write_relabel_configs), with 127.0.0.1 ports instead of compose host
names, short intervals, and the remote_write split into two hashmod shards
exactly as docs/operations.md shows (DESIGN §6). Grafana itself is not run:
its variables are substituted as Grafana would ($__rate_interval -> 1m,
$__interval -> 15s, $__range -> 5m; multi-value variables -> .* and then a
concrete value; $provider -> a real provider).

Checks:
  * the two shards own disjoint sets of providers that together are the fleet;
  * every recording and alerting rule evaluates without error on real data;
  * every recording rule returns data, except over forward references;
  * the network figures combined from the shards count every provider;
  * every panel query parses (HTTP 200, status success) and, unless it reads a
    forward reference or ALERTS, returns data; every variable query returns values.
"""

import copy
import json
import os
import re
import time
import unittest
import urllib.parse

from ops_support import (DASHBOARD_DIR, FORWARD_REFERENCES, RULE_FILES, SOURCE_DIR, WARMING_UP, load_yaml,
                         recording_rules)
from harness import (IntegrationTestCase, PrometheusServer, Sidecar, Simulator, get_json,
                     http_get, log, select)

FLEET = os.path.join(SOURCE_DIR, "config", "simulator", "default.yml")
DEPLOY_PROMETHEUS = os.path.join(SOURCE_DIR, "deploy", "prometheus.yml")
SHARDS = 2
READY_TIMEOUT = 150
SETTLE_SECONDS = 12
GRAFANA_BUILTINS = {"__rate_interval": "1m", "__interval": "15s", "__range": "5m"}
# Legitimately empty: forward references, firing alerts, MTBF/MTTR of a
# provider without a failure (or a repair) in its window, and forecasts
# still warming up.
MAY_BE_EMPTY = ("depin_provider_mtbf_seconds", "depin_provider_mttr_seconds") + WARMING_UP
OPTIONAL_MARKERS = FORWARD_REFERENCES + ("ALERTS",) + MAY_BE_EMPTY

SIDECAR_CONFIG = {
    "evaluation_interval": "2s",
    "windows": {"step": "5s", "length": "10m"},
    "confidence": {"min_samples": 4},
}


def shard_relabel(shard, shards):
    """The write_relabel_configs added to each shard's remote_write
    (docs/operations.md, "Several sidecars")."""
    return [
        {"source_labels": ["provider"], "modulus": shards,
         "target_label": "__tmp_depin_shard", "action": "hashmod"},
        {"source_labels": ["__tmp_depin_shard"], "regex": str(shard), "action": "keep"},
        {"regex": "__tmp_depin_shard", "action": "labeldrop"},
    ]


def prometheus_config(prom_port, sim_port, sidecar_ports):
    cfg = load_yaml(DEPLOY_PROMETHEUS)
    cfg["global"].update({"scrape_interval": "2s", "scrape_timeout": "1s",
                          "evaluation_interval": "2s"})
    cfg["rule_files"] = list(RULE_FILES)
    cfg.pop("alerting", None)
    jobs = []
    for job in cfg["scrape_configs"]:
        name = job["job_name"]
        if name == "alertmanager":
            continue  # not started here (tests/ops/test_alertmanager.py covers it)
        if name == "prometheus":
            job["static_configs"] = [{"targets": ["127.0.0.1:%d" % prom_port]}]
        elif name == "depin-providers":
            sd = job["http_sd_configs"][0]
            sd["url"] = sd["url"].replace("simulator:9500", "127.0.0.1:%d" % sim_port)
            sd["refresh_interval"] = "5s"
        elif name == "depin-sidecar":
            job["static_configs"] = [{"targets": ["127.0.0.1:%d" % p for p in sidecar_ports]}]
        jobs.append(job)
    cfg["scrape_configs"] = jobs
    base = cfg["remote_write"][0]
    cfg["remote_write"] = []
    for i, port in enumerate(sidecar_ports):
        rw = copy.deepcopy(base)
        rw["name"] = "depin-sidecar-%d" % i
        rw["url"] = "http://127.0.0.1:%d/api/v1/write" % port
        if len(sidecar_ports) > 1:
            rw["write_relabel_configs"] = base["write_relabel_configs"] + shard_relabel(
                i, len(sidecar_ports))
        rw["queue_config"]["batch_send_deadline"] = "1s"
        cfg["remote_write"].append(rw)
    return cfg


def substitute(expr, values):
    def repl(m):
        name = m.group(1) or m.group(2)
        if name in GRAFANA_BUILTINS:
            return GRAFANA_BUILTINS[name]
        if name not in values:
            raise KeyError("unknown variable $%s in %r" % (name, expr))
        return values[name]
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", repl, expr)


def is_optional(expr):
    return any(m in expr for m in OPTIONAL_MARKERS)


def dashboards():
    out = {}
    for name in sorted(os.listdir(DASHBOARD_DIR)):
        if name.endswith(".json"):
            with open(os.path.join(DASHBOARD_DIR, name)) as f:
                out[name] = json.load(f)
    return out


def panel_targets(dash):
    for p in dash["panels"]:
        for t in p.get("targets", []):
            yield p, t


def variable_query(v):
    q = v.get("query")
    return q.get("query") if isinstance(q, dict) else q


class DashboardQueriesTest(IntegrationTestCase):
    @classmethod
    def setUpClass(cls):
        workdir = cls.class_tmpdir()
        cls.sim = cls.start_class_process(Simulator(workdir, FLEET, seed=42)).wait_ready()
        cls.sidecars = []
        for i in range(SHARDS):
            sc = Sidecar(workdir, SIDECAR_CONFIG, name="sidecar-%d" % i)
            cls.sidecars.append(cls.start_class_process(sc).wait_ready())
        prom_port = __import__("harness").free_port()
        cls.prom = cls.start_class_process(PrometheusServer(
            workdir, prometheus_config(prom_port, cls.sim.port, [s.port for s in cls.sidecars]),
            port=prom_port)).wait_ready()
        cls.providers = sorted(p["id"] for p in cls.sim.truth()["providers"])
        # The sidecar's per-provider families (from its exposition's TYPE lines)
        # that the dashboards read; raw simulator series are not waited for
        # (a provider in a planted outage has none for a while).
        exposed = set(re.findall(r"^# TYPE (depin_provider_\w+) ",
                                 cls.sidecars[0].metrics_body().decode(), re.M))
        cls.provider_families = sorted({
            name for d in dashboards().values() for _, t in panel_targets(d)
            for name in re.findall(r"\b(depin_provider_[a-z0-9_]+)\b", t["expr"])
            if name in exposed and name not in MAY_BE_EMPTY})
        try:
            cls._wait_ready()
        except BaseException:
            for p in [cls.sim, cls.prom] + cls.sidecars:
                log("----- %s log tail -----\n%s" % (p.name, p.log_tail(30)))
            raise

    @classmethod
    def _wait_ready(cls):
        start = time.monotonic()
        n = len(cls.providers)
        while True:
            for p in [cls.sim, cls.prom] + cls.sidecars:
                if not p.alive():
                    raise AssertionError("%s exited with %s" % (p.name, p.returncode()))
            ranked = [sorted(l["provider"] for l, _ in select(s.metrics(), "depin_provider_rank"))
                      for s in cls.sidecars]
            tiers = cls.query_value("sum(tier:depin_network_providers:sum)")
            info = cls.query_value("count(provider:depin_provider_info:max)")
            # Every per-provider family the dashboards read covers every provider
            # (trends and anomaly scores need some window history first).
            families = {}
            for name in cls.provider_families:
                families[name] = cls.query_value("count(count by (provider) (%s))" % name)
            missing = {k: v for k, v in families.items() if v != n}
            if sum(len(r) for r in ranked) == n and tiers == n and info == n and not missing:
                break
            if time.monotonic() - start > READY_TIMEOUT:
                raise AssertionError(
                    "after %d s: ranked per shard %s (of %d), tier:depin_network_providers:sum "
                    "%s, provider:depin_provider_info:max %s, families not covering every "
                    "provider: %s" % (READY_TIMEOUT, ranked, n, tiers, info, missing))
            time.sleep(2)
        log("%d providers ranked over %d shards after %.0f s" % (
            n, SHARDS, time.monotonic() - start))
        time.sleep(SETTLE_SECONDS)  # a few more scrapes and evaluations for rate() and rules
        cls.shard_providers = ranked

    @classmethod
    def query(cls, expr, range_=False):
        """Returns (HTTP status, parsed JSON) of an instant or a 5-minute range query."""
        params = {"query": expr}
        if range_:
            now = time.time()
            params.update({"start": "%.3f" % (now - 300), "end": "%.3f" % now, "step": "15"})
            path = "/api/v1/query_range?"
        else:
            path = "/api/v1/query?"
        status, _, body = http_get(cls.prom.url + path + urllib.parse.urlencode(params))
        try:
            data = json.loads(body)
        except ValueError:
            data = {"status": "error", "error": body[:300]}
        return status, data

    @classmethod
    def query_value(cls, expr):
        status, data = cls.query(expr)
        if status != 200 or data.get("status") != "success" or not data["data"]["result"]:
            return None
        return float(data["data"]["result"][0]["value"][1])

    # ------------------------------------------------------------------------

    def test_shards_are_disjoint_and_complete(self):
        a, b = self.shard_providers
        self.assertTrue(a and b, "a shard got no provider: %s" % self.shard_providers)
        self.assertFalse(set(a) & set(b), "providers in both shards: %s" % (set(a) & set(b)))
        self.assertEqual(sorted(a + b), self.providers)
        # The shard label used for hashmod does not reach the sidecars: every
        # sample accepted, none rejected for an invalid label.
        for s in self.sidecars:
            for labels, value in select(s.metrics(), "depin_sidecar_series_dropped_total"):
                self.assertIn(labels.get("reason"), ("not_in_contract",),
                              "%s dropped series: %s=%s" % (s.name, labels, value))

    def test_rules_evaluate_without_error(self):
        data = get_json(self.prom.url + "/api/v1/rules")
        rules = [r for g in data["data"]["groups"] for r in g["rules"]]
        self.assertGreater(len(rules), 20)
        bad = [(r.get("name"), r.get("lastError")) for r in rules
               if r.get("health") != "ok" or r.get("lastError")]
        self.assertEqual(bad, [], "rules with errors")
        names = {r["name"] for r in rules}
        for _, r in recording_rules():
            self.assertIn(r["record"], names)

    def test_recording_rules_return_data(self):
        empty = []
        for _, r in recording_rules():
            if is_optional(r["expr"]):
                continue
            status, data = self.query(r["record"])
            self.assertEqual((status, data.get("status")), (200, "success"), r["record"])
            if not data["data"]["result"]:
                empty.append(r["record"])
        self.assertEqual(empty, [], "recording rules without data")

    def test_network_figures_combine_the_shards(self):
        n = len(self.providers)
        self.assertEqual(self.query_value("sum(tier:depin_network_providers:sum)"), n)
        self.assertEqual(self.query_value("network:depin_sidecar_scored_providers:sum"), n)
        self.assertEqual(self.query_value("sum(region_tier:depin_provider_tier:sum)"), n)
        self.assertEqual(self.query_value("network:depin_provider_up:count"), n)
        self.assertEqual(self.query_value("count(network:depin_provider_reputation_score:topk10)"),
                         min(10, n))
        # Every provider has a region from its info series (none "unknown").
        self.assertEqual(self.query_value(
            'count(provider:depin_provider_info:max{region!="unknown"})'), n)

    def variable_values(self, dash, values):
        """Resolves each query variable in order, as Grafana does; returns
        {name: [values]}."""
        out = {}
        for v in dash["templating"]["list"]:
            if v["type"] != "query":
                continue
            q = substitute(variable_query(v), values)
            m = re.match(r"^label_values\((.*),\s*(\w+)\)$", q)
            self.assertTrue(m, "unsupported variable query %r" % q)
            selector, label = m.group(1), m.group(2)
            status, _, body = http_get(self.prom.url + "/api/v1/label/%s/values?%s" % (
                label, urllib.parse.urlencode({"match[]": selector})))
            self.assertEqual(status, 200, "%s: %s" % (q, body[:200]))
            vals = json.loads(body)["data"]
            self.assertTrue(vals, "variable $%s (%s) has no values" % (v["name"], q))
            out[v["name"]] = vals
            # Later variables see this one's value: All (.*) when multi, else the first.
            if v["name"] not in values:
                values[v["name"]] = ".*" if v.get("includeAll") else vals[0]
        return out

    def run_panels(self, name, dash, values):
        checked = 0
        failures = []
        for panel, t in panel_targets(dash):
            expr = substitute(t["expr"], values)
            status, data = self.query(expr, range_=not t.get("instant"))
            checked += 1
            if status != 200 or data.get("status") != "success":
                failures.append("%s / %s: HTTP %d %s\n    %s" % (
                    name, panel["title"], status, data.get("error"), expr))
                continue
            if not data["data"]["result"] and not is_optional(t["expr"]):
                failures.append("%s / %s: no data\n    %s" % (name, panel["title"], expr))
        return checked, failures

    def test_every_panel_query_parses_and_returns_data(self):
        total = 0
        failures = []
        for name, dash in dashboards().items():
            # 1. Multi-value variables at All (.*), single-value ones at their first value.
            values = {}
            resolved = self.variable_values(dash, values)
            n, f = self.run_panels(name, dash, values)
            total += n
            failures += f
            # 2. Concrete values: the first region, then the first GPU model and
            #    provider within it, the first instance.
            concrete = {}
            for v in dash["templating"]["list"]:
                if v["type"] != "query":
                    continue
                vals = self.variable_values(dash, dict(concrete))[v["name"]]
                concrete[v["name"]] = vals[0]
            n, f = self.run_panels(name, dash, concrete)
            total += n
            failures += ["[%s] %s" % (", ".join("%s=%s" % kv for kv in concrete.items()), x)
                         for x in f]
            log("%s: variables %s; %d queries checked twice" % (
                name, {k: len(v) for k, v in resolved.items()}, n))
        self.assertEqual(failures, [], "\n".join(failures))
        self.assertGreater(total, 0)


if __name__ == "__main__":
    unittest.main()
