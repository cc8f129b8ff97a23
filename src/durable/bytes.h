// Little-endian primitives for the checkpoint and write-ahead log formats
// (docs/storage.md, "Restart without loss"). A reader never reads past its
// input: a short read sets a sticky failure that ok() reports.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace depin::durable {

class ByteWriter {
 public:
  explicit ByteWriter(std::string* out) : out_(out) {}
  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void U32(uint32_t v) { Fixed(v); }
  void U64(uint64_t v) { Fixed(v); }
  void I64(int64_t v) { Fixed(static_cast<uint64_t>(v)); }
  void F64(double v) { Fixed(std::bit_cast<uint64_t>(v)); }
  void Bool(bool v) { U8(v ? 1 : 0); }
  // u32 length, then the bytes.
  void Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_->append(s);
  }

 private:
  template <typename T>
  void Fixed(T v) {
    char b[sizeof(T)];
    for (size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_->append(b, sizeof(T));
  }
  std::string* out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  uint8_t U8() { return Fixed<uint8_t>(); }
  uint32_t U32() { return Fixed<uint32_t>(); }
  uint64_t U64() { return Fixed<uint64_t>(); }
  int64_t I64() { return static_cast<int64_t>(Fixed<uint64_t>()); }
  double F64() { return std::bit_cast<double>(Fixed<uint64_t>()); }
  bool Bool() { return U8() != 0; }
  // A view into the input; empty on a short read.
  std::string_view Str() {
    const uint32_t n = U32();
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  // A count of items of at least `min_item_bytes` each that can still be
  // present: guards allocations sized from the input.
  uint32_t Count(size_t min_item_bytes) {
    const uint32_t n = U32();
    if (ok_ && static_cast<uint64_t>(n) * min_item_bytes > in_.size() - pos_) ok_ = false;
    return ok_ ? n : 0;
  }
  bool ok() const { return ok_; }
  // True when everything was read without a short read.
  bool done() const { return ok_ && pos_ == in_.size(); }

 private:
  template <typename T>
  T Fixed() {
    if (!ok_ || in_.size() - pos_ < sizeof(T)) {
      ok_ = false;
      return T{};
    }
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      v |= static_cast<T>(static_cast<T>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i));
    }
    pos_ += sizeof(T);
    return v;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace depin::durable
