// Cluster mode through the program: two `uurwerk serve --kafka --partitions 3` nodes on a real
// three-broker cluster take writes through either, answer reads through either alike once applied,
// and reach the same state digest, though each folds the three partitions in its own interleaving;
// a third node started later folds the topic from its start to the same digest; a restarted node
// goes on in each partition from its own stored offset. The communities are spread over the
// partitions, and an event id used in two communities of different partitions gets the same
// verdicts on both nodes.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>

#include <map>
#include <set>
#include <thread>

#include "api/node/key_file.h"
#include "ledger/log/partition.h"
#include "tests/support/envelopes.h"
#include "tests/support/kafka_cluster.h"
#include "tests/support/uurwerk_program.h"

using namespace uurwerk;
using namespace uurwerk::testing;

namespace {

// `authorization`: a session (api/README.md, "Sessions"), for what is not public.
json_doc get_from(const server_process& s, const std::string& target,
                  const std::string& authorization = {}) {
    http_call_options options;
    options.authorization = authorization;
    auto r = http_call("127.0.0.1", s.port(), "GET", target, "", options);
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE_MESSAGE(r->status == 200, target + ": " + r->body);
    auto d = json_doc::parse(r->body);
    BOOST_REQUIRE(d.ok());
    return *d;
}

// Waits until the node has applied `records` records; its digest then.
std::string digest_after(const server_process& s, std::uint64_t records) {
    for (int i = 0; i < 300; ++i) {
        auto d = get_from(s, "/v1/digest");
        if (parse_decimal(d.string_at("applied").value_or("")) == records)
            return d.string_at("digest").value();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    BOOST_FAIL("the node did not apply " << records << " records in 30 s");
    return {};
}

// The partitions' applied offsets of /v1/digest, by partition.
std::vector<std::uint64_t> applied_by_partition(const server_process& s) {
    auto d = get_from(s, "/v1/digest");
    std::vector<std::uint64_t> out;
    const auto* parts = d.root().at("partitions");
    BOOST_REQUIRE(parts != nullptr && parts->as_array() != nullptr);
    for (const auto& p : *parts->as_array())
        out.push_back(parse_decimal(p.at("applied")->as_string().value_or("")).value_or(0));
    return out;
}

constexpr std::uint32_t partitions = 3;

}  // namespace

BOOST_AUTO_TEST_CASE(two_nodes_on_one_topic_agree_and_a_third_rebuilds_from_it) {
    temp_dir dir("nodes");
    kafka_cluster cluster(dir.path / "kafka", 3);
    // The defaults of serve --kafka: replication factor 3, min.insync.replicas 2.
    const std::vector<std::string> kafka = {"--kafka", cluster.bootstrap(), "--partitions",
                                            std::to_string(partitions)};
    server_process a(dir.path / "a", kafka), b(dir.path / "b", kafka);
    // Three communities, in three different partitions of the three.
    const std::vector<std::string> communities = {"7", "8", "11"};
    std::set<std::uint32_t> used;
    for (const auto& c : communities)
        used.insert(partition_of(community_id{std::stoull(c)}, partitions).value);
    BOOST_REQUIRE_GE(used.size(), 2u);
    auto uw = [&](const server_process& via, std::vector<std::string> args) {
        args.push_back("--server");
        args.push_back(via.url());
        auto r = run_uurwerk(args);
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, args[0] + " failed: " + r.out);
        return r.out;
    };
    auto key = [&](int m) { return (dir.path / ("m" + std::to_string(m) + ".key")).string(); };
    // Reads sign in as community c's founder, a coordinator.
    auto founder = [&](const std::string& c) { return served_town::session_of(key(1) + c); };
    // Every write alternates between the nodes. A client asks the node it writes to for its
    // key's last sequence number, and a node answers that from what it has applied: so each
    // write waits until its node has applied the writes before it (a node that lags the topic
    // would hand out a sequence number already used; noted in api/README.md).
    std::uint64_t records = 0;
    auto on = [&](const server_process& node) -> const server_process& {
        (void)digest_after(node, records);
        ++records;
        return node;
    };
    for (const auto& c : communities) {
        for (int m = 1; m <= 3; ++m)
            run_uurwerk(
                {"keygen", "--out", key(m) + c, "--community", c, "--member", std::to_string(m)});
        allow_founder_file(dir.path / "a", key(1) + c + ".pub");
        uw(on(a), {"found", "--key", key(1) + c, "--name", "Town " + c});
        uw(on(b), {"admit", "--key", key(1) + c, "--member", "2", "--member-public-key",
                   (key(2) + c) + ".pub"});
        uw(on(a), {"admit", "--key", key(1) + c, "--member", "3", "--member-public-key",
                   (key(3) + c) + ".pub"});
        for (int i = 0; i < 4; ++i) {
            const auto& via = i % 2 ? a : b;
            const auto& other = i % 2 ? b : a;
            auto claim = after(
                uw(on(via), {"claim", "--key", key(2) + c, "--receiver", "3", "--minutes", "30"}),
                "claim id: ");
            uw(on(other), {"confirm", "--key", key(3) + c, "--claim", claim});
            uw(on(via), {"transfer", "--key", key(3) + c, "--to", "1", "--minutes", "5"});
        }
    }
    const auto da = digest_after(a, records), db = digest_after(b, records);
    BOOST_CHECK_EQUAL(da, db);
    // Reads through either node answer alike.
    for (const auto& c : communities)
        for (int m = 1; m <= 3; ++m) {
            const std::string target =
                "/v1/communities/" + c + "/members/" + std::to_string(m) + "/balance";
            BOOST_CHECK_EQUAL(get_from(a, target, founder(c)).number_at("balance_minutes").value(),
                              get_from(b, target, founder(c)).number_at("balance_minutes").value());
        }
    // Any event by its id, through the node that did not take it: read back from the topic.
    auto founding = get_from(a, "/v1/communities/8/members/1/history", founder("8"));
    const auto first_id = founding.root().at("entries")->as_array()->at(0).at("id")->as_string();
    BOOST_REQUIRE(first_id.has_value());
    BOOST_CHECK_EQUAL(get_from(b, "/v1/communities/8/events/" + *first_id, founder("8"))
                          .string_at("verdict")
                          .value_or(""),
                      "accepted");
    BOOST_CHECK_EQUAL(get_from(a, "/v1/communities/7/members/2/balance", founder("7"))
                          .number_at("balance_minutes")
                          .value(),
                      120);
    // Each node's partitions hold what the others' do, and every partition is used.
    const auto by_partition = applied_by_partition(a);
    BOOST_REQUIRE_EQUAL(by_partition.size(), partitions);
    BOOST_CHECK(applied_by_partition(b) == by_partition);
    for (std::uint32_t p : used) BOOST_CHECK_GT(by_partition[p], 0u);
    // A community names its partition; an answer names the partition of its offset.
    BOOST_CHECK_EQUAL(get_from(a, "/v1/communities/8").number_at("partition").value(),
                      partition_of(community_id{8}, partitions).value);

    // One event id in two communities of different partitions (7 and 8), through different
    // nodes: each community's log decides its own verdict, the same on both nodes.
    BOOST_REQUIRE(partition_of(community_id{7}, partitions) !=
                  partition_of(community_id{8}, partitions));
    const event_id shared = random_event_id();
    std::map<std::string, std::string> verdicts;
    for (const std::string c : {"7", "8"}) {
        auto kf = read_key_file(key(3) + c);
        BOOST_REQUIRE(kf.ok());
        auto signer = signing_key::from_seed(kf->seed);
        BOOST_REQUIRE(signer.ok());
        const std::string key_target = "/v1/communities/" + c + "/keys/" + kf->pub.hex();
        const auto seq = parse_decimal(get_from(a, key_target).string_at("last_seq").value());
        event_body gift{shared,
                        community_id{std::stoull(c)},
                        member_id{3},
                        sequence{*seq + 1},
                        time_ms{0},
                        std::nullopt,
                        transfer{member_id{1}, minutes{2}, std::nullopt}};
        auto r = http_call("127.0.0.1", (c == "7" ? a : b).port(), "POST", "/v1/events",
                           envelope_json(signer->seal(gift)));
        BOOST_REQUIRE(r.ok());
        auto d = json_doc::parse(r->body);
        BOOST_REQUIRE(d.ok());
        BOOST_CHECK_EQUAL(d->number_at("partition").value(),
                          partition_of(community_id{std::stoull(c)}, partitions).value);
        verdicts[c] =
            d->string_at("verdict").value_or("") + "/" + d->string_at("reason").value_or("");
        ++records;
    }
    BOOST_CHECK_EQUAL(verdicts["7"], "accepted/none");
    BOOST_CHECK_EQUAL(verdicts["8"], "accepted/none");
    digest_after(a, records);
    digest_after(b, records);
    for (const auto* via : {&a, &b}) {
        // The id is scoped by its community: each node answers each community's verdict.
        for (const std::string c : {"7", "8"}) {
            auto e = get_from(*via, "/v1/communities/" + c + "/events/" + shared.hex(), founder(c));
            BOOST_CHECK_EQUAL(
                e.string_at("verdict").value_or("") + "/" + e.string_at("reason").value_or(""),
                verdicts[c]);
            BOOST_CHECK_EQUAL(e.number_at("partition").value(),
                              partition_of(community_id{std::stoull(c)}, partitions).value);
        }
    }
    BOOST_CHECK_EQUAL(digest_after(a, records), digest_after(b, records));

    // A third node, started now, folds the whole topic and agrees.
    server_process late(dir.path / "late", kafka);
    BOOST_CHECK_EQUAL(digest_after(late, records), digest_after(a, records));
    // Each data folder records what its stores were folded from (node.h: open).
    {
        std::ifstream f(dir.path / "late" / "cluster");
        const std::string recorded((std::istreambuf_iterator<char>(f)), {});
        BOOST_CHECK_EQUAL(recorded,
                          "topic uurwerk-events\npartitions " + std::to_string(partitions) + "\n");
    }
    // A restarted node goes on in each partition from where its store stands: while it is
    // away, two partitions move by different amounts; afterwards it has applied exactly what
    // the others have in each (nothing twice, nothing skipped) and agrees with them.
    b.stop(SIGTERM);
    const auto before = applied_by_partition(a);
    uw(a, {"transfer", "--key", key(3) + "7", "--to", "2", "--minutes", "1"});
    uw(a, {"transfer", "--key", key(3) + "8", "--to", "2", "--minutes", "1"});
    uw(a, {"transfer", "--key", key(3) + "8", "--to", "2", "--minutes", "1"});
    records += 3;
    b.start();
    BOOST_CHECK_EQUAL(digest_after(b, records), digest_after(a, records));
    const auto after_restart = applied_by_partition(b);
    BOOST_CHECK(after_restart == applied_by_partition(a));
    const auto p7 = partition_of(community_id{7}, partitions).value;
    const auto p8 = partition_of(community_id{8}, partitions).value;
    BOOST_CHECK_EQUAL(after_restart[p7], before[p7] + 1);
    BOOST_CHECK_EQUAL(after_restart[p8], before[p8] + 2);
    // Community 8's member 2: 4 claims of 30 minutes received ... plus the two gifts, once each.
    BOOST_CHECK_EQUAL(get_from(b, "/v1/communities/8/members/2/balance", founder("8"))
                          .number_at("balance_minutes")
                          .value(),
                      get_from(a, "/v1/communities/8/members/2/balance", founder("8"))
                          .number_at("balance_minutes")
                          .value());
    BOOST_CHECK_EQUAL(get_from(b, "/v1/communities/8/members/2/balance", founder("8"))
                          .number_at("balance_minutes")
                          .value(),
                      122);
}

BOOST_AUTO_TEST_CASE(with_every_broker_down_writes_get_503_in_bounded_time_and_reads_go_on) {
    temp_dir dir("outage");
    kafka_cluster cluster(dir.path / "kafka", 1);
    server_process node(dir.path / "n", {"--kafka", cluster.bootstrap(), "--replication-factor",
                                         "1", "--min-insync", "1"});
    auto uw = [&](std::vector<std::string> args) {
        args.push_back("--server");
        args.push_back(node.url());
        return run_uurwerk(args);
    };
    const auto key = [&](const char* who) { return (dir.path / who).string(); };
    run_uurwerk({"keygen", "--out", key("anna"), "--community", "7", "--member", "1"});
    run_uurwerk({"keygen", "--out", key("bert"), "--community", "7", "--member", "2"});
    allow_founder_file(dir.path / "n", key("anna") + ".pub");
    BOOST_REQUIRE_EQUAL(uw({"found", "--key", key("anna"), "--name", "Town"}).exit_code, 0);
    BOOST_REQUIRE_EQUAL(uw({"admit", "--key", key("anna"), "--member", "2", "--member-public-key",
                            key("bert") + ".pub"})
                            .exit_code,
                        0);

    cluster.stop(0);
    const auto started = std::chrono::steady_clock::now();
    auto refused = uw({"transfer", "--key", key("bert"), "--to", "1", "--minutes", "5"});
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    BOOST_CHECK_EQUAL(refused.exit_code, 1);
    BOOST_CHECK_MESSAGE(refused.out.find("log_unavailable") != std::string::npos ||
                            refused.out.find("unavailable") != std::string::npos,
                        refused.out);
    BOOST_CHECK_LT(seconds, 15.0);  // the delivery bound is 5 s; never a hang
    // What was applied is still served.
    http_call_options as_anna;
    as_anna.authorization = served_town::session_of(key("anna"));
    auto r = http_call("127.0.0.1", node.port(), "GET", "/v1/communities/7/members", "", as_anna);
    BOOST_REQUIRE(r.ok());
    BOOST_CHECK_EQUAL(r->status, 200u);

    cluster.start(0);
    // Writing resumes once the broker is back (the producer reconnects on its own).
    int exit_code = 1;
    for (int i = 0; i < 20 && exit_code != 0; ++i) {
        exit_code = uw({"transfer", "--key", key("bert"), "--to", "1", "--minutes", "5"}).exit_code;
        if (exit_code != 0) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    BOOST_CHECK_EQUAL(exit_code, 0);
}
