#include "matching/round.h"

#include "projections/query.h"

namespace uurwerk {

result<planned_round> plan_round(const projector& p, community_id c, const public_key& node_key,
                                 const std::function<event_id(const event_id&)>& derive_id) {
    return p.read_state(
        [&](const ledger_state& s, const matching_state& m) -> result<planned_round> {
            if (auto announced = query::node_key_announced(s, c, node_key); !announced)
                return announced.err();
            const auto it = s.communities.find(c);
            planned_round r;
            r.basis = it->second.events;
            r.clock = it->second.clock;
            r.proposals = propose(c, it->second, m.communities.at(c));
            for (auto& x : r.proposals) {
                x.id = derive_id(x.id);
                r.seen.push_back(s.seen.contains(scoped_id{c, x.id}));
            }
            return r;
        });
}

}  // namespace uurwerk
