// Cluster mode of the personal-data store (issue 22, point 7), on a real one-broker Kafka: two
// nodes on one event topic replicate their personal-data stores through the compacted topic
// beside it. A text posted through node A is read on node B, and one posted through B on A; a
// record forged straight into the topic (a text that does not match the commitment in its key)
// is refused by both, counted, and never served. Then the member leaves through A: the texts
// about her are gone from B's store and answers, from both data folders, and, once the broker
// has compacted (the test sets short segment and compaction times), from the topic as a fresh
// reader sees it and from every file of the broker's data folder. The other member's text stays.
// A node that was stopped while a third member left erases that member's text when it starts.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "api/node/node.h"
#include "ledger/core/crypto.h"
#include "ledger/log/kafka_table.h"
#include "ledger/log/partition.h"
#include "tests/support/folder_bytes.h"
#include "tests/support/kafka_cluster.h"
#include "tests/support/kafka_raw.h"
#include "tests/support/temp_dir.h"

using namespace uurwerk;
using namespace uurwerk::testing;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t partitions_total = 2;
const std::string events_topic = "uurwerk-personal-test";
const std::string personal_topic = events_topic + "-personal";

template <typename T>
std::string why(const result<T>& r) {
    return r.ok() ? std::string() : std::string(name(r.err().code)) + ": " + r.err().message;
}

// Short enough that the broker compacts within seconds (the defaults take hours).
table_compaction quick_compaction() {
    table_compaction q;
    q.segment = 1'000ms;
    q.compaction_lag_max = 1'000ms;
    q.dirty_ratio_min = 0.01;
    q.tombstone_retention = 1'000ms;
    q.file_delete_delay = 100ms;
    return q;
}

std::unique_ptr<node> open_node(const std::filesystem::path& dir, const kafka_log_options& k) {
    node_options o;
    o.data_dir = dir;
    o.clock = wall_clock();
    o.apply_timeout = 10s;
    o.kafka = k;
    o.personal_compaction = quick_compaction();
    auto n = node::open(o);
    BOOST_REQUIRE_MESSAGE(n.ok(), why(n));
    return std::move(n).value();
}

// Waits up to `limit` for `done`.
bool eventually(const std::function<bool()>& done, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(100ms);
    }
    return true;
}

std::optional<std::string> text_on(node& n, community_id c, const event_id& id,
                                   const digest& commitment) {
    auto t = n.personal_text_of(c, id, commitment);
    BOOST_REQUIRE_MESSAGE(t.ok(), why(t));
    return *t;
}

std::size_t texts_on(node& n) {
    auto count = n.personal().count();
    BOOST_REQUIRE_MESSAGE(count.ok(), why(count));
    return *count;
}

// Every value the topic holds, as a reader that starts now from its beginning sees it.
std::vector<std::string> topic_values(const kafka_table_options& o) {
    auto t = kafka_table::open(o);
    BOOST_REQUIRE_MESSAGE(t.ok(), why(t));
    auto ends = (*t)->ends(5s);
    BOOST_REQUIRE_MESSAGE(ends.ok(), why(ends));
    BOOST_REQUIRE((*t)->start(std::vector<offset>(partitions_total, offset{0})).ok());
    std::vector<std::string> out;
    const auto until = std::chrono::steady_clock::now() + 20s;
    auto reached = [&] {
        const auto at = (*t)->positions();
        for (std::uint32_t p = 0; p < partitions_total; ++p)
            if (at[p] < (*ends)[p]) return false;
        return true;
    };
    while (!reached()) {
        BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < until,
                              "a fresh reader did not reach the end of the topic in 20 s");
        auto got = (*t)->poll(512, 200ms);
        BOOST_REQUIRE_MESSAGE(got.ok(), why(got));
        for (const auto& r : *got)
            if (r.value) out.push_back(*r.value);
    }
    return out;
}

bool any_contains(const std::vector<std::string>& values, const std::string& needle) {
    for (const auto& v : values)
        if (v.find(needle) != std::string::npos) return true;
    return false;
}

// The files below `dir` that hold `needle`.
std::vector<std::string> files_holding(const std::filesystem::path& dir,
                                       const std::string& needle) {
    std::vector<std::string> out;
    for (const auto& [path, bytes] : folder_bytes(dir))
        if (bytes.find(needle) != std::string::npos) out.push_back(path);
    return out;
}

struct members {
    signing_key coordinator = signing_key::generate().value();
    signing_key ann = signing_key::generate().value();
    signing_key bob = signing_key::generate().value();
    signing_key cor = signing_key::generate().value();
    std::uint64_t seq[5] = {0, 0, 0, 0, 0};
    community_id c{0};

    signing_key& key_of(member_id m) {
        return m.value == 1 ? coordinator : m.value == 2 ? ann : m.value == 3 ? bob : cor;
    }
    event_id accepted(node& n, member_id m, event_payload p,
                      std::optional<personal_text> text = std::nullopt) {
        const event_id id = random_event_id();
        event_body b{id, c, m, sequence{++seq[m.value]}, time_ms{0}, std::nullopt, std::move(p)};
        auto r = n.submit(stored_envelope::encode(key_of(m).seal(b)), std::move(text));
        BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
        BOOST_REQUIRE_MESSAGE(r->decided.accepted(), std::string(reason_name(r->decided.reason)));
        return id;
    }
};

std::string text_key(community_id c, const event_id& id, const digest& commitment) {
    std::string k(1, 't');
    for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((c.value >> (8 * i)) & 0xff));
    k.append(reinterpret_cast<const char*>(id.b.data()), id.b.size());
    k.append(reinterpret_cast<const char*>(commitment.b.data()), commitment.b.size());
    return k;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_text_posted_on_one_node_is_read_on_the_other_and_erased_from_both_and_topic,
                     *boost::unit_test::timeout(300)) {
    temp_dir dir("personal-topic");
    kafka_cluster cluster(dir.path / "kafka", 1);
    kafka_log_options k;
    k.bootstrap_servers = cluster.bootstrap();
    k.topic = events_topic;
    k.partitions_total = partitions_total;
    k.replication_factor = 1;  // one broker
    k.min_insync_replicas = 1;
    auto a = open_node(dir.path / "a", k);
    auto b = open_node(dir.path / "b", k);

    members t;
    t.c = community_id{7};
    const member_id coordinator{1}, ann{2}, bob{3}, cor{4};
    policy rules;
    rules.credit_limit = minutes{600};
    t.accepted(*a, coordinator, community_founded{"Tijdbank West", rules});
    t.accepted(*a, coordinator,
               member_admitted{ann, t.ann.public_bytes(), role::member, true, std::nullopt});
    t.accepted(*a, coordinator,
               member_admitted{bob, t.bob.public_bytes(), role::member, true, std::nullopt});
    t.accepted(*a, coordinator,
               member_admitted{cor, t.cor.public_bytes(), role::member, true, std::nullopt});

    // Ann's offer through A, Bob's request through B.
    const std::string ann_text = "Ann de Vries, Wilhelminastraat 12, 06-44412345";
    const std::string bob_text = "Bob Bakker, Schoolstraat 4: boodschappen op vrijdag";
    const auto ann_said = commit_fresh(ann_text), bob_said = commit_fresh(bob_text);
    const auto offer = t.accepted(
        *a, ann, offer_posted{{category::shopping, ann_said.commitment, intensity::once, "1", 0}},
        ann_said.personal);
    const auto request = t.accepted(
        *b, bob, request_posted{{category::shopping, bob_said.commitment, intensity::once, "1", 0}},
        bob_said.personal);
    const auto posted_at = std::chrono::steady_clock::now();
    BOOST_REQUIRE(
        eventually([&] { return text_on(*b, t.c, offer, ann_said.commitment) == ann_text; }, 20s));
    const auto replicated_after = std::chrono::steady_clock::now() - posted_at;
    BOOST_REQUIRE(eventually(
        [&] { return text_on(*a, t.c, request, bob_said.commitment) == bob_text; }, 20s));
    BOOST_CHECK(any_contains(topic_values({cluster.bootstrap(), personal_topic, partitions_total, 1,
                                           1, quick_compaction()}),
                             ann_text));

    // A forged record in the topic: the key of a real commitment, another text under its salt.
    const auto forged_said = commit_fresh("Jan Smit, Dorpsweg 1");
    const event_id forged_id = random_event_id();
    std::string forged_value(forged_said.personal.salt.b.begin(),
                             forged_said.personal.salt.b.end());
    forged_value += "Jan Smit, Dorpsweg 2";
    const std::uint64_t refused_a = a->personal_items_refused();
    const std::uint64_t refused_b = b->personal_items_refused();
    produce_raw(cluster.bootstrap(), personal_topic,
                static_cast<std::int32_t>(partition_of(t.c, partitions_total).value),
                text_key(t.c, forged_id, forged_said.commitment),
                std::vector<std::uint8_t>(forged_value.begin(), forged_value.end()));
    BOOST_REQUIRE(eventually(
        [&] {
            return a->personal_items_refused() > refused_a &&
                   b->personal_items_refused() > refused_b;
        },
        20s));
    BOOST_CHECK_EQUAL(a->personal_items_refused(), refused_a + 1);
    BOOST_CHECK_EQUAL(b->personal_items_refused(), refused_b + 1);
    BOOST_CHECK(!text_on(*b, t.c, forged_id, forged_said.commitment).has_value());
    BOOST_CHECK(!text_on(*a, t.c, forged_id, forged_said.commitment).has_value());
    BOOST_CHECK_EQUAL(texts_on(*a), 2u);
    BOOST_CHECK_EQUAL(texts_on(*b), 2u);

    // Before she leaves, her text is in the broker's files (the scan below is not vacuous).
    BOOST_CHECK(!files_holding(dir.path / "kafka", ann_text).empty());

    // Ann leaves through A (her balance is settled: she never exchanged).
    t.accepted(*a, ann, member_left{ann});
    BOOST_CHECK(eventually(
        [&] {
            return !text_on(*b, t.c, offer, ann_said.commitment).has_value() && texts_on(*b) == 1 &&
                   texts_on(*a) == 1;
        },
        20s));
    BOOST_CHECK(text_on(*b, t.c, request, bob_said.commitment) == bob_text);
    BOOST_CHECK(!text_on(*a, t.c, offer, ann_said.commitment).has_value());

    // Compacted, the topic as a reader that starts now reads it has her text no more, and no
    // file of the broker holds it; Bob's text stays.
    const kafka_table_options fresh{cluster.bootstrap(), personal_topic, partitions_total, 1, 1,
                                    quick_compaction()};
    const auto compacted_at = std::chrono::steady_clock::now();
    BOOST_CHECK_MESSAGE(
        eventually([&] { return !any_contains(topic_values(fresh), ann_text); }, 90s),
        "the broker did not compact Ann's text away in 90 s");
    const auto gone_from_topic = std::chrono::steady_clock::now() - compacted_at;
    BOOST_CHECK(any_contains(topic_values(fresh), bob_text));
    BOOST_CHECK_MESSAGE(
        eventually([&] { return files_holding(dir.path / "kafka", ann_text).empty(); }, 60s),
        "a file of the broker still holds Ann's text: "
            << (files_holding(dir.path / "kafka", ann_text).empty()
                    ? ""
                    : files_holding(dir.path / "kafka", ann_text).front()));
    const auto gone_from_files = std::chrono::steady_clock::now() - compacted_at;
    const auto ms = [](auto d) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    };
    std::cout << "personal_topic: a text posted through A was read on B " << ms(replicated_after)
              << " ms after its write was answered (polled every "
              << "100 ms); the erased text left the topic " << ms(gone_from_topic)
              << " ms after both nodes had erased it, and from the broker's files "
              << ms(gone_from_files)
              << " ms after (segment.ms 1000, max.compaction.lag.ms "
                 "1000, log.cleaner.backoff.ms 1000)\n";

    // A node that is away while a member leaves: Cor's text reaches B, B stops, Cor leaves
    // through A, B starts again and erases it (from the memberLeft it folds, and the
    // tombstones it reads from where it stopped).
    const std::string cor_text = "Cor Visser, Kerkplein 8, 06-99987654";
    const auto cor_said = commit_fresh(cor_text);
    const auto cor_offer = t.accepted(
        *a, cor, offer_posted{{category::lifts, cor_said.commitment, intensity::once, "1", 0}},
        cor_said.personal);
    BOOST_REQUIRE(eventually(
        [&] { return text_on(*b, t.c, cor_offer, cor_said.commitment) == cor_text; }, 20s));
    b.reset();
    t.accepted(*a, cor, member_left{cor});
    BOOST_CHECK(eventually([&] { return texts_on(*a) == 1; }, 20s));
    b = open_node(dir.path / "b", k);
    BOOST_CHECK(eventually(
        [&] {
            return !text_on(*b, t.c, cor_offer, cor_said.commitment).has_value() &&
                   texts_on(*b) == 1;
        },
        20s));
    BOOST_CHECK(text_on(*b, t.c, request, bob_said.commitment) == bob_text);

    // Both nodes' folders: their texts nowhere, Bob's only under personal/.
    a.reset();
    b.reset();
    for (const char* node_dir : {"a", "b"}) {
        BOOST_CHECK_MESSAGE(files_holding(dir.path / node_dir, ann_text).empty(),
                            node_dir << " still holds Ann's text");
        BOOST_CHECK(files_holding(dir.path / node_dir, "Ann de Vries").empty());
        BOOST_CHECK_MESSAGE(files_holding(dir.path / node_dir, cor_text).empty(),
                            node_dir << " still holds Cor's text");
        const auto bobs = files_holding(dir.path / node_dir, bob_text);
        BOOST_CHECK(!bobs.empty());
        for (const auto& path : bobs) BOOST_CHECK(path.starts_with("personal/"));
    }
}
