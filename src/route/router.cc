#include "route/router.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace depin::route {

bool ParseLe(std::string_view text, double* le) {
  if (text == "+Inf" || text == "Inf" || text == "inf" || text == "+inf") {
    *le = std::numeric_limits<double>::infinity();
    return true;
  }
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *le);
  return ec == std::errc() && ptr == end && !std::isnan(*le);
}

Router::Router(const Config& config)
    : sources_(config.signals),
      provider_label_(config.provider.label),
      identity_rewrite_(config.provider.regex == "(.*)" && config.provider.replacement == "$1"),
      provider_regex_(config.provider.regex, std::regex::ECMAScript | std::regex::optimize),
      replacement_(config.provider.replacement),
      info_labels_(config.provider.info_labels) {
  for (int i = 0; i < kSignalCount; ++i) {
    const SignalSource& src = sources_[i];
    if (!src.enabled) continue;
    auto signal = static_cast<Signal>(i);
    const auto* match = &sources_[i].match;
    if (DefaultKind(signal) == SignalKind::kHistogram) {
      by_metric_[src.metric + "_bucket"].push_back({signal, Role::kBucket, match});
      by_metric_[src.metric + "_sum"].push_back({signal, Role::kSum, match});
      by_metric_[src.metric + "_count"].push_back({signal, Role::kCount, match});
    } else {
      by_metric_[src.metric].push_back({signal, Role::kValue, match});
    }
  }
}

bool Router::MayRoute(std::string_view metric) const {
  return by_metric_.find(metric) != by_metric_.end();
}

std::string Router::RewriteProvider(std::string_view raw) const {
  if (identity_rewrite_) return std::string(raw);
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(raw.begin(), raw.end(), m, provider_regex_)) return std::string(raw);
  std::string out;
  for (size_t i = 0; i < replacement_.size(); ++i) {
    char c = replacement_[i];
    if (c == '$' && i + 1 < replacement_.size() && replacement_[i + 1] >= '0' &&
        replacement_[i + 1] <= '9') {
      size_t group = static_cast<size_t>(replacement_[i + 1] - '0');
      if (group < m.size()) out.append(m[group].first, m[group].second);
      ++i;
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view FindLabel(std::span<const LabelRef> labels, std::string_view name) {
  for (const auto& l : labels) {
    if (l.name == name) return l.value;
  }
  return {};
}

Route Router::RouteSeries(std::span<const LabelRef> labels) const {
  Route route;
  auto it = by_metric_.find(FindLabel(labels, "__name__"));
  if (it == by_metric_.end()) return route;
  const Candidate* chosen = nullptr;
  for (const auto& cand : it->second) {
    bool ok = true;
    for (const auto& [name, value] : *cand.match) ok &= (FindLabel(labels, name) == value);
    if (ok) {
      chosen = &cand;
      break;
    }
  }
  if (chosen == nullptr) return route;
  route.signal = chosen->signal;
  route.role = chosen->role;
  if (route.role == Role::kBucket && !ParseLe(FindLabel(labels, "le"), &route.le)) {
    route.verdict = Verdict::kInvalidHistogram;
    return route;
  }
  std::string_view raw = FindLabel(labels, provider_label_);
  route.provider = raw.empty() ? std::string() : RewriteProvider(raw);
  if (route.provider.empty()) {
    route.verdict = Verdict::kMissingProvider;
    return route;
  }
  if (route.signal == Signal::kInfo) {
    for (const auto& name : info_labels_) {
      std::string_view v = FindLabel(labels, name);
      if (!v.empty()) route.attributes.emplace_back(name, std::string(v));
    }
  }
  route.verdict = Verdict::kRouted;
  return route;
}

}  // namespace depin::route
