#include "projections/fit.h"

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

queued_post queued_request(const match_queues& q, const event_id& id, const post_state& request) {
    UURWERK_ASSERT(!request.is_offer);
    return {id,
            request.owner,
            request.posted_at,
            request.availability,
            q.code_of(request.area),
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

best_offers best_fitting_offers(const match_queues& q, category what, const queued_post& request,
                                std::size_t limit) {
    UURWERK_ASSERT(q.kept(), "the match queues were not kept");
    const auto& posts = q.open(post_side::offer, what);
    // Every offer of the category fits (fit() is never 0 within one) but the requester's own
    // and those of suspended members.
    std::size_t excluded = q.offers_of(request.owner, what);
    for (const member_id m : q.suspended_members())
        if (m != request.owner) excluded += q.offers_of(m, what);
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
            if (owner == request.owner || q.suspended(owner)) continue;
            const double r = fit_queued(request, b->availability(i), b->area(), b->how_often());
            UURWERK_ASSERT(r > 0 && r <= fit_max, r, fit_max);
            best.show({r, b->posted_at(i), b->ids()[i]});
        }
    }
    out.best = best.take();
    return out;
}

std::vector<fitting_offer> fitting_offers(const match_queues& q, const post_state& request) {
    std::vector<fitting_offer> out;
    for_each_fitting_offer(q, request.what, queued_request(q, event_id{}, request),
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

}  // namespace uurwerk
