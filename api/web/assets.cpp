#include "api/web/assets.h"

namespace uurwerk::web {

const web_asset* find_asset(std::string_view path) {
    if (path == "/") path = "/index.html";
    for (const auto& a : embedded_assets())
        if (a.path == path) return &a;
    return nullptr;
}

std::span<const header> security_headers() {
    // 'self' only: scripts are modules from this origin, styles a sheet from it; images may be
    // data: URLs (the invitation's QR code is drawn as one); the service worker and the
    // manifest come from here too. No frames of this app anywhere (clickjacking).
    static constexpr header headers[] = {
        {"Content-Security-Policy",
         "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
         "form-action 'self'; frame-ancestors 'none'; manifest-src 'self'; worker-src 'self'"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"X-Frame-Options", "DENY"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
    };
    return headers;
}

}  // namespace uurwerk::web
