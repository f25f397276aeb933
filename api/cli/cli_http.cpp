#include "api/cli/cli_http.h"

#include <cstdlib>

namespace uurwerk::cli {

result<server_address> server_of(const parsed_args& a) {
    std::string url = a.get("server").value_or("");
    if (url.empty()) {
        const char* env = std::getenv("UURWERK_SERVER");
        url = env ? env : default_server;
    }
    return parse_http_url(url);
}

result<reply> call(const server_address& s, std::string_view method, const std::string& target,
                   std::string_view body) {
    auto r = http_call(s.host, s.port, method, target, body);
    if (!r) return r.err();
    auto doc = json_doc::parse(r->body);
    if (!doc)
        return make_error("bad_reply", "the server at " + s.host + ":" + std::to_string(s.port) +
                                           " answered " + std::to_string(r->status) +
                                           " with something that is not JSON");
    return reply{r->status, std::move(*doc)};
}

error api_error(const reply& r) {
    auto* e = r.doc.root().at("error");
    std::string code = "http_" + std::to_string(r.status), message = "the server refused";
    if (e) {
        if (auto* c = e->at("code")) code = c->as_string().value_or(code);
        if (auto* m = e->at("message")) message = m->as_string().value_or(message);
    }
    return make_error(code, message);
}

}  // namespace uurwerk::cli
