// Server: the HTTP face of the sidecar (DESIGN §5). Translates requests to
// the ingest and export units; holds no logic of its own.
#pragma once

#include <prometheus/registry.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "common/cli.h"
#include "common/logger.h"
#include "common/status.h"
#include "export/metrics_cache.h"
#include "ingest/ingester.h"

namespace httplib {
class Server;
}

namespace depin::server {

struct ServerOptions {
  cli::HostPort address;
  int64_t max_body_bytes = 16 << 20;
  std::string version;
};

class HttpServer {
 public:
  // All references must outlive the server.
  HttpServer(ServerOptions options, ingest::Ingester& ingester, exposition::MetricsCache& cache,
             prometheus::Registry& registry, Logger& log);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listening socket; Unavailable when the address is taken.
  Status Bind();
  // Serves until Stop(); call after a successful Bind().
  void Serve();
  // Thread-safe; makes Serve() return.
  void Stop();
  int bound_port() const { return bound_port_; }

 private:
  void Routes();

  ServerOptions options_;
  ingest::Ingester& ingester_;
  exposition::MetricsCache& cache_;
  prometheus::Registry& registry_;
  Logger& log_;
  std::unique_ptr<httplib::Server> http_;
  int bound_port_ = 0;
};

}  // namespace depin::server
