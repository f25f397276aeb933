// The ledger rules, through fold(): every rejection the ledger promises, and the bookkeeping of
// accepted events (double entry, pending claims, idempotency). Keys here are plain 32-byte
// values: fold() trusts its caller to have verified the signature.
#include <boost/test/unit_test.hpp>

#include <set>

#include "ledger/rules.h"

using namespace uurwerk;

namespace {

public_key key_of(std::uint8_t n) {
    public_key k;
    k.b.fill(n);
    return k;
}

event_id id_of(std::uint32_t n) {
    event_id id;
    std::memcpy(id.b.data(), &n, sizeof n);
    id.b[15] = 0xee;
    return id;
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
        auto r = fold_as(key, helper, hours_claimed{receiver, minutes{mins}, std::nullopt, "help"},
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
    CHECK_REASON(s.fold_as(1, founder, hours_confirmed{c}), none);  // a coordinator may
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
    CHECK_REASON(s.fold_as(4, cor, transfer{ann, minutes{1}, ""}), balance_max_exceeded);
    CHECK_REASON(s.fold_as(4, cor, transfer{ann, minutes{1000}, ""}), amount_over_policy);
}

BOOST_AUTO_TEST_CASE(transfers_move_minutes_and_the_fund_takes_gifts) {
    story s;
    CHECK_REASON(s.fold_as(2, ann, transfer{bob, minutes{50}, "thanks"}), none);
    CHECK_REASON(s.fold_as(2, ann, transfer{community_fund, minutes{20}, ""}), none);
    BOOST_CHECK_EQUAL(s.member(ann).balance.value, -70);
    BOOST_CHECK_EQUAL(s.member(bob).balance.value, 50);
    BOOST_CHECK_EQUAL(s.state.communities.at(town).fund.value, 20);
    CHECK_REASON(s.fold_as(2, ann, transfer{ann, minutes{5}, ""}), self_dealing);
    CHECK_REASON(s.fold_as(2, ann, transfer{member_id{99}, minutes{5}, ""}), unknown_member);
    CHECK_REASON(s.fold_as(2, ann, transfer{bob, minutes{51}, ""}), credit_limit_exceeded);
}

BOOST_AUTO_TEST_CASE(an_unknown_community_is_rejected) {
    story s;
    event_body b{id_of(500),
                 community_id{8},
                 ann,
                 sequence{9},
                 s.now,
                 std::nullopt,
                 transfer{bob, minutes{5}, ""}};
    CHECK_REASON(s.fold_body(2, b), unknown_community);
    CHECK_REASON(s.fold_as(9, member_id{9}, community_founded{"Again", policy{}}),
                 community_exists);
}

BOOST_AUTO_TEST_CASE(unknown_foreign_and_revoked_keys_are_rejected) {
    story s;
    CHECK_REASON(s.fold_as(42, ann, transfer{bob, minutes{5}, ""}), unknown_signer);
    CHECK_REASON(s.fold_as(3, ann, transfer{bob, minutes{5}, ""}), signer_not_author);
    CHECK_REASON(s.fold_as(2, ann, key_revoked{ann, key_of(2)}), none);
    CHECK_REASON(s.fold_as(2, ann, transfer{bob, minutes{5}, ""}), signer_revoked);
    CHECK_REASON(s.fold_as(3, bob, key_revoked{ann, key_of(5)}), not_coordinator);
}

BOOST_AUTO_TEST_CASE(a_member_signs_with_a_key_per_device_each_with_its_own_sequence) {
    story s;
    CHECK_REASON(s.fold_as(2, ann, key_added{ann, key_of(22)}), none);
    CHECK_REASON(s.fold_as(22, ann, transfer{bob, minutes{5}, ""}), none);  // seq 1 on key 22
    CHECK_REASON(s.fold_as(2, ann, transfer{bob, minutes{5}, ""}), none);   // seq 2 on key 2
    CHECK_REASON(s.fold_as(3, bob, key_added{bob, key_of(22)}), key_in_use);
}

BOOST_AUTO_TEST_CASE(a_sequence_number_must_increase_per_key) {
    story s;
    event_body b{
        id_of(600), town, ann, sequence{5}, s.now, std::nullopt, transfer{bob, minutes{5}, ""}};
    CHECK_REASON(s.fold_body(2, b), none);
    b.id = id_of(601);
    CHECK_REASON(s.fold_body(2, b), seq_not_increasing);
    b.id = id_of(602);
    b.seq = sequence{4};
    CHECK_REASON(s.fold_body(2, b), seq_not_increasing);
}

BOOST_AUTO_TEST_CASE(the_same_event_again_keeps_its_first_verdict_and_changes_nothing) {
    story s;
    event_body b{
        id_of(700), town, ann, sequence{1}, s.now, std::nullopt, transfer{bob, minutes{10}, ""}};
    CHECK_REASON(s.fold_body(2, b), none);
    CHECK_REASON(s.fold_body(2, b), duplicate_event);
    BOOST_CHECK_EQUAL(s.member(bob).balance.value, 10);
    BOOST_CHECK(s.state.seen.at(b.id).first.accepted());
    auto other = b;
    other.seq = sequence{2};
    std::get<transfer>(other.payload).amount = minutes{11};
    CHECK_REASON(s.fold_body(2, other), id_reused_with_different_content);
    BOOST_CHECK_EQUAL(s.member(bob).balance.value, 10);
}

BOOST_AUTO_TEST_CASE(a_delegate_posts_for_an_elderly_member_only_within_the_delegation) {
    story s;
    request_posted req{
        {category::shopping, "Boodschappen op dinsdag", intensity::regularly, "3512", 0}};
    CHECK_REASON(s.fold_as(3, bob, req, ann), not_delegated);
    CHECK_REASON(
        s.fold_as(2, ann, delegation_granted{bob, {event_kind::request_posted}, time_ms{0}}), none);
    event_id post;
    CHECK_REASON(s.fold_as(3, bob, req, ann, &post), none);
    BOOST_CHECK(s.state.communities.at(town).posts.at(post).owner == ann);
    CHECK_REASON(s.fold_as(3, bob, transfer{bob, minutes{5}, ""}, ann), not_delegated);
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
    request_posted req{{category::companionship, "Een kopje koffie", intensity::sometimes, "", 0}};
    CHECK_REASON(s.fold_as(3, bob, req, ann), none);
    s.now = time_ms{s.now.value + 1000};
    CHECK_REASON(s.fold_as(3, bob, req, ann), not_delegated);
}

BOOST_AUTO_TEST_CASE(a_coordinator_acts_for_a_member_who_is_not_online) {
    story s;
    event_id post;
    request_posted req{{category::lifts, "Naar het ziekenhuis", intensity::once, "3512", 0}};
    CHECK_REASON(s.fold_as(4, cor, req, bob, &post), none);
    BOOST_CHECK(s.state.communities.at(town).posts.at(post).owner == bob);
}

BOOST_AUTO_TEST_CASE(only_coordinators_admit_suspend_set_policy_and_reverse) {
    story s;
    CHECK_REASON(
        s.fold_as(2, ann,
                  member_admitted{member_id{9}, key_of(9), role::member, false, std::nullopt}),
        not_coordinator);
    CHECK_REASON(s.fold_as(2, ann, member_suspended{bob, "spam"}), not_coordinator);
    CHECK_REASON(s.fold_as(2, ann, policy_changed{policy{}}), not_coordinator);
    auto c = s.claim(2, ann, bob, 30);
    CHECK_REASON(s.fold_as(3, bob, hours_confirmed{c}), none);
    CHECK_REASON(s.fold_as(2, ann, reversal{c, "mistake"}), not_coordinator);
    CHECK_REASON(s.admit(ann, 9), member_exists);
    CHECK_REASON(s.admit(member_id{9}, 2), key_in_use);
}

BOOST_AUTO_TEST_CASE(a_reversal_undoes_a_confirmed_claim_once_and_leaves_a_trace) {
    story s;
    auto c = s.claim(2, ann, bob, 45);
    CHECK_REASON(s.fold_as(1, founder, reversal{c, "not yet confirmed"}), not_reversible);
    CHECK_REASON(s.fold_as(3, bob, hours_confirmed{c}), none);
    CHECK_REASON(s.fold_as(1, founder, reversal{c, "entered twice"}), none);
    BOOST_CHECK_EQUAL(s.member(ann).balance.value, 0);
    BOOST_CHECK_EQUAL(s.member(bob).balance.value, 0);
    BOOST_CHECK_EQUAL(s.member(ann).confirmed_given.value, 0);
    CHECK_REASON(s.fold_as(1, founder, reversal{c, "again"}), already_reversed);
    CHECK_REASON(s.fold_as(1, founder, reversal{id_of(12345), "?"}), unknown_target);
    event_id t;
    CHECK_REASON(s.fold_as(2, ann, transfer{bob, minutes{15}, ""}, std::nullopt, &t), none);
    CHECK_REASON(s.fold_as(1, founder, reversal{t, "wrong member"}), none);
    BOOST_CHECK_EQUAL(s.member(bob).balance.value, 0);
}

BOOST_AUTO_TEST_CASE(a_suspended_member_cannot_act_until_reinstated) {
    story s;
    CHECK_REASON(s.fold_as(1, founder, member_suspended{ann, "under review"}), none);
    CHECK_REASON(s.fold_as(2, ann, transfer{bob, minutes{5}, ""}), member_suspended);
    CHECK_REASON(s.fold_as(3, bob, request_posted{}, ann), member_suspended);
    CHECK_REASON(s.fold_as(1, founder, member_reinstated{ann}), none);
    CHECK_REASON(s.fold_as(2, ann, transfer{bob, minutes{5}, ""}), none);
}

BOOST_AUTO_TEST_CASE(claims_to_oneself_and_over_the_policy_are_refused) {
    story s;
    s.claim(2, ann, ann, 10, reject_reason::self_dealing);
    s.claim(2, ann, bob, 241, reject_reason::amount_over_policy);
    s.claim(2, ann, member_id{77}, 10, reject_reason::unknown_member);
}

BOOST_AUTO_TEST_CASE(a_disputed_claim_can_still_be_settled_by_a_coordinator) {
    story s;
    auto c = s.claim(2, ann, bob, 30);
    CHECK_REASON(s.fold_as(3, bob, hours_disputed{c, "only 20 minutes"}), none);
    BOOST_CHECK(s.state.communities.at(town).claims.at(c).status == claim_status::disputed);
    CHECK_REASON(s.fold_as(3, bob, hours_disputed{c, "again"}), claim_not_pending);
    CHECK_REASON(s.fold_as(4, cor, hours_confirmed{c}), none);
    BOOST_CHECK_EQUAL(s.member(ann).balance.value, 30);
}

BOOST_AUTO_TEST_CASE(posts_are_withdrawn_by_their_owner_and_hidden_by_coordinators) {
    story s;
    event_id offer;
    CHECK_REASON(
        s.fold_as(2, ann,
                  offer_posted{{category::gardening, "Snoeien", intensity::once, "3512", 7}},
                  std::nullopt, &offer),
        none);
    CHECK_REASON(s.fold_as(3, bob, post_withdrawn{offer}), not_post_owner);
    CHECK_REASON(s.fold_as(3, bob, post_hidden{offer, "?"}), not_coordinator);
    CHECK_REASON(s.fold_as(4, cor, post_hidden{offer, "advertising"}), none);
    CHECK_REASON(s.fold_as(2, ann, post_withdrawn{offer}), post_not_open);
    CHECK_REASON(s.fold_as(2, ann, post_withdrawn{id_of(4444)}), unknown_post);
}

BOOST_AUTO_TEST_CASE(proposals_come_from_node_keys_only_and_node_keys_sign_nothing_else) {
    story s;
    event_id offer, request;
    BOOST_REQUIRE(s.fold_as(2, ann, offer_posted{{category::meals, "Soep", intensity::once, "", 0}},
                            std::nullopt, &offer) == reject_reason::none);
    BOOST_REQUIRE(s.fold_as(3, bob,
                            request_posted{{category::meals, "Eten", intensity::once, "", 0}},
                            std::nullopt, &request) == reject_reason::none);
    match_proposed p{request, offer, ann, 0, 0};
    CHECK_REASON(s.fold_as(2, ann, p), not_node_key);
    CHECK_REASON(s.fold_as(1, founder, node_key_announced{key_of(100)}), none);
    event_id match;
    CHECK_REASON(s.fold_as(100, community_fund, p, std::nullopt, &match), none);
    CHECK_REASON(s.fold_as(100, community_fund, transfer{bob, minutes{5}, ""}),
                 node_key_not_allowed);
    CHECK_REASON(s.fold_as(2, ann, match_ended{match}), match_not_open);
    CHECK_REASON(s.fold_as(2, ann, match_accepted{match}), none);
    CHECK_REASON(s.fold_as(3, bob, match_ended{match}), none);
}

BOOST_AUTO_TEST_CASE(endorsements_need_a_confirmed_exchange_between_the_two) {
    story s;
    auto c = s.claim(2, ann, bob, 30);
    CHECK_REASON(s.fold_as(3, bob, endorsement{ann, c, "Top!"}), no_exchange_to_endorse);
    CHECK_REASON(s.fold_as(3, bob, hours_confirmed{c}), none);
    CHECK_REASON(s.fold_as(3, bob, endorsement{ann, c, "Top!"}), none);
    CHECK_REASON(s.fold_as(4, cor, endorsement{ann, c, "?"}), no_exchange_to_endorse);
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
    s.fold_as(2, ann, transfer{bob, minutes{1000}, ""});
    BOOST_REQUIRE_EQUAL(s.effects.history.size(), 1u);  // a rejection is in the author's history
    CHECK_REASON(s.effects.history[0].reason, amount_over_policy);
}

BOOST_AUTO_TEST_CASE(every_reason_has_a_distinct_name) {
    std::set<std::string_view> names;
    for (std::uint16_t i = 0; i <= reject_reason_max; ++i)
        names.insert(reason_name(static_cast<reject_reason>(i)));
    BOOST_CHECK_EQUAL(names.size(), reject_reason_max + 1u);
}

BOOST_AUTO_TEST_SUITE_END()
