// Evaluate: on a timer, runs the analytics over a snapshot of the windows and
// publishes the rendered /metrics body (DESIGN §2).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "analytics/scoreboard.h"
#include "common/logger.h"
#include "config/config.h"
#include "export/metrics_cache.h"
#include "store/store.h"
#include "windows/window_store.h"

namespace depin::evaluate {

// The outcome of one evaluation, shared read-only with the API.
struct Evaluation {
  analytics::Scoreboard board;
  Config config;  // the configuration it was computed with
  int64_t at_ms = 0;
};

// Receives every evaluation's scoreboard on the evaluation thread, after the
// derived store got it (src/forward sends the derived series onward).
class EvaluationListener {
 public:
  virtual ~EvaluationListener() = default;
  virtual void OnEvaluation(const analytics::Scoreboard& board, int64_t t_ms) = 0;
};

class Evaluator {
 public:
  // `store`, `cache` and `log` must outlive the Evaluator.
  Evaluator(const Config& config, windows::WindowStore& store, exposition::MetricsCache& cache,
            prometheus::Registry& registry, Logger& log);
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // Runs one evaluation at `now_ms` and publishes it. Thread-safe.
  void EvaluateOnce(int64_t now_ms);

  // Starts evaluating every evaluation_interval; Stop() joins the thread.
  void Start();
  void Stop();

  // From the next evaluation on, also appends the derived series to `derived`
  // (stamped with the evaluation time) and applies its retention; null
  // disables it. `derived` must outlive the Evaluator.
  void SetDerivedStore(store::Store* derived);

  // From the next evaluation on, also hands each scoreboard to `listener`,
  // which must outlive the Evaluator (or its Stop()).
  void AddListener(EvaluationListener* listener);

  // Applies new weights and thresholds from the next evaluation on.
  void UpdateConfig(const Config& config);

  // The latest evaluation; null before the first one. Thread-safe.
  std::shared_ptr<const Evaluation> Latest() const;
  // Audit records of one provider (all when empty), oldest first. Thread-safe.
  std::vector<analytics::AuditRecord> AuditRecords(std::string_view provider) const;

  // A copy of the analytics' memory (tiers, forecasts, penalties, audit
  // log, ...) between two evaluations, for checkpoints. Thread-safe.
  analytics::AnalyticsState CopyState() const;
  // Replaces it (state restored at start); the records already in its audit
  // log are not logged again. Thread-safe.
  void RestoreState(analytics::AnalyticsState state);

 private:
  void Loop();
  // Writes audit records appended since the last call to the log (logfmt).
  void LogNewAuditRecords();

  mutable std::mutex eval_mu_;  // one evaluation at a time; guards config_ and state_
  mutable std::mutex latest_mu_;
  std::shared_ptr<const Evaluation> latest_;  // guarded by latest_mu_
  Config config_;
  analytics::AnalyticsState state_;
  // The windows of the last evaluation, guarded by eval_mu_: kept so that
  // the next Snapshot reuses their buffers.
  std::vector<windows::ProviderView> views_;
  windows::WindowStore& store_;
  exposition::MetricsCache& cache_;
  Logger& log_;
  store::Store* derived_ = nullptr;  // guarded by eval_mu_
  // Guarded by eval_mu_.
  std::vector<EvaluationListener*> listeners_;

  prometheus::Counter& evaluations_;
  prometheus::Gauge& duration_;
  prometheus::Family<prometheus::Gauge>& phase_family_;
  prometheus::Gauge& phase_snapshot_;
  prometheus::Gauge& phase_analytics_;
  prometheus::Gauge& phase_render_;
  prometheus::Gauge& phase_derived_;
  prometheus::Gauge& phase_deflate_;
  prometheus::Gauge& interval_;
  prometheus::Gauge& last_timestamp_;
  prometheus::Gauge& active_providers_;
  prometheus::Gauge& scored_providers_;
  prometheus::Gauge& active_series_;
  prometheus::Gauge& window_bytes_;
  prometheus::Gauge& metrics_bytes_;
  prometheus::Counter& audit_records_;
  uint64_t audit_logged_ = 0;  // audit records already written to the log

  std::mutex timer_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace depin::evaluate
