#include "ledger/core/exposure.h"

#include <algorithm>
#include <bit>
#include <utility>

namespace uurwerk {

double fit(const post_fit& request, const post_fit& offer) {
    if (request.what != offer.what) return 0;
    const auto a = request.area.empty() || offer.area.empty() ? area_relation::one_unknown
                   : request.area == offer.area               ? area_relation::same
                                                              : area_relation::different;
    return fit_within_category(a, request.availability, request.how_often, offer.availability,
                               offer.how_often);
}

double fit_queued(const queued_post& request, const queued_post& offer) {
    return fit_queued(request, offer.availability, offer.area, offer.how_often);
}

post_fit fit_of(const post_state& p) {
    return {p.what, p.how_often, p.availability, p.area};
}

double position_weight(std::uint32_t rank, std::size_t k) {
    UURWERK_ASSERT(k > 0 && rank < k, rank, k);
    double total = 0;
    for (std::size_t i = 0; i < k; ++i) total += 1.0 / static_cast<double>(i + 1);
    return (1.0 / (rank + 1.0)) / total;
}

fairness_knobs resolved(const fairness_knobs& k) {
    auto or_default = [](std::uint32_t v, std::uint32_t d) { return v == 0 ? d : v; };
    fairness_knobs r = k;
    r.proposals_per_request = or_default(k.proposals_per_request, 3);
    r.open_matches_max = or_default(k.open_matches_max, 4);
    r.newcomer_floor_hours = or_default(k.newcomer_floor_hours, 72);
    r.quality_floor_permille = or_default(k.quality_floor_permille, 500);
    r.reputation_weight_max_permille = or_default(k.reputation_weight_max_permille, 200);
    r.low_reputation_proposals_min = or_default(k.low_reputation_proposals_min, 1);
    r.reputation_half_life_days = or_default(k.reputation_half_life_days, 180);
    r.request_wait_hours_max = or_default(k.request_wait_hours_max, 48);
    r.silence_floor_hours = or_default(k.silence_floor_hours, 336);
    r.silent_proposals_max = or_default(k.silent_proposals_max, 17);
    return r;
}

bool within_ranges(const fairness_knobs& k) {
    auto within = [](std::uint32_t v, std::uint32_t max) { return v == 0 || v <= max; };
    const auto r = resolved(k);
    return within(k.proposals_per_request, round_proposals_max) &&
           within(k.open_matches_max, 100) && within(k.newcomer_floor_hours, 8760) &&
           within(k.quality_floor_permille, 1000) &&
           within(k.reputation_weight_max_permille, 1000) &&
           within(k.low_reputation_proposals_min, round_proposals_max) &&
           r.low_reputation_proposals_min <= r.proposals_per_request &&
           within(k.reputation_half_life_days, 3650) && within(k.request_wait_hours_max, 8760) &&
           within(k.silence_floor_hours, 8760) &&
           within(k.silent_proposals_max, round_proposals_max);
}

queued_post queued_request(const community_state& c, const event_id& id,
                           const post_state& request) {
    UURWERK_ASSERT(!request.is_offer);
    return {id,
            request.owner,
            request.posted_at,
            request.availability,
            c.queues.code_of(request.area),
            request.how_often};
}

void best_posts::show(const ranked_post_ref& p) {
    ++shown_;
    if (limit_ == 0) return;
    // A max-heap by ranks_before puts the worst kept at the front.
    if (heap_.size() < limit_) {
        heap_.push_back(p);
        std::push_heap(heap_.begin(), heap_.end(), ranks_before);
    } else if (ranks_before(p, heap_.front())) {
        std::pop_heap(heap_.begin(), heap_.end(), ranks_before);
        heap_.back() = p;
        std::push_heap(heap_.begin(), heap_.end(), ranks_before);
    }
}

std::vector<ranked_post_ref> best_posts::take() {
    std::sort_heap(heap_.begin(), heap_.end(), ranks_before);
    return std::exchange(heap_, {});
}

best_offers best_fitting_offers(const community_state& c, category what, const queued_post& request,
                                std::size_t limit) {
    UURWERK_ASSERT(c.queues.kept(), "the match queues were not kept");
    const auto& posts = c.queues.open(post_side::offer, what);
    // Every offer of the category fits (fit() is never 0 within one) but the requester's own
    // and those of suspended members.
    std::size_t excluded = c.queues.offers_of(request.owner, what);
    for (const member_id m : c.queues.suspended_members())
        if (m != request.owner) excluded += c.queues.offers_of(m, what);
    UURWERK_ASSERT(excluded <= posts.size(), excluded, posts.size());
    best_offers out{posts.size() - excluded, {}};

    // Each bucket's best possible fit: its area and intensity against the request's, with
    // times that fit fully (times never raise a fit above 1).
    struct visit {
        double fit_max;
        const post_bucket* bucket;
    };
    std::vector<visit> order;
    order.reserve(posts.buckets().size());
    for (const auto& b : posts.buckets())
        if (b.size() > 0)
            order.push_back({fit_within_category(relation_of(request.area, b.area()), 0,
                                                 request.how_often, 0, b.how_often()),
                             &b});
    std::sort(order.begin(), order.end(),
              [](const visit& a, const visit& b) { return a.fit_max > b.fit_max; });

    best_posts best(limit);
    for (const auto& [fit_max, b] : order) {
        // The buckets left fit no better than this one: none of theirs can enter either.
        if (!best.could_enter(fit_max, offset{0})) break;
        for (std::size_t i = 0; i < b->size(); ++i) {
            // The rest of this bucket is younger and fits no better.
            if (!best.could_enter(fit_max, b->posted_at(i))) break;
            const member_id owner = b->owner(i);
            if (owner == request.owner || c.queues.suspended(owner)) continue;
            const double r = fit_queued(request, b->availability(i), b->area(), b->how_often());
            UURWERK_ASSERT(r > 0 && r <= fit_max, r, fit_max);
            best.show({r, b->posted_at(i), b->ids()[i]});
        }
    }
    out.best = best.take();
    return out;
}

std::vector<fitting_offer> fitting_offers(const community_state& c, const post_state& request) {
    std::vector<fitting_offer> out;
    for_each_fitting_offer(c, request.what, queued_request(c, event_id{}, request),
                           [&](const post_bucket& b, std::size_t i, double r) {
                               out.push_back({b.ids()[i], b.owner(i), r});
                           });
    // The buckets have no meaningful order: fix one, so every sum over it is the same
    // everywhere.
    std::sort(out.begin(), out.end(), [](const fitting_offer& a, const fitting_offer& b) {
        return a.helper != b.helper ? a.helper < b.helper : a.offer < b.offer;
    });
    return out;
}

std::vector<double> relevance_shares(const community_state& c,
                                     const std::vector<fitting_offer>& offers) {
    std::vector<double> relevance;
    relevance.reserve(offers.size());
    for (const auto& o : offers) relevance.push_back(o.relevance);
    return shares_of_relevance(relevance,
                               resolved(c.rules.fairness).quality_floor_permille / 1000.0);
}

std::vector<double> shares_of_relevance(const std::vector<double>& relevance,
                                        double quality_floor) {
    std::vector<double> out(relevance.size(), 0);
    double best = 0;
    for (double r : relevance) best = std::max(best, r);
    double total = 0;
    for (double r : relevance)
        if (owed_relevance(r, best, quality_floor)) total += r;
    if (total <= 0) return out;
    for (std::size_t i = 0; i < relevance.size(); ++i)
        if (owed_relevance(relevance[i], best, quality_floor)) out[i] = relevance[i] / total;
    return out;
}

}  // namespace uurwerk
