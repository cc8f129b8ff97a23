#include "api/router.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace depin::api {
namespace {

using Json = nlohmann::json;

Response Error(int status, const std::string& message) {
  return {status, "application/json", Json{{"error", message}}.dump()};
}

Response FromStatus(const Status& st) {
  switch (st.code()) {
    case Status::Code::kNotFound:
      return Error(404, st.message());
    case Status::Code::kTooLarge:
      return Error(413, st.message());
    default:
      return Error(400, st.message());
  }
}

Json NumberOrNull(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

std::string NetworkJson(const analytics::Scoreboard& board) {
  Json tiers = Json::object();
  for (int t = 0; t < analytics::kTierCount; ++t) {
    tiers[std::string(analytics::TierName(t))] = board.providers_per_tier[t];
  }
  Json regions = Json::array();
  for (const auto& r : board.network.regions) {
    Json exhaustion = nullptr;
    for (const auto& [name, seconds] : board.exhaustion_seconds) {
      if (name == r.name) exhaustion = NumberOrNull(seconds);
    }
    regions.push_back({{"region", r.name},
                       {"providers", r.providers},
                       {"providers_down", r.down},
                       {"gpus_total", r.gpus_total},
                       {"gpus_allocated", r.gpus_allocated},
                       {"correlated_failure", r.correlated_failure},
                       {"capacity_exhaustion_seconds", exhaustion}});
  }
  Json models = Json::array();
  for (const auto& m : board.network.gpu_models) {
    models.push_back({{"gpu_model", m.name},
                      {"providers", m.providers},
                      {"gpus_total", m.gpus_total},
                      {"gpus_allocated", m.gpus_allocated}});
  }
  return Json{{"providers", board.providers.size()},
              {"scored", board.scored},
              {"tiers", std::move(tiers)},
              {"regions", std::move(regions)},
              {"gpu_models", std::move(models)}}
      .dump();
}

std::string AuditJson(const std::vector<analytics::AuditRecord>& records) {
  Json list = Json::array();
  for (const auto& r : records) {
    list.push_back({{"timestamp_ms", r.timestamp_ms},
                    {"kind", r.kind},
                    {"rule", r.rule},
                    {"before", r.before},
                    {"after", r.after},
                    {"inputs", r.inputs}});
  }
  return Json{{"records", std::move(list)}}.dump();
}

}  // namespace

ApiRouter::ApiRouter(ApiSources sources, RouterLimits limits)
    : sources_(std::move(sources)), limits_(limits) {}

bool ApiRouter::Owns(std::string_view path) {
  return path.rfind("/api/v1/", 0) == 0 && path != "/api/v1/write" && path != "/api/v1/read";
}

Response ApiRouter::Handle(const Request& req) const {
  if (req.body.size() > limits_.max_body_bytes) {
    return Error(413,
                 "body exceeds the limit of " + std::to_string(limits_.max_body_bytes) + " bytes");
  }
  const std::string_view path =
      std::string_view(req.path).substr(std::string_view("/api/v1/").size());
  const bool get = req.method == "GET";
  const bool post = req.method == "POST";
  auto latest = sources_.latest ? sources_.latest() : nullptr;
  if (latest == nullptr) return Error(503, "no evaluation yet; retry after the first one");
  const analytics::Scoreboard& board = latest->board;

  if (path == "providers" || path == "rankings") {
    if (!get) return Error(405, "use GET");
    QueryParams params = req.params;
    bool csv = false;
    if (path == "rankings") {
      auto format = params.find("format");
      if (format != params.end()) {
        if (format->second != "csv" && format->second != "json") {
          return Error(400, "parameter \"format\": csv or json");
        }
        csv = format->second == "csv";
        params.erase(format);
      }
    }
    auto filter = ParseProviderFilter(params, limits_.listing);
    if (!filter.ok()) return FromStatus(filter.status());
    if (csv) return {200, "text/csv; charset=utf-8", RankingsCsv(board, filter.value())};
    return {200, "application/json", ProvidersJson(board, filter.value())};
  }
  if (path.rfind("providers/", 0) == 0) {
    if (!get) return Error(405, "use GET");
    std::string_view rest = path.substr(std::string_view("providers/").size());
    const bool audit = rest.size() > 6 && rest.substr(rest.size() - 6) == "/audit";
    if (audit) rest.remove_suffix(6);
    if (rest.empty() || rest.find('/') != std::string_view::npos) return Error(404, "not found");
    if (!req.params.empty()) return Error(400, "no parameters expected");
    auto detail = ProviderJson(board, rest, latest->config);
    if (!detail.ok()) return FromStatus(detail.status());
    if (audit) return {200, "application/json", AuditJson(sources_.audit(rest))};
    return {200, "application/json", detail.value()};
  }
  if (path == "network") {
    if (!get) return Error(405, "use GET");
    return {200, "application/json", NetworkJson(board)};
  }
  if (path == "recommendations") {
    if (!post) return Error(405, "use POST with a JSON job spec");
    auto job = ParseJobSpec(req.body, limits_.recommend);
    if (!job.ok()) return FromStatus(job.status());
    return {200, "application/json",
            RecommendationsJson(Recommend(board, job.value()), job.value())};
  }
  if (path == "allocations") {
    if (!post) return Error(405, "use POST with {\"jobs\": [...]}");
    auto jobs = ParseAllocationRequest(req.body, limits_.allocation);
    if (!jobs.ok()) return FromStatus(jobs.status());
    auto result = Allocate(board, jobs.value(), limits_.allocation);
    if (!result.ok()) return FromStatus(result.status());
    return {200, "application/json", AllocationJson(result.value())};
  }
  return Error(404, "no such API endpoint: " + req.path);
}

}  // namespace depin::api
