#include "common/signal.h"

namespace depin {
namespace {

struct SignalInfo {
  Signal signal;
  std::string_view name;
  SignalKind kind;
};

constexpr std::array<SignalInfo, kSignalCount> kSignals = {{
    {Signal::kUp, "up", SignalKind::kGauge},
    {Signal::kJobsCompleted, "jobs_completed", SignalKind::kCounter},
    {Signal::kJobsFailed, "jobs_failed", SignalKind::kCounter},
    {Signal::kJobDuration, "job_duration", SignalKind::kHistogram},
    {Signal::kResponseLatency, "response_latency", SignalKind::kHistogram},
    {Signal::kGpuUtil, "gpu_util", SignalKind::kGauge},
    {Signal::kGpuMemUsed, "gpu_mem_used", SignalKind::kGauge},
    {Signal::kGpusTotal, "gpus_total", SignalKind::kGauge},
    {Signal::kGpusAllocated, "gpus_allocated", SignalKind::kGauge},
    {Signal::kPrice, "price", SignalKind::kGauge},
    {Signal::kCpuIdle, "cpu_idle", SignalKind::kCounter},
    {Signal::kMemoryAvailable, "memory_available", SignalKind::kGauge},
    {Signal::kMemoryTotal, "memory_total", SignalKind::kGauge},
    {Signal::kNetworkReceive, "network_receive", SignalKind::kCounter},
    {Signal::kDiskIoTime, "disk_io_time", SignalKind::kCounter},
    {Signal::kInfo, "info", SignalKind::kInfo},
}};

}  // namespace

std::string_view SignalName(Signal s) { return kSignals[Index(s)].name; }

SignalKind DefaultKind(Signal s) { return kSignals[Index(s)].kind; }

std::optional<Signal> SignalFromName(std::string_view name) {
  for (const auto& info : kSignals) {
    if (info.name == name) return info.signal;
  }
  return std::nullopt;
}

}  // namespace depin
