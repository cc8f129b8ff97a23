"""docs/openapi.yaml matches what the server really serves: a real
Prometheus scrapes the simulator and remote-writes to depin-sidecar; every
documented GET path is called and its answer validated against the
documented schema; undocumented paths under /api/v1/ answer 404; every
documented error status (except those marked x-startup-only) is produced."""

import csv
import io
import json
import os
import re
import time
import urllib.parse

import yaml

from harness import (SOURCE_DIR, IntegrationTestCase, PrometheusServer, Sidecar, Simulator,
                     http_request, log)
from test_end_to_end import FLEET, prometheus_config

SPEC = os.path.join(SOURCE_DIR, "docs", "openapi.yaml")
READY_TIMEOUT = 90


def resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = spec
        for part in ref[2:].split("/"):
            node = node[part]
    return node


def validate(spec, schema, value, where="$"):
    """Errors of `value` against the JSON-Schema subset the document uses:
    type, properties, required, items, enum, nullable, minimum/maximum,
    additionalProperties (schema or false), allOf."""
    schema = resolve(spec, schema)
    errors = []
    if value is None:
        return [] if schema.get("nullable") else ["%s: null but not nullable" % where]
    for sub in schema.get("allOf", []):
        errors += validate(spec, sub, value, where)
    t = schema.get("type")
    checks = {"object": lambda v: isinstance(v, dict),
              "array": lambda v: isinstance(v, list),
              "string": lambda v: isinstance(v, str),
              "boolean": lambda v: isinstance(v, bool),
              "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)}
    if t is not None and not checks[t](value):
        return errors + ["%s: %r is not of type %s" % (where, value, t)]
    if "enum" in schema and value not in schema["enum"]:
        errors.append("%s: %r not in %s" % (where, value, schema["enum"]))
    if t in ("number", "integer"):
        if "minimum" in schema and (value < schema["minimum"] or (
                schema.get("exclusiveMinimum") and value == schema["minimum"])):
            errors.append("%s: %r below the minimum %s" % (where, value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            errors.append("%s: %r above the maximum %s" % (where, value, schema["maximum"]))
    if t == "object":
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                errors.append("%s: required %r missing" % (where, name))
        extra = schema.get("additionalProperties")
        for name, v in value.items():
            if name in props:
                errors += validate(spec, props[name], v, "%s.%s" % (where, name))
            elif extra is False and not schema.get("allOf"):
                errors.append("%s: undocumented property %r" % (where, name))
            elif isinstance(extra, dict):
                errors += validate(spec, extra, v, "%s.%s" % (where, name))
            elif props and extra is None:
                # Responses are closed: anything undocumented is a mismatch.
                errors.append("%s: undocumented property %r" % (where, name))
    if t == "array" and "items" in schema:
        for i, v in enumerate(value):
            errors += validate(spec, schema["items"], v, "%s[%d]" % (where, i))
    return errors


class OpenApiTest(IntegrationTestCase):
    def test_document_matches_server(self):
        with open(SPEC) as f:
            spec = yaml.safe_load(f)
        self.assertTrue(spec["openapi"].startswith("3.0"), spec.get("openapi"))
        paths = spec["paths"]

        workdir = self.tmpdir()
        sim = self.start_process(Simulator(workdir, FLEET, seed=42)).wait_ready()
        sidecar = self.start_process(Sidecar(workdir, {
            "evaluation_interval": "2s",
            "windows": {"step": "5s", "length": "10m"},
            "confidence": {"min_samples": 4},
        })).wait_ready()
        self.start_process(PrometheusServer(
            workdir, prometheus_config(sim.port, sidecar.port))).wait_ready()
        order = sim.truth()["order"]

        def call(method, path, body=None):
            data = None
            if body is not None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
            status, headers, raw = http_request(method, sidecar.url + path, body=data,
                                                headers={"Content-Type": "application/json"}
                                                if data is not None else None)
            return status, headers, raw

        # 1. Wait until every provider is ranked.
        start = time.monotonic()
        while True:
            status, _, raw = call("GET", "/api/v1/providers?limit=1000")
            if status == 200:
                ranked = [p["id"] for p in json.loads(raw)["providers"]
                          if p["rank"] is not None]
                if sorted(ranked) == sorted(order):
                    break
            if time.monotonic() - start > READY_TIMEOUT:
                self.fail("providers not all ranked after %d s: %s %s" % (
                    READY_TIMEOUT, status, raw[:500]))
            time.sleep(1)
        log("all %d providers ranked after %.0f s" % (len(order), time.monotonic() - start))

        produced = {}   # (path, method) -> set of statuses seen

        def check(template, method, path, body=None, expect=None):
            """Calls the server and validates the answer against the document."""
            op = paths[template][method.lower()]
            status, headers, raw = call(method, path, body)
            produced.setdefault((template, method.lower()), set()).add(status)
            where = "%s %s -> %d" % (method, path, status)
            if expect is not None:
                self.assertEqual(status, expect, "%s: %s" % (where, raw[:300]))
            self.assertIn(str(status), op["responses"], "%s: undocumented status" % where)
            response = resolve(spec, op["responses"][str(status)])
            ctype = headers.get("content-type", "").split(";")[0].strip()
            self.assertIn(ctype, response.get("content", {}),
                          "%s: undocumented content type %r" % (where, ctype))
            schema = response["content"][ctype]["schema"]
            value = json.loads(raw) if ctype == "application/json" else raw.decode()
            errors = validate(spec, schema, value)
            self.assertEqual(errors, [], "%s: answer does not match the document:\n%s" % (
                where, "\n".join(errors[:20])))
            return value

        # 2. Every documented GET path, with every documented parameter.
        gets = [t for t in paths if "get" in paths[t]]
        self.assertEqual(sorted(gets), sorted([
            "/api/v1/providers", "/api/v1/rankings", "/api/v1/providers/{id}",
            "/api/v1/providers/{id}/audit", "/api/v1/network"]))
        page = check("/api/v1/providers", "GET", "/api/v1/providers", expect=200)
        self.assertEqual(page["total"], len(order))
        provider = page["providers"][0]
        for template in gets:
            path = template.replace("{id}", urllib.parse.quote(provider["id"]))
            check(template, "GET", path, expect=200)
        for template in ("/api/v1/providers", "/api/v1/rankings"):
            for p in paths[template]["get"].get("parameters", []):
                p = resolve(spec, p)
                schema = resolve(spec, p["schema"])
                values = schema.get("enum") or {
                    "region": [provider["region"]], "gpu_model": [provider["gpu_model"]],
                    "min_score": ["0", "50.5"], "limit": ["1", str(schema.get("maximum"))],
                    "offset": ["0", "1", "100000"]}[p["name"]]
                for v in values:
                    q = urllib.parse.urlencode({p["name"]: v})
                    value = check(template, "GET", template + "?" + q, expect=200)
                    if template == "/api/v1/rankings" and v == "csv":
                        rows = list(csv.reader(io.StringIO(value)))
                        self.assertEqual(rows[0][:2], ["rank", "provider"])
                        self.assertEqual(len(rows) - 1, len(order))
                # Out of the documented range or enum: 400.
                bad = {"integer": "-1" if "minimum" in schema else "x",
                       "number": "abc", "string": "no-such-value"}[schema["type"]]
                if schema["type"] != "string" or "enum" in schema:
                    check(template, "GET", template + "?" + p["name"] + "=" + bad, expect=400)
                if schema["type"] == "integer" and "maximum" in schema:
                    check(template, "GET", "%s?%s=%d" % (template, p["name"],
                                                        schema["maximum"] + 1), expect=400)
            check(template, "GET", template + "?colour=red", expect=400)
            check(template, "GET", template + "?limit=1&limit=2", expect=400)
        for template in ("/api/v1/providers/{id}", "/api/v1/providers/{id}/audit"):
            check(template, "GET", template.replace("{id}", "nobody"), expect=404)
            check(template, "GET", template.replace("{id}", provider["id"]) + "?x=1",
                  expect=400)
        for p in order:
            check("/api/v1/providers/{id}", "GET", "/api/v1/providers/" + p, expect=200)
            check("/api/v1/providers/{id}/audit", "GET",
                  "/api/v1/providers/%s/audit" % p, expect=200)

        # 3. POST endpoints: valid bodies and every documented error.
        rec = "/api/v1/recommendations"
        check(rec, "POST", rec, {"gpus": 1, "duration_hours": 2, "min_tier": "basic",
                                 "regions": [provider["region"]], "limit": 3}, expect=200)
        check(rec, "POST", rec, {"gpus": 1024}, expect=200)          # explained empty answer
        check(rec, "POST", rec, {"gpus": 1025}, expect=400)
        check(rec, "POST", rec, {"gpus": 1, "colour": "red"}, expect=400)
        check(rec, "POST", rec, b"{not json", expect=400)
        check(rec, "POST", rec, b"x" * ((1 << 20) + 1), expect=413)
        alloc = "/api/v1/allocations"
        check(alloc, "POST", alloc, {"jobs": [{"id": "a", "gpus": 1}, {"id": "b", "gpus": 2}]},
              expect=200)
        check(alloc, "POST", alloc, {"jobs": []}, expect=400)
        check(alloc, "POST", alloc, {"jobs": [{"id": str(i)} for i in range(1001)]},
              expect=413)
        for template, op in [(t, m) for t in paths for m in paths[t]]:
            other = "POST" if op == "get" else "GET"
            path = template.replace("{id}", provider["id"])
            status, _, raw = call(other, path, b"{}" if other == "POST" else None)
            self.assertEqual(status, 405, "%s %s: %s" % (other, path, raw[:200]))
            self.assertIn("error", json.loads(raw))
            produced.setdefault((template, op), set()).add(405)

        # 4. Undocumented paths under /api/v1/ answer 404.
        documented = [re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", t) + "$") for t in paths]
        for path in ("/api/v1/nothing", "/api/v1/", "/api/v1/provider",
                     "/api/v1/providers/%s/history" % provider["id"],
                     "/api/v1/providers/", "/api/v1/rankings/csv", "/api/v1/network/x"):
            self.assertFalse(any(d.match(path) for d in documented), path)
            status, _, raw = call("GET", path)
            self.assertEqual(status, 404, "%s: %s %s" % (path, status, raw[:200]))

        # 5. Every documented error status was produced (x-startup-only aside).
        missing = []
        for template, ops in paths.items():
            for method, op in ops.items():
                for code, response in op["responses"].items():
                    if resolve(spec, response).get("x-startup-only"):
                        continue
                    if int(code) not in produced.get((template, method), set()):
                        missing.append("%s %s %s" % (method.upper(), template, code))
        self.assertEqual(missing, [], "documented statuses never produced")
        log("checked %d operations in %.0f s" % (len(produced), time.monotonic() - start))
