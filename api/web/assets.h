#pragma once
// The web app's files (api/web/public, and the schema module the build generates), carried
// inside the program and served by `uurwerk serve` at their paths (api/http/routes.cpp).
// Immutable, static storage: any thread may read them at any time.
#include <span>
#include <string>
#include <string_view>

namespace uurwerk::web {

struct web_asset {
    std::string_view path;          // as requested: "/index.html", "/js/app.js"
    std::string_view content_type;  // "text/javascript; charset=utf-8", ...
    std::string_view bytes;
};

// Every file, in the order the build listed them (generated: web_assets_data.cpp).
[[nodiscard]] std::span<const web_asset> embedded_assets();

// The file served at `path` ("/" is "/index.html"), or nothing.
[[nodiscard]] const web_asset* find_asset(std::string_view path);

// The headers every page and file of the app is served with: the Content-Security-Policy (no
// inline script, nothing from another origin), no sniffing, no referrer, no framing.
struct header {
    std::string_view name;
    std::string_view value;
};
[[nodiscard]] std::span<const header> security_headers();

}  // namespace uurwerk::web
