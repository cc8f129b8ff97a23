// gzip members assembled from a cached deflated prefix and a per-response
// tail, checked by zlib's own inflater; and Accept-Encoding negotiation.
#include "export/gzip_parts.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "export/metrics_cache.h"

namespace depin::exposition {
namespace {

// Inflates one whole gzip member; fails the test on trailing bytes, a bad
// CRC or length (zlib checks the trailer), or a truncated stream.
std::string Gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  int rc;
  do {
    char buffer[4096];
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof(buffer);
    rc = inflate(&z, Z_NO_FLUSH);
    EXPECT_TRUE(rc == Z_OK || rc == Z_STREAM_END) << "inflate: " << rc;
    out.append(buffer, sizeof(buffer) - z.avail_out);
  } while (rc == Z_OK);
  EXPECT_EQ(rc, Z_STREAM_END);
  EXPECT_EQ(z.avail_in, 0u) << "bytes after the gzip member";
  inflateEnd(&z);
  return out;
}

std::string Assemble(const DeflatedPrefix& prefix, const std::string& tail) {
  return std::string(GzipHeader()) + prefix.deflated + FinishGzip(prefix, tail);
}

// Exposition-like text: compressible but not trivially so.
std::string SomeText(size_t bytes, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out;
  while (out.size() < bytes) {
    out += "depin_provider_reputation_score{provider=\"p-" + std::to_string(rng() % 100000) +
           "\"} " + std::to_string(rng() % 10000 / 100.0) + "\n";
  }
  return out;
}

TEST(GzipParts, PrefixAndTailMakeOneValidMember) {
  const std::string body = SomeText(300'000, 1), tail = SomeText(5'000, 2);
  const DeflatedPrefix prefix = DeflatePrefix(body);
  EXPECT_EQ(prefix.length, body.size());
  EXPECT_LT(prefix.deflated.size(), body.size() / 2);
  EXPECT_EQ(Gunzip(Assemble(prefix, tail)), body + tail);
  // The same prefix serves any number of different tails.
  EXPECT_EQ(Gunzip(Assemble(prefix, "x 1\n")), body + "x 1\n");
}

TEST(GzipParts, EmptyPartsAreValid) {
  EXPECT_EQ(Gunzip(Assemble(DeflatePrefix(""), "")), "");
  EXPECT_EQ(Gunzip(Assemble(DeflatePrefix(""), "tail\n")), "tail\n");
  EXPECT_EQ(Gunzip(Assemble(DeflatePrefix("body\n"), "")), "body\n");
}

TEST(GzipParts, AcceptEncodingNegotiation) {
  EXPECT_TRUE(AcceptsGzip("gzip"));  // what Prometheus sends
  EXPECT_TRUE(AcceptsGzip("deflate, gzip;q=1.0, *;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("GZIP"));
  EXPECT_TRUE(AcceptsGzip("x-gzip"));
  EXPECT_TRUE(AcceptsGzip("br, *"));
  EXPECT_TRUE(AcceptsGzip(" gzip ; q=0.001 "));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0.0, *"));  // named beats the wildcard
  EXPECT_FALSE(AcceptsGzip("*;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=abc"));  // malformed: ignored
  EXPECT_FALSE(AcceptsGzip("gzip;q=2"));
  EXPECT_FALSE(AcceptsGzip("gzipx"));
}

TEST(MetricsCache, DeflatesEachBodyOnceForAllScrapers) {
  MetricsCache cache;
  EXPECT_EQ(Gunzip(Assemble(*cache.GetDeflated(), "")), "");
  const std::string body = SomeText(200'000, 3);
  cache.Set(body);
  std::vector<std::shared_ptr<const DeflatedPrefix>> seen(4);
  std::vector<std::thread> scrapers;
  scrapers.reserve(seen.size());
  for (auto& s : seen) scrapers.emplace_back([&cache, &s] { s = cache.GetDeflated(); });
  for (auto& t : scrapers) t.join();
  for (const auto& s : seen) EXPECT_EQ(s.get(), seen[0].get()) << "compressed more than once";
  EXPECT_EQ(Gunzip(Assemble(*seen[0], "self 1\n")), body + "self 1\n");
  cache.Set("next 2\n");
  EXPECT_NE(cache.GetDeflated().get(), seen[0].get());
  EXPECT_EQ(Gunzip(Assemble(*cache.GetDeflated(), "")), "next 2\n");
}

TEST(MetricsCache, WarmsTheNextBodyOnlyWhileGzipScrapersCome) {
  MetricsCache cache;
  cache.Set("a 1\n");
  EXPECT_FALSE(cache.WarmDeflated()) << "nobody asked for gzip yet";
  (void)cache.GetDeflated();  // a gzip scrape of "a 1"
  cache.Set("b 2\n");
  EXPECT_TRUE(cache.WarmDeflated()) << "the previous body was served deflated";
  EXPECT_FALSE(cache.WarmDeflated()) << "already deflated";  // once per body
  cache.Set("c 3\n");                                        // "b 2" was warmed but never scraped
  EXPECT_FALSE(cache.WarmDeflated());
  EXPECT_EQ(Gunzip(Assemble(*cache.GetDeflated(), "")), "c 3\n");
}

TEST(MetricsCache, HandsBackTheMemoryOfABodyNoScrapeHolds) {
  MetricsCache cache;
  EXPECT_TRUE(cache.TakeSpare().empty());
  std::string first = SomeText(100'000, 1);
  const char* first_memory = first.data();
  cache.Set(std::move(first));
  cache.Set("second 2\n");
  std::string spare = cache.TakeSpare();
  EXPECT_GE(spare.capacity(), 100'000u);
  EXPECT_EQ(spare.data(), first_memory) << "the first body's own buffer";
  EXPECT_EQ(cache.TakeSpare().capacity(), std::string().capacity()) << "handed out once";

  // A scrape still sending the body keeps it: nothing is handed back.
  cache.Set(SomeText(50'000, 2));
  std::shared_ptr<const std::string> scraping = cache.Get();
  cache.Set("fourth 4\n");
  EXPECT_EQ(cache.TakeSpare().capacity(), std::string().capacity());
  EXPECT_GE(scraping->size(), 50'000u) << "untouched while held";
}

}  // namespace
}  // namespace depin::exposition
