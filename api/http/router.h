#pragma once
// The router of the HTTP API: one table of routes, each a method, a path pattern, the query
// parameters it takes, who may call it, and its handler. A request goes to the one row whose
// pattern and method match; a path that matches a pattern but no method of it is answered 405
// with the Allow header; a path that matches none, 404. Path parameters are checked before the
// handler runs (a clean 400 saying what was expected), then query parameters (a parameter the
// route does not take is a 400).
//
// Patterns are literal segments and parameters: {c} a community id, {m} a member id, {id} an
// event id (32 hex digits), {key} a public key (64 hex digits), {i} a text the handler reads
// (a leaf index). No two rows may match the same path with the same method (checked when the
// router is made: a bug, not an answer).
//
// Ownership and threading: the router owns its table (the handlers capture what they need,
// which must outlive the router). dispatch() is const and may run on any number of connection
// threads at once.

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http/http_server.h"
#include "api/http/route_support.h"
#include "ledger/core/event.h"

namespace uurwerk {

enum class http_method : std::uint8_t {
    get,  // also answers HEAD (the server leaves the body out)
    post,
    any,  // any method (a row that only explains where a resource went)
};

// Who may call a route: the column of the table that api/README.md, "Who may read what",
// documents. A write carries its own authority (the signature of the member's key on the
// event); a read of anything but public data needs a session (api/http/session.h) of the route's
// community {c}. The access check (api/http/access.h) runs after the path and query parameters
// are checked and before the handler: without a session, 401 unauthenticated; with one that may
// not, 403 forbidden, whether or not the member or event named exists.
enum class caller : std::uint8_t {
    anyone,           // public: health, the node key, a community's name and policy, checkpoints,
                      // consistency proofs, the proof of an event named by its id
    event_signer,     // the body is an event; its signer's key and rights are checked by the node
    node_operator,    // from the node's own machine (loopback), or with the operator's token
    member,           // a member of {c} (any current session of {c})
    self,             // member {m} itself, a delegate of {m}, or a coordinator of {c}
    party,            // a party of claim {id} or the owner of post {id} (or their delegate), or a
                      // coordinator of {c}
    match_partner,    // {m} itself or its delegate, the other person of an accepted match with {m},
                      // or a coordinator of {c} (GET .../members/{m}/contact)
    coordinator,      // a coordinator of {c}
    auditor,          // a coordinator of {c}, or an auditor of {c}: a key a coordinator appointed
                      // (auditorAppointed), signing a session of member 0 before the appointment
                      // ends. The community's export, events and leaves; never profiles, contact
                      // details or texts (an auditor passes no other row)
    self_or_auditor,  // as `self`, or an auditor of {c} (hour certificates; an auditor may not
                      // ask for a member's notes to be revealed: that is the member's choice)
};

[[nodiscard]] std::string_view caller_name(caller who);

// The path parameters of a request, checked; only those of its pattern are set.
struct route_args {
    community_id community{};
    member_id member{};
    event_id event{};
    public_key key{};
    std::string text;  // {i}
};

struct route_call {
    const http_request& request;
    const target_parts& target;
    const route_args& args;
};

using route_handler = std::function<http_response(const route_call&)>;
// The access check: nothing when the request may reach the handler; else the refusal.
using route_gate = std::function<std::optional<http_response>(caller, const route_call&)>;

struct route {
    http_method method;
    std::string_view pattern;  // "/v1/communities/{c}/members/{m}/balance"
    std::vector<std::string_view> query;
    caller who;
    route_handler handle;
};

class router {
public:
    // Asserts that no two rows overlap, that every pattern is well formed, and that each row's
    // caller names only parameters of its pattern (a session's community needs {c}, a member's
    // reads {m}, a party's {id}). Every request of a row not `anyone` passes `gate` first.
    router(std::vector<route> table, route_gate gate);

    [[nodiscard]] http_response dispatch(const http_request& request) const;

    [[nodiscard]] const std::vector<route>& table() const { return table_; }

private:
    struct compiled {
        std::vector<std::string> segments;  // literals, or "{c}" and the like
    };
    [[nodiscard]] static bool matches(const compiled& c, const std::vector<std::string>& path);

    std::vector<route> table_;
    std::vector<compiled> compiled_;
    route_gate gate_;
};

}  // namespace uurwerk
