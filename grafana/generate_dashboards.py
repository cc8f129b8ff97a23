#!/usr/bin/python3
"""Generates the Grafana dashboards in grafana/dashboards/ (the JSON files
are committed; tests/ops/test_static.py checks they match this script).

    /usr/bin/python3 grafana/generate_dashboards.py          # rewrite the JSON files
    /usr/bin/python3 grafana/generate_dashboards.py --check  # exit 1 if they differ

Dashboards (Grafana 9.4+ JSON model, schemaVersion 37):
  network-overview.json  tiers, capacity by region, exhaustion forecast, top/bottom providers
  provider-detail.json   one provider: score components, forecast band, anomalies, reliability
  sidecar-health.json    the sidecars' own health and Prometheus's remote-write to them

Variables: datasource; region and gpu_model (from depin_provider_info);
provider (detail); job and instance (sidecar health). Region and GPU model
filter the per-provider series by a join with provider:depin_provider_info:max
(rules/depin-recording.yml), which Prometheus must load.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "dashboards")
DS = {"type": "prometheus", "uid": "${datasource}"}
RUNBOOKS = "https://github.com/depin-sidecar/depin-sidecar/tree/main/docs/runbooks"

# Providers of the selected regions and GPU models (multi-value variables, All = .*).
INFO = 'provider:depin_provider_info:max{region=~"$region", gpu_model=~"$gpu_model"}'
FILTER = "and on (provider) " + INFO
JOIN_REGION = "* on (provider) group_left (region) " + INFO
JOIN_ALL = "* on (provider) group_left (region, gpu_model) " + INFO
P = 'provider="$provider"'
SC = 'job="$job", instance=~"$instance"'

TIER_MAPPINGS = [{"type": "value", "options": {
    "0": {"text": "basic", "color": "red", "index": 0},
    "1": {"text": "bronze", "color": "orange", "index": 1},
    "2": {"text": "silver", "color": "#C0C0C0", "index": 2},
    "3": {"text": "gold", "color": "yellow", "index": 3},
    "4": {"text": "platinum", "color": "purple", "index": 4}}}]


# --------------------------------------------------------------------------
# Building blocks

def target(expr, legend="", instant=False, table=False, ref="A"):
    t = {"datasource": DS, "expr": expr, "refId": ref, "legendFormat": legend or "__auto",
         "range": not instant, "instant": instant, "editorMode": "code"}
    if table:
        t["format"] = "table"
    return t


def thresholds(*steps):
    """steps: (value or None, colour)"""
    return {"mode": "absolute",
            "steps": [{"value": v, "color": c} for v, c in steps]}


class Layout:
    """Places panels left to right in rows of 24 columns."""

    def __init__(self):
        self.panels = []
        self.x = 0
        self.y = 0
        self.row_h = 0
        self.next_id = 1

    def row(self, title):
        self.newline()
        self.panels.append({"type": "row", "title": title, "id": self.next_id, "collapsed": False,
                            "gridPos": {"x": 0, "y": self.y, "w": 24, "h": 1}, "panels": []})
        self.next_id += 1
        self.y += 1

    def newline(self):
        if self.x:
            self.y += self.row_h
            self.x = 0
            self.row_h = 0

    def add(self, panel, w, h):
        if self.x + w > 24:
            self.newline()
        panel["id"] = self.next_id
        self.next_id += 1
        panel["gridPos"] = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.panels.append(panel)
        self.x += w
        self.row_h = max(self.row_h, h)


def base_panel(kind, title, targets, description, unit, decimals=None, min_=None, max_=None,
               mappings=None, thr=None, overrides=None, custom=None, no_value=None):
    defaults = {"unit": unit or "short", "mappings": mappings or [],
                "thresholds": thr or thresholds((None, "green")),
                "color": {"mode": "thresholds" if kind in ("stat", "bargauge") else "palette-classic"}}
    if decimals is not None:
        defaults["decimals"] = decimals
    if no_value is not None:
        defaults["noValue"] = no_value
    if min_ is not None:
        defaults["min"] = min_
    if max_ is not None:
        defaults["max"] = max_
    if custom:
        defaults["custom"] = custom
    for i, t in enumerate(targets):
        t["refId"] = chr(ord("A") + i)
    return {"type": kind, "title": title, "description": description, "datasource": DS,
            "targets": targets,
            "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
            "options": {}}


def stat(title, targets, description, unit=None, **kw):
    p = base_panel("stat", title, targets, description, unit, **kw)
    p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "value", "graphMode": "area", "justifyMode": "auto",
                    "orientation": "auto", "textMode": "auto"}
    return p


def timeseries(title, targets, description, unit=None, stack=False, fill=10, step=False,
               **kw):
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": fill, "showPoints": "never",
              "spanNulls": False, "lineInterpolation": "stepAfter" if step else "linear",
              "stacking": {"mode": "normal" if stack else "none", "group": "A"},
              "axisPlacement": "auto"}
    p = base_panel("timeseries", title, targets, description, unit, custom=custom, **kw)
    p["options"] = {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                    "tooltip": {"mode": "multi", "sort": "desc"}}
    return p


def state_timeline(title, targets, description, mappings=None, **kw):
    p = base_panel("state-timeline", title, targets, description, "short",
                   mappings=mappings, custom={"fillOpacity": 80, "lineWidth": 0}, **kw)
    p["options"] = {"showValue": "never", "mergeValues": True, "rowHeight": 0.9,
                    "legend": {"displayMode": "list", "placement": "bottom", "showLegend": False}}
    return p


def table(title, targets, description, unit=None, hide=("Time",), rename=None, desc=True,
          **kw):
    p = base_panel("table", title, targets, description, unit, **kw)
    p["options"] = {"showHeader": True, "cellHeight": "sm",
                    "sortBy": [{"displayName": (rename or {}).get("Value", "Value"),
                                "desc": desc}]}
    p["transformations"] = [{"id": "organize", "options": {
        "excludeByName": {h: True for h in hide},
        "renameByName": rename or {}}}]
    return p


def bargauge(title, targets, description, unit=None, **kw):
    p = base_panel("bargauge", title, targets, description, unit, **kw)
    p["options"] = {"orientation": "horizontal", "displayMode": "gradient", "showUnfilled": True,
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
    return p


def datasource_var():
    return {"name": "datasource", "label": "Data source", "type": "datasource",
            "query": "prometheus", "current": {}, "hide": 0, "refresh": 1, "regex": "",
            "options": [], "includeAll": False, "multi": False}


def query_var(name, label, query, multi=True, include_all=True, all_value=".*", hide=0):
    v = {"name": name, "label": label, "type": "query", "datasource": DS,
         # A plain string: every Grafana version since 7 reads it (10.x migrates
         # it into its query editor by parsing it).
         "definition": query, "query": query,
         "refresh": 2, "sort": 1, "regex": "", "hide": hide,
         "multi": multi, "includeAll": include_all, "current": {}, "options": []}
    if include_all:
        v["allValue"] = all_value
    return v


def dashboard(uid, title, description, variables, layout, tags, links=None, time_from="now-1h"):
    return {
        "uid": uid, "title": title, "description": description, "tags": tags,
        "editable": True, "graphTooltip": 1, "schemaVersion": 37, "version": 1,
        "refresh": "30s", "time": {"from": time_from, "to": "now"},
        "timepicker": {}, "timezone": "",
        "templating": {"list": variables},
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard"}]},
        "links": links or [],
        "panels": layout.panels,
    }


def dashboard_links():
    return [{"title": "depin dashboards", "type": "dashboards", "tags": ["depin"],
             "asDropdown": True, "includeVars": True, "keepTime": True},
            {"title": "Runbooks", "type": "link", "url": RUNBOOKS, "targetBlank": True,
             "icon": "doc"}]


# --------------------------------------------------------------------------
# Network overview

def network_overview():
    L = Layout()
    L.row("Fleet")
    L.add(stat("Scored providers", [target(
        "count(depin_provider_reputation_score %s)" % FILTER)],
        "Providers with a reputation score in the selected regions and GPU models, over all "
        "sidecar shards."), 4, 4)
    L.add(stat("Providers up", [target(
        'sum(max by (provider) (up{provider!=""}) %s)' % FILTER)],
        "Provider scrape targets answering (up = 1)."), 4, 4)
    L.add(stat("Providers down", [target(
        'count((max by (provider) (up{provider!=""}) == 0) %s) or vector(0)' % FILTER)],
        "Provider scrape targets failing (up = 0).",
        thr=thresholds((None, "green"), (1, "red"))), 4, 4)
    L.add(stat("Mean reputation", [target(
        "avg(depin_provider_reputation_score %s)" % FILTER)],
        "Mean reputation score (0-100) of the selected providers.", decimals=1,
        min_=0, max_=100,
        thr=thresholds((None, "red"), (65, "orange"), (75, "yellow"), (85, "green"))), 4, 4)
    L.add(stat("GPU allocation", [target(
        "sum(max by (provider) (depin_provider_gpus_allocated) %s) / "
        "sum(max by (provider) (depin_provider_gpus_total) %s)" % (FILTER, FILTER))],
        "Allocated GPUs over total GPUs of the selected providers.", unit="percentunit",
        thr=thresholds((None, "green"), (0.8, "orange"), (0.95, "red"))), 4, 4)
    L.add(stat("Firing depin alerts", [target(
        'count(ALERTS{alertstate="firing", alertname=~"Depin.*"}) or vector(0)')],
        "Alerts of rules/depin-alerts.yml firing now (all regions).",
        thr=thresholds((None, "green"), (1, "orange"))), 4, 4)

    L.add(stat("Anomalous providers", [target(
        "count(max by (provider) (depin_provider_anomalous == 1) %s) or vector(0)" % FILTER)],
        "Providers with at least one signal outside its rolling baseline.",
        thr=thresholds((None, "green"), (1, "orange"))), 6, 4)
    L.add(stat("Bottlenecked providers", [target(
        "count(max by (provider) (depin_provider_bottleneck == 1) %s) or vector(0)" % FILTER)],
        "Providers limited by a saturated resource while failing or slow.",
        thr=thresholds((None, "green"), (1, "orange"))), 6, 4)
    L.add(stat("Declining providers", [target(
        'count(max by (provider) (depin_provider_trend{direction="declining"} == 1) %s) '
        "or vector(0)" % FILTER)],
        "Providers with at least one signal trending the wrong way over the window.",
        thr=thresholds((None, "green"), (1, "yellow"))), 6, 4)
    L.add(stat("Mean uptime", [target(
        "avg(depin_provider_uptime_ratio %s)" % FILTER)],
        "Mean share of the sidecar's window the selected providers were up.",
        unit="percentunit", decimals=2,
        thr=thresholds((None, "red"), (0.95, "orange"), (0.99, "green"))), 6, 4)

    L.row("Tiers")
    L.add(timeseries("Providers per tier", [target(
        "sum by (tier) (depin_provider_tier %s)" % FILTER, "{{tier}}")],
        "Providers in each tier (state-set depin_provider_tier == 1), selected regions and "
        "GPU models.", stack=True, fill=60), 12, 8)
    L.add(bargauge("Providers per tier, whole network", [target(
        "tier:depin_network_providers:sum", "{{tier}}", instant=True)],
        "depin_network_providers summed over every sidecar shard (recording rule "
        "tier:depin_network_providers:sum); not filtered by region."), 6, 8)
    L.add(table("Providers per region and tier", [target(
        'region_tier:depin_provider_tier:sum{region=~"$region"}', instant=True, table=True)],
        "Recording rule region_tier:depin_provider_tier:sum.", hide=("Time", "__name__")), 6, 8)

    L.row("Capacity")
    L.add(timeseries("GPUs by region", [
        target("sum by (region) (max by (provider) (depin_provider_gpus_total) %s)" % JOIN_REGION,
               "{{region}} total"),
        target("sum by (region) (max by (provider) (depin_provider_gpus_allocated) %s)"
               % JOIN_REGION, "{{region}} allocated")],
        "Total and allocated GPUs per region."), 8, 8)
    L.add(timeseries("GPU allocation by region", [target(
        "sum by (region) (max by (provider) (depin_provider_gpus_allocated) %s) / "
        "sum by (region) (max by (provider) (depin_provider_gpus_total) %s)"
        % (JOIN_REGION, JOIN_REGION), "{{region}}")],
        "Share of the GPUs allocated, per region.", unit="percentunit", min_=0, max_=1), 8, 8)
    L.add(timeseries("Capacity exhaustion forecast", [target(
        'region:depin_network_capacity_exhaustion_seconds:min{region=~"$region"}', "{{region}}")],
        "Forecast time until a region runs out of free GPUs (earliest among the sidecar "
        "shards). Alerts below 6h (ticket) and 1h (page). Empty until the forecasting "
        "analytics export depin_network_capacity_exhaustion_seconds.", unit="s", min_=0,
        thr=thresholds((None, "red"), (3600, "orange"), (21600, "green"))), 8, 8)
    L.add(timeseries("Mean GPU utilisation by region", [target(
        "avg by (region) (avg by (provider) (DCGM_FI_DEV_GPU_UTIL) %s)" % JOIN_REGION,
        "{{region}}")],
        "DCGM GPU utilisation averaged per provider, then per region.", unit="percent",
        min_=0, max_=100), 12, 8)
    L.add(timeseries("Providers up by region", [target(
        'region:depin_provider_up:sum{region=~"$region"} / '
        'region:depin_provider_up:count{region=~"$region"}', "{{region}}")],
        "Share of the providers of each region whose scrape succeeds; DepinRegionOutage "
        "pages below 50%.", unit="percentunit", min_=0, max_=1,
        thr=thresholds((None, "red"), (0.5, "green"))), 12, 8)

    L.row("Providers")
    L.add(table("Top 10 providers", [target(
        "topk(10, depin_provider_reputation_score %s)" % JOIN_ALL, instant=True, table=True)],
        "Best reputation over all sidecar shards.", decimals=1,
        hide=("Time", "__name__", "job", "instance"), rename={"Value": "reputation"}), 12, 9)
    L.add(table("Bottom 10 providers", [target(
        "bottomk(10, depin_provider_reputation_score %s)" % JOIN_ALL, instant=True, table=True)],
        "Worst reputation over all sidecar shards.", decimals=1,
        hide=("Time", "__name__", "job", "instance"), rename={"Value": "reputation"},
        desc=False), 12, 9)
    L.add(table("Best performance per dollar", [target(
        "topk(10, depin_provider_cost_efficiency %s)" % JOIN_ALL, instant=True, table=True)],
        "Performance score points per dollar per GPU-hour, best 10.", decimals=1,
        hide=("Time", "__name__", "job", "instance"), rename={"Value": "score per $"}), 12, 9)
    L.add(table("Lowest uptime", [target(
        "bottomk(10, depin_provider_uptime_ratio %s)" % JOIN_ALL, instant=True, table=True)],
        "Share of the sidecar's window each provider was up, worst 10.", unit="percentunit",
        decimals=3, hide=("Time", "__name__", "job", "instance"),
        rename={"Value": "uptime"}, desc=False), 12, 9)
    L.add(timeseries("Mean reputation by region", [target(
        "avg by (region) (depin_provider_reputation_score %s)" % JOIN_REGION, "{{region}}")],
        "Mean reputation score per region.", min_=0, max_=100), 12, 8)
    L.add(timeseries("Reputation quantiles, whole network", [target(
        "network:depin_provider_reputation_score:quantile", "q{{quantile}}")],
        "Quantiles of the reputation score over every provider of every shard (a shard's own "
        "depin_provider_percentile ranks its shard only).", min_=0, max_=100), 12, 8)

    variables = [datasource_var(),
                 query_var("region", "Region", "label_values(depin_provider_info, region)"),
                 query_var("gpu_model", "GPU model",
                           'label_values(depin_provider_info{region=~"$region"}, gpu_model)')]
    return dashboard("depin-network-overview", "depin / Network overview",
                     "Tiers, capacity by region, exhaustion forecast, top and bottom providers.",
                     variables, L, ["depin"], dashboard_links())


# --------------------------------------------------------------------------
# Provider detail

def provider_detail():
    L = Layout()
    L.row("Now")
    L.add(stat("Reputation", [target("depin_provider_reputation_score{%s}" % P)],
               "Reputation score 0-100 (performance 0.30, reliability 0.25, cost 0.20, "
               "availability 0.15, speed 0.10).", decimals=1, min_=0, max_=100,
               thr=thresholds((None, "red"), (65, "orange"), (75, "yellow"), (85, "green"))),
          4, 4)
    L.add(stat("Performance", [target("depin_provider_performance_score{%s}" % P)],
               "Performance score 0-100 from six weighted components.", decimals=1, min_=0,
               max_=100,
               thr=thresholds((None, "red"), (65, "orange"), (75, "yellow"), (85, "green"))),
          4, 4)
    L.add(stat("Tier", [target("depin_provider_tier_level{%s}" % P)],
               "Current tier, with hysteresis.", mappings=TIER_MAPPINGS), 4, 4)
    L.add(stat("Rank in shard", [target("depin_provider_rank{%s}" % P)],
               "Rank by reputation among the providers of its sidecar shard (1 = best).",
               decimals=0), 4, 4)
    L.add(stat("Percentile in shard", [target("depin_provider_percentile{%s}" % P)],
               "Percentile 0-100 of the reputation within its sidecar shard.", decimals=0),
          4, 4)
    L.add(stat("Confidence", [target("depin_provider_confidence{%s}" % P)],
               "0 = too little data to score; 1 = full windows.", unit="percentunit",
               min_=0, max_=1,
               thr=thresholds((None, "red"), (0.01, "orange"), (0.5, "green"))), 4, 4)

    L.row("Scores")
    L.add(timeseries("Reputation and performance", [
        target("depin_provider_reputation_score{%s}" % P, "reputation"),
        target("depin_provider_performance_score{%s}" % P, "performance")],
        "Scores 0-100 over time.", min_=0, max_=100), 12, 8)
    L.add(timeseries("Tier level", [target("depin_provider_tier_level{%s}" % P, "tier")],
                     "0 basic, 1 bronze, 2 silver, 3 gold, 4 platinum.", step=True, min_=0,
                     max_=4, mappings=TIER_MAPPINGS), 12, 8)
    L.add(timeseries("Performance components", [target(
        "depin_provider_score_component{%s}" % P, "{{component}}")],
        "Each component 0-1: completion rate, resource efficiency, uptime, response time, "
        "SLA compliance, error rate.", unit="percentunit", min_=0, max_=1), 12, 8)
    L.add(timeseries("Reputation criteria", [target(
        "depin_provider_reputation_criterion{%s}" % P, "{{criterion}}")],
        "Each criterion 0-1: performance, reliability, cost, availability, speed.",
        unit="percentunit", min_=0, max_=1), 12, 8)

    L.row("Forecast, anomalies, SLO")
    band = [{"matcher": {"id": "byRegexp", "options": "forecast .* lower"},
             "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [4, 4]}},
                            {"id": "custom.fillOpacity", "value": 0}]},
            {"matcher": {"id": "byName", "options": "forecast 1h upper"},
             "properties": [{"id": "custom.fillBelowTo", "value": "forecast 1h lower"},
                            {"id": "custom.fillOpacity", "value": 20}]}]
    L.add(timeseries("GPU utilisation and forecast band", [
        target("avg(DCGM_FI_DEV_GPU_UTIL{%s})" % P, "actual"),
        target('depin_provider_forecast{%s, signal="gpu_util"}' % P,
               "forecast {{horizon}} {{bound}}")],
        "Mean GPU utilisation and its Holt-Winters forecast with prediction interval (band "
        "between the 1h lower and upper bounds). The forecast is empty until the forecasting "
        "analytics export depin_provider_forecast.", unit="percent", fill=0,
        overrides=band), 12, 8)
    L.add(timeseries("SLO error-budget burn rate", [target(
        "depin_provider_slo_burn_rate{%s}" % P, "{{window}}")],
        "Job success SLO burn rate per window; the page thresholds are 14.4 (1h and 5m) and 6 "
        "(6h and 30m), tickets 3 (6h and 30m) and 1 (3d and 6h). Windows longer than the "
        "sidecar's windows.length are not exported.", min_=0,
        thr=thresholds((None, "green"), (1, "yellow"), (6, "orange"), (14.4, "red"))), 12, 8)
    flag = [{"type": "value", "options": {"0": {"text": "normal", "color": "green", "index": 0},
                                          "1": {"text": "anomalous", "color": "red",
                                                "index": 1}}}]
    L.add(state_timeline("Anomalies", [target(
        "depin_provider_anomalous{%s}" % P, "{{signal}}")],
        "Signals outside their rolling baseline (anomaly score at or above the threshold).",
        mappings=flag), 12, 6)
    neck = [{"type": "value", "options": {"0": {"text": "ok", "color": "green", "index": 0},
                                          "1": {"text": "bottleneck", "color": "orange",
                                                "index": 1}}}]
    L.add(state_timeline("Bottlenecks", [target(
        "depin_provider_bottleneck{%s}" % P, "{{resource}}")],
        "The saturated resource while failures or latency are worse than the network's.",
        mappings=neck), 12, 6)
    L.add(timeseries("Anomaly score by signal", [target(
        "depin_provider_anomaly_score{%s}" % P, "{{signal}}")],
        "Deviation of the newest step from the window's baseline (z or robust z); anomalous "
        "at 2.5 by default.", min_=0,
        thr=thresholds((None, "green"), (2.5, "red"))), 12, 8)
    L.add(timeseries("Saturation by resource", [target(
        "depin_provider_saturation_ratio{%s}" % P, "{{resource}}")],
        "Busy share of each resource; a resource at 85% or more can be the bottleneck.",
        unit="percentunit", min_=0, max_=1,
        thr=thresholds((None, "green"), (0.85, "red"))), 12, 8)
    L.add(table("Trends", [target(
        "depin_provider_trend{%s} == 1" % P, instant=True, table=True)],
        "Trend of each signal over the window (least squares): improving, stable or declining.",
        hide=("Time", "__name__", "Value", "job", "instance", "provider")), 24, 6)

    L.row("Reliability and cost (over the sidecar's window)")
    L.add(stat("Uptime", [target("depin_provider_uptime_ratio{%s}" % P)],
               "Share of the window the provider was up.", unit="percentunit", decimals=2,
               thr=thresholds((None, "red"), (0.95, "orange"), (0.99, "green"))), 4, 4)
    L.add(stat("Outages", [target("depin_provider_outages{%s}" % P)],
               "Outages (up 1 -> 0) in the window.", decimals=0,
               thr=thresholds((None, "green"), (1, "orange"), (3, "red"))), 4, 4)
    L.add(stat("MTBF", [target("depin_provider_mtbf_seconds{%s}" % P)],
               "Mean time between failures over the window; empty without a failure.",
               unit="s", no_value="no failure"), 4, 4)
    L.add(stat("MTTR", [target("depin_provider_mttr_seconds{%s}" % P)],
               "Mean time to repair of the outages that ended in the window.", unit="s",
               no_value="no repair"), 4, 4)
    L.add(stat("Performance per dollar", [target("depin_provider_cost_efficiency{%s}" % P)],
               "Performance score points per dollar per GPU-hour.", decimals=1), 4, 4)
    L.add(stat("Cost per completed job", [target("depin_provider_cost_per_job_dollars{%s}" % P)],
               "Price of the allocated GPUs over the observed time per completed job.",
               unit="currencyUSD", decimals=3), 4, 4)

    L.row("Raw inputs")
    updown = [{"type": "value", "options": {"0": {"text": "down", "color": "red", "index": 0},
                                            "1": {"text": "up", "color": "green", "index": 1}}}]
    L.add(state_timeline("Scrape health", [target("max(up{%s})" % P, "up")],
                         "up of the provider's scrape target.", mappings=updown), 16, 4)
    L.add(stat("Uptime over the range", [target(
        "avg(avg_over_time(up{%s}[$__range]))" % P)],
        "Share of successful scrapes over the dashboard's time range.", unit="percentunit",
        decimals=2, thr=thresholds((None, "red"), (0.95, "orange"), (0.99, "green"))), 8, 4)
    L.add(timeseries("Jobs per second", [
        target("sum(rate(depin_jobs_completed_total{%s}[$__rate_interval]))" % P, "completed"),
        target("sum by (reason) (rate(depin_jobs_failed_total{%s}[$__rate_interval]))" % P,
               "failed: {{reason}}")],
        "Completed jobs and failed jobs by reason.", unit="reqps"), 12, 8)
    L.add(timeseries("Job duration", [
        target("histogram_quantile(0.5, sum by (le) (rate(depin_job_duration_seconds_bucket{%s}"
               "[$__rate_interval])))" % P, "p50"),
        target("histogram_quantile(0.95, sum by (le) (rate(depin_job_duration_seconds_bucket{%s}"
               "[$__rate_interval])))" % P, "p95")],
        "Job duration quantiles from depin_job_duration_seconds.", unit="s"), 12, 8)
    L.add(timeseries("Response time", [
        target("histogram_quantile(0.5, sum by (le) (rate(depin_provider_response_seconds_bucket"
               "{%s}[$__rate_interval])))" % P, "p50"),
        target("histogram_quantile(0.95, sum by (le) (rate(depin_provider_response_seconds_bucket"
               "{%s}[$__rate_interval])))" % P, "p95")],
        "Bid/lease answer time quantiles.", unit="s"), 12, 8)
    L.add(timeseries("GPU utilisation per GPU", [target(
        "DCGM_FI_DEV_GPU_UTIL{%s}" % P, "gpu {{gpu}}")],
        "DCGM_FI_DEV_GPU_UTIL per GPU.", unit="percent", min_=0, max_=100), 12, 8)
    L.add(timeseries("GPUs", [
        target("max(depin_provider_gpus_total{%s})" % P, "total"),
        target("max(depin_provider_gpus_allocated{%s})" % P, "allocated")],
        "Total and allocated GPUs.", min_=0), 8, 8)
    L.add(timeseries("Price per GPU-hour", [target(
        "max(depin_provider_price_per_gpu_hour{%s})" % P, "price")],
        "Advertised price.", unit="currencyUSD"), 8, 8)
    L.add(table("Firing alerts", [target(
        'ALERTS{alertstate="firing", %s}' % P, instant=True, table=True)],
        "Alerts of this provider firing now.",
        hide=("Time", "__name__", "Value", "alertstate", "provider")), 8, 8)

    variables = [datasource_var(),
                 query_var("region", "Region", "label_values(depin_provider_info, region)"),
                 query_var("gpu_model", "GPU model",
                           'label_values(depin_provider_info{region=~"$region"}, gpu_model)'),
                 query_var("provider", "Provider",
                           'label_values(depin_provider_info{region=~"$region", '
                           'gpu_model=~"$gpu_model"}, provider)',
                           multi=False, include_all=False)]
    return dashboard("depin-provider-detail", "depin / Provider detail",
                     "One provider: scores and their components, tier, forecast with its band, "
                     "anomalies, SLO burn, reliability and raw inputs.",
                     variables, L, ["depin"], dashboard_links(), time_from="now-3h")


# --------------------------------------------------------------------------
# Sidecar health

def sidecar_health():
    L = Layout()
    L.row("Status")
    L.add(stat("Sidecars up", [target("sum(up{%s})" % SC)],
               "Sidecar scrape targets answering.",
               thr=thresholds((None, "red"), (1, "green"))), 4, 4)
    L.add(stat("Sidecars down", [target("count(up{%s} == 0) or vector(0)" % SC)],
               "Sidecar scrape targets failing (DepinSidecarDown pages after 5m).",
               thr=thresholds((None, "green"), (1, "red"))), 4, 4)
    L.add(stat("Active providers", [target("sum(depin_sidecar_active_providers{%s})" % SC)],
               "Providers with data in the windows, over the selected sidecars."), 4, 4)
    L.add(stat("Scored providers", [target("sum(depin_sidecar_scored_providers{%s})" % SC)],
               "Providers with a score (confidence > 0)."), 4, 4)
    L.add(stat("Active series", [target("sum(depin_sidecar_active_series{%s})" % SC)],
               "Raw series held in the windows."), 4, 4)
    L.add(stat("Last evaluation", [target(
        "time() - min(depin_sidecar_last_evaluation_timestamp_seconds{%s})" % SC)],
        "Age of the oldest last evaluation among the selected sidecars "
        "(DepinSidecarEvaluationStalled pages after 5m + 5m).", unit="s",
        thr=thresholds((None, "green"), (60, "orange"), (300, "red"))), 4, 4)
    L.add(table("Versions", [target(
        "count by (instance, version) (depin_sidecar_build_info{%s})" % SC, instant=True,
        table=True)], "depin_sidecar_build_info per instance.", hide=("Time", "Value")), 24, 5)

    L.row("Ingest")
    L.add(timeseries("Samples received", [target(
        "sum by (instance) (rate(depin_sidecar_samples_received_total{%s}[$__rate_interval]))"
        % SC, "{{instance}}")],
        "Samples per second received by remote-write (DepinSidecarNotReceivingSamples "
        "pages at 0 for 10m).", unit="short"), 12, 8)
    L.add(timeseries("Samples rejected by reason", [target(
        "sum by (reason) (rate(depin_sidecar_samples_rejected_total{%s}[$__rate_interval]))"
        % SC, "{{reason}}")],
        "Rejected samples per second; not_in_contract, stale_marker and counter_baseline are "
        "normal.", unit="short", stack=True, fill=40), 12, 8)
    L.add(timeseries("Share of samples rejected (excluding normal reasons)", [target(
        "(sum by (instance) (rate(depin_sidecar_samples_rejected_total{%s, reason!~"
        "\"not_in_contract|stale_marker|counter_baseline\"}[$__rate_interval])) or "
        "0 * sum by (instance) (rate(depin_sidecar_samples_received_total{%s}[$__rate_interval])))"
        " / sum by (instance) (rate(depin_sidecar_samples_received_total{%s}[$__rate_interval]))"
        % (SC, SC, SC), "{{instance}}")],
        "DepinSidecarRejectingSamples opens a ticket above 1% for 15m.", unit="percentunit",
        min_=0, thr=thresholds((None, "green"), (0.01, "red"))), 8, 8)
    L.add(timeseries("Series dropped by reason", [target(
        "sum by (reason) (rate(depin_sidecar_series_dropped_total{%s}[$__rate_interval]))" % SC,
        "{{reason}}")], "Series dropped per second, by reason.", unit="short"), 8, 8)
    L.add(timeseries("Remote-write requests by code", [target(
        "sum by (code) (rate(depin_sidecar_write_requests_total{%s}[$__rate_interval]))" % SC,
        "{{code}}")], "Requests per second answered, by HTTP status.", unit="reqps"), 8, 8)

    L.row("Evaluation")
    L.add(timeseries("Evaluation duration", [target(
        "depin_sidecar_evaluation_duration_seconds{%s}" % SC, "{{instance}}"), target(
        "depin_sidecar_evaluation_phase_duration_seconds{%s}" % SC, "{{instance}} {{phase}}")],
        "Duration of the last evaluation (analytics over every window) and of its phases: "
        "snapshot (copy of the windows), analytics, render (/metrics body), derived (store "
        "and forwarding), deflate (/metrics for gzip scrapes).", unit="s"), 8, 8)
    L.add(timeseries("Observed evaluation interval", [target(
        "1 / rate(depin_sidecar_evaluations_total{%s}[$__rate_interval])" % SC,
        "{{instance}}")],
        "Seconds between evaluations; grows past evaluation_interval when evaluations fall "
        "behind.", unit="s"), 8, 8)
    L.add(timeseries("Time spent evaluating", [target(
        "avg_over_time(depin_sidecar_evaluation_duration_seconds{%s}[$__rate_interval]) * "
        "rate(depin_sidecar_evaluations_total{%s}[$__rate_interval])" % (SC, SC),
        "{{instance}}")],
        "Evaluation duration times evaluations per second; DepinSidecarEvaluationSlow opens a "
        "ticket above 90%.", unit="percentunit", min_=0,
        thr=thresholds((None, "green"), (0.9, "red"))), 8, 8)

    L.row("Memory and output")
    L.add(timeseries("Window memory", [target(
        "depin_sidecar_window_bytes{%s}" % SC, "{{instance}}")],
        "Bytes held by the rolling windows.", unit="bytes"), 8, 8)
    L.add(timeseries("Window bytes per series", [target(
        "depin_sidecar_window_bytes{%s} / depin_sidecar_active_series{%s}" % (SC, SC),
        "{{instance}}")],
        "Window memory per active raw series (budget: 2 KB per provider-signal).",
        unit="bytes"), 8, 8)
    L.add(timeseries("/metrics size and scrape time", [
        target("depin_sidecar_metrics_bytes{%s}" % SC, "{{instance}} bytes"),
        target("scrape_duration_seconds{%s}" % SC, "{{instance}} scrape seconds")],
        "Size of the cached exposition and how long Prometheus takes to scrape it.",
        unit="bytes",
        overrides=[{"matcher": {"id": "byRegexp", "options": ".*scrape seconds"},
                    "properties": [{"id": "unit", "value": "s"},
                                   {"id": "custom.axisPlacement", "value": "right"}]}]), 8, 8)

    L.row("Prometheus remote-write (the sending side)")
    L.add(timeseries("Samples sent", [target(
        "sum by (url) (rate(prometheus_remote_storage_samples_total[$__rate_interval]))",
        "{{url}}")],
        "Samples per second Prometheus sends to each remote-write URL (needs Prometheus "
        "scraping itself).", unit="short"), 6, 8)
    L.add(timeseries("Samples failed and retried", [
        target("sum by (url) (rate(prometheus_remote_storage_samples_failed_total"
               "[$__rate_interval]))", "failed {{url}}"),
        target("sum by (url) (rate(prometheus_remote_storage_samples_retried_total"
               "[$__rate_interval]))", "retried {{url}}")],
        "Failed samples are lost (4xx); retried ones back up the queue (5xx, 429).",
        unit="short"), 6, 8)
    L.add(timeseries("Remote-write lag", [target(
        "max by (url) (prometheus_remote_storage_highest_timestamp_in_seconds - ignoring "
        "(remote_name, url) group_right prometheus_remote_storage_queue_highest_sent_timestamp_"
        "seconds)", "{{url}}")],
        "How far the newest sent sample is behind the newest ingested one.", unit="s"), 6, 8)
    L.add(timeseries("Pending samples and shards", [
        target("sum by (url) (prometheus_remote_storage_samples_pending)", "pending {{url}}"),
        target("max by (url) (prometheus_remote_storage_shards)", "shards {{url}}")],
        "Samples waiting in the queue, and queue shards in use.", unit="short"), 6, 8)

    variables = [datasource_var(),
                 query_var("job", "Job", "label_values(depin_sidecar_build_info, job)",
                           multi=False, include_all=False),
                 query_var("instance", "Instance",
                           'label_values(depin_sidecar_build_info{job="$job"}, instance)')]
    return dashboard("depin-sidecar-health", "depin / Sidecar health",
                     "The sidecars' own health: ingest, rejections, evaluation, memory, and "
                     "Prometheus's remote-write queue to them.",
                     variables, L, ["depin"], dashboard_links())


DASHBOARDS = {
    "network-overview.json": network_overview,
    "provider-detail.json": provider_detail,
    "sidecar-health.json": sidecar_health,
}


def render(fn):
    return json.dumps(fn(), indent=2, sort_keys=False) + "\n"


def main(argv):
    check = "--check" in argv
    stale = []
    for name, fn in DASHBOARDS.items():
        path = os.path.join(OUT_DIR, name)
        text = render(fn)
        try:
            with open(path) as f:
                current = f.read()
        except OSError:
            current = None
        if current != text:
            stale.append(name)
            if not check:
                os.makedirs(OUT_DIR, exist_ok=True)
                with open(path, "w") as f:
                    f.write(text)
    if check:
        if stale:
            print("out of date (run grafana/generate_dashboards.py): %s" % ", ".join(stale))
            return 1
        print("dashboards up to date")
        return 0
    print("wrote %s" % (", ".join(stale) if stale else "nothing (up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
