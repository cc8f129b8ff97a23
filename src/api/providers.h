// The provider side of the JSON API (DESIGN §9): filtered, sorted, paged
// listings, one provider's breakdown with plain-words reasons, and a CSV
// export of the rankings. Pure functions of a Scoreboard; HTTP lives in server.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "analytics/scoreboard.h"
#include "common/status.h"
#include "config/config.h"

namespace depin::api {

using QueryParams = std::multimap<std::string, std::string>;

struct ProviderFilter {
  std::optional<std::string> region;
  std::optional<std::string> gpu_model;
  std::optional<int> min_tier;  // 0..4
  std::optional<double> min_score;
  std::string sort = "rank";  // rank, reputation, performance, price, confidence, id
  bool descending = false;    // for "rank": false = best first
  int limit = 100;
  int offset = 0;
};

struct ApiLimits {
  int max_page_size = 1000;
};

// Parses ?region=&gpu_model=&tier=&min_score=&sort=&order=asc|desc&limit=&offset=.
// Unknown parameters, repeated ones and bad values are errors naming them.
Result<ProviderFilter> ParseProviderFilter(const QueryParams& params, const ApiLimits& limits);

// {"total": N, "offset":, "limit":, "providers": [...]} of the scored
// providers that pass the filter.
std::string ProvidersJson(const analytics::Scoreboard& board, const ProviderFilter& filter);

// One provider with every score component, its weight, its input and a
// reason in plain words; NotFound for an unknown provider.
Result<std::string> ProviderJson(const analytics::Scoreboard& board, std::string_view id,
                                 const Config& config);

// The filtered rankings as CSV with a header line.
std::string RankingsCsv(const analytics::Scoreboard& board, const ProviderFilter& filter);

// Helpers shared with the recommendations.
std::string Attribute(const analytics::ProviderFacts& f, std::string_view name);
std::optional<double> FailureRatio(const analytics::ProviderFacts& f);
std::optional<double> FreeGpus(const analytics::ProviderFacts& f);

}  // namespace depin::api
