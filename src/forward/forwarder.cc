#include "forward/forwarder.h"

#include "export/render.h"

namespace depin::forward {
namespace {

class CollectingSink : public exposition::SampleSink {
 public:
  explicit CollectingSink(int64_t t_ms) : t_ms_(t_ms) {}
  void Family(std::string_view, std::string_view, std::string_view) override {}
  void Sample(std::string_view name, std::initializer_list<exposition::LabelPair> labels,
              double value) override {
    forward::Sample s;
    s.labels.reserve(labels.size() + 1);
    s.labels.emplace_back("__name__", std::string(name));
    for (const auto& [k, v] : labels) s.labels.emplace_back(std::string(k), std::string(v));
    s.t_ms = t_ms_;
    s.value = value;
    samples_.push_back(std::move(s));
  }
  std::vector<forward::Sample> Take() { return std::move(samples_); }

 private:
  int64_t t_ms_;
  std::vector<forward::Sample> samples_;
};

}  // namespace

std::vector<Sample> DerivedSamples(const analytics::Scoreboard& board, int64_t t_ms) {
  CollectingSink sink(t_ms);
  exposition::RenderScoreboard(board, sink);
  return sink.Take();
}

Result<std::unique_ptr<Forwarder>> Forwarder::Create(const std::vector<RemoteWriteConfig>& targets,
                                                     const std::string& storage_path,
                                                     const std::string& user_agent,
                                                     prometheus::Registry& registry, Logger& log) {
  std::unique_ptr<Forwarder> forwarder(new Forwarder());
  if (targets.empty()) return forwarder;  // no remote_write: no metrics either
  const QueueMetricFamilies f = RegisterQueueMetrics(registry);
  for (const RemoteWriteConfig& t : targets) {
    auto client = RemoteClient::Create(t, user_agent);
    if (!client.ok()) {
      return Status::InvalidArgument("remote_write " + t.name + ": " + client.status().message());
    }
    std::unique_ptr<DiskBuffer> disk;
    if (t.disk_buffer_max_bytes > 0) {
      const std::string dir = storage_path + "/forward/" + t.name;
      auto opened = DiskBuffer::Open(dir, t.disk_buffer_max_bytes);
      if (opened.ok()) {
        disk = std::move(opened.value());
        if (disk->segments() > 0) {
          log.Info("remote write: disk buffer has unsent batches from before",
                   {{"remote_name", t.name},
                    {"segments", std::to_string(disk->segments())},
                    {"samples", std::to_string(disk->samples())}});
        }
      } else {
        log.Warn("remote write: no disk buffer, unsent samples are kept in memory only",
                 {{"remote_name", t.name}, {"err", opened.status().message()}});
      }
    }
    forwarder->queues_.push_back(
        std::make_unique<Queue>(t, std::move(client.value()), std::move(disk), f, log));
  }
  return forwarder;
}

Forwarder::~Forwarder() { Stop(); }

void Forwarder::OnEvaluation(const analytics::Scoreboard& board, int64_t t_ms) {
  if (queues_.empty()) return;
  std::vector<Sample> samples = DerivedSamples(board, t_ms);
  for (size_t i = 0; i < queues_.size(); ++i) {
    queues_[i]->Append(i + 1 == queues_.size() ? std::move(samples) : samples);
  }
}

void Forwarder::Start() {
  for (auto& q : queues_) q->Start();
}

void Forwarder::Stop() {
  for (auto& q : queues_) q->Stop();
}

}  // namespace depin::forward
