// The retention period, through the fold and texts_due(): which texts are due for deletion,
// decided from the log's clock as the fold recorded it (when a post closed, when a claim
// settled) and the community's own policy, at its boundaries. Seen from the side of the one who
// must not lose a text: an open post, a pending or disputed claim, a text one ms short of its
// period, and another community's text under a longer period all stay.
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "ledger/core/personal.h"
#include "ledger/core/retention.h"
#include "ledger/core/rules.h"
#include "tests/support/test_ids.h"
#include "tests/support/test_keys.h"

using namespace uurwerk;
using uurwerk::testing::id_of;
using uurwerk::testing::key_of;

namespace {

constexpr std::int64_t day_ms = 24 * 60 * 60 * 1000;
constexpr member_id founder{1}, ann{2}, bob{3};

digest text_digest(std::string_view text) {
    return commit_text(personal_salt{}, text);
}

// Communities folded event by event on a clock the test moves; keys are plain values (fold()
// trusts its caller to have verified the signatures). In community c, member m signs with key
// c * 10 + m.
struct ledger {
    ledger_state state;
    time_ms now{1'700'000'000'000};
    std::uint64_t folded = 0;                    // events folded: each one's offset, id, digest
    std::map<std::uint8_t, std::uint64_t> used;  // each key's last sequence number

    event_id fold_as(community_id c, member_id author, event_payload payload) {
        const auto key = static_cast<std::uint8_t>(c.value * 10 + author.value);
        const event_id id = id_of(++folded);
        const event_body b{
            id, c, author, sequence{++used[key]}, now, std::nullopt, std::move(payload)};
        digest d;
        std::copy(id.b.begin(), id.b.end(), d.b.begin());
        fold_effects ignored;
        const verdict v =
            fold(state, fold_input{b, key_of(key), d, offset{folded - 1}, now}, ignored);
        BOOST_REQUIRE_MESSAGE(v.accepted(), reason_name(v.reason));
        return id;
    }

    // Community `c`, founded with `retention_days` (0: the default), ann and bob admitted.
    void found(community_id c, std::uint32_t retention_days) {
        policy p;
        p.retention_days = retention_days;
        fold_as(c, founder, community_founded{"Buurt " + std::to_string(c.value), p});
        for (const member_id m : {ann, bob})
            fold_as(c, founder,
                    member_admitted{m, key_of(static_cast<std::uint8_t>(c.value * 10 + m.value)),
                                    role::member, true, std::nullopt});
    }

    event_id offer(community_id c, member_id m, std::string_view text) {
        return fold_as(
            c, m,
            offer_posted{{category::shopping, text_digest(text), intensity::once, "3512", 0}});
    }
    event_id claim(community_id c, member_id helper, member_id receiver, std::string_view note) {
        return fold_as(c, helper,
                       hours_claimed{receiver, minutes{60}, std::nullopt, text_digest(note)});
    }

    // Whether texts_due at `at` names the text `text` of event `id` in community `c`.
    bool due(time_ms at, community_id c, const event_id& id, std::string_view text) const {
        const auto all = texts_due(state, at);
        return std::find(all.begin(), all.end(), text_ref{c, id, text_digest(text)}) != all.end();
    }
    // Checks that the text is kept until one ms before `from`, and due from `from` on.
    void check_due_from(time_ms from, community_id c, const event_id& id,
                        std::string_view text) const {
        BOOST_CHECK_MESSAGE(!due(time_ms{from.value - 1}, c, id, text), text << ": due early");
        BOOST_CHECK_MESSAGE(due(from, c, id, text), text << ": not due at its time");
        BOOST_CHECK_MESSAGE(due(time_ms{from.value + 1}, c, id, text), text << ": not due after");
    }
};

const community_id town{7}, village{8};

}  // namespace

BOOST_AUTO_TEST_SUITE(retention)

BOOST_AUTO_TEST_CASE(the_period_is_the_policys_or_two_years_and_counts_in_whole_days) {
    policy p;
    BOOST_CHECK_EQUAL(retention_ms(p), 730 * day_ms);
    p.retention_days = 1;
    BOOST_CHECK_EQUAL(retention_ms(p), day_ms);
    p.retention_days = retention_days_max;
    BOOST_CHECK_EQUAL(retention_ms(p), 3650 * day_ms);
}

BOOST_AUTO_TEST_CASE(a_withdrawn_post_is_due_exactly_one_period_after_it_closed) {
    ledger l;
    l.found(town, 30);
    const auto post = l.offer(town, ann, "Ann, Lindelaan 7");
    l.now = time_ms{l.now.value + 5 * day_ms};  // the post's age before closing does not count
    const time_ms closed = l.now;
    l.fold_as(town, ann, post_withdrawn{post});
    BOOST_CHECK_EQUAL(l.state.communities.at(town).posts.at(post).closed_time.value, closed.value);
    const time_ms end{closed.value + 30 * day_ms};
    l.check_due_from(end, town, post, "Ann, Lindelaan 7");
    BOOST_CHECK(texts_due(l.state, time_ms{end.value - 1}).empty());
}

BOOST_AUTO_TEST_CASE(an_open_post_keeps_its_text_whatever_its_age) {
    ledger l;
    l.found(town, 1);
    const auto post = l.offer(town, ann, "Ann helpt met boodschappen");
    l.now = time_ms{l.now.value + 3650 * day_ms};
    BOOST_CHECK(texts_due(l.state, time_ms{l.now.value + 3650 * day_ms}).empty());
    BOOST_CHECK(
        !l.due(time_ms{l.now.value + 3650 * day_ms}, town, post, "Ann helpt met boodschappen"));
}

BOOST_AUTO_TEST_CASE(a_hidden_post_takes_its_moderators_reason_with_it) {
    ledger l;
    l.found(town, 10);
    const auto post = l.offer(town, bob, "Bob Kok, 06-55509876");
    const auto hiding =
        l.fold_as(town, founder, post_hidden{post, text_digest("telefoonnummer in de tekst")});
    const time_ms end{l.now.value + 10 * day_ms};
    l.check_due_from(end, town, post, "Bob Kok, 06-55509876");
    l.check_due_from(end, town, hiding, "telefoonnummer in de tekst");
    BOOST_CHECK_EQUAL(texts_due(l.state, end).size(), 2u);
}

BOOST_AUTO_TEST_CASE(a_pending_or_disputed_claim_keeps_its_texts_a_settled_one_does_not) {
    ledger l;
    l.found(town, 30);
    const auto pending = l.claim(town, ann, bob, "boodschappen voor Bob");
    const auto disputed = l.claim(town, ann, bob, "de tuin van Bob");
    const auto dispute =
        l.fold_as(town, bob, hours_disputed{disputed, text_digest("Ann kwam niet")});
    const auto confirmed = l.claim(town, ann, bob, "Bob naar de dokter");
    l.now = time_ms{l.now.value + day_ms};
    const time_ms settled = l.now;
    l.fold_as(town, bob, hours_confirmed{confirmed});
    const time_ms end{settled.value + 30 * day_ms};
    BOOST_CHECK(texts_due(l.state, time_ms{end.value - 1}).empty());
    const auto due = texts_due(l.state, end);
    BOOST_REQUIRE_EQUAL(due.size(), 1u);
    BOOST_CHECK(due[0] == (text_ref{town, confirmed, text_digest("Bob naar de dokter")}));
    // Years later, the pending claim and the disputed one (and its reason) are still kept.
    const time_ms later{end.value + 3650 * day_ms};
    BOOST_CHECK(!l.due(later, town, pending, "boodschappen voor Bob"));
    BOOST_CHECK(!l.due(later, town, disputed, "de tuin van Bob"));
    BOOST_CHECK(!l.due(later, town, dispute, "Ann kwam niet"));
    // The disputed claim, confirmed after all, settles then: its note and the dispute's reason
    // go together, one period after the confirmation.
    l.now = later;
    l.fold_as(town, bob, hours_confirmed{disputed});
    for (const auto& [id, text] :
         {std::pair{disputed, "de tuin van Bob"}, std::pair{dispute, "Ann kwam niet"}})
        l.check_due_from(time_ms{later.value + 30 * day_ms}, town, id, text);
}

BOOST_AUTO_TEST_CASE(a_reversal_restarts_the_period_and_its_reason_goes_with_the_claim) {
    ledger l;
    l.found(town, 30);
    const auto c = l.claim(town, ann, bob, "klusje bij Bob");
    l.fold_as(town, bob, hours_confirmed{c});
    l.now = time_ms{l.now.value + 20 * day_ms};
    const time_ms reversed = l.now;
    const auto r = l.fold_as(town, founder, reversal{c, text_digest("dubbel geboekt")});
    BOOST_CHECK_EQUAL(l.state.communities.at(town).claims.at(c).reversed_at.value, reversed.value);
    // 30 days after the confirmation the claim is no longer settled at that time: it was
    // reversed, and the period counts from the reversal.
    const time_ms end{reversed.value + 30 * day_ms};
    l.check_due_from(end, town, c, "klusje bij Bob");
    l.check_due_from(end, town, r, "dubbel geboekt");
}

BOOST_AUTO_TEST_CASE(each_community_is_judged_by_its_own_policy_and_a_policy_change_applies) {
    ledger l;
    l.found(town, 1);
    l.found(village, 0);  // the default: 730 days
    const auto in_town = l.offer(town, ann, "Ann in de stad");
    const auto in_village = l.offer(village, ann, "Ann in het dorp");
    l.fold_as(town, ann, post_withdrawn{in_town});
    l.fold_as(village, ann, post_withdrawn{in_village});
    const time_ms closed = l.now;
    const time_ms day_later{closed.value + day_ms};
    l.check_due_from(day_later, town, in_town, "Ann in de stad");
    // The village's text, closed at the same time, is kept by its own (default) period.
    BOOST_CHECK(!l.due(day_later, village, in_village, "Ann in het dorp"));
    l.check_due_from(time_ms{closed.value + 730 * day_ms}, village, in_village, "Ann in het dorp");
    // A coordinator lengthens the town's period: the same text is no longer due a day later.
    policy longer;
    longer.retention_days = 2;
    l.fold_as(town, founder, policy_changed{longer});
    l.check_due_from(time_ms{closed.value + 2 * day_ms}, town, in_town, "Ann in de stad");
}

BOOST_AUTO_TEST_SUITE_END()
