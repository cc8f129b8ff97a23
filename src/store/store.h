// The derived-series store (DESIGN §8, issue 4): series identified by their
// sorted label set, an inverted index for label matchers, per series sealed
// XOR chunks of 120 samples plus a head chunk, retention by time and size,
// query limits, and a versioned, checksummed file for restarts.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "store/xor_chunk.h"

namespace depin::store {

// Label pairs sorted by name, `__name__` included; names are unique.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Sorts `labels` by name; InvalidArgument on an empty or repeated name.
Status NormalizeLabels(Labels* labels);

struct Matcher {
  enum class Type { kEq, kNeq, kRe, kNre };
  Type type = Type::kEq;
  std::string name;
  std::string value;
};

struct StoreOptions {
  int64_t retention_ms = 15LL * 24 * 3600 * 1000;  // 0: keep forever
  int64_t retention_bytes = 0;                     // chunk bytes; 0: unlimited
  int samples_per_chunk = 120;                     // as Prometheus's head
  // Compaction: sealed chunks whose newest sample is older than
  // compact_after_ms are merged, per series and in time order, into chunks
  // of up to compacted_samples_per_chunk samples (fewer chunk headers and
  // per-chunk records). 0 disables it.
  int64_t compact_after_ms = 2LL * 3600 * 1000;  // as Prometheus's first block range
  int compacted_samples_per_chunk = 960;         // at most 65535 (the chunk's count field)
};

// Per query; 0 means unlimited. Exceeding one is TooLarge with a message.
struct QueryLimits {
  int64_t max_series = 0;   // series matched by one Select
  int64_t max_samples = 0;  // samples returned (or held by returned chunks)
};

struct SamplePoint {
  int64_t t = 0;
  double v = 0;
};

struct ChunkData {
  int64_t min_t = 0;
  int64_t max_t = 0;
  std::string data;  // Prometheus XOR chunk encoding
  int samples = 0;
};

struct SeriesData {
  Labels labels;
  std::vector<SamplePoint> samples;  // kSamples: samples within [mint, maxt]
  std::vector<ChunkData> chunks;     // kChunks: whole chunks overlapping [mint, maxt]
};

enum class SelectMode { kSamples, kChunks };

struct StoreStats {
  int64_t series = 0;
  int64_t chunks = 0;  // sealed + head chunks
  int64_t bytes = 0;   // chunk data
  int64_t samples = 0;
};

// What Load found: what was recovered and what was not.
struct LoadReport {
  bool found = false;  // false: no file yet (a fresh start)
  int64_t series = 0;
  int64_t chunks = 0;
  int64_t samples = 0;
  int64_t corrupt_records = 0;  // skipped (checksum or content)
  bool truncated = false;       // the file ended before its footer
  std::string problem;          // first problem, for the log; empty when clean
};

class Store {
 public:
  // `registry` may be null (tests); otherwise depin_store_* are registered.
  explicit Store(StoreOptions options, prometheus::Registry* registry = nullptr);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Appends one sample; `labels` need not be sorted. InvalidArgument when
  // `t` is not after the series' last sample or the labels are invalid.
  // Thread-safe.
  Status Append(Labels labels, int64_t t, double v);

  // Series matching every matcher (Prometheus semantics: a missing label is
  // ""; regexes are fully anchored), sorted by labels, with samples or chunks
  // in [mint, maxt]. Series without data in the range are left out.
  // InvalidArgument on a bad regex or no matchers; TooLarge past `limits`.
  // Thread-safe.
  Result<std::vector<SeriesData>> Select(const std::vector<Matcher>& matchers, int64_t mint,
                                         int64_t maxt, SelectMode mode,
                                         const QueryLimits& limits) const;

  // Drops whole chunks older than retention_ms before `now_ms`, then the
  // oldest chunks until the data fits retention_bytes; series left without
  // chunks are removed. Thread-safe.
  void ApplyRetention(int64_t now_ms);

  // Merges runs of sealed chunks older than compact_after_ms before `now_ms`
  // (see StoreOptions); the samples a Select returns are unchanged. Returns
  // the number of chunks removed by merging. Thread-safe.
  int64_t Compact(int64_t now_ms);

  StoreStats Stats() const;

  // Writes the store to `dir`/derived.store (temp file, fsync, rename).
  Status Save(const std::string& dir) const;
  // Replaces the contents with `dir`/derived.store, recovering what is intact.
  // Not found is not an error (report.found = false). Returns an error only
  // when the file cannot be read at all or is not a store file.
  Result<LoadReport> Load(const std::string& dir);

  // The file format, in memory (for tests and Save/Load).
  std::string Serialize() const;
  LoadReport Deserialize(std::string_view file);

  static constexpr const char* kFileName = "derived.store";

 private:
  struct Chunk {
    int64_t min_t = 0;
    int64_t max_t = 0;
    std::string data;
    int samples = 0;
  };
  struct Series {
    Labels labels;
    std::vector<Chunk> sealed;
    XorChunkWriter head;
    int64_t head_min_t = 0;
    int64_t head_max_t = 0;
    int64_t last_t = 0;
    bool has_data = false;
    // Leading sealed chunks that compaction is done with: old, and unable to
    // take in the chunk after them. Compact starts after them.
    size_t settled = 0;
  };

  // Under mu_ (exclusive).
  Series& GetOrCreate(Labels labels);
  void RemoveSeries(uint32_t id);
  void DropChunk(Series& s, size_t index);
  // Merges s.sealed[begin, end) into one chunk; false (and no change) when
  // a chunk does not decode.
  bool MergeChunks(Series& s, size_t begin, size_t end);
  void UpdateGauges();
  Status AppendLocked(Series& s, int64_t t, double v);

  StoreOptions options_;
  mutable std::shared_mutex mu_;
  uint32_t next_id_ = 0;
  std::map<Labels, uint32_t> ids_;
  std::unordered_map<uint32_t, std::unique_ptr<Series>> series_;
  // name -> value -> sorted series ids
  std::map<std::string, std::map<std::string, std::vector<uint32_t>>> postings_;
  int64_t bytes_ = 0;  // sealed data + head bytes
  int64_t chunks_ = 0;
  int64_t samples_ = 0;

  prometheus::Gauge* series_gauge_ = nullptr;
  prometheus::Gauge* chunks_gauge_ = nullptr;
  prometheus::Gauge* bytes_gauge_ = nullptr;
  prometheus::Counter* appended_ = nullptr;
  prometheus::Counter* compacted_ = nullptr;
};

}  // namespace depin::store
