"""Bad input against a real depin-sidecar: each malformed remote-write request
gets its status and a one-line message, the process stays up, and a good
request right after is stored."""

import os
import random
import time
import unittest

import snappy

from harness import IntegrationTestCase, Sidecar, http_get, value_of, select
from remote_write import (encode_write_request, encode_timeseries, length_delimited,
                          now_ms, post_write, series, varint)

MAX_BODY = 65536
MAX_DECOMPRESSED = 262144

CONTRACT_METRIC = "depin_jobs_completed_total"


def good_series(provider="good-1", value=1.0):
    return series(CONTRACT_METRIC, {"provider": provider, "instance": "sim:1", "job": "it"},
                  value=value)


class BadInputTest(IntegrationTestCase):
    @classmethod
    def setUpClass(cls):
        workdir = cls.class_tmpdir()
        cls.sidecar = Sidecar(workdir, {
            "evaluation_interval": "1s",
            "limits": {"max_body_bytes": MAX_BODY,
                       "max_decompressed_bytes": MAX_DECOMPRESSED},
        })
        cls.start_class_process(cls.sidecar)
        cls.sidecar.wait_ready()

    @classmethod
    def tearDownClass(cls):
        # Graceful shutdown after all that: exit code 0 on SIGTERM.
        rc = cls.sidecar.stop()
        if rc != 0:
            raise AssertionError("sidecar exit code %s on SIGTERM\n%s" % (
                rc, cls.sidecar.log_tail()))

    def tearDown(self):
        # After every case, bad or not, the sidecar is up and healthy.
        self.assertTrue(self.sidecar.alive(),
                        "sidecar exited with %s" % self.sidecar.returncode())
        status, _, _ = http_get(self.sidecar.url + "/-/healthy")
        self.assertEqual(status, 200)

    # -- helpers ----------------------------------------------------------

    def post(self, series_list=None, **kw):
        return post_write(self.sidecar.write_url, series_list, **kw)

    def assertError(self, got, status, contains=None):
        code, headers, body = got
        self.assertEqual(code, status, "expected HTTP %d, got %d: %r" % (status, code, body))
        text = body.decode("utf-8", "replace")
        self.assertTrue(text.strip(), "error body is empty (HTTP %d)" % code)
        self.assertNotIn("\n", text.strip(), "error body is not one line: %r" % text)
        if contains:
            self.assertIn(contains.lower(), text.lower())
        return text.strip()

    def wait_metric(self, predicate, what, timeout=20):
        """Polls the sidecar's /metrics (rendered once per evaluation)."""
        deadline = time.monotonic() + timeout
        samples = []
        while time.monotonic() < deadline:
            samples = self.sidecar.metrics()
            if predicate(samples):
                return samples
            time.sleep(0.5)
        self.fail("timed out waiting for %s; self metrics: %s" % (what, [
            (n, l, v) for n, l, v in samples if n.startswith("depin_sidecar_")]))

    def received(self):
        return value_of(self.sidecar.metrics(), "depin_sidecar_samples_received_total", 0.0)

    # -- content type / encoding -----------------------------------------

    def test_wrong_content_type_is_415(self):
        self.assertError(self.post([good_series()], headers={"Content-Type": "application/json"}),
                         415)

    def test_missing_content_type_is_415(self):
        self.assertError(self.post([good_series()], headers={"Content-Type": None}), 415)

    def test_wrong_content_encoding_is_415(self):
        self.assertError(self.post([good_series()], headers={"Content-Encoding": "gzip"}), 415)

    # -- body framing -----------------------------------------------------

    def test_not_snappy_is_400(self):
        # 0xff... is an invalid varint length header for the block format.
        self.assertError(self.post(raw_body=b"\xff" * 16 + b"this is not snappy"), 400)

    def test_truncated_snappy_is_400(self):
        body = snappy.compress(encode_write_request([good_series()]))
        self.assertError(self.post(raw_body=body[: len(body) // 2]), 400)

    def test_garbage_protobuf_is_400(self):
        # Valid snappy around bytes that are no WriteRequest: field 1 with
        # wire type 2 claiming far more bytes than there are.
        garbage = b"\x0a\xff\xff\x03" + b"\x01\x02\x03"
        self.assertError(self.post(raw_body=snappy.compress(garbage)), 400)

    def test_body_over_limit_is_413(self):
        body = snappy.compress(os.urandom(MAX_BODY + 4096))  # incompressible
        self.assertGreater(len(body), MAX_BODY)
        self.assertError(self.post(raw_body=body), 413)

    def test_decompressed_size_over_limit_is_413(self):
        # The snappy block header claims 1 GB; the body is tiny. The sidecar
        # must refuse from the header, before allocating.
        body = varint(1 << 30) + b"\x00\x01\x02\x03"
        self.assertError(self.post(raw_body=body), 413)
        body = varint(MAX_DECOMPRESSED + 1) + b"\x00\x01\x02\x03"
        self.assertError(self.post(raw_body=body), 413)

    # -- per-series problems ------------------------------------------------

    def test_unsorted_labels_dropped_good_series_kept(self):
        before = self.received()
        unsorted = ([("__name__", CONTRACT_METRIC), ("provider", "bad-unsorted"),
                     ("instance", "sim:1")], [(1.0, now_ms())])
        good = good_series("good-unsorted", 7.0)
        msg = self.assertError(self.post([unsorted, good]), 400)
        self.assertTrue(msg)
        self.wait_metric(
            lambda s: value_of(s, "depin_sidecar_samples_received_total", 0.0) > before and
            select(s, "depin_sidecar_series_dropped_total", reason="unsorted_labels"),
            "samples_received_total to increase and series_dropped_total{reason=unsorted_labels}")

    def test_duplicate_label_is_400(self):
        dup = ([("__name__", CONTRACT_METRIC), ("provider", "p-dup"), ("provider", "p-dup2")],
               [(1.0, now_ms())])
        self.assertError(self.post([dup, good_series("good-dup")]), 400)
        self.wait_metric(
            lambda s: select(s, "depin_sidecar_series_dropped_total", reason="duplicate_label"),
            "series_dropped_total{reason=duplicate_label}")

    def test_missing_metric_name_is_400(self):
        noname = ({"provider": "p-noname", "job": "it"}, [(1.0, now_ms())])
        self.assertError(self.post([noname]), 400)

    def test_empty_label_name_is_400(self):
        empty = ([("__name__", CONTRACT_METRIC), ("", "x"), ("provider", "p-empty")],
                 [(1.0, now_ms())])
        self.assertError(self.post([empty]), 400)

    def test_invalid_label_name_is_400(self):
        bad = ([("__name__", CONTRACT_METRIC), ("0bad-name", "x"), ("provider", "p-inv")],
               [(1.0, now_ms())])
        self.assertError(self.post([bad]), 400)

    def test_missing_provider_is_400(self):
        noprov = series(CONTRACT_METRIC, {"instance": "sim:1", "job": "it"})
        self.assertError(self.post([noprov, good_series("good-noprov")]), 400)
        self.wait_metric(
            lambda s: select(s, "depin_sidecar_series_dropped_total", reason="missing_provider"),
            "series_dropped_total{reason=missing_provider}")

    def test_non_contract_metric_is_204(self):
        status, _, body = self.post([series("some_other_metric", {"provider": "p1"}),
                                     series("some_other_metric", {"foo": "bar"})])
        self.assertEqual(status, 204, body)

    def test_empty_body_is_not_5xx(self):
        status, _, body = self.post(raw_body=b"")
        self.assertLess(status, 500, body)
        status, _, body = self.post([])  # a valid, empty WriteRequest
        self.assertIn(status, (200, 204), body)

    def test_random_garbage_never_5xx(self):
        rng = random.Random(20240613)
        valid = encode_write_request([good_series("fuzz-%d" % i) for i in range(5)])
        for i in range(50):
            kind = i % 5
            if kind == 0:  # random bytes
                body = rng.randbytes(rng.randint(1, 2000))
            elif kind == 1:  # snappy of random bytes
                body = snappy.compress(rng.randbytes(rng.randint(1, 2000)))
            elif kind == 2:  # snappy of a valid request with bytes flipped
                b = bytearray(valid)
                for _ in range(rng.randint(1, 8)):
                    b[rng.randrange(len(b))] = rng.randrange(256)
                body = snappy.compress(bytes(b))
            elif kind == 3:  # snappy of a truncated valid request
                body = snappy.compress(valid[: rng.randrange(1, len(valid))])
            else:  # a compressed valid request with bytes flipped
                b = bytearray(snappy.compress(valid))
                for _ in range(rng.randint(1, 4)):
                    b[rng.randrange(len(b))] = rng.randrange(256)
                body = bytes(b)
            status, _, text = self.post(raw_body=body)
            self.assertLess(status, 500, "case %d (kind %d): HTTP %d %r" % (i, kind, status, text))
            self.assertTrue(self.sidecar.alive(), "sidecar died on garbage case %d" % i)
            if status >= 400:
                self.assertTrue(text.strip(), "case %d: empty error body" % i)
                self.assertNotIn(b"\n", text.strip(), "case %d: multi-line body" % i)

    def test_zz_good_request_after_bad_ones_is_stored(self):
        # Runs last (alphabetical order): one more bad request, then a good one.
        self.assertError(self.post(raw_body=b"\xff" * 16 + b"garbage"), 400)
        before = self.received()
        status, _, body = self.post([good_series("good-after", 3.0),
                                     series("up", {"provider": "good-after"})])
        self.assertEqual(status, 204, body)
        self.wait_metric(
            lambda s: value_of(s, "depin_sidecar_samples_received_total", 0.0) >= before + 2,
            "samples_received_total to count the good request")


if __name__ == "__main__":
    unittest.main()
