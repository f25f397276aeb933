#pragma once
// The fairness knobs of a policy (event.h: fairness_knobs) with their defaults resolved, and
// their allowed ranges. Here, in the core, because a verdict reads them: a founding or a policy
// change with a knob out of range is rejected (reject_reason::fairness_knob_out_of_range). The
// matcher (matching/) and the exposure projection (projections/exposure.h) read the resolved
// values; nothing here knows the queues or the exposure.
//
// Pure functions; threading: none.

#include "ledger/core/event.h"

namespace uurwerk {

// The knobs with every 0 replaced by its default (schemas/event.capnp names them).
[[nodiscard]] fairness_knobs resolved(const fairness_knobs& k);
// True when every set knob is within its range (unset ones are).
[[nodiscard]] bool within_ranges(const fairness_knobs& k);

// What a community founded today starts with, where the signed default differs: a helper who had
// no match for a week goes first (the web app's founding and `uurwerk found`; the rules page and
// `uurwerk policy` change it). Kept 1.5 to 2.4 times the helpers of the layer off in the
// simulated towns where any layer could (matching/FAIRNESS.md). Not the signed default (0, off),
// so that a log written before the rule existed proposes as it did.
inline constexpr std::uint32_t founding_match_silence_hours = 168;

}  // namespace uurwerk
