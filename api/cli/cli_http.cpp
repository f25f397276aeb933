#include "api/cli/cli_http.h"

#include <chrono>
#include <cstdlib>

#include "api/node/key_file.h"
#include "ledger/core/session.h"

namespace uurwerk::cli {

result<server_address> server_of(const parsed_args& a) {
    std::string url = a.get("server").value_or("");
    if (url.empty()) {
        const char* env = std::getenv("UURWERK_SERVER");
        url = env ? env : default_server;
    }
    auto address = parse_http_url(url);
    if (!address) return address.err();
    server_address out{*address, a.get("ca-file").value_or("")};
    if (out.ca_file.empty()) {
        const char* env = std::getenv("UURWERK_CA_FILE");
        out.ca_file = env ? env : "";
    }
    if (!out.ca_file.empty() && out.scheme != http_scheme::https && a.has("ca-file"))
        return make_error(errc::bad_argument,
                          "--ca-file is for an https:// server, and the server is " + url);
    return out;
}

option_spec ca_file_option() {
    return {"ca-file", "FILE",
            "https: trust the server's certificate only if this CA (PEM) signed it (default: "
            "the system's CA store, or $UURWERK_CA_FILE)"};
}

result<reply> call(const server_address& s, std::string_view method, const std::string& target,
                   std::string_view body, const std::string& authorization) {
    http_call_options options;
    options.authorization = authorization;
    options.scheme = s.scheme;
    options.ca_file = s.ca_file;
    auto r = http_call(s.host, s.port, method, target, body, options);
    if (!r) return r.err();
    auto doc = json_doc::parse(r->body);
    if (!doc)
        return make_error(errc::bad_reply,
                          "the server at " + s.host + ":" + std::to_string(s.port) + " answered " +
                              std::to_string(r->status) + " with something that is not JSON");
    return reply{r->status, std::move(*doc), std::move(r->body)};
}

result<std::string> get_body(const server_address& s, const std::string& target,
                             const std::string& authorization) {
    http_call_options options;
    options.authorization = authorization;
    options.scheme = s.scheme;
    options.ca_file = s.ca_file;
    auto r = http_call(s.host, s.port, "GET", target, "", options);
    if (!r) return r.err();
    if (r->status == 200) return std::move(r->body);
    auto doc = json_doc::parse(r->body);
    if (!doc)
        return make_error(errc::server_refused,
                          "the server refused: it answered " + std::to_string(r->status));
    return api_error(reply{r->status, std::move(*doc), {}});
}

result<std::string> session_of(const parsed_args& a, community_id c) {
    auto path = a.get("key");
    if (!path)
        return make_error(errc::missing_argument,
                          "reading needs a session: give --key FILE, the key file of the member "
                          "who reads (their own data, or as their delegate or a coordinator)");
    auto kf = read_key_file(*path);
    if (!kf) return kf.err();
    // A key file of no member signs an auditor's session (member 0): the node lets it read the
    // community's export, events and certificates while a coordinator's appointment of the key
    // lasts ('uurwerk appoint-auditor'), and nothing else.
    auto key = signing_key::from_seed(kf->seed);
    if (!key) return key.err();
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    const time_ms expires{now.count() + std::int64_t{session_minutes} * 60'000};
    return "Bearer " +
           sign_session(new_session_statement(c, kf->member, key->public_bytes(), expires), *key);
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
