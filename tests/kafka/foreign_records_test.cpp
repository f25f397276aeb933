// Records that another program wrote to the topic, which cannot be events (a key of 3 bytes, a
// key naming a community of another partition, an empty or an oversized payload) or are not
// events (a payload that is not an envelope), among a community's valid events on a real
// one-broker Kafka: no node halts on them; each node skips them alike, counts them in its state
// and goes on applying the later events; a node that folds the topic from its start afterwards
// agrees, and a restarted node keeps its count.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "api/bench/workload.h"
#include "api/node/node.h"
#include "ledger/log/partition.h"
#include "tests/support/kafka_cluster.h"
#include "tests/support/kafka_raw.h"
#include "tests/support/temp_dir.h"

using namespace uurwerk;
using namespace uurwerk::testing;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t partitions_total = 2;

community_id first_community_of(partition_id p) {
    for (std::uint64_t c = 1;; ++c)
        if (partition_of(community_id{c}, partitions_total) == p) return community_id{c};
}

std::unique_ptr<node> open_node(const std::filesystem::path& dir, const kafka_log_options& k) {
    auto n = node::open({dir, wall_clock(), 10s, {}, k});
    BOOST_REQUIRE_MESSAGE(n.ok(),
                          (n.ok() ? "" : std::string(name(n.err().code)) + ": " + n.err().message));
    return std::move(n).value();
}

void submit_accepted(node& n, const bytes& stored) {
    auto r = n.submit(byte_view(stored));
    BOOST_REQUIRE_MESSAGE(r.ok(),
                          (r.ok() ? "" : std::string(name(r.err().code)) + ": " + r.err().message));
    BOOST_REQUIRE(r->decided.accepted());
}

// Waits until the node has applied `records` records in all; its digests then.
node::state_digests digests_after(const node& n, std::uint64_t records) {
    for (int i = 0; i < 300; ++i) {
        auto d = n.state_digest();
        BOOST_REQUIRE(d.ok());
        if (d->applied_total == records) return *d;
        std::this_thread::sleep_for(100ms);
    }
    BOOST_FAIL("the node did not apply " << records << " records in 30 s");
    return {};
}

}  // namespace

BOOST_AUTO_TEST_CASE(foreign_records_are_skipped_and_counted_alike_and_no_node_halts,
                     *boost::unit_test::timeout(300)) {
    temp_dir dir("foreign");
    kafka_cluster cluster(dir.path / "kafka", 1);
    kafka_log_options k;
    k.bootstrap_servers = cluster.bootstrap();
    k.topic = "uurwerk-foreign";
    k.partitions_total = partitions_total;
    k.replication_factor = 1;  // one broker
    k.min_insync_replicas = 1;
    const partition_id p{1};
    const community_id c = first_community_of(p);
    auto w = make_workload({c, 10, 40, 7, 0, {}});

    auto a = open_node(dir.path / "a", k);
    for (const auto& e : w.setup) submit_accepted(*a, e);
    // Among the community's events, what another program writes to its partition.
    const community_key mine = key_of(c), other = key_of(first_community_of(partition_id{0}));
    const std::string key(mine.begin(), mine.end());
    produce_raw(k.bootstrap_servers, k.topic, 1, "abc", w.events[0]);
    produce_raw(k.bootstrap_servers, k.topic, 1, std::string(other.begin(), other.end()),
                w.events[0]);
    produce_raw(k.bootstrap_servers, k.topic, 1, key, bytes{});
    produce_raw(k.bootstrap_servers, k.topic, 1, key, bytes(envelope_bytes_max + 1, 0x61));
    produce_raw(k.bootstrap_servers, k.topic, 1, key, bytes{'n', 'o', 't', ' ', 'a', 'n'});
    constexpr std::uint64_t foreign = 5;
    // The node goes on: each later event is applied (submit waits for its verdict).
    for (std::size_t i = 0; i < 20; ++i) submit_accepted(*a, w.events[i]);
    std::uint64_t records = w.setup.size() + foreign + 20;
    const auto da = digests_after(*a, records);
    BOOST_TEST(da.skipped_total == foreign);
    BOOST_TEST(da.partitions[1].skipped == foreign);
    BOOST_TEST(da.partitions[0].skipped == 0u);

    // A node started now folds the topic from its start (a rebuild) to the same state and
    // count; writes through it are applied by both.
    auto b = open_node(dir.path / "b", k);
    for (std::size_t i = 20; i < w.events.size(); ++i) submit_accepted(*b, w.events[i]);
    records += w.events.size() - 20;
    const auto a_end = digests_after(*a, records), b_end = digests_after(*b, records);
    BOOST_TEST(a_end.combined.hex() == b_end.combined.hex());
    BOOST_TEST(a_end.partitions[1].state.hex() == b_end.partitions[1].state.hex());
    BOOST_TEST(b_end.skipped_total == foreign);
    BOOST_TEST(a_end.skipped_total == foreign);

    // The count is state: a restarted node has it, and agrees.
    a.reset();
    a = open_node(dir.path / "a", k);
    const auto again = digests_after(*a, records);
    BOOST_TEST(again.skipped_total == foreign);
    BOOST_TEST(again.combined.hex() == b_end.combined.hex());
}
