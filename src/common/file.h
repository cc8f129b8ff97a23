// Files that are either wholly old or wholly new after any crash.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace depin {

// Replaces `path` with `data`: writes `path`.tmp, fsyncs it, renames it over
// `path` and fsyncs the directory, so that a crash or power loss leaves the
// old file or the new one, never a mix. The temporary file is removed on
// failure. Unavailable with the path and the system's reason on error.
Status WriteFileAtomically(const std::string& path, std::string_view data);

}  // namespace depin
