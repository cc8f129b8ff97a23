#include "server/web_security.h"

namespace depin::server {

Result<std::shared_ptr<const WebSecurity>> BuildWebSecurity(WebConfig config) {
  std::shared_ptr<const TlsContext> tls;
  if (config.tls) {
    auto ctx = TlsContext::Create(*config.tls);
    if (!ctx.ok()) return ctx.status();
    tls = ctx.value();
  }
  return std::make_shared<const WebSecurity>(std::move(config), std::move(tls));
}

Result<std::shared_ptr<const WebSecurity>> LoadWebSecurity(const std::string& path) {
  if (path.empty()) return BuildWebSecurity(WebConfig{});
  auto config = LoadWebConfigFile(path);
  if (!config.ok()) return config.status();
  auto built = BuildWebSecurity(std::move(config.value()));
  if (!built.ok()) return Status::InvalidArgument(path + ": " + built.status().message());
  return built;
}

}  // namespace depin::server
