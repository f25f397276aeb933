#pragma once
// What every route of the HTTP API shares: JSON answers and error answers, the request target
// split into path segments and query parameters, and the checks of path and query parameters
// (each a clean 400 with what was expected). Pure functions; safe from any thread.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/http/http_server.h"
#include "api/node/node.h"
#include "ledger/core/event.h"

namespace uurwerk {

[[nodiscard]] http_response json_answer(unsigned status, std::string body);
// {"error": {"code", "message"}} with the code's status (api/http/error_status.h).
[[nodiscard]] http_response error_answer(errc code, std::string_view message);
[[nodiscard]] http_response error_answer(const error& e);
[[nodiscard]] http_response bad_request(std::string_view message);

// The request's target: path segments and query parameters.
struct target_parts {
    std::vector<std::string> segments;  // "/v1/events/ab" -> v1, events, ab
    std::map<std::string, std::string> query;
};
[[nodiscard]] result<target_parts> split_target(std::string_view target);
// Refuses query parameters the route does not take.
[[nodiscard]] std::optional<http_response> only_params(
    const target_parts& t, const std::vector<std::string_view>& allowed);

[[nodiscard]] result<std::uint64_t> decimal_text(const std::string& text, std::string_view what);
template <typename Id>
[[nodiscard]] result<Id> decimal_param(const std::string& text, std::string_view what) {
    auto v = decimal_text(text, what);
    if (!v) return v.err();
    return Id{*v};
}
[[nodiscard]] result<event_id> event_id_param(const std::string& text);
[[nodiscard]] result<public_key> key_param(const std::string& text);
// ?limit=, from 1 to history_page_max; `fallback` when absent.
[[nodiscard]] result<std::size_t> limit_param(const target_parts& t, std::size_t fallback);
// An optional decimal query parameter.
[[nodiscard]] result<std::optional<std::uint64_t>> decimal_query(const target_parts& t,
                                                                 const std::string& name);

inline constexpr std::size_t page_default = 100;
inline constexpr std::size_t history_page_max = 1000;  // entries in one history answer
// The rows of one page of a paged read (history, leaves, export) stop once they reach this many
// bytes, whatever its limit (a page always holds at least one row); its cursor ("next", or the
// export's X-Uurwerk-Leaves count) says where the next page starts. So what one request makes
// the server hold is bounded in bytes, not only in rows.
inline constexpr std::size_t page_bytes_max = 1u << 20;

[[nodiscard]] std::string community_text(community_id c);

// Where event `id` of its community stands, for the routes that name an event by its id
// (GET /v1/communities/{c}/events/{id} and its proof). Sets `found`, or returns the 404 answer.
[[nodiscard]] std::optional<http_response> locate_event(node& n, const scoped_id& id,
                                                        node::found_event& found);
[[nodiscard]] http_response unknown_community(community_id c);

}  // namespace uurwerk
