#pragma once
// The matching routes of the HTTP API (api/README.md, "Matching"): a round of the node's matcher
// on demand (POST /v1/communities/{c}/match), and a member's proposals by long polling
// (GET /v1/communities/{c}/members/{m}/proposals?after=OFFSET&wait_ms=N): answered at once when
// the log holds proposals after that offset where the member is the helper or the requester,
// else as soon as one is applied, else with an empty list when the wait (at most
// proposals_wait_ms_max) ends. At most proposals_waiting_max requests wait at once; beyond that
// a new one is answered 503 "too_many_waiting" (each waiting request holds a connection thread).
//
// Threading: safe from any number of connection threads; a wait blocks only its own thread.

#include <atomic>
#include <optional>

#include "api/node/match_driver.h"
#include "api/http/route_support.h"

namespace uurwerk {

inline constexpr std::uint64_t proposals_wait_ms_max = 30'000;
inline constexpr std::size_t proposals_waiting_max = 64;
inline constexpr std::size_t proposals_page_max = 100;

// The answer when `t` is a matching route; nothing when it is not one. `driver` may be null (a
// node that does not match answers 503 to POST .../match). `waiting` counts the long polls in
// progress (owned by the caller, shared by every connection thread).
[[nodiscard]] std::optional<http_response> match_route(node& n, match_driver* driver,
                                                       std::atomic<std::size_t>& waiting,
                                                       const http_request& request,
                                                       const target_parts& t);

}  // namespace uurwerk
