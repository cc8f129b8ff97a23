#include "durable/windows_status.h"

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/signal.h"

namespace depin::durable {
namespace {

using Json = nlohmann::json;

PlainResponse Error(const std::string& message) {
  return {400, "application/json",
          Json{{"status", "error"}, {"errorType", "bad_data"}, {"error", message}}.dump()};
}

}  // namespace

PlainResponse WindowsStatus(const windows::WindowStore& store, const PlainRequest& request,
                            int64_t now_ms) {
  int64_t at_ms = now_ms;
  if (auto it = request.params.find("time"); it != request.params.end()) {
    char* end = nullptr;
    const double seconds = std::strtod(it->second.c_str(), &end);
    if (it->second.empty() || *end != '\0' || !std::isfinite(seconds) ||
        std::fabs(seconds) > 1e13) {
      return Error("invalid time \"" + it->second + "\": expected Unix seconds");
    }
    at_ms = std::llround(seconds * 1000.0);
  }
  std::string only;
  if (auto it = request.params.find("provider"); it != request.params.end()) only = it->second;

  const std::vector<windows::ProviderView> views = store.Snapshot(at_ms);
  Json providers = Json::array();
  for (const windows::ProviderView& view : views) {
    if (!only.empty() && view.id != only) continue;
    Json signals = Json::object();
    for (int sig = 0; sig < kSignalCount; ++sig) {
      const std::string name(SignalName(static_cast<Signal>(sig)));
      const windows::ScalarView& scalar = view.scalars[sig];
      if (!scalar.empty()) signals[name] = {{"sum", scalar.sum}, {"count", scalar.count}};
      const windows::HistogramView& h = view.histograms[sig];
      if (!h.upper_bounds.empty() || h.count > 0) {
        Json bounds = Json::array();
        for (double le : h.upper_bounds) bounds.push_back(std::isinf(le) ? Json("+Inf") : Json(le));
        signals[name] = {
            {"upper_bounds", bounds}, {"buckets", h.buckets}, {"sum", h.sum}, {"count", h.count}};
      }
    }
    Json attributes = Json::object();
    for (const auto& [k, v] : view.attributes) attributes[k] = v;
    providers.push_back({{"id", view.id}, {"attributes", attributes}, {"signals", signals}});
  }
  Json data{{"time", static_cast<double>(at_ms) / 1000.0}, {"providers", providers}};
  if (!views.empty()) {  // the geometry is the same for every provider
    data["step_seconds"] = static_cast<double>(views.front().step_ms) / 1000.0;
    data["slots"] = views.front().slots;
  }
  return {200, "application/json", Json{{"status", "success"}, {"data", data}}.dump()};
}

}  // namespace depin::durable
