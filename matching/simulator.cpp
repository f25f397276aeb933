#include "matching/simulator.h"

#include <algorithm>
#include <cmath>

namespace uurwerk {
namespace {

constexpr std::int64_t hour_ms = 3'600'000;
constexpr std::int64_t day_ms = 24 * hour_ms;

std::vector<double> cumulative(const category_mix& w) {
    std::vector<double> out(w.size());
    double s = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
        UURWERK_ASSERT(w[i] >= 0, i, w[i]);
        out[i] = s += w[i];
    }
    UURWERK_ASSERT(s > 0);
    return out;
}

// A stream's seed: the run's seed mixed with the stream's number, so that streams of one seed
// are unrelated and a stream of seed s is not another's of seed s + 1.
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream) {
    sim_random mix(seed ^ (stream * 0xd1b54a32d192ed03ULL));
    mix.next();
    return mix.next();
}

// Companionship is a relationship ("regularly"); the rest is mostly a single job.
intensity intensity_of(category c, sim_random& rng) {
    if (c == category::companionship) return intensity::regularly;
    return rng.uniform() < 0.8 ? intensity::once : intensity::sometimes;
}

}  // namespace

category_mix with_share(const category_mix& mix, category c, double share) {
    UURWERK_ASSERT(share >= 0 && share <= 1, share);
    const auto i = static_cast<std::size_t>(c);
    double rest = 0;
    for (std::size_t k = 0; k < mix.size(); ++k)
        if (k != i) rest += mix[k];
    UURWERK_ASSERT(rest > 0 || share == 1, rest);
    category_mix out{};
    for (std::size_t k = 0; k < mix.size(); ++k)
        out[k] = k == i ? share : rest > 0 ? mix[k] / rest * (1 - share) : 0;
    return out;
}

std::uint64_t sim_random::next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double sim_random::uniform() {
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double sim_random::exponential(double mean) {
    return -mean * std::log(1.0 - uniform());
}

std::size_t sim_random::below(std::size_t n) {
    UURWERK_ASSERT(n > 0);
    return static_cast<std::size_t>(next() % n);
}

std::size_t sim_random::pick(const std::vector<double>& cdf) {
    UURWERK_ASSERT(!cdf.empty() && cdf.back() > 0);
    const double x = uniform() * cdf.back();
    auto it = std::upper_bound(cdf.begin(), cdf.end(), x);
    return std::min<std::size_t>(static_cast<std::size_t>(it - cdf.begin()), cdf.size() - 1);
}

simulator::simulator(const simulation_params& p)
    : params_(p),
      rng_{sim_random(stream_seed(p.seed, 1)), sim_random(stream_seed(p.seed, 2)),
           sim_random(stream_seed(p.seed, 3)), sim_random(stream_seed(p.seed, 4)),
           sim_random(stream_seed(p.seed, 5))} {
    UURWERK_ASSERT(p.members >= 10 && p.days > 0 && p.areas > 0, p.members, p.days, p.areas);
    UURWERK_ASSERT(p.helper_share > 0 && p.helper_share < 1, p.helper_share);
    UURWERK_ASSERT(p.gives_up_after_days > 0 && p.zipf_exponent >= 0, p.gives_up_after_days,
                   p.zipf_exponent);
    UURWERK_ASSERT(p.decline_all_share >= 0 && p.decline_all_share < 1, p.decline_all_share);
    request_category_cdf_ = cumulative(p.request_mix);
    const auto offer_cdf = cumulative(p.offer_mix);
    auto& rng = rng_.town;
    const std::size_t others = p.members - 1;
    const auto helpers = static_cast<std::size_t>(std::llround(p.helper_share * others));
    // Popularity: a Zipf weight over a random ranking of the helpers.
    std::vector<std::size_t> rank(helpers);
    for (std::size_t i = 0; i < helpers; ++i) rank[i] = i;
    for (std::size_t i = helpers; i > 1; --i) std::swap(rank[i - 1], rank[rng.below(i)]);
    members_.reserve(p.members);
    for (std::size_t i = 0; i < p.members; ++i) {
        sim_member m;
        m.id = member_id{i + 1};
        m.verified = i == 0 || rng.uniform() < p.verified_share;
        m.area = "area-" + std::to_string(1 + rng.below(p.areas));
        m.helper = i >= 1 && i <= helpers;
        if (m.helper) {
            m.offers = static_cast<category>(rng.pick(offer_cdf));
            m.offer_intensity = intensity_of(m.offers, rng);
            m.popularity = 1.0 / std::pow(static_cast<double>(rank[i - 1] + 1), p.zipf_exponent);
            const bool wave = rng.uniform() < p.signup_wave_share;
            const std::int64_t when =
                wave ? static_cast<std::int64_t>(rng.uniform() * 6 * hour_ms)
                     : static_cast<std::int64_t>(rng.uniform() * p.signup_days * day_ms);
            m.signs_up_at = time_ms{p.start_ms + when};
            helpers_[m.id] = helper_state{std::nullopt, m.signs_up_at, 0, 0, false};
            sim_action a =
                action(sim_action_kind::post_offer, m.signs_up_at, m.id, {}, id_kind::offer);
            a.what = m.offers;
            a.how_often = m.offer_intensity;
            a.area = m.area;
            helpers_[m.id].offer = a.id;
            plan(a);
            wake(time_ms{m.signs_up_at.value + p.gives_up_after_days * day_ms},
                 wakeup::what::give_up_check, {}, m.id);
        } else if (i > 0) {
            requesters_.push_back(m.id);
        }
        members_.push_back(std::move(m));
    }
    UURWERK_ASSERT(!requesters_.empty() && helpers > 0, helpers, requesters_.size());
    wake(start(), wakeup::what::next_request);
}

time_ms simulator::end() const {
    return time_ms{params_.start_ms + params_.days * day_ms};
}

event_id simulator::next_id(id_kind kind) {
    // Distinct per seed and action: the seed's bytes, the kind and its counter.
    event_id id;
    const auto k = static_cast<std::size_t>(kind);
    const std::uint64_t n = (static_cast<std::uint64_t>(k) << 56) | ++ids_[k];
    for (int i = 0; i < 8; ++i) {
        id.b[i] = static_cast<std::uint8_t>(params_.seed >> (8 * i));
        id.b[8 + i] = static_cast<std::uint8_t>(n >> (8 * i));
    }
    id.b[7] ^= 0x5a;  // never all zero
    return id;
}

sim_action simulator::action(sim_action_kind kind, time_ms at, member_id actor,
                             const event_id& subject, id_kind ids) {
    sim_action a;
    a.kind = kind;
    a.at = at;
    a.actor = actor;
    a.id = next_id(ids);
    a.subject = subject;
    return a;
}

void simulator::plan(sim_action a) {
    const time_ms at = a.at;
    actions_.push(planned{at, order_++, std::move(a)});
}

void simulator::wake(time_ms at, wakeup::what kind, const event_id& request, member_id helper) {
    wakeups_.push(wakeup{at, order_++, kind, request, helper});
}

std::vector<sim_action> simulator::advance(time_ms to) {
    std::vector<sim_action> out;
    for (;;) {
        const bool has_wake = !wakeups_.empty() && wakeups_.top().at.value <= to.value;
        const bool has_action = !actions_.empty() && actions_.top().at.value <= to.value;
        if (!has_wake && !has_action) break;
        if (has_wake && (!has_action || !(wakeups_.top().at.value > actions_.top().at.value))) {
            const wakeup w = wakeups_.top();
            wakeups_.pop();
            switch (w.kind) {
                case wakeup::what::answer:
                    answer(w.request, w.at);
                    break;
                case wakeup::what::give_up_check:
                    check_give_up(w.helper, w.at);
                    break;
                case wakeup::what::next_request:
                    post_request(w.at);
                    break;
            }
            continue;
        }
        sim_action a = actions_.top().action;
        actions_.pop();
        if (a.kind == sim_action_kind::end_match) {
            auto& h = helpers_.at(matches_.at(a.subject).helper);
            UURWERK_ASSERT(h.open_matches > 0, a.subject.hex());
            --h.open_matches;
            ++h.completed;
            h.last_heard = a.at;  // a helper who just helped has not been forgotten
        }
        out.push_back(std::move(a));
    }
    return out;
}

void simulator::post_request(time_ms now) {
    if (now.value >= end().value) return;
    auto& rng = rng_.arrivals;
    const member_id who = requesters_[rng.below(requesters_.size())];
    const auto& m = members_[who.value - 1];
    sim_action a = action(sim_action_kind::post_request, now, who, {}, id_kind::request);
    a.what = static_cast<category>(rng.pick(request_category_cdf_));
    a.how_often = intensity_of(a.what, rng);
    a.area = m.area;
    requests_[a.id] = open_request{who, a.what, a.how_often, {}, false, false};
    plan(a);
    const double per_day = params_.requests_per_helper_day * static_cast<double>(helpers_.size());
    const auto gap = static_cast<std::int64_t>(rng.exponential(day_ms / per_day));
    wake(time_ms{now.value + std::max<std::int64_t>(1, gap)}, wakeup::what::next_request);
}

void simulator::on_proposed(const event_id& match, const event_id& request, const event_id&,
                            member_id helper, time_ms at) {
    auto h = helpers_.find(helper);
    UURWERK_ASSERT(h != helpers_.end(), helper.value);
    if (params_.contact == retention_contact::proposal) h->second.last_heard = at;
    auto r = requests_.find(request);
    UURWERK_ASSERT(r != requests_.end(), request.hex());
    matches_[match] = match_info{request, r->second.requester, helper, r->second.how_often};
    // A proposal for a request already met (the matcher had not yet seen the accept) is
    // declined with the next answer.
    r->second.proposals.emplace_back(match, helper);
    if (!r->second.answer_planned) {
        r->second.answer_planned = true;
        const auto delay =
            hour_ms * static_cast<std::int64_t>(1 + rng_.answers.below(static_cast<std::size_t>(
                                                        std::max(1, params_.answer_hours_max))));
        wake(time_ms{at.value + delay}, wakeup::what::answer, request);
    }
}

void simulator::answer(const event_id& request, time_ms now) {
    auto& r = requests_.at(request);
    r.answer_planned = false;
    if (r.proposals.empty()) return;
    auto decide = [&](sim_action_kind kind, const event_id& match) {
        plan(action(kind, now, r.requester, match));
    };
    // A request already met declines whatever still arrives for it.
    std::optional<std::size_t> chosen;
    if (!r.closed && rng_.answers.uniform() >= params_.decline_all_share) {
        std::vector<double> cdf;
        double s = 0;
        for (const auto& [match, helper] : r.proposals) {
            const auto& h = helpers_.at(helper);
            s += members_[helper.value - 1].popularity *
                 std::pow(1.0 + h.completed, params_.record_preference);
            cdf.push_back(s);
        }
        chosen = rng_.choices.pick(cdf);
    }
    for (std::size_t i = 0; i < r.proposals.size(); ++i) {
        const auto& [match, helper] = r.proposals[i];
        if (chosen && *chosen == i) {
            decide(sim_action_kind::accept, match);
            r.closed = true;  // until the ledger says otherwise (on_verdict)
            ++helpers_.at(helper).open_matches;
        } else {
            decide(sim_action_kind::decline, match);
        }
    }
    r.proposals.clear();
}

void simulator::finish_match(const event_id& match, time_ms began) {
    const auto& m = matches_.at(match);
    // Begun in the run's last hours: no help falls within the run.
    if (began.value > settles_at().value) return;
    std::int64_t sessions = 1;
    if (m.how_often == intensity::regularly) {
        // Weekly meetings for a geometric number of weeks.
        const double p = 1.0 / std::max(1.0, params_.relationship_weeks_mean);
        while (rng_.relationships.uniform() >= p && sessions < 52) ++sessions;
    } else if (m.how_often == intensity::sometimes) {
        sessions = 1 + static_cast<std::int64_t>(rng_.relationships.below(3));
    }
    const std::int64_t minutes_each =
        60 + 15 * static_cast<std::int64_t>(rng_.relationships.below(5));
    std::int64_t until = began.value + (sessions - 1) * 7 * day_ms + 2 * hour_ms;
    const std::int64_t last = settles_at().value;
    if (until > last) {
        // The relationship runs past the end: claim what was given by then.
        sessions = std::max<std::int64_t>(1, (last - began.value) / (7 * day_ms) + 1);
        until = std::max(began.value + hour_ms, last);
    }
    std::int64_t total = sessions * minutes_each;
    std::int64_t at = until;
    constexpr std::int64_t claim_minutes_max = 24 * 60;  // the default policy's largest claim
    while (total > 0) {
        const std::int64_t amount = std::min(total, claim_minutes_max);
        total -= amount;
        sim_action c = action(sim_action_kind::claim, time_ms{at}, m.helper, match);
        c.other = m.requester;
        c.amount = minutes{amount};
        const event_id claim = c.id;
        plan(c);
        sim_action k =
            action(sim_action_kind::confirm, time_ms{at + hour_ms / 2}, m.requester, claim);
        plan(k);
        at += 1;
    }
    sim_action e = action(sim_action_kind::end_match, time_ms{at + hour_ms}, m.requester, match);
    plan(e);
}

void simulator::check_give_up(member_id helper, time_ms now) {
    auto& h = helpers_.at(helper);
    if (h.gave_up || !h.offer) return;
    const std::int64_t patience = params_.gives_up_after_days * day_ms;
    if (h.open_matches == 0 && now.value - h.last_heard.value >= patience) {
        sim_action a = action(sim_action_kind::withdraw_offer, now, helper, *h.offer);
        plan(a);
        h.offer.reset();
        h.gave_up = true;
        return;
    }
    wake(time_ms{std::max(now.value + day_ms, h.last_heard.value + patience)},
         wakeup::what::give_up_check, {}, helper);
}

void simulator::on_verdict(const sim_action& a, sim_outcome outcome) {
    if (a.kind == sim_action_kind::accept) {
        const auto& m = matches_.at(a.subject);
        if (outcome == sim_outcome::accepted) {
            // A match that begins is news the helper hears, whatever counts as contact.
            auto& h = helpers_.at(m.helper);
            h.last_heard = std::max(h.last_heard, a.at,
                                    [](time_ms x, time_ms y) { return x.value < y.value; });
            // Met: the requester closes the request, and the relationship runs its course.
            sim_action w = action(sim_action_kind::withdraw_request, a.at, a.actor, m.request);
            plan(w);
            finish_match(a.subject, a.at);
            return;
        }
        // The match could not begin (its helper is at the cap, say): the request waits on.
        requests_.at(m.request).closed = false;
        auto& h = helpers_.at(m.helper);
        UURWERK_ASSERT(h.open_matches > 0, a.subject.hex());
        --h.open_matches;
        return;
    }
    if (a.kind == sim_action_kind::post_offer && outcome == sim_outcome::rejected)
        helpers_.at(a.actor).offer.reset();
}

}  // namespace uurwerk
