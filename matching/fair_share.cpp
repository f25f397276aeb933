#include "matching/fair_share.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "matching/simulator.h"

namespace uurwerk {

double total_variation(const std::map<member_id, double>& a, const std::map<member_id, double>& b) {
    auto sum = [](const std::map<member_id, double>& m) {
        double s = 0;
        for (const auto& [k, v] : m) {
            UURWERK_ASSERT(v >= 0, k.value, v);
            s += v;
        }
        return s;
    };
    const double sa = sum(a), sb = sum(b);
    std::set<member_id> keys;
    for (const auto& [k, v] : a) keys.insert(k);
    for (const auto& [k, v] : b) keys.insert(k);
    double d = 0;
    for (const auto& k : keys) {
        auto ia = a.find(k);
        auto ib = b.find(k);
        const double pa = sa > 0 && ia != a.end() ? ia->second / sa : 0;
        const double pb = sb > 0 && ib != b.end() ? ib->second / sb : 0;
        d += std::abs(pa - pb);
    }
    return d / 2;
}

std::map<member_id, double> chance_matches(const std::map<member_id, double>& shares,
                                           std::size_t matches, sim_random& rng) {
    std::vector<member_id> who;
    std::vector<double> cdf;
    double s = 0;
    for (const auto& [h, share] : shares) {
        UURWERK_ASSERT(share >= 0, h.value, share);
        if (share <= 0) continue;
        who.push_back(h);
        cdf.push_back(s += share);
    }
    std::map<member_id, double> got;
    if (who.empty()) return got;
    for (std::size_t i = 0; i < matches; ++i) got[who[rng.pick(cdf)]] += 1;
    return got;
}

double chance_unfairness(const std::map<member_id, double>& shares, std::size_t matches,
                         std::size_t draws, std::uint64_t seed) {
    double total = 0;
    for (const auto& [h, share] : shares) total += share;
    if (matches == 0 || draws == 0 || !(total > 0)) return 0;
    sim_random rng(seed);
    double sum = 0;
    for (std::size_t d = 0; d < draws; ++d)
        sum += total_variation(chance_matches(shares, matches, rng), shares);
    return sum / static_cast<double>(draws);
}

double whole_match_unfairness(const std::map<member_id, double>& shares, std::size_t matches) {
    double total = 0;
    for (const auto& [h, share] : shares) total += share;
    if (matches == 0 || !(total > 0)) return 0;
    // Largest remainders: each helper gets the whole part of their quota, and the matches left
    // go to the largest fractional parts (each such match cuts that helper's distance from f to
    // 1 - f, so the largest f gain the most); no other whole allocation is closer in L1.
    const double m = static_cast<double>(matches);
    std::vector<double> fractions;
    double distance = 0, given = 0;
    for (const auto& [h, share] : shares) {
        const double quota = m * share / total;
        const double whole = std::floor(quota);
        given += whole;
        fractions.push_back(quota - whole);
        distance += quota - whole;
    }
    std::sort(fractions.begin(), fractions.end(), std::greater<>());
    const auto left = static_cast<std::size_t>(std::llround(m - given));
    for (std::size_t i = 0; i < left && i < fractions.size(); ++i)
        distance += (1 - fractions[i]) - fractions[i];
    return distance / (2 * m);
}

double gini(std::vector<double> values) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const double n = static_cast<double>(values.size());
    double total = 0, weighted = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        UURWERK_ASSERT(values[i] >= 0, i, values[i]);
        total += values[i];
        weighted += static_cast<double>(i + 1) * values[i];
    }
    if (total <= 0) return 0;
    // G = (2 * sum(i * x_i) / (n * sum(x))) - (n + 1) / n, with x sorted ascending, i from 1.
    return 2 * weighted / (n * total) - (n + 1) / n;
}

double quantile(std::vector<double> values, double q) {
    UURWERK_ASSERT(q >= 0 && q <= 1, q);
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

fair_share_tracker::fair_share_tracker(fits_fn fits, std::chrono::milliseconds starvation_window,
                                       std::chrono::milliseconds match_window)
    : fits_(std::move(fits)), starvation_window_(starvation_window), match_window_(match_window) {
    UURWERK_ASSERT(static_cast<bool>(fits_));
    UURWERK_ASSERT(starvation_window_ <= match_window_, starvation_window_.count(),
                   match_window_.count());
}

void fair_share_tracker::offer_opened(const event_id& offer, member_id helper, time_ms at,
                                      std::optional<category> what) {
    UURWERK_ASSERT(!offer_index_.contains(offer), offer.hex());
    offer_index_[offer] = offers_.size();
    offers_of_[helper].push_back(offers_.size());
    offers_.push_back({offer, helper, {at, std::nullopt}, {}, {}, what});
}

void fair_share_tracker::offer_closed(const event_id& offer, time_ms at) {
    auto it = offer_index_.find(offer);
    UURWERK_ASSERT(it != offer_index_.end(), offer.hex());
    auto& o = offers_[it->second];
    if (!o.open.to) o.open.to = at;
}

void fair_share_tracker::request_opened(const event_id& request, time_ms at, category what) {
    UURWERK_ASSERT(!request_index_.contains(request), request.hex());
    request_index_[request] = requests_.size();
    requests_.push_back({request, {at, std::nullopt}, what, std::nullopt, member_id{}});
}

void fair_share_tracker::request_closed(const event_id& request, time_ms at) {
    auto it = request_index_.find(request);
    UURWERK_ASSERT(it != request_index_.end(), request.hex());
    auto& r = requests_[it->second];
    if (!r.open.to) r.open.to = at;
}

void fair_share_tracker::proposed(const event_id& request, member_id helper, time_ms at) {
    UURWERK_ASSERT(request_index_.contains(request), request.hex());
    proposals_[helper] += 1;
    ++proposal_count_;
    // Starvation looks at the helper's offers that were open then.
    if (auto mine = offers_of_.find(helper); mine != offers_of_.end())
        for (std::size_t i : mine->second) {
            auto& o = offers_[i];
            if (o.open.from <= at && (!o.open.to || at <= *o.open.to)) o.proposals_at.push_back(at);
        }
}

void fair_share_tracker::matched(const event_id& request, member_id helper, time_ms at) {
    auto it = request_index_.find(request);
    UURWERK_ASSERT(it != request_index_.end(), request.hex());
    auto& r = requests_[it->second];
    if (!r.matched_at) {
        r.matched_at = at;
        r.matched_helper = helper;
    }
    match_events_.push_back({it->second, at, helper, std::nullopt});
    matches_[helper] += 1;
    matches_by_category_[r.what][helper] += 1;
    ++match_count_;
    if (auto mine = offers_of_.find(helper); mine != offers_of_.end())
        for (std::size_t i : mine->second) {
            auto& o = offers_[i];
            if (o.open.from <= at && (!o.open.to || at <= *o.open.to)) o.matches_at.push_back(at);
        }
}

void fair_share_tracker::match_ended(const event_id& request, member_id helper, time_ms at) {
    auto it = request_index_.find(request);
    UURWERK_ASSERT(it != request_index_.end(), request.hex());
    // The latest match of this request and helper still running.
    for (auto m = match_events_.rbegin(); m != match_events_.rend(); ++m)
        if (m->request == it->second && m->helper == helper && !m->ended) {
            m->ended = at;
            return;
        }
    UURWERK_ASSERT(false, "an end of no running match", request.hex(), helper.value);
}

void fair_share_tracker::hours_given(member_id helper, minutes amount) {
    UURWERK_ASSERT(amount.value > 0, helper.value, amount.value);
    hours_[helper] += static_cast<double>(amount.value) / 60.0;
}

fair_share_tracker::fit_table fair_share_tracker::fitting_offers(time_ms end) const {
    // The offers by opening time, so that each request looks only at those opened by its end.
    std::vector<const offer_record*> by_open;
    by_open.reserve(offers_.size());
    for (const auto& o : offers_) by_open.push_back(&o);
    std::stable_sort(by_open.begin(), by_open.end(),
                     [](const offer_record* a, const offer_record* b) {
                         return a->open.from.value < b->open.from.value;
                     });
    fit_table table(requests_.size());
    for (std::size_t i = 0; i < requests_.size(); ++i) {
        const auto& r = requests_[i];
        const time_ms r_to = r.open.to.value_or(end);
        auto& fitting = table[i];
        auto collect = [&](const fits_fn& fit) {
            for (const auto* o : by_open) {
                if (o->open.from.value > r_to.value) break;
                const time_ms o_to = o->open.to.value_or(end);
                // Open at the same time at some moment (a request matched the moment it was
                // posted still counts the offers open then).
                if (r.open.from.value <= o_to.value && fit(r.id, o->id)) fitting.push_back(o);
            }
        };
        collect(fits_);
        if (fitting.empty() && wider_) collect(wider_);
        // In the order of offers_ (their order of opening in the tracker), as before sorting.
        std::sort(fitting.begin(), fitting.end());
    }
    return table;
}

std::map<member_id, double> fair_share_tracker::fair_shares(const fit_table& fits,
                                                            std::optional<category> only) const {
    std::map<member_id, double> share;
    if (!only)
        for (const auto& o : offers_) share[o.helper] += 0;
    for (std::size_t i = 0; i < requests_.size(); ++i) {
        if (only && requests_[i].what != *only) continue;
        for (const auto* o : fits[i]) share[o->helper] += 1.0 / static_cast<double>(fits[i].size());
    }
    return share;
}

std::map<member_id, double> fair_share_tracker::fair_shares(time_ms end) const {
    return fair_shares(fitting_offers(end), std::nullopt);
}

std::map<member_id, double> fair_share_tracker::fair_shares(time_ms end, category what) const {
    return fair_shares(fitting_offers(end), what);
}

std::map<member_id, fair_share_tracker::helper_figures> fair_share_tracker::per_helper(
    time_ms end) const {
    std::map<member_id, helper_figures> out;
    for (const auto& [helper, share] : fair_shares(end)) out[helper].fair_share = share;
    for (const auto& [helper, n] : proposals_) out[helper].proposals = n;
    for (const auto& [helper, n] : matches_) out[helper].matches = n;
    for (const auto& [helper, h] : hours_) out[helper].hours = h;
    for (const auto& o : offers_)
        if (!o.open.to || o.open.to->value >= end.value) out[o.helper].offering_at_end = true;
    return out;
}

std::size_t fair_share_tracker::unservable(const fit_table& fits,
                                           const std::vector<const offer_record*>& passed_over,
                                           time_ms end) const {
    // A bipartite maximum matching of the passed-over offers to the run's match events: an event
    // may go to an offer that fitted its request and was open, within its match window, then;
    // and each offer may keep its own matches of that window (whatever the fit said of them:
    // the matcher may propose an offer the measures' fit leaves out), so that the run's own
    // handing out is one of those the floor considers and the floor is never above the run.
    std::map<const offer_record*, std::size_t> index;
    for (std::size_t k = 0; k < passed_over.size(); ++k) index[passed_over[k]] = k;
    // An offer with no match for the helpers' patience has gone, whoever else was matched.
    const auto window = std::min(match_window_, patience_.value_or(match_window_));
    auto window_end = [&](const offer_record* o) {
        return std::min(o->open.from.value + window.count(), o->open.to.value_or(end).value);
    };
    std::vector<std::size_t> events(match_events_.size());
    std::iota(events.begin(), events.end(), std::size_t{0});
    std::stable_sort(events.begin(), events.end(), [&](std::size_t a, std::size_t b) {
        return match_events_[a].at.value < match_events_[b].at.value;
    });
    std::vector<std::vector<std::size_t>> events_of(passed_over.size());  // by offer
    std::vector<std::vector<std::size_t>> offers_of(match_events_.size());
    auto edge = [&](std::size_t e, std::size_t k) {
        if (std::find(offers_of[e].begin(), offers_of[e].end(), k) != offers_of[e].end()) return;
        events_of[k].push_back(e);
        offers_of[e].push_back(k);
    };
    for (std::size_t e : events) {
        const auto& m = match_events_[e];
        for (const auto* o : fits[m.request]) {
            auto k = index.find(o);
            if (k == index.end() || m.at.value < o->open.from.value || m.at.value > window_end(o))
                continue;
            edge(e, k->second);
        }
        // The offer's own match (matches_at: while it was open), within the same window.
        if (auto mine = offers_of_.find(m.helper); mine != offers_of_.end())
            for (std::size_t i : mine->second) {
                const auto& o = offers_[i];
                auto k = index.find(&o);
                if (k != index.end() && m.at.value <= window_end(&o) &&
                    std::find(o.matches_at.begin(), o.matches_at.end(), m.at) != o.matches_at.end())
                    edge(e, k->second);
            }
    }
    constexpr std::size_t none = static_cast<std::size_t>(-1);
    std::vector<std::size_t> event_of(passed_over.size(), none),
        offer_of(match_events_.size(), none);
    // First in time order, each event to the waiting offer whose window ends first (optimal
    // when fitting is by class, as the benchmark's category and area are); then augmenting paths
    // for any the greedy pass left (needed only for other notions of fit).
    for (std::size_t e : events) {
        std::size_t best = none;
        for (std::size_t k : offers_of[e])
            if (event_of[k] == none &&
                (best == none || window_end(passed_over[k]) < window_end(passed_over[best])))
                best = k;
        if (best != none) {
            event_of[best] = e;
            offer_of[e] = best;
        }
    }
    // Kuhn's augmenting paths, iteratively; an offer from which no path was found stays marked
    // until the matching changes (a failed search fails again on the same matching).
    std::vector<char> seen(passed_over.size(), 0);
    auto augment = [&](std::size_t root) {
        struct frame {
            std::size_t offer, next;
        };
        std::vector<frame> stack{{root, 0}};
        seen[root] = 1;
        while (!stack.empty()) {
            auto& top = stack.back();
            if (top.next == events_of[top.offer].size()) {
                stack.pop_back();
                continue;
            }
            const std::size_t e = events_of[top.offer][top.next++];
            const std::size_t holder = offer_of[e];
            if (holder == none) {
                // Found: shift every event along the path.
                std::size_t free_event = e;
                for (auto f = stack.rbegin(); f != stack.rend(); ++f) {
                    const std::size_t previous = event_of[f->offer];
                    event_of[f->offer] = free_event;
                    offer_of[free_event] = f->offer;
                    free_event = previous;
                }
                return true;
            }
            if (!seen[holder]) {
                seen[holder] = 1;
                stack.push_back({holder, 0});
            }
        }
        return false;
    };
    for (std::size_t k = 0; k < passed_over.size(); ++k)
        if (event_of[k] == none && augment(k)) std::fill(seen.begin(), seen.end(), 0);
    return static_cast<std::size_t>(std::count(event_of.begin(), event_of.end(), none));
}

fair_share_figures fair_share_tracker::figures(time_ms end) const {
    fair_share_figures f;
    f.requests = requests_.size();
    f.offers = offers_.size();
    f.proposals = proposal_count_;
    f.matches = match_count_;

    f.proposals_per_match =
        match_count_ ? static_cast<double>(proposal_count_) / static_cast<double>(match_count_) : 0;
    const auto fits = fitting_offers(end);  // the one pass over requests x offers
    const auto shares = fair_shares(fits, std::nullopt);
    f.unfairness_matches = total_variation(matches_, shares);
    f.unfairness_matches_chance = chance_unfairness(shares, match_count_, chance_draws, 1);
    f.unfairness_matches_floor = whole_match_unfairness(shares, match_count_);
    f.unfairness_proposals = total_variation(proposals_, shares);
    for (const auto& r : requests_) ++f.by_category[r.what].requests;
    for (auto& [what, c] : f.by_category) {
        const auto in = fair_shares(fits, what);
        static const std::map<member_id, double> none;
        auto m = matches_by_category_.find(what);
        const auto& got = m == matches_by_category_.end() ? none : m->second;
        for (const auto& [h, n] : got) c.matches += static_cast<std::size_t>(n);
        c.unfairness_matches = total_variation(got, in);
        c.unfairness_matches_chance =
            chance_unfairness(in, c.matches, chance_draws, 1 + static_cast<std::uint64_t>(what));
        c.unfairness_matches_floor = whole_match_unfairness(in, c.matches);
    }

    // Starvation over all offers: old enough to have had their match window in the run, fitted
    // a request early, got no match in the window while a fitting request went to another.
    std::map<const offer_record*, bool> fitted_early, others_matched;
    for (std::size_t i = 0; i < requests_.size(); ++i) {
        const auto& r = requests_[i];
        const time_ms r_to = r.open.to.value_or(end);
        for (const auto* o : fits[i]) {
            if (o->open.from.value + match_window_.count() > end.value) continue;
            const std::int64_t o_to = o->open.to.value_or(end).value;
            const std::int64_t fit_end =
                std::min(o->open.from.value + starvation_window_.count(), o_to);
            if (r.open.from.value <= fit_end && o->open.from.value <= r_to.value)
                fitted_early[o] = true;
            const std::int64_t match_end =
                std::min(o->open.from.value + match_window_.count(), o_to);
            if (r.matched_at && r.matched_helper != o->helper &&
                r.matched_at->value >= o->open.from.value && r.matched_at->value <= match_end)
                others_matched[o] = true;
        }
    }
    std::size_t starved_all = 0;
    for (const auto& [o, yes] : fitted_early) {
        ++f.starvation_all_candidates;
        const std::int64_t match_end = o->open.from.value + match_window_.count();
        const bool matched = std::any_of(o->matches_at.begin(), o->matches_at.end(),
                                         [&](time_ms t) { return t.value <= match_end; });
        if (!matched && others_matched.contains(o)) ++starved_all;
    }
    f.starved_all_offers_share =
        f.starvation_all_candidates
            ? static_cast<double>(starved_all) / static_cast<double>(f.starvation_all_candidates)
            : 0;
    // The floor: the candidates that saw a fitting request's first match in their window, went
    // to whomever it went (`others_matched`, or their own match).
    std::vector<const offer_record*> passed_over;
    for (const auto& [o, yes] : fitted_early) {
        const std::int64_t match_end = o->open.from.value + match_window_.count();
        const bool matched = std::any_of(o->matches_at.begin(), o->matches_at.end(),
                                         [&](time_ms t) { return t.value <= match_end; });
        if (matched || others_matched.contains(o)) passed_over.push_back(o);
    }
    f.starved_all_offers_floor = f.starvation_all_candidates
                                     ? static_cast<double>(unservable(fits, passed_over, end)) /
                                           static_cast<double>(f.starvation_all_candidates)
                                     : 0;

    // Each offer's fair share over its first window: the requests that fit it and were open
    // during that window, each divided among all the offers that fit it.
    std::map<const offer_record*, double> early;
    for (std::size_t i = 0; i < requests_.size(); ++i) {
        const auto& r = requests_[i];
        const time_ms r_to = r.open.to.value_or(end);
        for (const auto* o : fits[i]) {
            const std::int64_t window_end = o->open.from.value + starvation_window_.count();
            if (r.open.from.value <= window_end && o->open.from.value <= r_to.value)
                early[o] += 1.0 / static_cast<double>(fits[i].size());
        }
    }
    std::size_t starved = 0;
    for (const auto& [o, share] : early) {
        if (share < 1.0) continue;
        ++f.starvation_candidates;
        const std::int64_t window_end = o->open.from.value + starvation_window_.count();
        const bool heard = std::any_of(o->proposals_at.begin(), o->proposals_at.end(),
                                       [&](time_ms t) { return t.value <= window_end; });
        if (!heard) ++starved;
    }
    f.starved_offers_share =
        f.starvation_candidates
            ? static_cast<double>(starved) / static_cast<double>(f.starvation_candidates)
            : 0;

    std::set<member_id> offered;
    for (const auto& o : offers_) offered.insert(o.helper);
    f.helpers_offered = offered.size();
    std::set<member_id> active;
    for (const auto& o : offers_)
        if (!o.open.to || o.open.to->value >= end.value) active.insert(o.helper);
    f.helpers_active_at_end = active.size();
    f.helpers_kept_bound = f.helpers_offered;
    if (patience_) {
        // Still offering at the end: posted within the last patience and a day (not yet
        // checked, or checked once a day too early), or kept by a match running then.
        const std::int64_t since = end.value - patience_->count() - 24 * 3'600'000;
        // By category where every offer's is known (one class otherwise): each helper in the
        // class of their first offer, with when they first posted.
        const bool by_category = std::all_of(offers_.begin(), offers_.end(),
                                             [](const offer_record& o) { return o.what; });
        auto class_of = [&](std::optional<category> what) {
            return by_category ? static_cast<int>(*what) : -1;
        };
        std::map<member_id, std::pair<int, std::int64_t>> first_posted;
        for (const auto& o : offers_) {
            auto [it, fresh] =
                first_posted.emplace(o.helper, std::pair{class_of(o.what), o.open.from.value});
            if (!fresh && o.open.from.value < it->second.second)
                it->second = {class_of(o.what), o.open.from.value};
        }
        struct class_count {
            std::size_t helpers = 0, keepable = 0;
        };
        std::map<int, class_count> classes;
        for (const auto& [helper, first] : first_posted) {
            auto& k = classes[first.first];
            ++k.helpers;
            if (first.second >= since) ++k.keepable;
        }
        for (const auto& m : match_events_)
            if (m.at.value <= end.value && (!m.ended || m.ended->value >= since))
                ++classes[class_of(requests_[m.request].what)].keepable;
        std::size_t bound = 0;
        for (const auto& [k, c] : classes) bound += std::min(c.keepable, c.helpers);
        f.helpers_kept_bound = std::min(bound, f.helpers_offered);
    }

    std::vector<double> waits_h;
    std::size_t never = 0;
    for (const auto& r : requests_) {
        if (r.matched_at)
            waits_h.push_back(static_cast<double>(r.matched_at->value - r.open.from.value) /
                              3'600'000.0);
        else
            ++never;
    }
    f.median_time_to_match_h = quantile(waits_h, 0.5);
    f.p90_time_to_match_h = quantile(waits_h, 0.9);
    f.requests_never_matched_share =
        requests_.empty() ? 0 : static_cast<double>(never) / static_cast<double>(requests_.size());

    std::vector<double> hours;
    std::set<member_id> helpers;
    for (const auto& o : offers_) helpers.insert(o.helper);
    for (const auto& h : helpers) {
        auto it = hours_.find(h);
        hours.push_back(it == hours_.end() ? 0 : it->second);
    }
    f.matched_hours_total = std::accumulate(hours.begin(), hours.end(), 0.0);
    f.gini_matched_hours = gini(hours);
    return f;
}

}  // namespace uurwerk
