#pragma once
// The measures of the fairness benchmark (issue 5): how the proposals and matches a matcher
// handed out compare with what each helper could fairly expect. Pure: it is told what happened
// (offers and requests opening and closing, proposals, matches, hours) with the times, and
// computes the figures at the end. No I/O, no clock.
//
// Scarce and uneven demand makes raw figures unequal by themselves (a gardening offer in a quiet
// area cannot get what a companionship offer in a busy one gets), so each helper is measured
// against their *fair share*: the sum, over the requests that fit their offer and were open while
// it was, of 1 / (the number of offers that fit that request and were open while it was).
//   unfairness     the total-variation distance between the helpers' shares of new matches (or
//                  proposals) and their shares of fair share: 0 = exactly proportional, 1 = all
//                  of it went to helpers with no fair share at all.
//   unfairness by category   the same within each category (of the requests): the helpers'
//                  shares of that category's matches against their fair shares in it.
//   chance         the unfairness of the same number of matches drawn at random, each to a
//                  helper with probability proportional to fair share (overall, and within each
//                  category): what no layer can be blamed for, as matches are whole.
//   whole-match floor  the least unfairness any handing out of that many whole matches has
//                  (whole_match_unfairness): a bound, where chance is a lottery.
//   starvation (owed one)  of the offers whose fair share over their first `starvation_window`
//                  was at least 1, the share that received no proposal in that window.
//   starvation (all offers)  of the offers that fitted some request in their first
//                  `starvation_window` (and were posted at least `match_window` before the end),
//                  the share that got no accepted match in their first `match_window` while a
//                  request that fitted them went to another helper, while they were open, then.
//   starvation floor   the least that starvation over all offers could be with this run's
//                  matches handed to other helpers: the same offers (open when they were, and,
//                  where helpers give up, only until their patience ran out without a match:
//                  first_match_within), the same matches at the same times, each given to any
//                  offer that fitted its request or kept by its own offer (a maximum matching
//                  of offers to matches, caps ignored; never above the run). Above 5 %, no
//                  ranking of these helpers meets the goal in this town without more matches
//                  or longer-lived offers; it bounds reassignments of this run, not every
//                  layer (another layer changes when requests are met).
//   kept bound     where helpers give up (first_match_within), the most helpers still
//                  offering at the end under any handing out of this run's matches: a helper
//                  who gives up when a give-up check finds no open match and no match begun or
//                  ended for the patience (checks at most a day apart) is still offering at the
//                  end only if they posted in the last patience and a day, or a match of theirs
//                  ran at some moment of that time; each such match keeps at most one helper.
//                  So, per category of the offers (a match keeps only a helper of its
//                  request's category; every offer's category must be known, else one class):
//                  those late posters plus those matches, at most the category's helpers. Where
//                  it is under 1.5 x off's helpers kept, no layer keeps 1.5 x off with these
//                  matches.
//   time to match  from a request's posting to its first accepted match.
//   gini           of the matched hours over every helper who ever offered (0 = equal).
//
// Threading: none; a value that one thread fills and reads.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "ledger/core/event.h"

namespace uurwerk {

// What one category's requests gave (its matches, its fair shares).
struct category_figures {
    std::size_t requests = 0, matches = 0;
    double unfairness_matches = 0;
    double unfairness_matches_chance = 0;  // mean over chance_draws draws
    double unfairness_matches_floor = 0;   // whole_match_unfairness
};

inline constexpr std::size_t chance_draws = 20;  // draws averaged for a chance baseline

struct fair_share_figures {
    double unfairness_matches = 0;
    double unfairness_matches_chance = 0;  // mean over chance_draws draws
    double unfairness_matches_floor = 0;   // whole_match_unfairness
    double unfairness_proposals = 0;
    double starved_offers_share = 0;
    std::size_t starvation_candidates = 0;  // offers whose early fair share was >= 1
    double starved_all_offers_share = 0;
    std::size_t starvation_all_candidates = 0;  // offers that fitted a request early
    double starved_all_offers_floor = 0;        // the least share any reassignment reaches
    std::size_t helpers_offered = 0;            // helpers who ever had an offer open
    double proposals_per_match = 0;
    std::map<category, category_figures> by_category;  // categories with a request
    std::size_t helpers_active_at_end = 0;  // helpers with an offer still open at the end
    // The most helpers any handing out of this run's matches keeps (first_match_within set;
    // else helpers_offered): see "kept bound" above.
    std::size_t helpers_kept_bound = 0;
    double median_time_to_match_h = 0;
    double p90_time_to_match_h = 0;
    double requests_never_matched_share = 0;
    double matched_hours_total = 0;
    double gini_matched_hours = 0;
    std::size_t requests = 0, offers = 0, proposals = 0, matches = 0;
};

class fair_share_tracker {
public:
    // Whether an offer fits a request (the same test for every offer and request): the owner of
    // the tracker passes the matcher's notion of a fitting candidate.
    using fits_fn = std::function<bool(const event_id& request, const event_id& offer)>;

    explicit fair_share_tracker(
        fits_fn fits, std::chrono::milliseconds starvation_window = std::chrono::hours(14 * 24),
        std::chrono::milliseconds match_window = std::chrono::hours(30 * 24));

    // A wider fit for a request that no offer fits (by `fits`) while it is open: the offers it
    // is then shared among. The matcher's quality floor keeps a request to the offers of its
    // area while one is open, and proposes those of other areas when none is: without the wider
    // fit such a request gives nobody a fair share while its match still counts, so the layer
    // was charged for every match that no offer of the request's area could take (and the
    // chance baseline, which draws only among fair shares, was not).
    void widen_when_none_fits(fits_fn wider) { wider_ = std::move(wider); }

    // Helpers who hear of no match for `patience` after posting withdraw (the town's give-up,
    // when only a match counts as contact): the starvation floor then hands an offer only the
    // matches of its first `patience`. Without it the floor kept the windows of the run's matched
    // offers open for the whole match window, though unmatched they would have left as early as
    // the offers it served instead (1,000 members, 45 a day, 50 %, 14 days, seed 1: floor 1.7 %,
    // with the give-up 13.9 %, on 14.8 %).
    void first_match_within(std::chrono::milliseconds patience) { patience_ = patience; }

    // `what`, the offer's category, where known: the kept bound then lets a match keep only a
    // helper of its category.
    void offer_opened(const event_id& offer, member_id helper, time_ms at,
                      std::optional<category> what = std::nullopt);
    void offer_closed(const event_id& offer, time_ms at);
    void request_opened(const event_id& request, time_ms at, category what);
    // The request stops waiting for help (matched, or withdrawn); a later call is ignored.
    void request_closed(const event_id& request, time_ms at);
    void proposed(const event_id& request, member_id helper, time_ms at);
    // A new match (accepted): counts for fairness and for the request's time to match.
    void matched(const event_id& request, member_id helper, time_ms at);
    // That match ended (the kept bound needs to know which matches were still running).
    void match_ended(const event_id& request, member_id helper, time_ms at);
    void hours_given(member_id helper, minutes amount);

    // The figures, with every offer and request still open treated as open until `end`.
    [[nodiscard]] fair_share_figures figures(time_ms end) const;

    // Each helper's fair share over the whole run (for tests and reports).
    [[nodiscard]] std::map<member_id, double> fair_shares(time_ms end) const;
    // The same, counting only the requests of category `what`.
    [[nodiscard]] std::map<member_id, double> fair_shares(time_ms end, category what) const;

    // What each helper who ever offered received against their fair share (for reports).
    struct helper_figures {
        double fair_share = 0, proposals = 0, matches = 0, hours = 0;
        bool offering_at_end = false;
    };
    [[nodiscard]] std::map<member_id, helper_figures> per_helper(time_ms end) const;

private:
    struct interval {
        time_ms from;
        std::optional<time_ms> to;
    };
    struct offer_record {
        event_id id;
        member_id helper;
        interval open;
        std::vector<time_ms> proposals_at;
        std::vector<time_ms> matches_at;
        std::optional<category> what;
    };
    struct request_record {
        event_id id;
        interval open;
        category what;
        std::optional<time_ms> matched_at;
        member_id matched_helper;
    };
    // For every request (in the order of requests_), the offers that fit it and were open at
    // some moment while it was: computed once per figures() or fair_shares() call, as the one
    // pass over requests x offers (the costly part of the figures), and shared by every measure.
    using fit_table = std::vector<std::vector<const offer_record*>>;
    [[nodiscard]] fit_table fitting_offers(time_ms end) const;
    [[nodiscard]] std::map<member_id, double> fair_shares(const fit_table& fits,
                                                          std::optional<category> only) const;
    // The starvation floor's numerator: of `passed_over` (offers that fitted a request early and
    // saw a fitting request matched in their match window), how many no assignment of the run's
    // matches can give a match in that window.
    [[nodiscard]] std::size_t unservable(const fit_table& fits,
                                         const std::vector<const offer_record*>& passed_over,
                                         time_ms end) const;

    fits_fn fits_;
    fits_fn wider_;                                      // none: no wider fit
    std::optional<std::chrono::milliseconds> patience_;  // none: offers stay without a match
    std::chrono::milliseconds starvation_window_, match_window_;
    std::vector<offer_record> offers_;
    std::map<event_id, std::size_t> offer_index_;
    std::map<member_id, std::vector<std::size_t>> offers_of_;  // indexes into offers_
    std::vector<request_record> requests_;
    // Every accepted match (a request's first or a later one): the request's index, when, and
    // the helper it went to.
    struct match_event {
        std::size_t request;
        time_ms at;
        member_id helper;
        std::optional<time_ms> ended;
    };
    std::vector<match_event> match_events_;
    std::map<event_id, std::size_t> request_index_;
    std::map<member_id, double> proposals_, matches_, hours_;
    std::map<category, std::map<member_id, double>> matches_by_category_;
    std::size_t proposal_count_ = 0, match_count_ = 0;
};

// Total-variation distance between two distributions given as non-negative weights by key
// (each normalized to sum 1 first; a side that sums to 0 is treated as all-zero).
[[nodiscard]] double total_variation(const std::map<member_id, double>& a,
                                     const std::map<member_id, double>& b);

// `matches` matches drawn at random, each to a helper with probability proportional to their
// share (`shares`, non-negative, not all zero), from `rng`'s stream: the matches each received.
class sim_random;
[[nodiscard]] std::map<member_id, double> chance_matches(const std::map<member_id, double>& shares,
                                                         std::size_t matches, sim_random& rng);
// The mean unfairness (total variation against `shares`) of `draws` such draws, seeded by
// `seed`; 0 without matches or shares.
[[nodiscard]] double chance_unfairness(const std::map<member_id, double>& shares,
                                       std::size_t matches, std::size_t draws, std::uint64_t seed);

// The least unfairness (total variation against `shares`) that `matches` whole matches can have,
// however they are given: each helper's quota rounded down, the rest to the largest remainders
// (0 without matches or shares). No layer goes below it; where it is above a goal, that goal
// cannot be met with so few matches among so many helpers.
[[nodiscard]] double whole_match_unfairness(const std::map<member_id, double>& shares,
                                            std::size_t matches);

// Gini coefficient of non-negative values (0 when all are equal or there are none).
[[nodiscard]] double gini(std::vector<double> values);

// The q-quantile (0..1) of values, by the nearest-rank method; 0 for no values.
[[nodiscard]] double quantile(std::vector<double> values, double q);

}  // namespace uurwerk
