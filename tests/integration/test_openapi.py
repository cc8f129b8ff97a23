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
import socket
import time
import urllib.parse

import yaml

from harness import SOURCE_DIR, IntegrationTestCase, http_request, log

SPEC = os.path.join(SOURCE_DIR, "docs", "openapi.yaml")
READY_TIMEOUT = 90


class EventStream:
    """A raw GET /api/v1/events connection, read as it comes."""

    def __init__(self, port, query="", last_event_id=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        head = "GET /api/v1/events%s HTTP/1.1\r\nHost: x\r\n" % query
        if last_event_id is not None:
            head += "Last-Event-ID: %s\r\n" % last_event_id
        self.sock.sendall((head + "\r\n").encode())
        self.data = b""
        while b"\r\n\r\n" not in self.data:
            self._recv()
        raw_head, self.data = self.data.split(b"\r\n\r\n", 1)
        lines = raw_head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip()
                        for k, v in (l.split(":", 1) for l in lines[1:])}
        self.raw, self.data = self.data, b""
        if self.headers.get("transfer-encoding") != "chunked":
            self.data, self.raw = self.raw, b""
        self._decode()

    def _recv(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("stream closed")
        if not hasattr(self, "status"):
            self.data += chunk
            return
        self.raw += chunk
        self._decode()

    def _decode(self):
        # Transfer-Encoding: chunked; self.data is the decoded body.
        while self.raw:
            end = self.raw.find(b"\r\n")
            if end < 0:
                return
            size = int(self.raw[:end].split(b";")[0], 16)
            if len(self.raw) < end + 2 + size + 2:
                return
            self.data += self.raw[end + 2:end + 2 + size]
            self.raw = self.raw[end + 2 + size + 2:]

    def read_until(self, marker, timeout):
        deadline = time.monotonic() + timeout
        while marker.encode() not in self.data:
            if time.monotonic() > deadline:
                return False
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                self._recv()
            except socket.timeout:
                pass
        return True

    def close(self):
        self.sock.close()


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

        fleet = self.start_fleet(seed=42)
        sim, sidecar = fleet.sim, fleet.sidecar
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
        # Operations marked x-tested-by are validated by that test (test_query.py).
        gets = [t for t in paths if "get" in paths[t] and t != "/api/v1/events"
                and not paths[t]["get"].get("x-tested-by")]
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
        for template, op in [(t, m) for t in paths for m in paths[t] if t != "/api/v1/events"
                             and not paths[t][m].get("x-tested-by")]:
            other = "POST" if op == "get" else "GET"
            path = template.replace("{id}", provider["id"])
            status, _, raw = call(other, path, b"{}" if other == "POST" else None)
            self.assertEqual(status, 405, "%s %s: %s" % (other, path, raw[:200]))
            self.assertIn("error", json.loads(raw))
            produced.setdefault((template, op), set()).add(405)

        # 4. The event stream: tier changes from the first scoring are in the
        # history; filters are checked; the client cap answers 503.
        ev = "/api/v1/events"
        kinds = ("tier_change", "penalty", "score_move")
        stream = EventStream(sidecar.port, "?" + "&".join("kind=" + k for k in kinds),
                             last_event_id=0)
        self.assertEqual(stream.status, 200)
        self.assertEqual(stream.headers.get("content-type", "").split(";")[0],
                         "text/event-stream")
        self.assertTrue(stream.read_until("\nevent: ", 40), stream.data[:500])
        stream.read_until("\n\n", 2)
        # Complete blocks only (the last one may still be arriving).
        events = [b for b in stream.data.decode().split("\n\n")[:-1] if "event:" in b]
        self.assertTrue(events, stream.data[:500])
        for block in events:
            fields = dict(l.split(": ", 1) for l in block.strip().split("\n")
                          if not l.startswith(":"))
            self.assertIn(fields["event"], kinds, block)
            data = json.loads(fields["data"])
            self.assertIn(data["provider"], order)
            if fields["event"] == "tier_change":
                self.assertIn(data["after"], ("basic", "bronze", "silver", "gold", "platinum"))
        stream.close()
        produced.setdefault((ev, "get"), set()).add(200)
        one = EventStream(sidecar.port, "?provider=%s&kind=anomaly&kind=penalty" % provider["id"])
        self.assertEqual(one.status, 200)
        self.assertTrue(one.read_until(": connected", 5))
        for query in ("?kind=nothing", "?colour=red", "?provider="):
            check(ev, "GET", ev + query, expect=400)
        status, _, raw = call("GET", ev + "?kind=anomaly&kind=bogus")
        self.assertEqual(status, 400, raw)
        held = [one]
        while True:
            h = EventStream(sidecar.port)
            if h.status != 200:
                h.close()
                break
            held.append(h)
            self.assertLessEqual(len(held), 16, "more than 16 event streams accepted")
        # The first stream, closed above, may not be noticed as gone yet.
        self.assertGreaterEqual(len(held), 15)
        self.assertEqual(h.status, 503)
        check(ev, "GET", ev, expect=503)
        # Other requests still have their threads while 16 streams are open.
        self.assertEqual(call("GET", "/api/v1/network")[0], 200)
        for h in held:
            h.close()
        # A gone client is noticed when a write fails: at the latest at the
        # second heartbeat (15 s apart) after it left.
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            extra = EventStream(sidecar.port)
            extra.close()
            if extra.status == 200:
                break
            time.sleep(0.5)
        self.assertEqual(extra.status, 200, "closed streams not released")

        # 5. Undocumented paths under /api/v1/ answer 404.
        documented = [re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", t) + "$") for t in paths]
        for path in ("/api/v1/nothing", "/api/v1/", "/api/v1/provider",
                     "/api/v1/providers/%s/history" % provider["id"],
                     "/api/v1/providers/", "/api/v1/rankings/csv", "/api/v1/network/x"):
            self.assertFalse(any(d.match(path) for d in documented), path)
            status, _, raw = call("GET", path)
            self.assertEqual(status, 404, "%s: %s %s" % (path, status, raw[:200]))

        # 6. Every documented error status was produced (x-startup-only aside).
        missing = []
        for template, ops in paths.items():
            for method, op in ops.items():
                for code, response in op["responses"].items():
                    if resolve(spec, response).get("x-startup-only") or op.get("x-tested-by"):
                        continue
                    if int(code) not in produced.get((template, method), set()):
                        missing.append("%s %s %s" % (method.upper(), template, code))
        self.assertEqual(missing, [], "documented statuses never produced")
        log("checked %d operations in %.0f s" % (len(produced), time.monotonic() - start))
