#pragma once
// The audit routes of the HTTP API (api/README.md, "Audit"): the node's key, a community's tree
// head and checkpoints (and signing one on demand), inclusion proofs of events, consistency
// proofs between tree sizes, and the community's events by leaf, as JSON or in the export
// file format (ledger/core/audit.h). Proofs are served from what the store has committed.
//
// Threading: safe from any number of connection threads (reads; sign_now is serialized by the
// checkpointer).

#include <optional>

#include "api/node/checkpointer.h"
#include "api/http/route_support.h"

namespace uurwerk {

// The answer when `t` is an audit route; nothing when it is not one. `cp` may be null (a node
// without a checkpointer answers 503 to the routes that need one).
[[nodiscard]] std::optional<http_response> audit_route(node& n, checkpointer* cp,
                                                       const http_request& request,
                                                       const target_parts& t);

}  // namespace uurwerk
