// Gorilla-style chunk compression as Prometheus's TSDB encodes XOR chunks:
// delta-of-delta timestamps and XOR'd float values, bit-packed. The byte
// layout is Prometheus's (2-byte big-endian sample count, then the bit
// stream), so chunks can go out unchanged in remote-read's
// STREAMED_XOR_CHUNKS responses (issue 4).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace depin::store {

// Most samples one chunk holds: its count is a 2-byte field.
inline constexpr int kMaxChunkSamples = 65535;

// Appends samples to one chunk. Timestamps must increase strictly.
class XorChunkWriter {
 public:
  XorChunkWriter();
  // InvalidArgument when `t` does not increase or the chunk is full (65535).
  Status Append(int64_t t, double v);
  int samples() const { return count_; }
  // The encoded chunk; valid until the next Append.
  const std::string& bytes() const { return bytes_; }

 private:
  void WriteBit(bool bit);
  void WriteBits(uint64_t value, int n);  // the n low bits, most significant first
  void WriteVarint(int64_t v);
  void WriteUvarint(uint64_t v);
  void WriteValue(double v);

  std::string bytes_;
  int free_bits_ = 0;  // unused low bits of the last byte
  int count_ = 0;
  int64_t t_ = 0;
  int64_t t_delta_ = 0;
  uint64_t v_bits_ = 0;
  uint8_t leading_ = 0xff;  // 0xff: no window yet
  uint8_t trailing_ = 0;
};

// Reads the samples of an encoded chunk in order.
class XorChunkReader {
 public:
  explicit XorChunkReader(std::string_view chunk);
  // Advances to the next sample; false at the end or on corrupt input
  // (then status() says why).
  bool Next();
  int64_t t() const { return t_; }
  double v() const;
  const Status& status() const { return status_; }
  int samples() const { return total_; }

 private:
  bool ReadBit(bool* bit);
  bool ReadBits(int n, uint64_t* out);
  bool ReadVarint(int64_t* out);
  bool ReadUvarint(uint64_t* out);
  bool ReadValue();
  bool Fail(const char* what);

  std::string_view data_;
  size_t bit_pos_ = 16;  // after the 2-byte count
  int total_ = 0;
  int read_ = 0;
  int64_t t_ = 0;
  int64_t t_delta_ = 0;
  uint64_t v_bits_ = 0;
  uint8_t leading_ = 0;
  uint8_t trailing_ = 0;
  Status status_;
};

}  // namespace depin::store
