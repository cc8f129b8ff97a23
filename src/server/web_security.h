// The web configuration built for serving: what every request (basic auth,
// headers) and every TLS handshake is checked against. Built whole at start
// and on each reload, then swapped into the server in one step.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "server/basic_auth.h"
#include "server/tls_context.h"
#include "server/web_config.h"

namespace depin::server {

struct WebSecurity {
  WebSecurity(WebConfig c, std::shared_ptr<const TlsContext> t)
      : config(std::move(c)), tls(std::move(t)), auth(config.basic_auth) {}

  WebConfig config;
  std::shared_ptr<const TlsContext> tls;  // null: plain HTTP
  BasicAuth auth;                         // disabled when no user is configured
};

// Builds from a parsed config: loads certificates and keys.
Result<std::shared_ptr<const WebSecurity>> BuildWebSecurity(WebConfig config);

// Reads --web.config.file and builds it; an empty path means plain HTTP
// without authentication. Errors name the file and the key.
Result<std::shared_ptr<const WebSecurity>> LoadWebSecurity(const std::string& path);

}  // namespace depin::server
