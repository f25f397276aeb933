#pragma once
// Who may read what: the access check of every route that is not public (router.h's `caller`
// column), and signing in and out of a browser session. api/README.md, "Sessions" and "Who may
// read what", is the contract.
//
// A check takes the request's session token (api/http/session.h), checks it (form, signature
// once, time window at the injected clock), checks that it is of the route's community, asks the
// ledger state whether its key is still a current key of a member in good standing and what that
// member may see (projections/query.h: reader), and answers:
//   401 unauthenticated  no token, or one that does not hold (malformed, forged, expired, too far
//                        ahead, a revoked key, a suspended or unknown member, unknown community);
//   403 forbidden        a token that holds, of another community, or whose member may not read
//                        this route's data. A member who may not read about member {m} (or
//                        event {id}) is refused whether or not {m} exists: the status never
//                        tells.
// /metrics and /v1/digest (caller::node_operator) answer a client on the node's own machine
// (loopback), or one that sends "Authorization: Bearer OPERATOR_TOKEN" when the operator
// configured one (DATA/operator_token); else 401 (no token) or 403 (a wrong one).
//
// Ownership and threading: borrows the node (which must outlive it); owns the session cache.
// check(), sign_in() and sign_out() may be called from any number of threads at once.

#include <filesystem>
#include <optional>
#include <string>
#include <variant>

#include "api/http/router.h"
#include "api/http/session.h"
#include "api/node/node.h"

namespace uurwerk {

// Whether the access rules are checked: always, but for `uurwerk bench reads`, which measures
// what checking costs against the same node with the check left out. `serve` never leaves it out.
enum class access_checks : std::uint8_t { on, off_to_measure_them };

// Whether the browser reaches the node over https (TLS here, or a TLS proxy in front): then the
// session cookie carries `Secure`, so that a browser never sends it over plain HTTP.
enum class cookie_security : std::uint8_t { plain, secure };

struct access_options {
    log_clock clock;             // the time sessions are checked at: main() wires the wall clock
    std::string operator_token;  // "" = the operator's routes answer loopback only
    std::size_t sessions_cached_max = uurwerk::sessions_cached_max;
    access_checks checks = access_checks::on;
    cookie_security cookies = cookie_security::plain;
};

// The operator token of the node whose data folder is `data_dir`: the first line of
// DATA/operator_token when that file exists (at least 32 characters), else "". Errors:
// bad_argument (a token shorter than 32 characters), io_error.
[[nodiscard]] result<std::string> operator_token_in(const std::filesystem::path& data_dir);

// Whether `peer` (an IP address as text) is the machine itself: 127.0.0.0/8, ::1, or
// ::ffff:127.0.0.0/104.
[[nodiscard]] bool is_loopback(std::string_view peer);

class access {
public:
    access(node& n, access_options options);

    // Nothing when `call` may reach its handler as `who`; else the 401 or 403 answer.
    [[nodiscard]] std::optional<http_response> check(caller who, const route_call& call);

    // POST /v1/session {"token": TOKEN}: checks the token as a read would (and its member's
    // standing) and answers {"community", "member", "expires_at_ms"} with the cookie
    // "uurwerk_session=TOKEN; Path=/; Max-Age=SECONDS; HttpOnly; SameSite=Strict".
    [[nodiscard]] http_response sign_in(const http_request& request);
    // POST /v1/session/end: clears that cookie.
    [[nodiscard]] http_response sign_out() const;

    session_cache& sessions() { return sessions_; }
    // The statement of the session `request` carries, if it holds now (its signature checked,
    // once, and its time window); nothing else about its member is checked here.
    [[nodiscard]] std::optional<session_statement> session_of(const http_request& request);

    access(const access&) = delete;
    access& operator=(const access&) = delete;

private:
    // The statement of `token` when it holds in community `c` at `now`, and what its member
    // may see about `subject`; else the 401 or 403 answer.
    struct reader_found {
        session_statement statement;
        query::reader_standing standing;
    };
    [[nodiscard]] std::variant<reader_found, http_response> reader(
        std::optional<std::string_view> token, std::optional<community_id> route_community,
        const query::access_subject& subject, time_ms now);
    [[nodiscard]] std::optional<http_response> operator_check(const http_request& request) const;

    node& node_;
    // The session cookie's attributes after its value: HttpOnly, SameSite=Strict, and Secure
    // when the browser reaches the node over https.
    [[nodiscard]] std::string cookie_attributes() const;
    access_options options_;
    session_cache sessions_;
};

}  // namespace uurwerk
