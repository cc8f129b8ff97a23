// The /metrics body of the latest evaluation, shared read-only with the
// HTTP threads so a scrape never re-renders, and its deflated form, made
// on the first scrape that accepts gzip and shared by the later ones, so a
// scrape never recompresses either.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "export/gzip_parts.h"

namespace depin::exposition {

class MetricsCache {
 public:
  MetricsCache();
  void Set(std::string body);
  // Never null; empty before the first evaluation.
  std::shared_ptr<const std::string> Get() const;
  // The body Get() returns now, deflated (see gzip_parts.h). Never null.
  // The first caller per body compresses it; concurrent callers wait for
  // that one result.
  std::shared_ptr<const DeflatedPrefix> GetDeflated() const;

 private:
  struct Entry;
  std::shared_ptr<Entry> Current() const;

  mutable std::mutex mu_;
  std::shared_ptr<Entry> current_;
};

}  // namespace depin::exposition
