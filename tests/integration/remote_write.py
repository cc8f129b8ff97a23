"""A minimal Prometheus remote-write 1.0 client for the integration tests.

The protobuf encoder is written by hand on purpose (it does not use the
project's .proto files nor generated code), so the tests check the sidecar
against the wire format itself:

    WriteRequest { repeated TimeSeries timeseries = 1; }
    TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
    Label        { string name = 1; string value = 2; }
    Sample       { double value = 1; int64 timestamp = 2; }

Labels are encoded in the order given, so tests can send unsorted or
duplicated labels on purpose.
"""

import struct
import time

import snappy  # Debian's python3-snappy: snappy.compress is the block format

from harness import http_request

CONTENT_TYPE = "application/x-protobuf"
CONTENT_ENCODING = "snappy"
RW_VERSION = "0.1.0"

WIRE_VARINT = 0
WIRE_FIXED64 = 1
WIRE_LEN = 2


def varint(n):
    """Base-128 varint; negative int64 values are encoded as 10 bytes."""
    if n < 0:
        n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field, wire_type):
    return varint((field << 3) | wire_type)


def length_delimited(field, payload):
    return key(field, WIRE_LEN) + varint(len(payload)) + payload


def encode_label(name, value):
    out = b""
    if name:
        out += length_delimited(1, name.encode("utf-8"))
    if value:
        out += length_delimited(2, value.encode("utf-8"))
    return out


def encode_sample(value, timestamp_ms):
    out = key(1, WIRE_FIXED64) + struct.pack("<d", float(value))
    if timestamp_ms:
        out += key(2, WIRE_VARINT) + varint(int(timestamp_ms))
    return out


def label_pairs(labels):
    """A dict becomes sorted (name, value) pairs; a list is kept as given."""
    if isinstance(labels, dict):
        return sorted(labels.items())
    return list(labels)


def encode_timeseries(labels, samples):
    out = b""
    for name, value in label_pairs(labels):
        out += length_delimited(1, encode_label(name, value))
    for value, ts in samples:
        out += length_delimited(2, encode_sample(value, ts))
    return out


def encode_write_request(series):
    """series: iterable of (labels, samples); samples: [(value, ts_ms), ...]."""
    out = b""
    for labels, samples in series:
        out += length_delimited(1, encode_timeseries(labels, samples))
    return out


def now_ms():
    return int(time.time() * 1000)


def series(metric, labels=None, value=1.0, ts=None):
    """One series with one sample; labels (dict) get __name__ added, sorted."""
    all_labels = {"__name__": metric}
    all_labels.update(labels or {})
    return (all_labels, [(value, ts if ts is not None else now_ms())])


def default_headers():
    return {
        "Content-Type": CONTENT_TYPE,
        "Content-Encoding": CONTENT_ENCODING,
        "X-Prometheus-Remote-Write-Version": RW_VERSION,
        "User-Agent": "depin-integration-test/1.0",
    }


def post_write(url, series_list=None, headers=None, raw_body=None, timeout=10):
    """POSTs a WriteRequest; returns (status, headers, body).

    headers replaces the default headers when given (a value of None removes
    a header). raw_body, when given, is sent as is instead of the encoded
    and compressed series_list.
    """
    hdrs = default_headers()
    if headers is not None:
        for k, v in headers.items():
            if v is None:
                hdrs.pop(k, None)
            else:
                hdrs[k] = v
    if raw_body is None:
        raw_body = snappy.compress(encode_write_request(series_list or []))
    return http_request("POST", url, body=raw_body, headers=hdrs, timeout=timeout)
