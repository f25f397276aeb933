// Cluster mode through the program: two `uurwerk serve --kafka` nodes on one real broker take
// writes through either, answer reads through either alike once applied, and reach the same
// state digest; a third node started later folds the topic from its start to the same digest.
// (One partition for now: every node folds the whole topic.)
#include <boost/test/unit_test.hpp>

#include <thread>

#include "tests/e2e/process.h"
#include "tests/support/kafka_cluster.h"

using namespace uurwerk;
using namespace uurwerk::testing;

namespace {

json_doc get_from(const server_process& s, const std::string& target) {
    auto r = http_call("127.0.0.1", s.port(), "GET", target, "");
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

}  // namespace

BOOST_AUTO_TEST_CASE(two_nodes_on_one_topic_agree_and_a_third_rebuilds_from_it) {
    temp_dir dir("nodes");
    kafka_cluster cluster(dir.path / "kafka", 1);
    const std::vector<std::string> kafka = {"--kafka", cluster.bootstrap(), "--replication-factor",
                                            "1", "--min-insync", "1"};
    server_process a(dir.path / "a", kafka), b(dir.path / "b", kafka);
    auto uw = [&](const server_process& via, std::vector<std::string> args) {
        args.push_back("--server");
        args.push_back(via.url());
        auto r = run_uurwerk(args);
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, args[0] + " failed: " + r.out);
        return r.out;
    };
    auto key = [&](int m) { return (dir.path / ("m" + std::to_string(m) + ".key")).string(); };
    // Two communities; every write alternates between the nodes.
    std::uint64_t records = 0;
    for (const char* c : {"7", "8"}) {
        for (int m = 1; m <= 3; ++m)
            run_uurwerk({"keygen", "--out", key(m) + c, "--community", c, "--member",
                         std::to_string(m)});
        uw(a, {"found", "--key", key(1) + c, "--name", std::string("Town ") + c});
        uw(b, {"admit", "--key", key(1) + c, "--member", "2", "--member-key-file", key(2) + c});
        uw(a, {"admit", "--key", key(1) + c, "--member", "3", "--member-key-file", key(3) + c});
        records += 3;
        for (int i = 0; i < 4; ++i) {
            const auto& via = i % 2 ? a : b;
            auto claim = after(uw(via, {"claim", "--key", key(2) + c, "--receiver", "3",
                                        "--minutes", "30"}),
                               "claim id: ");
            uw(i % 2 ? b : a, {"confirm", "--key", key(3) + c, "--claim", claim});
            uw(via, {"transfer", "--key", key(3) + c, "--to", "1", "--minutes", "5"});
            records += 3;
        }
    }
    const auto da = digest_after(a, records), db = digest_after(b, records);
    BOOST_CHECK_EQUAL(da, db);
    // Reads through either node answer alike.
    for (const char* c : {"7", "8"})
        for (int m = 1; m <= 3; ++m) {
            const std::string target =
                "/v1/communities/" + std::string(c) + "/members/" + std::to_string(m) + "/balance";
            BOOST_CHECK_EQUAL(get_from(a, target).number_at("balance_minutes").value(),
                              get_from(b, target).number_at("balance_minutes").value());
        }
    // Any event by its id, through the node that did not take it: read back from the topic.
    auto founding = get_from(a, "/v1/communities/8/members/1/history");
    const auto first_id = founding.root().at("entries")->as_array()->at(0).at("id")->as_string();
    BOOST_REQUIRE(first_id.has_value());
    BOOST_CHECK_EQUAL(get_from(b, "/v1/events/" + *first_id).string_at("verdict").value_or(""),
                      "accepted");
    BOOST_CHECK_EQUAL(get_from(a, "/v1/communities/7/members/2/balance")
                          .number_at("balance_minutes")
                          .value(),
                      120);
    // A third node, started now, folds the whole topic and agrees.
    server_process late(dir.path / "late", kafka);
    BOOST_CHECK_EQUAL(digest_after(late, records), da);
    // A restarted node goes on from where its store stands.
    b.stop(SIGTERM);
    uw(a, {"transfer", "--key", key(3) + "7", "--to", "2", "--minutes", "1"});
    b.start();
    BOOST_CHECK_EQUAL(digest_after(b, records + 1), digest_after(a, records + 1));
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
    BOOST_REQUIRE_EQUAL(uw({"found", "--key", key("anna"), "--name", "Town"}).exit_code, 0);
    BOOST_REQUIRE_EQUAL(
        uw({"admit", "--key", key("anna"), "--member", "2", "--member-key-file", key("bert")})
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
    auto r = http_call("127.0.0.1", node.port(), "GET", "/v1/communities/7/members", "");
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
