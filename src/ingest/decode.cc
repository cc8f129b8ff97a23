#include "ingest/decode.h"

#include <snappy.h>

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
  }
  return "unknown";
}

namespace {
bool IsNameStart(char c, bool colon_ok) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':');
}
bool IsNameChar(char c, bool colon_ok) {
  return IsNameStart(c, colon_ok) || (c >= '0' && c <= '9');
}

bool IsValidName(std::string_view name, bool colon_ok) {
  if (name.empty() || !IsNameStart(name[0], colon_ok)) return false;
  for (char c : name.substr(1)) {
    if (!IsNameChar(c, colon_ok)) return false;
  }
  return true;
}
}  // namespace

bool IsValidLabelName(std::string_view name) { return IsValidName(name, false); }
bool IsValidMetricName(std::string_view name) { return IsValidName(name, true); }

LabelProblem ValidateLabels(const google::protobuf::RepeatedPtrField<prometheus::Label>& labels,
                            const LabelLimits& limits) {
  if (labels.empty()) return LabelProblem::kNoLabels;
  if (labels.size() > limits.max_labels) return LabelProblem::kTooManyLabels;
  bool has_name = false;
  const std::string* previous = nullptr;
  for (const auto& label : labels) {
    const std::string& name = label.name();
    if (static_cast<int64_t>(name.size()) > limits.max_name_length) {
      return LabelProblem::kLabelNameTooLong;
    }
    if (static_cast<int64_t>(label.value().size()) > limits.max_value_length) {
      return LabelProblem::kLabelValueTooLong;
    }
    if (name == "__name__") {
      has_name = true;
      if (!IsValidMetricName(label.value())) return LabelProblem::kInvalidMetricName;
    } else if (!IsValidLabelName(name)) {
      return LabelProblem::kInvalidLabelName;
    }
    if (label.value().empty()) return LabelProblem::kEmptyLabelValue;
    if (previous != nullptr) {
      if (*previous == name) return LabelProblem::kDuplicateLabel;
      if (*previous > name) return LabelProblem::kUnsortedLabels;
    }
    previous = &name;
  }
  return has_name ? LabelProblem::kOk : LabelProblem::kMissingName;
}

}  // namespace depin::ingest
