#include "server/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>

namespace depin::server {
namespace {

constexpr unsigned char kSessionIdContext[] = "depin-sidecar";

// The reason of the most recent OpenSSL error ("no start line", "key values
// mismatch"), and clears the queue.
std::string OpenSslReason() {
  unsigned long last = 0;
  while (unsigned long e = ERR_get_error()) last = e;
  if (last == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(last);
  if (reason != nullptr) return reason;
  char buf[256];
  ERR_error_string_n(last, buf, sizeof(buf));
  return buf;
}

// Never prompts on the terminal for a passphrase: an encrypted key fails.
int NoPassword(char*, int, int, void*) { return 0; }

// For RequestClientCert and RequireAnyClientCert: a certificate is asked
// for (or required) but not verified, as Go's tls package does.
int AcceptAny(int, X509_STORE_CTX*) { return 1; }

int VerifyMode(ClientAuth a) {
  switch (a) {
    case ClientAuth::kNoClientCert:
      return SSL_VERIFY_NONE;
    case ClientAuth::kRequestClientCert:
    case ClientAuth::kVerifyClientCertIfGiven:
      return SSL_VERIFY_PEER;
    case ClientAuth::kRequireAnyClientCert:
    case ClientAuth::kRequireAndVerifyClientCert:
      return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  return SSL_VERIFY_NONE;
}

SSL_verify_cb VerifyCallback(ClientAuth a) {
  bool verifies =
      a == ClientAuth::kVerifyClientCertIfGiven || a == ClientAuth::kRequireAndVerifyClientCert;
  return verifies ? nullptr : AcceptAny;
}

int MinVersion(TlsVersion v) { return v == TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION; }

void BaseOptions(SSL_CTX* ctx) {
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof(kSessionIdContext) - 1);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

Status Configure(SSL_CTX* ctx, const TlsServerConfig& c) {
  BaseOptions(ctx);
  SSL_CTX_set_min_proto_version(ctx, MinVersion(c.min_version));
  SSL_CTX_set_default_passwd_cb(ctx, NoPassword);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, c.cert_file.c_str()) != 1) {
    return Status::InvalidArgument("tls_server_config.cert_file " + c.cert_file + ": " +
                                   OpenSslReason());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, c.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    std::string reason = OpenSslReason();
    if (reason == "key values mismatch") reason = "does not match cert_file " + c.cert_file;
    return Status::InvalidArgument("tls_server_config.key_file " + c.key_file + ": " + reason);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Status::InvalidArgument("tls_server_config.key_file " + c.key_file +
                                   " does not match cert_file " + c.cert_file + ": " +
                                   OpenSslReason());
  }
  if (!c.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, c.client_ca_file.c_str(), nullptr) != 1) {
      return Status::InvalidArgument("tls_server_config.client_ca_file " + c.client_ca_file + ": " +
                                     OpenSslReason());
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(c.client_ca_file.c_str());
    if (names == nullptr) {
      return Status::InvalidArgument("tls_server_config.client_ca_file " + c.client_ca_file +
                                     ": no certificate found");
    }
    SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
  }
  SSL_CTX_set_verify(ctx, VerifyMode(c.client_auth), VerifyCallback(c.client_auth));
  return Status::Ok();
}

int OnClientHello(SSL* ssl, int* alert, void* arg) {
  const auto* source = static_cast<const TlsContextSource*>(arg);
  std::shared_ptr<const TlsContext> current = (*source)();
  if (!current) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  current->ApplyTo(ssl);
  return SSL_CLIENT_HELLO_SUCCESS;
}

}  // namespace

Result<std::shared_ptr<const TlsContext>> TlsContext::Create(const TlsServerConfig& config) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Status::Internal("SSL_CTX_new: " + OpenSslReason());
  Status st = Configure(ctx, config);
  if (!st.ok()) {
    SSL_CTX_free(ctx);
    return st;
  }
  return std::shared_ptr<const TlsContext>(new TlsContext(ctx, config));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

void TlsContext::ApplyTo(SSL* ssl) const {
  // Takes the certificate, key, CA store and CA names of ctx_ (and a
  // reference to it); verification mode and versions were copied from the
  // base context when the SSL was created, so they are set here too.
  SSL_set_SSL_CTX(ssl, ctx_);
  SSL_set_verify(ssl, VerifyMode(config_.client_auth), VerifyCallback(config_.client_auth));
  SSL_set_min_proto_version(ssl, MinVersion(config_.min_version));
}

bool InstallTlsSwitch(SSL_CTX& base, const TlsContextSource* source) {
  BaseOptions(&base);
  SSL_CTX_set_client_hello_cb(&base, OnClientHello, const_cast<TlsContextSource*>(source));
  return true;
}

}  // namespace depin::server
