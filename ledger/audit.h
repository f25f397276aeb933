#pragma once
// The audit side of the ledger, pure: how a node's checkpoint event is made, the export file
// format, and the offline verifier that needs nothing but an export and trusted node keys.
// (The Merkle maths are in merkle.h; the projection that keeps the trees in projections/.)
//
// Threading: functions are pure; verify_export uses the threads it is given and returns when
// they are done.

#include "ledger/crypto.h"
#include "ledger/merkle.h"
#include "ledger/rules.h"

namespace uurwerk {

// The id of a node's checkpoint of `c`'s tree at `tree_size`: derived from what it is about, so
// that two copies of the same checkpoint (a retry, a second node in a cluster with the same
// key) are one event, and the second a harmless duplicate.
[[nodiscard]] event_id checkpoint_event_id(community_id c, std::uint64_t tree_size,
                                           const public_key& node_key);

// The body of a checkpoint signed by a node key (author: the community fund, member 0).
[[nodiscard]] event_body checkpoint_body(community_id c, sequence seq, std::uint64_t tree_size,
                                         const digest& root, time_ms now,
                                         const public_key& node_key);

}  // namespace uurwerk
