// `uurwerk bench streams`, run small: every stream opens and stays open, the events' changes
// reach the open pages, the probes are answered, and the closing JSON line carries the figures.
// No timing is asserted: only that the figures are there and agree.

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "api/json/json_read.h"
#include "tests/support/run_command.h"

using namespace uurwerk;
using uurwerk::testing::run_command;

BOOST_AUTO_TEST_SUITE(bench_streams_suite)

BOOST_AUTO_TEST_CASE(bench_streams_holds_its_streams_and_delivers_every_events_changes) {
    auto r = run_command({UURWERK_BINARY, "bench", "streams", "--streams", "40", "--members", "10",
                          "--events", "20"});
    BOOST_TEST_MESSAGE(r.out);
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);
    const auto end = r.out.find_last_not_of('\n');
    const auto start = r.out.rfind('\n', end);
    auto doc = json_doc::parse(r.out.substr(start == std::string::npos ? 0 : start + 1));
    BOOST_REQUIRE_MESSAGE(doc.ok(), r.out);
    BOOST_CHECK_EQUAL(doc->number_at("streams").value_or(0), 40);
    BOOST_CHECK_EQUAL(doc->number_at("events").value_or(0), 20);
    // Each event concerns at least its author, whose 4 streams are open.
    BOOST_CHECK_GE(doc->number_at("changes_delivered").value_or(0), 20 * 4);
    BOOST_CHECK_EQUAL(doc->number_at("probes_failed").value_or(-1), 0);
    BOOST_CHECK(doc->root().at("streams_cut") != nullptr);
    BOOST_CHECK(r.out.find("\"streams_cut\": false") != std::string::npos);
    BOOST_CHECK_GE(doc->number_at("rss_per_stream_kib").value_or(-1), 0);
    // More streams than 8 a member is refused in one line.
    auto refused =
        run_command({UURWERK_BINARY, "bench", "streams", "--streams", "100", "--members", "10"});
    BOOST_CHECK_NE(refused.exit_code, 0);
}

BOOST_AUTO_TEST_SUITE_END()
