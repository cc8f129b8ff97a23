// GET /api/v1/status/windows: what the windows hold, read-only (docs/api.md,
// docs/operations.md). Operators use it to see which providers and signals
// have data; the durability test compares two sidecars with it exactly.
#pragma once

#include <cstdint>

#include "common/http_types.h"
#include "windows/window_store.h"

namespace depin::durable {

// JSON of WindowStore::Snapshot at `time` (query parameter, Unix ms or
// seconds with a fraction, as Prometheus's API; default `now_ms`), with
// optional `provider=` to select one: per provider its attributes and, per
// signal with data, the slot sums and counts (gauges, counters) or the
// window's bucket, sum and count increases (histograms). 400 on a bad time.
PlainResponse WindowsStatus(const windows::WindowStore& store, const PlainRequest& request,
                            int64_t now_ms);

}  // namespace depin::durable
