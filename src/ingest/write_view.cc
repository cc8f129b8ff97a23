#include "ingest/write_view.h"

#include <cstring>

namespace depin::ingest {

std::span<const route::LabelRef> WriteRequestView::labels(size_t i) const {
  const size_t begin = series_[i].label_begin;
  const size_t end = i + 1 < series_.size() ? series_[i + 1].label_begin : labels_.size();
  return {labels_.data() + begin, end - begin};
}

std::span<const SampleRef> WriteRequestView::samples(size_t i) const {
  const size_t begin = series_[i].sample_begin;
  const size_t end = i + 1 < series_.size() ? series_[i + 1].sample_begin : samples_.size();
  return {samples_.data() + begin, end - begin};
}

void WriteRequestView::Clear() {
  series_.clear();
  labels_.clear();
  samples_.clear();
}

namespace {

// Wire types of the protobuf encoding.
constexpr uint32_t kVarint = 0;
constexpr uint32_t kFixed64 = 1;
constexpr uint32_t kLengthDelimited = 2;
constexpr uint32_t kStartGroup = 3;
constexpr uint32_t kEndGroup = 4;
constexpr uint32_t kFixed32 = 5;

// libprotobuf's default recursion limit: nested messages and groups.
constexpr int kMaxDepth = 100;

// Reads protobuf wire data from [p, end). Every Read* returns false, and
// leaves the reader unusable, when the data is malformed or truncated; the
// limits are libprotobuf's (tags of at most 5 bytes, sizes below 2 GiB,
// varints of at most 10 bytes, bits past the width dropped).
class WireReader {
 public:
  explicit WireReader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}

  bool done() const { return p_ == end_; }

  bool ReadTag(uint32_t* field, uint32_t* wire_type) {
    uint64_t tag;
    if (!ReadVarintOf(5, &tag)) return false;
    const auto t = static_cast<uint32_t>(tag);
    *field = t >> 3;
    *wire_type = t & 7;
    return *field != 0;
  }

  bool ReadVarint(uint64_t* value) { return ReadVarintOf(10, value); }

  bool ReadFixed64(uint64_t* value) {
    if (end_ - p_ < 8) return false;
    std::memcpy(value, p_, 8);  // little-endian on every target we build for
    p_ += 8;
    return true;
  }

  bool ReadLengthDelimited(std::string_view* out) {
    uint64_t size;  // 5 bytes at most: below 2^35, and sizes past the data fail
    if (!ReadVarintOf(5, &size) || size > static_cast<uint64_t>(end_ - p_)) return false;
    *out = std::string_view(p_, static_cast<size_t>(size));
    p_ += size;
    return true;
  }

  // Skips one field whose tag was just read; `depth` is how many more
  // levels of nesting are allowed.
  bool SkipField(uint32_t field, uint32_t wire_type, int depth) {
    std::string_view ignored;
    uint64_t value;
    switch (wire_type) {
      case kVarint:
        return ReadVarint(&value);
      case kFixed64:
        return Skip(8);
      case kLengthDelimited:
        return ReadLengthDelimited(&ignored);
      case kFixed32:
        return Skip(4);
      case kStartGroup: {
        if (--depth < 0) return false;
        uint32_t inner, inner_type;
        while (ReadTag(&inner, &inner_type)) {
          if (inner_type == kEndGroup) return inner == field;
          if (!SkipField(inner, inner_type, depth)) return false;
        }
        return false;  // no end-group tag
      }
      default:  // an end-group tag without its start, or wire types 6 and 7
        return false;
    }
  }

 private:
  bool ReadVarintOf(int max_bytes, uint64_t* value) {
    uint64_t result = 0;
    for (int i = 0; i < max_bytes && p_ < end_; ++i) {
      const auto byte = static_cast<uint8_t>(*p_++);
      if (7 * i < 64) result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        *value = result;
        return true;
      }
    }
    return false;
  }

  bool Skip(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }

  const char* p_;
  const char* end_;
};

// What a message's field handler did with the field whose tag was read.
enum class FieldUse : uint8_t { kTaken, kUnknown, kMalformed };

// Reads every field of the message in `data`: `use(field, wire_type, reader)`
// consumes the fields it knows and returns kUnknown for the rest, which are
// skipped. `depth` is the nesting still allowed inside this message.
template <typename Use>
bool ForEachField(std::string_view data, int depth, Use&& use) {
  WireReader reader(data);
  while (!reader.done()) {
    uint32_t field, wire_type;
    if (!reader.ReadTag(&field, &wire_type)) return false;
    switch (use(field, wire_type, reader)) {
      case FieldUse::kTaken:
        break;
      case FieldUse::kUnknown:
        if (!reader.SkipField(field, wire_type, depth)) return false;
        break;
      case FieldUse::kMalformed:
        return false;
    }
  }
  return true;
}

// Reads a length-delimited field that holds a message; `depth` is the
// nesting allowed at the message containing it.
template <typename Parse>
FieldUse Nested(WireReader& reader, int depth, Parse&& parse) {
  std::string_view inner;
  if (depth <= 0 || !reader.ReadLengthDelimited(&inner)) return FieldUse::kMalformed;
  return parse(inner, depth - 1) ? FieldUse::kTaken : FieldUse::kMalformed;
}

// A message of scalar and bytes fields only (Label, MetricMetadata): any
// well-formed sequence of fields.
bool CheckFlatMessage(std::string_view data, int depth) {
  return ForEachField(data, depth,
                      [](uint32_t, uint32_t, WireReader&) { return FieldUse::kUnknown; });
}

bool CheckExemplar(std::string_view data, int depth) {
  return ForEachField(data, depth, [depth](uint32_t field, uint32_t wire_type, WireReader& r) {
    if (field == 1 && wire_type == kLengthDelimited) return Nested(r, depth, CheckFlatMessage);
    return FieldUse::kUnknown;
  });
}

bool ParseLabel(std::string_view data, int depth, WriteRequestView* view) {
  std::string_view name, value;
  bool ok = ForEachField(data, depth, [&](uint32_t field, uint32_t wire_type, WireReader& r) {
    if (wire_type != kLengthDelimited || (field != 1 && field != 2)) return FieldUse::kUnknown;
    return r.ReadLengthDelimited(field == 1 ? &name : &value) ? FieldUse::kTaken
                                                              : FieldUse::kMalformed;
  });
  if (ok) view->AddLabel(name, value);
  return ok;
}

bool ParseSample(std::string_view data, int depth, WriteRequestView* view) {
  uint64_t value_bits = 0, timestamp = 0;
  bool ok = ForEachField(data, depth, [&](uint32_t field, uint32_t wire_type, WireReader& r) {
    if (field == 1 && wire_type == kFixed64) {
      return r.ReadFixed64(&value_bits) ? FieldUse::kTaken : FieldUse::kMalformed;
    }
    if (field == 2 && wire_type == kVarint) {
      return r.ReadVarint(&timestamp) ? FieldUse::kTaken : FieldUse::kMalformed;
    }
    return FieldUse::kUnknown;
  });
  double value;
  std::memcpy(&value, &value_bits, sizeof value);
  if (ok) view->AddSample(static_cast<int64_t>(timestamp), value);
  return ok;
}

bool ParseTimeSeries(std::string_view data, int depth, WriteRequestView* view) {
  view->StartSeries();
  return ForEachField(data, depth, [&](uint32_t field, uint32_t wire_type, WireReader& r) {
    if (wire_type != kLengthDelimited) return FieldUse::kUnknown;
    switch (field) {
      case 1:
        return Nested(r, depth,
                      [view](std::string_view m, int d) { return ParseLabel(m, d, view); });
      case 2:
        return Nested(r, depth,
                      [view](std::string_view m, int d) { return ParseSample(m, d, view); });
      case 3:
        return Nested(r, depth, CheckExemplar);
      default:
        return FieldUse::kUnknown;
    }
  });
}

}  // namespace

Status ParseWriteRequestView(std::string_view raw, WriteRequestView* view) {
  view->Clear();
  const int depth = kMaxDepth;
  bool ok = ForEachField(raw, depth, [&](uint32_t field, uint32_t wire_type, WireReader& r) {
    if (wire_type != kLengthDelimited) return FieldUse::kUnknown;
    if (field == 1) {
      return Nested(r, depth,
                    [view](std::string_view m, int d) { return ParseTimeSeries(m, d, view); });
    }
    if (field == 3) return Nested(r, depth, CheckFlatMessage);  // metadata
    return FieldUse::kUnknown;
  });
  if (!ok) {
    view->Clear();
    return Status::InvalidArgument("body is not a valid prometheus.WriteRequest protobuf");
  }
  return Status::Ok();
}

void ViewWriteRequest(const prometheus::WriteRequest& request, WriteRequestView* view) {
  view->Clear();
  for (const auto& ts : request.timeseries()) {
    view->StartSeries();
    for (const auto& l : ts.labels()) view->AddLabel(l.name(), l.value());
    for (const auto& s : ts.samples()) view->AddSample(s.timestamp(), s.value());
  }
}

}  // namespace depin::ingest
