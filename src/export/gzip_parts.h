// One gzip member built from separately deflated parts, as pigz builds its
// output: a large body is deflated once, sync-flushed so that it ends on a
// byte boundary without a final block, and every response appends its own
// small tail, finished, and the trailer. A scrape of a cached body then
// costs the tail's compression, never the body's (docs/benchmarks.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace depin::exposition {

// `data` as raw deflate blocks, none of them final, ending byte-aligned.
struct DeflatedPrefix {
  std::string deflated;
  uint32_t crc = 0;     // CRC-32 of `data`
  uint64_t length = 0;  // bytes of `data`
};

// Fast compression: a scrape body is rebuilt every evaluation.
inline constexpr int kScrapeGzipLevel = 1;

DeflatedPrefix DeflatePrefix(std::string_view data, int level = kScrapeGzipLevel);

// The 10 bytes that open the member (no name, no time, unknown OS).
std::string_view GzipHeader();

// What follows GzipHeader() and prefix.deflated to end the member: `tail`
// deflated with the final block, then the CRC-32 and length of prefix + tail.
std::string FinishGzip(const DeflatedPrefix& prefix, std::string_view tail,
                       int level = kScrapeGzipLevel);

// Whether an Accept-Encoding header value allows gzip: listed (or "*")
// with a q-value above 0 (RFC 9110 §12.5.3). Case-insensitive.
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace depin::exposition
