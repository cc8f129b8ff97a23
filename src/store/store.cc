#include "store/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>

#include "common/file.h"
#include "common/self_metrics.h"
#include "store/crc32c.h"

namespace depin::store {
namespace {

constexpr char kMagic[8] = {'D', 'E', 'P', 'I', 'N', 'S', 'T', 'R'};
constexpr uint32_t kVersion = 1;
constexpr uint8_t kSeriesRecord = 1;
constexpr uint8_t kFooterRecord = 2;
constexpr size_t kRecordHeader = 8;          // u32 length + u32 crc32c
constexpr uint32_t kMaxRecord = 256u << 20;  // a series record, sanity bound

// A matcher ready to run: regexes compiled once per query.
struct CompiledMatcher {
  const Matcher* m;
  std::regex re;
  bool Matches(const std::string& value) const {
    switch (m->type) {
      case Matcher::Type::kEq:
        return value == m->value;
      case Matcher::Type::kNeq:
        return value != m->value;
      case Matcher::Type::kRe:
        return std::regex_match(value, re);
      case Matcher::Type::kNre:
        return !std::regex_match(value, re);
    }
    return false;
  }
};

const std::string& LabelValue(const Labels& labels, const std::string& name) {
  static const std::string kEmpty;
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const auto& l, const std::string& n) { return l.first < n; });
  return it != labels.end() && it->first == name ? it->second : kEmpty;
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}
void PutUvarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void PutVarint(std::string* out, int64_t v) {
  PutUvarint(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}
void PutString(std::string* out, std::string_view s) {
  PutUvarint(out, s.size());
  out->append(s);
}

// Reads the payload of one record; false on running out of bytes.
struct Cursor {
  std::string_view in;
  bool Uvarint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in.empty()) return false;
      auto b = static_cast<unsigned char>(in.front());
      in.remove_prefix(1);
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool Varint(int64_t* v) {
    uint64_t u;
    if (!Uvarint(&u)) return false;
    *v = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
    return true;
  }
  bool String(std::string* s) {
    uint64_t n;
    if (!Uvarint(&n) || n > in.size()) return false;
    s->assign(in.substr(0, n));
    in.remove_prefix(n);
    return true;
  }
};

}  // namespace

Status NormalizeLabels(Labels* labels) {
  std::sort(labels->begin(), labels->end());
  for (size_t i = 0; i < labels->size(); ++i) {
    if ((*labels)[i].first.empty()) return Status::InvalidArgument("empty label name");
    if (i > 0 && (*labels)[i].first == (*labels)[i - 1].first)
      return Status::InvalidArgument("repeated label name " + (*labels)[i].first);
  }
  return Status::Ok();
}

Store::Store(StoreOptions options, prometheus::Registry* registry) : options_(options) {
  if (options_.samples_per_chunk < 1) options_.samples_per_chunk = 1;
  options_.compacted_samples_per_chunk =
      std::clamp(options_.compacted_samples_per_chunk, 1, kMaxChunkSamples);
  if (registry == nullptr) return;
  auto gauge = [registry](const char* name, const char* help) {
    return &UnlabelledGauge(*registry, name, help);
  };
  series_gauge_ = gauge("depin_store_series", "Series held by the derived-series store.");
  chunks_gauge_ = gauge("depin_store_chunks", "Chunks (sealed and head) in the derived store.");
  bytes_gauge_ = gauge("depin_store_bytes", "Bytes of chunk data in the derived store.");
  appended_ = &UnlabelledCounter(*registry, "depin_store_samples_appended_total",
                                 "Samples appended to the derived-series store.");
  compacted_ = &UnlabelledCounter(*registry, "depin_store_chunks_compacted_total",
                                  "Sealed chunks merged away by compaction of old chunks.");
}

Store::~Store() = default;

Store::Series& Store::GetOrCreate(Labels labels) {
  auto it = ids_.find(labels);
  if (it != ids_.end()) return *series_.at(it->second);
  const uint32_t id = next_id_++;
  for (const auto& [name, value] : labels) postings_[name][value].push_back(id);  // ids grow
  auto s = std::make_unique<Series>();
  s->labels = labels;
  Series& ref = *s;
  series_.emplace(id, std::move(s));
  ids_.emplace(std::move(labels), id);
  return ref;
}

void Store::RemoveSeries(uint32_t id) {
  auto it = series_.find(id);
  if (it == series_.end()) return;
  for (const auto& [name, value] : it->second->labels) {
    auto& values = postings_[name];
    auto& ids = values[value];
    ids.erase(std::lower_bound(ids.begin(), ids.end(), id));
    if (ids.empty()) values.erase(value);
    if (values.empty()) postings_.erase(name);
  }
  ids_.erase(it->second->labels);
  series_.erase(it);
}

Status Store::AppendLocked(Series& s, int64_t t, double v) {
  if (s.has_data && t <= s.last_t)
    return Status::InvalidArgument("out-of-order sample: timestamp " + std::to_string(t) +
                                   " is not after " + std::to_string(s.last_t));
  if (s.head.samples() >= options_.samples_per_chunk) {
    s.sealed.push_back(Chunk{s.head_min_t, s.head_max_t, s.head.bytes(), s.head.samples()});
    s.head = XorChunkWriter();
  }
  if (s.head.samples() == 0) {
    s.head_min_t = t;
    ++chunks_;
  }
  // A fresh writer already holds its 2-byte header: count it with the first sample.
  const size_t before = s.head.samples() == 0 ? 0 : s.head.bytes().size();
  DEPIN_RETURN_IF_ERROR(s.head.Append(t, v));
  bytes_ += static_cast<int64_t>(s.head.bytes().size() - before);
  s.head_max_t = t;
  s.last_t = t;
  s.has_data = true;
  ++samples_;
  return Status::Ok();
}

Status Store::Append(Labels labels, int64_t t, double v) {
  DEPIN_RETURN_IF_ERROR(NormalizeLabels(&labels));
  std::unique_lock lock(mu_);
  Status st = AppendLocked(GetOrCreate(std::move(labels)), t, v);
  if (st.ok() && appended_) appended_->Increment();
  UpdateGauges();
  return st;
}

void Store::UpdateGauges() {
  if (series_gauge_) series_gauge_->Set(static_cast<double>(series_.size()));
  if (chunks_gauge_) chunks_gauge_->Set(static_cast<double>(chunks_));
  if (bytes_gauge_) bytes_gauge_->Set(static_cast<double>(bytes_));
}

Result<std::vector<SeriesData>> Store::Select(const std::vector<Matcher>& matchers, int64_t mint,
                                              int64_t maxt, SelectMode mode,
                                              const QueryLimits& limits) const {
  if (matchers.empty()) return Status::InvalidArgument("a query needs at least one matcher");
  std::vector<CompiledMatcher> compiled;
  compiled.reserve(matchers.size());
  for (const auto& m : matchers) {
    CompiledMatcher c{&m, {}};
    if (m.type == Matcher::Type::kRe || m.type == Matcher::Type::kNre) {
      try {
        // Anchored on both ends, as Prometheus anchors RE2 matchers.
        c.re = std::regex("^(?:" + m.value + ")$", std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return Status::InvalidArgument("invalid regular expression for label " + m.name + ": " +
                                       m.value);
      }
    }
    compiled.push_back(std::move(c));
  }

  std::shared_lock lock(mu_);
  // Candidates from the postings of the first matcher that rejects "" (a
  // series must carry that label); otherwise every series.
  std::vector<uint32_t> candidates;
  bool from_postings = false;
  for (const auto& c : compiled) {
    if (c.Matches("")) continue;
    from_postings = true;
    auto values = postings_.find(c.m->name);
    if (values == postings_.end()) break;
    if (c.m->type == Matcher::Type::kEq) {
      auto ids = values->second.find(c.m->value);
      if (ids != values->second.end()) candidates = ids->second;
    } else {
      for (const auto& [value, ids] : values->second)
        if (c.Matches(value)) candidates.insert(candidates.end(), ids.begin(), ids.end());
    }
    break;
  }
  if (!from_postings) {
    candidates.reserve(series_.size());
    for (const auto& [id, s] : series_) candidates.push_back(id);
  }

  std::vector<const Series*> matched;
  for (uint32_t id : candidates) {
    const Series& s = *series_.at(id);
    bool ok = true;
    for (const auto& c : compiled) {
      if (!c.Matches(LabelValue(s.labels, c.m->name))) {
        ok = false;
        break;
      }
    }
    if (ok) matched.push_back(&s);
  }
  if (limits.max_series > 0 && static_cast<int64_t>(matched.size()) > limits.max_series)
    return Status::TooLarge("the query matches " + std::to_string(matched.size()) +
                            " series, more than the limit of " + std::to_string(limits.max_series));
  std::sort(matched.begin(), matched.end(),
            [](const Series* a, const Series* b) { return a->labels < b->labels; });

  std::vector<SeriesData> out;
  int64_t total = 0;
  for (const Series* s : matched) {
    SeriesData d;
    auto visit = [&](int64_t min_t, int64_t max_t, std::string_view data, int n) -> bool {
      if (max_t < mint || min_t > maxt) return true;
      if (mode == SelectMode::kChunks) {
        d.chunks.push_back(ChunkData{min_t, max_t, std::string(data), n});
        total += n;
      } else {
        XorChunkReader r(data);
        while (r.Next()) {
          if (r.t() < mint) continue;
          if (r.t() > maxt) break;
          d.samples.push_back({r.t(), r.v()});
          ++total;
        }
      }
      return limits.max_samples <= 0 || total <= limits.max_samples;
    };
    bool within = true;
    for (const auto& c : s->sealed) {
      if (!(within = visit(c.min_t, c.max_t, c.data, c.samples))) break;
    }
    if (within && s->head.samples() > 0)
      within = visit(s->head_min_t, s->head_max_t, s->head.bytes(), s->head.samples());
    if (!within)
      return Status::TooLarge("the query returns more than the limit of " +
                              std::to_string(limits.max_samples) + " samples");
    if (d.samples.empty() && d.chunks.empty()) continue;
    d.labels = s->labels;
    out.push_back(std::move(d));
  }
  return out;
}

void Store::DropChunk(Series& s, size_t index) {
  bytes_ -= static_cast<int64_t>(s.sealed[index].data.size());
  samples_ -= s.sealed[index].samples;
  --chunks_;
  if (index < s.settled) --s.settled;
  s.sealed.erase(s.sealed.begin() + static_cast<std::ptrdiff_t>(index));
}

bool Store::MergeChunks(Series& s, size_t begin, size_t end) {
  XorChunkWriter merged;
  for (size_t i = begin; i < end; ++i) {
    XorChunkReader r(s.sealed[i].data);
    while (r.Next()) {
      if (!merged.Append(r.t(), r.v()).ok()) return false;
    }
    if (!r.status().ok()) return false;
  }
  Chunk chunk{s.sealed[begin].min_t, s.sealed[end - 1].max_t, merged.bytes(), merged.samples()};
  for (size_t i = begin; i < end; ++i) bytes_ -= static_cast<int64_t>(s.sealed[i].data.size());
  bytes_ += static_cast<int64_t>(chunk.data.size());
  chunks_ -= static_cast<int64_t>(end - begin - 1);
  s.sealed[begin] = std::move(chunk);
  s.sealed.erase(s.sealed.begin() + static_cast<std::ptrdiff_t>(begin + 1),
                 s.sealed.begin() + static_cast<std::ptrdiff_t>(end));
  return true;
}

int64_t Store::Compact(int64_t now_ms) {
  if (options_.compact_after_ms <= 0) return 0;
  const int64_t cutoff = now_ms - options_.compact_after_ms;
  const int target = options_.compacted_samples_per_chunk;
  std::unique_lock lock(mu_);
  int64_t removed = 0;
  for (auto& [id, s] : series_) {
    // Greedy runs, oldest first: a run ends before the chunk that would
    // overflow the target or is not old enough. Runs of one stay as they are.
    auto& sealed = s->sealed;
    size_t begin = s->settled;
    while (begin < sealed.size() && sealed[begin].max_t < cutoff) {
      size_t end = begin;
      int samples = 0;
      while (end < sealed.size() && sealed[end].max_t < cutoff &&
             samples + sealed[end].samples <= target) {
        samples += sealed[end].samples;
        ++end;
      }
      if (end == begin) end = begin + 1;  // a chunk already at the target
      if (end - begin > 1 && MergeChunks(*s, begin, end)) {
        removed += static_cast<int64_t>(end - begin - 1);
        ++begin;
      } else {
        begin = end;
      }
    }
    // Chunks only grow and runs are cut greedily oldest first, so an old
    // chunk that cannot take in the old chunk after it never changes again.
    while (s->settled + 1 < sealed.size() && sealed[s->settled + 1].max_t < cutoff &&
           sealed[s->settled].samples + sealed[s->settled + 1].samples > target) {
      ++s->settled;
    }
  }
  UpdateGauges();
  if (compacted_ != nullptr && removed > 0) compacted_->Increment(static_cast<double>(removed));
  return removed;
}

void Store::ApplyRetention(int64_t now_ms) {
  std::unique_lock lock(mu_);
  std::vector<uint32_t> empty;
  auto drop_head = [this](Series& s) {
    bytes_ -= static_cast<int64_t>(s.head.bytes().size());
    samples_ -= s.head.samples();
    --chunks_;
    s.head = XorChunkWriter();
  };
  if (options_.retention_ms > 0) {
    const int64_t cutoff = now_ms - options_.retention_ms;
    for (auto& [id, s] : series_) {
      size_t n = 0;
      while (n < s->sealed.size() && s->sealed[n].max_t < cutoff) ++n;
      for (size_t i = 0; i < n; ++i) DropChunk(*s, 0);
      if (s->head.samples() > 0 && s->head_max_t < cutoff) drop_head(*s);
    }
  }
  if (options_.retention_bytes > 0 && bytes_ > options_.retention_bytes) {
    // Oldest chunks first, across series; a head goes only when its series
    // has nothing sealed left, as in a block-based TSDB the head is newest.
    struct Ref {
      int64_t max_t;
      uint32_t id;
    };
    std::vector<Ref> refs;
    for (const auto& [id, s] : series_)
      for (const auto& c : s->sealed) refs.push_back({c.max_t, id});
    std::sort(refs.begin(), refs.end(),
              [](const Ref& a, const Ref& b) { return a.max_t < b.max_t; });
    for (const Ref& r : refs) {
      if (bytes_ <= options_.retention_bytes) break;
      DropChunk(*series_.at(r.id), 0);  // per series, chunks are in time order
    }
    if (bytes_ > options_.retention_bytes) {
      std::vector<std::pair<int64_t, uint32_t>> heads;
      for (const auto& [id, s] : series_)
        if (s->head.samples() > 0) heads.push_back({s->head_max_t, id});
      std::sort(heads.begin(), heads.end());
      for (const auto& [t, id] : heads) {
        if (bytes_ <= options_.retention_bytes) break;
        drop_head(*series_.at(id));
      }
    }
  }
  for (const auto& [id, s] : series_)
    if (s->sealed.empty() && s->head.samples() == 0) empty.push_back(id);
  for (uint32_t id : empty) RemoveSeries(id);
  UpdateGauges();
}

StoreStats Store::Stats() const {
  std::shared_lock lock(mu_);
  return {static_cast<int64_t>(series_.size()), chunks_, bytes_, samples_};
}

std::string Store::Serialize() const {
  std::shared_lock lock(mu_);
  std::string out(kMagic, sizeof(kMagic));
  PutU32(&out, kVersion);
  std::string payload;
  auto record = [&out](const std::string& p) {
    PutU32(&out, static_cast<uint32_t>(p.size()));
    PutU32(&out, Crc32c(p));
    out += p;
  };
  uint64_t written = 0;
  for (const auto& [labels, id] : ids_) {
    const Series& s = *series_.at(id);
    const size_t n = s.sealed.size() + (s.head.samples() > 0 ? 1 : 0);
    if (n == 0) continue;
    payload.clear();
    payload.push_back(static_cast<char>(kSeriesRecord));
    PutUvarint(&payload, labels.size());
    for (const auto& [name, value] : labels) {
      PutString(&payload, name);
      PutString(&payload, value);
    }
    PutUvarint(&payload, n);
    auto chunk = [&payload](int64_t min_t, int64_t max_t, int samples, std::string_view data) {
      PutVarint(&payload, min_t);
      PutVarint(&payload, max_t);
      PutUvarint(&payload, static_cast<uint64_t>(samples));
      PutString(&payload, data);
    };
    for (const auto& c : s.sealed) chunk(c.min_t, c.max_t, c.samples, c.data);
    if (s.head.samples() > 0) chunk(s.head_min_t, s.head_max_t, s.head.samples(), s.head.bytes());
    record(payload);
    ++written;
  }
  payload.clear();
  payload.push_back(static_cast<char>(kFooterRecord));
  PutUvarint(&payload, written);
  record(payload);
  return out;
}

LoadReport Store::Deserialize(std::string_view file) {
  LoadReport report;
  report.found = true;
  std::unique_lock lock(mu_);
  ids_.clear();
  series_.clear();
  postings_.clear();
  bytes_ = chunks_ = samples_ = 0;
  auto problem = [&report](std::string what) {
    if (report.problem.empty()) report.problem = std::move(what);
  };
  if (file.size() < sizeof(kMagic) + 4 || std::memcmp(file.data(), kMagic, sizeof(kMagic)) != 0) {
    problem("not a depin store file (bad magic)");
    report.truncated = file.size() < sizeof(kMagic) + 4;
    UpdateGauges();
    return report;
  }
  if (GetU32(file.data() + sizeof(kMagic)) != kVersion) {
    problem("unsupported store file version " +
            std::to_string(GetU32(file.data() + sizeof(kMagic))));
    UpdateGauges();
    return report;
  }
  file.remove_prefix(sizeof(kMagic) + 4);
  bool footer = false;
  int64_t offset = sizeof(kMagic) + 4;
  while (!file.empty()) {
    if (file.size() < kRecordHeader) {
      report.truncated = true;
      problem("truncated record header at offset " + std::to_string(offset));
      break;
    }
    const uint32_t len = GetU32(file.data());
    const uint32_t crc = GetU32(file.data() + 4);
    if (len > kMaxRecord || len > file.size() - kRecordHeader) {
      // A corrupt length or a cut file: nothing after can be framed.
      report.truncated = true;
      problem("truncated or corrupt record at offset " + std::to_string(offset));
      break;
    }
    std::string_view payload = file.substr(kRecordHeader, len);
    file.remove_prefix(kRecordHeader + len);
    const int64_t at = offset;
    offset += static_cast<int64_t>(kRecordHeader + len);
    if (Crc32c(payload) != crc || payload.empty()) {
      ++report.corrupt_records;
      problem("checksum mismatch in record at offset " + std::to_string(at));
      continue;
    }
    if (static_cast<uint8_t>(payload[0]) == kFooterRecord) {
      footer = true;
      break;
    }
    Cursor c{payload.substr(1)};
    auto bad = [&](const char* why) {
      ++report.corrupt_records;
      problem(std::string("bad series record at offset ") + std::to_string(at) + ": " + why);
    };
    if (static_cast<uint8_t>(payload[0]) != kSeriesRecord) {
      bad("unknown record type");
      continue;
    }
    uint64_t nlabels = 0;
    Labels labels;
    bool ok = c.Uvarint(&nlabels) && nlabels < 1024;
    for (uint64_t i = 0; ok && i < nlabels; ++i) {
      std::string name, value;
      ok = c.String(&name) && c.String(&value);
      labels.emplace_back(std::move(name), std::move(value));
    }
    if (!ok || !NormalizeLabels(&labels).ok() || ids_.count(labels)) {
      bad("labels");
      continue;
    }
    uint64_t nchunks = 0;
    std::vector<Chunk> chunks;
    ok = c.Uvarint(&nchunks) && nchunks > 0 && nchunks < (1u << 24);
    int64_t prev_max = INT64_MIN;
    for (uint64_t i = 0; ok && i < nchunks; ++i) {
      Chunk ch;
      uint64_t n = 0;
      ok = c.Varint(&ch.min_t) && c.Varint(&ch.max_t) && c.Uvarint(&n) && c.String(&ch.data);
      if (!ok) break;
      ch.samples = static_cast<int>(n);
      // The chunk must decode to what its header says, after the previous one.
      XorChunkReader r(ch.data);
      int count = 0;
      int64_t first = 0, last = 0;
      while (r.Next()) {
        if (count == 0) first = r.t();
        last = r.t();
        ++count;
      }
      ok = r.status().ok() && count == ch.samples && count > 0 && first == ch.min_t &&
           last == ch.max_t && ch.min_t > prev_max;
      prev_max = ch.max_t;
      chunks.push_back(std::move(ch));
    }
    if (!ok || !c.in.empty()) {
      bad("chunks");
      continue;
    }
    Series& s = GetOrCreate(std::move(labels));
    // The last chunk becomes the head again, so appends continue it.
    Chunk last = std::move(chunks.back());
    chunks.pop_back();
    for (auto& ch : chunks) {
      bytes_ += static_cast<int64_t>(ch.data.size());
      samples_ += ch.samples;
      ++chunks_;
      ++report.chunks;
      report.samples += ch.samples;
      s.sealed.push_back(std::move(ch));
    }
    XorChunkReader r(last.data);
    while (r.Next()) (void)AppendLocked(s, r.t(), r.v());
    ++report.chunks;
    report.samples += last.samples;
    s.last_t = last.max_t;
    ++report.series;
  }
  if (!footer && !report.truncated) {
    report.truncated = true;
    problem("the file ends without its footer");
  }
  UpdateGauges();
  return report;
}

Status Store::Save(const std::string& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Unavailable("cannot create " + dir + ": " + ec.message());
  return WriteFileAtomically((std::filesystem::path(dir) / kFileName).string(), Serialize());
}

Result<LoadReport> Store::Load(const std::string& dir) {
  const std::filesystem::path path = std::filesystem::path(dir) / kFileName;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return LoadReport{};
    return Status::Unavailable("cannot read " + path.string());
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  LoadReport report = Deserialize(buf.str());
  if (!report.problem.empty()) {
    // Keep the damaged file for inspection; the next Save writes a clean one.
    std::error_code ec;
    std::filesystem::copy_file(path, path.string() + ".corrupt",
                               std::filesystem::copy_options::overwrite_existing, ec);
  }
  return report;
}

}  // namespace depin::store
