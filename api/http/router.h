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

// Who may call a route. Today the API has no sessions: reads are open to anyone who can reach
// the node (on loopback by default), and a write carries its own authority, the signature of
// the member's key on the event, which the node checks before anything is logged.
enum class caller : std::uint8_t {
    anyone,
    event_signer,  // the body is an event; its signer's key and rights are checked by the node
};

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

struct route {
    http_method method;
    std::string_view pattern;  // "/v1/communities/{c}/members/{m}/balance"
    std::vector<std::string_view> query;
    caller who;
    route_handler handle;
};

class router {
public:
    // Asserts that no two rows overlap and that every pattern is well formed.
    explicit router(std::vector<route> table);

    [[nodiscard]] http_response dispatch(const http_request& request) const;

    [[nodiscard]] const std::vector<route>& table() const { return table_; }

private:
    struct compiled {
        std::vector<std::string> segments;  // literals, or "{c}" and the like
    };
    [[nodiscard]] static bool matches(const compiled& c, const std::vector<std::string>& path);

    std::vector<route> table_;
    std::vector<compiled> compiled_;
};

}  // namespace uurwerk
