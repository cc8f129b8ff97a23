#include "evaluate/evaluator.h"

#include <chrono>

#include "analytics/scoreboard.h"
#include "common/clock.h"
#include "common/self_metrics.h"
#include "export/render.h"
#include "store/store_sink.h"

namespace depin::evaluate {

Evaluator::Evaluator(const Config& config, windows::WindowStore& store,
                     exposition::MetricsCache& cache, prometheus::Registry& registry, Logger& log)
    : config_(config),
      state_(config),
      store_(store),
      cache_(cache),
      log_(log),
      evaluations_(UnlabelledCounter(registry, "depin_sidecar_evaluations_total",
                                     "Evaluations of the analytics completed.")),
      duration_(UnlabelledGauge(registry, "depin_sidecar_evaluation_duration_seconds",
                                "Duration of the last evaluation, rendering and compression "
                                "included.")),
      phase_family_(prometheus::BuildGauge()
                        .Name("depin_sidecar_evaluation_phase_duration_seconds")
                        .Help("Duration of each phase of the last evaluation: snapshot (copy "
                              "of the windows), analytics, render (/metrics body), derived "
                              "(derived store and listeners), deflate (/metrics body for gzip "
                              "scrapes, 0 without them).")
                        .Register(registry)),
      phase_snapshot_(phase_family_.Add({{"phase", "snapshot"}})),
      phase_analytics_(phase_family_.Add({{"phase", "analytics"}})),
      phase_render_(phase_family_.Add({{"phase", "render"}})),
      phase_derived_(phase_family_.Add({{"phase", "derived"}})),
      phase_deflate_(phase_family_.Add({{"phase", "deflate"}})),
      interval_(UnlabelledGauge(registry, "depin_sidecar_evaluation_interval_seconds",
                                "Configured evaluation interval.")),
      last_timestamp_(UnlabelledGauge(registry, "depin_sidecar_last_evaluation_timestamp_seconds",
                                      "Unix time of the last completed evaluation.")),
      active_providers_(UnlabelledGauge(registry, "depin_sidecar_active_providers",
                                        "Providers with data in the window.")),
      scored_providers_(UnlabelledGauge(registry, "depin_sidecar_scored_providers",
                                        "Providers with enough data to be scored.")),
      active_series_(UnlabelledGauge(registry, "depin_sidecar_active_series",
                                     "Raw series tracked by the windows.")),
      window_bytes_(UnlabelledGauge(registry, "depin_sidecar_window_bytes",
                                    "Bytes held by window ring buffers.")),
      metrics_bytes_(UnlabelledGauge(registry, "depin_sidecar_metrics_bytes",
                                     "Size of the derived part of the /metrics body.")),
      audit_records_(UnlabelledCounter(registry, "depin_sidecar_audit_records_total",
                                       "Audit records of score, tier and penalty changes.")) {}

Evaluator::~Evaluator() { Stop(); }

void Evaluator::EvaluateOnce(int64_t now_ms) {
  auto start = std::chrono::steady_clock::now();
  auto lap = start;
  // Sets `phase` to the time since the previous lap.
  auto time_phase = [&lap](prometheus::Gauge& phase) {
    const auto now = std::chrono::steady_clock::now();
    phase.Set(std::chrono::duration<double>(now - lap).count());
    lap = now;
  };
  std::lock_guard<std::mutex> lock(eval_mu_);
  store_.Snapshot(now_ms, &views_);
  time_phase(phase_snapshot_);
  const std::vector<windows::ProviderView>& views = views_;
  analytics::Scoreboard board = analytics::ComputeScoreboard(views, config_, now_ms, state_);
  time_phase(phase_analytics_);
  std::string body = exposition::RenderScoreboard(board, cache_.TakeSpare());
  time_phase(phase_render_);
  LogNewAuditRecords();
  if (derived_ != nullptr) {
    store::StoreSink sink(*derived_, now_ms);
    exposition::RenderScoreboard(board, sink);
    derived_->ApplyRetention(now_ms);
    derived_->Compact(now_ms);
    if (sink.rejected() > 0) {
      log_.Debug("derived samples rejected by the store",
                 {{"rejected", std::to_string(sink.rejected())}});
    }
  }
  for (EvaluationListener* listener : listeners_) listener->OnEvaluation(board, now_ms);
  time_phase(phase_derived_);
  metrics_bytes_.Set(static_cast<double>(body.size()));
  cache_.Set(std::move(body));
  const int scored = board.scored;
  auto published = std::make_shared<Evaluation>(Evaluation{std::move(board), config_, now_ms});
  {
    std::lock_guard<std::mutex> latest_lock(latest_mu_);
    latest_ = std::move(published);
  }
  // After the evaluation is published: scrapes wait for this only if they
  // arrive while it runs. Nothing is done without gzip scrapers.
  cache_.WarmDeflated();
  time_phase(phase_deflate_);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  duration_.Set(seconds);
  interval_.Set(static_cast<double>(config_.evaluation_interval_ms) / 1000.0);
  last_timestamp_.Set(static_cast<double>(now_ms) / 1000.0);
  active_providers_.Set(static_cast<double>(views.size()));
  scored_providers_.Set(scored);
  active_series_.Set(static_cast<double>(store_.series_count()));
  window_bytes_.Set(static_cast<double>(store_.window_bytes()));
  evaluations_.Increment();
  log_.Debug("evaluation done", {{"providers", std::to_string(views.size())},
                                 {"scored", std::to_string(scored)},
                                 {"duration_seconds", std::to_string(seconds)}});
}

void Evaluator::LogNewAuditRecords() {
  const uint64_t appended = state_.audit.appended();
  if (appended == audit_logged_) return;
  const auto records = state_.audit.Records();
  const uint64_t fresh = std::min<uint64_t>(appended - audit_logged_, records.size());
  for (size_t i = records.size() - fresh; i < records.size(); ++i) {
    const auto& r = records[i];
    log_.Info("audit", {{"provider", r.provider},
                        {"kind", r.kind},
                        {"rule", r.rule},
                        {"before", std::to_string(r.before)},
                        {"after", std::to_string(r.after)},
                        {"inputs", r.inputs}});
  }
  audit_records_.Increment(static_cast<double>(appended - audit_logged_));
  audit_logged_ = appended;
}

std::shared_ptr<const Evaluation> Evaluator::Latest() const {
  std::lock_guard<std::mutex> lock(latest_mu_);
  return latest_;
}

std::vector<analytics::AuditRecord> Evaluator::AuditRecords(std::string_view provider) const {
  std::lock_guard<std::mutex> lock(eval_mu_);
  return state_.audit.Records(provider);
}

analytics::AnalyticsState Evaluator::CopyState() const {
  std::lock_guard<std::mutex> lock(eval_mu_);
  return state_;
}

void Evaluator::RestoreState(analytics::AnalyticsState state) {
  std::lock_guard<std::mutex> lock(eval_mu_);
  state_ = std::move(state);
  state_.set_config(config_);
  audit_logged_ = state_.audit.appended();
}

void Evaluator::SetDerivedStore(store::Store* derived) {
  std::lock_guard<std::mutex> lock(eval_mu_);
  derived_ = derived;
}

void Evaluator::AddListener(EvaluationListener* listener) {
  std::lock_guard<std::mutex> lock(eval_mu_);
  listeners_.push_back(listener);
}

void Evaluator::UpdateConfig(const Config& config) {
  std::lock_guard<std::mutex> lock(eval_mu_);
  config_ = config;
  state_.set_config(config);
}

void Evaluator::Start() {
  std::lock_guard<std::mutex> lock(timer_mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Evaluator::Stop() {
  {
    std::lock_guard<std::mutex> lock(timer_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Evaluator::Loop() {
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    EvaluateOnce(NowMs());
    int64_t interval_ms;
    {
      std::lock_guard<std::mutex> lock(eval_mu_);
      interval_ms = config_.evaluation_interval_ms;
    }
    next += std::chrono::milliseconds(interval_ms);
    auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;  // fell behind: do not burst to catch up
    std::unique_lock<std::mutex> lock(timer_mu_);
    if (wake_.wait_until(lock, next, [this] { return stopping_; })) return;
  }
}

}  // namespace depin::evaluate
