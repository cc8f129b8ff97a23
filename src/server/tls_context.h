// TLS for the HTTP listener: an OpenSSL server context built from a
// TlsServerConfig, and a per-handshake switch so that a reload can replace
// the certificate, key, client CA, client verification and minimum version
// for new connections without a restart (as exporter-toolkit re-reads its
// config on every handshake).
#pragma once

#include <openssl/types.h>

#include <functional>
#include <memory>

#include "common/status.h"
#include "server/web_config.h"

namespace depin::server {

class TlsContext {
 public:
  // Loads the certificate chain, the key (which must match the certificate;
  // encrypted keys are refused, never prompted for) and the client CA file.
  // Errors name the file and OpenSSL's reason.
  static Result<std::shared_ptr<const TlsContext>> Create(const TlsServerConfig& config);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  const TlsServerConfig& config() const { return config_; }

  // Makes the handshake in progress on `ssl` (called from the client-hello
  // callback) use this context's certificate, client CA and verification
  // policy and minimum version. The SSL keeps its own reference.
  void ApplyTo(SSL* ssl) const;

 private:
  TlsContext(SSL_CTX* ctx, TlsServerConfig config) : ctx_(ctx), config_(std::move(config)) {}
  SSL_CTX* ctx_;
  TlsServerConfig config_;
};

// Where each handshake takes its TlsContext from; called on HTTP worker
// threads, so it must be thread-safe and never return null.
using TlsContextSource = std::function<std::shared_ptr<const TlsContext>()>;

// Prepares `base` (the context httplib::SSLServer owns and creates every
// SSL from): no compression, tickets or session cache (every connection
// does a full handshake against the current settings), and a client-hello
// callback that applies `(*source)()`. `source` must outlive `base`.
bool InstallTlsSwitch(SSL_CTX& base, const TlsContextSource* source);

}  // namespace depin::server
