#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

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

}  // namespace
}  // namespace depin::store
