// The signals of the input contract (DESIGN §3): what the analytics consume.
// Which raw series feed each signal is configuration; the set is fixed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace depin {

enum class Signal : uint8_t {
  kUp,
  kJobsCompleted,
  kJobsFailed,
  kJobDuration,
  kResponseLatency,
  kGpuUtil,
  kGpuMemUsed,
  kGpusTotal,
  kGpusAllocated,
  kPrice,
  kCpuIdle,
  kMemoryAvailable,
  kMemoryTotal,
  kNetworkReceive,
  kDiskIoTime,
  kInfo,
};
inline constexpr int kSignalCount = static_cast<int>(Signal::kInfo) + 1;

// How raw samples become window values.
enum class SignalKind : uint8_t {
  kGauge,      // averaged per step
  kCounter,    // increase per step, resets handled
  kHistogram,  // classic histogram: per-bucket, sum and count increases per step
  kInfo,       // value ignored; labels become provider attributes
};

std::string_view SignalName(Signal s);
std::optional<Signal> SignalFromName(std::string_view name);
SignalKind DefaultKind(Signal s);

inline int Index(Signal s) { return static_cast<int>(s); }

}  // namespace depin
