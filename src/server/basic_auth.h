// HTTP basic authentication against bcrypt hashes, as exporter-toolkit's
// basic_auth_users (RFC 7617).
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace depin::server {

struct Credentials {
  std::string user;
  std::string password;
};

// Parses an Authorization header value "Basic base64(user:password)"; the
// scheme is case-insensitive, the password is everything after the first
// ':'. nullopt for any other scheme, bad base64, no ':' or a NUL byte.
std::optional<Credentials> ParseBasicAuthorization(std::string_view header);

// True when crypt(3) of `password` with `hash` as setting gives `hash`,
// compared in constant time. Costs one bcrypt computation (2^cost rounds:
// about 80 ms at cost 10 on one core).
bool VerifyBcrypt(const std::string& password, const std::string& hash);

class BasicAuth {
 public:
  // `users`: user name -> bcrypt hash (validated by the web config parser).
  explicit BasicAuth(std::map<std::string, std::string> users,
                     std::chrono::seconds cache_ttl = std::chrono::seconds(60));
  BasicAuth(const BasicAuth&) = delete;
  BasicAuth& operator=(const BasicAuth&) = delete;

  // False when no user is configured: every request is let through.
  bool enabled() const { return !users_.empty(); }

  // True when `authorization` (the header value) names a configured user
  // with the right password. Thread-safe. An unknown user costs the same
  // bcrypt computation as a known one. A success is remembered for
  // `cache_ttl` under a salted SHA-256 of the credentials (never the
  // password itself), so a client sending the same credentials on every
  // request pays bcrypt about once per TTL; failures are never remembered.
  bool Check(std::string_view authorization) const;

 private:
  using Digest = std::array<unsigned char, 32>;
  Digest Fingerprint(const Credentials& c) const;

  std::map<std::string, std::string> users_;
  std::chrono::seconds cache_ttl_;
  std::array<unsigned char, 32> salt_{};  // random per instance (per load)
  mutable std::mutex mu_;
  mutable std::map<Digest, std::chrono::steady_clock::time_point> verified_;  // -> expiry
};

}  // namespace depin::server
