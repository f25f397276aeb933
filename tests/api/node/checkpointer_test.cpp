// The node's checkpointer (api/node/checkpointer.h) against a real node in a temporary folder:
// no checkpoint in a community that does not exist or has not announced the node's key (or has
// revoked it); after N events, a checkpoint of exactly those leaves, signed by the node key,
// whose signature verifies and whose roots are the trees' at its size, in the log as an
// accepted event; asked again with nothing new, the same checkpoint and nothing appended; the
// interval thread signs what is new and then stays quiet.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "api/node/checkpointer.h"
#include "ledger/core/audit.h"
#include "projections/audit.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_node.h"

using namespace uurwerk;
using uurwerk::testing::key_filled_with;
using uurwerk::testing::temp_dir;
using namespace std::chrono_literals;

namespace {

constexpr community_id town{7};

// A node over a temporary folder with one community: founded by key 1, which admits members.
struct checkpointed_town {
    temp_dir dir{"checkpointer"};
    std::unique_ptr<node> n;
    signing_key founder = key_filled_with(1);
    signing_key node_key = key_filled_with(0x42);
    std::uint64_t seq = 0;
    std::uint64_t next_member = 2;

    checkpointed_town() {
        n = uurwerk::testing::open_test_node(
            dir.path, [t = std::make_shared<std::atomic<std::int64_t>>(1'750'000'000'000)] {
                return time_ms{(*t)++};
            });
        submit(community_founded{"Buurtkring", policy{}});
    }

    checkpointer_options on_demand() const {
        return {0ms, [] { return time_ms{1'750'000'000'000}; }};
    }

    submit_outcome submit(event_payload p) {
        const event_body b{random_event_id(), town,         member_id{1}, sequence{++seq},
                           time_ms{0},        std::nullopt, std::move(p)};
        auto r = n->submit(stored_envelope::encode(founder.seal(b)));
        BOOST_REQUIRE_MESSAGE(
            r.ok(), (r.ok() ? "" : std::string(name(r.err().code)) + ": " + r.err().message));
        BOOST_REQUIRE_MESSAGE(r->decided.accepted(), reason_name(r->decided.reason));
        return *r;
    }
    void admit_one() {
        submit(member_admitted{
            member_id{next_member},
            key_filled_with(static_cast<std::uint8_t>(next_member)).public_bytes()});
        ++next_member;
    }
    void announce() { submit(node_key_announced{node_key.public_bytes()}); }
    std::uint64_t tree_size() {
        auto size = read_tree_size(n->projections(town), town);
        BOOST_REQUIRE(size.ok());
        return *size;
    }
    offset log_end() { return n->log(town).end(); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(checkpointer_suite)

BOOST_AUTO_TEST_CASE(no_checkpoint_without_a_community_or_an_announced_node_key) {
    checkpointed_town t;
    checkpointer cp(*t.n, key_filled_with(0x42), t.on_demand());
    BOOST_CHECK(cp.node_key() == t.node_key.public_bytes());
    auto unknown = cp.sign_now(community_id{99});
    BOOST_REQUIRE(!unknown.ok());
    BOOST_CHECK_EQUAL(unknown.err().code, errc::unknown_community);
    const offset before = t.log_end();
    auto unannounced = cp.sign_now(town);
    BOOST_REQUIRE(!unannounced.ok());
    BOOST_CHECK_EQUAL(unannounced.err().code, errc::node_key_not_announced);
    BOOST_CHECK(t.log_end() == before);  // nothing appended

    auto code_of = [&]() -> std::optional<errc> {  // none: it signed
        auto r = cp.sign_now(town);
        if (r.ok()) return std::nullopt;
        return r.err().code;
    };
    // Another node's key announced is not this node's.
    t.submit(node_key_announced{key_filled_with(0x43).public_bytes()});
    BOOST_CHECK(code_of() == errc::node_key_not_announced);

    // Announced, it signs; revoked, it no longer does.
    t.announce();
    BOOST_CHECK(code_of() == std::nullopt);
    t.submit(key_revoked{community_fund, t.node_key.public_bytes()});
    BOOST_CHECK(code_of() == errc::node_key_not_announced);
}

BOOST_AUTO_TEST_CASE(a_checkpoint_after_n_events_signs_those_leaves_and_verifies) {
    checkpointed_town t;
    t.announce();
    constexpr std::uint64_t n_events = 5;
    for (std::uint64_t i = 0; i < n_events; ++i) t.admit_one();
    const std::uint64_t leaves = 2 + n_events;  // the founding, the announcement, the admissions
    BOOST_REQUIRE_EQUAL(t.tree_size(), leaves);

    checkpointer cp(*t.n, key_filled_with(0x42), t.on_demand());
    auto first = cp.sign_now(town);
    BOOST_REQUIRE_MESSAGE(first.ok(), (first.ok() ? "" : first.err().message));
    BOOST_CHECK(first->fresh);
    const auto& r = first->record;
    BOOST_CHECK_EQUAL(r.tree_size, leaves);
    BOOST_CHECK_EQUAL(r.leaf, leaves);  // the checkpoint is the next leaf itself
    BOOST_CHECK(r.signer == t.node_key.public_bytes());
    BOOST_CHECK_EQUAL(r.signed_at.value, 1'750'000'000'000);
    const auto& db = t.n->projections(town);
    BOOST_CHECK(r.root == read_root(db, town, leaves).value());
    BOOST_CHECK(r.verdict_root == read_verdict_root(db, town, leaves).value());
    BOOST_CHECK(read_latest_checkpoint(db, town).value() == r);

    // In the log, accepted, as the node key signed it.
    const auto found = t.n->find_event(scoped_id{town, r.id});
    BOOST_REQUIRE(found.has_value());
    BOOST_CHECK(found->first.first.accepted());
    BOOST_CHECK(found->first.at == r.at);
    auto record = t.n->record_at(town, r.at);
    BOOST_REQUIRE(record.ok());
    auto env = decode_envelope(record->payload);
    BOOST_REQUIRE(env.ok());
    BOOST_CHECK(env->signer == t.node_key.public_bytes());
    key_cache keys;
    BOOST_CHECK(keys.verify_envelope(*env));
    auto forged = *env;
    forged.body.back() ^= 1;
    BOOST_CHECK(!keys.verify_envelope(forged));
    auto body = decode_body(env->body);
    BOOST_REQUIRE(body.ok());
    BOOST_CHECK(body->author == community_fund);
    BOOST_CHECK(body->community == town);
    const auto* signed_cp = std::get_if<checkpoint>(&body->payload);
    BOOST_REQUIRE(signed_cp != nullptr);
    BOOST_CHECK_EQUAL(signed_cp->tree_size, leaves);
    BOOST_CHECK(signed_cp->root == r.root);
    BOOST_REQUIRE(signed_cp->verdict_root.has_value());
    BOOST_CHECK(*signed_cp->verdict_root == r.verdict_root);
    // Its id is the node's own derivation of (community, size, key): a retry is a duplicate.
    BOOST_CHECK(
        body->id ==
        node_event_id(t.node_key, checkpoint_event_id(town, leaves, t.node_key.public_bytes())));
}

BOOST_AUTO_TEST_CASE(nothing_new_means_the_same_checkpoint_and_nothing_appended) {
    checkpointed_town t;
    t.announce();
    t.admit_one();
    checkpointer cp(*t.n, key_filled_with(0x42), t.on_demand());
    auto first = cp.sign_now(town);
    BOOST_REQUIRE(first.ok() && first->fresh);
    const offset end = t.log_end();
    for (int i = 0; i < 3; ++i) {
        auto again = cp.sign_now(town);
        BOOST_REQUIRE(again.ok());
        BOOST_CHECK(!again->fresh);
        BOOST_CHECK(again->record == first->record);
    }
    BOOST_CHECK(t.log_end() == end);
    // Two new events: the next checkpoint covers them and this node's previous checkpoint.
    t.submit(node_key_announced{key_filled_with(0x44).public_bytes()});
    t.admit_one();
    auto next = cp.sign_now(town);
    BOOST_REQUIRE(next.ok());
    BOOST_CHECK(next->fresh);
    BOOST_CHECK_EQUAL(next->record.tree_size, first->record.tree_size + 3);
    BOOST_CHECK(next->record.root != first->record.root);
    BOOST_CHECK(t.log_end() == offset{end.value + 3});
}

BOOST_AUTO_TEST_CASE(the_interval_thread_signs_what_is_new_and_then_stays_quiet) {
    checkpointed_town t;
    t.announce();
    t.admit_one();
    t.admit_one();
    checkpointer cp(*t.n, key_filled_with(0x42), {20ms, [] { return time_ms{1}; }});
    cp.start();
    auto covered = [&](std::uint64_t size) {
        for (auto until = std::chrono::steady_clock::now() + 10s;
             std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(5ms)) {
            auto latest = read_latest_checkpoint(t.n->projections(town), town);
            if (latest.ok() && *latest && (*latest)->tree_size >= size) return true;
        }
        return false;
    };
    BOOST_REQUIRE(covered(4));
    // Ten intervals with nothing new: no more checkpoints.
    std::this_thread::sleep_for(40ms);
    const offset quiet = t.log_end();
    std::this_thread::sleep_for(200ms);
    BOOST_CHECK(t.log_end() == quiet);
    // Something new is attested at the next ticks.
    t.admit_one();
    BOOST_CHECK(covered(quiet.value + 1));
    cp.stop();
    const offset stopped = t.log_end();
    t.admit_one();
    std::this_thread::sleep_for(100ms);
    BOOST_CHECK(t.log_end() == offset{stopped.value + 1});  // only the admission
    cp.stop();                                              // again: nothing to do
}

BOOST_AUTO_TEST_SUITE_END()
