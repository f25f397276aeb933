#include "api/http/route_support.h"

#include <algorithm>

#include "api/http/routes.h"
#include "api/json/json.h"
#include "api/json/json_read.h"
#include "ledger/core/limits.h"

namespace uurwerk {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Answers.

http_response json_answer(unsigned status, std::string body) {
    return {status, "application/json", std::move(body), {}};
}

http_response error_answer(unsigned status, std::string_view code, std::string_view message) {
    return json_answer(status, error_json(code, message));
}

http_response error_answer(const error& e) {
    return error_answer(http_status_for(e), e.code, e.message);
}

http_response not_found(std::string_view code, std::string message) {
    return error_answer(404, code, message);
}

http_response bad_request(std::string message) {
    return error_answer(400, "bad_request", message);
}

// ---------------------------------------------------------------------------------------------
// The request's target: path segments and query parameters.

result<std::string> percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            if (i + 2 >= s.size())
                return make_error("bad_request",
                                  "a '%' in the query is not followed by two hex "
                                  "digits");
            int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0)
                return make_error("bad_request",
                                  "a '%' in the query is not followed by two hex "
                                  "digits");
            out.push_back(static_cast<char>(hi << 4 | lo));
            i += 2;
        } else if (s[i] == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

result<target_parts> split_target(std::string_view target) {
    target_parts out;
    auto question = target.find('?');
    std::string_view path = target.substr(0, question);
    if (path.empty() || path.front() != '/')
        return make_error("bad_request", "the request target must be a path that starts with '/'");
    path.remove_prefix(1);
    while (!path.empty()) {
        auto slash = path.find('/');
        out.segments.emplace_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
        if (path.empty()) out.segments.emplace_back();  // a trailing slash: no route has one
    }
    if (question == std::string_view::npos) return out;
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty()) continue;
        auto eq = pair.find('=');
        auto name = percent_decode(pair.substr(0, eq), true);
        if (!name) return name.err();
        auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
        if (!value) return value.err();
        if (out.query.contains(*name))
            return make_error("bad_request", "the query parameter '" + *name + "' is given twice");
        out.query.emplace(std::move(*name), std::move(*value));
    }
    return out;
}

// Refuses query parameters the route does not take.
std::optional<http_response> only_params(const target_parts& t,
                                         const std::vector<std::string_view>& allowed) {
    for (const auto& [name, value] : t.query) {
        if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        return bad_request("unknown query parameter '" + name + "'; " +
                           (allowed.size() == 0 ? std::string("this route takes none")
                                                : "this route takes: " + list));
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Path and query parameters.

result<std::uint64_t> decimal_text(const std::string& text, std::string_view what) {
    auto v = parse_decimal(text);
    if (!v)
        return make_error("bad_request", "'" + text + "' is not a " + std::string(what) +
                                             ": give a decimal number without sign, from 0 to "
                                             "18446744073709551615");
    return *v;
}

result<event_id> event_id_param(const std::string& text) {
    auto b = fixed_from_hex<event_id_bytes>(text, "an event id");
    if (!b)
        return make_error("bad_request", "'" + text + "' is not an event id: give its " +
                                             std::to_string(2 * event_id_bytes) + " hex digits");
    return event_id{*b};
}

result<public_key> key_param(const std::string& text) {
    auto b = fixed_from_hex<public_key_bytes>(text, "a key");
    if (!b)
        return make_error("bad_request", "'" + text + "' is not a public key: give its " +
                                             std::to_string(2 * public_key_bytes) + " hex digits");
    return public_key{*b};
}

result<std::size_t> limit_param(const target_parts& t, std::size_t fallback) {
    auto it = t.query.find("limit");
    if (it == t.query.end()) return fallback;
    auto v = parse_decimal(it->second);
    if (!v || *v < 1 || *v > history_page_max)
        return make_error("bad_request", "limit must be a whole number from 1 to " +
                                             std::to_string(history_page_max) + "; got '" +
                                             it->second + "'");
    return static_cast<std::size_t>(*v);
}

std::string community_text(community_id c) {
    return "community " + std::to_string(c.value);
}

http_response unknown_community(community_id c) {
    return not_found("unknown_community", community_text(c) + " does not exist");
}

result<std::optional<std::uint64_t>> decimal_query(const target_parts& t, const std::string& name) {
    auto it = t.query.find(name);
    if (it == t.query.end()) return std::optional<std::uint64_t>();
    auto v = decimal_text(it->second, name);
    if (!v) return v.err();
    return std::optional<std::uint64_t>(*v);
}

std::optional<http_response> locate_event(node& n, const scoped_id& id, node::found_event& found) {
    auto where = n.find_event(id);
    if (!where)
        return not_found("not_found",
                         "no event " + id.id.hex() + " in " + community_text(id.community));
    found = *where;
    return std::nullopt;
}

}  // namespace uurwerk
