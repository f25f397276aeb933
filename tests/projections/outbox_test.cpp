// The outbox projection (projections/outbox.h): which messages an event causes, to whom, with
// proxies' copies, and keys that a replay writes again unchanged.
#include <boost/test/unit_test.hpp>

#include "projections/outbox.h"

using namespace uurwerk;

namespace {

constexpr community_id town{7};
constexpr member_id bep{2}, cor{3}, fien{6}, emma{5};

event_id id_of(std::uint8_t n) {
    event_id id;
    id.b[0] = n;
    return id;
}

ledger_state town_state() {
    ledger_state s;
    auto& c = s.communities[town];
    for (auto m : {bep, cor, fien, emma}) c.members[m] = member_state{};
    match_state m;
    m.requester = bep;
    m.helper = cor;
    c.matches.emplace(id_of(1), m);
    // Emma is Fien's proxy until t = 5000; Cor is Bep's delegate, but no proxy.
    c.delegations[{fien, emma}] = delegation_state{0, time_ms{5000}, true};
    c.delegations[{bep, cor}] = delegation_state{0, time_ms{0}, false};
    return s;
}

event_body body(event_payload p, std::uint8_t id, member_id author) {
    event_body b;
    b.id = id_of(id);
    b.community = town;
    b.author = author;
    b.payload = std::move(p);
    return b;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_proposal_is_owed_to_both_people_of_the_match) {
    const auto s = town_state();
    std::vector<outbox_item> out;
    outbox_items_of(s, body(match_proposed{}, 1, member_id{0}), verdict{}, offset{40},
                    time_ms{1000}, out);
    BOOST_REQUIRE_EQUAL(out.size(), 2u);
    BOOST_CHECK(out[0].recipient == bep && out[0].other == cor);
    BOOST_CHECK(out[1].recipient == cor && out[1].other == bep);
    for (const auto& i : out) {
        BOOST_CHECK(i.purpose == mail_purpose::proposal_to_answer);
        BOOST_CHECK(i.about == i.recipient);
        BOOST_CHECK(i.subject == id_of(1));
    }
}

BOOST_AUTO_TEST_CASE(an_acceptance_names_the_match_it_accepts) {
    const auto s = town_state();
    std::vector<outbox_item> out;
    outbox_items_of(s, body(match_accepted{id_of(1)}, 9, bep), verdict{}, offset{41}, time_ms{1000},
                    out);
    BOOST_REQUIRE_EQUAL(out.size(), 2u);
    BOOST_CHECK(out[0].purpose == mail_purpose::match_accepted);
    BOOST_CHECK(out[0].subject == id_of(1) && out[0].event == id_of(9));
    // An unknown match owes nothing (the rules rejected it anyway).
    out.clear();
    outbox_items_of(s, body(match_accepted{id_of(77)}, 10, bep), verdict{}, offset{42},
                    time_ms{1000}, out);
    BOOST_CHECK(out.empty());
}

BOOST_AUTO_TEST_CASE(a_claim_is_owed_to_its_receiver_and_a_copy_to_their_proxy_while_in_force) {
    const auto s = town_state();
    std::vector<outbox_item> out;
    hours_claimed claim;
    claim.receiver = fien;
    claim.amount = minutes{60};
    outbox_items_of(s, body(claim, 3, cor), verdict{}, offset{43}, time_ms{4999}, out);
    BOOST_REQUIRE_EQUAL(out.size(), 2u);
    BOOST_CHECK(out[0].recipient == fien && out[0].about == fien && out[0].other == cor);
    BOOST_CHECK(out[1].recipient == emma && out[1].about == fien);
    BOOST_CHECK(out[0].purpose == mail_purpose::claim_to_confirm);
    BOOST_CHECK(outbox_key(out[0]) != outbox_key(out[1]));
    // The proxy ended at 5000: from then on no copy. A delegate who is no proxy gets none.
    out.clear();
    outbox_items_of(s, body(claim, 4, cor), verdict{}, offset{44}, time_ms{5000}, out);
    BOOST_CHECK_EQUAL(out.size(), 1u);
    out.clear();
    claim.receiver = bep;
    outbox_items_of(s, body(claim, 5, cor), verdict{}, offset{45}, time_ms{10}, out);
    BOOST_CHECK_EQUAL(out.size(), 1u);
}

BOOST_AUTO_TEST_CASE(a_rejected_event_and_other_kinds_owe_nothing) {
    const auto s = town_state();
    std::vector<outbox_item> out;
    hours_claimed claim;
    claim.receiver = bep;
    outbox_items_of(s, body(claim, 3, cor), verdict{reject_reason::credit_limit_exceeded},
                    offset{1}, time_ms{1}, out);
    outbox_items_of(s, body(match_declined{id_of(1)}, 6, cor), verdict{}, offset{2}, time_ms{1},
                    out);
    outbox_items_of(s, body(hours_confirmed{id_of(3)}, 7, bep), verdict{}, offset{3}, time_ms{1},
                    out);
    BOOST_CHECK(out.empty());
}

BOOST_AUTO_TEST_CASE(an_item_reads_back_as_it_was_written_and_keys_sort_in_log_order) {
    const auto s = town_state();
    std::vector<outbox_item> out;
    outbox_items_of(s, body(match_proposed{}, 1, member_id{0}), verdict{}, offset{300},
                    time_ms{123456789}, out);
    for (const auto& i : out) {
        const auto k = outbox_key(i);
        BOOST_CHECK_EQUAL(k.size(), outbox_key_bytes);
        auto back = decode_outbox_item(k, outbox_value(i));
        BOOST_REQUIRE(back.has_value());
        BOOST_CHECK(*back == i);
        BOOST_CHECK(outbox_key_from(offset{300}) <= k && k < outbox_key_from(offset{301}));
        BOOST_CHECK(outbox_key_from(offset{299}) < k);
    }
    // The same fold again (a replay) gives the same keys and values.
    std::vector<outbox_item> again;
    outbox_items_of(s, body(match_proposed{}, 1, member_id{0}), verdict{}, offset{300},
                    time_ms{123456789}, again);
    BOOST_CHECK(again == out);
    BOOST_CHECK(!decode_outbox_item("short", outbox_value(out[0])).has_value());
    std::string bad_purpose = outbox_key(out[0]);
    bad_purpose.back() = 9;
    BOOST_CHECK(!decode_outbox_item(bad_purpose, outbox_value(out[0])).has_value());
}
