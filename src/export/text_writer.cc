#include "export/text_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace depin::exposition {
namespace {

// Longest text of a value: "-1.2345678901234567e-308" is 24 characters.
constexpr size_t kMaxValueChars = 32;

char* Copy(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// Writes `v` at p (room for kMaxValueChars); returns the end.
char* WriteValue(char* p, double v) {
  if (std::isnan(v)) return Copy(p, "NaN");
  if (std::isinf(v)) return Copy(p, v > 0 ? "+Inf" : "-Inf");
  // Small integers (states, counts, ranks) print the same as the shortest
  // float form, which is fixed below 1e5; the integer path is much cheaper.
  if (v > -1e5 && v < 1e5 && v == std::trunc(v) && !(v == 0 && std::signbit(v))) {
    return std::to_chars(p, p + kMaxValueChars, static_cast<int32_t>(v)).ptr;
  }
  return std::to_chars(p, p + kMaxValueChars, v).ptr;
}

// Writes `value` at p with \\, \" and \n escaped (room for twice its size);
// when `quote` is false '"' is left alone, as in HELP text.
char* WriteEscaped(char* p, std::string_view value, bool quote) {
  for (char c : value) {
    if (c == '\\' || c == '\n' || (quote && c == '"')) {
      *p++ = '\\';
      *p++ = c == '\n' ? 'n' : c;
    } else {
      *p++ = c;
    }
  }
  return p;
}

}  // namespace

void AppendValue(std::string* out, double v) {
  char buf[kMaxValueChars];
  out->append(buf, WriteValue(buf, v));
}

void AppendEscaped(std::string* out, std::string_view value) {
  const size_t start = out->size();
  out->resize(start + 2 * value.size());
  char* end = WriteEscaped(out->data() + start, value, true);
  out->resize(static_cast<size_t>(end - out->data()));
}

TextWriter::TextWriter(std::string buffer) : out_(std::move(buffer)) {
  out_.resize(out_.capacity());
}

void TextWriter::Reserve(size_t bytes) {
  if (out_.size() < bytes) out_.resize(bytes);
}

char* TextWriter::Claim(size_t bytes) {
  if (len_ + bytes > out_.size()) out_.resize(std::max(2 * out_.size(), len_ + bytes));
  return out_.data() + len_;
}

std::string TextWriter::Take() {
  out_.resize(len_);
  len_ = 0;
  return std::move(out_);
}

void TextWriter::Family(std::string_view name, std::string_view help, std::string_view type) {
  char* p = Claim(2 * name.size() + 2 * help.size() + type.size() + 16);
  p = Copy(p, "# HELP ");
  p = Copy(p, name);
  *p++ = ' ';
  p = WriteEscaped(p, help, false);
  p = Copy(p, "\n# TYPE ");
  p = Copy(p, name);
  *p++ = ' ';
  p = Copy(p, type);
  *p++ = '\n';
  len_ = static_cast<size_t>(p - out_.data());
}

void TextWriter::Sample(std::string_view name, std::initializer_list<LabelPair> labels,
                        double value) {
  size_t bound = name.size() + 3 + kMaxValueChars;
  for (const auto& [k, v] : labels) bound += k.size() + 2 * v.size() + 4;
  char* p = Claim(bound);
  p = Copy(p, name);
  if (labels.size() > 0) {
    char sep = '{';
    for (const auto& [k, v] : labels) {
      *p++ = sep;
      sep = ',';
      p = Copy(p, k);
      *p++ = '=';
      *p++ = '"';
      p = WriteEscaped(p, v, true);
      *p++ = '"';
    }
    *p++ = '}';
  }
  *p++ = ' ';
  p = WriteValue(p, value);
  *p++ = '\n';
  len_ = static_cast<size_t>(p - out_.data());
}

}  // namespace depin::exposition
