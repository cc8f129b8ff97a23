// Writes the Prometheus text exposition format 0.0.4.
#pragma once

#include <cstddef>
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
  // Writes into `buffer`, whose contents are discarded and whose memory is
  // reused: an earlier body handed back saves allocating and faulting in a
  // new one each cycle.
  explicit TextWriter(std::string buffer = {});
  // Makes room for at least `bytes` of text without growing again.
  void Reserve(size_t bytes);
  void Family(std::string_view name, std::string_view help, std::string_view type) override;
  void Sample(std::string_view name, std::initializer_list<LabelPair> labels,
              double value) override;
  // The text written so far; the writer is left empty.
  std::string Take();

 private:
  // Room for `bytes` more at the end of the text.
  char* Claim(size_t bytes);

  std::string out_;  // sized to its capacity; the text is its first len_ bytes
  size_t len_ = 0;
};

// Appends `v` as Prometheus writes floats: shortest round-trip, NaN, +Inf, -Inf.
void AppendValue(std::string* out, double v);
// Appends a label value escaped for the text format (\\, \", \n).
void AppendEscaped(std::string* out, std::string_view value);

}  // namespace depin::exposition
