// Route: decides which signal of which provider a raw series feeds
// (DESIGN §3), or that it is outside the contract.
#pragma once

#include <functional>
#include <memory>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/signal.h"
#include "common/string_hash.h"
#include "config/config.h"

namespace depin::route {

// Which part of a signal a series carries (histograms have three).
enum class Role : uint8_t { kValue, kBucket, kSum, kCount };

struct LabelRef {
  std::string_view name;
  std::string_view value;
};

// The value of label `name` in `labels`, empty when absent.
std::string_view FindLabel(std::span<const LabelRef> labels, std::string_view name);

enum class Verdict : uint8_t {
  kRouted,
  kNotInContract,     // metric or matchers outside the contract: dropped silently
  kMissingProvider,   // in the contract but without a provider label
  kInvalidHistogram,  // a _bucket series without a parseable `le`
};

struct Route {
  Verdict verdict = Verdict::kNotInContract;
  Signal signal = Signal::kUp;
  Role role = Role::kValue;
  double le = 0;  // upper bound, for kBucket
  std::string provider;
  // For the info signal: configured info labels present on the series.
  std::vector<std::pair<std::string, std::string>> attributes;
};

class Router {
 public:
  explicit Router(const Config& config);

  // Routes a series given its labels (already validated, sorted by name).
  Route RouteSeries(std::span<const LabelRef> labels) const;

  // True when `metric` may be in the contract: a cheap pre-filter on __name__.
  bool MayRoute(std::string_view metric) const;

  const std::string& provider_label() const { return provider_label_; }

 private:
  struct Candidate {
    Signal signal;
    Role role;
    const std::vector<std::pair<std::string, std::string>>* match;
  };
  std::string RewriteProvider(std::string_view raw) const;

  // Looked up by string_view without allocating.
  std::unordered_map<std::string, std::vector<Candidate>, StringHash, std::equal_to<>> by_metric_;
  std::array<SignalSource, kSignalCount> sources_;
  std::string provider_label_;
  bool identity_rewrite_ = true;
  std::regex provider_regex_;
  std::string replacement_;
  std::vector<std::string> info_labels_;
};

// Parses a Prometheus `le` value ("0.5", "+Inf"); false when malformed.
bool ParseLe(std::string_view text, double* le);

}  // namespace depin::route
