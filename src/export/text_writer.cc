#include "export/text_writer.h"

#include <charconv>
#include <cmath>

namespace depin::exposition {

void AppendValue(std::string* out, double v) {
  if (std::isnan(v)) {
    out->append("NaN");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out->append(buf, end);
  }
}

void AppendEscaped(std::string* out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

void TextWriter::Family(std::string_view name, std::string_view help, std::string_view type) {
  out_.append("# HELP ").append(name).append(" ");
  for (char c : help) {
    switch (c) {
      case '\\':
        out_.append("\\\\");
        break;
      case '\n':
        out_.append("\\n");
        break;
      default:
        out_.push_back(c);
    }
  }
  out_.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
}

void TextWriter::Sample(std::string_view name, std::initializer_list<LabelPair> labels,
                        double value) {
  out_.append(name);
  if (labels.size() > 0) {
    out_.push_back('{');
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out_.push_back(',');
      first = false;
      out_.append(k).append("=\"");
      AppendEscaped(&out_, v);
      out_.push_back('"');
    }
    out_.push_back('}');
  }
  out_.push_back(' ');
  AppendValue(&out_, value);
  out_.push_back('\n');
}

}  // namespace depin::exposition
