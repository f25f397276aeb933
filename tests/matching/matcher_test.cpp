// The matcher (matching/matcher.h) through its public functions, on states folded from events
// by the real ledger rules: same state, same proposals; a replay of the log to a proposal's
// basis proposes it again; the open-match cap, the newcomer floor and the policy's knobs hold;
// two nodes proposing the same round make duplicates only; the exposure the matching projection
// (projections/matching_fold.h) keeps adds up.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>

#include "ledger/core/crypto.h"
#include "ledger/core/fairness_knobs.h"
#include "matching/matcher.h"
#include "matching/stock.h"
#include "projections/exposure.h"
#include "projections/matching_fold.h"
#include "tests/support/test_keys.h"

using namespace uurwerk;
using uurwerk::testing::key_of;

namespace {

constexpr community_id town{3};
constexpr member_id founder{1};
constexpr std::uint8_t node_a = 200, node_b = 201;

// A community folded event by event; every event is kept, so it can be replayed.
struct town_log {
    struct logged {
        event_body body;
        public_key signer;
        time_ms at;
    };
    ledger_state state;
    matching_state projection;  // the queues and the exposure, folded after each verdict
    std::vector<logged> events;
    std::map<std::uint8_t, std::uint64_t> seqs;
    std::uint32_t next_id = 1;
    time_ms now{1'800'000'000'000};

    reject_reason fold_signed(const event_body& b, const public_key& signer) {
        const auto bytes = encode_body(b);
        const auto d = sha256({byte_view(bytes)});
        fold_effects fx;
        const auto v = fold(state, fold_input{b, signer, d, offset{events.size()}, now}, fx);
        matching_effects mfx;
        fold_matching(projection, state, b, v, fx.matches, mfx);
        events.push_back({b, signer, now});
        return v.reason;
    }
    event_id as(std::uint8_t key, member_id author, event_payload payload,
                reject_reason expect = reject_reason::none) {
        event_id id;
        id.b[0] = 0xab;
        std::memcpy(id.b.data() + 4, &next_id, sizeof next_id);
        ++next_id;
        event_body b{
            id, town, author, sequence{++seqs[key]}, now, std::nullopt, std::move(payload)};
        BOOST_REQUIRE_EQUAL(reason_name(fold_signed(b, key_of(key))), reason_name(expect));
        return id;
    }
    const community_state& community() const { return state.communities.at(town); }
    const community_matching& matching() const { return projection.communities.at(town); }

    explicit town_log(fairness_knobs knobs = {}) {
        policy p;
        p.fairness = knobs;
        as(1, founder, community_founded{"Wijk", p});
        as(1, founder, node_key_announced{key_of(node_a)});
        as(1, founder, node_key_announced{key_of(node_b)});
    }
    member_id admit(std::uint64_t m) {
        as(1, founder,
           member_admitted{member_id{m}, key_of(static_cast<std::uint8_t>(m)), role::member, true,
                           std::nullopt});
        return member_id{m};
    }
    template <typename Post>
    event_id post(member_id m, category what, std::string area) {
        Post p;
        p.what = what;
        p.area = std::move(area);
        return as(static_cast<std::uint8_t>(m.value), m, p);
    }
    event_id offer(member_id m, category what, std::string area = "1011") {
        return post<offer_posted>(m, what, std::move(area));
    }
    event_id request(member_id m, category what, std::string area = "1011") {
        return post<request_posted>(m, what, std::move(area));
    }
    // The node signs what the matcher proposes now; the verdicts, in order.
    std::vector<reject_reason> round(std::uint8_t node) {
        const auto& c = community();
        const auto proposals = propose(town, c, matching());
        const auto clock = c.clock;
        std::vector<reject_reason> out;
        for (std::size_t i = 0; i < proposals.size(); ++i)
            out.push_back(fold_signed(proposal_body(town, proposals[i], i, clock), key_of(node)));
        return out;
    }
};

std::vector<proposal> logged_proposals(const town_log& t) {
    std::vector<proposal> out;
    for (const auto& e : t.events)
        if (auto* m = std::get_if<match_proposed>(&e.body.payload))
            out.push_back(proposal_of(e.body, t.community().posts.at(m->request).owner));
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(matcher)

BOOST_AUTO_TEST_CASE(the_same_state_gives_the_same_proposals_with_derived_ids) {
    town_log t;
    for (std::uint64_t m = 10; m < 16; ++m) t.offer(t.admit(m), category::shopping);
    const auto asker = t.admit(30);
    const auto r = t.request(asker, category::shopping);
    const auto first = propose(town, t.community(), t.matching());
    const community_state copy = t.community();
    const community_matching copy_matching = t.matching();
    BOOST_CHECK(propose(town, copy, copy_matching) == first);
    BOOST_REQUIRE_EQUAL(first.size(), 3u);  // the default proposals_per_request
    for (std::uint32_t rank = 0; rank < first.size(); ++rank) {
        BOOST_CHECK(first[rank].request == r);
        BOOST_CHECK_EQUAL(first[rank].rank, rank);
        BOOST_CHECK_EQUAL(first[rank].round, 0u);
        BOOST_CHECK_EQUAL(first[rank].round_size, 3u);
        BOOST_CHECK(first[rank].id == proposal_id(town, r, 0, rank));
        BOOST_CHECK_EQUAL(first[rank].basis, t.community().events);
    }
}

BOOST_AUTO_TEST_CASE(replaying_the_log_to_a_proposals_basis_proposes_it_again) {
    town_log t;
    std::vector<member_id> helpers;
    for (std::uint64_t m = 10; m < 20; ++m) helpers.push_back(t.admit(m));
    for (std::size_t i = 0; i < helpers.size(); ++i)
        t.offer(helpers[i], i % 2 ? category::shopping : category::gardening,
                i % 3 ? "1011" : "2022");
    std::vector<member_id> askers;
    for (std::uint64_t m = 30; m < 36; ++m) askers.push_back(t.admit(m));
    std::vector<event_id> requests;
    for (std::size_t i = 0; i < askers.size(); ++i) {
        requests.push_back(t.request(askers[i], i % 2 ? category::shopping : category::gardening));
        t.now.value += 60'000;
        for (auto v : t.round(node_a)) BOOST_CHECK_EQUAL(reason_name(v), "none");
    }
    // The first two requests' proposals are declined: the next round proposes others for them.
    const auto before = logged_proposals(t);
    BOOST_REQUIRE(!before.empty());
    for (const auto& p : before)
        if (p.request == requests[0] || p.request == requests[1])
            t.as(static_cast<std::uint8_t>(p.requester.value), p.requester, match_declined{p.id});
    t.now.value += 3'600'000;
    t.round(node_a);
    const auto logged = logged_proposals(t);
    BOOST_REQUIRE_GT(logged.size(), before.size());

    // The auditor: replays the log into a fresh state, and at each proposal's basis (the
    // community's event count) runs the matcher: it proposes exactly what the log holds.
    std::map<std::uint64_t, std::vector<proposal>> by_basis;
    for (const auto& p : logged) by_basis[p.basis].push_back(p);
    ledger_state replay;
    matching_state replay_matching;
    std::uint64_t at = 0;
    std::size_t checked = 0;
    for (const auto& e : t.events) {
        auto c = replay.communities.find(town);
        if (c != replay.communities.end())
            if (auto due = by_basis.find(c->second.events); due != by_basis.end()) {
                BOOST_CHECK(propose(town, c->second, replay_matching.communities.at(town)) ==
                            due->second);
                checked += due->second.size();
                by_basis.erase(due);
            }
        const auto bytes = encode_body(e.body);
        fold_effects fx;
        const verdict v =
            fold(replay,
                 fold_input{e.body, e.signer, sha256({byte_view(bytes)}), offset{at++}, e.at}, fx);
        matching_effects mfx;
        fold_matching(replay_matching, replay, e.body, v, fx.matches, mfx);
    }
    BOOST_CHECK_EQUAL(checked, logged.size());
    BOOST_CHECK(replay_matching.communities.at(town).exposure == t.matching().exposure);
}

BOOST_AUTO_TEST_CASE(the_indexes_the_fold_keeps_equal_those_rebuilt_from_the_posts_on_load) {
    town_log t;
    std::vector<event_id> offers;
    for (std::uint64_t m = 10; m < 18; ++m)
        offers.push_back(t.offer(t.admit(m), m % 2 ? category::meals : category::lifts));
    std::vector<event_id> requests;
    for (std::uint64_t m = 30; m < 34; ++m)
        requests.push_back(t.request(t.admit(m), m % 2 ? category::meals : category::lifts));
    t.round(node_a);
    t.as(10, member_id{10}, post_withdrawn{offers[0]});    // lapses its proposals
    t.as(30, member_id{30}, post_withdrawn{requests[0]});  // a request closed
    t.now.value += 3'600'000;
    t.round(node_a);
    // What load_state does after reading the posts and matches back from the store.
    community_state rebuilt = t.community();
    index_matches(rebuilt);
    community_matching rebuilt_matching = t.matching();
    index_posts(rebuilt_matching, rebuilt);
    const auto& live = t.matching();
    BOOST_CHECK(rebuilt_matching.queues.same_content(live.queues));
    BOOST_CHECK(rebuilt_matching.queues.open_requests() == live.queues.open_requests());
    BOOST_CHECK(rebuilt.matches_of_post == t.community().matches_of_post);
    const auto& lifts = live.queues.open(post_side::offer, category::lifts);
    lifts.for_each(
        [&](const post_bucket& b, std::size_t i) { BOOST_CHECK(b.ids()[i] != offers[0]); });
    BOOST_CHECK_EQUAL(lifts.size(), 3u);
    BOOST_CHECK(!live.queues.open_requests().contains(requests[0]));
    BOOST_CHECK_EQUAL(live.queues.open_requests().size(), 3u);
    BOOST_CHECK_EQUAL(live.queues.open_count(post_side::offer), 7u);
    BOOST_CHECK_EQUAL(live.queues.open_count(post_side::request), 3u);
    BOOST_CHECK(propose(town, rebuilt, rebuilt_matching) == propose(town, t.community(), live));
}

BOOST_AUTO_TEST_CASE(a_days_reputation_kept_by_the_caller_proposes_as_the_matcher_itself_does) {
    town_log t;
    for (std::uint64_t m = 10; m < 16; ++m) t.offer(t.admit(m), category::shopping);
    t.request(t.admit(30), category::shopping);
    const auto kept = round_reputation(t.community());
    BOOST_CHECK(propose(town, t.community(), t.matching(), kept) ==
                propose(town, t.community(), t.matching()));
    BOOST_CHECK_EQUAL(reputation_day(t.community()).value % (24 * 3'600'000), 0);
    BOOST_CHECK_LE(reputation_day(t.community()).value, t.community().clock.value);
}

BOOST_AUTO_TEST_CASE(a_match_that_begins_counts_match_exposure_for_its_helper) {
    town_log t;
    for (std::uint64_t m = 10; m < 14; ++m) t.offer(t.admit(m), category::shopping);
    const auto asker = t.admit(30);
    t.request(asker, category::shopping);
    t.round(node_a);
    const auto proposed = logged_proposals(t);
    BOOST_REQUIRE(!proposed.empty());
    const auto& p = proposed.back();  // the lowest-ranked proposal: the requester's choice
    const double before = t.matching().exposure.at(p.helper).exposure_sum;
    t.as(30, asker, match_accepted{p.id});
    BOOST_CHECK_CLOSE(t.matching().exposure.at(p.helper).exposure_sum, before + match_exposure,
                      1e-9);
    // A decline adds nothing.
    const auto& other = proposed.front();
    const double other_before = t.matching().exposure.at(other.helper).exposure_sum;
    t.as(30, asker, match_declined{other.id});
    BOOST_CHECK_CLOSE(t.matching().exposure.at(other.helper).exposure_sum, other_before, 1e-9);
}

BOOST_AUTO_TEST_CASE(a_helper_at_the_open_match_cap_is_not_proposed_again) {
    fairness_knobs k;
    k.open_matches_max = 1;
    town_log t(k);
    const auto helper = t.admit(10);
    t.offer(helper, category::lifts);
    for (std::uint64_t m = 30; m < 33; ++m) t.request(t.admit(m), category::lifts);
    t.round(node_a);
    BOOST_CHECK_EQUAL(logged_proposals(t).size(), 1u);
    BOOST_CHECK_EQUAL(t.matching().exposure.at(helper).open_matches, 1u);
    // Declining frees the slot: the next round proposes the helper for another request.
    const auto p = logged_proposals(t).front();
    t.as(10, helper, match_declined{p.id});
    BOOST_CHECK_EQUAL(t.matching().exposure.at(helper).open_matches, 0u);
    t.round(node_a);
    const auto all = logged_proposals(t);
    BOOST_REQUIRE_EQUAL(all.size(), 2u);
    BOOST_CHECK(all[1].request != p.request);
}

BOOST_AUTO_TEST_CASE(a_helper_at_the_cap_is_still_owed_relevance_a_poor_fit_is_not) {
    // The fair share fairness tracks counts every open offer that fits, busy or not: a round
    // hands relevance to a helper at the open-match cap too, but not to one below the quality
    // floor (another area: 0.4 against 1.0).
    fairness_knobs k;
    k.open_matches_max = 1;
    k.proposals_per_request = 1;
    town_log t(k);
    const auto a = t.admit(10), b = t.admit(11), far = t.admit(12);
    t.offer(a, category::lifts);
    t.offer(b, category::lifts);
    t.offer(far, category::lifts, "9999");
    t.request(t.admit(30), category::lifts);
    t.round(node_a);
    BOOST_REQUIRE_EQUAL(logged_proposals(t).size(), 1u);
    const auto busy = logged_proposals(t).front().helper;
    const auto free = busy == a ? b : a;
    BOOST_CHECK_EQUAL(t.matching().exposure.at(busy).open_matches, 1u);
    const double busy_before = t.matching().exposure.at(busy).relevance_sum;
    const double free_before = t.matching().exposure.at(free).relevance_sum;
    t.request(t.admit(31), category::lifts);
    t.round(node_a);
    const auto all = logged_proposals(t);
    BOOST_REQUIRE_EQUAL(all.size(), 2u);
    BOOST_CHECK(all[1].helper == free);
    BOOST_CHECK_CLOSE(t.matching().exposure.at(busy).relevance_sum - busy_before, 0.5, 1e-9);
    BOOST_CHECK_CLOSE(t.matching().exposure.at(free).relevance_sum - free_before, 0.5, 1e-9);
    const auto f = t.matching().exposure.find(far);
    BOOST_CHECK(f == t.matching().exposure.end() || f->second.relevance_sum == 0);
}

// The round's room: a lifts helper and a shopping helper who may each have one open match, and
// member 30, who asks for lifts. more_lifts_than_a_round() posts more lifts requests than a round
// serves, then a newer shopping request of member 31's, and returns that one.
struct crowded_round_town {
    explicit crowded_round_town(fairness_knobs k) : t(with_cap(k)) {
        t.offer(lifter, category::lifts);
        t.offer(shopper, category::shopping);
    }
    static fairness_knobs with_cap(fairness_knobs k) {
        k.open_matches_max = 1;
        return k;
    }
    event_id more_lifts_than_a_round() {
        for (std::size_t i = 0; i < round_requests_max + 20; ++i) t.request(asker, category::lifts);
        return t.request(t.admit(31), category::shopping);
    }
    town_log t;
    member_id lifter = t.admit(10), shopper = t.admit(11), asker = t.admit(30);
};

BOOST_AUTO_TEST_CASE(requests_nobody_can_take_do_not_keep_newer_ones_from_help) {
    // More old requests than a round serves, all for a helper at the cap, then a newer one of
    // another category whose helper is free: the round reaches the newer one.
    for (const bool fairness_off : {false, true}) {
        crowded_round_town town_1({.off = fairness_off});
        auto& t = town_1.t;
        t.request(town_1.asker, category::lifts);
        t.round(node_a);
        BOOST_REQUIRE_EQUAL(logged_proposals(t).size(), 1u);
        const auto newer = town_1.more_lifts_than_a_round();
        const auto next = propose(town, t.community(), t.matching());
        BOOST_REQUIRE_EQUAL(next.size(), 1u);
        BOOST_CHECK(next[0].request == newer);
        BOOST_CHECK(next[0].helper == town_1.shopper);
    }
}

BOOST_AUTO_TEST_CASE(requests_one_free_helper_cannot_all_take_do_not_fill_the_round) {
    // More requests than a round serves, all for one free helper who may have one open match:
    // the first request takes them, and the round goes on to a newer request of another
    // category whose helper is free too.
    for (const bool fairness_off : {false, true}) {
        crowded_round_town town_1({.off = fairness_off});
        auto& t = town_1.t;
        const auto oldest = t.request(town_1.asker, category::lifts);
        const auto newer = town_1.more_lifts_than_a_round();
        const auto next = propose(town, t.community(), t.matching());
        BOOST_REQUIRE_EQUAL(next.size(), 2u);
        BOOST_CHECK(next[0].request == oldest);
        BOOST_CHECK(next[0].helper == town_1.lifter);
        BOOST_CHECK(next[1].request == newer);
        BOOST_CHECK(next[1].helper == town_1.shopper);
    }
}

BOOST_AUTO_TEST_CASE(a_newcomer_who_waited_past_the_floor_is_proposed_first) {
    fairness_knobs k;
    k.proposals_per_request = 1;
    k.newcomer_floor_hours = 24;
    town_log t(k);
    // The newcomer's offer fits below the quality floor (another area: 0.4 against 1.0), so
    // until the floor only the regular is proposed.
    const auto regular = t.admit(10);
    const auto newcomer = t.admit(11);
    t.offer(regular, category::meals, "1011");
    t.offer(newcomer, category::meals, "2022");
    t.request(t.admit(30), category::meals, "1011");
    t.round(node_a);
    BOOST_REQUIRE_EQUAL(logged_proposals(t).size(), 1u);
    BOOST_CHECK_EQUAL(logged_proposals(t)[0].helper.value, regular.value);
    t.request(t.admit(31), category::meals, "1011");
    auto next = propose(town, t.community(), t.matching());
    BOOST_REQUIRE_EQUAL(next.size(), 1u);
    BOOST_CHECK_EQUAL(next[0].helper.value, regular.value);
    t.now.value += 25 * 3'600'000LL;
    t.as(1, founder, member_reinstated{regular});  // any event moves the community's clock
    next = propose(town, t.community(), t.matching());
    BOOST_REQUIRE_EQUAL(next.size(), 1u);
    BOOST_CHECK_EQUAL(next[0].helper.value, newcomer.value);
}

BOOST_AUTO_TEST_CASE(policy_knobs_are_validated_and_change_what_is_proposed) {
    town_log t;
    for (std::uint64_t m = 10; m < 16; ++m) t.offer(t.admit(m), category::odd_jobs);
    t.request(t.admit(30), category::odd_jobs);
    auto with = [](auto set) {
        policy p;
        set(p.fairness);
        return policy_changed{p};
    };
    t.as(1, founder, with([](fairness_knobs& k) { k.proposals_per_request = 21; }),
         reject_reason::fairness_knob_out_of_range);
    t.as(1, founder, with([](fairness_knobs& k) {
             k.proposals_per_request = 2;
             k.low_reputation_proposals_min = 3;  // more than proposals_per_request
         }),
         reject_reason::fairness_knob_out_of_range);
    t.as(1, founder, with([](fairness_knobs& k) { k.quality_floor_permille = 1001; }),
         reject_reason::fairness_knob_out_of_range);
    t.as(1, founder, with([](fairness_knobs& k) { k.request_wait_hours_max = 8761; }),
         reject_reason::fairness_knob_out_of_range);
    BOOST_CHECK_EQUAL(resolved(t.community().rules.fairness).request_wait_hours_max, 48u);
    t.as(1, founder, with([](fairness_knobs& k) { k.request_wait_hours_max = 8760; }));
    BOOST_CHECK_EQUAL(t.community().rules.fairness.request_wait_hours_max, 8760u);
    t.as(1, founder, with([](fairness_knobs& k) { k.silence_floor_hours = 8761; }),
         reject_reason::fairness_knob_out_of_range);
    t.as(1, founder, with([](fairness_knobs& k) { k.silent_proposals_max = 21; }),
         reject_reason::fairness_knob_out_of_range);
    BOOST_CHECK_EQUAL(resolved(t.community().rules.fairness).silence_floor_hours, 336u);
    BOOST_CHECK_EQUAL(resolved(t.community().rules.fairness).silent_proposals_max, 17u);
    t.as(1, founder, with([](fairness_knobs& k) {
             k.silence_floor_hours = 8760;
             k.silent_proposals_max = 20;
         }));
    BOOST_CHECK_EQUAL(t.community().rules.fairness.silence_floor_hours, 8760u);
    BOOST_CHECK_EQUAL(t.community().rules.fairness.silent_proposals_max, 20u);
    t.as(10, member_id{10}, with([](fairness_knobs& k) { k.proposals_per_request = 5; }),
         reject_reason::not_coordinator);
    BOOST_CHECK_EQUAL(propose(town, t.community(), t.matching()).size(), 3u);  // still the defaults

    t.as(1, founder, with([](fairness_knobs& k) { k.proposals_per_request = 5; }));
    BOOST_CHECK_EQUAL(t.community().rules.fairness.proposals_per_request, 5u);
    BOOST_CHECK_EQUAL(propose(town, t.community(), t.matching()).size(), 5u);
    t.as(1, founder, with([](fairness_knobs& k) { k.off = true; }));
    BOOST_CHECK(resolved(t.community().rules.fairness).off);
    BOOST_CHECK_EQUAL(propose(town, t.community(), t.matching()).size(), 3u);
}

// The silence floor's start: three shopping helpers, a request of member 30's, and its first
// round, which proposes one of them (one proposal a request, a floor of 24 hours, the other
// knobs as given).
struct silence_town {
    explicit silence_town(fairness_knobs k) : t(with_floor(k)) {
        for (std::uint64_t m = 10; m < 13; ++m) t.offer(t.admit(m), category::shopping);
        asker = t.admit(30);
        t.request(asker, category::shopping);
        t.round(node_a);
        first = logged_proposals(t);
        BOOST_REQUIRE_EQUAL(first.size(), 1u);
    }
    static fairness_knobs with_floor(fairness_knobs k) {
        k.proposals_per_request = 1;
        k.silence_floor_hours = 24;
        return k;
    }
    town_log t;
    member_id asker;
    std::vector<proposal> first;
};

BOOST_AUTO_TEST_CASE(a_helper_silent_past_the_floor_is_proposed_beyond_the_ranked_picks) {
    for (const bool fairness_off : {false, true}) {
        silence_town town_1({.off = fairness_off});
        auto& t = town_1.t;
        const auto& first = town_1.first;  // nobody was proposed before: nobody silent
        const auto heard = first[0].helper;
        t.as(static_cast<std::uint8_t>(heard.value), heard, match_declined{first[0].id});
        t.now.value += 25 * 3'600'000;
        const auto second = t.request(t.admit(31), category::shopping);
        // (The first request, declined, gets a round too: only the second one's is looked at.)
        std::vector<proposal> next;
        for (const auto& p : propose(town, t.community(), t.matching()))
            if (p.request == second) next.push_back(p);
        if (fairness_off) {
            BOOST_CHECK_EQUAL(next.size(), 1u);
            continue;
        }
        // The ranked pick is a helper never proposed (least exposure per relevance); the
        // helper proposed 25 hours ago, free again, comes after it.
        BOOST_REQUIRE_EQUAL(next.size(), 2u);
        BOOST_CHECK(next[0].helper != heard);
        BOOST_CHECK(next[1].helper == heard);
        BOOST_CHECK_EQUAL(next[1].rank, 1u);
        BOOST_CHECK_EQUAL(next[1].round_size, 2u);
        // Folded, the silent helper's offer records the proposal's time.
        t.round(node_a);
        BOOST_CHECK(t.community().posts.at(next[1].offer).heard_time == t.now);
    }
}

BOOST_AUTO_TEST_CASE(a_round_whose_first_helper_had_no_match_is_cut_and_gets_no_silent_offers) {
    // Three shopping helpers, two proposals a request, a silence floor of a day. Member 30's
    // request: its first-ranked helper has had no match, so with unmatchedFirstProposals 1 its
    // round is that one proposal; without the knob, two. Both declined, 25 hours later member
    // 31's request: without the knob the ranked two and the silent helpers beyond them (heard
    // 25 hours ago, free again); with it the first-ranked alone, no silent ones.
    for (const std::uint32_t cut : {0u, 1u}) {
        fairness_knobs k;
        k.proposals_per_request = 2;
        k.silence_floor_hours = 24;
        k.unmatched_first_proposals = cut;
        town_log t(k);
        for (std::uint64_t m = 10; m < 13; ++m) t.offer(t.admit(m), category::shopping);
        const auto asker = t.admit(30);
        t.request(asker, category::shopping);
        t.round(node_a);
        const auto first = logged_proposals(t);
        BOOST_REQUIRE_EQUAL(first.size(), cut ? 1u : 2u);
        for (const auto& p : first)
            t.as(static_cast<std::uint8_t>(p.helper.value), p.helper, match_declined{p.id});
        t.now.value += 25 * 3'600'000;
        const auto second = t.request(t.admit(31), category::shopping);
        std::vector<proposal> next;
        for (const auto& p : propose(town, t.community(), t.matching()))
            if (p.request == second) next.push_back(p);
        // Without the cut: the ranked two (the helper never proposed first) and the silent one
        // left; with it, the never-proposed helper alone.
        BOOST_REQUIRE_EQUAL(next.size(), cut ? 1u : 3u);
        for (const auto& p : first) BOOST_CHECK(next[0].helper != p.helper);
    }
}

BOOST_AUTO_TEST_CASE(a_helper_whose_match_just_ended_is_not_silent_until_the_floor_passes_again) {
    silence_town town_1({});
    auto& t = town_1.t;
    const auto asker = town_1.asker;
    const auto& first = town_1.first;
    const auto helped = first[0].helper;
    t.as(30, asker, match_accepted{first[0].id});
    t.now.value += 25 * 3'600'000;  // proposed 25 hours ago, past the floor
    t.as(30, asker, match_ended{first[0].id});
    BOOST_CHECK(t.community().posts.at(first[0].offer).heard_time == t.now);
    auto proposed_for = [&](const event_id& request) {
        std::vector<proposal> out;
        for (const auto& p : propose(town, t.community(), t.matching()))
            if (p.request == request) out.push_back(p);
        return out;
    };
    // An hour after the match ended: heard from an hour ago, so not silent.
    t.now.value += 3'600'000;
    const auto second = t.request(t.admit(31), category::shopping);
    auto next = proposed_for(second);
    BOOST_REQUIRE_EQUAL(next.size(), 1u);
    BOOST_CHECK(next[0].helper != helped);
    // A day after the match ended: silent, proposed beyond the ranked pick.
    t.now.value += 24 * 3'600'000;
    t.admit(32);  // an event at that time moves the log's clock
    next = proposed_for(second);
    BOOST_REQUIRE_EQUAL(next.size(), 2u);
    BOOST_CHECK(next[0].helper != helped);
    BOOST_CHECK(next[1].helper == helped);
}

BOOST_AUTO_TEST_CASE(
    a_request_past_the_wait_bound_is_served_beside_unanswered_proposals_on_or_off) {
    fairness_knobs k;
    k.proposals_per_request = 1;
    k.request_wait_hours_max = 10;
    town_log t(k);
    const auto first = t.admit(10), second = t.admit(11);
    t.offer(first, category::shopping);
    t.offer(second, category::shopping);
    const auto asker = t.admit(30);
    const auto r = t.request(asker, category::shopping);
    auto hours_later = [&](std::int64_t h) {
        t.now.value += h * 3'600'000;
        t.as(1, founder, member_reinstated{asker});  // any event moves the community's clock
    };
    t.round(node_a);
    auto logged = logged_proposals(t);
    BOOST_REQUIRE_EQUAL(logged.size(), 1u);
    const member_id proposed_first = logged[0].helper;
    // Nobody answers. Within the bound the unanswered proposal holds the request.
    hours_later(9);
    BOOST_CHECK(propose(town, t.community(), t.matching()).empty());
    BOOST_CHECK(sample_stock(t.community(), t.matching()).past_bound_with_free_helper.empty());
    // Past it, the request is served again: the other helper (the first one's is still open),
    // and the sample sees it waiting with a free helper until then.
    hours_later(2);
    BOOST_CHECK(sample_stock(t.community(), t.matching()).past_bound_with_free_helper ==
                std::vector<event_id>{r});
    auto next = propose(town, t.community(), t.matching());
    BOOST_REQUIRE_EQUAL(next.size(), 1u);
    BOOST_CHECK_EQUAL(next[0].round, 1u);
    BOOST_CHECK(next[0].helper != proposed_first);
    t.round(node_a);
    BOOST_CHECK(sample_stock(t.community(), t.matching()).past_bound_with_free_helper.empty());
    // Both decline: with no fresh helper left, one proposed before is proposed again.
    for (const auto& p : logged_proposals(t))
        t.as(static_cast<std::uint8_t>(p.helper.value), p.helper, match_declined{p.id});
    hours_later(1);
    next = propose(town, t.community(), t.matching());
    BOOST_REQUIRE_EQUAL(next.size(), 1u);
    BOOST_CHECK_EQUAL(next[0].round, 2u);
    BOOST_CHECK(next[0].helper == first || next[0].helper == second);
    BOOST_CHECK(next[0].request == r);

    // Without fairness the same bound holds (the popularity baseline must not lose to the layer
    // by waiting on requesters who never answer): within it nothing, past it the other helper.
    fairness_knobs off = k;
    off.off = true;
    town_log u(off);
    u.offer(u.admit(10), category::shopping);
    u.offer(u.admit(11), category::shopping);
    const auto other_asker = u.admit(30);
    u.request(other_asker, category::shopping);
    u.round(node_a);
    const auto first_off = logged_proposals(u);
    BOOST_REQUIRE_EQUAL(first_off.size(), 1u);
    u.now.value += 9 * 3'600'000;
    u.as(1, founder, member_reinstated{other_asker});
    BOOST_CHECK(propose(town, u.community(), u.matching()).empty());
    u.now.value += 2 * 3'600'000;
    u.as(1, founder, member_reinstated{other_asker});
    const auto next_off = propose(town, u.community(), u.matching());
    BOOST_REQUIRE_EQUAL(next_off.size(), 1u);
    BOOST_CHECK(next_off[0].helper != first_off[0].helper);
}

BOOST_AUTO_TEST_CASE(two_nodes_proposing_the_same_round_make_duplicates_only) {
    town_log t;
    for (std::uint64_t m = 10; m < 14; ++m) t.offer(t.admit(m), category::computer_help);
    t.request(t.admit(30), category::computer_help);
    const community_state seen_by_b = t.community();  // node B reads the same state
    const community_matching matching_seen_by_b = t.matching();
    for (auto v : t.round(node_a)) BOOST_CHECK_EQUAL(reason_name(v), "none");
    const auto matches = t.community().matches.size();
    BOOST_REQUIRE_EQUAL(matches, 3u);
    const auto late = propose(town, seen_by_b, matching_seen_by_b);
    for (std::size_t i = 0; i < late.size(); ++i) {
        const auto v =
            t.fold_signed(proposal_body(town, late[i], i, seen_by_b.clock), key_of(node_b));
        BOOST_CHECK_EQUAL(reason_name(v), "duplicate_event");
    }
    BOOST_CHECK_EQUAL(t.community().matches.size(), matches);
    // And a node that reads the state after the round proposes nothing for that request.
    BOOST_CHECK(propose(town, t.community(), t.matching()).empty());
}

BOOST_AUTO_TEST_CASE(each_round_hands_out_one_unit_of_relevance_and_of_exposure) {
    town_log t;
    for (std::uint64_t m = 10; m < 18; ++m) t.offer(t.admit(m), category::dog_walking);
    for (std::uint64_t m = 30; m < 34; ++m) t.request(t.admit(m), category::dog_walking);
    t.round(node_a);
    double relevance = 0, exposure = 0;
    for (const auto& [m, e] : t.matching().exposure) {
        relevance += e.relevance_sum;
        exposure += e.exposure_sum;
    }
    BOOST_CHECK_CLOSE(relevance, 4.0, 1e-9);
    BOOST_CHECK_CLOSE(exposure, 4.0, 1e-9);
    // Withdrawing a request lapses its unanswered proposals and frees their helpers.
    const auto p = logged_proposals(t).front();
    t.as(static_cast<std::uint8_t>(p.requester.value), p.requester, post_withdrawn{p.request});
    BOOST_CHECK(t.community().matches.at(p.id).status == match_status::lapsed);
    BOOST_CHECK_EQUAL(t.matching().exposure.at(p.helper).open_matches, 0u);
}

BOOST_AUTO_TEST_CASE(a_helper_due_a_match_by_the_folded_log_is_proposed_first_and_alone) {
    // Helper 10 offers and helps member 30 (accepted, ended an hour later); helpers 11 and 12
    // offer an hour after that. 49 hours on, member 31 asks. Without matchSilenceHours the
    // helpers never matched come first (least exposure per relevance), three proposals; with
    // 24 hours all three are due (no match end, or posting, for a day), and 10, whose last match
    // ended before the others posted, is proposed alone. Helpers with an open match are never
    // due. The same log and knob give the same round on a second look (determinism).
    for (const std::uint32_t silence : {0u, 24u}) {
        fairness_knobs k;
        k.match_silence_hours = silence;
        town_log t(k);
        const auto helped = t.admit(10);
        t.offer(helped, category::shopping);
        const auto asker = t.admit(30);
        const auto first_request = t.request(asker, category::shopping);
        t.round(node_a);
        const auto first = logged_proposals(t);
        BOOST_REQUIRE_EQUAL(first.size(), 1u);
        BOOST_REQUIRE(first[0].helper == helped);
        t.as(30, asker, match_accepted{first[0].id});
        t.now.value += 3'600'000;
        t.as(30, asker, match_ended{first[0].id});
        t.as(30, asker, post_withdrawn{first_request});
        t.now.value += 3'600'000;
        for (std::uint64_t m = 11; m < 13; ++m) t.offer(t.admit(m), category::shopping);
        t.now.value += 49 * 3'600'000;
        const auto second = t.request(t.admit(31), category::shopping);
        const auto next = propose(town, t.community(), t.matching());
        BOOST_TEST_CONTEXT("matchSilenceHours " << silence) {
            BOOST_REQUIRE_EQUAL(next.size(), silence ? 1u : 3u);
            for (const auto& p : next) BOOST_CHECK(p.request == second);
            if (silence) {
                BOOST_CHECK(next[0].helper == helped);
                BOOST_CHECK_EQUAL(next[0].round_size, 1u);
            } else {
                BOOST_CHECK(next[0].helper != helped);
                BOOST_CHECK(next[2].helper == helped);
            }
            BOOST_CHECK(propose(town, t.community(), t.matching()) == next);
        }
        // Proposed, 10 has an open match and is not due: the next request gets 11 alone (due
        // since posting, the longer of the two).
        t.round(node_a);
        if (silence == 0) continue;
        const auto third = t.request(t.admit(32), category::shopping);
        std::vector<proposal> later;
        for (const auto& p : propose(town, t.community(), t.matching()))
            if (p.request == third) later.push_back(p);
        BOOST_REQUIRE_EQUAL(later.size(), 1u);
        BOOST_CHECK_EQUAL(later[0].helper.value, 11u);
    }
}

BOOST_AUTO_TEST_SUITE_END()
