#pragma once
// The arithmetic of fair exposure that the ledger fold and the matcher share, so that what the
// fold records (ledger/core/rules.h: each helper's relevance_sum, exposure_sum and open matches) is
// exactly what the matcher (matching/) ranks by, on every replica and for every auditor.
//
// - fit(): how well an offer fits a request, 0 (not at all) to 1. Only offers of the request's
//   category fit at all; then three factors, multiplied:
//     area          the same coarse area 1.0; a request or offer without an area 0.8; another 0.4
//     availability  when both give their times (bits 3*day + part), the share of the request's
//                   slots the offer covers, at least 0.25 (people move things around); else 1.0
//     intensity     an offer that helps as often as asked 1.0; "once" for a "regularly" request
//                   0.5; anything else 0.8
// - position_weight(): how much of a round's attention a proposal at rank r of k gets.
// - the fairness knobs of a policy with their defaults resolved, and their allowed ranges.
// - fitting_offers(): a request's candidates in a community's state, in a fixed order.
//
// Pure functions; threading: none.

#include <algorithm>
#include <bit>
#include <string_view>
#include <vector>

#include "ledger/core/rules.h"

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

// The position weight of rank r among k proposals: earlier is seen more (1, 1/2, 1/3, ...),
// normalized so the k weights sum to 1.
[[nodiscard]] double position_weight(std::uint32_t rank, std::size_t k);

// The exposure a match that begins adds to its helper's exposure_sum: a hundred rounds' worth of
// proposals. What fairness is for is who gets to help, not who is shown, and requesters choose
// among the proposals (preferring a good record): a helper whom they prefer must be proposed
// less until the others caught up, so a match outweighs any plausible run of proposals, and the
// proposals' weights order the helpers between matches. Measured with `bench fairness` (1,000
// members, 180 days, seeds 1 and 2): unfairness of matches 0.127 and 0.155 with 10, 0.121 and
// 0.142 with 30, 0.123 and 0.130 with 100 (matching/FAIRNESS.md).
inline constexpr double match_exposure = 100.0;

// Whether a candidate of relevance `relevance` is owed a share of a round's relevance: it fits
// (> 0) and is within the policy's quality floor of the best candidate (`best`), i.e. one that
// fairness may propose. Whether the helper is at the open-match cap does not matter: the
// fair share that fairness tracks counts every open offer that fits, busy or not.
[[nodiscard]] inline bool owed_relevance(double relevance, double best, double quality_floor) {
    return relevance > 0 && relevance >= quality_floor * best;
}

// Each relevance's share of the total of those owed one (owed_relevance against the best of
// them): the arithmetic of a round's unit of relevance, the same for the fold
// (relevance_shares below) and the matcher (matching/fairness.h). 0 for one owed nothing.
[[nodiscard]] std::vector<double> shares_of_relevance(const std::vector<double>& relevance,
                                                      double quality_floor);

// The knobs with every 0 replaced by its default (schemas/event.capnp names them).
[[nodiscard]] fairness_knobs resolved(const fairness_knobs& k);
// True when every set knob is within its range (unset ones are).
[[nodiscard]] bool within_ranges(const fairness_knobs& k);

// An open offer that fits a request: of its category, by a helper other than the requester who
// is not suspended, with fit > 0.
struct fitting_offer {
    event_id offer;
    member_id helper;
    double relevance = 0;
};
// Every fitting offer of `request` in `c`, ordered by (helper, offer id). Looks at the open
// offers of the request's category only (community_state::queues).
[[nodiscard]] std::vector<fitting_offer> fitting_offers(const community_state& c,
                                                        const post_state& request);

// A request as its queue holds it (`id` may be zero for one that is not posted).
[[nodiscard]] queued_post queued_request(const community_state& c, const event_id& id,
                                         const post_state& request);

// Calls fn(bucket, i, relevance) for every fitting offer (the i-th of one of the category's
// buckets) of a request of category `what`, bucket by bucket (in no meaningful order): the scan
// behind fitting_offers(), for callers that count or collect without ranking.
template <typename Fn>
void for_each_fitting_offer(const community_state& c, category what, const queued_post& request,
                            Fn&& fn) {
    UURWERK_ASSERT(c.queues.kept(), "the match queues were not kept");
    c.queues.open(post_side::offer, what).for_each([&](const post_bucket& b, std::size_t i) {
        const member_id owner = b.owner(i);
        if (owner == request.owner || c.queues.suspended(owner)) return;
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
[[nodiscard]] best_offers best_fitting_offers(const community_state& c, category what,
                                              const queued_post& request, std::size_t limit);

// What a round for a request adds to each candidate's relevance_sum: their relevance's share of
// the total relevance of the candidates owed one (owed_relevance: within the quality floor,
// at the open-match cap or not), so every round hands out exactly one unit. Same order as
// `offers`; 0 for one that is owed nothing.
[[nodiscard]] std::vector<double> relevance_shares(const community_state& c,
                                                   const std::vector<fitting_offer>& offers);

}  // namespace uurwerk
