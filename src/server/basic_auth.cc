#include "server/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>

namespace depin::server {
namespace {

constexpr size_t kMaxCacheEntries = 1024;

// Verified against when the user is unknown, so that the answer takes as
// long as for a known user (a bcrypt hash of a random string, cost 10).
constexpr const char* kDummyHash = "$2b$10$.FYqBNGyYqnDRpyDmqMw6eT/aJtbNaC4ikp1nb5tG/9ydH8Ch8v9G";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard alphabet with padding, as RFC 7617 uses; nullopt when malformed.
std::optional<std::string> DecodeBase64(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = in[i + static_cast<size_t>(j)];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;  // data after padding
      v[j] = Base64Value(c);
      if (v[j] < 0) return std::nullopt;
    }
    uint32_t n = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                 (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out.push_back(static_cast<char>((n >> 16) & 0xff));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::optional<Credentials> ParseBasicAuthorization(std::string_view header) {
  constexpr std::string_view kScheme = "Basic ";
  if (header.size() < kScheme.size() || !IEquals(header.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  auto decoded = DecodeBase64(token);
  if (!decoded || decoded->find('\0') != std::string::npos) return std::nullopt;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

bool VerifyBcrypt(const std::string& password, const std::string& hash) {
  // crypt_data is ~32 kB: on the heap, not on an HTTP worker's stack.
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  if (out == nullptr) return false;
  size_t n = std::strlen(out);
  return n == hash.size() && CRYPTO_memcmp(out, hash.data(), n) == 0;
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users, std::chrono::seconds cache_ttl)
    : users_(std::move(users)), cache_ttl_(cache_ttl) {
  if (RAND_bytes(salt_.data(), static_cast<int>(salt_.size())) != 1) {
    cache_ttl_ = std::chrono::seconds(0);  // no randomness: no cache rather than a weak one
  }
}

BasicAuth::Digest BasicAuth::Fingerprint(const Credentials& c) const {
  std::string material(reinterpret_cast<const char*>(salt_.data()), salt_.size());
  material.append(c.user).push_back('\0');
  material.append(c.password);
  Digest d{};
  unsigned int len = 0;
  EVP_Digest(material.data(), material.size(), d.data(), &len, EVP_sha256(), nullptr);
  OPENSSL_cleanse(material.data(), material.size());
  return d;
}

bool BasicAuth::Check(std::string_view authorization) const {
  if (!enabled()) return true;
  auto creds = ParseBasicAuthorization(authorization);
  if (!creds) return false;
  auto user = users_.find(creds->user);
  const bool caching = cache_ttl_.count() > 0;
  Digest key{};
  if (caching && user != users_.end()) {
    key = Fingerprint(*creds);
    std::lock_guard<std::mutex> lock(mu_);
    auto hit = verified_.find(key);
    if (hit != verified_.end()) {
      if (hit->second > std::chrono::steady_clock::now()) return true;
      verified_.erase(hit);
    }
  }
  // Unknown users are verified against a dummy hash, so that response
  // times do not tell which user names exist.
  bool ok = VerifyBcrypt(creds->password, user != users_.end() ? user->second : kDummyHash);
  ok = ok && user != users_.end();
  OPENSSL_cleanse(creds->password.data(), creds->password.size());
  if (ok && caching) {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    if (verified_.size() >= kMaxCacheEntries)
      std::erase_if(verified_, [now](const auto& kv) { return kv.second <= now; });
    if (verified_.size() >= kMaxCacheEntries) verified_.clear();
    verified_[key] = now + cache_ttl_;
  }
  return ok;
}

}  // namespace depin::server
