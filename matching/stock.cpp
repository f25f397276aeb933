#include "matching/stock.h"

#include <algorithm>
#include <map>
#include <set>

#include "ledger/core/fairness_knobs.h"
#include "matching/matcher.h"

namespace uurwerk {

stock_sample sample_stock(const community_state& c, const community_matching& m) {
    stock_sample out;
    const auto knobs = resolved(c.rules.fairness);
    const std::int64_t bound_ms =
        static_cast<std::int64_t>(knobs.request_wait_hours_max) * 3'600'000;
    auto open_matches = [&](member_id h) -> std::uint32_t {
        auto e = m.exposure.find(h);
        return e == m.exposure.end() ? 0 : e->second.open_matches;
    };

    // The free helpers by (category, area), and the slots of everyone offering.
    std::map<std::pair<std::size_t, area_code>, std::vector<member_id>> free;
    std::set<member_id> helpers;
    for (std::size_t k = 0; k < category_count; ++k)
        m.queues.open(post_side::offer, static_cast<category>(k))
            .for_each([&](const post_bucket& b, std::size_t i) {
                ++out.open_offers;
                ++out.open_offers_by_category[k];
                const member_id h = b.owner(i);
                if (m.queues.suspended(h)) return;
                helpers.insert(h);
                if (open_matches(h) < knobs.open_matches_max) free[{k, b.area()}].push_back(h);
            });
    for (const member_id h : helpers) {
        out.helper_slots += knobs.open_matches_max;
        out.helper_slots_used += std::min(open_matches(h), knobs.open_matches_max);
    }

    for (std::size_t k = 0; k < category_count; ++k)
        m.queues.open(post_side::request, static_cast<category>(k))
            .for_each([&](const post_bucket& b, std::size_t i) {
                const event_id& id = b.ids()[i];
                const auto h = history_of(c, id, c.clock, std::chrono::milliseconds(bound_ms));
                if (h.accepted) return;
                ++out.open_requests;
                ++out.open_requests_by_category[k];
                const auto& post = c.posts.at(id);
                if (h.holding || c.clock.value - post.posted_time.value <= bound_ms ||
                    m.queues.suspended(post.owner))
                    return;
                auto f = free.find({k, b.area()});
                if (f == free.end()) return;
                const bool any =
                    std::any_of(f->second.begin(), f->second.end(), [&](member_id helper) {
                        return helper != post.owner && !h.pending.contains(helper);
                    });
                if (any) out.past_bound_with_free_helper.push_back(id);
            });
    return out;
}

}  // namespace uurwerk
