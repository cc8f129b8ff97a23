"""Remote-write 2.0 against a real depin-sidecar, beside 1.0.

The 2.0 payloads are encoded by hand below from the field numbers of the
remote-write 2.0 specification (io.prometheus.write.v2.Request), not from
the project's .proto or generated code:

    Request     { repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
    TimeSeries  { repeated uint32 labels_refs = 1 [packed]; repeated Sample samples = 2;
                  repeated Histogram histograms = 3; repeated Exemplar exemplars = 4;
                  Metadata metadata = 5; int64 created_timestamp = 6; }
    Sample      { double value = 1; int64 timestamp = 2; }
    Exemplar    { repeated uint32 labels_refs = 1; double value = 2; int64 timestamp = 3; }
    Metadata    { MetricType type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; }
    Histogram   { uint64 count_int = 1; double sum = 3; sint32 schema = 4;
                  double zero_threshold = 5; uint64 zero_count_int = 6;
                  repeated BucketSpan positive_spans = 11;
                  repeated sint64 positive_deltas = 12 [packed]; int64 timestamp = 15; }
    BucketSpan  { sint32 offset = 1; uint32 length = 2; }

A real Prometheus 2.42 (the Debian package) only sends 1.0, so these
requests are the only 2.0 sender in the tests.
"""

import json
import struct
import time
import unittest

import snappy

from harness import IntegrationTestCase, Sidecar, http_get, http_request, value_of
from remote_write import (WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, key, length_delimited, now_ms,
                          post_write, series, varint)

V2_CONTENT_TYPE = "application/x-protobuf;proto=io.prometheus.write.v2.Request"
WRITTEN = ("x-prometheus-remote-write-samples-written",
           "x-prometheus-remote-write-histograms-written",
           "x-prometheus-remote-write-exemplars-written")


def zigzag(n):
    return (n << 1) ^ (n >> 63)


def packed(field, values, encode=varint):
    return length_delimited(field, b"".join(encode(v) for v in values))


def double(field, value):
    return key(field, WIRE_FIXED64) + struct.pack("<d", float(value))


def uint(field, value):
    return key(field, WIRE_VARINT) + varint(value)


class V2Request:
    """Builds a Request: a symbol table and series referring into it."""

    def __init__(self):
        self.symbols = [""]  # the spec requires symbols[0] == ""
        self.series = []

    def ref(self, s):
        if s not in self.symbols:
            self.symbols.append(s)
        return self.symbols.index(s)

    def refs(self, labels):
        out = []
        for name, value in sorted(labels.items()):
            out += [self.ref(name), self.ref(value)]
        return out

    def add(self, labels=None, samples=(), histograms=(), refs=None, created_ms=0,
            exemplars=0, metadata_type=0):
        """samples: [(value, ts)]; histograms: encoded Histogram messages."""
        body = packed(1, refs if refs is not None else self.refs(labels))
        for value, ts in samples:
            body += length_delimited(2, double(1, value) + uint(2, ts))
        for h in histograms:
            body += length_delimited(3, h)
        for i in range(exemplars):
            trace = [self.ref("trace_id"), self.ref("abc%d" % i)]
            body += length_delimited(4, packed(1, trace) + double(2, 0.3) + uint(3, now_ms()))
        if metadata_type:
            body += length_delimited(5, uint(1, metadata_type) + uint(3, self.ref("help text")))
        if created_ms:
            body += uint(6, created_ms)
        self.series.append(body)

    def encode(self):
        out = b"".join(length_delimited(4, s.encode("utf-8")) for s in self.symbols)
        return out + b"".join(length_delimited(5, s) for s in self.series)


def histogram(ts, count, total, spans, deltas, schema=0):
    """An integer native histogram; spans [(offset, length)], deltas per bucket."""
    out = uint(1, count) + double(3, total) + uint(4, zigzag(schema))
    for offset, length in spans:
        out += length_delimited(11, uint(1, zigzag(offset)) + uint(2, length))
    out += packed(12, deltas, lambda d: varint(zigzag(d)))
    return out + uint(15, ts)


def post_v2(url, body, content_type=V2_CONTENT_TYPE):
    return http_request("POST", url, body=snappy.compress(body), headers={
        "Content-Type": content_type,
        "Content-Encoding": "snappy",
        "X-Prometheus-Remote-Write-Version": "2.0.0",
        "User-Agent": "depin-integration-test/2.0",
    })


class RemoteWriteV2Test(IntegrationTestCase):
    @classmethod
    def setUpClass(cls):
        cls.sidecar = Sidecar(cls.class_tmpdir(), {"evaluation_interval": "1s"})
        cls.start_class_process(cls.sidecar)
        cls.sidecar.wait_ready()

    @classmethod
    def tearDownClass(cls):
        rc = cls.sidecar.stop()
        if rc != 0:
            raise AssertionError("sidecar exit code %s on SIGTERM\n%s" % (
                rc, cls.sidecar.log_tail()))

    def written(self, headers):
        return tuple(int(headers[h]) for h in WRITTEN)

    def wait_provider(self, provider, timeout=20):
        """The API's view of a provider once an evaluation has seen it."""
        url = self.sidecar.url + "/api/v1/providers/" + provider
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _, body = http_get(url)
            if status == 200:
                return json.loads(body)
            time.sleep(0.5)
        self.fail("provider %s never evaluated (last: HTTP %d %r)" % (provider, status, body[:200]))

    def wait_metric(self, name, what, timeout=20, **match):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v = value_of(self.sidecar.metrics(), name, None, **match)
            if v is not None:
                return v
            time.sleep(0.5)
        self.fail("timed out waiting for %s (%s %s)" % (what, name, match))

    def test_samples_and_native_histograms_land(self):
        """A provider that only speaks 2.0 is scored from its samples and its
        native latency histogram (converted to classic buckets)."""
        provider = {"provider": "rw2-only", "instance": "sim:9", "job": "it"}
        t = now_ms()
        first = V2Request()
        # Nine 30 s slots of up (the scoring needs six) and 20 finished jobs,
        # so that the provider gets a score and its latency percentiles.
        first.add(dict(provider, __name__="up"),
                  samples=[(1, t - 30_000 * k) for k in range(8, -1, -1)], metadata_type=2)
        first.add(dict(provider, __name__="depin_jobs_completed_total"),
                  samples=[(100, t - 60_000), (120, t - 1_000)])
        # Schema 0: bucket index -1 is (0.25, 0.5]; 10 observations there.
        lat = dict(provider, __name__="depin_provider_response_seconds")
        first.add(lat, histograms=[histogram(t - 20_000, 10, 3.5, [(-1, 1)], [10])], exemplars=2)
        status, headers, body = post_v2(self.sidecar.write_url, first.encode())
        self.assertEqual(status, 204, body)
        self.assertEqual(self.written(headers), (11, 1, 0))

        second = V2Request()
        second.add(lat, histograms=[histogram(t - 5_000, 30, 10.5, [(-1, 1)], [30])])
        status, headers, body = post_v2(self.sidecar.write_url, second.encode())
        self.assertEqual(status, 204, body)
        self.assertEqual(self.written(headers), (0, 1, 0))

        # 20 new observations, all in (0.25, 0.5]: percentiles interpolate
        # inside that bucket, as histogram_quantile would on the native one.
        median = self.wait_metric("depin_provider_response_latency_seconds",
                                  "latency percentiles from the native histogram",
                                  provider="rw2-only", percentile="50")
        self.assertAlmostEqual(median, 0.375, places=6)
        samples = self.sidecar.metrics()
        self.assertAlmostEqual(value_of(samples, "depin_provider_response_latency_seconds",
                                        provider="rw2-only", percentile="95"), 0.4875, places=6)
        self.assertEqual(value_of(samples, "depin_provider_uptime_ratio", provider="rw2-only"), 1)
        self.assertGreater(value_of(samples, "depin_provider_confidence", provider="rw2-only"), 0)
        view = self.wait_provider("rw2-only")
        reasons = {c["component"]: c["reason"] for c in view["components"]}
        self.assertTrue(reasons["response_time"].startswith("mean response 0.35s"), reasons)
        self.assertIn("20 jobs", json.dumps(view))
        self.assertGreaterEqual(
            value_of(samples, "depin_sidecar_native_histograms_converted_total", 0), 2)
        self.assertGreaterEqual(value_of(samples, "depin_sidecar_exemplars_received_total", 0), 2)
        self.assertGreaterEqual(value_of(samples, "depin_sidecar_metadata_received_total", 0), 1)

    def test_unknown_proto_is_415(self):
        req = V2Request()
        req.add({"__name__": "up", "provider": "x"}, samples=[(1, now_ms())])
        status, headers, body = post_v2(
            self.sidecar.write_url, req.encode(),
            content_type="application/x-protobuf;proto=io.prometheus.write.v3.Request")
        self.assertEqual(status, 415)
        text = body.decode()
        self.assertIn("io.prometheus.write.v3.Request", text)
        self.assertIn("io.prometheus.write.v2.Request", text)
        self.assertNotIn(WRITTEN[0], headers)

    def test_bad_symbol_references_rejected_good_series_kept(self):
        req = V2Request()
        req.add({"__name__": "up", "provider": "rw2-good"}, samples=[(1, now_ms())])
        req.add(refs=[req.ref("__name__"), req.ref("up"), req.ref("provider"), 999],
                samples=[(1, now_ms())])
        req.add(refs=[req.ref("__name__"), req.ref("up"), req.ref("provider")],
                samples=[(1, now_ms())])
        status, headers, body = post_v2(self.sidecar.write_url, req.encode())
        self.assertEqual(status, 400, body)
        text = body.decode().strip()
        self.assertNotIn("\n", text)
        self.assertIn("dropped 2 of 3 series", text)
        self.assertIn("invalid_symbol_ref: label reference 999 outside the symbols table", text)
        # The partial 4xx still says what was written.
        self.assertEqual(self.written(headers), (1, 0, 0))
        self.assertEqual(self.wait_provider("rw2-good")["reliability"]["uptime_ratio"], 1.0)
        self.assertGreaterEqual(value_of(self.sidecar.metrics(), "depin_sidecar_series_dropped_total",
                                         0, reason="invalid_symbol_ref"), 2)

    def test_first_symbol_must_be_empty(self):
        req = V2Request()
        req.symbols[0] = "oops"
        req.add({"__name__": "up", "provider": "rw2-bad"}, samples=[(1, now_ms())])
        status, headers, body = post_v2(self.sidecar.write_url, req.encode())
        self.assertEqual(status, 400)
        self.assertIn("symbols[0] must be the empty string", body.decode())
        self.assertEqual(self.written(headers), (0, 0, 0))

    def test_counter_created_timestamp_marks_a_reset(self):
        labels = {"__name__": "depin_jobs_completed_total", "provider": "rw2-ct"}
        before = value_of(self.sidecar.metrics(), "depin_sidecar_created_timestamp_zeros_total", 0)
        t = now_ms()
        first = V2Request()
        first.add(labels, samples=[(100, t - 40_000)], created_ms=t - 86_400_000)
        self.assertEqual(post_v2(self.sidecar.write_url, first.encode())[0], 204)
        restarted = V2Request()
        restarted.add(labels, samples=[(150, t)], created_ms=t - 10_000)
        status, headers, _ = post_v2(self.sidecar.write_url, restarted.encode())
        self.assertEqual(status, 204)
        self.assertEqual(self.written(headers), (1, 0, 0))
        after = value_of(self.sidecar.metrics(), "depin_sidecar_created_timestamp_zeros_total", 0)
        self.assertEqual(after - before, 1)

    def test_v1_still_works_without_v2_headers(self):
        status, headers, body = post_write(self.sidecar.write_url,
                                           [series("up", {"provider": "rw1-still"})])
        self.assertEqual(status, 204, body)
        self.assertNotIn(WRITTEN[0], headers)
        self.assertEqual(self.wait_provider("rw1-still")["reliability"]["uptime_ratio"], 1.0)

    def test_invalid_utf8_label_value_dropped_without_protobuf_noise(self):
        # 1.0 by hand: Label{name="provider", value=b"bad\\xff"} among good ones.
        def label(name, value):
            return length_delimited(1, length_delimited(1, name) + length_delimited(2, value))
        sample = length_delimited(2, double(1, 1) + uint(2, now_ms()))
        bad = label(b"__name__", b"up") + label(b"provider", b"bad\xff") + sample
        good = label(b"__name__", b"up") + label(b"provider", b"utf8-ok") + sample
        body = length_delimited(1, bad) + length_delimited(1, good)
        status, _, text = post_write(self.sidecar.write_url, raw_body=snappy.compress(body))
        self.assertEqual(status, 400, text)
        self.assertIn("invalid_utf8", text.decode())
        text.decode("utf-8")  # the message itself is valid UTF-8
        self.assertEqual(self.wait_provider("utf8-ok")["reliability"]["uptime_ratio"], 1.0)
        # libprotobuf's own "invalid UTF-8" line would break the logfmt log.
        self.assertNotIn("UTF-8", self.sidecar.log_text())
        # Same through 2.0: the symbol is bytes on the wire, checked by the sidecar.
        req = V2Request()
        req.add({"__name__": "up", "provider": "rw2-utf8-ok"}, samples=[(1, now_ms())])
        req.series.append(packed(1, [req.ref("__name__"), req.ref("up"), req.ref("provider"),
                                     len(req.symbols)])
                          + length_delimited(2, double(1, 1) + uint(2, now_ms())))
        encoded = req.encode() + length_delimited(4, b"v2-bad\xfe")
        # Symbols must come before series only by convention; protobuf merges.
        status, headers, body = post_v2(self.sidecar.write_url, encoded)
        self.assertEqual(status, 400, body)
        self.assertIn("invalid_utf8", body.decode())
        self.assertEqual(self.written(headers), (1, 0, 0))


if __name__ == "__main__":
    unittest.main()
