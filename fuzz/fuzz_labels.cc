// Fuzzes label validation and routing on arbitrary label sets. Input: label
// names and values separated by 0xff bytes (name, value, name, value, ...).
// Checks the promises of ValidateLabels and RouteSeries, not just "no crash".
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "ingest/decode.h"
#include "route/router.h"

namespace {

const depin::route::Router& GetRouter() {
  // A provider rewrite, so RewriteProvider's regex path is fuzzed too.
  static const depin::route::Router router(
      depin::ParseConfig("provider: {regex: \"node-(.*)\", replacement: \"p$1\"}").value());
  return router;
}

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using depin::ingest::LabelProblem;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<depin::route::LabelRef> labels;  // views into the input
  for (bool is_name = true; !input.empty() || !is_name; is_name = !is_name) {
    size_t cut = input.find('\xff');
    std::string_view field = input.substr(0, cut);
    input = cut == std::string_view::npos ? std::string_view() : input.substr(cut + 1);
    if (is_name) {
      labels.push_back({field, {}});
    } else {
      labels.back().value = field;
    }
  }
  const depin::ingest::LabelLimits limits{8, 32, 64};
  LabelProblem problem = depin::ingest::ValidateLabels(labels, limits);
  if (problem != LabelProblem::kOk) return 0;

  // Valid: within limits, names valid and strictly increasing, a __name__.
  Check(!labels.empty() && static_cast<int64_t>(labels.size()) <= limits.max_labels);
  bool has_name = false;
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto& l = labels[i];
    Check(!l.value.empty() && static_cast<int64_t>(l.value.size()) <= limits.max_value_length);
    Check(static_cast<int64_t>(l.name.size()) <= limits.max_name_length);
    if (l.name == "__name__") {
      has_name = true;
      Check(depin::ingest::IsValidMetricName(l.value));
    } else {
      Check(depin::ingest::IsValidLabelName(l.name));
    }
    if (i > 0) Check(labels[i - 1].name < l.name);
  }
  Check(has_name);

  depin::route::Route route = GetRouter().RouteSeries(labels);
  if (route.verdict == depin::route::Verdict::kRouted) {
    Check(!route.provider.empty());
    if (route.role == depin::route::Role::kBucket) Check(!std::isnan(route.le));
  }
  return 0;
}
