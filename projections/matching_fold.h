#pragma once
// The matching projection: for each community, the live match queues (match_queues.h) and each
// helper's exposure (exposure.h: helper_exposure), folded from the accepted events after the
// verdict fold (ledger/core/rules.h) has decided and applied them. No verdict reads them, so they
// are not part of the verdict state: the projector (projector.h) applies, for each record, the
// verdict fold and then this one, and writes both folds' effects in the same WriteBatch.
//
// What it folds, from an accepted event and the ledger state just after it:
//   offer / request posted        the post joins its category's queue
//   post withdrawn / hidden       it leaves the queue; each proposal of it that lapsed (named in
//                                 the verdict fold's effects) frees its helper's open-match slot
//   member suspended / reinstated the member's offers are skipped / fit again
//   match proposed                its position weight to the helper's exposure_sum, one of their
//                                 open-match slots; rank 0 hands out the round's unit of
//                                 relevance among the request's fitting offers (fit.h)
//   match accepted                match_exposure to the helper's exposure_sum
//   match declined / ended        frees the helper's open-match slot
//
// Stored: each helper's exposure ('H' entries of column `state`, state_codec.h; matching_effects
// names the changed ones). Derived, never stored: the queues, rebuilt from the posts and members
// on load (index_posts).
//
// Pure: no I/O. Threading: none; the projector owns a matching_state beside its ledger_state and
// changes and reads both under the same lock (projector.h: read_state).

#include <map>
#include <span>
#include <utility>
#include <vector>

#include "ledger/core/rules.h"
#include "projections/exposure.h"
#include "projections/match_queues.h"

namespace uurwerk {

struct community_matching {
    match_queues queues;                            // the live match queues
    std::map<member_id, helper_exposure> exposure;  // helpers that were candidates or proposed
};

struct matching_state {
    // A community's entry is made when its founding is folded (or on load).
    std::map<community_id, community_matching> communities;
    queue_upkeep upkeep = queue_upkeep::kept;  // how new communities keep their match queues

    // The community's entry, made (with `upkeep`) when missing.
    community_matching& of(community_id c);
};

// What one matching fold changed, for the store: the helpers whose exposure changed. Cleared by
// the caller between batches.
struct matching_effects {
    std::vector<std::pair<community_id, member_id>> helpers;
    void clear() { helpers.clear(); }
};

// Folds one event that the verdict fold has just decided (`decided`; nothing unless accepted)
// into `m`. `folded` is the ledger state after it; `event_matches` the matches the verdict fold
// named in its effects for this event (fold_effects::matches, this event's part).
void fold_matching(matching_state& m, const ledger_state& folded, const event_body& b,
                   verdict decided,
                   std::span<const std::pair<community_id, event_id>> event_matches,
                   matching_effects& effects);

// Rebuilds the queues of `m` from the posts and members of `c` (after loading them).
void index_posts(community_matching& m, const community_state& c,
                 queue_upkeep upkeep = queue_upkeep::kept);

}  // namespace uurwerk
