// The versioned JSON API (DESIGN §9): routes /api/v1/... requests to the
// pure answers in providers.h, recommend.h and allocate.h. HTTP-free: the
// server hands in method, path, query and body and sends back the Response.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/allocate.h"
#include "api/providers.h"
#include "api/recommend.h"
#include "common/http_types.h"
#include "evaluate/evaluator.h"

namespace depin::api {

using Request = PlainRequest;
using Response = PlainResponse;

struct ApiSources {
  std::function<std::shared_ptr<const evaluate::Evaluation>()> latest;
  std::function<std::vector<analytics::AuditRecord>(std::string_view provider)> audit;
};

struct RouterLimits {
  ApiLimits listing;
  RecommendLimits recommend;
  AllocationLimits allocation;
  size_t max_body_bytes = 1 << 20;
};

class ApiRouter {
 public:
  ApiRouter(ApiSources sources, RouterLimits limits);
  // True when `path` belongs to the API (and not to remote-write/read).
  static bool Owns(std::string_view path);
  // Errors are {"error": "..."} with 400, 404, 405, 413 or 503 (no evaluation yet).
  Response Handle(const Request& request) const;

 private:
  ApiSources sources_;
  RouterLimits limits_;
};

}  // namespace depin::api
