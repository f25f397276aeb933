// The ledger rules, through fold(): every rejection the ledger promises, and the bookkeeping of
// accepted events (double entry, pending claims, idempotency). Keys here are plain 32-byte
// values: fold() trusts its caller to have verified the signature.
#include <boost/test/unit_test.hpp>

#include <set>

#include "ledger/core/crypto.h"
#include "ledger/core/personal.h"
#include "ledger/core/rules.h"
#include "tests/support/test_ids.h"
#include "tests/support/test_keys.h"

using namespace uurwerk;
using uurwerk::testing::id_of;
using uurwerk::testing::key_of;

namespace {

digest digest_of_text(std::string_view text) {
    return commit_text(personal_salt{}, text);
}

digest digest_of(const event_body& b) {
    // Distinct content gets a distinct digest: the encoded bytes, folded into 32 bytes.
    digest d;
    auto bytes = encode_body(b);
    for (std::size_t i = 0; i < bytes.size(); ++i)
        d.b[i % 32] ^= bytes[i] + static_cast<std::uint8_t>(i);
    return d;
}

constexpr community_id town{7};
constexpr member_id founder{1}, ann{2}, bob{3}, cor{4};

// A small community under construction, with helpers that fold events and return verdicts.
struct story {
    ledger_state state;
    fold_effects effects;
    std::uint64_t next_offset = 0;
    std::uint32_t next_id = 1;
    std::map<std::uint8_t, std::uint64_t> seqs;
    time_ms now{1'700'000'000'000};

    reject_reason fold_as(std::uint8_t key, member_id author, event_payload payload,
                          std::optional<member_id> on_behalf_of = std::nullopt,
                          event_id* id_out = nullptr) {
        event_body b{id_of(next_id++),  town, author, sequence{++seqs[key]}, now, on_behalf_of,
                     std::move(payload)};
        if (id_out) *id_out = b.id;
        return fold_body(key, b);
    }

    reject_reason fold_body(std::uint8_t key, const event_body& b) {
        auto d = digest_of(b);
        auto k = key_of(key);
        fold_input in{b, k, d, offset{next_offset++}, now};
        effects.clear();
        auto v = fold(state, in, effects);
        if (state.communities.contains(town))
            BOOST_REQUIRE_EQUAL(balance_sum(state.communities.at(town)).value, 0);
        return v.reason;
    }

    const member_state& member(member_id m) { return state.communities.at(town).members.at(m); }

    // The history lines the last event gave member `m`.
    std::size_t lines_of(member_id m) const {
        std::size_t n = 0;
        for (const auto& h : effects.history) n += h.member == m;
        return n;
    }

    // Founded by `founder` (key 1), with ann (2), bob (3) and cor (4, also a coordinator).
    story() {
        policy p{minutes{120}, minutes{600}, minutes{240}};
        BOOST_REQUIRE(fold_as(1, founder, community_founded{"Buurtkring", p}) ==
                      reject_reason::none);
        BOOST_REQUIRE(admit(ann, 2) == reject_reason::none);
        BOOST_REQUIRE(admit(bob, 3) == reject_reason::none);
        BOOST_REQUIRE(admit(cor, 4, role::coordinator) == reject_reason::none);
    }

    reject_reason admit(member_id m, std::uint8_t key, role r = role::member) {
        return fold_as(1, founder, member_admitted{m, key_of(key), r, true, std::nullopt});
    }

    event_id claim(std::uint8_t key, member_id helper, member_id receiver, std::int64_t mins,
                   reject_reason expect = reject_reason::none) {
        event_id id;
        auto r =
            fold_as(key, helper, hours_claimed{receiver, minutes{mins}, std::nullopt, std::nullopt},
                    std::nullopt, &id);
        BOOST_REQUIRE_EQUAL(reason_name(r), reason_name(expect));
        return id;
    }
};

#define CHECK_REASON(expr, expected) \
    BOOST_CHECK_EQUAL(reason_name(expr), reason_name(reject_reason::expected))

}  // namespace

BOOST_AUTO_TEST_SUITE(rules)

BOOST_AUTO_TEST_CASE(a_confirmed_claim_moves_minutes_from_receiver_to_helper) {
    story s;
    auto c = s.claim(2, ann, bob, 90);
    BOOST_CHECK_EQUAL(s.member(ann).pending_in.value, 90);
    BOOST_CHECK_EQUAL(s.member(bob).pending_out.value, 90);
    BOOST_CHECK_EQUAL(s.member(ann).balance.value, 0);
    CHECK_REASON(s.fold_as(3, bob, hours_confirmed{c}), none);
    BOOST_CHECK_EQUAL(s.member(ann).balance.value, 90);
    BOOST_CHECK_EQUAL(s.member(bob).balance.value, -90);
    BOOST_CHECK_EQUAL(s.member(ann).pending_in.value, 0);
    BOOST_CHECK_EQUAL(s.member(bob).pending_out.value, 0);
    BOOST_CHECK_EQUAL(s.member(ann).confirmed_given.value, 90);
}

BOOST_AUTO_TEST_CASE(a_claim_is_confirmed_once_and_never_by_its_claimant) {
    story s;
    auto c = s.claim(2, ann, bob, 60);
    CHECK_REASON(s.fold_as(2, ann, hours_confirmed{c}), cannot_confirm_own_claim);
    CHECK_REASON(s.fold_as(3, bob, hours_confirmed{c}), none);
    CHECK_REASON(s.fold_as(3, bob, hours_confirmed{c}), claim_not_pending);
    BOOST_CHECK_EQUAL(s.member(ann).balance.value, 60);
}

BOOST_AUTO_TEST_CASE(only_the_receiver_or_a_coordinator_confirms) {
    story s;
    BOOST_REQUIRE(s.admit(member_id{5}, 5) == reject_reason::none);
    auto c = s.claim(2, ann, bob, 30);
    CHECK_REASON(s.fold_as(5, member_id{5}, hours_confirmed{c}), not_claim_receiver);
    CHECK_REASON(s.fold_as(3, bob, hours_confirmed{id_of(999)}), unknown_claim);
}

BOOST_AUTO_TEST_CASE(confirming_past_the_credit_limit_is_rejected_and_changes_nothing) {
    story s;  // credit limit 120, claim max 240
    auto c1 = s.claim(2, ann, bob, 100);
    CHECK_REASON(s.fold_as(3, bob, hours_confirmed{c1}), none);
    auto c2 = s.claim(2, ann, bob, 30);
    CHECK_REASON(s.fold_as(3, bob, hours_confirmed{c2}), credit_limit_exceeded);
    BOOST_CHECK_EQUAL(s.member(bob).balance.value, -100);
    BOOST_CHECK_EQUAL(s.member(ann).balance.value, 100);
    BOOST_CHECK_EQUAL(s.member(bob).pending_out.value, 30);  // still pending, can be retried
}

BOOST_AUTO_TEST_CASE(a_balance_may_not_pass_the_maximum) {
    story s;  // balance max 600
    BOOST_REQUIRE(
        s.fold_as(1, founder, policy_changed{policy{minutes{1000}, minutes{200}, minutes{240}}}) ==
        reject_reason::none);
    auto c1 = s.claim(2, ann, bob, 200);
    CHECK_REASON(s.fold_as(3, bob, hours_confirmed{c1}), none);
    CHECK_REASON(s.fold_as(4, cor, transfer{ann, minutes{1}, std::nullopt}), balance_max_exceeded);
    CHECK_REASON(s.fold_as(4, cor, transfer{ann, minutes{1000}, std::nullopt}), amount_over_policy);
}

BOOST_AUTO_TEST_CASE(transfers_move_minutes_and_the_fund_takes_gifts) {
    story s;
    CHECK_REASON(s.fold_as(2, ann, transfer{bob, minutes{50}, std::nullopt}), none);
    CHECK_REASON(s.fold_as(2, ann, transfer{community_fund, minutes{20}, std::nullopt}), none);
    BOOST_CHECK_EQUAL(s.member(ann).balance.value, -70);
    BOOST_CHECK_EQUAL(s.member(bob).balance.value, 50);
    BOOST_CHECK_EQUAL(s.state.communities.at(town).fund.value, 20);
    CHECK_REASON(s.fold_as(2, ann, transfer{ann, minutes{5}, std::nullopt}), self_dealing);
    CHECK_REASON(s.fold_as(2, ann, transfer{member_id{99}, minutes{5}, std::nullopt}),
                 unknown_member);
    CHECK_REASON(s.fold_as(2, ann, transfer{bob, minutes{51}, std::nullopt}),
                 credit_limit_exceeded);
}

BOOST_AUTO_TEST_CASE(an_unknown_community_is_rejected) {
    story s;
    event_body b{id_of(500),
                 community_id{8},
                 ann,
                 sequence{9},
                 s.now,
                 std::nullopt,
                 transfer{bob, minutes{5}, std::nullopt}};
    CHECK_REASON(s.fold_body(2, b), unknown_community);
    CHECK_REASON(s.fold_as(9, member_id{9}, community_founded{"Again", policy{}}),
                 community_exists);
}

BOOST_AUTO_TEST_CASE(unknown_foreign_and_revoked_keys_are_rejected) {
    story s;
    CHECK_REASON(s.fold_as(42, ann, transfer{bob, minutes{5}, std::nullopt}), unknown_signer);
    CHECK_REASON(s.fold_as(3, ann, transfer{bob, minutes{5}, std::nullopt}), signer_not_author);
    CHECK_REASON(s.fold_as(2, ann, key_revoked{ann, key_of(2)}), none);
    CHECK_REASON(s.fold_as(2, ann, transfer{bob, minutes{5}, std::nullopt}), signer_revoked);
    CHECK_REASON(s.fold_as(3, bob, key_revoked{ann, key_of(5)}), not_coordinator);
}

BOOST_AUTO_TEST_CASE(a_member_signs_with_a_key_per_device_each_with_its_own_sequence) {
    story s;
    CHECK_REASON(s.fold_as(2, ann, key_added{ann, key_of(22)}), none);
    CHECK_REASON(s.fold_as(22, ann, transfer{bob, minutes{5}, std::nullopt}),
                 none);  // seq 1 on key 22
    CHECK_REASON(s.fold_as(2, ann, transfer{bob, minutes{5}, std::nullopt}),
                 none);  // seq 2 on key 2
    CHECK_REASON(s.fold_as(3, bob, key_added{bob, key_of(22)}), key_in_use);
}

BOOST_AUTO_TEST_CASE(a_sequence_number_must_increase_per_key) {
    story s;
    event_body b{id_of(600),
                 town,
                 ann,
                 sequence{5},
                 s.now,
                 std::nullopt,
                 transfer{bob, minutes{5}, std::nullopt}};
    CHECK_REASON(s.fold_body(2, b), none);
    b.id = id_of(601);
    CHECK_REASON(s.fold_body(2, b), seq_not_increasing);
    b.id = id_of(602);
    b.seq = sequence{4};
    CHECK_REASON(s.fold_body(2, b), seq_not_increasing);
}

BOOST_AUTO_TEST_CASE(the_same_event_again_keeps_its_first_verdict_and_changes_nothing) {
    story s;
    event_body b{id_of(700),
                 town,
                 ann,
                 sequence{1},
                 s.now,
                 std::nullopt,
                 transfer{bob, minutes{10}, std::nullopt}};
    CHECK_REASON(s.fold_body(2, b), none);
    CHECK_REASON(s.fold_body(2, b), duplicate_event);
    BOOST_CHECK_EQUAL(s.member(bob).balance.value, 10);
    BOOST_CHECK(s.state.seen.at(scoped_id{town, b.id}).first.accepted());
    auto other = b;
    other.seq = sequence{2};
    std::get<transfer>(other.payload).amount = minutes{11};
    CHECK_REASON(s.fold_body(2, other), id_reused_with_different_content);
    BOOST_CHECK_EQUAL(s.member(bob).balance.value, 10);
}

BOOST_AUTO_TEST_CASE(a_delegate_posts_for_an_elderly_member_only_within_the_delegation) {
    story s;
    request_posted req{{category::shopping, std::nullopt, intensity::regularly, "3512", 0}};
    CHECK_REASON(s.fold_as(3, bob, req, ann), not_delegated);
    CHECK_REASON(
        s.fold_as(2, ann, delegation_granted{bob, {event_kind::request_posted}, time_ms{0}}), none);
    event_id post;
    CHECK_REASON(s.fold_as(3, bob, req, ann, &post), none);
    BOOST_CHECK(s.state.communities.at(town).posts.at(post).owner == ann);
    CHECK_REASON(s.fold_as(3, bob, transfer{bob, minutes{5}, std::nullopt}, ann), not_delegated);
    CHECK_REASON(s.fold_as(2, ann, delegation_revoked{bob}), none);
    CHECK_REASON(s.fold_as(3, bob, req, ann), not_delegated);
    CHECK_REASON(s.fold_as(2, ann, delegation_granted{ann, {event_kind::transfer}, time_ms{0}}),
                 delegation_to_self);
}

BOOST_AUTO_TEST_CASE(a_delegation_expires_on_the_logs_clock) {
    story s;
    CHECK_REASON(s.fold_as(2, ann,
                           delegation_granted{
                               bob, {event_kind::request_posted}, time_ms{s.now.value + 1000}}),
                 none);
    request_posted req{{category::companionship, std::nullopt, intensity::sometimes, "", 0}};
    CHECK_REASON(s.fold_as(3, bob, req, ann), none);
    s.now = time_ms{s.now.value + 1000};
    CHECK_REASON(s.fold_as(3, bob, req, ann), not_delegated);
}

BOOST_AUTO_TEST_CASE(a_coordinator_acts_for_a_member_without_a_key_only_through_a_proxy) {
    story s;
    const member_id oma{9};
    request_posted req{{category::lifts, std::nullopt, intensity::once, "3512", 0}};
    // Admitted with no key (no device).
    CHECK_REASON(s.fold_as(1, founder, member_admitted{oma, std::nullopt, role::member, true}),
                 none);
    // A coordinator has no power of their own to act for her...
    CHECK_REASON(s.fold_as(4, cor, req, oma), not_delegated);
    // ...until a coordinator records a proxy for her: here the neighbour bob, for requests.
    CHECK_REASON(
        s.fold_as(3, bob, delegation_granted{bob, {event_kind::request_posted}, time_ms{0}, oma}),
        not_coordinator);
    CHECK_REASON(
        s.fold_as(4, cor, delegation_granted{bob, {event_kind::request_posted}, time_ms{0}, oma}),
        none);
    const auto& d = s.state.communities.at(town).delegations.at({oma, bob});
    BOOST_CHECK(d.proxy);  // marked as such
    event_id post;
    CHECK_REASON(s.fold_as(3, bob, req, oma, &post), none);
    BOOST_CHECK(s.state.communities.at(town).posts.at(post).owner == oma);
    // Still no transfer: the proxy names requests only.
    CHECK_REASON(s.fold_as(3, bob, transfer{bob, minutes{5}, std::nullopt}, oma), not_delegated);
    // A proxy only for a member with no key of her own: ann has one.
    CHECK_REASON(
        s.fold_as(4, cor, delegation_granted{bob, {event_kind::transfer}, time_ms{0}, ann}),
        member_has_key);
    // A proxy carries no more than a member's own kinds.
    CHECK_REASON(
        s.fold_as(4, cor, delegation_granted{bob, {event_kind::key_added}, time_ms{0}, oma}),
        kind_not_delegable);
    // A coordinator ends the proxy; the grantor's own delegations are not theirs to end.
    CHECK_REASON(s.fold_as(2, ann, delegation_granted{bob, {event_kind::transfer}, time_ms{0}}),
                 none);
    CHECK_REASON(s.fold_as(4, cor, delegation_revoked{bob, ann}), unknown_delegation);
    CHECK_REASON(s.fold_as(4, cor, delegation_revoked{bob, oma}), none);
    CHECK_REASON(s.fold_as(3, bob, req, oma), not_delegated);
}

BOOST_AUTO_TEST_CASE(a_coordinator_never_holds_a_key_or_a_proxy_beside_a_members_own) {
    // The attacks: a coordinator adds a key of their own to a member's account, or revokes the
    // member's key and records themselves as the member's proxy, then spends as the member.
    story s;
    CHECK_REASON(s.fold_as(1, founder, key_added{ann, key_of(40)}), member_has_key);
    CHECK_REASON(s.fold_as(1, founder, key_revoked{ann, key_of(2)}), none);
    BOOST_CHECK_EQUAL(s.lines_of(ann), 1u);  // in her history, naming who did it
    BOOST_CHECK(s.effects.history[0].counterparty == founder);
    CHECK_REASON(
        s.fold_as(1, founder, delegation_granted{founder, {event_kind::transfer}, time_ms{0}, ann}),
        delegation_to_self);
    CHECK_REASON(s.fold_as(1, founder,
                           delegation_granted{bob, {event_kind::hours_confirmed}, time_ms{0}, ann}),
                 none);
    BOOST_CHECK(s.state.communities.at(town).delegations.contains({ann, bob}));
    // Her lost key replaced (she has none now): in her history; and the proxy ends, since she
    // acts for herself again.
    CHECK_REASON(s.fold_as(1, founder, key_added{ann, key_of(41)}), none);
    BOOST_CHECK_EQUAL(s.lines_of(ann), 1u);
    BOOST_CHECK(!s.state.communities.at(town).delegations.contains({ann, bob}));
    auto c = s.claim(4, cor, ann, 20);
    CHECK_REASON(s.fold_as(3, bob, hours_confirmed{c}, ann), not_delegated);
    CHECK_REASON(s.fold_as(41, ann, hours_confirmed{c}), none);
}

BOOST_AUTO_TEST_CASE(a_rejected_founding_takes_no_id) {
    story s;
    const community_id later{12};
    policy bad;
    bad.fairness.proposals_per_request = 999;
    event_body founding{id_of(950),
                        later,
                        member_id{1},
                        sequence{1},
                        s.now,
                        std::nullopt,
                        community_founded{"Later", bad}};
    CHECK_REASON(s.fold_body(60, founding), fairness_knob_out_of_range);
    BOOST_CHECK(!s.state.seen.contains(scoped_id{later, id_of(950)}));
    BOOST_CHECK(!s.state.communities.contains(later));
    // The same id founds it once the policy is right: a new event, not a reuse.
    founding.seq = sequence{2};
    founding.payload = community_founded{"Later", policy{}};
    CHECK_REASON(s.fold_body(60, founding), none);
}

BOOST_AUTO_TEST_CASE(a_coordinator_cannot_spend_or_confirm_for_a_member) {
    story s;
    // The attack: a coordinator moves a member's minutes to themselves.
    CHECK_REASON(s.fold_as(1, founder, transfer{founder, minutes{100}, std::nullopt}, ann),
                 not_delegated);
    BOOST_CHECK_EQUAL(s.member(ann).balance.value, 0);
    BOOST_CHECK_EQUAL(s.member(founder).balance.value, 0);
    // Nor confirms a claim on a member's account, which moves the member's minutes.
    auto c = s.claim(4, cor, bob, 60);
    CHECK_REASON(s.fold_as(1, founder, hours_confirmed{c}), not_claim_receiver);
    CHECK_REASON(s.fold_as(1, founder, hours_confirmed{c}, bob), not_delegated);
    BOOST_CHECK_EQUAL(s.member(bob).balance.value, 0);
    // Nor accepts a proposal for a member (a coordinator may end a match: moderation).
    CHECK_REASON(s.fold_as(3, bob, hours_confirmed{c}), none);
}

BOOST_AUTO_TEST_CASE(a_delegate_never_takes_over_the_account) {
    // The attack: granted only delegationGranted for 60 seconds, the delegate acting for the
    // grantor grants themselves every kind with no expiry, adds their key to the grantor's
    // account, revokes the grantor's key, and moves minutes after the 60 seconds.
    story s;
    CHECK_REASON(
        s.fold_as(2, ann,
                  delegation_granted{
                      bob, {event_kind::delegation_granted}, time_ms{s.now.value + 60'000}}),
        kind_not_delegable);
    for (auto k : {event_kind::delegation_revoked, event_kind::key_added, event_kind::key_revoked,
                   event_kind::member_admitted, event_kind::reversal, event_kind::policy_changed,
                   event_kind::post_hidden, event_kind::checkpoint})
        CHECK_REASON(
            s.fold_as(2, ann, delegation_granted{bob, {event_kind::transfer, k}, time_ms{0}}),
            kind_not_delegable);
    // Even where a delegation of old named them, acting for another never signs them.
    CHECK_REASON(
        s.fold_as(2, ann,
                  delegation_granted{bob, {event_kind::transfer}, time_ms{s.now.value + 60'000}}),
        none);
    std::vector<event_kind> every;
    for (std::size_t k = 0; k < event_kind_count; ++k) every.push_back(event_kind(k));
    CHECK_REASON(s.fold_as(3, bob, delegation_granted{bob, every, time_ms{0}}, ann), not_delegated);
    CHECK_REASON(
        s.fold_as(3, bob, delegation_granted{cor, {event_kind::transfer}, time_ms{0}}, ann),
        not_delegated);
    CHECK_REASON(s.fold_as(3, bob, delegation_revoked{bob}, ann), not_delegated);
    CHECK_REASON(s.fold_as(3, bob, key_added{ann, key_of(33)}, ann), not_delegated);
    CHECK_REASON(s.fold_as(3, bob, key_revoked{ann, key_of(2)}, ann), not_delegated);
    BOOST_CHECK(!s.state.communities.at(town).keys.contains(key_of(33)));
    BOOST_CHECK(!s.state.communities.at(town).keys.at(key_of(2)).revoked);
    // Within the delegation's time and kind, it works; after it, it does not.
    CHECK_REASON(s.fold_as(3, bob, transfer{bob, minutes{5}, std::nullopt}, ann), none);
    s.now = time_ms{s.now.value + 60'000};
    CHECK_REASON(s.fold_as(3, bob, transfer{bob, minutes{5}, std::nullopt}, ann), not_delegated);
    BOOST_CHECK_EQUAL(s.member(ann).balance.value, -5);
    // A delegate who is a coordinator has no coordinator's power while acting for a member.
    CHECK_REASON(
        s.fold_as(2, ann, delegation_granted{cor, {event_kind::hours_disputed}, time_ms{0}}), none);
    auto c = s.claim(3, bob, founder, 30);
    CHECK_REASON(s.fold_as(4, cor, hours_disputed{c, std::nullopt}, ann), not_claim_receiver);
}

BOOST_AUTO_TEST_CASE(only_coordinators_admit_suspend_set_policy_and_reverse) {
    story s;
    CHECK_REASON(
        s.fold_as(2, ann,
                  member_admitted{member_id{9}, key_of(9), role::member, false, std::nullopt}),
        not_coordinator);
    CHECK_REASON(s.fold_as(2, ann, member_suspended{bob, std::nullopt}), not_coordinator);
    CHECK_REASON(s.fold_as(2, ann, policy_changed{policy{}}), not_coordinator);
    auto c = s.claim(2, ann, bob, 30);
    CHECK_REASON(s.fold_as(3, bob, hours_confirmed{c}), none);
    CHECK_REASON(s.fold_as(2, ann, reversal{c, std::nullopt}), not_coordinator);
    CHECK_REASON(s.admit(ann, 9), member_exists);
    CHECK_REASON(s.admit(member_id{9}, 2), key_in_use);
}

// A coordinator verifies a member admitted unverified; nobody else can, the member themselves
// included. A member's last activity is the log's clock at their last accepted event.
BOOST_AUTO_TEST_CASE(only_coordinators_verify_and_last_activity_follows_accepted_events) {
    story s;
    const member_id newcomer{9};
    CHECK_REASON(s.fold_as(1, founder,
                           member_admitted{newcomer, key_of(9), role::member, false, std::nullopt}),
                 none);
    BOOST_CHECK(!s.member(newcomer).verified);
    BOOST_CHECK_EQUAL(s.member(newcomer).last_active.value, s.now.value);  // admitted then
    const time_ms admitted = s.now;
    s.now = time_ms{s.now.value + 60'000};
    CHECK_REASON(s.fold_as(2, ann, member_verified{newcomer}), not_coordinator);
    CHECK_REASON(s.fold_as(9, newcomer, member_verified{newcomer}), not_coordinator);
    BOOST_CHECK(!s.member(newcomer).verified);
    BOOST_CHECK_EQUAL(s.member(newcomer).last_active.value, admitted.value);  // rejected: no
    CHECK_REASON(s.fold_as(1, founder, member_verified{member_id{99}}), unknown_member);
    CHECK_REASON(s.fold_as(1, founder, member_verified{newcomer}), none);
    BOOST_CHECK(s.member(newcomer).verified);
    BOOST_CHECK_EQUAL(s.member(newcomer).last_active.value, admitted.value);  // not theirs
    CHECK_REASON(s.fold_as(9, newcomer, transfer{ann, minutes{5}, std::nullopt}), none);
    BOOST_CHECK_EQUAL(s.member(newcomer).last_active.value, s.now.value);
    BOOST_CHECK_EQUAL(s.member(founder).last_active.value, admitted.value + 60'000);
}

BOOST_AUTO_TEST_CASE(a_reversal_undoes_a_confirmed_claim_once_and_leaves_a_trace) {
    story s;
    auto c = s.claim(2, ann, bob, 45);
    CHECK_REASON(s.fold_as(1, founder, reversal{c, std::nullopt}), not_reversible);
    CHECK_REASON(s.fold_as(3, bob, hours_confirmed{c}), none);
    CHECK_REASON(s.fold_as(1, founder, reversal{c, std::nullopt}), none);
    BOOST_CHECK_EQUAL(s.member(ann).balance.value, 0);
    BOOST_CHECK_EQUAL(s.member(bob).balance.value, 0);
    BOOST_CHECK_EQUAL(s.member(ann).confirmed_given.value, 0);
    CHECK_REASON(s.fold_as(1, founder, reversal{c, std::nullopt}), already_reversed);
    CHECK_REASON(s.fold_as(1, founder, reversal{id_of(12345), std::nullopt}), unknown_target);
    event_id t;
    CHECK_REASON(s.fold_as(2, ann, transfer{bob, minutes{15}, std::nullopt}, std::nullopt, &t),
                 none);
    CHECK_REASON(s.fold_as(1, founder, reversal{t, std::nullopt}), none);
    BOOST_CHECK_EQUAL(s.member(bob).balance.value, 0);
}

BOOST_AUTO_TEST_CASE(a_suspended_member_cannot_act_until_reinstated) {
    story s;
    CHECK_REASON(s.fold_as(1, founder, member_suspended{ann, std::nullopt}), none);
    CHECK_REASON(s.fold_as(2, ann, transfer{bob, minutes{5}, std::nullopt}), member_suspended);
    CHECK_REASON(s.fold_as(3, bob, request_posted{}, ann), not_delegated);
    CHECK_REASON(
        s.fold_as(2, ann, delegation_granted{bob, {event_kind::request_posted}, time_ms{0}}),
        member_suspended);
    CHECK_REASON(s.fold_as(1, founder, member_reinstated{ann}), none);
    CHECK_REASON(s.fold_as(2, ann, transfer{bob, minutes{5}, std::nullopt}), none);
}

BOOST_AUTO_TEST_CASE(claims_to_oneself_and_over_the_policy_are_refused) {
    story s;
    s.claim(2, ann, ann, 10, reject_reason::self_dealing);
    s.claim(2, ann, bob, 241, reject_reason::amount_over_policy);
    s.claim(2, ann, member_id{77}, 10, reject_reason::unknown_member);
}

BOOST_AUTO_TEST_CASE(a_disputed_claim_is_still_confirmed_by_its_receiver_only) {
    story s;
    auto c = s.claim(2, ann, bob, 30);
    CHECK_REASON(s.fold_as(3, bob, hours_disputed{c, std::nullopt}), none);
    BOOST_CHECK(s.state.communities.at(town).claims.at(c).status == claim_status::disputed);
    CHECK_REASON(s.fold_as(3, bob, hours_disputed{c, std::nullopt}), claim_not_pending);
    CHECK_REASON(s.fold_as(4, cor, hours_confirmed{c}), not_claim_receiver);
    CHECK_REASON(s.fold_as(3, bob, hours_confirmed{c}), none);
    BOOST_CHECK_EQUAL(s.member(ann).balance.value, 30);
}

BOOST_AUTO_TEST_CASE(a_node_key_is_revoked_by_a_coordinator_and_signs_nothing_after) {
    story s;
    CHECK_REASON(s.fold_as(1, founder, node_key_announced{key_of(100)}), none);
    // Not by a member, not as another member's key, not a member's key as a node key.
    CHECK_REASON(s.fold_as(2, ann, key_revoked{community_fund, key_of(100)}), not_coordinator);
    CHECK_REASON(s.fold_as(1, founder, key_revoked{ann, key_of(100)}), unknown_key);
    CHECK_REASON(s.fold_as(1, founder, key_revoked{community_fund, key_of(2)}), unknown_key);
    CHECK_REASON(s.fold_as(100, community_fund, checkpoint{0, digest{}, s.now}), none);
    CHECK_REASON(s.fold_as(4, cor, key_revoked{community_fund, key_of(100)}), none);
    CHECK_REASON(s.fold_as(100, community_fund, checkpoint{0, digest{}, s.now}), signer_revoked);
    CHECK_REASON(s.fold_as(4, cor, key_revoked{community_fund, key_of(100)}), unknown_key);
    CHECK_REASON(s.fold_as(1, founder, node_key_announced{key_of(100)}), key_in_use);
    CHECK_REASON(s.fold_as(1, founder, node_key_announced{key_of(101)}), none);
    CHECK_REASON(s.fold_as(101, community_fund, checkpoint{0, digest{}, s.now}), none);
}

BOOST_AUTO_TEST_CASE(ids_are_scoped_by_community) {
    // The attack: in a community of their own, someone signs events with ids that another
    // community uses or will derive (its proposals and checkpoints), to make them duplicates.
    story s;
    const community_id other{8};
    event_body theirs{id_of(900),
                      other,
                      member_id{1},
                      sequence{1},
                      s.now,
                      std::nullopt,
                      community_founded{"Elders", policy{}}};
    CHECK_REASON(s.fold_body(50, theirs), none);
    event_body squat{id_of(901),
                     other,
                     member_id{1},
                     sequence{2},
                     s.now,
                     std::nullopt,
                     transfer{community_fund, minutes{1}, std::nullopt}};
    CHECK_REASON(s.fold_body(50, squat), none);
    // The same id in town is a new event, not a duplicate nor a reuse.
    event_body mine{id_of(901),
                    town,
                    ann,
                    sequence{1},
                    s.now,
                    std::nullopt,
                    transfer{bob, minutes{3}, std::nullopt}};
    CHECK_REASON(s.fold_body(2, mine), none);
    BOOST_CHECK_EQUAL(s.member(bob).balance.value, 3);
    CHECK_REASON(s.fold_body(2, mine), duplicate_event);
    BOOST_CHECK(s.state.seen.at(scoped_id{town, id_of(901)}).at !=
                s.state.seen.at(scoped_id{other, id_of(901)}).at);
    // An event of no community takes no id: once the community exists, the id is free.
    const community_id later{9};
    event_body early{id_of(902),
                     later,
                     member_id{1},
                     sequence{3},
                     s.now,
                     std::nullopt,
                     transfer{community_fund, minutes{1}, std::nullopt}};
    CHECK_REASON(s.fold_body(50, early), unknown_community);
    BOOST_CHECK(!s.state.seen.contains(scoped_id{later, id_of(902)}));
    event_body founding{id_of(902),
                        later,
                        member_id{1},
                        sequence{4},
                        s.now,
                        std::nullopt,
                        community_founded{"Later", policy{}}};
    CHECK_REASON(s.fold_body(50, founding), none);
}

BOOST_AUTO_TEST_CASE(posts_are_withdrawn_by_their_owner_and_hidden_by_coordinators) {
    story s;
    event_id offer;
    CHECK_REASON(
        s.fold_as(2, ann,
                  offer_posted{{category::gardening, std::nullopt, intensity::once, "3512", 7}},
                  std::nullopt, &offer),
        none);
    CHECK_REASON(s.fold_as(3, bob, post_withdrawn{offer}), not_post_owner);
    CHECK_REASON(s.fold_as(3, bob, post_hidden{offer, std::nullopt}), not_coordinator);
    CHECK_REASON(s.fold_as(4, cor, post_hidden{offer, std::nullopt}), none);
    CHECK_REASON(s.fold_as(2, ann, post_withdrawn{offer}), post_not_open);
    CHECK_REASON(s.fold_as(2, ann, post_withdrawn{id_of(4444)}), unknown_post);
}

BOOST_AUTO_TEST_CASE(proposals_come_from_node_keys_only_and_node_keys_sign_nothing_else) {
    story s;
    event_id offer, request;
    BOOST_REQUIRE(s.fold_as(2, ann,
                            offer_posted{{category::meals, std::nullopt, intensity::once, "", 0}},
                            std::nullopt, &offer) == reject_reason::none);
    BOOST_REQUIRE(s.fold_as(3, bob,
                            request_posted{{category::meals, std::nullopt, intensity::once, "", 0}},
                            std::nullopt, &request) == reject_reason::none);
    match_proposed p{request, offer, ann, 0, 0};
    CHECK_REASON(s.fold_as(2, ann, p), not_node_key);
    CHECK_REASON(s.fold_as(1, founder, node_key_announced{key_of(100)}), none);
    event_id match;
    CHECK_REASON(s.fold_as(100, community_fund, p, std::nullopt, &match), none);
    CHECK_REASON(s.fold_as(100, community_fund, transfer{bob, minutes{5}, std::nullopt}),
                 node_key_not_allowed);
    CHECK_REASON(s.fold_as(2, ann, match_ended{match}), match_not_open);
    CHECK_REASON(s.fold_as(2, ann, match_accepted{match}), none);
    CHECK_REASON(s.fold_as(3, bob, match_ended{match}), none);
}

BOOST_AUTO_TEST_CASE(endorsements_need_a_confirmed_exchange_between_the_two) {
    story s;
    auto c = s.claim(2, ann, bob, 30);
    CHECK_REASON(s.fold_as(3, bob, endorsement{ann, c, std::nullopt}), no_exchange_to_endorse);
    CHECK_REASON(s.fold_as(3, bob, hours_confirmed{c}), none);
    CHECK_REASON(s.fold_as(3, bob, endorsement{ann, c, std::nullopt}), none);
    CHECK_REASON(s.fold_as(4, cor, endorsement{ann, c, std::nullopt}), no_exchange_to_endorse);
    // One per claim and endorser: the second is refused, the other party may still endorse.
    CHECK_REASON(s.fold_as(3, bob, endorsement{ann, c, std::nullopt}), already_endorsed);
    CHECK_REASON(s.fold_as(2, ann, endorsement{bob, c, std::nullopt}), none);
    CHECK_REASON(s.fold_as(2, ann, endorsement{bob, c, std::nullopt}), already_endorsed);
    BOOST_CHECK_EQUAL(s.state.communities.at(town).endorsements.size(), 2u);
}

BOOST_AUTO_TEST_CASE(a_history_holds_only_what_the_member_or_their_delegate_signed) {
    // The attack: a member signs events naming another member as author or as the member acted
    // for; rejected, they must not appear in the victim's history.
    story s;
    CHECK_REASON(s.fold_as(3, ann, transfer{bob, minutes{5}, std::nullopt}), signer_not_author);
    BOOST_CHECK_EQUAL(s.effects.history.size(), 0u);
    CHECK_REASON(s.fold_as(3, bob, transfer{bob, minutes{5}, std::nullopt}, ann), not_delegated);
    BOOST_CHECK_EQUAL(s.lines_of(ann), 0u);
    BOOST_CHECK_EQUAL(s.lines_of(bob), 1u);  // the signer's own rejected event is in their history
    // A delegate's rejected event is the member's business too.
    CHECK_REASON(s.fold_as(2, ann, delegation_granted{bob, {event_kind::transfer}, time_ms{0}}),
                 none);
    CHECK_REASON(s.fold_as(3, bob, transfer{bob, minutes{1000}, std::nullopt}, ann),
                 amount_over_policy);
    BOOST_CHECK_EQUAL(s.lines_of(ann), 1u);
    BOOST_CHECK_EQUAL(s.lines_of(bob), 1u);
    // Granting a delegation again and again writes nothing into the delegate's history.
    CHECK_REASON(s.fold_as(2, ann, delegation_granted{cor, {event_kind::transfer}, time_ms{0}}),
                 none);
    BOOST_CHECK_EQUAL(s.lines_of(cor), 0u);
    // A delegate acting for a member who was suspended since: refused as the member's.
    CHECK_REASON(s.fold_as(1, founder, member_suspended{ann, std::nullopt}), none);
    CHECK_REASON(s.fold_as(4, cor, transfer{cor, minutes{1}, std::nullopt}, ann), member_suspended);
}

BOOST_AUTO_TEST_CASE(history_lines_name_each_member_concerned_with_their_deltas) {
    story s;
    auto c = s.claim(2, ann, bob, 90);
    s.fold_as(3, bob, hours_confirmed{c});
    BOOST_REQUIRE_EQUAL(s.effects.history.size(), 2u);
    for (const auto& h : s.effects.history) {
        BOOST_CHECK(h.kind == event_kind::hours_confirmed);
        if (h.member == ann) {
            BOOST_CHECK_EQUAL(h.balance_delta.value, 90);
            BOOST_CHECK(h.counterparty == bob);
        } else {
            BOOST_CHECK(h.member == bob);
            BOOST_CHECK_EQUAL(h.balance_delta.value, -90);
        }
    }
    s.fold_as(2, ann, transfer{bob, minutes{1000}, std::nullopt});
    BOOST_REQUIRE_EQUAL(s.effects.history.size(), 1u);  // a rejection is in the author's history
    CHECK_REASON(s.effects.history[0].reason, amount_over_policy);
}

BOOST_AUTO_TEST_CASE(every_reason_has_a_distinct_name) {
    std::set<std::string_view> names;
    for (std::uint16_t i = 0; i <= reject_reason_max; ++i)
        names.insert(reason_name(static_cast<reject_reason>(i)));
    BOOST_CHECK_EQUAL(names.size(), reject_reason_max + 1u);
}

// A profile is set by its member, their delegate (with a delegation of profileUpdated), or a
// coordinator; never by another member, and never again for a member who left.
BOOST_AUTO_TEST_CASE(a_profile_is_the_members_own_their_delegates_or_a_coordinators) {
    story s;
    const digest first = digest_of_text("name=Ann\n"), second = digest_of_text("name=Ann B\n");
    event_id id;
    CHECK_REASON(s.fold_as(2, ann, profile_updated{ann, first}, std::nullopt, &id), none);
    BOOST_CHECK(s.member(ann).profile_event == id);
    BOOST_CHECK(s.member(ann).profile_digest == first);
    BOOST_CHECK_EQUAL(s.lines_of(ann), 1u);
    // Bob, another member, may not; nor as ann's delegate before she lets him.
    CHECK_REASON(s.fold_as(3, bob, profile_updated{ann, second}), not_coordinator);
    CHECK_REASON(s.fold_as(3, bob, profile_updated{ann, second}, ann), not_delegated);
    CHECK_REASON(
        s.fold_as(2, ann, delegation_granted{bob, {event_kind::profile_updated}, time_ms{0}}),
        none);
    CHECK_REASON(s.fold_as(3, bob, profile_updated{ann, second}, ann, &id), none);
    BOOST_CHECK(s.member(ann).profile_event == id);
    BOOST_CHECK(s.member(ann).profile_digest == second);
    CHECK_REASON(s.fold_as(4, cor, profile_updated{bob, first}), none);  // a coordinator
    CHECK_REASON(s.fold_as(4, cor, profile_updated{member_id{99}, first}), unknown_member);
    // Admitted with a profile: the coordinator's memberAdmitted commits to it.
    CHECK_REASON(
        s.fold_as(1, founder, member_admitted{member_id{20}, key_of(20), role::member, true, first},
                  std::nullopt, &id),
        none);
    BOOST_CHECK(s.member(member_id{20}).profile_event == id);
    // A member who left gets no new profile, from anyone.
    CHECK_REASON(s.fold_as(20, member_id{20}, member_left{member_id{20}}), none);
    CHECK_REASON(s.fold_as(4, cor, profile_updated{member_id{20}, second}), member_has_left);
    BOOST_CHECK(s.member(member_id{20}).profile_digest == first);
}

// An auditor is appointed by a coordinator for themselves, for at most 366 days from the log's
// time; never by another member or a delegate. At most 16 at a time; an appointment whose end
// passed makes room; an end at or before the event's time ends the appointment.
BOOST_AUTO_TEST_CASE(auditors_are_a_coordinators_to_appoint_for_at_most_a_year) {
    story s;
    const auto auditors = [&] { return s.state.communities.at(town).auditors; };
    const time_ms hour{s.now.value + 3'600'000};
    const public_key auditor = key_of(50);
    CHECK_REASON(s.fold_as(2, ann, auditor_appointed{auditor, hour}), not_coordinator);
    // Not a kind a member may delegate, so a delegate of the coordinator cannot either.
    CHECK_REASON(s.fold_as(4, cor, delegation_granted{ann, {event_kind::auditor_appointed}, {}}),
                 kind_not_delegable);
    CHECK_REASON(s.fold_as(2, ann, auditor_appointed{auditor, hour}, cor), not_delegated);
    BOOST_CHECK(auditors().empty());
    // A coordinator, for up to 366 days.
    const time_ms year{s.now.value + auditor_term_ms_max};
    CHECK_REASON(s.fold_as(4, cor, auditor_appointed{auditor, time_ms{year.value + 1}}),
                 auditor_term_too_long);
    CHECK_REASON(s.fold_as(4, cor, auditor_appointed{auditor, year}), none);
    BOOST_REQUIRE_EQUAL(auditors().size(), 1u);
    BOOST_CHECK(auditors().at(auditor) == year);
    // Appointed again: the new end stands.
    CHECK_REASON(s.fold_as(1, founder, auditor_appointed{auditor, hour}), none);
    BOOST_CHECK(auditors().at(auditor) == hour);
    // Sixteen at a time; a seventeenth is refused and changes nothing.
    for (std::uint8_t k = 51; k < 51 + auditors_max - 1; ++k)
        CHECK_REASON(s.fold_as(4, cor, auditor_appointed{key_of(k), hour}), none);
    BOOST_REQUIRE_EQUAL(auditors().size(), auditors_max);
    const auto before = auditors();
    CHECK_REASON(s.fold_as(4, cor, auditor_appointed{key_of(90), hour}), too_many_auditors);
    BOOST_CHECK(auditors() == before);
    // Ending one (an end not after now) makes room.
    CHECK_REASON(s.fold_as(4, cor, auditor_appointed{auditor, s.now}), none);
    BOOST_CHECK(!auditors().contains(auditor));
    CHECK_REASON(s.fold_as(4, cor, auditor_appointed{key_of(90), hour}), none);
    // Once the log's clock passes their end, the others make room at the next appointment.
    s.now = hour;
    CHECK_REASON(s.fold_as(4, cor, auditor_appointed{auditor, time_ms{hour.value + 1}}), none);
    BOOST_REQUIRE_EQUAL(auditors().size(), 1u);
    BOOST_CHECK(auditors().contains(auditor));
    // A member who left, or was suspended, appoints no one (a suspended coordinator signs
    // nothing).
    CHECK_REASON(s.fold_as(1, founder, member_suspended{cor, std::nullopt}), none);
    CHECK_REASON(s.fold_as(4, cor, auditor_appointed{key_of(91), time_ms{hour.value + 1}}),
                 member_suspended);
}

// ---------------------------------------------------------------------------------------------
// Invitations (RULES.md, "Invitations").

namespace {

constexpr std::int64_t day_ms = 24 * 3600 * 1000;

invitation_code code_of(std::uint8_t n) {
    invitation_code c;
    c.fill(n);
    return c;
}

invitation_issued invitation(invitation_purpose purpose, member_id m, time_ms until,
                             std::uint8_t code = 1) {
    return invitation_issued{purpose, m, role::member, false, invitation_code_digest(code_of(code)),
                             until};
}

// Issues an invitation (signed with `key` as `author`), and returns its id.
event_id invite(story& s, std::uint8_t key, member_id author, const invitation_issued& x,
                reject_reason expect = reject_reason::none) {
    event_id id;
    BOOST_REQUIRE_EQUAL(reason_name(s.fold_as(key, author, x, std::nullopt, &id)),
                        reason_name(expect));
    return id;
}

// A new key's redemption: seq 1, for itself.
reject_reason redeem(story& s, std::uint8_t key, member_id author, const event_id& invitation,
                     std::uint8_t code = 1) {
    event_body b{id_of(s.next_id++),
                 town,
                 author,
                 sequence{1},
                 s.now,
                 std::nullopt,
                 invitation_redeemed{invitation, code_of(code)}};
    return s.fold_body(key, b);
}

const key_state* key_in(story& s, std::uint8_t key) {
    const auto& keys = s.state.communities.at(town).keys;
    auto it = keys.find(key_of(key));
    return it == keys.end() ? nullptr : &it->second;
}

const invitation_state& invitation_in(story& s, const event_id& id) {
    return s.state.communities.at(town).invitations.at(id);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_coordinator_invites_a_newcomer_who_joins_with_a_key_of_their_own) {
    story s;
    const member_id dee{10};
    auto x = invitation(invitation_purpose::join, dee, time_ms{s.now.value + day_ms});
    x.member_role = role::coordinator;
    x.verified = true;
    const auto inv = invite(s, 4, cor, x);
    BOOST_CHECK(!s.state.communities.at(town).members.contains(dee));
    BOOST_CHECK(invitation_in(s, inv).open_at(s.now));
    CHECK_REASON(redeem(s, 20, dee, inv), none);
    // Admitted with that key, the role and the flag the invitation named.
    BOOST_CHECK(s.member(dee).member_role == role::coordinator);
    BOOST_CHECK(s.member(dee).verified);
    BOOST_CHECK(s.member(dee).admitted_at == s.now);
    BOOST_REQUIRE(key_in(s, 20) != nullptr);
    BOOST_CHECK_EQUAL(key_in(s, 20)->owner.value, dee.value);
    BOOST_CHECK_EQUAL(key_in(s, 20)->last_seq.value, 1u);
    BOOST_CHECK_EQUAL(s.lines_of(dee), 1u);  // the redemption is in the newcomer's history
    BOOST_CHECK(invitation_in(s, inv).used);
    BOOST_CHECK(!invitation_in(s, inv).open_at(s.now));
    // The new key signs on from seq 2 like any member's.
    s.seqs[20] = 1;
    CHECK_REASON(s.fold_as(20, dee, transfer{ann, minutes{10}, std::nullopt}), none);
}

BOOST_AUTO_TEST_CASE(a_plain_member_invites_no_newcomer_and_no_device_of_anothers) {
    story s;
    const time_ms until{s.now.value + day_ms};
    invite(s, 2, ann, invitation(invitation_purpose::join, member_id{10}, until),
           reject_reason::not_coordinator);
    invite(s, 2, ann, invitation(invitation_purpose::add_device, bob, until),
           reject_reason::not_coordinator);
    // Replacing keys is a coordinator's, after checking who the member is: not even one's own.
    invite(s, 2, ann, invitation(invitation_purpose::replace_keys, ann, until),
           reject_reason::not_coordinator);
    BOOST_CHECK(s.state.communities.at(town).invitations.empty());
    // A device of one's own, and a coordinator's for anyone.
    invite(s, 2, ann, invitation(invitation_purpose::add_device, ann, until));
    invite(s, 4, cor, invitation(invitation_purpose::add_device, bob, until));
    invite(s, 4, cor, invitation(invitation_purpose::replace_keys, bob, until));
    BOOST_CHECK_EQUAL(s.state.communities.at(town).invitations.size(), 3u);
}

BOOST_AUTO_TEST_CASE(a_delegate_issues_no_invitation) {
    story s;
    const time_ms until{s.now.value + day_ms};
    // An invitation is no kind a member can delegate.
    CHECK_REASON(s.fold_as(3, bob, delegation_granted{ann, {event_kind::invitation_issued}, {}}),
                 kind_not_delegable);
    CHECK_REASON(s.fold_as(3, bob, delegation_granted{ann, {event_kind::offer_posted}, {}}), none);
    // So ann, bob's delegate, cannot add a device for bob; nor a coordinator acting for him.
    CHECK_REASON(s.fold_as(2, ann, invitation(invitation_purpose::add_device, bob, until), bob),
                 not_delegated);
    CHECK_REASON(s.fold_as(3, bob, delegation_granted{cor, {event_kind::offer_posted}, {}}), none);
    CHECK_REASON(s.fold_as(4, cor, invitation(invitation_purpose::join, member_id{10}, until), bob),
                 not_delegated);
    BOOST_CHECK(s.state.communities.at(town).invitations.empty());
}

BOOST_AUTO_TEST_CASE(an_invitation_names_a_fitting_member_and_ends_within_thirty_days) {
    story s;
    const time_ms until{s.now.value + day_ms};
    // Join: an unused member id, named by no other open join invitation.
    invite(s, 4, cor, invitation(invitation_purpose::join, ann, until),
           reject_reason::member_exists);
    invite(s, 4, cor, invitation(invitation_purpose::join, member_id{10}, until));
    invite(s, 1, founder, invitation(invitation_purpose::join, member_id{10}, until),
           reject_reason::member_invited);
    // The expiry: after now, at most 30 days on.
    invite(s, 4, cor, invitation(invitation_purpose::join, member_id{11}, s.now),
           reject_reason::invitation_expiry_out_of_range);
    invite(s, 4, cor, invitation(invitation_purpose::join, member_id{11}, time_ms{s.now.value - 1}),
           reject_reason::invitation_expiry_out_of_range);
    invite(s, 4, cor,
           invitation(invitation_purpose::join, member_id{11},
                      time_ms{s.now.value + invitation_term_ms_max + 1}),
           reject_reason::invitation_expiry_out_of_range);
    invite(s, 4, cor,
           invitation(invitation_purpose::join, member_id{11},
                      time_ms{s.now.value + invitation_term_ms_max}));
    // A device or new keys: a member who is there, has not left and is not suspended.
    invite(s, 4, cor, invitation(invitation_purpose::add_device, member_id{99}, until),
           reject_reason::unknown_member);
    CHECK_REASON(s.fold_as(1, founder, member_suspended{bob, std::nullopt}), none);
    invite(s, 4, cor, invitation(invitation_purpose::replace_keys, bob, until),
           reject_reason::member_suspended);
    BOOST_REQUIRE(s.fold_as(1, founder,
                            member_admitted{member_id{12}, std::nullopt, role::member, false,
                                            std::nullopt}) == reject_reason::none);
    CHECK_REASON(s.fold_as(1, founder, member_left{member_id{12}}), none);
    invite(s, 4, cor, invitation(invitation_purpose::add_device, member_id{12}, until),
           reject_reason::member_has_left);
    invite(s, 4, cor, invitation(invitation_purpose::join, member_id{12}, until),
           reject_reason::member_exists);  // a former member's id is never given again
    // Once the first join invitation for 10 expires, 10 may be invited again.
    s.now = until;
    invite(s, 4, cor,
           invitation(invitation_purpose::join, member_id{10}, time_ms{s.now.value + day_ms}));
}

BOOST_AUTO_TEST_CASE(a_redemption_needs_the_code_before_the_expiry_and_only_once) {
    story s;
    const member_id dee{10};
    const time_ms until{s.now.value + day_ms};
    const auto inv = invite(s, 4, cor, invitation(invitation_purpose::join, dee, until, 7));
    CHECK_REASON(redeem(s, 20, dee, id_of(9999), 7), unknown_invitation);
    CHECK_REASON(redeem(s, 20, dee, inv, 8), invitation_code_mismatch);
    CHECK_REASON(redeem(s, 20, bob, inv, 7), signer_not_author);
    // A key the community knows redeems nothing: ann's key cannot take dee's place.
    CHECK_REASON(redeem(s, 2, dee, inv, 7), key_in_use);
    // Nothing of that changed anything: the new key is unknown still, and may try again.
    BOOST_CHECK(key_in(s, 20) == nullptr);
    BOOST_CHECK(!s.state.communities.at(town).members.contains(dee));
    CHECK_REASON(redeem(s, 20, dee, inv, 7), none);
    // Once: a second key, or the same one again, is refused.
    CHECK_REASON(redeem(s, 21, dee, inv, 7), invitation_used);
    BOOST_CHECK(key_in(s, 21) == nullptr);
    // After its expiry (the log's clock), an invitation admits no one.
    const auto late = invite(s, 4, cor, invitation(invitation_purpose::join, member_id{11}, until));
    s.now = until;
    CHECK_REASON(redeem(s, 22, member_id{11}, late), invitation_expired);
    BOOST_CHECK(!s.state.communities.at(town).members.contains(member_id{11}));
}

BOOST_AUTO_TEST_CASE(a_join_whose_member_id_was_taken_meanwhile_is_refused) {
    story s;
    const member_id dee{10};
    const auto inv =
        invite(s, 4, cor, invitation(invitation_purpose::join, dee, time_ms{s.now.value + day_ms}));
    BOOST_REQUIRE(s.admit(dee, 30) == reject_reason::none);
    CHECK_REASON(redeem(s, 20, dee, inv), member_exists);
    BOOST_CHECK(key_in(s, 20) == nullptr);
}

BOOST_AUTO_TEST_CASE(a_device_is_added_beside_the_members_other_keys) {
    story s;
    const auto inv = invite(
        s, 2, ann, invitation(invitation_purpose::add_device, ann, time_ms{s.now.value + day_ms}));
    CHECK_REASON(redeem(s, 21, ann, inv), none);
    BOOST_CHECK(!key_in(s, 2)->revoked);
    BOOST_CHECK_EQUAL(key_in(s, 21)->owner.value, ann.value);
    // Both sign for ann.
    s.seqs[21] = 1;
    CHECK_REASON(s.fold_as(21, ann, transfer{bob, minutes{5}, std::nullopt}), none);
    CHECK_REASON(s.fold_as(2, ann, transfer{bob, minutes{5}, std::nullopt}), none);
    // A member suspended meanwhile gets no new device.
    const auto later = invite(
        s, 4, cor, invitation(invitation_purpose::add_device, bob, time_ms{s.now.value + day_ms}));
    CHECK_REASON(s.fold_as(1, founder, member_suspended{bob, std::nullopt}), none);
    CHECK_REASON(redeem(s, 23, bob, later), member_suspended);
    BOOST_CHECK(key_in(s, 23) == nullptr);
}

BOOST_AUTO_TEST_CASE(replacing_keys_revokes_every_other_key_of_the_member) {
    story s;
    const time_ms until{s.now.value + day_ms};
    CHECK_REASON(redeem(s, 21, ann,
                        invite(s, 2, ann, invitation(invitation_purpose::add_device, ann, until))),
                 none);
    // Ann loses both devices; a coordinator checks who she is and invites new keys.
    const auto inv = invite(s, 4, cor, invitation(invitation_purpose::replace_keys, ann, until));
    CHECK_REASON(redeem(s, 22, ann, inv), none);
    BOOST_CHECK(key_in(s, 2)->revoked);
    BOOST_CHECK(key_in(s, 21)->revoked);
    BOOST_CHECK(!key_in(s, 22)->revoked);
    // The old keys sign nothing more; the new one does.
    CHECK_REASON(s.fold_as(2, ann, transfer{bob, minutes{5}, std::nullopt}), signer_revoked);
    CHECK_REASON(s.fold_as(21, ann, transfer{bob, minutes{5}, std::nullopt}), signer_revoked);
    s.seqs[22] = 1;
    CHECK_REASON(s.fold_as(22, ann, transfer{bob, minutes{5}, std::nullopt}), none);
    // Bob's keys are untouched.
    BOOST_CHECK(!key_in(s, 3)->revoked);
}

BOOST_AUTO_TEST_CASE(a_device_for_a_member_without_a_key_ends_their_proxies) {
    story s;
    const member_id els{10};
    BOOST_REQUIRE(s.fold_as(1, founder,
                            member_admitted{els, std::nullopt, role::member, true, std::nullopt}) ==
                  reject_reason::none);
    CHECK_REASON(s.fold_as(4, cor, delegation_granted{bob, {event_kind::offer_posted}, {}, els}),
                 none);
    BOOST_REQUIRE(s.state.communities.at(town).delegations.contains({els, bob}));
    const auto inv = invite(
        s, 4, cor, invitation(invitation_purpose::add_device, els, time_ms{s.now.value + day_ms}));
    CHECK_REASON(redeem(s, 20, els, inv), none);
    BOOST_CHECK(!s.state.communities.at(town).delegations.contains({els, bob}));
}

BOOST_AUTO_TEST_CASE(open_invitations_are_bounded_and_closed_ones_forgotten) {
    story s;
    const time_ms until{s.now.value + day_ms};
    const auto& all = s.state.communities.at(town).invitations;
    for (std::size_t i = 0; i < invitations_open_max; ++i)
        invite(s, 4, cor, invitation(invitation_purpose::add_device, ann, until));
    invite(s, 4, cor, invitation(invitation_purpose::add_device, ann, until),
           reject_reason::too_many_invitations);
    BOOST_CHECK_EQUAL(all.size(), invitations_open_max);
    // Expired: they no longer count as open, and are kept (closed) for the coordinators' list,
    // the oldest closed forgotten first beyond invitations_closed_max.
    s.now = until;
    const time_ms later{s.now.value + day_ms};
    invite(s, 4, cor, invitation(invitation_purpose::add_device, ann, later));
    BOOST_CHECK_EQUAL(all.size(), invitations_closed_max);  // 999 closed and the new one
    // A week after they closed, at the next invitation, they are gone.
    s.now = time_ms{until.value + invitations_closed_kept_ms};
    invite(s, 4, cor,
           invitation(invitation_purpose::add_device, ann, time_ms{s.now.value + day_ms}));
    BOOST_CHECK_EQUAL(all.size(), 2u);  // the one issued "later" (closed only a few days) and this
    for (const auto& [id, inv] : all) BOOST_CHECK(inv.closed_at().value > until.value);
}

BOOST_AUTO_TEST_SUITE_END()
