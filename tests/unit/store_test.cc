#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "store/crc32c.h"
#include "store/store.h"
#include "store/xor_chunk.h"

namespace depin::store {
namespace {

struct Sample {
  int64_t t;
  double v;
};

std::vector<Sample> RoundTrip(const std::vector<Sample>& in, std::string* bytes = nullptr) {
  XorChunkWriter w;
  for (const auto& s : in) EXPECT_TRUE(w.Append(s.t, s.v).ok());
  if (bytes) *bytes = w.bytes();
  XorChunkReader r(w.bytes());
  std::vector<Sample> out;
  while (r.Next()) out.push_back({r.t(), r.v()});
  EXPECT_TRUE(r.status().ok()) << r.status().message();
  return out;
}

void ExpectSame(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].t, b[i].t) << i;
    EXPECT_EQ(std::bit_cast<uint64_t>(a[i].v), std::bit_cast<uint64_t>(b[i].v)) << i;
  }
}

TEST(XorChunk, HeaderAndFirstSampleLayout) {
  XorChunkWriter w;
  ASSERT_TRUE(w.Append(1, 1.0).ok());
  // 2-byte count, zigzag varint 1 -> 0x02, then the 64 raw bits of 1.0.
  const std::string& b = w.bytes();
  ASSERT_EQ(b.size(), 2u + 1 + 8);
  EXPECT_EQ(b[1], 1);
  EXPECT_EQ(static_cast<uint8_t>(b[2]), 0x02);
  EXPECT_EQ(static_cast<uint8_t>(b[3]), 0x3f);
  EXPECT_EQ(static_cast<uint8_t>(b[4]), 0xf0);
}

TEST(XorChunk, RoundTripsEveryTimestampClassAndValueKind) {
  std::vector<Sample> in;
  int64_t t = 1'700'000'000'000;
  const int64_t steps[] = {15'000,
                           15'000,
                           15'001,
                           14'000,
                           15'000 + 8'192,
                           15'000 - 8'191,
                           15'000 + 65'536,
                           15'000 + 524'288,
                           15'000 + 600'000,
                           3'600'000'000,
                           1,
                           15'000};
  const double values[] = {0.0,
                           1.0,
                           -1.5,
                           96.15538461538461,
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           std::nan(""),
                           1e-300,
                           1e300,
                           96.15538461538461,
                           96.2,
                           0.0};
  for (size_t i = 0; i < std::size(steps); ++i) {
    t += steps[i];
    in.push_back({t, values[i]});
  }
  ExpectSame(in, RoundTrip(in));
}

TEST(XorChunk, RandomSeriesRoundTrip) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> jitter(-2000, 2000);
  std::normal_distribution<double> noise(0, 5);
  for (int run = 0; run < 20; ++run) {
    std::vector<Sample> in;
    int64_t t = static_cast<int64_t>(rng() % 1'000'000'000'000);
    double v = 50;
    for (int i = 0; i < 500; ++i) {
      t += 15'000 + jitter(rng);
      v += (run % 2) ? noise(rng) : 0.0;
      in.push_back({t, run % 3 == 0 ? std::round(v) : v});
    }
    ExpectSame(in, RoundTrip(in));
  }
}

TEST(XorChunk, RejectsNonIncreasingTimestamps) {
  XorChunkWriter w;
  ASSERT_TRUE(w.Append(10, 1).ok());
  EXPECT_FALSE(w.Append(10, 2).ok());
  EXPECT_FALSE(w.Append(5, 2).ok());
  EXPECT_EQ(w.samples(), 1);
}

TEST(XorChunk, CorruptOrTruncatedChunksAreReportedNotCrashed) {
  std::vector<Sample> in;
  for (int i = 0; i < 100; ++i) in.push_back({1000 + i * 15'000LL, i * 0.37});
  std::string bytes;
  RoundTrip(in, &bytes);
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    XorChunkReader r(std::string_view(bytes).substr(0, cut));
    int n = 0;
    while (r.Next()) ++n;
    EXPECT_LT(n, 100);
    EXPECT_FALSE(r.status().ok());
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::string garbage(static_cast<size_t>(rng() % 64), '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    XorChunkReader r(garbage);
    while (r.Next()) {
    }
  }
}

TEST(XorChunk, CompressesRegularDerivedSeries) {
  // A score sampled every 15 s that changes every fourth sample: the shape
  // of the derived series the store keeps.
  std::vector<Sample> in;
  double v = 87.5;
  for (int i = 0; i < 120; ++i) {
    if (i % 4 == 0) v += 0.25 * ((i / 4) % 3 - 1);
    in.push_back({1'700'000'000'000 + i * 15'000LL, v});
  }
  std::string bytes;
  ExpectSame(in, RoundTrip(in, &bytes));
  const double per_sample = static_cast<double>(bytes.size()) / in.size();
  RecordProperty("bytes_per_sample", std::to_string(per_sample));
  EXPECT_LT(per_sample, 1.5) << bytes.size() << " bytes for " << in.size() << " samples";
}

uint32_t GetU32ForTest(const std::string& s, size_t off) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(s[off + i])) << (8 * i);
  return v;
}

// ---- Store -----------------------------------------------------------------

constexpr int64_t kT0 = 1'700'000'000'000;

Labels L(std::string name, std::string provider, std::string extra = "") {
  Labels l{{"__name__", std::move(name)}, {"provider", std::move(provider)}};
  if (!extra.empty()) l.emplace_back("tier", std::move(extra));
  return l;
}

Matcher M(Matcher::Type type, std::string name, std::string value) {
  return Matcher{type, std::move(name), std::move(value)};
}

std::vector<std::string> Providers(const std::vector<SeriesData>& got) {
  std::vector<std::string> out;
  for (const auto& s : got)
    for (const auto& [n, v] : s.labels)
      if (n == "provider") out.push_back(v);
  return out;
}

TEST(Crc32c, KnownVector) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32cPortable("123456789"), 0xE3069283u);
}

// The CRC32-instruction path and the table agree on every length and
// alignment, and when a checksum is continued over pieces.
TEST(Crc32c, HardwareAndTableAgree) {
  std::mt19937 rng(7);
  std::string data(4099, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (size_t off = 0; off < 9; ++off) {
    for (size_t len : {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4090}) {
      std::string_view piece = std::string_view(data).substr(off, len);
      ASSERT_EQ(Crc32c(piece), Crc32cPortable(piece)) << off << " " << len;
      const uint32_t head = Crc32c(piece.substr(0, len / 3));
      ASSERT_EQ(Crc32c(piece.substr(len / 3), head), Crc32cPortable(piece)) << off << " " << len;
    }
  }
}

TEST(Store, AppendSelectSamplesAndChunks) {
  Store st({});
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(st.Append(L("score", "a"), kT0 + i * 1000, i).ok());
  auto stats = st.Stats();
  EXPECT_EQ(stats.series, 1);
  EXPECT_EQ(stats.chunks, 3);  // 120 + 120 + head of 60
  EXPECT_EQ(stats.samples, 300);
  auto got = st.Select({M(Matcher::Type::kEq, "__name__", "score")}, kT0 + 10'000, kT0 + 20'000,
                       SelectMode::kSamples, {});
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->size(), 1u);
  ASSERT_EQ((*got)[0].samples.size(), 11u);
  EXPECT_EQ((*got)[0].samples.front().t, kT0 + 10'000);
  EXPECT_EQ((*got)[0].samples.front().v, 10);
  // Chunks: whole chunks overlapping the range.
  auto chunks = st.Select({M(Matcher::Type::kEq, "provider", "a")}, kT0 + 119'000, kT0 + 121'000,
                          SelectMode::kChunks, {});
  ASSERT_TRUE(chunks.ok());
  ASSERT_EQ((*chunks)[0].chunks.size(), 2u);
  EXPECT_EQ((*chunks)[0].chunks[0].min_t, kT0);
  EXPECT_EQ((*chunks)[0].chunks[1].max_t, kT0 + 239'000);
  XorChunkReader r((*chunks)[0].chunks[1].data);
  int n = 0;
  while (r.Next()) ++n;
  EXPECT_EQ(n, 120);
  // Out of order and duplicate timestamps are rejected.
  EXPECT_FALSE(st.Append(L("score", "a"), kT0, 1).ok());
  EXPECT_FALSE(st.Append(L("score", "a"), kT0 + 299'000, 1).ok());
  // NaN is stored.
  ASSERT_TRUE(st.Append(L("score", "a"), kT0 + 300'000, std::nan("")).ok());
}

TEST(Store, Matchers) {
  Store st({});
  ASSERT_TRUE(st.Append(L("score", "a", "gold"), kT0, 1).ok());
  ASSERT_TRUE(st.Append(L("score", "b", "silver"), kT0, 2).ok());
  ASSERT_TRUE(st.Append(L("score", "c"), kT0, 3).ok());
  ASSERT_TRUE(st.Append(L("other", "a"), kT0, 4).ok());
  auto sel = [&](std::vector<Matcher> m) {
    auto got = st.Select(m, kT0, kT0, SelectMode::kSamples, {});
    EXPECT_TRUE(got.ok()) << got.status().message();
    return got.ok() ? Providers(*got) : std::vector<std::string>{};
  };
  using T = Matcher::Type;
  using V = std::vector<std::string>;
  EXPECT_EQ(sel({M(T::kEq, "__name__", "score")}), (V{"a", "b", "c"}));
  EXPECT_EQ(sel({M(T::kEq, "__name__", "score"), M(T::kNeq, "provider", "b")}), (V{"a", "c"}));
  EXPECT_EQ(sel({M(T::kEq, "__name__", "score"), M(T::kRe, "provider", "a|b")}), (V{"a", "b"}));
  // Anchored: "a" does not match "ab"-style partial values, ".*" matches all.
  EXPECT_EQ(sel({M(T::kRe, "provider", "")}), V{});
  EXPECT_EQ(sel({M(T::kEq, "__name__", "score"), M(T::kNre, "tier", "gold|silver")}), (V{"c"}));
  // A missing label is "": tier="" selects the series without one.
  EXPECT_EQ(sel({M(T::kEq, "__name__", "score"), M(T::kEq, "tier", "")}), (V{"c"}));
  EXPECT_EQ(sel({M(T::kRe, "tier", "g.*")}), (V{"a"}));
  EXPECT_EQ(sel({M(T::kRe, "tier", "old")}), V{});
  EXPECT_EQ(sel({M(T::kNeq, "__name__", "score")}), (V{"a"}));
  auto bad = st.Select({M(T::kRe, "provider", "(")}, kT0, kT0, SelectMode::kSamples, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(st.Select({}, kT0, kT0, SelectMode::kSamples, {}).ok());
}

TEST(Store, QueryLimits) {
  Store st({});
  for (int p = 0; p < 10; ++p)
    for (int i = 0; i < 50; ++i)
      ASSERT_TRUE(st.Append(L("score", "p" + std::to_string(p)), kT0 + i, i).ok());
  auto m = std::vector<Matcher>{M(Matcher::Type::kEq, "__name__", "score")};
  auto series = st.Select(m, kT0, kT0 + 100, SelectMode::kSamples, {5, 0});
  ASSERT_FALSE(series.ok());
  EXPECT_EQ(series.status().code(), Status::Code::kTooLarge);
  EXPECT_NE(series.status().message().find("10 series"), std::string::npos);
  auto samples = st.Select(m, kT0, kT0 + 100, SelectMode::kSamples, {0, 499});
  ASSERT_FALSE(samples.ok());
  EXPECT_EQ(samples.status().code(), Status::Code::kTooLarge);
  EXPECT_TRUE(st.Select(m, kT0, kT0 + 100, SelectMode::kSamples, {10, 500}).ok());
  EXPECT_FALSE(st.Select(m, kT0, kT0 + 100, SelectMode::kChunks, {0, 499}).ok());
}

TEST(Store, RetentionByTimeAndSize) {
  StoreOptions opt;
  opt.retention_ms = 100'000;
  Store st(opt);
  for (int i = 0; i < 360; ++i) ASSERT_TRUE(st.Append(L("score", "a"), kT0 + i * 1000, i).ok());
  ASSERT_TRUE(st.Append(L("score", "old"), kT0, 1).ok());
  st.ApplyRetention(kT0 + 359'000);  // cutoff kT0+259s: first two chunks go
  auto stats = st.Stats();
  EXPECT_EQ(stats.series, 1);  // "old" is gone entirely
  EXPECT_EQ(stats.chunks, 1);
  EXPECT_EQ(stats.samples, 120);

  StoreOptions size_opt;
  size_opt.retention_ms = 0;
  Store sized(size_opt);
  for (int i = 0; i < 600; ++i) {
    ASSERT_TRUE(sized.Append(L("score", "a"), kT0 + i * 1000, i * 1.37).ok());
    ASSERT_TRUE(sized.Append(L("score", "b"), kT0 + i * 1000 + 500, i * 2.71).ok());
  }
  const int64_t full = sized.Stats().bytes;
  size_opt.retention_bytes = full / 2;
  Store limited(size_opt);
  for (int i = 0; i < 600; ++i) {
    ASSERT_TRUE(limited.Append(L("score", "a"), kT0 + i * 1000, i * 1.37).ok());
    ASSERT_TRUE(limited.Append(L("score", "b"), kT0 + i * 1000 + 500, i * 2.71).ok());
  }
  limited.ApplyRetention(kT0 + 600'000);
  EXPECT_LE(limited.Stats().bytes, full / 2);
  EXPECT_GT(limited.Stats().bytes, 0);
  // The newest data survives.
  auto got = limited.Select({M(Matcher::Type::kEq, "provider", "a")}, kT0 + 599'000, kT0 + 599'000,
                            SelectMode::kSamples, {});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
}

void Fill(Store& st, int providers, int samples) {
  for (int p = 0; p < providers; ++p)
    for (int i = 0; i < samples; ++i)
      ASSERT_TRUE(st.Append(L("score", "p" + std::to_string(p)), kT0 + i * 15'000,
                            80 + 0.25 * ((i / 4 + p) % 3))
                      .ok());
}

TEST(Store, PersistenceRoundTrip) {
  Store st({});
  Fill(st, 5, 250);
  std::string file = st.Serialize();
  Store back({});
  LoadReport r = back.Deserialize(file);
  EXPECT_TRUE(r.problem.empty()) << r.problem;
  EXPECT_EQ(r.series, 5);
  EXPECT_EQ(r.samples, 1250);
  auto a = st.Stats(), b = back.Stats();
  EXPECT_EQ(a.series, b.series);
  EXPECT_EQ(a.chunks, b.chunks);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.samples, b.samples);
  EXPECT_EQ(back.Serialize(), file);
  // Appends continue the restored head chunk.
  ASSERT_TRUE(back.Append(L("score", "p0"), kT0 + 250 * 15'000, 1).ok());
  EXPECT_FALSE(back.Append(L("score", "p0"), kT0, 1).ok());
  EXPECT_EQ(back.Stats().chunks, a.chunks);

  // Through the file system.
  const std::string dir = ::testing::TempDir() + "store_roundtrip";
  ASSERT_TRUE(st.Save(dir).ok());
  Store loaded({});
  auto lr = loaded.Load(dir);
  ASSERT_TRUE(lr.ok()) << lr.status().message();
  EXPECT_TRUE(lr->found);
  EXPECT_EQ(lr->samples, 1250);
  auto none = loaded.Load(dir + "/absent");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->found);
}

TEST(Store, CorruptAndTruncatedFilesRecoverWhatIsIntact) {
  Store st({});
  Fill(st, 5, 250);
  const std::string file = st.Serialize();
  // Flip a byte inside the third record's payload: one series is lost.
  std::string corrupt = file;
  size_t off = 12;
  for (int i = 0; i < 2; ++i) off += 8 + GetU32ForTest(corrupt, off);
  corrupt[off + 8 + 20] ^= 0x5a;
  Store a({});
  LoadReport ra = a.Deserialize(corrupt);
  EXPECT_EQ(ra.corrupt_records, 1);
  EXPECT_EQ(ra.series, 4);
  EXPECT_FALSE(ra.truncated);
  EXPECT_NE(ra.problem.find("checksum"), std::string::npos) << ra.problem;
  // Truncated in the middle of the fourth record: three series come back.
  size_t cut = 12;
  for (int i = 0; i < 3; ++i) cut += 8 + GetU32ForTest(file, cut);
  Store b({});
  LoadReport rb = b.Deserialize(std::string_view(file).substr(0, cut + 30));
  EXPECT_TRUE(rb.truncated);
  EXPECT_EQ(rb.series, 3);
  EXPECT_EQ(b.Stats().series, 3);
  // Cut exactly at a record boundary: the missing footer is noticed.
  Store c({});
  LoadReport rc = c.Deserialize(std::string_view(file).substr(0, cut));
  EXPECT_TRUE(rc.truncated);
  EXPECT_EQ(rc.series, 3);
  // Garbage.
  Store d({});
  LoadReport rd = d.Deserialize("not a store file at all");
  EXPECT_FALSE(rd.problem.empty());
  EXPECT_EQ(d.Stats().series, 0);
}

std::vector<SeriesData> SelectAll(const Store& st, SelectMode mode) {
  auto got = st.Select({M(Matcher::Type::kEq, "__name__", "score")}, 0,
                       std::numeric_limits<int64_t>::max(), mode, {});
  EXPECT_TRUE(got.ok()) << got.status().message();
  return got.ok() ? *got : std::vector<SeriesData>{};
}

TEST(Store, CompactionMergesOldChunksAndKeepsEverySample) {
  Store st({});       // compact after 2h into chunks of up to 960 samples
  Fill(st, 5, 1200);  // 5 h at 15 s: 10 chunks of 120 per series
  const auto before = SelectAll(st, SelectMode::kSamples);
  const auto stats_before = st.Stats();
  const int64_t now = kT0 + 1200 * 15'000;

  // Chunks ending before now - 2h (the first 6 of each series) become one.
  EXPECT_EQ(st.Compact(now), 5 * 5);
  EXPECT_EQ(st.Stats().chunks, stats_before.chunks - 25);
  EXPECT_EQ(st.Stats().samples, stats_before.samples);
  EXPECT_LT(st.Stats().bytes, stats_before.bytes);
  const auto after = SelectAll(st, SelectMode::kSamples);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    ASSERT_EQ(after[i].samples.size(), before[i].samples.size());
    for (size_t j = 0; j < after[i].samples.size(); ++j) {
      EXPECT_EQ(after[i].samples[j].t, before[i].samples[j].t);
      EXPECT_EQ(after[i].samples[j].v, before[i].samples[j].v);
    }
  }
  const auto chunks = SelectAll(st, SelectMode::kChunks);
  ASSERT_FALSE(chunks.empty());
  EXPECT_EQ(chunks[0].chunks[0].samples, 720);
  EXPECT_EQ(chunks[0].chunks[0].min_t, kT0);
  EXPECT_EQ(chunks[0].chunks[0].max_t, kT0 + 719 * 15'000);

  EXPECT_EQ(st.Compact(now), 0);  // nothing more is old enough
  // Two hours later the next old chunks join up to the 960-sample target.
  EXPECT_EQ(st.Compact(now + 2 * 3600 * 1000), 5 * 2);
  EXPECT_EQ(SelectAll(st, SelectMode::kChunks)[0].chunks[0].samples, 960);
  // The full 960-sample chunk is settled; retention dropping it leaves the
  // rest compacting as before, and every remaining sample is intact.
  Store aged({.retention_ms = 1LL * 3600 * 1000});
  Fill(aged, 1, 1200);
  EXPECT_EQ(aged.Compact(now + 2 * 3600 * 1000), 7);  // 960 + 240
  aged.ApplyRetention(kT0 + 1200 * 15'000);           // drops the 960-sample chunk
  EXPECT_EQ(aged.Stats().samples, 240);
  EXPECT_EQ(aged.Compact(now + 2 * 3600 * 1000), 0);
  const auto rest = SelectAll(aged, SelectMode::kSamples);
  ASSERT_EQ(rest.size(), 1u);
  ASSERT_EQ(rest[0].samples.size(), 240u);
  EXPECT_EQ(rest[0].samples.front().t, kT0 + 960 * 15'000);

  // Merged chunks survive the file format and keep retention by time.
  Store back({});
  EXPECT_EQ(back.Deserialize(st.Serialize()).corrupt_records, 0);
  EXPECT_EQ(back.Stats().samples, st.Stats().samples);
  EXPECT_EQ(back.Stats().chunks, st.Stats().chunks);
  Store disabled({.compact_after_ms = 0});
  Fill(disabled, 1, 1200);
  EXPECT_EQ(disabled.Compact(now), 0);
}

TEST(Store, BytesPerSampleOfDerivedLikeSeries) {
  Store st({});
  Fill(st, 50, 1200);
  auto s = st.Stats();
  const double per_sample = static_cast<double>(s.bytes) / static_cast<double>(s.samples);
  RecordProperty("bytes_per_sample", std::to_string(per_sample));
  EXPECT_LT(per_sample, 1.5);
  st.Compact(kT0 + 1200 * 15'000 + 2LL * 3600 * 1000);  // all of it old: 960 + 240
  s = st.Stats();
  const double compacted = static_cast<double>(s.bytes) / static_cast<double>(s.samples);
  RecordProperty("bytes_per_sample_compacted", std::to_string(compacted));
  EXPECT_LE(compacted, per_sample);
}

}  // namespace
}  // namespace depin::store
