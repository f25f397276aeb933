#include "api/http/router.h"

#include <algorithm>

namespace uurwerk {
namespace {

bool is_param(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

constexpr std::string_view known_params[] = {"{c}", "{m}", "{id}", "{key}", "{i}"};

std::vector<std::string> pattern_segments(std::string_view pattern) {
    UURWERK_ASSERT(!pattern.empty() && pattern.front() == '/', std::string(pattern));
    std::vector<std::string> out;
    std::size_t at = 1;
    while (at < pattern.size()) {
        const auto end = std::min(pattern.find('/', at), pattern.size());
        const auto segment = pattern.substr(at, end - at);
        UURWERK_ASSERT(!segment.empty(), std::string(pattern));
        if (is_param(segment))
            UURWERK_ASSERT(std::find(std::begin(known_params), std::end(known_params), segment) !=
                               std::end(known_params),
                           std::string(pattern));
        out.emplace_back(segment);
        at = end + 1;
    }
    return out;
}

// Whether some path matches both patterns.
bool overlap(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!is_param(a[i]) && !is_param(b[i]) && a[i] != b[i]) return false;
    return true;
}

bool same_method(http_method a, http_method b) {
    return a == b || a == http_method::any || b == http_method::any;
}

bool method_fits(http_method m, std::string_view method) {
    switch (m) {
        case http_method::get:
            return method == "GET" || method == "HEAD";
        case http_method::post:
            return method == "POST";
        case http_method::any:
            return true;
    }
    return false;
}

// Reads the path parameters of `pattern` from `path` into `args`; the 400 answer on a bad one.
std::optional<http_response> read_args(const std::vector<std::string>& pattern,
                                       const std::vector<std::string>& path, route_args& args) {
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const auto& p = pattern[i];
        if (!is_param(p)) continue;
        if (p == "{c}") {
            auto c = decimal_param<community_id>(path[i], "community id");
            if (!c) return error_answer(c.err());
            args.community = *c;
        } else if (p == "{m}") {
            auto m = decimal_param<member_id>(path[i], "member id");
            if (!m) return error_answer(m.err());
            args.member = *m;
        } else if (p == "{id}") {
            auto id = event_id_param(path[i]);
            if (!id) return error_answer(id.err());
            args.event = *id;
        } else if (p == "{key}") {
            auto k = key_param(path[i]);
            if (!k) return error_answer(k.err());
            args.key = *k;
        } else {
            args.text = path[i];
        }
    }
    return std::nullopt;
}

}  // namespace

std::string_view caller_name(caller who) {
    switch (who) {
        case caller::anyone:
            return "anyone";
        case caller::event_signer:
            return "event_signer";
        case caller::node_operator:
            return "node_operator";
        case caller::member:
            return "member";
        case caller::self:
            return "self";
        case caller::party:
            return "party";
        case caller::match_partner:
            return "match_partner";
        case caller::coordinator:
            return "coordinator";
        case caller::auditor:
            return "auditor";
        case caller::self_or_auditor:
            return "self_or_auditor";
    }
    UURWERK_ASSERT(false, static_cast<int>(who));
    return "";
}

router::router(std::vector<route> table, route_gate gate)
    : table_(std::move(table)), gate_(std::move(gate)) {
    UURWERK_ASSERT(gate_ != nullptr);
    for (const auto& r : table_) {
        compiled_.push_back({pattern_segments(r.pattern)});
        const auto& segments = compiled_.back().segments;
        const auto has = [&](std::string_view p) {
            return std::find(segments.begin(), segments.end(), p) != segments.end();
        };
        switch (r.who) {
            case caller::anyone:
            case caller::event_signer:
            case caller::node_operator:
                break;
            case caller::member:
            case caller::coordinator:
            case caller::auditor:
                UURWERK_ASSERT(has("{c}"), std::string(r.pattern), caller_name(r.who));
                break;
            case caller::self:
            case caller::self_or_auditor:
            case caller::match_partner:
                UURWERK_ASSERT(has("{c}") && has("{m}"), std::string(r.pattern),
                               caller_name(r.who));
                break;
            case caller::party:
                UURWERK_ASSERT(has("{c}") && has("{id}"), std::string(r.pattern),
                               caller_name(r.who));
                break;
        }
    }
    for (std::size_t i = 0; i < table_.size(); ++i)
        for (std::size_t j = i + 1; j < table_.size(); ++j)
            UURWERK_ASSERT(!(same_method(table_[i].method, table_[j].method) &&
                             overlap(compiled_[i].segments, compiled_[j].segments)),
                           std::string(table_[i].pattern), std::string(table_[j].pattern));
}

bool router::matches(const compiled& c, const std::vector<std::string>& path) {
    if (c.segments.size() != path.size()) return false;
    for (std::size_t i = 0; i < path.size(); ++i)
        if (!is_param(c.segments[i]) && c.segments[i] != path[i]) return false;
    return true;
}

http_response router::dispatch(const http_request& request) const {
    auto parts = split_target(request.target);
    if (!parts) return error_answer(parts.err());
    const std::string path = request.target.substr(0, request.target.find('?'));
    bool get = false, post = false;
    for (std::size_t i = 0; i < table_.size(); ++i) {
        if (!matches(compiled_[i], parts->segments)) continue;
        const auto& r = table_[i];
        if (!method_fits(r.method, request.method)) {
            get = get || r.method == http_method::get;
            post = post || r.method == http_method::post;
            continue;
        }
        if (auto bad = only_params(*parts, r.query)) return *bad;
        route_args args;
        if (auto bad = read_args(compiled_[i].segments, parts->segments, args)) return *bad;
        const route_call call{request, *parts, args};
        if (r.who != caller::anyone)
            if (auto refused = gate_(r.who, call)) return *refused;
        return r.handle(call);
    }
    if (get || post) {
        const std::string allow = get && post ? "GET, HEAD, POST" : get ? "GET, HEAD" : "POST";
        auto answer =
            error_answer(errc::method_not_allowed, request.method + " is not allowed here; " +
                                                       (get && post ? "GET or POST"
                                                        : get       ? "GET"
                                                                    : "POST") +
                                                       " " + path);
        answer.headers.emplace_back("Allow", allow);
        return answer;
    }
    return error_answer(errc::not_found, "no route " + path +
                                             "; api/README.md lists them (GET /v1/health, "
                                             "POST /v1/events, GET /v1/communities/{c}, ...)");
}

}  // namespace uurwerk
