// Server: the HTTP face of the sidecar (DESIGN §5, §10). Translates requests
// to the ingest and export units; checks basic auth on every request and
// serves TLS as the web config says; holds no other logic.
#pragma once

#include <prometheus/registry.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/cli.h"
#include "common/http_types.h"
#include "common/logger.h"
#include "common/status.h"
#include "export/metrics_cache.h"
#include "ingest/ingester.h"
#include "server/web_security.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace depin::server {

// A long answer written piece by piece (Server-Sent Events). With `next`
// unset, `head` is answered as is; otherwise `head` gives the status and
// content type and `next` appends the next chunk to `out` (it may wait, e.g.
// until an event or a heartbeat) and returns false to end the answer.
struct StreamAnswer {
  PlainResponse head;
  std::function<bool(std::string* out)> next;
};

struct ServerOptions {
  cli::HostPort address;
  int64_t max_body_bytes = 16 << 20;
  std::string version;
  // POST|PUT /-/reload and /-/quit; without it they answer 403.
  bool enable_lifecycle = false;
};

// What /-/reload and /-/quit do (with ServerOptions::enable_lifecycle).
struct LifecycleHandlers {
  std::function<Status()> reload;  // 200 when ok, else 500 with the message
  std::function<void()> quit;      // asks the process to stop; the answer is 200
};

class HttpServer {
 public:
  // All references must outlive the server. `security` (non-null) decides
  // once and for all whether the listener speaks TLS.
  HttpServer(ServerOptions options, std::shared_ptr<const WebSecurity> security,
             ingest::Ingester& ingester, exposition::MetricsCache& cache,
             prometheus::Registry& registry, Logger& log);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Answers GET requests on `path_regex` with a stream; `open` gets the
  // request and its Last-Event-ID header. Each open stream holds a worker
  // thread, so the pool grows by `max_streams` (the caller answers 503 past
  // it) and other requests keep their threads. Call before Serve().
  void MountStream(const std::string& path_regex,
                   std::function<StreamAnswer(const PlainRequest&, const std::string&)> open,
                   int max_streams);

  // Call before Serve(); without it the lifecycle endpoints answer 503.
  void SetLifecycleHandlers(LifecycleHandlers handlers);

  // Replaces Ingester::Write on the remote-write path, e.g. by one that also
  // appends the request to the write-ahead log before it is answered
  // (durable::Durability::Write). Call before Serve().
  using WriteFunction =
      std::function<ingest::WriteOutcome(const ingest::WriteInput&, int64_t now_ms)>;
  void SetWriteFunction(WriteFunction write) { write_ = std::move(write); }

  // Answers GET and POST requests whose path matches `path_regex` with a
  // transport-neutral handler (the JSON API). Call before Serve(); routes
  // registered earlier (remote-write) take precedence.
  void Mount(const std::string& path_regex, std::function<PlainResponse(const PlainRequest&)> handler);

  // A response with its own headers (remote-read needs Content-Encoding).
  struct HeaderedResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;  // Content-Type included
    std::string body;
  };
  // Answers GET and POST requests on `path_regex` (remote-read's
  // /api/v1/read) with headers of the handler's choosing. Call before Serve().
  void MountWithHeaders(const std::string& path_regex,
                        std::function<HeaderedResponse(const PlainRequest&)> handler);

  // Ok when `next` can replace the running web settings; InvalidArgument
  // when it turns TLS on or off, which needs a restart.
  Status CheckSecurity(const WebSecurity& next) const;
  // Users, headers and TLS settings apply from the next request and the next
  // TLS handshake on; connections already open keep their TLS session.
  void SetSecurity(std::shared_ptr<const WebSecurity> next);
  bool tls() const { return tls_; }

  // Binds the listening socket; Unavailable when the address is taken,
  // Internal when the TLS context could not be set up.
  Status Bind();
  // Serves until Stop(); call after a successful Bind().
  void Serve();
  // Thread-safe; makes Serve() return.
  void Stop();
  int bound_port() const { return bound_port_; }

 private:
  void Routes();
  // /-/reload and /-/quit; false for any other path.
  bool HandleLifecycle(const httplib::Request& req, httplib::Response& res);
  std::shared_ptr<const WebSecurity> Security() const;

  ServerOptions options_;
  const bool tls_;
  mutable std::mutex security_mu_;
  std::shared_ptr<const WebSecurity> security_;  // guarded by security_mu_
  TlsContextSource tls_source_;                  // reads security_; outlives http_
  LifecycleHandlers lifecycle_;
  ingest::Ingester& ingester_;
  WriteFunction write_;  // null: ingester_.Write
  exposition::MetricsCache& cache_;
  prometheus::Registry& registry_;
  Logger& log_;
  std::unique_ptr<httplib::Server> http_;
  int bound_port_ = 0;
};

}  // namespace depin::server
