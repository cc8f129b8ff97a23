// The /metrics body of the latest evaluation, shared read-only with the
// HTTP threads so a scrape never re-renders, and its deflated form, made
// once per body and shared by every scrape that accepts gzip. Once gzip
// scrapers are seen, the evaluator deflates each new body right after
// publishing it, so that their scrapes are served from cached bytes.
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
  // A replaced body that no scrape held any more, for the next render to
  // write over (a body of 100k providers is ~600 MB: reusing its memory
  // spares the allocator and the page faults); its text is stale. Empty
  // when there is none. Keeps at most one, so memory stays at two bodies.
  std::string TakeSpare();
  // Never null; empty before the first evaluation.
  std::shared_ptr<const std::string> Get() const;
  // The body Get() returns now, deflated (see gzip_parts.h). Never null.
  // The first caller per body compresses it; concurrent callers wait for
  // that one result.
  std::shared_ptr<const DeflatedPrefix> GetDeflated() const;
  // Deflates the current body now if the previous body's deflated form was
  // asked for (someone scrapes with gzip); true when it did.
  bool WarmDeflated();

 private:
  struct Entry;
  std::shared_ptr<Entry> Current() const;
  // Deflates entry's body unless done; true when this call did it.
  static bool Deflate(Entry& entry);

  mutable std::mutex mu_;
  std::shared_ptr<Entry> current_;
  bool gzip_wanted_ = false;  // the body before current_ was served deflated
  std::string spare_;
};

}  // namespace depin::exposition
