#include "ingest/decode.h"

#include <snappy.h>

#include <array>

namespace depin::ingest {

Status DecompressSnappy(std::string_view body, int64_t max_decompressed, std::string* out) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &length)) {
    return Status::InvalidArgument("body is not snappy block-compressed data");
  }
  if (length > static_cast<uint64_t>(max_decompressed)) {
    return Status::TooLarge("decompressed size " + std::to_string(length) +
                            " bytes exceeds the limit of " + std::to_string(max_decompressed));
  }
  out->resize(length);
  if (!snappy::RawUncompress(body.data(), body.size(), out->data())) {
    return Status::InvalidArgument("body is not valid snappy block-compressed data");
  }
  return Status::Ok();
}

Status ParseWriteRequest(std::string_view raw, prometheus::WriteRequest* request) {
  if (!request->ParseFromArray(raw.data(), static_cast<int>(raw.size()))) {
    return Status::InvalidArgument("body is not a valid prometheus.WriteRequest protobuf");
  }
  return Status::Ok();
}

std::string_view LabelProblemReason(LabelProblem p) {
  switch (p) {
    case LabelProblem::kOk:
      return "ok";
    case LabelProblem::kNoLabels:
      return "no_labels";
    case LabelProblem::kMissingName:
      return "missing_metric_name";
    case LabelProblem::kInvalidLabelName:
      return "invalid_label_name";
    case LabelProblem::kInvalidMetricName:
      return "invalid_metric_name";
    case LabelProblem::kEmptyLabelValue:
      return "empty_label_value";
    case LabelProblem::kUnsortedLabels:
      return "unsorted_labels";
    case LabelProblem::kDuplicateLabel:
      return "duplicate_label";
    case LabelProblem::kTooManyLabels:
      return "too_many_labels";
    case LabelProblem::kLabelNameTooLong:
      return "label_name_too_long";
    case LabelProblem::kLabelValueTooLong:
      return "label_value_too_long";
    case LabelProblem::kInvalidUtf8:
      return "invalid_utf8";
  }
  return "unknown";
}

namespace {
// Character classes of Prometheus names, one table lookup per byte.
constexpr uint8_t kStart = 1;  // [a-zA-Z_]
constexpr uint8_t kDigit = 2;  // [0-9]
constexpr uint8_t kColon = 4;  // ':' (metric names only)
constexpr std::array<uint8_t, 256> kNameChars = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kStart;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kStart;
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit;
  t['_'] = kStart;
  t[':'] = kColon;
  return t;
}();

bool IsValidName(std::string_view name, uint8_t start, uint8_t rest) {
  if (name.empty() || (kNameChars[static_cast<unsigned char>(name[0])] & start) == 0) return false;
  for (char c : name.substr(1)) {
    if ((kNameChars[static_cast<unsigned char>(c)] & rest) == 0) return false;
  }
  return true;
}
}  // namespace

bool IsValidUtf8(std::string_view text) {
  // Label values are nearly always ASCII: one pass the compiler vectorises.
  unsigned char high = 0;
  for (char c : text) high |= static_cast<unsigned char>(c);
  if (high < 0x80) return true;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    // Lead byte: sequence length and the allowed range of the second byte
    // (which excludes overlong forms, surrogates and > U+10FFFF).
    int length;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (end - p < length || p[1] < lo || p[1] > hi) return false;
    for (int k = 2; k < length; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
    }
    p += length;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) { return IsValidName(name, kStart, kStart | kDigit); }
bool IsValidMetricName(std::string_view name) {
  return IsValidName(name, kStart | kColon, kStart | kDigit | kColon);
}

LabelProblem ValidateLabels(std::span<const route::LabelRef> labels, const LabelLimits& limits) {
  if (labels.empty()) return LabelProblem::kNoLabels;
  if (static_cast<int64_t>(labels.size()) > limits.max_labels) return LabelProblem::kTooManyLabels;
  bool has_name = false;
  const std::string_view* previous = nullptr;
  for (const auto& label : labels) {
    const std::string_view& name = label.name;
    if (static_cast<int64_t>(name.size()) > limits.max_name_length) {
      return LabelProblem::kLabelNameTooLong;
    }
    if (static_cast<int64_t>(label.value.size()) > limits.max_value_length) {
      return LabelProblem::kLabelValueTooLong;
    }
    if (name == "__name__") {
      has_name = true;
      if (!IsValidMetricName(label.value)) return LabelProblem::kInvalidMetricName;
    } else if (!IsValidLabelName(name)) {
      return LabelProblem::kInvalidLabelName;
    } else if (!IsValidUtf8(label.value)) {
      return LabelProblem::kInvalidUtf8;
    }
    if (label.value.empty()) return LabelProblem::kEmptyLabelValue;
    if (previous != nullptr) {
      if (*previous == name) return LabelProblem::kDuplicateLabel;
      if (*previous > name) return LabelProblem::kUnsortedLabels;
    }
    previous = &name;
  }
  return has_name ? LabelProblem::kOk : LabelProblem::kMissingName;
}

}  // namespace depin::ingest
