#include "durable/checkpoint.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "durable/bytes.h"
#include "durable/framing.h"

namespace depin::durable {
namespace {

constexpr std::string_view kCheckpointMagic = "depin-checkpoint";

enum Tag : uint8_t {
  kHeader = 0,
  kWindowGeometry = 1,
  kProvider = 2,
  kSeries = 3,
  kTier = 10,
  kForecastModel = 11,
  kLongRange = 12,
  kPenalty = 13,
  kAnomaly = 14,
  kAuditMeta = 15,
  kAuditRecord = 16,
  kAuditedScore = 17,
  kEnd = 255,
};

void Doubles(ByteWriter& w, const std::vector<double>& v) {
  w.U32(static_cast<uint32_t>(v.size()));
  for (double d : v) w.F64(d);
}

std::vector<double> Doubles(ByteReader& r) {
  std::vector<double> v(r.Count(8));
  for (double& d : v) d = r.F64();
  return v;
}

void Ring(ByteWriter& w, const windows::WindowImage::Ring& ring, bool histogram) {
  w.I64(ring.latest_slot);
  Doubles(w, ring.sum);
  Doubles(w, ring.count);
  if (histogram) {
    Doubles(w, ring.upper_bounds);
    Doubles(w, ring.buckets);
  }
}

windows::WindowImage::Ring Ring(ByteReader& r, bool histogram) {
  windows::WindowImage::Ring ring;
  ring.latest_slot = r.I64();
  ring.sum = Doubles(r);
  ring.count = Doubles(r);
  if (histogram) {
    ring.upper_bounds = Doubles(r);
    ring.buckets = Doubles(r);
  }
  return ring;
}

bool RingFits(const windows::WindowImage::Ring& ring, int slots, bool histogram) {
  const auto n = static_cast<size_t>(slots);
  return ring.sum.size() == n && ring.count.size() == n &&
         (!histogram || ring.buckets.size() == n * ring.upper_bounds.size());
}

}  // namespace

// The analytics' private state, record by record (friend of the trackers).
class StateCodec {
 public:
  using Emit = std::vector<std::string>;

  static void Encode(const analytics::AnalyticsState& s, int64_t audit_since_ms, Emit* out) {
    auto record = [out](Tag tag) {
      out->emplace_back();
      ByteWriter w(&out->back());
      w.U8(tag);
      return w;
    };
    for (const auto& [provider, level] : s.tiers.levels_) {
      ByteWriter w = record(kTier);
      w.Str(provider);
      w.U32(static_cast<uint32_t>(level));
    }
    for (int scope = 0; scope < 2; ++scope) {
      const auto& models = scope == 0 ? s.forecasts.providers_ : s.forecasts.regions_;
      for (const auto& [key, m] : models) {
        ByteWriter w = record(kForecastModel);
        w.U8(static_cast<uint8_t>(scope));
        w.Str(key);
        w.I64(m.last_step);
        w.Bool(m.touched);
        w.Bool(m.hw.has_value());
        Doubles(w, m.hw ? m.hw->SaveState() : std::vector<double>{});
      }
    }
    for (const auto& [provider, st] : s.long_range.states_) {
      ByteWriter w = record(kLongRange);
      w.Str(provider);
      w.I64(st.last_slot);
      w.Bool(st.touched);
      w.U32(static_cast<uint32_t>(st.regressions.size()));
      for (const auto& g : st.regressions) {
        for (double d : {g.tau_, g.origin_, g.first_}) w.F64(d);
        w.Bool(g.started_);
        w.I64(g.points_);
        for (double d : {g.w_, g.st_, g.stt_, g.sy_, g.sty_, g.syy_}) w.F64(d);
      }
      w.I64(st.usage.bucket_ms_);
      for (const auto& b : st.usage.day_) {
        for (double d : {b.n, b.mean, b.m2}) w.F64(d);
      }
      for (const auto& b : st.usage.week_) {
        for (double d : {b.n, b.mean, b.m2}) w.F64(d);
      }
    }
    for (const auto& [provider, st] : s.penalties.states_) {
      ByteWriter w = record(kPenalty);
      w.Str(provider);
      w.F64(st.points);
      w.I64(st.updated_ms);
      w.Bool(st.was_down);
      w.Bool(st.was_breached);
      w.Bool(st.was_bursting);
      for (uint64_t f : st.fired) w.U64(f);
    }
    for (const auto& [provider, st] : s.anomalies.states_) {
      ByteWriter w = record(kAnomaly);
      w.Str(provider);
      for (bool f : st.flagged) w.Bool(f);
      for (uint64_t e : st.episodes) w.U64(e);
    }
    record(kAuditMeta).U64(s.audit.appended_);
    for (const auto& a : s.audit.records_) {
      if (a.timestamp_ms < audit_since_ms) continue;
      ByteWriter w = record(kAuditRecord);
      w.I64(a.timestamp_ms);
      w.Str(a.provider);
      w.Str(a.kind);
      w.Str(a.rule);
      w.F64(a.before);
      w.F64(a.after);
      w.Str(a.inputs);
    }
    for (const auto& [provider, score] : s.audited_scores) {
      ByteWriter w = record(kAuditedScore);
      w.Str(provider);
      w.F64(score);
    }
  }

  // Applies one analytics record; false when it does not decode or fit.
  static bool Decode(Tag tag, ByteReader& r, analytics::AnalyticsState& s) {
    switch (tag) {
      case kTier: {
        std::string provider(r.Str());
        const uint32_t level = r.U32();
        if (!r.done() || level >= static_cast<uint32_t>(analytics::kTierCount)) return false;
        s.tiers.levels_[provider] = static_cast<int>(level);
        return true;
      }
      case kForecastModel:
        return DecodeForecast(r, s.forecasts);
      case kLongRange:
        return DecodeLongRange(r, s.long_range);
      case kPenalty: {
        std::string provider(r.Str());
        analytics::PenaltyTracker::State st;
        st.points = r.F64();
        st.updated_ms = r.I64();
        st.was_down = r.Bool();
        st.was_breached = r.Bool();
        st.was_bursting = r.Bool();
        for (uint64_t& f : st.fired) f = r.U64();
        if (!r.done()) return false;
        s.penalties.states_[provider] = st;
        return true;
      }
      case kAnomaly: {
        std::string provider(r.Str());
        analytics::AnomalyCounter::State st;
        for (auto&& f : st.flagged) f = r.Bool();
        for (uint64_t& e : st.episodes) e = r.U64();
        if (!r.done()) return false;
        s.anomalies.states_[provider] = st;
        return true;
      }
      case kAuditMeta: {
        const uint64_t appended = r.U64();
        if (!r.done()) return false;
        s.audit.appended_ = std::max(s.audit.appended_, appended);
        return true;
      }
      case kAuditRecord: {
        analytics::AuditRecord a;
        a.timestamp_ms = r.I64();
        a.provider = std::string(r.Str());
        a.kind = std::string(r.Str());
        a.rule = std::string(r.Str());
        a.before = r.F64();
        a.after = r.F64();
        a.inputs = std::string(r.Str());
        if (!r.done()) return false;
        s.audit.records_.push_back(std::move(a));
        while (s.audit.records_.size() > s.audit.capacity_) s.audit.records_.pop_front();
        s.audit.appended_ = std::max<uint64_t>(s.audit.appended_, s.audit.records_.size());
        return true;
      }
      case kAuditedScore: {
        std::string provider(r.Str());
        const double score = r.F64();
        if (!r.done()) return false;
        s.audited_scores[provider] = score;
        return true;
      }
      default:
        return false;
    }
  }

 private:
  static bool DecodeForecast(ByteReader& r, analytics::ForecastTracker& t) {
    const uint8_t scope = r.U8();
    std::string key(r.Str());
    const int64_t last_step = r.I64();
    const bool touched = r.Bool();
    const bool has_model = r.Bool();
    const std::vector<double> saved = Doubles(r);
    if (!r.done() || scope > 1) return false;
    auto& models = scope == 0 ? t.providers_ : t.regions_;
    // A model as the tracker makes it now, so the parameters are current.
    analytics::ForecastTracker::Model& m = t.Get(models, key);
    if (has_model && m.hw) {
      auto loaded = analytics::HoltWinters::LoadState(m.hw->params(), saved);
      if (!loaded.ok()) {
        models.erase(key);  // saved under other parameters: it starts again
        return false;
      }
      m.hw = std::move(loaded.value());
    } else if (has_model != m.hw.has_value()) {
      models.erase(key);
      return false;
    }
    m.last_step = last_step;
    m.touched = touched;
    return true;
  }

  static bool DecodeLongRange(ByteReader& r, analytics::LongRangeTracker& t) {
    std::string provider(r.Str());
    const int64_t last_slot = r.I64();
    const bool touched = r.Bool();
    std::vector<analytics::DecayingRegression> regressions;
    const uint32_t n = r.Count(9 * 8 + 1);
    regressions.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      analytics::DecayingRegression g(r.F64());
      g.origin_ = r.F64();
      g.first_ = r.F64();
      g.started_ = r.Bool();
      g.points_ = r.I64();
      for (double* d : {&g.w_, &g.st_, &g.stt_, &g.sy_, &g.sty_, &g.syy_}) *d = r.F64();
      regressions.push_back(g);
    }
    analytics::UsageProfile usage(r.I64());
    for (auto& b : usage.day_) {
      for (double* d : {&b.n, &b.mean, &b.m2}) *d = r.F64();
    }
    for (auto& b : usage.week_) {
      for (double* d : {&b.n, &b.mean, &b.m2}) *d = r.F64();
    }
    if (!r.done() || usage.bucket_ms_ <= 0) return false;
    t.states_.insert_or_assign(provider, analytics::LongRangeTracker::State{
                                             std::move(regressions), usage, last_slot, touched});
    return true;
  }
};

std::string EncodeCheckpoint(const CheckpointHeader& header, const windows::WindowImage& windows,
                             const analytics::AnalyticsState& state, int64_t audit_since_ms) {
  std::vector<std::string> records;
  {
    ByteWriter w(&records.emplace_back());
    w.U8(kWindowGeometry);
    w.I64(windows.step_ms);
    w.U32(static_cast<uint32_t>(windows.slots));
    w.U32(static_cast<uint32_t>(kSignalCount));
  }
  for (const auto& p : windows.providers) {
    ByteWriter w(&records.emplace_back());
    w.U8(kProvider);
    w.Str(p.id);
    w.U32(static_cast<uint32_t>(p.attributes.size()));
    for (const auto& [name, value] : p.attributes) {
      w.Str(name);
      w.Str(value);
    }
    for (int sig = 0; sig < kSignalCount; ++sig) {
      w.U8(static_cast<uint8_t>((p.scalars[sig] ? 1 : 0) | (p.histograms[sig] ? 2 : 0)));
      if (p.scalars[sig]) Ring(w, *p.scalars[sig], false);
      if (p.histograms[sig]) Ring(w, *p.histograms[sig], true);
    }
  }
  for (const auto& s : windows.series) {
    ByteWriter w(&records.emplace_back());
    w.U8(kSeries);
    w.Str(s.key);
    w.Str(s.provider);
    w.U8(static_cast<uint8_t>(s.signal));
    w.U8(static_cast<uint8_t>(s.role));
    w.F64(s.le);
    w.I64(s.newest_ts);
    w.Bool(s.complete);
    w.U32(static_cast<uint32_t>(s.recent.size()));
    for (const auto& [ts, v] : s.recent) {
      w.I64(ts);
      w.F64(v);
    }
  }
  StateCodec::Encode(state, audit_since_ms, &records);

  std::string out;
  std::string payload;
  {
    ByteWriter w(&payload);
    w.U8(kHeader);
    w.Str(kCheckpointMagic);
    w.U32(kCheckpointFormatVersion);
    w.I64(header.created_ms);
    w.U64(header.wal_sequence);
  }
  AppendRecord(&out, payload);
  for (const auto& r : records) AppendRecord(&out, r);
  payload.clear();
  {
    ByteWriter w(&payload);
    w.U8(kEnd);
    w.U64(records.size());
  }
  AppendRecord(&out, payload);
  return out;
}

CheckpointContents DecodeCheckpoint(std::string_view data, const Config& config) {
  CheckpointContents out(config);
  ScanResult scan = ScanRecords(data);
  out.corrupt = scan.corrupt;
  out.truncated = scan.truncated;
  bool ended = false;
  for (std::string_view payload : scan.payloads) {
    ByteReader r(payload);
    const auto tag = static_cast<Tag>(r.U8());
    if (tag == kHeader) {
      const std::string_view magic = r.Str();
      out.version = r.U32();
      CheckpointHeader h;
      h.created_ms = r.I64();
      h.wal_sequence = r.U64();
      if (magic != kCheckpointMagic || out.version != kCheckpointFormatVersion || !r.done()) {
        out.header.reset();
        ++out.invalid;
        return out;  // another format: nothing in it is trusted
      }
      out.header = h;
      continue;
    }
    if (!out.header) {
      ++out.invalid;  // records without their header: of unknown version
      continue;
    }
    bool ok = false;
    switch (tag) {
      case kWindowGeometry: {
        windows::WindowImage image;
        image.step_ms = r.I64();
        image.slots = static_cast<int>(r.U32());
        const uint32_t signals = r.U32();
        ok = r.done() && image.slots > 0 && signals == static_cast<uint32_t>(kSignalCount);
        if (ok) out.windows = std::move(image);
        break;
      }
      case kProvider: {
        if (!out.windows) break;
        windows::WindowImage::Provider p;
        p.id = std::string(r.Str());
        p.attributes.resize(r.Count(8));
        for (auto& [name, value] : p.attributes) {
          name = std::string(r.Str());
          value = std::string(r.Str());
        }
        ok = true;
        for (int sig = 0; sig < kSignalCount && r.ok(); ++sig) {
          const uint8_t present = r.U8();
          if (present & 1) p.scalars[sig] = Ring(r, false);
          if (present & 2) p.histograms[sig] = Ring(r, true);
          ok = ok && present < 4 &&
               (!p.scalars[sig] || RingFits(*p.scalars[sig], out.windows->slots, false)) &&
               (!p.histograms[sig] || RingFits(*p.histograms[sig], out.windows->slots, true));
        }
        ok = ok && r.done();
        if (ok) out.windows->providers.push_back(std::move(p));
        break;
      }
      case kSeries: {
        if (!out.windows) break;
        windows::WindowImage::Series s;
        s.key = std::string(r.Str());
        s.provider = std::string(r.Str());
        const uint8_t signal = r.U8();
        const uint8_t role = r.U8();
        s.signal = static_cast<Signal>(signal);
        s.role = static_cast<route::Role>(role);
        s.le = r.F64();
        s.newest_ts = r.I64();
        s.complete = r.Bool();
        s.recent.resize(r.Count(16));
        for (auto& [ts, v] : s.recent) {
          ts = r.I64();
          v = r.F64();
        }
        ok = r.done() && signal < kSignalCount && role <= static_cast<uint8_t>(route::Role::kCount);
        if (ok) out.windows->series.push_back(std::move(s));
        break;
      }
      case kEnd:
        ended = true;
        ok = true;
        break;
      default:
        ok = StateCodec::Decode(tag, r, out.state);
        if (ok && tag == kAuditRecord) ++out.audit_records;
        break;
    }
    if (ok && tag != kEnd) ++out.records;
    if (!ok) ++out.invalid;
  }
  if (out.header && !ended) out.truncated = true;
  return out;
}

}  // namespace depin::durable
