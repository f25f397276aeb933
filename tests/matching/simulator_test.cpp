// The community simulator (matching/simulator.h): the same seed gives the same community and
// the same actions; offers far outnumber requests, companionship is most of what is asked; a
// helper who hears nothing gives up after the set weeks; a requester answers every proposal,
// a match that begins is followed by claimed and confirmed hours and its end, and a rejected
// accept is taken back so the request waits on.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "matching/simulator.h"

using namespace uurwerk;

namespace {

constexpr std::int64_t day_ms = 24 * 3'600'000;

simulation_params small(std::uint64_t seed) {
    simulation_params p;
    p.seed = seed;
    p.members = 400;
    p.days = 60;
    p.signup_days = 30;  // every helper has offered by the middle of the run
    return p;
}

// A toy matcher for the model's sake: every hour, each open request is proposed the first
// open offer of its category and area not proposed to it yet. Every action is accepted by the
// "ledger" except accepts in `refuse_accepts`.
struct toy_world {
    simulator sim;
    std::vector<sim_action> log;
    std::map<event_id, sim_action> open_offers, open_requests;
    std::map<event_id, std::set<event_id>> proposed;  // request -> offers proposed
    std::map<event_id, event_id> request_of;          // match -> request
    std::set<event_id> refuse_accepts;
    bool last_offer_first = false;  // another matcher: the last fitting offer, not the first
    std::uint64_t match_no = 0;

    explicit toy_world(const simulation_params& p) : sim(p) {}

    void run() {
        for (std::int64_t t = sim.start().value; t <= sim.end().value; t += 3'600'000) {
            for (auto& a : sim.advance(time_ms{t})) {
                const bool refused =
                    a.kind == sim_action_kind::accept && refuse_accepts.contains(a.subject);
                if (a.kind == sim_action_kind::post_offer) open_offers[a.id] = a;
                if (a.kind == sim_action_kind::post_request) open_requests[a.id] = a;
                if (a.kind == sim_action_kind::withdraw_offer) open_offers.erase(a.subject);
                if (a.kind == sim_action_kind::accept && !refused)
                    open_requests.erase(request_of.at(a.subject));
                log.push_back(a);
                sim.on_verdict(a, refused ? sim_outcome::rejected : sim_outcome::accepted);
            }
            for (auto& [rid, r] : open_requests) {
                std::vector<const sim_action*> offers;
                for (auto& [oid, o] : open_offers) offers.push_back(&o);
                if (last_offer_first) std::reverse(offers.begin(), offers.end());
                for (const auto* op : offers) {
                    const auto& o = *op;
                    const auto& oid = o.id;
                    if (o.what == r.what && o.area == r.area && !proposed[rid].contains(oid)) {
                        proposed[rid].insert(oid);
                        event_id match;
                        ++match_no;
                        std::memcpy(match.b.data(), &match_no, sizeof match_no);
                        match.b[15] = 0xee;
                        request_of[match] = rid;
                        sim.on_proposed(match, rid, oid, o.actor, time_ms{t});
                        break;
                    }
                }
            }
        }
    }
    std::vector<sim_action> of_kind(sim_action_kind k) const {
        std::vector<sim_action> out;
        for (const auto& a : log)
            if (a.kind == k) out.push_back(a);
        return out;
    }
    std::size_t count(sim_action_kind k) const {
        return static_cast<std::size_t>(
            std::count_if(log.begin(), log.end(), [&](const auto& a) { return a.kind == k; }));
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_community_and_the_same_actions) {
    toy_world a(small(7)), b(small(7)), c(small(8));
    a.run();
    b.run();
    c.run();
    BOOST_REQUIRE_EQUAL(a.log.size(), b.log.size());
    std::size_t same = 0;
    for (std::size_t i = 0; i < a.log.size(); ++i)
        same += a.log[i].id == b.log[i].id && a.log[i].at == b.log[i].at &&
                a.log[i].kind == b.log[i].kind && a.log[i].actor == b.log[i].actor;
    BOOST_CHECK_EQUAL(same, a.log.size());
    BOOST_CHECK(a.log.size() != c.log.size() || a.log[5].at != c.log[5].at);
}

BOOST_AUTO_TEST_CASE(offers_far_outnumber_requests_and_companionship_is_most_of_what_is_asked) {
    toy_world w(small(3));
    w.run();
    const auto offers = w.count(sim_action_kind::post_offer);
    const auto requests = w.count(sim_action_kind::post_request);
    BOOST_TEST_MESSAGE("offers " << offers << ", requests " << requests);
    // Requests of a day against the offers: about 1 to 33 (30 a day per 1,000 helpers).
    const double per_day = static_cast<double>(requests) / 60.0;
    BOOST_CHECK_GT(static_cast<double>(offers) / per_day, 26.0);
    BOOST_CHECK_LT(static_cast<double>(offers) / per_day, 42.0);
    std::size_t company = 0;
    for (const auto& a : w.log)
        if (a.kind == sim_action_kind::post_request && a.what == category::companionship) ++company;
    BOOST_CHECK_GT(static_cast<double>(company) / static_cast<double>(requests), 0.65);
    // Every action's id is new.
    std::set<event_id> ids;
    for (const auto& a : w.log) BOOST_CHECK(ids.insert(a.id).second);
}

BOOST_AUTO_TEST_CASE(a_helper_who_hears_nothing_gives_up_after_the_set_weeks) {
    toy_world w(small(5));
    w.run();
    std::map<event_id, time_ms> posted;
    std::map<member_id, time_ms> last_heard;
    for (const auto& a : w.log)
        if (a.kind == sim_action_kind::post_offer) posted[a.id] = a.at;
    std::size_t gave_up = 0;
    for (const auto& a : w.log) {
        if (a.kind != sim_action_kind::withdraw_offer) continue;
        ++gave_up;
        BOOST_CHECK_GE(a.at.value - posted.at(a.subject).value, 21 * day_ms);
    }
    BOOST_CHECK_GT(gave_up, 0u);  // with 33 offers to a day's request, many never hear back
}

BOOST_AUTO_TEST_CASE(a_match_that_begins_brings_claimed_and_confirmed_hours_and_an_end) {
    toy_world w(small(9));
    w.run();
    const auto accepts = w.count(sim_action_kind::accept);
    BOOST_CHECK_GT(accepts, 0u);
    BOOST_CHECK_GT(w.count(sim_action_kind::decline), 0u);
    BOOST_CHECK_EQUAL(w.count(sim_action_kind::claim), w.count(sim_action_kind::confirm));
    BOOST_CHECK_GE(w.count(sim_action_kind::claim), w.count(sim_action_kind::end_match));
    // Every match that ended was accepted first, and its hours were claimed before its end.
    std::set<event_id> accepted;
    std::map<event_id, time_ms> claimed;
    for (const auto& a : w.log) {
        if (a.kind == sim_action_kind::accept) accepted.insert(a.subject);
        if (a.kind == sim_action_kind::claim) {
            BOOST_CHECK(accepted.contains(a.subject));
            BOOST_CHECK_GT(a.amount.value, 0);
            BOOST_CHECK_LE(a.amount.value, 24 * 60);
            claimed[a.subject] = a.at;
        }
        if (a.kind == sim_action_kind::end_match) {
            BOOST_CHECK(accepted.contains(a.subject));
            BOOST_CHECK(claimed.contains(a.subject));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_rejected_accept_is_taken_back_and_the_request_waits_on) {
    // Refuse the first accept the model makes; its request must get another proposal accepted.
    toy_world probe(small(11));
    probe.run();
    event_id first_accept_match;
    for (const auto& a : probe.log)
        if (a.kind == sim_action_kind::accept) {
            first_accept_match = a.subject;
            break;
        }
    BOOST_REQUIRE(!first_accept_match.is_zero());
    toy_world w(small(11));
    w.refuse_accepts.insert(first_accept_match);
    w.run();
    // No hours are ever claimed for the refused match...
    for (const auto& a : w.log)
        if (a.kind == sim_action_kind::claim || a.kind == sim_action_kind::end_match)
            BOOST_CHECK(a.subject != first_accept_match);
    // ...and the requester of it accepted something later.
    const auto& refused = *std::find_if(w.log.begin(), w.log.end(), [&](const auto& a) {
        return a.kind == sim_action_kind::accept && a.subject == first_accept_match;
    });
    std::size_t later = 0;
    for (const auto& a : w.log)
        if (a.kind == sim_action_kind::accept && a.actor == refused.actor &&
            a.at.value > refused.at.value)
            ++later;
    BOOST_CHECK_GT(later, 0u);
}

namespace {

// Whether two runs posted the same requests: the same ids, times, members, categories,
// intensities and areas, in the same order.
bool same_posts(const std::vector<sim_action>& a, const std::vector<sim_action>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].id != b[i].id || a[i].at != b[i].at || a[i].actor != b[i].actor ||
            a[i].what != b[i].what || a[i].how_often != b[i].how_often || a[i].area != b[i].area)
            return false;
    return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(changing_the_answer_model_leaves_the_town_and_the_requests_unchanged) {
    // Common random numbers: how requesters answer and choose, what keeps a helper, and how
    // long relationships last draw from their own streams, so the arrivals are the same.
    auto base = small(21);
    auto changed = base;
    changed.decline_all_share = 0.6;
    changed.answer_hours_max = 3;
    changed.record_preference = 0;
    changed.relationship_weeks_mean = 2;
    changed.contact = retention_contact::proposal;
    changed.gives_up_after_days = 14;
    toy_world a(base), b(changed);
    a.run();
    b.run();
    const auto requests_a = a.of_kind(sim_action_kind::post_request);
    BOOST_REQUIRE_GT(requests_a.size(), 100u);
    BOOST_CHECK(same_posts(requests_a, b.of_kind(sim_action_kind::post_request)));
    BOOST_CHECK(
        same_posts(a.of_kind(sim_action_kind::post_offer), b.of_kind(sim_action_kind::post_offer)));
    // The answers did change: other accepts, and helpers giving up at other times.
    BOOST_CHECK(
        !same_posts(a.of_kind(sim_action_kind::accept), b.of_kind(sim_action_kind::accept)));
    BOOST_CHECK(!same_posts(a.of_kind(sim_action_kind::withdraw_offer),
                            b.of_kind(sim_action_kind::withdraw_offer)));
}

BOOST_AUTO_TEST_CASE(another_matcher_sees_the_same_requests) {
    // On, off and every baseline are other matchers: they must face the same stream.
    toy_world a(small(22)), b(small(22));
    b.last_offer_first = true;
    a.run();
    b.run();
    BOOST_CHECK(same_posts(a.of_kind(sim_action_kind::post_request),
                           b.of_kind(sim_action_kind::post_request)));
    // The matchers differ: some match went to another helper.
    std::set<member_id> helpers_a, helpers_b;
    for (const auto& x : a.of_kind(sim_action_kind::claim)) helpers_a.insert(x.actor);
    for (const auto& x : b.of_kind(sim_action_kind::claim)) helpers_b.insert(x.actor);
    BOOST_CHECK(helpers_a != helpers_b);
}

BOOST_AUTO_TEST_CASE(by_default_a_proposal_alone_keeps_no_one) {
    // The toy matcher proposes a request's fitting offers one an hour until one is accepted;
    // with retention counted by accepted matches, a helper proposed but never matched still
    // gives up after the set days from posting, which a proposal would have reset.
    toy_world w(small(23));
    w.run();
    std::map<member_id, time_ms> posted, matched;
    for (const auto& a : w.log) {
        if (a.kind == sim_action_kind::post_offer) posted[a.actor] = a.at;
        if (a.kind == sim_action_kind::claim && !matched.contains(a.actor)) matched[a.actor] = a.at;
    }
    std::set<event_id> proposed_offers;
    for (const auto& [request, offers] : w.proposed)
        proposed_offers.insert(offers.begin(), offers.end());
    std::size_t withdrawn_unmatched = 0, of_them_proposed = 0;
    for (const auto& a : w.of_kind(sim_action_kind::withdraw_offer)) {
        if (matched.contains(a.actor)) continue;
        ++withdrawn_unmatched;
        of_them_proposed += proposed_offers.contains(a.subject);
        // Within a day of the give-up check after 21 days from posting.
        BOOST_CHECK_LT(a.at.value - posted.at(a.actor).value, 22 * day_ms);
    }
    BOOST_CHECK_GT(withdrawn_unmatched, 0u);
    BOOST_CHECK_GT(of_them_proposed, 0u);  // proposed, declined, and gone all the same
}
