"""Remote-read with real binaries: a real Prometheus scrapes the simulator and
remote-writes to depin-sidecar, and reads the derived series back from the
sidecar by `remote_read` (Prometheus never scrapes the sidecar here, so a
derived series in a PromQL answer can only come from remote-read). The test
also speaks remote-read itself, with a protobuf codec, CRC-32C and XOR chunk
decoder written here independently of the sidecar's code, and restarts the
sidecar on the same --storage.path to show the history survives."""

import os
import struct
import time
import unittest

import snappy

from harness import (SOURCE_DIR, IntegrationTestCase, PrometheusServer, Sidecar, Simulator,
                     fleet_prometheus_config, get_json, http_request, log, select)

FLEET = os.path.join(SOURCE_DIR, "config", "simulator", "ranking.yml")
SERIES = "depin_provider_reputation_score"
READY_TIMEOUT = 180
STREAMED_TYPE = "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse"


# ---- protobuf, by hand ------------------------------------------------------

def varint(n):
    if n < 0:
        n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def field(num, wire, payload):
    if wire == 0:
        return varint(num << 3) + varint(payload)
    return varint((num << 3) | 2) + varint(len(payload)) + payload


def read_request(start_ms, end_ms, matchers, accepted=()):
    """ReadRequest{queries=1: Query{start=1, end=2, matchers=3: LabelMatcher{
    type=1, name=2, value=3}}, accepted_response_types=2}."""
    query = field(1, 0, start_ms) + field(2, 0, end_ms)
    for mtype, name, value in matchers:
        m = (field(1, 0, mtype) if mtype else b"") + field(2, 2, name.encode()) + \
            field(3, 2, value.encode())
        query += field(3, 2, m)
    out = field(1, 2, query)
    for t in accepted:
        out += field(2, 0, t)
    return out


def read_uvarint(buf, pos):
    n = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, pos


def fields(buf):
    """Yields (number, wire type, value) of a message: ints or bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = read_uvarint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, pos = read_uvarint(buf, pos)
        elif wire == 1:
            v = buf[pos:pos + 8]
            pos += 8
        elif wire == 2:
            n, pos = read_uvarint(buf, pos)
            v = buf[pos:pos + n]
            pos += n
        elif wire == 5:
            v = buf[pos:pos + 4]
            pos += 4
        else:
            raise AssertionError("wire type %d" % wire)
        yield num, wire, v


def signed64(n):
    return n - (1 << 64) if n >= 1 << 63 else n


def decode_labels(items):
    labels = {}
    for raw in items:
        name = value = ""
        for num, _, v in fields(raw):
            if num == 1:
                name = v.decode()
            elif num == 2:
                value = v.decode()
        labels[name] = value
    return tuple(sorted(labels.items()))


def decode_read_response(buf):
    """ReadResponse -> [ {labels: [(t, v)]} per query ]."""
    results = []
    for num, _, qr in fields(buf):
        if num != 1:
            continue
        series = {}
        for n2, _, ts in fields(qr):
            if n2 != 1:
                continue
            labels, samples = [], []
            for n3, _, v in fields(ts):
                if n3 == 1:
                    labels.append(v)
                elif n3 == 2:
                    value, t = 0.0, 0
                    for n4, _, sv in fields(v):
                        if n4 == 1:
                            value = struct.unpack("<d", sv)[0]
                        elif n4 == 2:
                            t = signed64(sv)
                    samples.append((t, value))
            series[decode_labels(labels)] = samples
        results.append(series)
    return results


# ---- CRC-32C and XOR chunks, by hand ---------------------------------------

def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


class Bits:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def bit(self):
        b = (self.data[self.pos >> 3] >> (7 - (self.pos & 7))) & 1
        self.pos += 1
        return b

    def bits(self, n):
        v = 0
        for _ in range(n):
            v = (v << 1) | self.bit()
        return v

    def uvarint(self):
        n = shift = 0
        while True:
            b = self.bits(8)
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return n


def decode_xor_chunk(data):
    """Prometheus's XOR chunk: u16 count, then t0 (zigzag varint), v0 (64
    bits), delta t1 (uvarint), then delta-of-delta buckets and XOR'd values."""
    count = struct.unpack(">H", data[:2])[0]
    r = Bits(data[2:])
    out = []
    t = delta = 0
    vbits = 0
    leading = trailing = 0
    for i in range(count):
        if i == 0:
            z = r.uvarint()
            t = (z >> 1) ^ -(z & 1)
            vbits = r.bits(64)
        else:
            if i == 1:
                delta = r.uvarint()
            else:
                prefix = 0
                for _ in range(4):
                    prefix = (prefix << 1) | r.bit()
                    if not prefix & 1:
                        break
                size = {0b0: 0, 0b10: 14, 0b110: 17, 0b1110: 20, 0b1111: 64}[prefix]
                dod = r.bits(size) if size else 0
                if 0 < size < 64 and dod > (1 << (size - 1)):
                    dod -= 1 << size
                elif size == 64:
                    dod = signed64(dod)
                delta += dod
            t += delta
            if r.bit():
                if r.bit():
                    leading = r.bits(5)
                    sig = r.bits(6) or 64
                    trailing = 64 - leading - sig
                sig = 64 - leading - trailing
                vbits ^= r.bits(sig) << trailing
        out.append((t, struct.unpack(">d", vbits.to_bytes(8, "big"))[0]))
    return out


def decode_frames(body):
    """STREAMED_XOR_CHUNKS body -> {labels: [(t, v)]}, checking every CRC."""
    series = {}
    pos = frames = 0
    while pos < len(body):
        n, pos = read_uvarint(body, pos)
        msg = body[pos:pos + n]
        pos += n
        crc = struct.unpack(">I", body[pos:pos + 4])[0]
        pos += 4
        if crc != crc32c(msg):
            raise AssertionError("frame %d: CRC-32C mismatch" % frames)
        frames += 1
        for num, _, cs in fields(msg):
            if num != 1:
                continue
            labels, samples = [], []
            for n2, _, v in fields(cs):
                if n2 == 1:
                    labels.append(v)
                elif n2 == 2:
                    info = {num3: val for num3, _, val in fields(v)}
                    if info.get(3, 0) != 1:
                        raise AssertionError("chunk encoding %r, want XOR" % info.get(3))
                    decoded = decode_xor_chunk(info[4])
                    if decoded[0][0] != signed64(info.get(1, 0)) or \
                            decoded[-1][0] != signed64(info.get(2, 0)):
                        raise AssertionError("chunk min/max time disagree with its samples")
                    samples.extend(decoded)
            series.setdefault(decode_labels(labels), []).extend(samples)
    return series, frames


def remote_read(sidecar, body, accept_streamed):
    accepted = (1, 0) if accept_streamed else ()
    raw = read_request(*body, accepted=accepted)
    return http_request("POST", sidecar.url + "/api/v1/read", snappy.compress(raw), {
        "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
        "X-Prometheus-Remote-Read-Version": "0.1.0"})


def prometheus_config(sim_port, sidecar_port):
    return fleet_prometheus_config(sim_port, sidecar_port, remote_read=True)


SIDECAR_CONFIG = {
    "evaluation_interval": "2s",
    "windows": {"step": "5s", "length": "10m"},
    "confidence": {"min_samples": 4},
}


class RemoteReadTest(IntegrationTestCase):
    def test_prometheus_reads_derived_history_back(self):
        workdir = self.tmpdir()
        data = os.path.join(workdir, "sidecar-data")
        args = ["--storage.path=" + data, "--storage.checkpoint-interval=1h"]
        sim = self.start_process(Simulator(workdir, FLEET, seed=42)).wait_ready()
        sidecar = self.start_process(Sidecar(workdir, SIDECAR_CONFIG, extra_args=args))
        sidecar.wait_ready()
        prom = self.start_process(PrometheusServer(
            workdir, prometheus_config(sim.port, sidecar.port))).wait_ready()
        providers = [p["id"] for p in sim.truth()["providers"]]

        # 1. Wait for a few evaluations with a reputation score for everyone.
        start = time.monotonic()
        while True:
            for p in (sim, sidecar, prom):
                self.assertTrue(p.alive(), "%s exited with %s" % (p.name, p.returncode()))
            scored = {labels.get("provider") for labels, _ in select(sidecar.metrics(), SERIES)}
            if all(p in scored for p in providers):
                break
            if time.monotonic() - start > READY_TIMEOUT:
                self.fail("after %d s, providers without %s: %s" % (
                    READY_TIMEOUT, SERIES, sorted(set(providers) - scored)))
            time.sleep(2)
        time.sleep(12)
        t_end = int(time.time() * 1000) - 3000
        t_start = t_end - 10 * 60 * 1000
        query = (t_start, t_end, [(0, "__name__", SERIES)])

        # 2. SAMPLES, asked by this test.
        status, headers, body = remote_read(sidecar, query, accept_streamed=False)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("Content-Encoding", headers.get("content-encoding")),
                         "snappy")
        samples = decode_read_response(snappy.uncompress(body))[0]
        self.assertEqual(sorted(dict(l)["provider"] for l in samples), sorted(providers))
        for labels, points in samples.items():
            self.assertGreaterEqual(len(points), 4, labels)
            ts = [t for t, _ in points]
            self.assertEqual(ts, sorted(set(ts)), labels)
            self.assertTrue(all(t_start <= t <= t_end for t in ts), labels)
        log("SAMPLES: %d series, %d samples" % (
            len(samples), sum(len(p) for p in samples.values())))

        # 3. STREAMED_XOR_CHUNKS: the same samples, from chunks cut whole.
        status, headers, body = remote_read(sidecar, query, accept_streamed=True)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("Content-Type", headers.get("content-type")),
                         STREAMED_TYPE)
        chunked, frames = decode_frames(body)
        self.assertEqual(frames, len(samples))
        in_range = {l: [(t, v) for t, v in pts if t_start <= t <= t_end]
                    for l, pts in chunked.items()}
        self.assertEqual(in_range, samples)

        # 4. Through Prometheus's own PromQL: the series is not scraped, so
        # this is remote-read; the count over the window matches the sidecar.
        counts = prom.instant_query("count_over_time(%s[10m])" % SERIES, time=t_end / 1000.0)
        got = {r["metric"].get("provider"): int(float(r["value"][1])) for r in counts}
        want = {dict(l)["provider"]: len([t for t, _ in pts if t > t_end - 600000])
                for l, pts in samples.items()}
        self.assertEqual(got, want)
        last = prom.instant_query(SERIES, time=t_end / 1000.0)
        self.assertEqual(sorted(r["metric"]["provider"] for r in last), sorted(providers))
        for r in last:
            key = tuple(sorted(r["metric"].items()))
            self.assertEqual(float(r["value"][1]), samples[key][-1][1], key)
        # Bad input gets a 400 with a message, and the sidecar lives on.
        status, _, body = http_request("POST", sidecar.url + "/api/v1/read", b"garbage",
                                       {"Content-Encoding": "snappy"})
        self.assertEqual(status, 400, body)
        status, _, body = remote_read(sidecar, (t_start, t_end, [(2, "provider", "(")]), False)
        self.assertEqual(status, 400, body)
        self.assertIn(b"regular expression", body)

        # 5. Restart on the same --storage.path: the history is still served.
        self.assertEqual(sidecar.stop(), 0, sidecar.log_tail())
        self.assertTrue(os.path.exists(os.path.join(data, "derived.store")))
        again = self.start_process(Sidecar(workdir, SIDECAR_CONFIG, port=sidecar.port,
                                           extra_args=args, name="sidecar-restarted"))
        again.wait_ready()
        self.assertIn("derived-series store loaded", again.log_text())
        status, _, body = remote_read(again, query, accept_streamed=False)
        self.assertEqual(status, 200, body)
        self.assertEqual(decode_read_response(snappy.uncompress(body))[0], samples)
        counts = prom.instant_query("count_over_time(%s[10m])" % SERIES, time=t_end / 1000.0)
        self.assertEqual(
            {r["metric"].get("provider"): int(float(r["value"][1])) for r in counts}, want)

    def test_history_older_than_prometheus_own_data(self):
        """The production set-up: Prometheus keeps a short retention, scrapes
        the sidecar, and remote-reads with read_recent: false, so it asks the
        sidecar only for times before its own oldest sample. A Prometheus
        started after the sidecar has derived history answers PromQL at
        times it never stored, from the sidecar alone."""
        workdir = self.tmpdir()
        data = os.path.join(workdir, "sidecar-data")
        sim = self.start_process(Simulator(workdir, FLEET, seed=42)).wait_ready()
        sidecar = self.start_process(Sidecar(
            workdir, SIDECAR_CONFIG, extra_args=["--storage.path=" + data])).wait_ready()
        feeder = self.start_process(PrometheusServer(
            workdir, fleet_prometheus_config(sim.port, sidecar.port), name="feeder")).wait_ready()
        providers = sorted(p["id"] for p in sim.truth()["providers"])
        start = time.monotonic()
        while sorted({l.get("provider") for l, _ in select(sidecar.metrics(), SERIES)}) \
                != providers:
            self.assertLess(time.monotonic() - start, READY_TIMEOUT, "providers never scored")
            time.sleep(2)
        time.sleep(10)
        t_old = time.time() - 4  # derived history the sidecar holds

        # The archive Prometheus starts now: nothing it stores is older than this.
        time.sleep(2)
        archive = self.start_process(PrometheusServer(workdir, {
            "global": {"scrape_interval": "2s", "scrape_timeout": "1s"},
            "scrape_configs": [{"job_name": "depin-sidecar", "static_configs": [
                {"targets": ["127.0.0.1:%d" % sidecar.port]}]}],
            "remote_read": [{"url": sidecar.url + "/api/v1/read", "read_recent": False,
                             "remote_timeout": "10s"}],
        }, name="archive", extra_args=["--storage.tsdb.retention.time=2h"])).wait_ready()
        start = time.monotonic()
        while not archive.instant_query('%s{job="depin-sidecar"}' % SERIES):
            self.assertLess(time.monotonic() - start, 60, "archive never scraped the sidecar")
            time.sleep(1)
        head = get_json(archive.url + "/api/v1/status/tsdb")["data"]["headStats"]
        self.assertGreater(head["minTime"] / 1000.0, t_old, head)  # it never stored t_old

        # PromQL at t_old: served by remote-read from the sidecar only.
        got = {r["metric"]["provider"]: float(r["value"][1])
               for r in archive.instant_query(SERIES, time=t_old)}
        self.assertEqual(sorted(got), providers)
        t_ms = int(t_old * 1000)
        status, _, body = remote_read(sidecar, (t_ms - 300000, t_ms, [(0, "__name__", SERIES)]),
                                      accept_streamed=False)
        self.assertEqual(status, 200, body)
        want = {dict(l)["provider"]: pts[-1][1]
                for l, pts in decode_read_response(snappy.uncompress(body))[0].items()}
        self.assertEqual(got, want)
        # A range across the boundary joins remote (before) and local (after).
        older = archive.instant_query("count_over_time(%s[10m])" % SERIES, time=t_old)
        self.assertTrue(all(int(float(r["value"][1])) >= 4 for r in older), older)
        log("archive Prometheus (head from %.1f s after t_old) answered %d providers at t_old "
            "from the sidecar" % (head["minTime"] / 1000.0 - t_old, len(got)))
        feeder.stop()


if __name__ == "__main__":
    unittest.main()
