// Secured endpoints: web config parsing, basic auth against bcrypt, TLS
// context loading and the all-or-nothing reloader. (HTTP itself is covered
// by tests/integration/test_security.py.)
#include <crypt.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "app/flags.h"
#include "app/reloader.h"
#include "server/basic_auth.h"
#include "server/tls_context.h"
#include "server/web_config.h"
#include "server/web_security.h"

namespace depin {
namespace {

namespace fs = std::filesystem;
using server::BasicAuth;
using server::ClientAuth;
using server::IsBcryptHash;
using server::ParseBasicAuthorization;
using server::ParseWebConfig;
using server::TlsVersion;

// A bcrypt hash made here by libxcrypt (cost 4: fast), so no hash of a
// real password is ever committed.
std::string Bcrypt(const std::string& password) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(crypt_gensalt_rn("$2b$", 4, nullptr, 0, setting, sizeof(setting)), nullptr);
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), setting, data.get(), sizeof(crypt_data));
  EXPECT_NE(out, nullptr);
  return out ? out : "";
}

std::string Base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string BasicHeader(const std::string& user, const std::string& password) {
  return "Basic " + Base64(user + ":" + password);
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "depin-server-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& name, const std::string& content) const {
    std::string p = (fs::path(path_) / name).string();
    std::ofstream(p) << content;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A self-signed P-256 certificate and its key, written as PEM.
void WriteCertAndKey(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  ASSERT_NE(cert, nullptr);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  FILE* f = std::fopen(cert_path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  PEM_write_X509(f, cert);
  std::fclose(f);
  f = std::fopen(key_path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
}

// ---------------------------------------------------------------- WebConfig

TEST(WebConfig, EmptyMeansPlainHttpWithoutAuth) {
  for (const char* text : {"", "# nothing\n", "{}"}) {
    auto c = ParseWebConfig(text, "/etc/depin");
    ASSERT_TRUE(c.ok()) << text << ": " << c.status().message();
    EXPECT_FALSE(c->tls);
    EXPECT_TRUE(c->basic_auth.empty());
    EXPECT_TRUE(c->headers.empty());
  }
}

TEST(WebConfig, FullExampleWithPathsRelativeToTheFile) {
  std::string hash = Bcrypt("s3cret");
  auto c = ParseWebConfig(
      "tls_server_config:\n"
      "  cert_file: tls/server.crt\n"
      "  key_file: /abs/server.key\n"
      "  client_auth_type: RequireAndVerifyClientCert\n"
      "  client_ca_file: ../ca.crt\n"
      "  min_version: TLS13\n"
      "basic_auth_users:\n"
      "  prometheus: '" +
          hash +
          "'\n"
          "http_server_config:\n"
          "  http2: false\n"
          "  headers:\n"
          "    X-Frame-Options: deny\n"
          "    Strict-Transport-Security: max-age=31536000\n",
      "/etc/depin");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE(c->tls);
  EXPECT_EQ(c->tls->cert_file, "/etc/depin/tls/server.crt");
  EXPECT_EQ(c->tls->key_file, "/abs/server.key");
  EXPECT_EQ(c->tls->client_ca_file, "/etc/ca.crt");
  EXPECT_EQ(c->tls->client_auth, ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_EQ(c->tls->min_version, TlsVersion::kTls13);
  ASSERT_EQ(c->basic_auth.size(), 1u);
  EXPECT_EQ(c->basic_auth.at("prometheus"), hash);
  EXPECT_EQ(c->headers.at("X-Frame-Options"), "deny");
  EXPECT_EQ(c->headers.size(), 2u);
}

TEST(WebConfig, DefaultsAreNoClientCertAndTls12) {
  auto c = ParseWebConfig("tls_server_config: {cert_file: a.crt, key_file: a.key}", "");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->tls->client_auth, ClientAuth::kNoClientCert);
  EXPECT_EQ(c->tls->min_version, TlsVersion::kTls12);
  EXPECT_EQ(c->tls->cert_file, "a.crt");  // no base directory: unchanged
}

void ExpectError(const std::string& yaml, const std::string& fragment) {
  auto c = ParseWebConfig(yaml, "/d");
  ASSERT_FALSE(c.ok()) << yaml;
  EXPECT_NE(c.status().message().find(fragment), std::string::npos)
      << "message \"" << c.status().message() << "\" lacks \"" << fragment << "\"";
}

TEST(WebConfig, UnknownAndUnsupportedKeysAreErrors) {
  ExpectError("basic_auth: {}", "unknown key \"basic_auth\"");
  ExpectError("tls_server_config: {cert_file: a, key_file: b, certfile: c}",
              "unknown key \"tls_server_config.certfile\"");
  ExpectError("tls_server_config: {cert_file: a, key_file: b, cipher_suites: [X]}",
              "tls_server_config.cipher_suites: not supported");
  ExpectError("http_server_config: {http3: true}", "unknown key \"http_server_config.http3\"");
  ExpectError("- a\n- b\n", "expected a mapping");
  ExpectError("tls_server_config: [", "YAML");
}

TEST(WebConfig, TlsNeedsCertAndKeyAndKnownValues) {
  ExpectError("tls_server_config: {cert_file: a}", "tls_server_config.key_file: required");
  ExpectError("tls_server_config: {key_file: a}", "tls_server_config.cert_file: required");
  ExpectError("tls_server_config: {cert_file: a, key_file: b, client_auth_type: Maybe}",
              "client_auth_type: unknown \"Maybe\"");
  ExpectError(
      "tls_server_config: {cert_file: a, key_file: b, client_auth_type: "
      "RequireAndVerifyClientCert}",
      "client_ca_file: required");
  ExpectError("tls_server_config: {cert_file: a, key_file: b, client_ca_file: ca}",
              "client_auth_type is NoClientCert");
  ExpectError("tls_server_config: {cert_file: a, key_file: b, min_version: TLS11}",
              "TLS11 is not supported");
  ExpectError("tls_server_config: {cert_file: a, key_file: b, min_version: SSL3}",
              "min_version: unknown");
}

TEST(WebConfig, BadBcryptHashIsAnErrorThatDoesNotEchoIt) {
  auto c = ParseWebConfig("basic_auth_users: {alice: hunter2}", "");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("basic_auth_users.alice: not a bcrypt hash"),
            std::string::npos)
      << c.status().message();
  EXPECT_EQ(c.status().message().find("hunter2"), std::string::npos);
  ExpectError("basic_auth_users: {alice: }", "basic_auth_users.alice");
  ExpectError("basic_auth_users: {'a:b': '" + Bcrypt("x") + "'}", "contains ':'");
}

TEST(WebConfig, OnlyExporterToolkitHeadersWithAllowedValues) {
  ExpectError("http_server_config: {headers: {Server: nginx}}", "\"Server\" can not be configured");
  ExpectError("http_server_config: {headers: {X-Frame-Options: allow}}",
              "expected deny or sameorigin");
  ExpectError("http_server_config: {headers: {X-Content-Type-Options: sniff}}", "expected nosniff");
  EXPECT_TRUE(
      ParseWebConfig("http_server_config: {headers: {X-Content-Type-Options: nosniff}}", "").ok());
}

TEST(WebConfig, FileMissingKeyFileIsAnError) {
  TempDir dir;
  dir.File("server.crt", "not read yet");
  std::string path =
      dir.File("web.yml", "tls_server_config: {cert_file: server.crt, key_file: server.key}\n");
  auto c = server::LoadWebConfigFile(path);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("tls_server_config.key_file: cannot read " + dir.path() +
                                      "/server.key"),
            std::string::npos)
      << c.status().message();
  dir.File("server.key", "present");
  EXPECT_TRUE(server::LoadWebConfigFile(path).ok());
  EXPECT_FALSE(server::LoadWebConfigFile(dir.path() + "/absent.yml").ok());
}

TEST(Bcrypt, HashShape) {
  EXPECT_TRUE(IsBcryptHash(Bcrypt("x")));
  EXPECT_TRUE(IsBcryptHash("$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"));
  EXPECT_FALSE(IsBcryptHash("$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeS"));
  EXPECT_FALSE(IsBcryptHash("$2y$03$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"));
  EXPECT_FALSE(IsBcryptHash("$2y$32$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"));
  EXPECT_FALSE(IsBcryptHash("$1$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"));
  EXPECT_FALSE(IsBcryptHash("$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeS!"));
  EXPECT_FALSE(IsBcryptHash("$6$salt$abc"));
}

// ---------------------------------------------------------------- basic auth

TEST(BasicAuthHeader, Parsing) {
  auto c = ParseBasicAuthorization(BasicHeader("alice", "pa:ss word"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "pa:ss word");                            // split at the first ':'
  EXPECT_TRUE(ParseBasicAuthorization("basic " + Base64("a:b")));  // scheme case-insensitive
  EXPECT_TRUE(ParseBasicAuthorization("Basic " + Base64("a:")));   // empty password
  EXPECT_FALSE(ParseBasicAuthorization(""));
  EXPECT_FALSE(ParseBasicAuthorization("Basic"));
  EXPECT_FALSE(ParseBasicAuthorization("Bearer " + Base64("a:b")));
  EXPECT_FALSE(ParseBasicAuthorization("Basic " + Base64("no-colon")));
  EXPECT_FALSE(ParseBasicAuthorization("Basic !!!!"));
  EXPECT_FALSE(
      ParseBasicAuthorization("Basic YWJj"
                              "ZA"));                       // not a multiple of 4
  EXPECT_FALSE(ParseBasicAuthorization("Basic YT1=YjE="));  // padding in the middle
  EXPECT_FALSE(ParseBasicAuthorization("Basic " + Base64(std::string("a:b\0c", 5))));
}

TEST(BasicAuthCheck, RightWrongUnknownMalformed) {
  BasicAuth auth({{"alice", Bcrypt("right")}, {"bob", Bcrypt("other")}});
  ASSERT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.Check(BasicHeader("alice", "right")));
  EXPECT_TRUE(auth.Check(BasicHeader("alice", "right")));  // again (cached)
  EXPECT_TRUE(auth.Check(BasicHeader("bob", "other")));
  EXPECT_FALSE(auth.Check(BasicHeader("alice", "wrong")));
  EXPECT_FALSE(auth.Check(BasicHeader("alice", "other")));  // bob's password
  EXPECT_FALSE(auth.Check(BasicHeader("alice", "righ")));
  EXPECT_FALSE(auth.Check(BasicHeader("alice", "")));
  EXPECT_FALSE(auth.Check(BasicHeader("carol", "right")));  // unknown user
  EXPECT_FALSE(auth.Check(BasicHeader("Alice", "right")));  // user names are exact
  EXPECT_FALSE(auth.Check(""));                             // no header
  EXPECT_FALSE(auth.Check("Basic ###"));
  EXPECT_FALSE(auth.Check("Digest username=\"alice\""));
}

TEST(BasicAuthCheck, WithoutCacheTheSame) {
  BasicAuth auth({{"alice", Bcrypt("right")}}, std::chrono::seconds(0));
  EXPECT_TRUE(auth.Check(BasicHeader("alice", "right")));
  EXPECT_TRUE(auth.Check(BasicHeader("alice", "right")));
  EXPECT_FALSE(auth.Check(BasicHeader("alice", "wrong")));
}

TEST(BasicAuthCheck, NoUsersLetsEverythingThrough) {
  BasicAuth auth({});
  EXPECT_FALSE(auth.enabled());
  EXPECT_TRUE(auth.Check(""));
}

TEST(BasicAuthCheck, VerifyBcryptDirectly) {
  std::string h = Bcrypt("pw");
  EXPECT_TRUE(server::VerifyBcrypt("pw", h));
  EXPECT_FALSE(server::VerifyBcrypt("pw ", h));
  EXPECT_FALSE(server::VerifyBcrypt("pw", "not a hash"));
}

// ---------------------------------------------------------------- TLS

TEST(TlsContextTest, LoadsMatchingCertAndKeyAndNamesTheBadFile) {
  TempDir dir;
  std::string cert = dir.path() + "/a.crt", key = dir.path() + "/a.key";
  std::string cert2 = dir.path() + "/b.crt", key2 = dir.path() + "/b.key";
  WriteCertAndKey(cert, key);
  WriteCertAndKey(cert2, key2);

  server::TlsServerConfig c;
  c.cert_file = cert;
  c.key_file = key;
  auto ok = server::TlsContext::Create(c);
  ASSERT_TRUE(ok.ok()) << ok.status().message();

  c.key_file = key2;  // another certificate's key
  auto mismatch = server::TlsContext::Create(c);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("does not match"), std::string::npos)
      << mismatch.status().message();

  c.key_file = key;
  c.cert_file = dir.File("garbage.crt", "hello\n");
  auto garbage = server::TlsContext::Create(c);
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("cert_file " + c.cert_file), std::string::npos)
      << garbage.status().message();

  c.cert_file = cert;
  c.client_auth = ClientAuth::kRequireAndVerifyClientCert;
  c.client_ca_file = dir.File("empty-ca.crt", "");
  EXPECT_FALSE(server::TlsContext::Create(c).ok());
  c.client_ca_file = cert2;  // any certificate can act as a CA here
  EXPECT_TRUE(server::TlsContext::Create(c).ok());
}

TEST(TlsContextTest, LoadWebSecurityBuildsTheWholeThing) {
  TempDir dir;
  WriteCertAndKey(dir.path() + "/s.crt", dir.path() + "/s.key");
  std::string path = dir.File("web.yml",
                              "tls_server_config: {cert_file: s.crt, key_file: s.key}\n"
                              "basic_auth_users: {u: '" +
                                  Bcrypt("p") + "'}\n");
  auto s = server::LoadWebSecurity(path);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_NE(s.value()->tls, nullptr);
  EXPECT_TRUE(s.value()->auth.Check(BasicHeader("u", "p")));

  auto plain = server::LoadWebSecurity("");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain.value()->tls, nullptr);
  EXPECT_FALSE(plain.value()->auth.enabled());

  dir.File("s.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  auto broken = server::LoadWebSecurity(path);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find(path + ": tls_server_config.key_file"),
            std::string::npos)
      << broken.status().message();
}

// ---------------------------------------------------------------- flags

TEST(SecurityFlags, WebConfigFileAndLifecycle) {
  auto f = app::ParseFlags({"--web.config.file=/etc/web.yml", "--web.enable-lifecycle"});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->web_config_file, "/etc/web.yml");
  EXPECT_TRUE(f->enable_lifecycle);
  auto d = app::ParseFlags({});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->web_config_file, "");
  EXPECT_FALSE(d->enable_lifecycle);
  EXPECT_FALSE(app::ParseFlags({"--web.enable-lifecycle=true"}).ok());
  EXPECT_NE(app::Usage().find("--web.config.file"), std::string::npos);
}

// ---------------------------------------------------------------- reloader

double GaugeValue(prometheus::Registry& registry, const std::string& name) {
  for (const auto& family : registry.Collect()) {
    if (family.name == name) return family.metric.at(0).gauge.value;
  }
  ADD_FAILURE() << name << " not registered";
  return -1;
}

TEST(ReloaderTest, AppliesAllOrNothingAndKeepsPrometheusMetrics) {
  prometheus::Registry registry;
  std::FILE* sink = std::tmpfile();
  Logger log(LogLevel::kError, sink);
  int64_t now = 1'000'000;
  app::Reloader reloader(registry, log, [&now] { return now; });

  bool config_ok = true, web_ok = true;
  int config_applied = 0, web_applied = 0;
  reloader.AddSource("config", [&]() -> Result<app::Reloader::Apply> {
    if (!config_ok) return Status::InvalidArgument("config.yml: unknown key \"x\"");
    return app::Reloader::Apply([&] { ++config_applied; });
  });
  reloader.AddSource("web config", [&]() -> Result<app::Reloader::Apply> {
    if (!web_ok) return Status::InvalidArgument("web.yml: not a bcrypt hash");
    return app::Reloader::Apply([&] { ++web_applied; });
  });
  const std::string ok_metric = "depin_sidecar_config_last_reload_successful";
  const std::string ts_metric = "depin_sidecar_config_last_reload_success_timestamp_seconds";

  reloader.MarkLoaded();
  EXPECT_EQ(GaugeValue(registry, ok_metric), 1);
  EXPECT_EQ(GaugeValue(registry, ts_metric), 1000);

  now = 2'000'000;
  EXPECT_TRUE(reloader.Reload("SIGHUP").ok());
  EXPECT_EQ(config_applied, 1);
  EXPECT_EQ(web_applied, 1);
  EXPECT_EQ(GaugeValue(registry, ts_metric), 2000);

  // The second source is bad: the first is read but not applied either.
  now = 3'000'000;
  web_ok = false;
  Status st = reloader.Reload("/-/reload");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "web config: web.yml: not a bcrypt hash");
  EXPECT_EQ(config_applied, 1);
  EXPECT_EQ(web_applied, 1);
  EXPECT_EQ(GaugeValue(registry, ok_metric), 0);
  EXPECT_EQ(GaugeValue(registry, ts_metric), 2000);

  // The first is bad: the second is not even read.
  web_ok = true;
  config_ok = false;
  EXPECT_FALSE(reloader.Reload("SIGHUP").ok());
  EXPECT_EQ(web_applied, 1);
  EXPECT_EQ(GaugeValue(registry, ok_metric), 0);

  // Fixed: both applied, metrics back.
  config_ok = true;
  now = 4'000'000;
  EXPECT_TRUE(reloader.Reload("SIGHUP").ok());
  EXPECT_EQ(config_applied, 2);
  EXPECT_EQ(web_applied, 2);
  EXPECT_EQ(GaugeValue(registry, ok_metric), 1);
  EXPECT_EQ(GaugeValue(registry, ts_metric), 4000);

  // The failure was logged at level error with its reason.
  std::fflush(sink);
  std::rewind(sink);
  std::string logged;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), sink)) logged += buf;
  std::fclose(sink);
  EXPECT_NE(logged.find("level=error"), std::string::npos) << logged;
  EXPECT_NE(logged.find("trigger=/-/reload"), std::string::npos) << logged;
  EXPECT_NE(logged.find("not a bcrypt hash"), std::string::npos) << logged;
}

}  // namespace
}  // namespace depin
