#include "export/gzip_parts.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>

#include "common/ascii.h"

namespace depin::exposition {
namespace {

// Raw deflate (negative window bits): the gzip framing is written here.
class RawDeflater {
 public:
  explicit RawDeflater(int level) {
    ok_ = deflateInit2(&z_, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~RawDeflater() {
    if (ok_) deflateEnd(&z_);
  }
  RawDeflater(const RawDeflater&) = delete;
  RawDeflater& operator=(const RawDeflater&) = delete;

  // Appends `data` deflated to *out, ending with `flush` (Z_SYNC_FLUSH or
  // Z_FINISH). zlib's avail_in is 32 bits, so large inputs go in pieces.
  void Deflate(std::string_view data, int flush, std::string* out) {
    if (!ok_) std::abort();  // only an out-of-memory zlib init fails
    constexpr size_t kPiece = size_t{1} << 30;
    do {
      const size_t piece = std::min(data.size(), kPiece);
      z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
      z_.avail_in = static_cast<uInt>(piece);
      data.remove_prefix(piece);
      const int mode = data.empty() ? flush : Z_NO_FLUSH;
      int rc;
      do {
        char buffer[64 * 1024];
        z_.next_out = reinterpret_cast<Bytef*>(buffer);
        z_.avail_out = sizeof(buffer);
        rc = deflate(&z_, mode);
        out->append(buffer, sizeof(buffer) - z_.avail_out);
      } while (z_.avail_out == 0 || (mode == Z_FINISH && rc != Z_STREAM_END));
    } while (!data.empty());
  }

 private:
  z_stream z_{};
  bool ok_ = false;
};

uint32_t Crc(std::string_view data) {
  uLong crc = crc32_z(0L, Z_NULL, 0);
  return static_cast<uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

void AppendLittleEndian32(uint32_t v, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// The q-value of one Accept-Encoding element ("gzip;q=0.5"): 1 when absent,
// nullopt when malformed (the element is then ignored).
std::optional<double> QValue(std::string_view params) {
  while (!params.empty()) {
    const size_t semi = params.find(';');
    const std::string_view param = params.substr(0, semi);
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos ||
        !EqualsIgnoreCase(TrimHttpWhitespace(param.substr(0, eq)), "q"))
      continue;
    const std::string_view value = TrimHttpWhitespace(param.substr(eq + 1));
    double q = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), q);
    if (ec != std::errc() || end != value.data() + value.size() || q < 0 || q > 1) {
      return std::nullopt;
    }
    return q;
  }
  return 1.0;
}

}  // namespace

DeflatedPrefix DeflatePrefix(std::string_view data, int level) {
  DeflatedPrefix out;
  RawDeflater deflater(level);
  deflater.Deflate(data, Z_SYNC_FLUSH, &out.deflated);
  out.deflated.shrink_to_fit();  // kept for a whole evaluation interval
  out.crc = Crc(data);
  out.length = data.size();
  return out;
}

std::string_view GzipHeader() {
  static constexpr char kHeader[] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 0, '\xff'};
  return {kHeader, sizeof(kHeader)};
}

std::string FinishGzip(const DeflatedPrefix& prefix, std::string_view tail, int level) {
  std::string out;
  RawDeflater deflater(level);
  deflater.Deflate(tail, Z_FINISH, &out);
  const uint32_t crc = static_cast<uint32_t>(
      crc32_combine(prefix.crc, Crc(tail), static_cast<z_off_t>(tail.size())));
  AppendLittleEndian32(crc, &out);
  AppendLittleEndian32(static_cast<uint32_t>(prefix.length + tail.size()), &out);  // mod 2^32
  return out;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  std::optional<double> gzip, any;
  while (!accept_encoding.empty()) {
    const size_t comma = accept_encoding.find(',');
    std::string_view element = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    const size_t semi = element.find(';');
    const std::string_view coding = TrimHttpWhitespace(element.substr(0, semi));
    const auto q =
        QValue(semi == std::string_view::npos ? std::string_view() : element.substr(semi + 1));
    if (!q) continue;
    if (EqualsIgnoreCase(coding, "gzip") || EqualsIgnoreCase(coding, "x-gzip")) {
      gzip = std::max(gzip.value_or(0.0), *q);
    } else if (coding == "*") {
      any = *q;
    }
  }
  if (gzip) return *gzip > 0;
  return any && *any > 0;
}

}  // namespace depin::exposition
