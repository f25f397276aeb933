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
        return make_error(errc::bad_reply,
                          "the server at " + s.host + ":" + std::to_string(s.port) + " answered " +
                              std::to_string(r->status) + " with something that is not JSON");
    return reply{r->status, std::move(*doc)};
}

error api_error(const reply& r) {
    // The server's code stays text: a newer server may answer one this build does not know.
    std::string code, message = "the server refused (HTTP " + std::to_string(r.status) + ")";
    if (auto* e = r.doc.root().at("error")) {
        if (auto* c = e->at("code")) code = c->as_string().value_or("");
        if (auto* m = e->at("message")) message = m->as_string().value_or(message);
    }
    return make_error(errc::server_refused, code.empty() ? message : code + ": " + message);
}

}  // namespace uurwerk::cli
