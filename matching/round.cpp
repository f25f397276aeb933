#include "matching/round.h"

#include "projections/query.h"

namespace uurwerk {

result<planned_round> plan_round(const projector& p, community_id c, const public_key& node_key,
                                 const std::function<event_id(const event_id&)>& derive_id) {
    // The announcement is checked on its own first (for its error), then the round is planned.
    if (auto seq = query::node_key_next_seq(p, c, node_key); !seq) return seq.err();
    return p.read_state([&](const ledger_state& s) -> result<planned_round> {
        auto it = s.communities.find(c);
        if (it == s.communities.end())
            return make_error("unknown_community",
                              "community " + std::to_string(c.value) + " does not exist");
        planned_round r;
        r.basis = it->second.events;
        r.clock = it->second.clock;
        r.proposals = propose(c, it->second);
        for (auto& x : r.proposals) {
            x.id = derive_id(x.id);
            r.seen.push_back(s.seen.contains(scoped_id{c, x.id}));
        }
        return r;
    });
}

}  // namespace uurwerk
