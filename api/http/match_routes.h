#pragma once
// The matching routes of the HTTP API (api/README.md, "Matching"): a round of the node's matcher
// on demand (POST /v1/communities/{c}/match), and a member's proposals by long polling
// (GET /v1/communities/{c}/members/{m}/proposals?after=OFFSET&wait_ms=N): answered at once when
// the log holds proposals after that offset where the member is the helper or the requester,
// else as soon as one is applied, else with an empty list when the wait (at most
// proposals_wait_ms_max) ends. At most proposals_waiting_max requests wait at once; beyond that
// a new one is answered 503 "too_many_waiting" (each waiting request holds a server's worker).
//
// Threading: safe from any number of worker threads; a wait blocks only its own thread.

#include <atomic>
#include <optional>

#include "api/http/route_support.h"
#include "api/node/match_driver.h"

namespace uurwerk {

inline constexpr std::uint64_t proposals_wait_ms_max = 30'000;
inline constexpr std::size_t proposals_waiting_max = 64;
inline constexpr std::size_t proposals_page_max = 100;

}  // namespace uurwerk

namespace uurwerk::match_routes {

// POST /v1/communities/{c}/match. `driver` may be null: a node that does not match (503).
[[nodiscard]] http_response match_round(match_driver* driver, community_id c);
// GET /v1/communities/{c}/members/{m}/proposals. `waiting` counts the long polls in progress
// (owned by the caller, shared by every worker thread).
[[nodiscard]] http_response member_proposals(node& n, std::atomic<std::size_t>& waiting,
                                             community_id c, member_id m, const target_parts& t);

}  // namespace uurwerk::match_routes
