#include "forward/remote_client.h"

#include <httplib.h>

#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "forward/retry.h"

namespace depin::forward {
namespace {

// A secret from a file, without the trailing newline editors add.
Result<std::string> ReadSecret(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    for (int k = 3; k >= 0; --k) out.push_back(kAlphabet[(v >> (6 * k)) & 63]);
  }
  if (i + 1 == in.size()) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<RemoteClient>> RemoteClient::Create(const RemoteWriteConfig& config,
                                                           const std::string& user_agent) {
  const size_t scheme_end = config.url.find("://");
  if (scheme_end == std::string::npos) {
    return Status::InvalidArgument("remote_write url " + config.url + ": no scheme");
  }
  const std::string scheme = config.url.substr(0, scheme_end);
  const size_t path_start = config.url.find('/', scheme_end + 3);
  std::string authority = config.url.substr(scheme_end + 3, path_start == std::string::npos
                                                                ? std::string::npos
                                                                : path_start - scheme_end - 3);
  if (authority.empty() || authority.find('@') != std::string::npos) {
    return Status::InvalidArgument("remote_write url " + config.url +
                                   ": needs a host (credentials go in basic_auth)");
  }
  for (const std::string* file :
       {&config.tls_ca_file, &config.tls_cert_file, &config.tls_key_file}) {
    if (!file->empty() && !std::ifstream(*file)) return Status::NotFound("cannot read " + *file);
  }
  std::unique_ptr<RemoteClient> client(new RemoteClient());
  client->path_ = path_start == std::string::npos ? "/" : config.url.substr(path_start);
  client->user_agent_ = user_agent;

  // server_name: connect to the URL's host but name (SNI, verification)
  // server_name, by mapping that name to the URL's host.
  std::string host = authority, port;
  if (size_t colon = authority.rfind(':');
      colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon);
  }
  const std::string connect_as =
      config.tls_server_name.empty() ? authority : config.tls_server_name + port;
  const std::string base = scheme + "://" + connect_as;
  client->http_ =
      config.tls_cert_file.empty()
          ? std::make_unique<httplib::Client>(base)
          : std::make_unique<httplib::Client>(base, config.tls_cert_file, config.tls_key_file);
  if (!client->http_->is_valid()) {
    return Status::InvalidArgument("remote_write url " + config.url +
                                   ": unsupported scheme or unusable TLS client certificate");
  }
  if (!config.tls_server_name.empty()) {
    client->http_->set_hostname_addr_map({{config.tls_server_name, host}});
  }
  const time_t sec = config.remote_timeout_ms / 1000;
  const time_t usec = (config.remote_timeout_ms % 1000) * 1000;
  client->http_->set_connection_timeout(sec, usec);
  client->http_->set_read_timeout(sec, usec);
  client->http_->set_write_timeout(sec, usec);
  client->http_->set_keep_alive(true);
  if (scheme == "https") {
    if (!config.tls_ca_file.empty()) client->http_->set_ca_cert_path(config.tls_ca_file);
    client->http_->enable_server_certificate_verification(!config.tls_insecure_skip_verify);
  }

  std::string password = config.basic_auth_password;
  if (!config.basic_auth_password_file.empty()) {
    auto secret = ReadSecret(config.basic_auth_password_file);
    if (!secret.ok()) return secret.status();
    password = secret.value();
  }
  if (!config.basic_auth_username.empty() || !password.empty()) {
    client->authorization_ = "Basic " + Base64(config.basic_auth_username + ":" + password);
  }
  std::string credentials = config.authorization_credentials;
  if (!config.authorization_credentials_file.empty()) {
    auto secret = ReadSecret(config.authorization_credentials_file);
    if (!secret.ok()) return secret.status();
    credentials = secret.value();
  }
  if (!credentials.empty()) client->authorization_ = config.authorization_type + " " + credentials;
  return client;
}

RemoteClient::~RemoteClient() = default;

SendResult RemoteClient::Send(const std::string& body) {
  httplib::Headers headers = {
      {"Content-Encoding", "snappy"},
      {"X-Prometheus-Remote-Write-Version", "0.1.0"},
      {"User-Agent", user_agent_},
  };
  if (!authorization_.empty()) headers.emplace("Authorization", authorization_);
  SendResult out;
  auto res = http_->Post(path_, headers, body, "application/x-protobuf");
  if (!res) {
    out.error = httplib::to_string(res.error());
    return out;
  }
  out.status = res->status;
  if (res->has_header("Retry-After")) {
    out.retry_after_ms = ParseRetryAfter(res->get_header_value("Retry-After"), NowMs());
  }
  if (out.status < 200 || out.status >= 300) out.error = res->body.substr(0, 256);
  return out;
}

}  // namespace depin::forward
