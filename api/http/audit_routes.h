#pragma once
// The audit routes of the HTTP API (api/README.md, "Audit"): the node's key, a community's tree
// head and checkpoints (and signing one on demand), inclusion proofs of events, consistency
// proofs between tree sizes, and the community's events by leaf, as JSON or in the export
// file format (ledger/core/audit.h). Proofs are served from what the store has committed.
//
// Threading: safe from any number of worker threads (reads; sign_now is serialized by the
// checkpointer).

#include <optional>

#include "api/http/route_support.h"
#include "api/node/checkpointer.h"

namespace uurwerk::audit_routes {

// The handlers of the audit routes; the router (api/http/routes.cpp) checks the path and query
// parameters first, and that the community exists. `cp` may be null: no node key (503).
[[nodiscard]] http_response node_key(const checkpointer* cp);
[[nodiscard]] http_response tree(node& n, community_id c);
[[nodiscard]] http_response latest_checkpoint(node& n, community_id c);
[[nodiscard]] http_response checkpoints(node& n, community_id c, const target_parts& t);
[[nodiscard]] http_response sign_checkpoint(checkpointer* cp, community_id c);
[[nodiscard]] http_response inclusion(node& n, const scoped_id& scoped, const target_parts& t);
[[nodiscard]] http_response inclusion_at(node& n, community_id c, std::string_view index,
                                         const target_parts& t);
[[nodiscard]] http_response consistency(node& n, community_id c, const target_parts& t);
[[nodiscard]] http_response leaves(node& n, community_id c, const target_parts& t);
[[nodiscard]] http_response export_page(node& n, community_id c, const target_parts& t);
[[nodiscard]] http_response certificate(node& n, community_id c, member_id m,
                                        const target_parts& t);

}  // namespace uurwerk::audit_routes
