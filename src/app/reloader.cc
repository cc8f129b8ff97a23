#include "app/reloader.h"

namespace depin::app {

Reloader::Reloader(prometheus::Registry& registry, Logger& log, std::function<int64_t()> now_ms)
    : log_(log),
      now_ms_(std::move(now_ms)),
      successful_(prometheus::BuildGauge()
                      .Name("depin_sidecar_config_last_reload_successful")
                      .Help("Whether the last configuration reload attempt was successful.")
                      .Register(registry)
                      .Add({})),
      success_timestamp_(prometheus::BuildGauge()
                             .Name("depin_sidecar_config_last_reload_success_timestamp_seconds")
                             .Help("Timestamp of the last successful configuration reload.")
                             .Register(registry)
                             .Add({})) {}

void Reloader::AddSource(std::string name, Prepare prepare) {
  std::lock_guard<std::mutex> lock(mu_);
  sources_.push_back({std::move(name), std::move(prepare)});
}

void Reloader::MarkLoaded() {
  std::lock_guard<std::mutex> lock(mu_);
  successful_.Set(1);
  success_timestamp_.Set(static_cast<double>(now_ms_()) / 1000.0);
}

Status Reloader::Reload(std::string_view trigger) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Apply> steps;
  steps.reserve(sources_.size());
  for (const Source& source : sources_) {
    Result<Apply> prepared = source.prepare();
    if (!prepared.ok()) {
      Status st = Status::InvalidArgument(source.name + ": " + prepared.status().message());
      successful_.Set(0);
      log_.Error("reload failed, keeping the running configuration",
                 {{"trigger", std::string(trigger)}, {"err", st.message()}});
      return st;
    }
    steps.push_back(std::move(prepared.value()));
  }
  for (Apply& apply : steps) apply();
  successful_.Set(1);
  success_timestamp_.Set(static_cast<double>(now_ms_()) / 1000.0);
  log_.Info("configuration reloaded", {{"trigger", std::string(trigger)}});
  return Status::Ok();
}

}  // namespace depin::app
