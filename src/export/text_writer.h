// Writes the Prometheus text exposition format 0.0.4.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace depin::exposition {

using LabelPair = std::pair<std::string_view, std::string_view>;

// Receives metric families and their samples: the text exposition, or the
// derived-series store. Every family is declared once, before its samples.
class SampleSink {
 public:
  virtual ~SampleSink() = default;
  virtual void Family(std::string_view name, std::string_view help, std::string_view type) = 0;
  virtual void Sample(std::string_view name, std::initializer_list<LabelPair> labels,
                      double value) = 0;
};

class TextWriter : public SampleSink {
 public:
  void Family(std::string_view name, std::string_view help, std::string_view type) override;
  void Sample(std::string_view name, std::initializer_list<LabelPair> labels,
              double value) override;
  std::string Take() { return std::move(out_); }
  std::string& buffer() { return out_; }

 private:
  std::string out_;
};

// Appends `v` as Prometheus writes floats: shortest round-trip, NaN, +Inf, -Inf.
void AppendValue(std::string* out, double v);
// Appends a label value escaped for the text format (\\, \", \n).
void AppendEscaped(std::string* out, std::string_view value);

}  // namespace depin::exposition
