// The built-in web page (docs/web-ui.md): a leaderboard, provider pages,
// network capacity and live events, served at GET /ui by the sidecar itself.
// The page and its two assets (web/ui.html, ui.css, ui.js) are compiled in at
// build time (web/embed.cmake); the page reads only the existing HTTP API.
#pragma once

#include <optional>
#include <string_view>

#include "common/http_types.h"
#include "server/http_server.h"

namespace depin::web {

struct UiAsset {
  std::string_view content_type;
  std::string_view body;
};

// The asset served at `path`: the page at /ui and /ui/, its style sheet at
// /ui/ui.css and its script at /ui/ui.js; nullopt for any other path.
std::optional<UiAsset> FindUiAsset(std::string_view path);

// The answer to `request` on /ui or below: 200 with the asset, its
// Content-Type and Cache-Control: no-cache (a new binary's page is picked up
// at once); 405 for a method other than GET or HEAD; 404 for another path.
server::HttpServer::HeaderedResponse ServeUi(const PlainRequest& request);

}  // namespace depin::web
