#pragma once
// A matching round planned on a node's folded state: under the projector's shared lock, the
// community's event count and clock, and the matcher's proposals (matcher.h: propose), each
// with its id derived by the caller (a node keys them with its secret, ledger/core/audit.h:
// node_event_id) and whether the community has that id already. What is proposed is a pure
// function of the state, so a second node, or this one again, planning the same round gets
// the same proposals, which the ledger then answers as duplicates.
//
// Threading: any thread; holds the projector's shared lock while it plans.

#include <cstdint>
#include <functional>
#include <vector>

#include "matching/matcher.h"
#include "projections/projector.h"

namespace uurwerk {

struct planned_round {
    std::uint64_t basis = 0;  // the community's event count the round read
    time_ms clock;            // the log's clock at the last of them
    std::vector<proposal> proposals;
    std::vector<bool> seen;  // proposals[i]'s id is in the community already
};

// Errors: "unknown_community", "node_key_not_announced" (`node_key` is not announced in `c`).
[[nodiscard]] result<planned_round> plan_round(
    const projector& p, community_id c, const public_key& node_key,
    const std::function<event_id(const event_id&)>& derive_id);

}  // namespace uurwerk
