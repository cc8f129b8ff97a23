"""Secured endpoints against a real depin-sidecar (DESIGN §10, issue 5):
--web.config.file with TLS and bcrypt basic auth, lifecycle endpoints only
with --web.enable-lifecycle, and reloads (SIGHUP, POST /-/reload) that keep
the running configuration when a file is invalid.

Certificates are made at test time with the openssl command into a
temporary directory; bcrypt hashes with Python's crypt module (libxcrypt)
or, failing that, htpasswd. Nothing secret is committed.
"""

import base64
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import time
import unittest
import warnings

import snappy

from harness import (PROMETHEUS_BIN, SIDECAR_BIN, IntegrationTestCase, PrometheusServer, Sidecar,
                     http_request, log, parse_metrics, value_of)
from remote_write import default_headers, encode_write_request, series

REALM = 'Basic realm="depin-sidecar"'
RELOAD_OK = "depin_sidecar_config_last_reload_successful"
RELOAD_TS = "depin_sidecar_config_last_reload_success_timestamp_seconds"
BCRYPT_COST = 10  # what exporter-toolkit's docs use: ~80 ms per check


# --------------------------------------------------------------------------
# Material made at test time

def openssl(*args, cwd):
    res = subprocess.run(["openssl", *args], cwd=cwd, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=60)
    if res.returncode != 0:
        raise AssertionError("openssl %s failed:\n%s" % (" ".join(args), res.stdout.decode()))


def make_self_signed(workdir, name, cn="127.0.0.1"):
    """name.crt / name.key: a P-256 self-signed certificate for 127.0.0.1."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", name + ".key", "-out", name + ".crt", "-days", "1",
            "-subj", "/CN=" + cn, "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            cwd=workdir)


def make_client_cert(workdir, name, ca):
    """name.crt / name.key signed by ca.crt / ca.key."""
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name,
            cwd=workdir)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
            "-CAcreateserial", "-out", name + ".crt", "-days", "1", cwd=workdir)


def bcrypt_hash(password, cost=BCRYPT_COST):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # deprecated since 3.11, still present; libxcrypt underneath
        h = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << cost))
        if h and h.startswith("$2"):
            return h
    except ImportError:
        pass
    if shutil.which("htpasswd"):
        out = subprocess.run(["htpasswd", "-nbBC", str(cost), "u", password],
                             stdout=subprocess.PIPE, check=True).stdout.decode()
        return out.strip().split(":", 1)[1]
    raise unittest.SkipTest("no bcrypt generator (python crypt module or htpasswd)")


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)  # JSON is YAML


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def write_body(provider="sec-1"):
    return snappy.compress(encode_write_request([series(
        "depin_jobs_completed_total", {"provider": provider, "instance": "i:1", "job": "it"},
        value=3.0)]))


# Any of these means the TLS port refused to talk.
REFUSED = (ssl.SSLError, ConnectionError, http.client.RemoteDisconnected,
           http.client.BadStatusLine, OSError)


# --------------------------------------------------------------------------
# A sidecar behind TLS

class SecureSidecar(Sidecar):
    """depin-sidecar with --web.config.file; talks HTTPS when `tls`."""

    def __init__(self, workdir, web_config_path, client, tls=True, lifecycle=False,
                 credentials=None, name="sidecar"):
        args = ["--web.config.file=" + web_config_path]
        if lifecycle:
            args.append("--web.enable-lifecycle")
        super().__init__(workdir, {"evaluation_interval": "1s"}, extra_args=args, name=name)
        self.web_config_path = web_config_path
        self.client = client  # ssl.SSLContext used for requests
        self.tls = tls
        self.credentials = credentials

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    def request(self, method, path, body=None, headers=None, auth="default", context=None,
                timeout=10):
        """(status, headers with lower-case names, body); auth None sends none."""
        hdrs = dict(headers or {})
        if auth == "default":
            auth = self.credentials
        if isinstance(auth, tuple):
            hdrs["Authorization"] = basic(*auth)
        elif isinstance(auth, str):
            hdrs["Authorization"] = auth
        if self.tls:
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=context or self.client)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError("sidecar exited with %s\n%s" % (
                    self.returncode(), self.log_tail()))
            try:
                status, _, _ = self.request("GET", "/-/ready")
                if status == 200:
                    return self
                last = "HTTP %d" % status
            except REFUSED as e:
                last = repr(e)
            time.sleep(0.2)
        raise AssertionError("sidecar not ready over %s: %s" % (self.url, last))

    def metrics(self):
        status, _, body = self.request("GET", "/metrics")
        if status != 200:
            raise AssertionError("/metrics: HTTP %d: %r" % (status, body[:200]))
        return parse_metrics(body)

    def reload_state(self):
        samples = self.metrics()
        return value_of(samples, RELOAD_OK), value_of(samples, RELOAD_TS)

    def post_write(self, auth="default", body=None):
        return self.request("POST", "/api/v1/write", body=body or write_body(),
                            headers=default_headers(), auth=auth)


class SecurityTest(IntegrationTestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("openssl"):
            raise unittest.SkipTest("openssl command not found")
        cls.dir = cls.class_tmpdir()
        make_self_signed(cls.dir, "server")
        make_self_signed(cls.dir, "client-ca", cn="depin test client CA")
        make_client_cert(cls.dir, "prometheus", "client-ca")
        make_self_signed(cls.dir, "rogue-ca", cn="someone else")
        make_client_cert(cls.dir, "rogue", "rogue-ca")
        cls.alice_hash = bcrypt_hash("alice-pw")
        cls.bob_hash = bcrypt_hash("bob-pw")
        cls.ca = os.path.join(cls.dir, "server.crt")

    def client_context(self, cert=None):
        ctx = ssl.create_default_context(cafile=self.ca)
        if cert:
            ctx.load_cert_chain(os.path.join(self.dir, cert + ".crt"),
                                os.path.join(self.dir, cert + ".key"))
        return ctx

    def web_config(self, name, tls=True, users=None, **tls_extra):
        """Writes a web config next to the certificates (relative paths)."""
        cfg = {}
        if tls:
            cfg["tls_server_config"] = dict({"cert_file": "server.crt", "key_file": "server.key"},
                                            **tls_extra)
        if users is None:
            users = {"alice": self.alice_hash}
        if users:
            cfg["basic_auth_users"] = users
        cfg["http_server_config"] = {"headers": {"X-Content-Type-Options": "nosniff",
                                                 "X-Frame-Options": "deny"}}
        path = os.path.join(self.dir, "web-%s.yml" % name)
        write_json(path, cfg)
        return path

    def start(self, web_config_path, tls=True, lifecycle=False, client=None,
              credentials=("alice", "alice-pw")):
        workdir = self.tmpdir()
        sc = SecureSidecar(workdir, web_config_path, client or self.client_context(), tls=tls,
                           lifecycle=lifecycle, credentials=credentials)
        self.start_process(sc)
        return sc.wait_ready()

    def wait_reload_state(self, sc, ok, timeout=10):
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = sc.reload_state()
            if state[0] == ok:
                return state
            time.sleep(0.1)
        self.fail("%s stayed %r, expected %r\n%s" % (RELOAD_OK, state, ok, sc.log_tail()))

    def hup_and_wait(self, sc, marker):
        """SIGHUP, then waits for one more `marker` line in the log."""
        before = sc.log_text().count(marker)
        os.kill(sc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while sc.log_text().count(marker) == before:
            if time.monotonic() > deadline:
                self.fail("%r not logged after SIGHUP\n%s" % (marker, sc.log_tail()))
            time.sleep(0.1)

    def hup_and_wait_failure(self, sc):
        self.hup_and_wait(
            sc, 'msg="reload failed, keeping the running configuration" trigger=SIGHUP')
        self.assertEqual(sc.reload_state()[0], 0.0)

    def assertUnauthorized(self, got, what):
        status, headers, body = got
        self.assertEqual(status, 401, "%s: expected 401, got %d: %r" % (what, status, body))
        self.assertEqual(headers.get("www-authenticate"), REALM, what)

    # -- TLS + basic auth ---------------------------------------------------

    def test_right_credentials_over_https(self):
        sc = self.start(self.web_config("ok"))
        status, headers, body = sc.request("GET", "/metrics")
        self.assertEqual(status, 200, body[:200])
        self.assertIn(b"depin_sidecar_build_info", body)
        self.assertEqual(headers.get("x-content-type-options"), "nosniff")
        self.assertEqual(headers.get("x-frame-options"), "deny")
        status, _, body = sc.post_write()
        self.assertEqual(status, 204, body)
        samples = sc.metrics()
        self.assertEqual(value_of(samples, RELOAD_OK), 1.0)
        self.assertAlmostEqual(value_of(samples, RELOAD_TS), time.time(), delta=120)
        self.assertEqual(value_of(samples, "depin_sidecar_write_requests_total"), 1.0)
        self.assertIn("tls=true basic_auth=true", sc.log_text())

    def test_wrong_missing_or_malformed_credentials_are_refused(self):
        sc = self.start(self.web_config("refuse", users={"alice": self.alice_hash,
                                                         "bob": self.bob_hash}))
        cases = [("no credentials", None), ("wrong password", ("alice", "bob-pw")),
                 ("empty password", ("alice", "")), ("unknown user", ("carol", "alice-pw")),
                 ("user name case", ("Alice", "alice-pw")),
                 ("malformed header", "Basic not-base64!"), ("other scheme", "Bearer x")]
        for what, auth in cases:
            for method, path, body in (("GET", "/metrics", None), ("GET", "/-/healthy", None),
                                       ("GET", "/no/such/path", None),
                                       ("POST", "/api/v1/write", write_body())):
                got = sc.request(method, path, body=body,
                                 headers=default_headers() if body else None, auth=auth)
                self.assertUnauthorized(got, "%s %s with %s" % (method, path, what))
        # Nothing unauthenticated reached the ingester; the right users still pass.
        self.assertEqual(sc.request("GET", "/metrics", auth=("bob", "bob-pw"))[0], 200)
        samples = sc.metrics()
        self.assertEqual(value_of(samples, "depin_sidecar_write_requests_total", 0.0), 0.0)
        self.assertEqual(sc.post_write()[0], 204)

    def test_real_prometheus_scrapes_and_writes_over_tls_with_basic_auth(self):
        if not os.access(PROMETHEUS_BIN, os.X_OK):
            self.skipTest("prometheus not installed")
        sc = self.start(self.web_config("prometheus"))
        secure = {"basic_auth": {"username": "alice", "password": "alice-pw"},
                  "tls_config": {"ca_file": self.ca}}
        prom = self.start_process(PrometheusServer(self.tmpdir(), {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
            "scrape_configs": [dict({
                "job_name": "sidecar", "scheme": "https",
                "static_configs": [{"targets": ["127.0.0.1:%d" % sc.port],
                                    "labels": {"provider": "sec-prom"}}]}, **secure)],
            "remote_write": [dict({
                "url": "https://127.0.0.1:%d/api/v1/write" % sc.port,
                "write_relabel_configs": [{"source_labels": ["provider"], "regex": ".+",
                                           "action": "keep"}],
                "queue_config": {"batch_send_deadline": "1s"}}, **secure)],
        })).wait_ready()
        deadline = time.monotonic() + 60
        up, written = [], 0.0
        while time.monotonic() < deadline:
            up = prom.instant_query('up{job="sidecar"}')
            written = value_of(sc.metrics(), "depin_sidecar_write_requests_total", 0.0,
                               code="204")
            if up and up[0]["value"][1] == "1" and written > 0:
                break
            time.sleep(0.5)
        self.assertTrue(up and up[0]["value"][1] == "1", "scrape over TLS failed: %r" % up)
        self.assertGreater(written, 0, "no remote-write request stored (204)")
        failed = prom.instant_query("sum(prometheus_remote_storage_samples_failed_total)")
        self.assertEqual(float(failed[0]["value"][1]) if failed else 0.0, 0.0)

    def test_plain_http_to_the_tls_port_fails(self):
        sc = self.start(self.web_config("plain"))
        with self.assertRaises(REFUSED):
            status, _, body = http_request("GET", "http://127.0.0.1:%d/metrics" % sc.port,
                                           headers={"Authorization": basic("alice", "alice-pw")})
            log("plain HTTP got HTTP %d: %r" % (status, body[:100]))
        # An untrusted server certificate is refused by a verifying client.
        with self.assertRaises(ssl.SSLCertVerificationError):
            sc.request("GET", "/metrics", context=ssl.create_default_context())
        self.assertTrue(sc.alive())
        self.assertEqual(sc.request("GET", "/metrics")[0], 200)

    def test_min_version_tls13_refuses_tls12(self):
        sc = self.start(self.web_config("tls13", min_version="TLS13"))
        tls12 = self.client_context()
        tls12.maximum_version = ssl.TLSVersion.TLSv1_2
        with self.assertRaises(REFUSED):
            sc.request("GET", "/metrics", context=tls12)
        self.assertEqual(sc.request("GET", "/metrics")[0], 200)

    def test_client_certificate_required_and_verified(self):
        path = self.web_config("mtls", client_auth_type="RequireAndVerifyClientCert",
                               client_ca_file="client-ca.crt")
        sc = self.start(path, client=self.client_context("prometheus"))
        self.assertEqual(sc.request("GET", "/metrics")[0], 200)
        for what, ctx in (("no client certificate", self.client_context()),
                          ("certificate of another CA", self.client_context("rogue"))):
            with self.assertRaises(REFUSED, msg=what):
                sc.request("GET", "/metrics", context=ctx)
        self.assertTrue(sc.alive())

    def test_invalid_web_config_refuses_to_start(self):
        workdir = self.tmpdir()
        bad = os.path.join(workdir, "web.yml")
        write_json(bad, {"basic_auth_users": {"alice": "plain-text-password"}})
        res = subprocess.run([SIDECAR_BIN, "--web.config.file=" + bad, "--check-config"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        out = res.stdout.decode()
        self.assertEqual(res.returncode, 1, out)
        self.assertIn("basic_auth_users.alice: not a bcrypt hash", out)
        self.assertNotIn("plain-text-password", out)
        res = subprocess.run([SIDECAR_BIN, "--web.config.file=" + self.web_config("check"),
                              "--check-config"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=30)
        self.assertEqual(res.returncode, 0, res.stdout.decode())
        self.assertIn("web configuration is valid", res.stdout.decode())

    # -- reloads --------------------------------------------------------------

    def test_sighup_with_bad_files_keeps_the_running_config(self):
        web = self.web_config("sighup")
        sc = self.start(web)
        ok, ts0 = sc.reload_state()
        self.assertEqual(ok, 1.0)
        with open(sc.config_path) as f:
            good_config = f.read()

        # 1. The sidecar's own config is broken.
        write_json(sc.config_path, {"no_such_key": 1})
        self.hup_and_wait_failure(sc)
        self.assertEqual(sc.reload_state()[1], ts0)
        self.assertIn('level=error msg="reload failed, keeping the running configuration" '
                      'trigger=SIGHUP', sc.log_text())
        self.assertIn("no_such_key", sc.log_text())
        self.assertEqual(sc.post_write()[0], 204)

        # 2. Config fixed, web config broken (bad hash for a new user bob):
        #    nothing of either is applied; alice still in, bob not.
        with open(sc.config_path, "w") as f:
            f.write(good_config)
        write_json(web, {"tls_server_config": {"cert_file": "server.crt",
                                               "key_file": "server.key"},
                         "basic_auth_users": {"alice": self.alice_hash, "bob": "bob-pw"}})
        self.hup_and_wait_failure(sc)
        self.assertIn("basic_auth_users.bob: not a bcrypt hash", sc.log_text())
        self.assertEqual(sc.request("GET", "/metrics")[0], 200)
        self.assertUnauthorized(sc.request("GET", "/metrics", auth=("bob", "bob-pw")), "bob")

        # 3. A web config turning TLS off needs a restart: refused, still HTTPS.
        self.web_config("sighup", tls=False)
        self.hup_and_wait_failure(sc)
        self.assertIn("needs a restart", sc.log_text())
        self.assertEqual(sc.request("GET", "/metrics")[0], 200)

        # 4. Fixed, with bob instead of alice: applied on the next request.
        self.web_config("sighup", users={"bob": self.bob_hash})
        self.hup_and_wait(sc, 'msg="configuration reloaded" trigger=SIGHUP')
        self.assertUnauthorized(sc.request("GET", "/metrics"), "alice after removal")
        sc.credentials = ("bob", "bob-pw")
        ok, ts = sc.reload_state()
        self.assertEqual(ok, 1.0)
        self.assertGreater(ts, ts0)

    def test_reload_endpoint_with_lifecycle(self):
        web = self.web_config("endpoint")
        sc = self.start(web, lifecycle=True)
        status, _, body = sc.request("POST", "/-/reload")
        self.assertEqual(status, 200, body)
        _, ts0 = sc.reload_state()

        write_json(sc.config_path, {"evaluation_interval": "soon"})
        status, _, body = sc.request("POST", "/-/reload")
        self.assertEqual(status, 500, body)
        self.assertIn(b"failed to reload config: config: ", body)
        self.assertIn(b"evaluation_interval", body)
        ok, ts = sc.reload_state()
        self.assertEqual((ok, ts), (0.0, ts0))
        self.assertEqual(sc.post_write()[0], 204)

        write_json(sc.config_path, {"evaluation_interval": "2s"})
        write_json(web, {"tls_server_config": {"cert_file": "server.crt",
                                               "key_file": "missing.key"},
                         "basic_auth_users": {"alice": self.alice_hash}})
        status, _, body = sc.request("PUT", "/-/reload")
        self.assertEqual(status, 500, body)
        self.assertIn(b"tls_server_config.key_file: cannot read", body)
        self.assertEqual(sc.reload_state()[0], 0.0)

        self.web_config("endpoint")
        time.sleep(0.01)
        status, _, body = sc.request("PUT", "/-/reload")
        self.assertEqual(status, 200, body)
        ok, ts = sc.reload_state()
        self.assertEqual(ok, 1.0)
        self.assertGreater(ts, ts0)
        # The endpoint itself is behind basic auth, and GET is not a reload.
        self.assertUnauthorized(sc.request("POST", "/-/reload", auth=None), "reload")
        status, _, body = sc.request("GET", "/-/reload")
        self.assertEqual((status, body.strip()), (405, b"Only POST or PUT requests allowed"))

    def test_reload_rotates_the_certificate(self):
        # Own copies of the files, so the rotation does not touch the others'.
        d = os.path.join(self.tmpdir(), "tls")
        os.makedirs(d)
        make_self_signed(d, "server")
        web = os.path.join(d, "web.yml")
        write_json(web, {"tls_server_config": {"cert_file": "server.crt",
                                               "key_file": "server.key"},
                         "basic_auth_users": {"alice": self.alice_hash}})
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE
        sc = self.start(web, lifecycle=True, client=insecure)

        def served_cert():
            import socket
            with socket.create_connection(("127.0.0.1", sc.port), timeout=5) as raw:
                with insecure.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                    return tls.getpeercert(binary_form=True)

        def file_cert(path):
            with open(path) as f:
                return ssl.PEM_cert_to_DER_cert(f.read())

        before = served_cert()
        self.assertEqual(before, file_cert(os.path.join(d, "server.crt")))
        make_self_signed(d, "server")  # new key and certificate, same paths
        self.assertEqual(served_cert(), before)  # not before a reload
        status, _, body = sc.request("POST", "/-/reload")
        self.assertEqual(status, 200, body)
        after = served_cert()
        self.assertNotEqual(after, before)
        self.assertEqual(after, file_cert(os.path.join(d, "server.crt")))
        self.assertEqual(sc.request("GET", "/metrics")[0], 200)

    # -- lifecycle ------------------------------------------------------------

    def test_lifecycle_endpoints_forbidden_without_the_flag(self):
        sc = self.start(self.web_config("nolifecycle"))
        for method in ("POST", "PUT"):
            for path in ("/-/reload", "/-/quit"):
                status, _, body = sc.request(method, path)
                self.assertEqual((status, body.strip()), (403, b"Lifecycle API is not enabled."),
                                 "%s %s" % (method, path))
        self.assertTrue(sc.alive())
        self.assertEqual(sc.request("GET", "/-/healthy")[0], 200)
        # Same without any web config.
        plain = Sidecar(self.tmpdir(), {})
        self.start_process(plain).wait_ready()
        status, _, body = http_request("POST", plain.url + "/-/quit")
        self.assertEqual((status, body.strip()), (403, b"Lifecycle API is not enabled."))
        self.assertTrue(plain.alive())

    def test_quit_with_lifecycle_stops_with_exit_code_0(self):
        sc = self.start(self.web_config("quit"), lifecycle=True)
        self.assertUnauthorized(sc.request("POST", "/-/quit", auth=None), "quit")
        status, _, body = sc.request("POST", "/-/quit")
        self.assertEqual((status, body.strip()), (200, b"Requesting termination... Goodbye!"))
        try:
            rc = sc.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.fail("sidecar still running 15 s after /-/quit\n" + sc.log_tail())
        self.assertEqual(rc, 0, sc.log_tail())
        self.assertIn("source=/-/quit", sc.log_text())


if __name__ == "__main__":
    unittest.main()
