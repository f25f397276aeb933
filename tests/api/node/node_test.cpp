// The node's ingest path against logs that misbehave on purpose: an append that fails is
// answered with the log's error, and the same event submitted again once the log has recovered
// is accepted at once (a failed submit leaves nothing behind that a retry could wait on); a node
// whose projection lags the log (another node took the founding) catches up before it refuses
// an event of a community it does not know yet. A node of two partitions routes each community
// to its own, folds them apart, and a node that folds the same logs in another interleaving
// reaches the same digest.
#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <fstream>
#include <set>
#include <thread>

#include "api/node/node.h"
#include "ledger/log/local_log.h"
#include "ledger/log/partition.h"
#include "tests/support/fake_logs.h"
#include "tests/support/sanitizers.h"
#include "tests/support/temp_dir.h"

using namespace uurwerk;
using uurwerk::testing::flaky_log;
using uurwerk::testing::lagging_log;
using uurwerk::testing::temp_dir;

namespace {

std::unique_ptr<local_log> open_local(const temp_dir& dir, const std::string& name = "log") {
    local_log_options lo;
    lo.dir = dir.path / name;
    lo.clock = wall_clock();
    auto inner = local_log::open(lo);
    BOOST_REQUIRE(inner.ok());
    return std::move(*inner);
}

// An event of community `c` by `author` with sequence number `seq`, and a fresh id.
event_body body_of(community_id c, member_id author, std::uint64_t seq, event_payload p) {
    return {random_event_id(), c, author, sequence{seq}, time_ms{0}, std::nullopt, std::move(p)};
}

// A node on a LocalLog of its own, answering within 3 s.
std::unique_ptr<node> open_node(const temp_dir& dir) {
    auto n =
        node::open_with_log(open_local(dir), dir.path / "store", std::chrono::milliseconds(3000));
    BOOST_REQUIRE(n.ok());
    return std::move(*n);
}

// A node on a LocalLog whose projector reads nothing until the log's release(), as a node of a
// cluster lags the topic; the log stays the node's.
struct lagging_node {
    lagging_log* log;
    std::unique_ptr<node> n;
};
lagging_node open_lagging(const temp_dir& dir) {
    auto owned = std::make_unique<lagging_log>(open_local(dir));
    lagging_log* log = owned.get();
    auto n =
        node::open_with_log(std::move(owned), dir.path / "store", std::chrono::milliseconds(5000));
    BOOST_REQUIRE(n.ok());
    return {log, std::move(*n)};
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_node_behind_the_log_catches_up_before_refusing_an_unknown_community) {
    temp_dir dir("node-lag");
    auto lag = open_lagging(dir);
    lagging_log& log = *lag.log;
    auto& n = lag.n;

    auto founder = signing_key::generate().value();
    auto member = signing_key::generate().value();
    const auto found =
        body_of(community_id{9}, member_id{1}, 1, community_founded{"Noord", policy{}});
    const auto admit = body_of(
        community_id{9}, member_id{1}, 2,
        member_admitted{member_id{2}, member.public_bytes(), role::member, true, std::nullopt});
    // Another node took the founding; this node's projector has not read it yet.
    BOOST_REQUIRE(log.append_elsewhere(encode_envelope(founder.seal(found))).ok());
    BOOST_CHECK(n->folder(partition_id{0}).applied() == offset{0});
    std::thread catch_up([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        log.release();
    });
    auto r = n->submit(stored_envelope::encode(founder.seal(admit)));
    catch_up.join();
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : std::string(name(r.err().code))));
    BOOST_CHECK(r->decided.accepted());
    BOOST_CHECK(r->at == offset{1});
}

// A node that lags the log catches up with it as it stands now (node::catch_up_with_log, the
// ingest path's wait before it refuses), and then knows a key another node registered.
BOOST_AUTO_TEST_CASE(a_node_behind_the_log_catches_up_before_it_answers_a_read) {
    temp_dir dir("node-lag-read");
    auto lag = open_lagging(dir);
    lagging_log& log = *lag.log;
    auto& n = lag.n;
    auto founder = signing_key::generate().value();
    const auto found =
        body_of(community_id{9}, member_id{1}, 1, community_founded{"Noord", policy{}});
    BOOST_REQUIRE(log.append_elsewhere(encode_envelope(founder.seal(found))).ok());
    BOOST_CHECK(!query::key(n->folder(partition_id{0}), community_id{9},
                            founder.public_bytes())
                     .ok());  // not yet applied here
    std::thread release([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        log.release();
    });
    BOOST_CHECK(n->catch_up_with_log(community_id{9}, std::chrono::seconds(5)));
    release.join();
    auto key = query::key(n->folder(partition_id{0}), community_id{9}, founder.public_bytes());
    BOOST_REQUIRE(key.ok());
    BOOST_CHECK_EQUAL(key->last_seq.value, 1u);
}

BOOST_AUTO_TEST_CASE(an_unknown_community_is_still_refused_once_the_node_has_caught_up) {
    temp_dir dir("node-unknown");
    auto n = open_node(dir);
    auto key = signing_key::generate().value();
    const auto post = body_of(community_id{404}, member_id{1}, 1,
                              transfer{member_id{2}, minutes{5}, std::nullopt});
    const auto t0 = std::chrono::steady_clock::now();
    auto r = n->submit(stored_envelope::encode(key.seal(post)));
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_EQUAL(r.err().code, errc::unknown_community);
    BOOST_CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(1000));
}

BOOST_AUTO_TEST_CASE(a_revoked_key_and_a_suspended_member_are_refused_before_the_log) {
    // The log is not a dumping ground: what the fold would reject for its signer alone (a
    // revoked key, a suspended member) is refused without being appended.
    temp_dir dir("node-refused");
    auto n = open_node(dir);
    auto coordinator = signing_key::generate().value();
    auto member = signing_key::generate().value();
    auto old_device = signing_key::generate().value();
    const community_id c{31};
    std::uint64_t seq_c = 0, seq_m = 0;
    auto by = [&](const member_id author, std::uint64_t& seq, event_payload p) {
        return body_of(c, author, ++seq, std::move(p));
    };
    auto accepted = [&](const signing_key& k, event_body b) {
        auto r = n->submit(stored_envelope::encode(k.seal(b)));
        BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().message));
        BOOST_REQUIRE(r->decided.accepted());
    };
    accepted(coordinator, by(member_id{1}, seq_c, community_founded{"Test", policy{}}));
    accepted(coordinator,
             by(member_id{1}, seq_c, member_admitted{member_id{2}, member.public_bytes()}));
    accepted(member, by(member_id{2}, seq_m, key_added{member_id{2}, old_device.public_bytes()}));
    accepted(coordinator,
             by(member_id{1}, seq_c, key_revoked{member_id{2}, old_device.public_bytes()}));
    const offset end = n->log(c).end();
    std::uint64_t seq_old = 0;
    auto stolen = n->submit(stored_envelope::encode(old_device.seal(
        by(member_id{2}, seq_old, transfer{member_id{1}, minutes{5}, std::nullopt}))));
    BOOST_REQUIRE(!stolen.ok());
    BOOST_CHECK_EQUAL(stolen.err().code, errc::signer_revoked);
    accepted(coordinator, by(member_id{1}, seq_c, member_suspended{member_id{2}, std::nullopt}));
    const offset end_suspended = n->log(c).end();
    BOOST_CHECK(end_suspended == offset{end.value + 1});
    auto suspended = n->submit(stored_envelope::encode(
        member.seal(by(member_id{2}, seq_m, transfer{member_id{1}, minutes{5}, std::nullopt}))));
    BOOST_REQUIRE(!suspended.ok());
    BOOST_CHECK_EQUAL(suspended.err().code, errc::member_suspended);
    BOOST_CHECK(n->log(c).end() == end_suspended);  // nothing appended
    accepted(coordinator, by(member_id{1}, seq_c, member_reinstated{member_id{2}}));
    accepted(member, by(member_id{2}, seq_m, transfer{member_id{1}, minutes{5}, std::nullopt}));
}

BOOST_AUTO_TEST_CASE(a_failed_append_is_reported_and_the_same_event_goes_through_on_retry) {
    temp_dir dir("node");
    auto n = node::open_with_log(std::make_unique<flaky_log>(open_local(dir), 1),
                                 dir.path / "store", std::chrono::milliseconds(3000));
    BOOST_REQUIRE(n.ok());

    auto key = signing_key::generate().value();
    const auto env =
        key.seal(body_of(community_id{5}, member_id{1}, 1, community_founded{"Zuid", policy{}}));

    auto first = (*n)->submit(stored_envelope::encode(env));
    BOOST_REQUIRE(!first.ok());
    BOOST_CHECK_EQUAL(first.err().code, errc::log_unavailable);

    const auto t0 = std::chrono::steady_clock::now();
    auto retry = (*n)->submit(stored_envelope::encode(env));
    BOOST_REQUIRE_MESSAGE(retry.ok(), (retry.ok() ? std::string() : retry.err().message));
    BOOST_CHECK(retry->decided.accepted());
    BOOST_CHECK(!retry->duplicate);
    BOOST_CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(2000));
}

namespace {

// A node over two LocalLogs (log0, log1) as its partitions 0 and 1, with its store in `store`.
std::unique_ptr<node> open_two_partitions(const temp_dir& dir, const std::string& store) {
    std::vector<std::unique_ptr<event_log>> logs;
    logs.push_back(open_local(dir, "log0"));
    logs.push_back(open_local(dir, "log1"));
    auto n = node::open_with_logs(std::move(logs), dir.path / store, std::chrono::seconds(5));
    BOOST_REQUIRE(n.ok());
    return std::move(*n);
}

event_body founding(const event_id& id, community_id c) {
    auto b =
        body_of(c, member_id{1}, 1, community_founded{"Town " + std::to_string(c.value), policy{}});
    b.id = id;
    return b;
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_partitions_fold_apart_and_agree_whatever_the_interleaving) {
    temp_dir dir("node-partitions");
    // Two communities of partition 0 and one of partition 1.
    std::vector<community_id> in0, in1;
    for (std::uint64_t c = 1; in0.size() < 2 || in1.empty(); ++c)
        (partition_of(community_id{c}, 2).value == 0 ? in0 : in1).push_back(community_id{c});
    auto founder = signing_key::generate().value();
    const event_id shared = random_event_id();
    node::state_digests live;
    {
        auto n = open_two_partitions(dir, "store-live");
        BOOST_CHECK_EQUAL((*n).partitions(), 2u);
        // One id founds a community in each partition: two events, both accepted.
        auto a = n->submit(stored_envelope::encode(founder.seal(founding(shared, in0[0]))));
        auto b = n->submit(stored_envelope::encode(founder.seal(founding(shared, in1[0]))));
        BOOST_REQUIRE(a.ok() && b.ok());
        BOOST_CHECK(a->decided.accepted() && !a->duplicate);
        BOOST_CHECK(b->decided.accepted() && !b->duplicate);
        BOOST_CHECK(a->partition == partition_id{0} && a->at == offset{0});
        BOOST_CHECK(b->partition == partition_id{1} && b->at == offset{0});
        // Ids are scoped by community, not by partition: another community of the same
        // partition founded under the same id is a third event, accepted too.
        auto c = n->submit(stored_envelope::encode(founder.seal(founding(shared, in0[1]))));
        BOOST_REQUIRE(c.ok());
        BOOST_CHECK(c->decided.accepted() && !c->duplicate);
        BOOST_CHECK(c->partition == partition_id{0} && c->at == offset{1});
        // More events in partition 1 than in 0, interleaved as they come.
        for (std::uint64_t i = 0; i < 3; ++i) {
            auto more = n->submit(
                stored_envelope::encode(founder.seal(founding(random_event_id(), in1[0]))));
            BOOST_REQUIRE(more.ok());
            BOOST_CHECK(more->partition == partition_id{1} && more->at == offset{i + 1});
        }
        for (const auto& [c, p, at] :
             {std::tuple{in0[0], 0u, 0u}, std::tuple{in0[1], 0u, 1u}, std::tuple{in1[0], 1u, 0u}}) {
            const auto found = n->find_event(scoped_id{c, shared});
            BOOST_REQUIRE(found.has_value());
            BOOST_CHECK(found->partition == partition_id{p});
            BOOST_CHECK(found->first.at == offset{at} && found->first.first.accepted());
        }
        BOOST_CHECK(!n->find_event(scoped_id{community_id{in1[0].value + 1000}, shared}));
        auto d = n->state_digest();
        BOOST_REQUIRE(d.ok());
        live = *d;
    }
    BOOST_REQUIRE_EQUAL(live.partitions.size(), 2u);
    BOOST_CHECK(live.partitions[0].applied == offset{2});
    BOOST_CHECK(live.partitions[1].applied == offset{4});
    BOOST_CHECK_EQUAL(live.applied_total, 6u);
    BOOST_CHECK(live.combined ==
                combine_partition_digests({live.partitions[0].state, live.partitions[1].state}));
    // A new node folds partition 0 whole, then partition 1: another interleaving, one digest.
    {
        auto n = open_two_partitions(dir, "store-rebuilt");
        auto d = n->state_digest();
        BOOST_REQUIRE(d.ok());
        BOOST_CHECK(d->combined == live.combined);
        BOOST_CHECK_EQUAL(d->applied_total, 6u);
    }
    // The first node restarts where each partition's store stands: nothing folded twice.
    {
        auto n = open_two_partitions(dir, "store-live");
        auto d = n->state_digest();
        BOOST_REQUIRE(d.ok());
        BOOST_CHECK(d->combined == live.combined);
        BOOST_CHECK(d->partitions[1].applied == offset{4});
    }
}

BOOST_AUTO_TEST_CASE(a_data_folder_folded_from_one_topic_is_refused_for_another) {
    temp_dir dir("node-cluster");
    kafka_log_options k;
    k.bootstrap_servers = "127.0.0.1:1";  // nobody: the check comes before connecting
    k.topic = "uurwerk-events";
    k.partitions_total = 2;
    k.open_timeout = std::chrono::milliseconds(300);
    node_options o{dir.path / "a", wall_clock(), std::chrono::milliseconds(1000), {}, k};
    std::filesystem::create_directories(o.data_dir);
    {
        std::ofstream f(o.data_dir / "cluster");
        f << "topic uurwerk-events\npartitions 3\n";
    }
    auto refused = node::open(o);
    BOOST_REQUIRE(!refused.ok());
    BOOST_CHECK_EQUAL(refused.err().code, errc::data_mismatch);
    BOOST_CHECK(refused.err().message.find("partitions 3") != std::string::npos);
    BOOST_CHECK(refused.err().message.find("partitions 2") != std::string::npos);

    // The same topic and count: no complaint about the folder (the broker is what is missing).
    // Not under ThreadSanitizer, which cannot run librdkafka's threads
    // (tests/support/sanitizers.h).
    k.partitions_total = 3;
    o.kafka = k;
    if (!uurwerk::testing::under_thread_sanitizer) {
        auto unreachable = node::open(o);
        BOOST_REQUIRE(!unreachable.ok());
        BOOST_CHECK_NE(unreachable.err().code, errc::data_mismatch);
    }

    // A folder of an embedded node is not a Kafka node's.
    o.data_dir = dir.path / "b";
    std::filesystem::create_directories(o.data_dir / "log");
    auto embedded = node::open(o);
    BOOST_REQUIRE(!embedded.ok());
    BOOST_CHECK_EQUAL(embedded.err().code, errc::data_mismatch);
}

namespace {

// What submit_async answered, and on which thread, waited for by the test.
struct async_answers {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::pair<result<submit_outcome>, std::thread::id>> got;

    node::submit_callback callback() {
        return [this](result<submit_outcome> r) {
            std::lock_guard lock(mutex);
            got.emplace_back(std::move(r), std::this_thread::get_id());
            changed.notify_all();
        };
    }
    // Waits for the n-th answer (1-based) and returns a copy of it.
    std::pair<result<submit_outcome>, std::thread::id> nth(std::size_t n) {
        std::unique_lock lock(mutex);
        BOOST_REQUIRE(
            changed.wait_for(lock, std::chrono::seconds(10), [&] { return got.size() >= n; }));
        return got[n - 1];
    }
    std::size_t count() {
        std::lock_guard lock(mutex);
        return got.size();
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(submit_async_answers_each_event_once_as_submit_would) {
    temp_dir dir("node-async");
    auto inner = open_local(dir);
    auto n = node::open_with_log(std::make_unique<flaky_log>(std::move(inner), 0),
                                 dir.path / "store", std::chrono::milliseconds(3000));
    BOOST_REQUIRE(n.ok());
    auto key = signing_key::generate().value();
    const auto found = encode_envelope(key.seal(founding(random_event_id(), community_id{3})));
    const auto me = std::this_thread::get_id();
    async_answers answers;

    // Accepted, answered from the node's own thread once committed.
    (*n)->submit_async(found, answers.callback());
    const auto first = answers.nth(1);
    BOOST_REQUIRE_MESSAGE(first.first.ok(),
                          (first.first.ok() ? "" : std::string(name(first.first.err().code))));
    BOOST_CHECK(first.first->decided.accepted());
    BOOST_CHECK(first.first->at == offset{0});
    BOOST_CHECK(!first.first->duplicate);
    BOOST_CHECK(first.second != me);

    // The same event again: its first verdict, known before the log, on the calling thread.
    (*n)->submit_async(found, answers.callback());
    const auto again = answers.nth(2);
    BOOST_REQUIRE(again.first.ok());
    BOOST_CHECK(again.first->duplicate);
    BOOST_CHECK(again.first->at == offset{0});
    BOOST_CHECK(again.second == me);

    // A forged signature and malformed bytes: refused on the calling thread.
    auto forged = key.seal(founding(random_event_id(), community_id{4}));
    forged.sig.b[0] ^= 1;
    (*n)->submit_async(encode_envelope(forged), answers.callback());
    const auto bad = answers.nth(3);
    BOOST_REQUIRE(!bad.first.ok());
    BOOST_CHECK_EQUAL(bad.first.err().code, errc::bad_signature);
    BOOST_CHECK(bad.second == me);
    const bytes junk{1, 2, 3};
    (*n)->submit_async(junk, answers.callback());
    BOOST_CHECK(!answers.nth(4).first.ok());

    // Many at once: every one answered exactly once, all accepted, at distinct offsets.
    std::vector<bytes> many;
    for (std::uint64_t c = 10; c < 60; ++c)
        many.push_back(encode_envelope(key.seal(founding(random_event_id(), community_id{c}))));
    for (const auto& b : many) (*n)->submit_async(b, answers.callback());
    answers.nth(4 + many.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // no second answers come
    BOOST_CHECK_EQUAL(answers.count(), 4 + many.size());
    std::set<std::uint64_t> offsets;
    for (std::size_t i = 4; i < 4 + many.size(); ++i) {
        BOOST_REQUIRE(answers.got[i].first.ok());
        BOOST_CHECK(answers.got[i].first->decided.accepted());
        offsets.insert(answers.got[i].first->at.value);
    }
    BOOST_CHECK_EQUAL(offsets.size(), many.size());
}

BOOST_AUTO_TEST_CASE(submit_async_reports_a_failed_append_and_a_node_closing_under_it) {
    temp_dir dir("node-async-fail");
    auto key = signing_key::generate().value();
    async_answers answers;
    {
        auto n = node::open_with_log(std::make_unique<flaky_log>(open_local(dir), 1),
                                     dir.path / "store", std::chrono::milliseconds(3000));
        BOOST_REQUIRE(n.ok());
        const auto found = encode_envelope(key.seal(founding(random_event_id(), community_id{1})));
        (*n)->submit_async(found, answers.callback());
        const auto failed = answers.nth(1);
        BOOST_REQUIRE(!failed.first.ok());
        BOOST_CHECK_EQUAL(failed.first.err().code, errc::log_unavailable);
        // The same event again, the log being back: answered with its verdict. (The failed
        // ticket is still registered for this id; the record must complete the new one.)
        (*n)->submit_async(found, answers.callback());
        const auto retried = answers.nth(2);
        BOOST_REQUIRE_MESSAGE(
            retried.first.ok(),
            (retried.first.ok() ? "" : std::string(name(retried.first.err().code))));
        BOOST_CHECK(retried.first->decided.accepted());
        BOOST_CHECK(!retried.first->duplicate);
    }
    {
        // The projector never reads what is appended (the log holds it back): the event is
        // durable but not applied when the node closes, and its answer says so.
        temp_dir other("node-async-close");
        auto n = node::open_with_log(std::make_unique<lagging_log>(open_local(other)),
                                     other.path / "store", std::chrono::milliseconds(3000));
        BOOST_REQUIRE(n.ok());
        (*n)->submit_async(encode_envelope(key.seal(founding(random_event_id(), community_id{2}))),
                           answers.callback());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        BOOST_CHECK_EQUAL(answers.count(), 2u);  // not answered while the node is open
    }
    const auto stopped = answers.nth(3);
    BOOST_REQUIRE(!stopped.first.ok());
    BOOST_CHECK_EQUAL(stopped.first.err().code, errc::stopped);
    BOOST_CHECK_EQUAL(answers.count(), 3u);
}

// Each submitted event is announced to the log while it is verified, so that a busy log's
// group commit waits for it; every way out of a submit ends that announcement, or the log would
// wait its whole linger before every later sync.
BOOST_AUTO_TEST_CASE(every_submit_ends_its_announced_append_whatever_its_answer) {
    temp_dir dir("node-intents");
    auto inner = open_local(dir);
    local_log* log = inner.get();
    auto n = node::open_with_log(std::move(inner), dir.path / "store", std::chrono::seconds(5));
    BOOST_REQUIRE(n.ok());
    auto key = signing_key::generate().value();
    const auto found = key.seal(founding(random_event_id(), community_id{3}));

    BOOST_CHECK((*n)->submit(stored_envelope::encode(found)).ok());  // accepted
    BOOST_CHECK_EQUAL(log->appends_coming(), 0u);
    auto again =
        (*n)->submit(stored_envelope::encode(found));  // a duplicate, answered before the log
    BOOST_CHECK(again.ok() && again->duplicate);
    BOOST_CHECK_EQUAL(log->appends_coming(), 0u);
    auto forged = key.seal(founding(random_event_id(), community_id{4}));
    forged.sig.b[0] ^= 1;
    BOOST_CHECK_EQUAL((*n)->submit(stored_envelope::encode(forged)).err().code,
                      errc::bad_signature);
    BOOST_CHECK_EQUAL(log->appends_coming(), 0u);
    const auto stranger = key.seal(body_of(
        community_id{77}, member_id{1}, 2,
        member_admitted{member_id{2}, key.public_bytes(), role::member, true, std::nullopt}));
    BOOST_CHECK_EQUAL((*n)->submit(stored_envelope::encode(stranger)).err().code,
                      errc::unknown_community);
    BOOST_CHECK_EQUAL(log->appends_coming(), 0u);

    async_answers answers;
    std::vector<bytes> many;
    for (std::uint64_t c = 10; c < 60; ++c)
        many.push_back(encode_envelope(key.seal(founding(random_event_id(), community_id{c}))));
    many.push_back(encode_envelope(forged));
    for (const auto& b : many) (*n)->submit_async(b, answers.callback());
    answers.nth(many.size());
    BOOST_CHECK_EQUAL(log->appends_coming(), 0u);
}

// One short write path: the log holds exactly the bytes that were handed in (encoded once, by
// whoever made the envelope), and the projector takes each one's verification from its verdict
// ticket instead of checking the signature again. A record written by anyone else is verified
// as it is read back, and a forged one is skipped.
BOOST_AUTO_TEST_CASE(the_log_holds_the_bytes_as_submitted_and_the_fold_verifies_nothing_twice) {
    temp_dir dir("node-one-path");
    auto n = open_node(dir);
    auto key = signing_key::generate().value();
    for (std::uint64_t c = 1; c <= 20; ++c) {
        auto e = stored_envelope::encode(key.seal(founding(random_event_id(), community_id{c})));
        const bytes handed_in(e.stored().begin(), e.stored().end());
        auto r = n->submit(std::move(e));
        BOOST_REQUIRE(r.ok());
        BOOST_REQUIRE(r->decided.accepted());
        auto rec = n->record_at(community_id{c}, r->at);
        BOOST_REQUIRE(rec.ok());
        BOOST_CHECK(rec->payload == handed_in);
    }
    auto& folder = n->folder(partition_id{0});
    BOOST_CHECK_EQUAL(folder.signature_cache_misses(), 0u);

    // Bytes that reach the log some other way carry no ticket: verified on read-back.
    auto elsewhere = encode_envelope(key.seal(founding(random_event_id(), community_id{40})));
    auto at = n->log(partition_id{0}).append(elsewhere);
    BOOST_REQUIRE(at.ok());
    BOOST_REQUIRE(folder.wait_applied(*at, std::chrono::seconds(5)));
    BOOST_CHECK_EQUAL(folder.signature_cache_misses(), 1u);
    BOOST_CHECK(folder.verdict_at(*at)->decided.accepted());

    auto forged_parts = key.seal(founding(random_event_id(), community_id{41}));
    forged_parts.sig.b[5] ^= 1;
    auto forged_at = n->log(partition_id{0}).append(encode_envelope(forged_parts));
    BOOST_REQUIRE(forged_at.ok());
    BOOST_REQUIRE(folder.wait_applied(*forged_at, std::chrono::seconds(5)));
    BOOST_CHECK_EQUAL(folder.signature_cache_misses(), 2u);
    BOOST_CHECK(folder.verdict_at(*forged_at)->decided.reason == reject_reason::bad_signature);
    BOOST_CHECK(!n->find_event(scoped_id{community_id{41}, decode_body(forged_parts.body)->id}));
}

// Two submits of the same bytes before either is applied: each ticket is completed by a
// record of those bytes (the first record's verdict, then the duplicate's), none is left
// waiting, and nothing is verified twice.
BOOST_AUTO_TEST_CASE(the_same_bytes_submitted_twice_at_once_are_each_answered) {
    temp_dir dir("node-same-twice");
    auto n = open_node(dir);
    auto key = signing_key::generate().value();
    for (int round = 0; round < 20; ++round) {
        const auto e = encode_envelope(key.seal(
            founding(random_event_id(), community_id{static_cast<std::uint64_t>(round + 1)})));
        result<submit_outcome> a = make_error(errc::stopped, "");
        result<submit_outcome> b = make_error(errc::stopped, "");
        std::thread other([&] { b = n->submit(e); });
        a = n->submit(e);
        other.join();
        BOOST_REQUIRE_MESSAGE(a.ok() && b.ok(), "round " << round);
        BOOST_CHECK(a->decided.accepted() && b->decided.accepted());
        BOOST_CHECK(a->at == b->at);                                // both name the first record
        BOOST_CHECK(a->duplicate != b->duplicate || a->duplicate);  // at most one appended first
    }
    BOOST_CHECK_EQUAL(n->folder(partition_id{0}).signature_cache_misses(), 0u);
}
