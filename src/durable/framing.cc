#include "durable/framing.h"

#include "durable/bytes.h"
#include "store/crc32c.h"

namespace depin::durable {
namespace {

uint32_t ReadU32(std::string_view data, size_t pos) {
  ByteReader r(data.substr(pos, 4));
  return r.U32();
}

enum class Frame { kIntact, kBad, kPastEnd };

// Checks the record at `pos`; on kIntact sets `*size` to its framed size.
Frame CheckFrame(std::string_view data, size_t pos, size_t* size) {
  if (data.size() - pos < kRecordHeaderBytes) return Frame::kPastEnd;
  if (ReadU32(data, pos) != kRecordMagic) return Frame::kBad;
  const uint32_t length = ReadU32(data, pos + 4);
  if (length > kMaxRecordBytes) return Frame::kBad;
  if (length > data.size() - pos - kRecordHeaderBytes) return Frame::kPastEnd;
  const std::string_view payload = data.substr(pos + kRecordHeaderBytes, length);
  if (store::Crc32c(payload) != ReadU32(data, pos + 8)) return Frame::kBad;
  *size = kRecordHeaderBytes + length;
  return Frame::kIntact;
}

}  // namespace

void AppendRecord(std::string* out, std::string_view payload) {
  ByteWriter w(out);
  w.U32(kRecordMagic);
  w.U32(static_cast<uint32_t>(payload.size()));
  w.U32(store::Crc32c(payload));
  out->append(payload);
}

ScanResult ScanRecords(std::string_view data) {
  ScanResult result;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t size = 0;
    const Frame frame = CheckFrame(data, pos, &size);
    if (frame == Frame::kIntact) {
      result.payloads.push_back(data.substr(pos + kRecordHeaderBytes, size - kRecordHeaderBytes));
      pos += size;
      continue;
    }
    // Resynchronise on the next intact record after the damage.
    size_t next = pos + 1;
    for (; next + kRecordHeaderBytes <= data.size(); ++next) {
      size_t ignored;
      if (ReadU32(data, next) == kRecordMagic &&
          CheckFrame(data, next, &ignored) == Frame::kIntact) {
        break;
      }
    }
    if (next + kRecordHeaderBytes > data.size()) {
      result.lost_bytes += data.size() - pos;
      if (frame == Frame::kPastEnd) {
        result.truncated = true;
      } else {
        ++result.corrupt;
      }
      break;
    }
    result.lost_bytes += next - pos;
    ++result.corrupt;
    pos = next;
  }
  return result;
}

}  // namespace depin::durable
