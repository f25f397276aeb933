// One contract, two logs: the event_log contract (order, durability of acknowledged appends,
// reads from any offset, waiting reads, refusals, and an outage) written once against
// `event_log&` and run against a LocalLog in a temporary folder and a KafkaLog on a real
// one-node Kafka cluster (one cluster for the whole file; a fresh topic per case). Then what is
// KafkaLog's own: the partitioner agrees with librdkafka's, the topic's settings, and the checks
// on records that another producer wrote.

#include <librdkafka/rdkafka.h>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ledger/core/personal.h"
#include "ledger/log/kafka_log.h"
#include "ledger/log/local_log.h"
#include "tests/support/kafka_cluster.h"
#include "tests/support/kafka_raw.h"
#include "tests/support/temp_dir.h"

using namespace uurwerk;
using namespace std::chrono_literals;
using uurwerk::testing::kafka_cluster;
using uurwerk::testing::temp_dir;
using steady = std::chrono::steady_clock;

namespace {

// The bound a KafkaLog append gets when no broker takes it.
constexpr auto kafka_delivery_timeout = 2000ms;
// Communities are spread over this many partitions; the KafkaLog under test is partition 1, so
// that keys and partitions are checked with a partition other than 0.
constexpr std::uint32_t partitions_total = 2;
constexpr partition_id partition_under_test{1};

// ---------------------------------------------------------------------------------------------
// One Kafka node for the whole file.

kafka_cluster* the_cluster = nullptr;

struct kafka_for_this_file {
    void setup() {
        dir = std::make_unique<temp_dir>("kafka-contract");
        cluster = std::make_unique<kafka_cluster>(dir->path / "cluster", 1);
        the_cluster = cluster.get();
    }
    void teardown() {
        the_cluster = nullptr;
        cluster.reset();
        dir.reset();
    }
    std::unique_ptr<temp_dir> dir;
    std::unique_ptr<kafka_cluster> cluster;
};
BOOST_TEST_GLOBAL_FIXTURE(kafka_for_this_file);

kafka_cluster& cluster() {
    BOOST_REQUIRE_MESSAGE(the_cluster != nullptr, "the Kafka cluster did not start");
    return *the_cluster;
}

std::string fresh_topic() {
    static std::atomic<int> counter{0};
    return "uurwerk-contract-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

kafka_log_options kafka_options(const std::string& topic) {
    kafka_log_options o;
    o.bootstrap_servers = cluster().bootstrap();
    o.topic = topic;
    o.partition = partition_under_test;
    o.partitions_total = partitions_total;
    o.replication_factor = 1;  // one node
    o.min_insync_replicas = 1;
    o.delivery_timeout = kafka_delivery_timeout;
    o.close_timeout = 5s;
    o.client_id = "uurwerk-contract-test";
    return o;
}

std::unique_ptr<kafka_log> open_kafka(const kafka_log_options& o) {
    auto opened = kafka_log::open(o);
    BOOST_REQUIRE_MESSAGE(
        opened.ok(),
        (opened.ok() ? "" : std::string(name(opened.err().code)) + ": " + opened.err().message));
    return std::move(opened).value();
}

// ---------------------------------------------------------------------------------------------
// Events: real stored envelopes (the signature is not checked by a log), of 150 to 450 bytes.

community_id first_community_of(partition_id p) {
    for (std::uint64_t c = 1;; ++c) {
        if (partition_of(community_id{c}, partitions_total) == p) return community_id{c};
    }
}

bytes event_for(community_id community, std::uint64_t i) {
    event_body body;
    for (std::size_t k = 0; k < body.id.b.size(); ++k) {
        body.id.b[k] = static_cast<std::uint8_t>((i >> (8 * (k % 8))) + k + 1);
    }
    body.community = community;
    body.author = member_id{1 + i % 7};
    body.seq = sequence{i + 1};
    body.created_at = time_ms{1'700'000'000'000 + static_cast<std::int64_t>(i)};
    transfer t;
    t.to = member_id{2};
    t.amount = minutes{static_cast<std::int64_t>(1 + i % 60)};
    if (i % 2) t.note_digest = commit_text(personal_salt{}, std::to_string(i));
    body.payload = t;
    envelope e;
    e.body = encode_body(body);
    e.signer.b.fill(0x11);
    e.sig.b.fill(0x22);
    return encode_envelope(e);
}

// ---------------------------------------------------------------------------------------------
// What a contract case needs of a log.

class log_under_test {
public:
    virtual ~log_under_test() = default;
    event_log& log() { return *log_; }
    // Closes the log and opens the same one anew.
    virtual void reopen() = 0;
    // A community whose events this log takes.
    virtual community_id community() const = 0;
    // Whether append refuses a payload that is not a stored envelope (KafkaLog must, to key it).
    virtual bool refuses_undecodable() const = 0;
    // Takes the log's storage away, and gives it back; the log object may be replaced.
    virtual void outage_begin() = 0;
    virtual void outage_end() = 0;
    // The error an append gets during the outage, and how quickly it must get it.
    virtual errc outage_error() const = 0;
    virtual std::chrono::milliseconds failure_bound() const = 0;

    bytes event(std::uint64_t i) const { return event_for(community(), i); }

protected:
    std::unique_ptr<event_log> log_;
};

class local_under_test final : public log_under_test {
public:
    local_under_test() : dir_("contract-local") { open(0); }
    void reopen() override { open(0); }
    community_id community() const override { return community_id{7}; }
    bool refuses_undecodable() const override { return false; }
    // A disk that fails every sync from now on.
    void outage_begin() override { open(1); }
    void outage_end() override { open(0); }
    errc outage_error() const override { return errc::io_error; }
    std::chrono::milliseconds failure_bound() const override { return 1000ms; }

private:
    void open(std::uint64_t fail_sync_from) {
        log_.reset();
        local_log_options o;
        o.dir = dir_.path;
        o.clock = [] { return time_ms{1'700'000'000'000}; };
        o.fail_sync_from = fail_sync_from;
        auto opened = local_log::open(o);
        BOOST_REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? "" : opened.err().message));
        log_ = std::move(opened).value();
    }
    temp_dir dir_;
};

class kafka_under_test final : public log_under_test {
public:
    kafka_under_test() : options_(kafka_options(fresh_topic())) { log_ = open_kafka(options_); }
    ~kafka_under_test() override {
        if (broker_stopped_) cluster().start(0);  // a failed check must not leave it down
    }
    void reopen() override {
        log_.reset();
        log_ = open_kafka(options_);
    }
    community_id community() const override { return first_community_of(partition_under_test); }
    bool refuses_undecodable() const override { return true; }
    // Every broker away (the one node, stopped as an operator would).
    void outage_begin() override {
        cluster().stop(0);
        broker_stopped_ = true;
    }
    void outage_end() override {
        cluster().start(0);
        broker_stopped_ = false;
    }
    errc outage_error() const override { return errc::log_unavailable; }
    std::chrono::milliseconds failure_bound() const override { return 3 * kafka_delivery_timeout; }

private:
    kafka_log_options options_;
    bool broker_stopped_ = false;
};

// Defines `name` once and runs it against both logs, as two test cases.
#define CONTRACT_CASE(name)                                                    \
    void name(log_under_test& subject);                                        \
    BOOST_AUTO_TEST_CASE(name##__local_log) {                                  \
        local_under_test subject;                                              \
        name(subject);                                                         \
    }                                                                          \
    BOOST_AUTO_TEST_CASE(name##__kafka_log, *boost::unit_test::timeout(120)) { \
        kafka_under_test subject;                                              \
        name(subject);                                                         \
    }                                                                          \
    void name(log_under_test& subject)

offset append_ok(event_log& log, bytes payload) {
    auto r = log.append(std::move(payload));
    BOOST_REQUIRE_MESSAGE(r.ok(),
                          (r.ok() ? "" : std::string(name(r.err().code)) + ": " + r.err().message));
    return *r;
}

// Reads [from, from + n) with as many reads as it takes (a log may give fewer records than
// asked for), waiting up to 10 s in all.
std::vector<log_record> read_n(event_log& log, offset from, std::size_t n) {
    std::vector<log_record> out;
    const auto deadline = steady::now() + 10s;
    while (out.size() < n && steady::now() < deadline) {
        auto r = log.read(offset{from.value + out.size()}, n - out.size(), 1000ms);
        BOOST_REQUIRE_MESSAGE(
            r.ok(), (r.ok() ? "" : std::string(name(r.err().code)) + ": " + r.err().message));
        for (auto& rec : *r) out.push_back(std::move(rec));
    }
    BOOST_REQUIRE_EQUAL(out.size(), n);
    return out;
}

void expect_events(log_under_test& subject, std::uint64_t first, std::uint64_t n) {
    const auto records = read_n(subject.log(), offset{first}, n);
    for (std::uint64_t k = 0; k < n; ++k) {
        BOOST_TEST(records[k].at == offset{first + k});
        BOOST_TEST((records[k].payload == subject.event(first + k)), "payload at " << first + k);
    }
}

std::chrono::milliseconds since(steady::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(event_log_contract)

CONTRACT_CASE(appends_are_read_back_in_order_with_their_offsets) {
    event_log& log = subject.log();
    BOOST_TEST(log.end() == offset{0});
    for (std::uint64_t i = 0; i < 50; ++i)
        BOOST_TEST(append_ok(log, subject.event(i)) == offset{i});
    BOOST_TEST(log.end() == offset{50});
    const auto records = read_n(log, offset{0}, 50);
    for (std::uint64_t i = 0; i < 50; ++i) {
        BOOST_TEST(records[i].at == offset{i});
        BOOST_TEST((records[i].payload == subject.event(i)), "payload at " << i);
        BOOST_TEST(records[i].appended_at.value > 0);
        if (i > 0) BOOST_TEST(records[i].appended_at >= records[i - 1].appended_at);
    }

    // Concurrent appenders: every callback runs once, offsets are unique and consecutive, and
    // each thread's own appends keep their order.
    constexpr std::uint64_t threads = 4, per_thread = 50;
    std::mutex mutex;
    std::condition_variable changed;
    std::map<std::uint64_t, std::uint64_t> event_at;  // offset -> event number
    std::vector<std::vector<std::uint64_t>> offsets_of(threads);
    int failures = 0, refused = 0;
    {
        std::vector<std::thread> workers;
        for (std::uint64_t t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                for (std::uint64_t k = 0; k < per_thread; ++k) {
                    const std::uint64_t i = 1000 + t * per_thread + k;
                    auto queued = log.append_async(subject.event(i), [&, t, i](result<offset> r) {
                        std::lock_guard lock(mutex);
                        if (!r) {
                            ++failures;
                        } else {
                            if (!event_at.emplace(r->value, i).second) ++failures;
                            offsets_of[t].push_back(r->value);
                        }
                        changed.notify_all();
                    });
                    if (!queued) {
                        std::lock_guard lock(mutex);
                        ++refused;
                    }
                }
            });
        }
        for (auto& w : workers) w.join();
    }
    std::unique_lock lock(mutex);
    BOOST_REQUIRE(changed.wait_for(lock, 30s, [&] {
        return event_at.size() + static_cast<std::size_t>(failures + refused) >=
               threads * per_thread;
    }));
    BOOST_REQUIRE_EQUAL(failures, 0);
    BOOST_REQUIRE_EQUAL(refused, 0);
    BOOST_REQUIRE_EQUAL(event_at.size(), threads * per_thread);
    BOOST_TEST(event_at.begin()->first == 50u);
    BOOST_TEST(event_at.rbegin()->first == 50 + threads * per_thread - 1);
    for (const auto& mine : offsets_of) BOOST_TEST(std::is_sorted(mine.begin(), mine.end()));
    lock.unlock();
    const auto all = read_n(log, offset{50}, threads * per_thread);
    for (const auto& r : all) {
        BOOST_TEST((r.payload == subject.event(event_at.at(r.at.value))), "payload at " << r.at);
    }
}

CONTRACT_CASE(acknowledged_appends_are_there_after_reopening) {
    for (std::uint64_t i = 0; i < 20; ++i) append_ok(subject.log(), subject.event(i));
    subject.reopen();
    BOOST_TEST(subject.log().end() == offset{20});
    expect_events(subject, 0, 20);
    BOOST_TEST(append_ok(subject.log(), subject.event(20)) == offset{20});
    subject.reopen();
    expect_events(subject, 0, 21);
}

CONTRACT_CASE(reads_start_at_any_offset_forwards_and_backwards) {
    event_log& log = subject.log();
    for (std::uint64_t i = 0; i < 30; ++i) append_ok(log, subject.event(i));
    expect_events(subject, 10, 5);
    expect_events(subject, 25, 5);
    expect_events(subject, 3, 1);
    expect_events(subject, 0, 2);  // backwards
    expect_events(subject, 2, 3);  // where the last read stopped
    auto last = log.read(offset{29}, 100, 5s);
    BOOST_REQUIRE(last.ok());
    BOOST_REQUIRE_EQUAL(last->size(), 1u);
    BOOST_TEST((last->front().payload == subject.event(29)));
    auto none = log.read(offset{0}, 0, 0ms);
    BOOST_REQUIRE(none.ok());
    BOOST_TEST(none->empty());
}

CONTRACT_CASE(a_read_at_the_end_waits_and_returns_empty_or_what_comes) {
    event_log& log = subject.log();
    for (std::uint64_t i = 0; i < 3; ++i) append_ok(log, subject.event(i));
    expect_events(subject, 0, 3);

    for (const std::uint64_t from : {3u, 8u}) {  // at the end, and beyond it
        const auto start = steady::now();
        auto r = log.read(offset{from}, 10, 300ms);
        const auto took = since(start);
        BOOST_REQUIRE_MESSAGE(
            r.ok(), (r.ok() ? "" : std::string(name(r.err().code)) + ": " + r.err().message));
        BOOST_TEST(r->empty());
        BOOST_TEST(took >= 250ms,
                   "read from " << from << " returned after " << took.count() << " ms");
        BOOST_TEST(took < 5s, "read from " << from << " returned after " << took.count() << " ms");
    }

    // A waiting reader gets a record appended while it waits.
    std::thread writer([&] {
        std::this_thread::sleep_for(200ms);
        log.append(subject.event(3)).ignore_error();  // checked by the read below
    });
    const auto start = steady::now();
    auto r = log.read(offset{3}, 10, 20s);
    writer.join();
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE_EQUAL(r->size(), 1u);
    BOOST_TEST((r->front().payload == subject.event(3)));
    BOOST_TEST(since(start) < 10s);
}

CONTRACT_CASE(bad_records_are_refused_at_once_and_never_appended) {
    event_log& log = subject.log();
    append_ok(log, subject.event(0));
    std::atomic<int> called{0};
    const auto refused = [&](bytes payload, const char* what) {
        const auto start = steady::now();
        auto r = log.append_async(std::move(payload), [&](result<offset>) { ++called; });
        BOOST_TEST_CONTEXT(what) {
            BOOST_REQUIRE(!r.ok());
            BOOST_TEST(r.err().code == errc::bad_record, r.err().code << ": " << r.err().message);
            BOOST_TEST(since(start) < 100ms);
        }
    };
    refused(bytes{}, "empty");
    refused(bytes(envelope_bytes_max + 1, 0x42), "one byte over the limit");
    bytes oversized_event = subject.event(1);
    oversized_event.resize(envelope_bytes_max + 1, 0);
    refused(std::move(oversized_event), "an event with bytes after it, over the limit");
    if (subject.refuses_undecodable()) {
        refused(bytes(100, 0x42), "not a stored envelope");
        bytes truncated = subject.event(1);
        truncated.resize(truncated.size() / 2);
        refused(std::move(truncated), "half an envelope");
    }
    BOOST_TEST(append_ok(log, subject.event(1)) == offset{1});
    BOOST_TEST(log.end() == offset{2});
    expect_events(subject, 0, 2);
    BOOST_TEST(called.load() == 0);
}

CONTRACT_CASE(an_outage_fails_appends_within_a_bound_and_loses_nothing_acknowledged) {
    for (std::uint64_t i = 0; i < 10; ++i) append_ok(subject.log(), subject.event(i));

    subject.outage_begin();
    const auto start = steady::now();
    auto failed = subject.log().append(subject.event(10));
    const auto took = since(start);
    BOOST_REQUIRE_MESSAGE(!failed.ok(), "an append during the outage was acknowledged");
    BOOST_TEST(failed.err().code == subject.outage_error(), failed.err().message);
    BOOST_TEST(took < subject.failure_bound(), "failed after " << took.count() << " ms");
    BOOST_TEST_MESSAGE("an append during the outage failed after "
                       << took.count() << " ms: " << failed.err().message);
    // Reads answer within their wait (with whatever they have, or an error), never hang.
    const auto read_start = steady::now();
    subject.log().read(offset{0}, 10, 300ms).ignore_error();  // only its time is checked
    BOOST_TEST(since(read_start) < 5s);

    subject.outage_end();
    // Appends succeed again once the log is back (the client reconnects: allow it some tries).
    const auto back = steady::now();
    result<offset> resumed = make_error(errc::internal_error, "not tried");
    for (int attempt = 0; attempt < 30; ++attempt) {
        resumed = subject.log().append(subject.event(11));
        if (resumed.ok()) break;
        BOOST_TEST_MESSAGE("append after the outage: " << resumed.err().message);
    }
    BOOST_REQUIRE_MESSAGE(
        resumed.ok(),
        (resumed.ok() ? "" : std::string(name(resumed.err().code)) + ": " + resumed.err().message));
    BOOST_TEST_MESSAGE("appends resumed " << since(back).count() << " ms after the log was back");
    // Every acknowledged record is there. The failed append was not acknowledged, and its
    // outcome is unknown (it may have reached the disk or a broker before the failure): it is
    // either absent or whole, never anything else.
    expect_events(subject, 0, 10);
    BOOST_TEST((*resumed == offset{10} || *resumed == offset{11}), "resumed at " << *resumed);
    if (*resumed == offset{11}) expect_events(subject, 10, 1);
    const auto last = read_n(subject.log(), *resumed, 1);
    BOOST_TEST((last[0].payload == subject.event(11)));
    BOOST_TEST(subject.log().end() == offset{resumed->value + 1});
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
// What is KafkaLog's own.

BOOST_AUTO_TEST_SUITE(kafka_log_suite)

BOOST_AUTO_TEST_CASE(partition_of_agrees_with_librdkafkas_murmur2_partitioner) {
    // librdkafka's `murmur2` partitioner is the Java client's default: the same partition for
    // every community and partition count, so other Kafka tools agree with uurwerk.
    for (std::uint64_t c = 0; c < 5000; c += 7) {
        const community_key key = key_of(community_id{c});
        for (std::int32_t n : {1, 2, 3, 8, 12, 64, 1000}) {
            const std::int32_t theirs = rd_kafka_msg_partitioner_murmur2(
                nullptr, key.data(), key.size(), n, nullptr, nullptr);
            BOOST_REQUIRE_EQUAL(
                static_cast<std::int32_t>(
                    partition_of(community_id{c}, static_cast<std::uint32_t>(n)).value),
                theirs);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_community_of_another_partition_is_refused, *boost::unit_test::timeout(60)) {
    auto log = open_kafka(kafka_options(fresh_topic()));
    const community_id other = first_community_of(partition_id{0});
    auto r = log->append(event_for(other, 0));
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.err().code == errc::bad_record, r.err().message);
    BOOST_TEST(log->end() == offset{0});
}

BOOST_AUTO_TEST_CASE(records_carry_the_brokers_append_time, *boost::unit_test::timeout(60)) {
    auto log = open_kafka(kafka_options(fresh_topic()));
    const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    auto at = log->append(event_for(first_community_of(partition_under_test), 0));
    BOOST_REQUIRE(at.ok());
    const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    auto r = log->read(*at, 1, 10s);
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE_EQUAL(r->size(), 1u);
    // The broker's clock, not the event's createdAtMs (2023) nor anything the client chose.
    BOOST_TEST(r->front().appended_at.value >= before - 1000);
    BOOST_TEST(r->front().appended_at.value <= after + 1000);
}

BOOST_AUTO_TEST_CASE(an_existing_topic_with_another_partition_count_is_refused,
                     *boost::unit_test::timeout(60)) {
    const std::string topic = fresh_topic();
    open_kafka(kafka_options(topic)).reset();  // creates it with 2 partitions
    auto o = kafka_options(topic);
    o.partitions_total = 3;
    o.partition = partition_id{0};
    auto r = kafka_log::open(o);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.err().code == errc::topic_mismatch, r.err().message);

    o.partition = partition_id{3};  // and a partition outside the count is a bad argument
    auto outside = kafka_log::open(o);
    BOOST_REQUIRE(!outside.ok());
    BOOST_TEST(outside.err().code == errc::bad_argument, outside.err().message);
}

namespace {

// Writes one raw record with `key` to `topic`'s partition under test, as another program could.
void produce_raw(const std::string& topic, const std::string& key, const bytes& value) {
    uurwerk::testing::produce_raw(cluster().bootstrap(), topic,
                                  static_cast<std::int32_t>(partition_under_test.value), key,
                                  value);
}

}  // namespace

BOOST_AUTO_TEST_CASE(records_another_producer_wrote_that_cannot_be_events_are_read_as_foreign,
                     *boost::unit_test::timeout(60)) {
    const std::string topic = fresh_topic();
    auto log = open_kafka(kafka_options(topic));
    const community_id mine = first_community_of(partition_under_test);
    const community_key good = key_of(mine);
    const std::string good_key(good.begin(), good.end());
    BOOST_REQUIRE(log->append(event_for(mine, 0)).ok());
    produce_raw(topic, "abc", event_for(mine, 1));  // not an 8-byte key
    const community_key other = key_of(first_community_of(partition_id{0}));
    produce_raw(topic, std::string(other.begin(), other.end()), event_for(mine, 2));
    produce_raw(topic, good_key, bytes{});                              // empty payload
    produce_raw(topic, good_key, bytes(envelope_bytes_max + 1, 0x61));  // oversized payload
    produce_raw(topic, good_key, event_for(mine, 5));  // a record that may be an event
    BOOST_REQUIRE(log->append(event_for(mine, 6)).ok());

    // Every record in its place, none refused: the four that cannot be events as foreign, with
    // why and where; the others as they were written.
    std::vector<log_record> all;
    while (all.size() < 7) {
        auto some = log->read(offset{all.size()}, 10, 10s);
        BOOST_REQUIRE_MESSAGE(some.ok(), (some.ok() ? "" : some.err().message));
        BOOST_REQUIRE(!some->empty());
        all.insert(all.end(), some->begin(), some->end());
    }
    BOOST_REQUIRE_EQUAL(all.size(), 7u);
    const std::vector<std::string> why = {"",
                                          "has a key of 3 bytes",
                                          "which belongs to partition 0",
                                          "has 0 bytes",
                                          "has 4097 bytes",
                                          "",
                                          ""};
    for (std::uint64_t at = 0; at < 7; ++at) {
        BOOST_TEST_CONTEXT("record " << at) {
            BOOST_TEST(all[at].at == offset{at});
            BOOST_TEST(all[at].appended_at.value > 0);
            if (why[at].empty()) {
                BOOST_TEST(all[at].foreign.empty(), all[at].foreign);
                BOOST_TEST((all[at].payload == event_for(mine, at)));
                continue;
            }
            BOOST_TEST(all[at].foreign.find(why[at]) != std::string::npos, all[at].foreign);
            BOOST_TEST(all[at].foreign.find("record " + std::to_string(at) + " of " + topic) !=
                           std::string::npos,
                       all[at].foreign);
            BOOST_TEST(all[at].payload.empty());
        }
    }
    // A lookup of a foreign record finds it in its place too.
    auto looked = log->lookup(offset{3}, 1, 10s);
    BOOST_REQUIRE(looked.ok());
    BOOST_REQUIRE_EQUAL(looked->size(), 1u);
    BOOST_TEST(!(*looked)[0].foreign.empty());
}

namespace {

std::shared_ptr<kafka_producer> open_producer(const kafka_log_options& o) {
    auto opened = kafka_producer::open(o);
    BOOST_REQUIRE_MESSAGE(
        opened.ok(),
        (opened.ok() ? "" : std::string(name(opened.err().code)) + ": " + opened.err().message));
    return std::move(opened).value();
}

std::unique_ptr<kafka_log> open_on(const std::shared_ptr<kafka_producer>& producer,
                                   const std::string& topic, partition_id p) {
    auto o = kafka_options(topic);
    o.partition = p;
    auto opened = kafka_log::open(o, producer);
    BOOST_REQUIRE_MESSAGE(
        opened.ok(),
        (opened.ok() ? "" : std::string(name(opened.err().code)) + ": " + opened.err().message));
    return std::move(opened).value();
}

// Appends `payload`, trying again (up to 30 times) while the log answers with an error, as a
// client does while the brokers settle; the offset it got (the test fails if none).
offset append_eventually(kafka_log& log, const bytes& payload) {
    result<offset> r = make_error(errc::internal_error, "not tried");
    for (int attempt = 0; attempt < 30 && !r.ok(); ++attempt) r = log.append(payload);
    BOOST_REQUIRE_MESSAGE(r.ok(),
                          (r.ok() ? "" : std::string(name(r.err().code)) + ": " + r.err().message));
    return *r;
}

// The outcomes of asynchronous appends, by partition, in the order their callbacks ran.
struct outcomes {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::vector<result<offset>>> of{partitions_total};
    append_callback into(partition_id p) {
        return [this, p](result<offset> r) {
            std::lock_guard lock(mutex);
            of[p.value].push_back(std::move(r));
            changed.notify_all();
        };
    }
    bool wait(partition_id p, std::size_t n, std::chrono::milliseconds bound) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, bound, [&] { return of[p.value].size() >= n; });
    }
    std::size_t count(partition_id p) {
        std::lock_guard lock(mutex);
        return of[p.value].size();
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(partitions_sharing_one_producer_are_each_acknowledged_in_their_own_order,
                     *boost::unit_test::timeout(60)) {
    const std::string topic = fresh_topic();
    auto producer = open_producer(kafka_options(topic));
    std::vector<std::unique_ptr<kafka_log>> logs;
    for (std::uint32_t p = 0; p < partitions_total; ++p)
        logs.push_back(open_on(producer, topic, partition_id{p}));
    // A second log of a partition would take the first one's delivery reports.
    auto twice = kafka_log::open(kafka_options(topic), producer);
    BOOST_REQUIRE(!twice.ok());
    BOOST_TEST(twice.err().code == errc::bad_argument, twice.err().message);
    auto other_topic = kafka_log::open(kafka_options(fresh_topic()), producer);
    BOOST_REQUIRE(!other_topic.ok());
    BOOST_TEST(other_topic.err().code == errc::bad_argument, other_topic.err().message);

    // Interleaved appends to both partitions: each report reaches its own partition's callback,
    // in that partition's offset order.
    constexpr std::uint64_t n = 300;
    outcomes acked;
    for (std::uint64_t i = 0; i < n; ++i) {
        for (std::uint32_t p = 0; p < partitions_total; ++p) {
            const partition_id part{p};
            BOOST_REQUIRE(
                logs[p]
                    ->append_async(event_for(first_community_of(part), i), acked.into(part))
                    .ok());
        }
    }
    for (std::uint32_t p = 0; p < partitions_total; ++p) {
        const partition_id part{p};
        BOOST_REQUIRE(acked.wait(part, n, 20s));
        std::lock_guard lock(acked.mutex);
        for (std::uint64_t i = 0; i < n; ++i) {
            const auto& r = acked.of[p][i];
            BOOST_REQUIRE_MESSAGE(
                r.ok(), (r.ok() ? "" : std::string(name(r.err().code)) + ": " + r.err().message));
            BOOST_REQUIRE(*r == offset{i});
        }
        const auto records = read_n(*logs[p], offset{0}, n);
        for (std::uint64_t i = 0; i < n; ++i)
            BOOST_REQUIRE((records[i].payload == event_for(first_community_of(part), i)));
    }

    // One log closes; the other goes on, and the partition opens again on the same producer.
    logs[0].reset();
    const community_id c0 = first_community_of(partition_id{0});
    const community_id c1 = first_community_of(partition_id{1});
    BOOST_TEST(append_ok(*logs[1], event_for(c1, n)) == offset{n});
    logs[0] = open_on(producer, topic, partition_id{0});
    BOOST_TEST(append_ok(*logs[0], event_for(c0, n)) == offset{n});
}

BOOST_AUTO_TEST_CASE(a_log_closing_during_an_outage_fails_only_its_own_appends_with_log_closed,
                     *boost::unit_test::timeout(120)) {
    const std::string topic = fresh_topic();
    auto producer = open_producer(kafka_options(topic));
    auto o0 = kafka_options(topic);
    o0.partition = partition_id{0};
    o0.close_timeout = 300ms;
    auto opened = kafka_log::open(o0, producer);
    BOOST_REQUIRE(opened.ok());
    auto log0 = std::move(opened).value();
    auto log1 = open_on(producer, topic, partition_id{1});
    const community_id c0 = first_community_of(partition_id{0});
    const community_id c1 = first_community_of(partition_id{1});
    append_ok(*log0, event_for(c0, 0));
    append_ok(*log1, event_for(c1, 0));

    struct broker_back {  // a failed check must not leave it down
        bool down = false;
        ~broker_back() {
            if (down) cluster().start(0);
        }
    } broker;
    cluster().stop(0);
    broker.down = true;
    outcomes got;
    BOOST_REQUIRE(log0->append_async(event_for(c0, 1), got.into(partition_id{0})).ok());
    BOOST_REQUIRE(log1->append_async(event_for(c1, 1), got.into(partition_id{1})).ok());
    const auto closing = steady::now();
    log0.reset();
    const auto took = since(closing);
    // The closed log's append failed with log_closed, from the destructor, after its
    // close_timeout and long before the delivery bound; the other log's is still waiting.
    BOOST_TEST(took < kafka_delivery_timeout, "closing took " << took.count() << " ms");
    BOOST_REQUIRE_EQUAL(got.count(partition_id{0}), 1u);
    {
        std::lock_guard lock(got.mutex);
        const auto& r = got.of[0][0];
        BOOST_REQUIRE(!r.ok());
        BOOST_TEST(r.err().code == errc::log_closed, r.err().message);
    }
    BOOST_TEST(got.count(partition_id{1}) == 0u);
    // The other fails as any append does when no broker takes it.
    BOOST_REQUIRE(got.wait(partition_id{1}, 1, 3 * kafka_delivery_timeout));
    {
        std::lock_guard lock(got.mutex);
        const auto& r = got.of[1][0];
        BOOST_REQUIRE(!r.ok());
        BOOST_TEST(r.err().code == errc::log_unavailable, r.err().message);
    }

    cluster().start(0);
    broker.down = false;
    // The producer serves the remaining log and a new log of the closed partition.
    append_eventually(*log1, event_for(c1, 2));
    log0 = open_on(producer, topic, partition_id{0});
    append_eventually(*log0, event_for(c0, 2));
}

// librdkafka 2.0.2's idempotent producer can stop for good after a broker dies at the wrong
// moment ("sequence desynchronization", a fatal error): the producer replaces itself, the
// appends it held fail with log_unavailable (send again), and later appends go on in order.
BOOST_AUTO_TEST_CASE(a_fatal_producer_error_is_survived_by_replacing_the_producer,
                     *boost::unit_test::timeout(120)) {
    const std::string topic = fresh_topic();
    auto producer = open_producer(kafka_options(topic));
    auto log0 = open_on(producer, topic, partition_id{0});
    auto log1 = open_on(producer, topic, partition_id{1});
    const community_id c0 = first_community_of(partition_id{0});
    const community_id c1 = first_community_of(partition_id{1});
    BOOST_TEST(append_ok(*log0, event_for(c0, 0)) == offset{0});
    BOOST_TEST(append_ok(*log1, event_for(c1, 0)) == offset{0});
    BOOST_TEST(producer->replacements() == 0u);

    producer->simulate_fatal_error("a drill of the test");
    // Whatever is appended until the replacement is done fails as "may or may not be in the
    // log", never as a closed log or an I/O error.
    outcomes got;
    std::size_t tried = 0;
    const auto deadline = steady::now() + 30s;
    while (producer->replacements() == 0 && steady::now() < deadline) {
        auto queued = log0->append_async(event_for(c0, 1), got.into(partition_id{0}));
        if (queued.ok()) {
            ++tried;
        } else {
            BOOST_TEST(queued.err().code == errc::log_unavailable, queued.err().message);
        }
        std::this_thread::sleep_for(5ms);
    }
    BOOST_REQUIRE_MESSAGE(producer->replacements() == 1u, "the producer was not replaced");
    BOOST_REQUIRE(got.wait(partition_id{0}, tried, 20s));
    std::uint64_t landed = 0;  // copies of event 1 that did reach the broker before the stop
    {
        std::lock_guard lock(got.mutex);
        for (const auto& r : got.of[0]) {
            if (r.ok()) {
                ++landed;
                continue;
            }
            BOOST_TEST(r.err().code == errc::log_unavailable, r.err().message);
            BOOST_TEST(r.err().message.find("send it again") != std::string::npos, r.err().message);
        }
    }
    // The new producer takes appends for both partitions, at the offsets that follow.
    const offset next0 = append_eventually(*log0, event_for(c0, 2));
    BOOST_TEST(next0 == offset{1 + landed});
    BOOST_TEST(append_ok(*log1, event_for(c1, 1)) == offset{1});
    const auto records = read_n(*log0, offset{0}, 2 + landed);
    BOOST_TEST((records.back().payload == event_for(c0, 2)));
    BOOST_TEST(producer->replacements() == 1u);
}

// Not a check: figures for the report (run with --log_level=message to see them).
BOOST_AUTO_TEST_CASE(append_latency_and_throughput_on_one_broker, *boost::unit_test::timeout(120)) {
    auto log = open_kafka(kafka_options(fresh_topic()));
    const community_id c = first_community_of(partition_under_test);
    constexpr std::size_t sequential = 1000, pipelined = 20'000;
    std::vector<bytes> events;
    for (std::size_t i = 0; i < sequential + pipelined; ++i) events.push_back(event_for(c, i));

    std::vector<double> latency_us;
    for (std::size_t i = 0; i < sequential; ++i) {
        const auto start = steady::now();
        BOOST_REQUIRE(log->append(events[i]).ok());
        latency_us.push_back(
            std::chrono::duration<double, std::micro>(steady::now() - start).count());
    }
    std::sort(latency_us.begin(), latency_us.end());

    std::mutex mutex;
    std::condition_variable changed;
    std::size_t done = 0, failed = 0;
    const auto start = steady::now();
    for (std::size_t i = sequential; i < sequential + pipelined; ++i) {
        while (true) {
            auto q = log->append_async(events[i], [&](result<offset> r) {
                std::lock_guard lock(mutex);
                ++done;
                if (!r) ++failed;
                changed.notify_all();
            });
            if (q.ok()) break;
            BOOST_REQUIRE_EQUAL(q.err().code, errc::log_full);
            std::this_thread::sleep_for(1ms);
        }
    }
    std::unique_lock lock(mutex);
    BOOST_REQUIRE(changed.wait_for(lock, 60s, [&] { return done == pipelined; }));
    const double seconds = std::chrono::duration<double>(steady::now() - start).count();
    BOOST_TEST(failed == 0u);
    BOOST_TEST_MESSAGE("kafka_log on 1 broker: sequential append p50 "
                       << latency_us[sequential / 2] << " us, p99 "
                       << latency_us[sequential * 99 / 100] << " us; " << pipelined
                       << " pipelined appends of ~" << events[sequential].size() << " B in "
                       << seconds << " s = " << pipelined / seconds << " appends/s");
}

BOOST_AUTO_TEST_SUITE_END()
