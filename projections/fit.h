#pragma once
// How well an offer fits a request, and the ranking of a request's candidates over the live match
// queues (match_queues.h): the one arithmetic that the exposure projection (matching_fold.h: the
// relevance a round hands out), the query layer (query.h: candidates, requests for a member) and
// the matcher (matching/) share, so that what the projection records is exactly what the matcher
// ranks by, on every replica and for every auditor. Here in projections/ and not in matching/
// because the projection fold and the query layer need it, and projections never include
// matching (ops/layers.txt); the matcher includes it from here.
//
// - fit(): how well an offer fits a request, 0 (not at all) to 1. Only offers of the request's
//   category fit at all; then three factors, multiplied:
//     area          the same coarse area 1.0; a request or offer without an area 0.8; another 0.4
//     availability  when both give their times (bits 3*day + part), the share of the request's
//                   slots the offer covers, at least 0.25 (people move things around); else 1.0
//     intensity     an offer that helps as often as asked 1.0; "once" for a "regularly" request
//                   0.5; anything else 0.8
// - fitting_offers(): a request's candidates in a community's queues, in a fixed order.
// - best_fitting_offers(): the best page of them, without scanning the whole category.
//
// Pure functions; threading: none.

#include <algorithm>
#include <bit>
#include <string_view>
#include <vector>

#include "ledger/core/rules.h"
#include "projections/match_queues.h"

namespace uurwerk {

struct post_fit {
    category what = category::other;
    intensity how_often = intensity::once;
    std::uint32_t availability = 0;
    std::string_view area;
};
[[nodiscard]] double fit(const post_fit& request, const post_fit& offer);
[[nodiscard]] post_fit fit_of(const post_state& p);
// The same for two queued posts of one category (match_queues.h): equal to fit() of the posts
// they stand for.
[[nodiscard]] double fit_queued(const queued_post& request, const queued_post& offer);

// fit() of two posts of one category, the areas already compared. Inline: a scan of a
// category's queue calls it once per open offer.
enum class area_relation : std::uint8_t { same, one_unknown, different };
[[nodiscard]] inline double fit_within_category(area_relation a, std::uint32_t request_times,
                                                intensity request_often, std::uint32_t offer_times,
                                                intensity offer_often) {
    const double area = a == area_relation::same          ? 1.0
                        : a == area_relation::one_unknown ? 0.8
                                                          : 0.4;
    double times = 1.0;
    if (request_times != 0 && offer_times != 0) {
        const double asked = std::popcount(request_times);
        const double covered = std::popcount(request_times & offer_times);
        times = std::max(0.25, covered / asked);
    }
    double often = 0.8;
    if (request_often == offer_often)
        often = 1.0;
    else if (request_often == intensity::regularly && offer_often == intensity::once)
        often = 0.5;
    return area * times * often;
}
// How a request's area stands to an offer's, both coded (match_queues.h).
[[nodiscard]] inline area_relation relation_of(area_code request, area_code offer) {
    return request == area_code{0} || offer == area_code{0} ? area_relation::one_unknown
           : request == offer                               ? area_relation::same
                                                            : area_relation::different;
}
// fit_queued() with the offer's fields given one by one (as a bucket's columns hold them).
[[nodiscard]] inline double fit_queued(const queued_post& request, std::uint32_t offer_times,
                                       area_code offer_area, intensity offer_often) {
    return fit_within_category(relation_of(request.area, offer_area), request.availability,
                               request.how_often, offer_times, offer_often);
}

// An open offer that fits a request: of its category, by a helper other than the requester who
// is not suspended, with fit > 0.
struct fitting_offer {
    event_id offer;
    member_id helper;
    double relevance = 0;
};
// Every fitting offer of `request` in the queues `q`, ordered by (helper, offer id). Looks at
// the open offers of the request's category only.
[[nodiscard]] std::vector<fitting_offer> fitting_offers(const match_queues& q,
                                                        const post_state& request);

// A request as its queue holds it (`id` may be zero for one that is not posted).
[[nodiscard]] queued_post queued_request(const match_queues& q, const event_id& id,
                                         const post_state& request);

// Calls fn(bucket, i, relevance) for every fitting offer (the i-th of one of the category's
// buckets) of a request of category `what`, bucket by bucket (in no meaningful order): the scan
// behind fitting_offers(), for callers that count or collect without ranking.
template <typename Fn>
void for_each_fitting_offer(const match_queues& q, category what, const queued_post& request,
                            Fn&& fn) {
    UURWERK_ASSERT(q.kept(), "the match queues were not kept");
    q.open(post_side::offer, what).for_each([&](const post_bucket& b, std::size_t i) {
        const member_id owner = b.owner(i);
        if (owner == request.owner || q.suspended(owner)) return;
        if (const double r = fit_queued(request, b.availability(i), b.area(), b.how_often()); r > 0)
            fn(b, i, r);
    });
}

// A post on a ranked page: better relevance first, then the older (posted first).
struct ranked_post_ref {
    double relevance = 0;
    offset posted_at;
    event_id id;
};
[[nodiscard]] inline bool ranks_before(const ranked_post_ref& a, const ranked_post_ref& b) {
    if (a.relevance != b.relevance) return a.relevance > b.relevance;
    if (a.posted_at != b.posted_at) return a.posted_at < b.posted_at;
    return a.id < b.id;
}

// The best `limit` posts (ranks_before) of those it is shown, and how many it was shown: a
// bounded heap, so a scan of 20,000 posts keeps 20 and sorts nothing else.
class best_posts {
public:
    explicit best_posts(std::size_t limit) : limit_(limit) { heap_.reserve(limit); }
    void show(const ranked_post_ref& p);
    [[nodiscard]] std::size_t shown() const { return shown_; }
    // Whether a post of at most `relevance_max`, posted at `posted_at` or later, could still
    // enter the page.
    [[nodiscard]] bool could_enter(double relevance_max, offset posted_at) const {
        if (heap_.size() < limit_) return true;
        if (limit_ == 0) return false;
        const auto& worst = heap_.front();
        return relevance_max > worst.relevance ||
               (relevance_max == worst.relevance && posted_at <= worst.posted_at);
    }
    // The kept ones, best first; then empty.
    [[nodiscard]] std::vector<ranked_post_ref> take();

private:
    std::size_t limit_;
    std::size_t shown_ = 0;
    std::vector<ranked_post_ref> heap_;  // the front is the worst kept
};

// A request's candidates for a page: how many offers fit it, and the best `limit` of them.
struct best_offers {
    std::size_t fitting = 0;  // as many as for_each_fitting_offer() calls its fn for
    std::vector<ranked_post_ref> best;
};
// The first `limit` fitting offers of `request` (of category `what`) by ranks_before. Visits
// the category's buckets from the best fit their posts could have down, each in posting order,
// and stops where no post left could enter the page; the count comes from the queues' counts,
// not from the scan.
[[nodiscard]] best_offers best_fitting_offers(const match_queues& q, category what,
                                              const queued_post& request, std::size_t limit);

}  // namespace uurwerk
