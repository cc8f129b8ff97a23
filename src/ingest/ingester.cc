#include "ingest/ingester.h"

#include <google/protobuf/arena.h>

#include <algorithm>
#include <optional>
#include <span>
#include <vector>

#include "common/ascii.h"
#include "common/duration.h"
#include "ingest/decode.h"
#include "ingest/translate_v2.h"
#include "ingest/write_view.h"

namespace depin::ingest {
namespace {

// Lower-cased media type without parameters, and the `proto` parameter.
void SplitContentType(std::string_view header, std::string* media, std::string* proto) {
  size_t semi = header.find(';');
  std::string_view type = header.substr(0, semi);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  media->clear();
  for (char c : type)
    media->push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  proto->clear();
  while (semi != std::string_view::npos) {
    std::string_view rest = header.substr(semi + 1);
    semi = rest.find(';');
    std::string_view param = rest.substr(0, semi);
    header = rest;
    while (!param.empty() && param.front() == ' ') param.remove_prefix(1);
    if (param.rfind("proto=", 0) == 0) *proto = std::string(param.substr(6));
  }
}

// {a="b", ...} for messages: single line, bounded length.
std::string DescribeSeries(std::span<const route::LabelRef> labels) {
  std::string out = "{";
  for (const auto& l : labels) {
    if (out.size() > 1) out += ", ";
    out.append(l.name);
    out += "=\"";
    out.append(IsValidUtf8(l.value) ? l.value : "<invalid UTF-8>");
    out += "\"";
    if (out.size() > 200) {
      out.resize(200);
      out += "...";
      break;
    }
  }
  out += "}";
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

// Appends the canonical identity of a series to `key`: name=value pairs
// separated by 0xfe/0xff.
void AppendSeriesKey(std::span<const route::LabelRef> labels, std::string* key) {
  for (const auto& l : labels) {
    key->append(l.name);
    key->push_back('\xfe');
    key->append(l.value);
    key->push_back('\xff');
  }
}

// Dropped series and their samples by reason, tallied over one request and
// added to the counters once: Family::Add hashes its labels under a lock, and
// most series of real traffic are dropped (outside the contract).
class DropTally {
 public:
  void Add(std::string_view reason, int64_t samples) {
    for (Entry& e : entries_) {
      if (e.reason == reason) {
        ++e.series;
        e.samples += samples;
        return;
      }
    }
    entries_.push_back({reason, 1, samples});
  }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Entry& e : entries_) fn(e.reason, e.series, e.samples);
  }

 private:
  struct Entry {
    std::string_view reason;
    int64_t series;
    int64_t samples;
  };
  std::vector<Entry> entries_;
};

// A routed series waiting for the store's lock; its key is
// keys.substr(key_begin, key_end - key_begin) of one buffer per request.
struct Pending {
  size_t series;
  route::Route route;
  size_t key_begin;
  size_t key_end;
};

}  // namespace

Ingester::Ingester(const LimitsConfig& limits, const route::Router& router,
                   windows::WindowStore& store, prometheus::Registry& registry)
    : limits_(limits),
      limiter_(EffectiveMaxConcurrentWrites(limits.max_concurrent_writes)),
      router_(router),
      store_(store),
      requests_(prometheus::BuildCounter()
                    .Name("depin_sidecar_write_requests_total")
                    .Help("Remote-write requests answered, by HTTP status code.")
                    .Register(registry)),
      received_(prometheus::BuildCounter()
                    .Name("depin_sidecar_samples_received_total")
                    .Help("Samples in decoded remote-write requests.")
                    .Register(registry)
                    .Add({})),
      rejected_(prometheus::BuildCounter()
                    .Name("depin_sidecar_samples_rejected_total")
                    .Help("Samples not stored in the windows, by reason.")
                    .Register(registry)),
      dropped_(prometheus::BuildCounter()
                   .Name("depin_sidecar_series_dropped_total")
                   .Help("Series dropped from remote-write requests, by reason.")
                   .Register(registry)),
      out_of_order_accepted_(
          prometheus::BuildCounter()
              .Name("depin_sidecar_samples_out_of_order_accepted_total")
              .Help("Samples older than the newest of their series, within the out-of-order "
                    "tolerance, placed in their window slot.")
              .Register(registry)
              .Add({})),
      native_histograms_received_(
          prometheus::BuildCounter()
              .Name("depin_sidecar_native_histograms_received_total")
              .Help("Native histogram samples in remote-write 2.0 requests.")
              .Register(registry)
              .Add({})),
      native_histograms_converted_(
          prometheus::BuildCounter()
              .Name("depin_sidecar_native_histograms_converted_total")
              .Help("Native histogram samples of a histogram signal, converted to classic "
                    "_bucket/_sum/_count samples (docs/remote-write-2.md).")
              .Register(registry)
              .Add({})),
      exemplars_received_(prometheus::BuildCounter()
                              .Name("depin_sidecar_exemplars_received_total")
                              .Help("Exemplars in remote-write 2.0 requests (not stored).")
                              .Register(registry)
                              .Add({})),
      metadata_received_(prometheus::BuildCounter()
                             .Name("depin_sidecar_metadata_received_total")
                             .Help("Remote-write 2.0 series carrying metadata (not used).")
                             .Register(registry)
                             .Add({})),
      created_timestamp_zeros_(
          prometheus::BuildCounter()
              .Name("depin_sidecar_created_timestamp_zeros_total")
              .Help("Zero samples stored at a counter's created timestamp (remote-write 2.0), "
                    "so that a restart between two samples counts as a reset.")
              .Register(registry)
              .Add({})) {
  for (size_t i = 0; i < kAnsweredCodes.size(); ++i)
    requests_by_code_[i] = &requests_.Add({{"code", std::to_string(kAnsweredCodes[i])}});
}

void Ingester::CountRejected(std::string_view reason, int64_t samples) {
  if (samples > 0)
    rejected_.Add({{"reason", std::string(reason)}}).Increment(static_cast<double>(samples));
}

void Ingester::CountDropped(std::string_view reason, int64_t series) {
  if (series > 0)
    dropped_.Add({{"reason", std::string(reason)}}).Increment(static_cast<double>(series));
}

WriteOutcome Ingester::Finish(WriteOutcome outcome) {
  for (size_t i = 0; i < kAnsweredCodes.size(); ++i) {
    if (kAnsweredCodes[i] == outcome.http_status) {
      requests_by_code_[i]->Increment();
      return outcome;
    }
  }
  requests_.Add({{"code", std::to_string(outcome.http_status)}}).Increment();
  return outcome;
}

WriteOutcome Ingester::Write(const WriteInput& input, int64_t now_ms) {
  WriteOutcome out;
  std::string media, proto;
  SplitContentType(input.content_type, &media, &proto);
  if (media != "application/x-protobuf") {
    out.http_status = 415;
    out.message = "unsupported Content-Type \"" + std::string(input.content_type) +
                  "\": expected application/x-protobuf";
    return Finish(out);
  }
  // No `proto` parameter means 1.0, as senders before the 2.0 spec send.
  const bool v2 = proto == "io.prometheus.write.v2.Request";
  if (!proto.empty() && proto != "prometheus.WriteRequest" && !v2) {
    out.http_status = 415;
    out.message = "unsupported remote-write message \"" + proto +
                  "\": expected prometheus.WriteRequest or io.prometheus.write.v2.Request";
    return Finish(out);
  }
  out.remote_write_v2 = v2;
  if (!EqualsIgnoreCase(input.content_encoding, "snappy")) {
    out.http_status = 415;
    out.message = "unsupported Content-Encoding \"" + std::string(input.content_encoding) +
                  "\": expected snappy";
    return Finish(out);
  }
  if (static_cast<int64_t>(input.body.size()) > limits_.max_body_bytes) {
    out.http_status = 413;
    out.message = "body of " + std::to_string(input.body.size()) + " bytes exceeds the limit of " +
                  std::to_string(limits_.max_body_bytes);
    return Finish(out);
  }
  // Everything above is cheap; decoding and appending are what is bounded.
  ConcurrencyLimiter::Permit permit = limiter_.TryAcquire();
  if (!permit) {
    out.http_status = 503;
    out.retry_after_s = 1;
    out.message = "overloaded: " + std::to_string(limiter_.limit()) +
                  " write requests already in progress (limits.max_concurrent_writes); retry later";
    return Finish(out);
  }
  thread_local std::string raw;
  Status st = DecompressSnappy(input.body, limits_.max_decompressed_bytes, &raw);
  if (!st.ok()) {
    out.http_status = st.code() == Status::Code::kTooLarge ? 413 : 400;
    out.message = st.message();
    return Finish(out);
  }
  // 1.0 is read in place (views into `raw`); 2.0 through libprotobuf and
  // a translation, which the view then points into.
  thread_local WriteRequestView view;
  google::protobuf::Arena arena;
  auto* v2_request = v2 ? google::protobuf::Arena::CreateMessage<v2::Request>(&arena) : nullptr;
  st = v2 ? ParseWriteV2Request(raw, v2_request) : ParseWriteRequestView(raw, &view);
  if (!st.ok()) {
    out.http_status = 400;
    out.message = st.message();
    return Finish(out);
  }
  const int64_t sent_series =
      v2 ? v2_request->timeseries_size() : static_cast<int64_t>(view.series_count());
  if (sent_series > limits_.max_series_per_request) {
    out.http_status = 413;
    out.message = std::to_string(sent_series) + " series exceed the limit of " +
                  std::to_string(limits_.max_series_per_request) + " per request";
    return Finish(out);
  }
  if (!v2) return Finish(Ingest(view, nullptr, now_ms, std::move(out)));

  // 2.0: translated into the 1.0 form (native histograms into classic
  // series) and ingested by the same path.
  auto* request = google::protobuf::Arena::CreateMessage<prometheus::WriteRequest>(&arena);
  V2Translation translation;
  // A sample costs at least 8 bytes decompressed; expanded histograms may
  // hold no more than a 1.0 body of the same limit could.
  const TranslateLimits translate_limits{limits_.max_series_per_request,
                                         limits_.max_decompressed_bytes / 8};
  st = TranslateV2Request(*v2_request, router_, translate_limits, request, &translation);
  if (!st.ok()) {
    out.http_status = st.code() == Status::Code::kTooLarge ? 413 : 400;
    out.message = st.message();
    return Finish(out);
  }
  native_histograms_received_.Increment(static_cast<double>(translation.histograms));
  native_histograms_converted_.Increment(static_cast<double>(translation.histograms_converted));
  exemplars_received_.Increment(static_cast<double>(translation.exemplars));
  metadata_received_.Increment(static_cast<double>(translation.metadata));
  ViewWriteRequest(*request, &view);
  return Finish(Ingest(view, &translation, now_ms, std::move(out)));
}

WriteOutcome Ingester::Ingest(const WriteRequestView& request, const V2Translation* v2,
                              int64_t now_ms, WriteOutcome out) {
  const LabelLimits label_limits{limits_.max_labels_per_series, limits_.max_label_name_length,
                                 limits_.max_label_value_length};
  std::string first_problem;
  DropTally tally;
  auto drop = [&](size_t idx, std::string_view reason, const std::string& detail, bool is_error) {
    ++out.series_dropped;
    tally.Add(reason, static_cast<int64_t>(request.samples(idx).size()));
    if (is_error && first_problem.empty()) {
      first_problem =
          std::string(reason) + ": " + detail + " in series " + DescribeSeries(request.labels(idx));
    }
  };

  // Pass 1, no lock: validate and route.
  std::vector<Pending> pending;
  pending.reserve(request.series_count());
  thread_local std::string keys;  // every pending series' key, capacity reused
  keys.clear();
  int errors = 0;
  if (v2 != nullptr) {
    // Series the translation could not use (bad symbol references, ...).
    for (const auto& d : v2->dropped) {
      out.samples_received += d.samples;
      ++out.series_dropped;
      tally.Add(d.reason, d.samples);
      if (!d.is_error) continue;
      ++errors;
      if (first_problem.empty()) {
        first_problem = d.reason + ": " + d.detail + " in series " + d.series;
      }
    }
  }
  for (size_t i = 0; i < request.series_count(); ++i) {
    const std::span<const route::LabelRef> labels = request.labels(i);
    out.samples_received += static_cast<int64_t>(request.samples(i).size());
    // Cheap drop of series outside the contract, before validating labels.
    // A series without a name is malformed, not merely out of contract.
    std::string_view name = route::FindLabel(labels, "__name__");
    if (!name.empty() && !router_.MayRoute(name)) {
      drop(i, "not_in_contract", "", false);
      continue;
    }
    LabelProblem problem = ValidateLabels(labels, label_limits);
    if (problem != LabelProblem::kOk) {
      ++errors;
      drop(i, LabelProblemReason(problem), "invalid labels", true);
      continue;
    }
    route::Route route = router_.RouteSeries(labels);
    switch (route.verdict) {
      case route::Verdict::kNotInContract:
        drop(i, "not_in_contract", "", false);
        continue;
      case route::Verdict::kMissingProvider:
        ++errors;
        drop(i, "missing_provider", "no \"" + router_.provider_label() + "\" label", true);
        continue;
      case route::Verdict::kInvalidHistogram:
        ++errors;
        drop(i, "invalid_histogram", "bucket without a valid \"le\" label", true);
        continue;
      case route::Verdict::kRouted:
        break;
    }
    const size_t key_begin = keys.size();
    AppendSeriesKey(labels, &keys);
    pending.push_back(Pending{i, std::move(route), key_begin, keys.size()});
  }

  // Pass 2, one lock: resolve and append.
  std::array<int64_t, windows::kAppendResultCount> by_result{};
  std::optional<size_t> first_out_of_order;  // series index
  int64_t first_out_of_order_ts = 0;
  std::array<int64_t, 3> written_by_origin{};  // indexed by SeriesOrigin
  int64_t created_zeros = 0;
  const int64_t tolerance_ms = store_.out_of_order_tolerance_ms();
  {
    auto batch = store_.BeginBatch(now_ms);
    auto key_of = [&](const Pending& p) {
      return std::string_view(keys).substr(p.key_begin, p.key_end - p.key_begin);
    };
    // Lookups in a large index are cache misses: start them a few ahead.
    constexpr size_t kPrefetchAhead = 8;
    for (size_t k = 0; k < std::min(kPrefetchAhead, pending.size()); ++k) {
      batch.Prefetch(key_of(pending[k]));
    }
    for (size_t pi = 0; pi < pending.size(); ++pi) {
      const Pending& p = pending[pi];
      if (pi + kPrefetchAhead < pending.size())
        batch.Prefetch(key_of(pending[pi + kPrefetchAhead]));
      auto ref = batch.Resolve(key_of(p), p.route);
      if (!ref.ok()) {
        ++errors;
        drop(p.series, "limit_exceeded", ref.status().message(), true);
        continue;
      }
      const std::span<const SampleRef> samples = request.samples(p.series);
      // A counter's created timestamp (2.0) becomes a zero sample before the
      // sample it belongs to, as Prometheus's created-timestamp zero
      // ingestion does: the window then sees a restart between two samples
      // as a reset even when the new value exceeds the old. Only within the
      // out-of-order tolerance of the sample, so an old counter's whole
      // value never lands in one slot; a zero the store already has is
      // refused there as a duplicate.
      const std::vector<int64_t>* starts =
          v2 != nullptr && !v2->start_ms[p.series].empty() &&
                  (p.route.role != route::Role::kValue ||
                   DefaultKind(p.route.signal) == SignalKind::kCounter)
              ? &v2->start_ms[p.series]
              : nullptr;
      int64_t last_zero_ms = 0;
      int64_t stored = 0;
      for (size_t k = 0; k < samples.size(); ++k) {
        const SampleRef& sample = samples[k];
        const int64_t start_ms = starts != nullptr ? (*starts)[k] : 0;
        if (start_ms != 0 && start_ms != last_zero_ms && start_ms < sample.timestamp_ms &&
            sample.timestamp_ms - start_ms <= tolerance_ms) {
          last_zero_ms = start_ms;
          if (windows::IsStored(batch.Append(ref.value(), start_ms, 0.0))) ++created_zeros;
        }
        auto r = batch.Append(ref.value(), sample.timestamp_ms, sample.value);
        ++by_result[static_cast<size_t>(r)];
        stored += windows::IsStored(r) ? 1 : 0;
        if (r == windows::AppendResult::kOutOfOrder && !first_out_of_order) {
          first_out_of_order = p.series;
          first_out_of_order_ts = sample.timestamp_ms;
        }
      }
      if (v2 != nullptr) {
        written_by_origin[static_cast<size_t>(v2->origin[p.series])] += stored;
      }
    }
  }
  if (v2 != nullptr) {
    out.samples_written = written_by_origin[static_cast<size_t>(SeriesOrigin::kFloat)];
    out.histograms_written = written_by_origin[static_cast<size_t>(SeriesOrigin::kHistogramCount)];
    created_timestamp_zeros_.Increment(static_cast<double>(created_zeros));
  }
  tally.ForEach([&](std::string_view reason, int64_t series, int64_t samples) {
    CountDropped(reason, series);
    CountRejected(reason, samples);
  });
  for (size_t r = 0; r < by_result.size(); ++r) {
    auto result = static_cast<windows::AppendResult>(r);
    if (windows::IsStored(result)) {
      out.samples_stored += by_result[r];
    } else {
      CountRejected(windows::AppendResultReason(result), by_result[r]);
    }
  }
  const int64_t late = by_result[static_cast<size_t>(windows::AppendResult::kAcceptedLate)];
  if (late > 0) out_of_order_accepted_.Increment(static_cast<double>(late));
  received_.Increment(static_cast<double>(out.samples_received));
  if (errors > 0) {
    // 2.0: counted after translation (a native histogram is several series).
    const size_t series = request.series_count() + (v2 != nullptr ? v2->dropped.size() : 0);
    out.http_status = 400;
    out.message = "dropped " + std::to_string(errors) + " of " + std::to_string(series) +
                  " series (others stored); first: " + first_problem;
  } else if (first_out_of_order) {
    // As Prometheus's receiver: 400 (a retry cannot succeed), but only for
    // samples past the tolerance, and after storing everything else.
    const int64_t n = by_result[static_cast<size_t>(windows::AppendResult::kOutOfOrder)];
    out.http_status = 400;
    out.message = "out_of_order: " + std::to_string(n) +
                  " samples older than the newest of their series by more than the "
                  "out-of-order tolerance of " +
                  FormatDuration(store_.out_of_order_tolerance_ms()) +
                  " were not stored (others stored); first: series " +
                  DescribeSeries(request.labels(*first_out_of_order)) + " at timestamp " +
                  std::to_string(first_out_of_order_ts);
  }
  return out;
}

}  // namespace depin::ingest
