#include "api/http/session.h"

namespace uurwerk {
namespace {

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) !=
            std::tolower(static_cast<unsigned char>(prefix[i])))
            return false;
    return true;
}

}  // namespace

std::optional<std::string_view> session_token_of(const http_request& request) {
    const std::string_view auth = trimmed(request.authorization);
    if (!auth.empty()) {
        // A header that is not a bearer token is still a token (an invalid one): it is refused,
        // never passed over for the cookie.
        if (starts_with_ignoring_case(auth, "Bearer ")) return trimmed(auth.substr(7));
        return auth;
    }
    std::string_view cookies = request.cookie;
    while (!cookies.empty()) {
        const auto end = std::min(cookies.find(';'), cookies.size());
        const auto pair = trimmed(cookies.substr(0, end));
        cookies.remove_prefix(std::min(end + 1, cookies.size()));
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos) continue;
        if (trimmed(pair.substr(0, eq)) == session_cookie_name) return trimmed(pair.substr(eq + 1));
    }
    return std::nullopt;
}

session_cache::session_cache(std::size_t entries_max)
    : generation_max_(std::max<std::size_t>(1, entries_max / 2)), keys_(4096) {}

result<session_statement> session_cache::check(std::string_view token, time_ms now) {
    std::optional<session_statement> known;
    {
        std::lock_guard lock(mutex_);
        const std::string key(token);
        if (auto it = newer_.find(key); it != newer_.end()) {
            known = it->second;
        } else if (auto old = older_.find(key); old != older_.end()) {
            known = old->second;
            if (newer_.size() >= generation_max_) older_ = std::exchange(newer_, {});
            newer_.emplace(key, *known);
        }
    }
    if (known) {
        if (auto in_time = check_session_time(*known, now); !in_time) return in_time.err();
        return *known;
    }
    auto t = read_session_token(token);
    if (!t) return t.err();
    if (auto in_time = check_session_time(t->statement, now); !in_time) return in_time.err();
    const bool good = verify_session_signature(*t, keys_);
    std::lock_guard lock(mutex_);
    ++verifications_;
    if (!good) return bad_session_signature();
    if (newer_.size() >= generation_max_) older_ = std::exchange(newer_, {});
    newer_.emplace(std::string(token), t->statement);
    return t->statement;
}

bool session_cache::remembers(std::string_view token) const {
    std::lock_guard lock(mutex_);
    const std::string key(token);
    return newer_.contains(key) || older_.contains(key);
}

std::uint64_t session_cache::verifications() const {
    std::lock_guard lock(mutex_);
    return verifications_;
}

}  // namespace uurwerk
