#include "server/http_server.h"

#include <httplib.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "export/gzip_parts.h"

namespace depin::server {
namespace {

constexpr const char* kTextFormat = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kRealm = "Basic realm=\"depin-sidecar\"";

void Reply(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(message + "\n", "text/plain; charset=utf-8");
}

// A response body made of pieces held elsewhere (the cached /metrics and
// its deflated form), written without copying them into the response.
struct SharedBody {
  std::vector<std::string_view> pieces;
  std::vector<std::shared_ptr<const void>> owners;  // keep the pieces alive
};

void ServeShared(httplib::Response& res, const char* content_type,
                 const std::shared_ptr<const SharedBody>& body) {
  size_t total = 0;
  for (std::string_view piece : body->pieces) total += piece.size();
  res.set_content_provider(total, content_type,
                           [body](size_t offset, size_t length, httplib::DataSink& sink) {
                             for (std::string_view piece : body->pieces) {
                               if (length == 0) break;
                               if (offset >= piece.size()) {
                                 offset -= piece.size();
                                 continue;
                               }
                               const size_t n = std::min(length, piece.size() - offset);
                               if (!sink.write(piece.data() + offset, n)) return false;
                               offset = 0;
                               length -= n;
                             }
                             return true;
                           });
}

bool HasBody(const httplib::Request& req) {
  if (req.has_header("Transfer-Encoding")) return true;
  return req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0";
}

}  // namespace

HttpServer::HttpServer(ServerOptions options, std::shared_ptr<const WebSecurity> security,
                       ingest::Ingester& ingester, exposition::MetricsCache& cache,
                       prometheus::Registry& registry, Logger& log)
    : options_(std::move(options)),
      tls_(security->tls != nullptr),
      security_(std::move(security)),
      tls_source_([this] { return Security()->tls; }),
      ingester_(ingester),
      cache_(cache),
      registry_(registry),
      log_(log) {
  if (tls_) {
    // The base context only installs the switch: each handshake takes the
    // certificate and policy of the web config current at that moment.
    http_ = std::make_unique<httplib::SSLServer>(
        [this](SSL_CTX& ctx) { return InstallTlsSwitch(ctx, &tls_source_); });
  } else {
    http_ = std::make_unique<httplib::Server>();
  }
  Routes();
}

std::shared_ptr<const WebSecurity> HttpServer::Security() const {
  std::lock_guard<std::mutex> lock(security_mu_);
  return security_;
}

Status HttpServer::CheckSecurity(const WebSecurity& next) const {
  if ((next.tls != nullptr) != tls_) {
    return Status::InvalidArgument(std::string("tls_server_config ") +
                                   (tls_ ? "removed" : "added") +
                                   ": switching between HTTP and HTTPS needs a restart");
  }
  return Status::Ok();
}

void HttpServer::SetSecurity(std::shared_ptr<const WebSecurity> next) {
  std::lock_guard<std::mutex> lock(security_mu_);
  security_ = std::move(next);
}

void HttpServer::SetLifecycleHandlers(LifecycleHandlers handlers) {
  lifecycle_ = std::move(handlers);
}

// As Prometheus: POST and PUT only, 403 unless --web.enable-lifecycle.
// Answered before the body is read: `curl -X POST` sends no Content-Length,
// and cpp-httplib would wait for a body until the read timeout.
bool HttpServer::HandleLifecycle(const httplib::Request& req, httplib::Response& res) {
  const bool reload = req.path == "/-/reload";
  if (!reload && req.path != "/-/quit") return false;
  if (HasBody(req)) res.set_header("Connection", "close");  // the body is not read
  if (req.method == "GET" || req.method == "HEAD") {
    Reply(res, 405, "Only POST or PUT requests allowed");
  } else if (req.method != "POST" && req.method != "PUT") {
    Reply(res, 405, "method not allowed");
  } else if (!options_.enable_lifecycle) {
    Reply(res, 403, "Lifecycle API is not enabled.");
  } else if (!(reload ? static_cast<bool>(lifecycle_.reload)
                      : static_cast<bool>(lifecycle_.quit))) {
    Reply(res, 503, "not available yet");
  } else if (reload) {
    Status st = lifecycle_.reload();
    if (st.ok()) {
      res.status = 200;
    } else {
      Reply(res, 500, "failed to reload config: " + st.message());
    }
  } else {
    log_.Warn("received termination request via web service, exiting gracefully");
    lifecycle_.quit();
    Reply(res, 200, "Requesting termination... Goodbye!");
  }
  return true;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Routes() {
  httplib::Server& s = *http_;
  s.set_payload_max_length(static_cast<size_t>(options_.max_body_bytes));
  s.set_keep_alive_max_count(1000);
  s.set_socket_options(cli::SetListenSocketOptions);

  // Checked before the body is read: credentials on every path (as
  // exporter-toolkit), then for writes: a wrong encoding (gzip, br) must
  // never be inflated by the HTTP layer, and an oversized body never buffered.
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    std::shared_ptr<const WebSecurity> security = Security();
    if (security->auth.enabled() && !security->auth.Check(req.get_header_value("Authorization"))) {
      res.set_header("WWW-Authenticate", kRealm);
      if (HasBody(req)) res.set_header("Connection", "close");  // the body is not read
      log_.Debug("unauthorized request", {{"path", req.path}, {"remote", req.remote_addr}});
      Reply(res, 401, "Unauthorized");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (HandleLifecycle(req, res)) return httplib::Server::HandlerResponse::Handled;
    if (req.method != "POST" || req.path != "/api/v1/write")
      return httplib::Server::HandlerResponse::Unhandled;
    std::string encoding = req.get_header_value("Content-Encoding");
    if (encoding != "snappy" && encoding != "SNAPPY") {
      res.set_header("Connection", "close");
      Reply(res, 415, "unsupported Content-Encoding \"" + encoding + "\": expected snappy");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.has_header("Content-Length")) {
      auto length = std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10);
      if (length > static_cast<uint64_t>(options_.max_body_bytes)) {
        res.set_header("Connection", "close");
        Reply(res, 413,
              "body of " + std::to_string(length) + " bytes exceeds the limit of " +
                  std::to_string(options_.max_body_bytes));
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  s.Post("/api/v1/write", [this](const httplib::Request& req, httplib::Response& res) {
    // WriteInput holds views: keep the header strings alive here.
    const std::string content_type = req.get_header_value("Content-Type");
    const std::string content_encoding = req.get_header_value("Content-Encoding");
    ingest::WriteInput in{content_type, content_encoding, req.body};
    ingest::WriteOutcome out = write_ ? write_(in, NowMs()) : ingester_.Write(in, NowMs());
    if (out.remote_write_v2) {  // required by the 2.0 spec, on 2xx and 4xx alike
      res.set_header("X-Prometheus-Remote-Write-Samples-Written",
                     std::to_string(out.samples_written));
      res.set_header("X-Prometheus-Remote-Write-Histograms-Written",
                     std::to_string(out.histograms_written));
      res.set_header("X-Prometheus-Remote-Write-Exemplars-Written",
                     std::to_string(out.exemplars_written));
    }
    if (out.http_status == 204) {
      res.status = 204;
      return;
    }
    if (out.http_status != 400 || out.samples_stored == 0) {
      log_.Debug("remote-write rejected",
                 {{"status", std::to_string(out.http_status)}, {"err", out.message}});
    } else {
      log_.Debug("remote-write partially stored", {{"err", out.message}});
    }
    if (out.retry_after_s > 0) res.set_header("Retry-After", std::to_string(out.retry_after_s));
    Reply(res, out.http_status, out.message);
  });

  // The derived series come from the cache as they are, or deflated once per
  // evaluation for scrapers that accept gzip (Prometheus does); only the
  // small self-metrics tail is built and compressed per scrape.
  s.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    auto self = std::make_shared<const std::string>(
        prometheus::TextSerializer().Serialize(registry_.Collect()));
    auto body = std::make_shared<SharedBody>();
    res.set_header("Vary", "Accept-Encoding");
    if (exposition::AcceptsGzip(req.get_header_value("Accept-Encoding"))) {
      std::shared_ptr<const exposition::DeflatedPrefix> derived = cache_.GetDeflated();
      auto tail = std::make_shared<const std::string>(exposition::FinishGzip(*derived, *self));
      body->pieces = {exposition::GzipHeader(), derived->deflated, *tail};
      body->owners = {derived, tail};
      res.set_header("Content-Encoding", "gzip");
    } else {
      std::shared_ptr<const std::string> derived = cache_.Get();
      body->pieces = {*derived, *self};
      body->owners = {derived, self};
    }
    ServeShared(res, kTextFormat, body);
  });
  s.Get("/-/healthy", [](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, "depin-sidecar is Healthy.");
  });
  s.Get("/-/ready", [](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, "depin-sidecar is Ready.");
  });
  s.Get("/", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html><head><title>depin-sidecar</title></head><body><h1>depin-sidecar " +
                        options_.version +
                        "</h1><p><a href=\"/ui\">Dashboard</a></p>"
                        "<p><a href=\"/metrics\">Metrics</a></p></body></html>\n",
                    "text/html; charset=utf-8");
  });

  // Configured headers (http_server_config.headers) on every answer.
  s.set_post_routing_handler([this](const httplib::Request&, httplib::Response& res) {
    std::shared_ptr<const WebSecurity> security = Security();
    for (const auto& [name, value] : security->config.headers) res.set_header(name, value);
  });

  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    switch (res.status) {
      case 404:
        Reply(res, 404, "not found: " + req.path);
        break;
      case 413:
        Reply(res, 413, "request body exceeds the configured limit");
        break;
      case 415:
        Reply(res, 415, "unsupported content encoding");
        break;
      case 405:
        Reply(res, 405, "method not allowed");
        break;
      default:
        Reply(res, res.status, "request failed");
        break;
    }
  });
  s.set_exception_handler(
      [this](const httplib::Request&, httplib::Response& res, const std::exception_ptr& ep) {
        std::string what = "unknown error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        log_.Error("request handler failed", {{"err", what}});
        Reply(res, 500, "internal error: " + what);
      });
}

void HttpServer::Mount(const std::string& path_regex,
                       std::function<PlainResponse(const PlainRequest&)> handler) {
  auto serve = [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    PlainRequest plain{req.method, req.path, {}, req.body};
    for (const auto& [k, v] : req.params) plain.params.emplace(k, v);
    PlainResponse out = handler(plain);
    res.status = out.status;
    res.set_content(out.body, out.content_type);
  };
  http_->Get(path_regex, serve);
  http_->Post(path_regex, serve);
}

void HttpServer::MountStream(
    const std::string& path_regex,
    std::function<StreamAnswer(const PlainRequest&, const std::string&)> open, int max_streams) {
  const size_t threads =
      CPPHTTPLIB_THREAD_POOL_COUNT + static_cast<size_t>(std::max(0, max_streams));
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->Get(
      path_regex, [open = std::move(open)](const httplib::Request& req, httplib::Response& res) {
        PlainRequest plain{req.method, req.path, {}, req.body};
        for (const auto& [k, v] : req.params) plain.params.emplace(k, v);
        StreamAnswer answer = open(plain, req.get_header_value("Last-Event-ID"));
        res.status = answer.head.status;
        if (!answer.next) {
          res.set_content(answer.head.body, answer.head.content_type);
          return;
        }
        res.set_header("Cache-Control", "no-cache");
        res.set_header("X-Accel-Buffering", "no");
        auto next = std::make_shared<std::function<bool(std::string*)>>(std::move(answer.next));
        res.set_chunked_content_provider(
            answer.head.content_type, [next](size_t, httplib::DataSink& sink) {
              std::string chunk;
              if (!(*next)(&chunk)) {
                if (!chunk.empty()) sink.write(chunk.data(), chunk.size());
                sink.done();
                return true;
              }
              // A failed write (client gone) ends the stream and frees the thread.
              return chunk.empty() || sink.write(chunk.data(), chunk.size());
            });
      });
}

void HttpServer::MountWithHeaders(const std::string& path_regex,
                                  std::function<HeaderedResponse(const PlainRequest&)> handler) {
  auto serve = [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    PlainRequest plain{req.method, req.path, {}, req.body};
    for (const auto& [k, v] : req.params) plain.params.emplace(k, v);
    HeaderedResponse out = handler(plain);
    res.status = out.status;
    for (const auto& [name, value] : out.headers) res.set_header(name, value);
    res.body = std::move(out.body);  // set_content() would copy
  };
  http_->Get(path_regex, serve);
  http_->Post(path_regex, serve);
}

Status HttpServer::Bind() {
  if (!http_->is_valid()) return Status::Internal("cannot set up the TLS context");
  const auto& a = options_.address;
  if (a.port == 0) {
    bound_port_ = http_->bind_to_any_port(a.host);
    if (bound_port_ < 0) return Status::Unavailable("cannot listen on " + a.host);
  } else {
    if (!http_->bind_to_port(a.host, a.port)) {
      return Status::Unavailable("cannot listen on " + a.host + ":" + std::to_string(a.port) +
                                 " (address in use or not permitted)");
    }
    bound_port_ = a.port;
  }
  return Status::Ok();
}

void HttpServer::Serve() { http_->listen_after_bind(); }

void HttpServer::Stop() {
  if (http_) http_->stop();
}

}  // namespace depin::server
