// The benchmarks' workload with free texts beside its events (issue 22): every post commits to
// a text, every claim to a note, every other transfer to a note, and each text beside the
// envelope is the one its body commits to (what the node checks before the log); without texts
// no body commits to any. The events are otherwise the same, and the same seed gives the same
// texts.

#include <boost/test/unit_test.hpp>

#include <variant>

#include "api/bench/workload.h"
#include "ledger/core/verified_event.h"

using namespace uurwerk;

namespace {

workload small(free_texts texts, std::uint64_t seed = 5) {
    workload_options o;
    o.members = 20;
    o.events = 1'500;
    o.seed = seed;
    o.threads = 2;
    o.texts = texts;
    return make_workload(o);
}

event_body body_of(const bytes& stored) {
    auto e = stored_envelope::read(stored);
    BOOST_REQUIRE(e.ok());
    auto d = read_event(std::move(*e));
    BOOST_REQUIRE(d.ok());
    return d->body();
}

// The body with its commitment taken out, to compare the events with texts and without.
event_body without_commitment(event_body b) {
    std::visit(
        [](auto& p) {
            using T = std::decay_t<decltype(p)>;
            if constexpr (std::is_base_of_v<post_body, T>) p.text_digest = std::nullopt;
            if constexpr (std::is_same_v<T, hours_claimed> || std::is_same_v<T, transfer>)
                p.note_digest = std::nullopt;
        },
        b.payload);
    return b;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(workload_texts)

BOOST_AUTO_TEST_CASE(every_post_and_claim_commits_to_the_text_beside_it) {
    const auto w = small(free_texts::beside);
    BOOST_REQUIRE_EQUAL(w.personal.size(), w.events.size());
    std::size_t posts = 0, claims = 0, transfers = 0, noted_transfers = 0, with_text = 0;
    for (std::size_t i = 0; i < w.events.size(); ++i) {
        const auto b = body_of(w.events[i]);
        const auto& personal = w.personal_of(i);
        // What the node checks before it appends: given exactly when committed to, and equal.
        BOOST_CHECK_MESSAGE(check_personal(b, personal).ok(), "event " << i);
        const bool committed = text_commitment_of(b).has_value();
        BOOST_CHECK_EQUAL(committed, personal.has_value());
        with_text += committed;
        if (std::holds_alternative<offer_posted>(b.payload) ||
            std::holds_alternative<request_posted>(b.payload)) {
            ++posts;
            BOOST_CHECK_MESSAGE(committed, "a post without a text: " << i);
        } else if (std::holds_alternative<hours_claimed>(b.payload)) {
            ++claims;
            BOOST_CHECK_MESSAGE(committed, "a claim without a note: " << i);
        } else if (std::holds_alternative<transfer>(b.payload)) {
            ++transfers;
            noted_transfers += committed;
        } else {
            BOOST_CHECK_MESSAGE(!committed, "a text on another kind: " << i);
        }
        if (personal) {
            BOOST_CHECK_GE(personal->text.size(), 20u);
            BOOST_CHECK_LE(personal->text.size(), text_chars_max);
        }
    }
    BOOST_CHECK_GT(posts, 0u);
    BOOST_CHECK_GT(claims, 0u);
    BOOST_CHECK_GT(noted_transfers, 0u);
    BOOST_CHECK_LT(noted_transfers, transfers);
    BOOST_CHECK_EQUAL(w.texts(), with_text);
    BOOST_CHECK_EQUAL(with_text, posts + claims + noted_transfers);
}

BOOST_AUTO_TEST_CASE(a_text_beside_the_wrong_event_does_not_match) {
    // Two texts of the workload are not interchangeable: each salt and text commit to their own
    // event only, so the node would refuse a text sent beside another event.
    const auto w = small(free_texts::beside);
    std::size_t first = w.events.size(), second = w.events.size();
    for (std::size_t i = 0; i < w.events.size() && second == w.events.size(); ++i)
        if (w.personal_of(i)) (first == w.events.size() ? first : second) = i;
    BOOST_REQUIRE_LT(second, w.events.size());
    BOOST_CHECK(!check_personal(body_of(w.events[first]), w.personal_of(second)).ok());
    BOOST_CHECK(!check_personal(body_of(w.events[first]), std::nullopt).ok());
}

BOOST_AUTO_TEST_CASE(without_texts_no_body_commits_and_the_events_are_otherwise_the_same) {
    const auto with = small(free_texts::beside);
    const auto without = small(free_texts::left_out);
    BOOST_CHECK(without.personal.empty());
    BOOST_CHECK_EQUAL(without.texts(), 0u);
    BOOST_REQUIRE_EQUAL(with.events.size(), without.events.size());
    for (std::size_t i = 0; i < without.events.size(); ++i) {
        const auto b = body_of(without.events[i]);
        BOOST_CHECK(!text_commitment_of(b).has_value());
        BOOST_CHECK(!without.personal_of(i).has_value());
        BOOST_CHECK_MESSAGE(
            encode_body(without_commitment(body_of(with.events[i]))) == encode_body(b),
            "event " << i);
    }
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_texts_and_another_seed_others) {
    const auto a = small(free_texts::beside), b = small(free_texts::beside);
    BOOST_CHECK(a.events == b.events);
    BOOST_CHECK(a.personal == b.personal);
    const auto c = small(free_texts::beside, 6);
    BOOST_CHECK(a.personal != c.personal);
}

BOOST_AUTO_TEST_SUITE_END()
