// `uurwerk bench streams`, run small: every stream opens and stays open, the events' changes
// reach the open pages, the probes are answered, and the closing JSON line carries the figures;
// with --proposals, the node's matcher proposes for every request and each proposal's change
// reaches every open stream of its helper and its requester. Bad values are refused. No timing
// is asserted: only that the figures are there, agree and are not negative.

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "api/json/json_read.h"
#include "tests/support/run_command.h"

using namespace uurwerk;
using uurwerk::testing::run_command;

namespace {

// Runs `uurwerk bench streams ARGS`, which must succeed: what it printed and the JSON of its
// last line.
std::pair<std::string, json_doc> bench_streams(const std::vector<std::string>& args) {
    std::vector<std::string> argv{UURWERK_BINARY, "bench", "streams"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv);
    BOOST_TEST_MESSAGE(r.out);
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);
    const auto end = r.out.find_last_not_of('\n');
    const auto start = r.out.rfind('\n', end);
    auto doc = json_doc::parse(r.out.substr(start == std::string::npos ? 0 : start + 1));
    BOOST_REQUIRE_MESSAGE(doc.ok(), r.out);
    return {r.out, std::move(*doc)};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bench_streams_suite)

BOOST_AUTO_TEST_CASE(bench_streams_holds_its_streams_and_delivers_every_events_changes) {
    const auto [out, doc] = bench_streams({"--streams", "40", "--members", "10", "--events", "20"});
    BOOST_CHECK_EQUAL(doc.number_at("streams").value_or(0), 40);
    BOOST_CHECK_EQUAL(doc.number_at("events").value_or(0), 20);
    // Each event concerns at least its author, whose 4 streams are open.
    BOOST_CHECK_GE(doc.number_at("changes_delivered").value_or(0), 20 * 4);
    BOOST_CHECK_EQUAL(doc.number_at("probes_failed").value_or(-1), 0);
    BOOST_CHECK(doc.root().at("streams_cut") != nullptr);
    BOOST_CHECK(out.find("\"streams_cut\": false") != std::string::npos);
    BOOST_CHECK_GE(doc.number_at("rss_per_stream_kib").value_or(-1), 0);
    // More streams than 8 a member is refused in one line.
    auto refused =
        run_command({UURWERK_BINARY, "bench", "streams", "--streams", "100", "--members", "10"});
    BOOST_CHECK_NE(refused.exit_code, 0);
}

BOOST_AUTO_TEST_CASE(bench_streams_proposals_times_every_proposal_on_its_peoples_streams) {
    // 9 members hold streams (one requester, 8 helpers), 4 or 5 each; 12 requests, a round each.
    const auto [out, doc] =
        bench_streams({"--proposals", "--streams", "40", "--members", "10", "--events", "12"});
    BOOST_CHECK_EQUAL(doc.number_at("streams").value_or(0), 40);
    BOOST_CHECK_EQUAL(doc.number_at("requesters").value_or(0), 1);
    BOOST_CHECK_EQUAL(doc.number_at("helpers").value_or(0), 8);
    BOOST_CHECK_EQUAL(doc.number_at("requests").value_or(0), 12);
    BOOST_CHECK_EQUAL(doc.number_at("rounds").value_or(0), 12);
    // Every request fits every offer: each round proposes, none is refused, and every proposal's
    // change reaches each of its helper's and its requester's streams (4 at least each).
    const double proposals = doc.number_at("proposals").value_or(0);
    BOOST_CHECK_GE(proposals, 12);
    BOOST_CHECK_EQUAL(doc.number_at("proposals_rejected").value_or(-1), 0);
    BOOST_CHECK_EQUAL(doc.number_at("proposals_delivered").value_or(-1), proposals);
    const double expected = doc.number_at("proposal_changes_expected").value_or(0);
    BOOST_CHECK_GE(expected, proposals * 8);
    BOOST_CHECK_EQUAL(doc.number_at("proposal_changes_delivered").value_or(-1), expected);
    for (const char* name : {"from_append", "from_round", "round"}) {
        const std::string n = name;
        const double p50 = doc.number_at(n + "_p50_ms").value_or(-1),
                     p99 = doc.number_at(n + "_p99_ms").value_or(-1),
                     max = doc.number_at(n + "_max_ms").value_or(-1);
        BOOST_TEST_CONTEXT(n) {
            BOOST_CHECK_GE(p50, 0);
            BOOST_CHECK_GE(p99, p50);
            BOOST_CHECK_GE(max, p99);
        }
    }
    // A proposal reaches the pages only after its round began.
    BOOST_CHECK_GT(doc.number_at("from_round_max_ms").value_or(0), 0);
    BOOST_CHECK(out.find("\"streams_cut\": false") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bench_streams_proposals_refuses_what_it_cannot_measure) {
    // No helper beside the founder and a requester.
    auto two = run_command(
        {UURWERK_BINARY, "bench", "streams", "--proposals", "--members", "2", "--streams", "4"});
    BOOST_CHECK_NE(two.exit_code, 0);
    BOOST_CHECK(two.out.find("--members 3 at least") != std::string::npos);
    // A member without a stream: their proposals could not be timed.
    auto few = run_command(
        {UURWERK_BINARY, "bench", "streams", "--proposals", "--members", "10", "--streams", "5"});
    BOOST_CHECK_NE(few.exit_code, 0);
    BOOST_CHECK(few.out.find("--streams 9 at least") != std::string::npos);
    // More than 8 a member (the founder holds none).
    auto many = run_command(
        {UURWERK_BINARY, "bench", "streams", "--proposals", "--members", "10", "--streams", "73"});
    BOOST_CHECK_NE(many.exit_code, 0);
    BOOST_CHECK(many.out.find("at most 8 per member") != std::string::npos);
    // A flag takes no value.
    auto valued = run_command({UURWERK_BINARY, "bench", "streams", "--proposals=yes"});
    BOOST_CHECK_NE(valued.exit_code, 0);
    BOOST_CHECK(valued.out.find("takes no value") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
