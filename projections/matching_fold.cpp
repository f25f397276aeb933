#include "projections/matching_fold.h"

#include <algorithm>

namespace uurwerk {

community_matching& matching_state::of(community_id c) {
    auto [it, fresh] = communities.try_emplace(c);
    if (fresh) it->second.queues.set_upkeep(upkeep);
    return it->second;
}

namespace {

post_side side_of(const post_state& p) {
    return p.is_offer ? post_side::offer : post_side::request;
}

}  // namespace

void fold_matching(matching_state& m, const ledger_state& folded, const event_body& b,
                   verdict decided,
                   std::span<const std::pair<community_id, event_id>> event_matches,
                   matching_effects& effects) {
    if (!decided.accepted()) return;  // a rejected event changed nothing
    const auto cit = folded.communities.find(b.community);
    UURWERK_ASSERT(cit != folded.communities.end(), b.community.value);  // it was accepted
    const community_state& c = cit->second;
    community_matching& cm = m.of(b.community);
    auto close_match = [&](member_id helper) {
        auto& h = cm.exposure[helper];
        UURWERK_ASSERT(h.open_matches > 0, helper.value);
        h.open_matches -= 1;
        effects.helpers.emplace_back(b.community, helper);
    };
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, match_proposed>) {
                // The first proposal of a round hands out the round's unit of relevance among
                // the request's eligible candidates; each proposal adds its position weight to
                // its helper's exposure and takes one of their open-match slots.
                if (x.rank == 0) {
                    const auto offers = fitting_offers(cm.queues, c.posts.at(x.request));
                    const auto shares = relevance_shares(c.rules.fairness, offers);
                    for (std::size_t i = 0; i < offers.size(); ++i) {
                        if (shares[i] <= 0) continue;
                        cm.exposure[offers[i].helper].relevance_sum += shares[i];
                        effects.helpers.emplace_back(b.community, offers[i].helper);
                    }
                }
                auto& h = cm.exposure[x.helper];
                h.exposure_sum += position_weight(x.rank, std::max(x.round_size, x.rank + 1));
                h.open_matches += 1;
                effects.helpers.emplace_back(b.community, x.helper);
            } else if constexpr (std::is_same_v<T, member_suspended> ||
                                 std::is_same_v<T, member_left>) {
                cm.queues.suspend(x.member);
            } else if constexpr (std::is_same_v<T, member_reinstated>) {
                cm.queues.reinstate(x.member);
            } else if constexpr (std::is_same_v<T, offer_posted> ||
                                 std::is_same_v<T, request_posted>) {
                const auto& p = c.posts.at(b.id);
                cm.queues.add(side_of(p), p.what,
                              {b.id, p.owner, p.posted_at, p.availability, {}, p.how_often},
                              p.area);
            } else if constexpr (std::is_same_v<T, post_withdrawn> ||
                                 std::is_same_v<T, post_hidden>) {
                const auto& p = c.posts.at(x.post);
                cm.queues.remove(side_of(p), p.what, x.post);
                // The matches the verdict fold names for a withdrawal are the proposals that
                // lapsed with it.
                for (const auto& [community, id] : event_matches) {
                    const auto& lapsed = c.matches.at(id);
                    UURWERK_ASSERT(
                        community == b.community && lapsed.status == match_status::lapsed,
                        id.hex());
                    close_match(lapsed.helper);
                }
            } else if constexpr (std::is_same_v<T, match_accepted>) {
                // What fairness is for is who gets to help, not who is shown: a match that
                // begins outweighs proposals (exposure.h), so a helper whom requesters prefer is
                // proposed less until the others caught up.
                cm.exposure[c.matches.at(x.match).helper].exposure_sum += match_exposure;
                effects.helpers.emplace_back(b.community, c.matches.at(x.match).helper);
            } else if constexpr (std::is_same_v<T, match_declined> ||
                                 std::is_same_v<T, match_ended>) {
                close_match(c.matches.at(x.match).helper);
            }
        },
        b.payload);
}

void index_posts(community_matching& m, const community_state& c, queue_upkeep upkeep) {
    m.queues.clear();
    m.queues.set_upkeep(upkeep);
    // In posting order: a queue's bucket keeps that order, and takes posts fastest at its end
    // (inserting in it would move half a bucket per post). The posts' table is in that order
    // when it was folded, but not when it was loaded from the store, which keeps posts by id.
    std::vector<std::pair<offset, const id_table<post_state>::value_type*>> open;
    for (const auto& entry : c.posts)
        if (entry.second.status == post_status::open)
            open.emplace_back(entry.second.posted_at, &entry);
    std::sort(open.begin(), open.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [at, entry] : open) {
        const auto& [id, p] = *entry;
        m.queues.add(side_of(p), p.what,
                     {id, p.owner, p.posted_at, p.availability, {}, p.how_often}, p.area);
    }
    for (const auto& [id, member] : c.members)
        if (member.suspended) m.queues.suspend(id);
}

}  // namespace uurwerk
