// The --web.config.file format of Prometheus's exporter-toolkit: TLS, basic
// auth with bcrypt hashes and extra response headers (DESIGN §10).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace depin::server {

// Which client certificates a TLS listener asks for and how it checks them
// (the names of Go's tls.ClientAuthType, as exporter-toolkit spells them).
enum class ClientAuth {
  kNoClientCert,
  kRequestClientCert,           // asked for, not required, not verified
  kRequireAnyClientCert,        // required, not verified
  kVerifyClientCertIfGiven,     // not required, verified against client_ca_file when sent
  kRequireAndVerifyClientCert,  // required and verified against client_ca_file
};

enum class TlsVersion { kTls12, kTls13 };

struct TlsServerConfig {
  std::string cert_file;  // absolute: resolved against the web config's directory
  std::string key_file;
  std::string client_ca_file;  // empty: none
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  TlsVersion min_version = TlsVersion::kTls12;
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;             // absent: plain HTTP
  std::map<std::string, std::string> basic_auth;  // user -> bcrypt hash; empty: no auth
  std::map<std::string, std::string> headers;     // added to every response
};

// Parses the YAML text of a web config. Strict: unknown keys, wrong types,
// a tls_server_config without cert_file or key_file, a malformed bcrypt hash
// and headers exporter-toolkit does not allow are errors naming the key.
// Relative file names are resolved against `base_dir`. Reads no files.
Result<WebConfig> ParseWebConfig(std::string_view yaml_text, const std::string& base_dir);

// Reads and parses `path`, then checks that every file it names is readable.
Result<WebConfig> LoadWebConfigFile(const std::string& path);

// True for a bcrypt hash as htpasswd and crypt(3) write it:
// $2a$, $2b$ or $2y$, a cost of 04..31, 53 characters of bcrypt base64.
bool IsBcryptHash(std::string_view hash);

}  // namespace depin::server
