#include "store/xor_chunk.h"

#include <bit>
#include <cstring>

namespace depin::store {
namespace {

// Whether `x` fits the asymmetric n-bit range of the dod encoding:
// [-(2^(n-1) - 1), 2^(n-1)], as Prometheus defines it.
bool FitsBits(int64_t x, int n) {
  const int64_t half = int64_t{1} << (n - 1);
  return -(half - 1) <= x && x <= half;
}

// Two's-complement arithmetic without undefined overflow: corrupt chunks
// decode to garbage, never to UB.
int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t WrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

}  // namespace

XorChunkWriter::XorChunkWriter() : bytes_(2, '\0') {}

void XorChunkWriter::WriteBit(bool bit) {
  if (free_bits_ == 0) {
    bytes_.push_back('\0');
    free_bits_ = 8;
  }
  --free_bits_;
  if (bit) bytes_.back() = static_cast<char>(bytes_.back() | (1 << free_bits_));
}

void XorChunkWriter::WriteBits(uint64_t value, int n) {
  for (int i = n - 1; i >= 0; --i) WriteBit((value >> i) & 1);
}

void XorChunkWriter::WriteUvarint(uint64_t v) {
  while (v >= 0x80) {
    WriteBits((v & 0x7f) | 0x80, 8);
    v >>= 7;
  }
  WriteBits(v, 8);
}

void XorChunkWriter::WriteVarint(int64_t v) {
  // Zigzag, as Go's binary.PutVarint.
  WriteUvarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

void XorChunkWriter::WriteValue(double v) {
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  const uint64_t delta = bits ^ v_bits_;
  v_bits_ = bits;
  if (delta == 0) {
    WriteBit(false);
    return;
  }
  WriteBit(true);
  uint8_t leading = static_cast<uint8_t>(std::countl_zero(delta));
  const uint8_t trailing = static_cast<uint8_t>(std::countr_zero(delta));
  if (leading >= 32) leading = 31;  // five bits hold it
  if (leading_ != 0xff && leading >= leading_ && trailing >= trailing_) {
    WriteBit(false);  // fits the previous window
    WriteBits(delta >> trailing_, 64 - leading_ - trailing_);
    return;
  }
  leading_ = leading;
  trailing_ = trailing;
  WriteBit(true);
  WriteBits(leading, 5);
  const int significant = 64 - leading - trailing;
  WriteBits(static_cast<uint64_t>(significant) & 63, 6);  // 64 is written as 0
  WriteBits(delta >> trailing, significant);
}

Status XorChunkWriter::Append(int64_t t, double v) {
  if (count_ >= kMaxChunkSamples) return Status::InvalidArgument("chunk full");
  if (count_ > 0 && t <= t_) return Status::InvalidArgument("timestamps must increase");
  if (count_ == 0) {
    WriteVarint(t);
    v_bits_ = std::bit_cast<uint64_t>(v);
    WriteBits(v_bits_, 64);
  } else if (count_ == 1) {
    t_delta_ = WrapSub(t, t_);
    WriteUvarint(static_cast<uint64_t>(t_delta_));
    WriteValue(v);
  } else {
    const int64_t delta = WrapSub(t, t_);
    const int64_t dod = WrapSub(delta, t_delta_);
    if (dod == 0) {
      WriteBit(false);
    } else if (FitsBits(dod, 14)) {
      WriteBits(0b10, 2);
      WriteBits(static_cast<uint64_t>(dod), 14);
    } else if (FitsBits(dod, 17)) {
      WriteBits(0b110, 3);
      WriteBits(static_cast<uint64_t>(dod), 17);
    } else if (FitsBits(dod, 20)) {
      WriteBits(0b1110, 4);
      WriteBits(static_cast<uint64_t>(dod), 20);
    } else {
      WriteBits(0b1111, 4);
      WriteBits(static_cast<uint64_t>(dod), 64);
    }
    t_delta_ = delta;
    WriteValue(v);
  }
  t_ = t;
  ++count_;
  bytes_[0] = static_cast<char>(count_ >> 8);
  bytes_[1] = static_cast<char>(count_ & 0xff);
  return Status::Ok();
}

XorChunkReader::XorChunkReader(std::string_view chunk) : data_(chunk) {
  if (chunk.size() < 2) {
    Fail("chunk shorter than its header");
    return;
  }
  total_ = (static_cast<uint8_t>(chunk[0]) << 8) | static_cast<uint8_t>(chunk[1]);
}

bool XorChunkReader::Fail(const char* what) {
  if (status_.ok()) status_ = Status::InvalidArgument(std::string("corrupt XOR chunk: ") + what);
  total_ = read_;
  return false;
}

bool XorChunkReader::ReadBit(bool* bit) {
  if (bit_pos_ >= data_.size() * 8) return Fail("truncated");
  *bit = (static_cast<uint8_t>(data_[bit_pos_ / 8]) >> (7 - bit_pos_ % 8)) & 1;
  ++bit_pos_;
  return true;
}

bool XorChunkReader::ReadBits(int n, uint64_t* out) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) {
    bool b = false;
    if (!ReadBit(&b)) return false;
    v = (v << 1) | static_cast<uint64_t>(b);
  }
  *out = v;
  return true;
}

bool XorChunkReader::ReadUvarint(uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    uint64_t byte = 0;
    if (!ReadBits(8, &byte)) return false;
    v |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return Fail("varint too long");
}

bool XorChunkReader::ReadVarint(int64_t* out) {
  uint64_t u = 0;
  if (!ReadUvarint(&u)) return false;
  *out = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
  return true;
}

bool XorChunkReader::ReadValue() {
  bool changed = false;
  if (!ReadBit(&changed)) return false;
  if (!changed) return true;
  bool new_window = false;
  if (!ReadBit(&new_window)) return false;
  if (new_window) {
    uint64_t leading = 0, significant = 0;
    if (!ReadBits(5, &leading) || !ReadBits(6, &significant)) return false;
    if (significant == 0) significant = 64;
    if (leading + significant > 64) return Fail("bad value window");
    leading_ = static_cast<uint8_t>(leading);
    trailing_ = static_cast<uint8_t>(64 - leading - significant);
  }
  const int significant = 64 - leading_ - trailing_;
  uint64_t bits = 0;
  if (!ReadBits(significant, &bits)) return false;
  v_bits_ ^= trailing_ >= 64 ? 0 : bits << trailing_;
  return true;
}

bool XorChunkReader::Next() {
  if (!status_.ok() || read_ >= total_) return false;
  if (read_ == 0) {
    if (!ReadVarint(&t_) || !ReadBits(64, &v_bits_)) return false;
  } else if (read_ == 1) {
    uint64_t delta = 0;
    if (!ReadUvarint(&delta)) return false;
    t_delta_ = static_cast<int64_t>(delta);
    t_ = WrapAdd(t_, t_delta_);
    if (!ReadValue()) return false;
  } else {
    int ones = 0;
    for (; ones < 4; ++ones) {
      bool b = false;
      if (!ReadBit(&b)) return false;
      if (!b) break;
    }
    int64_t dod = 0;
    if (ones > 0) {
      static constexpr int kSizes[] = {0, 14, 17, 20, 64};
      const int size = kSizes[ones];
      uint64_t bits = 0;
      if (!ReadBits(size, &bits)) return false;
      if (size < 64 && bits > (uint64_t{1} << (size - 1))) bits -= uint64_t{1} << size;
      dod = static_cast<int64_t>(bits);
    }
    t_delta_ = WrapAdd(t_delta_, dod);
    t_ = WrapAdd(t_, t_delta_);
    if (!ReadValue()) return false;
  }
  ++read_;
  return true;
}

double XorChunkReader::v() const { return std::bit_cast<double>(v_bits_); }

}  // namespace depin::store
