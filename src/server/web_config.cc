#include "server/web_config.h"

#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "config/yaml_reader.h"

namespace depin::server {
namespace {

constexpr std::array<std::pair<std::string_view, ClientAuth>, 5> kClientAuth = {{
    {"NoClientCert", ClientAuth::kNoClientCert},
    {"RequestClientCert", ClientAuth::kRequestClientCert},
    {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
    {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
    {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert},
}};

// exporter-toolkit's keys that this implementation does not offer: named in
// the error instead of a bare "unknown key", so the reader knows why.
constexpr std::array<std::string_view, 6> kUnsupportedTlsKeys = {
    "cert", "key", "cipher_suites", "curve_preferences", "max_version", "client_allowed_sans"};

// The response headers exporter-toolkit lets a web config set, with the
// values allowed (empty: any value).
struct AllowedHeader {
  std::string_view name;
  std::array<std::string_view, 2> values;
};
constexpr std::array<AllowedHeader, 5> kAllowedHeaders = {{
    {"Strict-Transport-Security", {}},
    {"X-Content-Type-Options", {"nosniff", {}}},
    {"X-Frame-Options", {"deny", "sameorigin"}},
    {"X-XSS-Protection", {}},
    {"Content-Security-Policy", {}},
}};

// As exporter-toolkit's config_util.JoinDir: absolute or empty stays as is.
std::string Resolve(const std::string& base_dir, const std::string& file) {
  if (file.empty() || base_dir.empty() || file.front() == '/') return file;
  return (std::filesystem::path(base_dir) / file).lexically_normal().string();
}

Status ParseTls(const YAML::Node& node, const std::string& base_dir, TlsServerConfig* tls) {
  yaml::MapReader r(node, "tls_server_config");
  DEPIN_RETURN_IF_ERROR(r.CheckMap());
  for (std::string_view key : kUnsupportedTlsKeys) {
    if (r.Get(key)) return Status::Unsupported(r.Path(key) + ": not supported by depin-sidecar");
  }
  DEPIN_RETURN_IF_ERROR(yaml::ReadString(r, "cert_file", &tls->cert_file));
  DEPIN_RETURN_IF_ERROR(yaml::ReadString(r, "key_file", &tls->key_file));
  DEPIN_RETURN_IF_ERROR(yaml::ReadString(r, "client_ca_file", &tls->client_ca_file));
  std::string auth = "NoClientCert";
  DEPIN_RETURN_IF_ERROR(yaml::ReadString(r, "client_auth_type", &auth));
  std::string min_version = "TLS12";
  DEPIN_RETURN_IF_ERROR(yaml::ReadString(r, "min_version", &min_version));
  // Go's crypto/tls always prefers the server's order since Go 1.17; accepted
  // so that configs written for exporter-toolkit load, and without effect.
  bool prefer_server = false;
  DEPIN_RETURN_IF_ERROR(yaml::ReadBool(r, "prefer_server_cipher_suites", &prefer_server));
  DEPIN_RETURN_IF_ERROR(r.CheckUnknown());

  if (tls->cert_file.empty()) return Status::InvalidArgument(r.Path("cert_file") + ": required");
  if (tls->key_file.empty()) return Status::InvalidArgument(r.Path("key_file") + ": required");
  bool known = false;
  for (const auto& [name, value] : kClientAuth) {
    if (auth == name) {
      tls->client_auth = value;
      known = true;
    }
  }
  if (!known) {
    return Status::InvalidArgument(r.Path("client_auth_type") + ": unknown \"" + auth +
                                   "\" (NoClientCert, RequestClientCert, RequireAnyClientCert, "
                                   "VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
  }
  bool verifies = tls->client_auth == ClientAuth::kVerifyClientCertIfGiven ||
                  tls->client_auth == ClientAuth::kRequireAndVerifyClientCert;
  if (verifies && tls->client_ca_file.empty()) {
    return Status::InvalidArgument(r.Path("client_ca_file") + ": required by client_auth_type " +
                                   auth);
  }
  if (!tls->client_ca_file.empty() && tls->client_auth == ClientAuth::kNoClientCert) {
    // exporter-toolkit's rule: a CA without a policy is almost surely a mistake.
    return Status::InvalidArgument(r.Path("client_ca_file") +
                                   ": set, but client_auth_type is NoClientCert");
  }
  if (min_version == "TLS12") {
    tls->min_version = TlsVersion::kTls12;
  } else if (min_version == "TLS13") {
    tls->min_version = TlsVersion::kTls13;
  } else if (min_version == "TLS10" || min_version == "TLS11") {
    return Status::Unsupported(r.Path("min_version") + ": " + min_version +
                               " is not supported (TLS12 or TLS13)");
  } else {
    return Status::InvalidArgument(r.Path("min_version") + ": unknown \"" + min_version +
                                   "\" (TLS12 or TLS13)");
  }
  tls->cert_file = Resolve(base_dir, tls->cert_file);
  tls->key_file = Resolve(base_dir, tls->key_file);
  tls->client_ca_file = Resolve(base_dir, tls->client_ca_file);
  return Status::Ok();
}

Status ParseUsers(const YAML::Node& node, std::map<std::string, std::string>* users) {
  if (!node || node.IsNull()) return Status::Ok();
  if (!node.IsMap()) return Status::InvalidArgument("basic_auth_users: expected a mapping");
  for (const auto& kv : node) {
    auto user = kv.first.as<std::string>();
    const std::string path = "basic_auth_users." + user;
    if (user.empty() || user.find(':') != std::string::npos) {
      return Status::InvalidArgument("basic_auth_users: user name \"" + user +
                                     "\" is empty or contains ':'");
    }
    if (!kv.second.IsScalar()) return Status::InvalidArgument(path + ": expected a bcrypt hash");
    auto hash = kv.second.as<std::string>();
    if (!IsBcryptHash(hash)) {
      // The hash itself is not echoed: it may be a plain password pasted by mistake.
      return Status::InvalidArgument(path + ": not a bcrypt hash ($2y$, $2b$ or $2a$, cost " +
                                     "04..31, 60 characters; see docs/security.md)");
    }
    (*users)[user] = hash;
  }
  return Status::Ok();
}

Status ParseHeaders(const YAML::Node& node, std::map<std::string, std::string>* headers) {
  if (!node || node.IsNull()) return Status::Ok();
  if (!node.IsMap())
    return Status::InvalidArgument("http_server_config.headers: expected a mapping");
  for (const auto& kv : node) {
    auto name = kv.first.as<std::string>();
    const std::string path = "http_server_config.headers." + name;
    const AllowedHeader* allowed = nullptr;
    for (const auto& h : kAllowedHeaders) {
      if (h.name == name) allowed = &h;
    }
    if (allowed == nullptr) {
      return Status::InvalidArgument("http_server_config.headers: header \"" + name +
                                     "\" can not be configured");
    }
    if (!kv.second.IsScalar()) return Status::InvalidArgument(path + ": expected a string");
    auto value = kv.second.as<std::string>();
    if (value.find_first_of("\r\n") != std::string::npos || value.find('\0') != std::string::npos) {
      return Status::InvalidArgument(path + ": contains a line break");
    }
    if (!allowed->values[0].empty()) {
      bool ok = false;
      for (std::string_view v : allowed->values) ok = ok || (!v.empty() && v == value);
      if (!ok) {
        std::string expected(allowed->values[0]);
        if (!allowed->values[1].empty()) expected += " or " + std::string(allowed->values[1]);
        std::string msg = path;
        msg.append(": \"").append(value).append("\", expected ").append(expected);
        return Status::InvalidArgument(msg);
      }
    }
    (*headers)[name] = value;
  }
  return Status::Ok();
}

Status ParseHttp(const YAML::Node& node, WebConfig* out) {
  yaml::MapReader r(node, "http_server_config");
  DEPIN_RETURN_IF_ERROR(r.CheckMap());
  // HTTP/2 is not served (cpp-httplib speaks HTTP/1.1); accepted for
  // compatibility with exporter-toolkit files, without effect.
  bool http2 = true;
  DEPIN_RETURN_IF_ERROR(yaml::ReadBool(r, "http2", &http2));
  DEPIN_RETURN_IF_ERROR(ParseHeaders(r.Get("headers"), &out->headers));
  return r.CheckUnknown();
}

Status CheckReadable(const std::string& what, const std::string& file) {
  if (file.empty()) return Status::Ok();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec) || access(file.c_str(), R_OK) != 0) {
    return Status::NotFound(what + ": cannot read " + file);
  }
  return Status::Ok();
}

}  // namespace

bool IsBcryptHash(std::string_view h) {
  if (h.size() != 60 || h[0] != '$' || h[1] != '2' || h[3] != '$' || h[6] != '$') return false;
  if (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') return false;
  if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9') return false;
  int cost = (h[4] - '0') * 10 + (h[5] - '0');
  if (cost < 4 || cost > 31) return false;
  for (char c : h.substr(7)) {
    bool b64 = c == '.' || c == '/' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
               (c >= '0' && c <= '9');
    if (!b64) return false;
  }
  return true;
}

Result<WebConfig> ParseWebConfig(std::string_view yaml_text, const std::string& base_dir) {
  WebConfig out;
  try {
    YAML::Node root = YAML::Load(std::string(yaml_text));
    if (!root || root.IsNull()) return out;  // an empty file: plain HTTP, no auth
    yaml::MapReader r(root, "");
    DEPIN_RETURN_IF_ERROR(r.CheckMap());
    if (YAML::Node tls = r.Get("tls_server_config"); tls && !tls.IsNull()) {
      out.tls.emplace();
      DEPIN_RETURN_IF_ERROR(ParseTls(tls, base_dir, &*out.tls));
    }
    DEPIN_RETURN_IF_ERROR(ParseUsers(r.Get("basic_auth_users"), &out.basic_auth));
    if (YAML::Node http = r.Get("http_server_config"); http && !http.IsNull()) {
      DEPIN_RETURN_IF_ERROR(ParseHttp(http, &out));
    }
    DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("YAML: ") + e.what());
  }
  return out;
}

Result<WebConfig> LoadWebConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read web config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string dir = std::filesystem::path(path).parent_path().string();
  auto r = ParseWebConfig(ss.str(), dir);
  if (!r.ok()) return Status::InvalidArgument(path + ": " + r.status().message());
  if (r->tls) {
    for (const auto& [what, file] :
         {std::pair{"cert_file", r->tls->cert_file}, std::pair{"key_file", r->tls->key_file},
          std::pair{"client_ca_file", r->tls->client_ca_file}}) {
      Status st = CheckReadable(std::string("tls_server_config.") + what, file);
      if (!st.ok()) return Status::NotFound(path + ": " + st.message());
    }
  }
  return r;
}

}  // namespace depin::server
