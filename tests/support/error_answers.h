#pragma once
// Test support: the error code of an API answer ({"error": {"code", "message"}},
// api/http/route_support.h), for tests that check which refusal they got.

#include <string>

#include "api/http/http_server.h"
#include "api/json/json_read.h"

namespace uurwerk::testing {

// The answer's error code; "(not JSON)" when the body does not parse, "" when it has none.
inline std::string error_code_of(const http_response& r) {
    auto d = json_doc::parse(r.body);
    if (!d) return "(not JSON)";
    auto* e = d->root().at("error");
    auto* c = e ? e->at("code") : nullptr;
    return c ? c->as_string().value_or("") : "";
}

}  // namespace uurwerk::testing
