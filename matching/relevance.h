#pragma once
// How well an open offer fits an open request, 0 (not at all) to 1: the step before the
// fairness layer. Pure.
//
// Only offers of the request's category fit at all. Then three factors, multiplied:
//   area          the same coarse area 1.0; a request or offer without an area 0.8; another 0.4
//   availability  when both give their times (bits 3*day + part), the share of the request's
//                 slots the offer covers, at least 0.25 (people move things around); else 1.0
//   intensity     an offer that helps as often as asked 1.0; "once" for a "regularly" request
//                 0.5; anything else 0.8

#include "projections/state_codec.h"

namespace uurwerk {

[[nodiscard]] double relevance(const open_post& request, const open_post& offer);

}  // namespace uurwerk
