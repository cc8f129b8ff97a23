// Forwards the derived series of every evaluation to the remote_write
// targets (docs/forwarding.md): one Queue per target, with its disk buffer
// under <storage.path>/forward/<name>/.
#pragma once

#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "analytics/scoreboard.h"
#include "common/logger.h"
#include "common/status.h"
#include "config/config.h"
#include "evaluate/evaluator.h"
#include "forward/encode.h"
#include "forward/queue.h"

namespace depin::forward {

// The derived samples of `board` stamped `t_ms`: the samples /metrics shows
// and the store keeps, with __name__ among the labels.
std::vector<Sample> DerivedSamples(const analytics::Scoreboard& board, int64_t t_ms);

class Forwarder : public evaluate::EvaluationListener {
 public:
  // One queue per target. A disk buffer that cannot be opened is logged and
  // the target runs from memory only; an unreadable secret file or a bad URL
  // is an error. `registry` and `log` must outlive the Forwarder.
  static Result<std::unique_ptr<Forwarder>> Create(const std::vector<RemoteWriteConfig>& targets,
                                                   const std::string& storage_path,
                                                   const std::string& user_agent,
                                                   prometheus::Registry& registry, Logger& log);
  ~Forwarder() override;

  // Renders the derived samples once and queues them on every target.
  void OnEvaluation(const analytics::Scoreboard& board, int64_t t_ms) override;

  void Start();
  // Stops every sender; unsent batches are kept on disk for the next start.
  void Stop();

  const std::vector<std::unique_ptr<Queue>>& queues() const { return queues_; }

 private:
  Forwarder() = default;
  std::vector<std::unique_ptr<Queue>> queues_;
};

}  // namespace depin::forward
