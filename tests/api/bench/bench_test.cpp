// `uurwerk bench ingest`, run small: what its closing line of JSON reports, that the share
// of the verify rate is taken against the faster of the two verify measurements (before and
// after the ingest), and that its texts beside the events all reach the personal-data store
// (or none, with --free-texts off); `bench match`, run small, alternating which replay of a pair
// runs first; and `bench retention`, run small, deleting every text due. No timing is asserted:
// only that the figures are there and agree.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "api/json/json_read.h"
#include "tests/support/run_command.h"

using namespace uurwerk;
using uurwerk::testing::run_command;

namespace {

// Runs `uurwerk bench ARGS...`, which must succeed, and returns everything it printed.
std::string bench_output(std::vector<std::string> args) {
    args.insert(args.begin(), {UURWERK_BINARY, "bench"});
    auto r = run_command(args);
    BOOST_TEST_MESSAGE(r.out);
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);
    return r.out;
}

// A bench's closing line of JSON, from everything it printed.
json_doc closing_json(const std::string& out) {
    auto end = out.find_last_not_of('\n');
    BOOST_REQUIRE(end != std::string::npos);
    auto start = out.rfind('\n', end);
    auto doc = json_doc::parse(out.substr(start == std::string::npos ? 0 : start + 1));
    BOOST_REQUIRE_MESSAGE(doc.ok(), out);
    return std::move(*doc);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bench)

BOOST_AUTO_TEST_CASE(bench_ingest_compares_with_the_faster_verify_rate_and_says_both) {
    const auto out = bench_output({"ingest", "--events", "600", "--clients", "8", "--rounds", "3"});
    BOOST_CHECK(out.find("before and after it") != std::string::npos);
    const auto doc = closing_json(out);
    auto number = [&](const char* key) {
        auto v = doc.number_at(key);
        BOOST_REQUIRE_MESSAGE(v.has_value(), key << " missing");
        return *v;
    };
    const double before = number("all_cores_verifies_per_s_before");
    const double after = number("all_cores_verifies_per_s_after");
    const double compared = number("all_cores_verifies_per_s");
    BOOST_CHECK_GT(before, 0);
    BOOST_CHECK_GT(after, 0);
    BOOST_CHECK_EQUAL(compared, std::max(before, after));
    const double rate = number("events_per_s");
    BOOST_CHECK_GT(rate, 0);
    // Printed to three decimals, from figures printed as whole numbers.
    BOOST_CHECK_LE(std::abs(number("share_of_verify_rate") - rate / compared), 0.002);
    // Three rounds, each compared with the rates just before and after it; the figures are the
    // median round's.
    BOOST_CHECK_EQUAL(number("rounds"), 3);
    const auto* shares = doc.root().at("shares_of_verify_rate");
    BOOST_REQUIRE(shares && shares->as_array() && shares->as_array()->size() == 3);
    std::vector<double> sorted;
    for (const auto& v : *shares->as_array()) sorted.push_back(v.as_number().value_or(-1));
    std::sort(sorted.begin(), sorted.end());
    BOOST_CHECK_GT(sorted.front(), 0);
    BOOST_CHECK_CLOSE(number("share_of_verify_rate"), sorted[1], 1e-6);
    for (const char* line : {"in-process 1/3: ", "in-process 2/3: ", "in-process 3/3: "})
        BOOST_CHECK_MESSAGE(out.find(line) != std::string::npos, line);
    BOOST_CHECK(out.find("the median round is") != std::string::npos);
    BOOST_CHECK_GT(number("verify_cpu_us"), 0);
    BOOST_CHECK_GT(number("http_events_per_s"), 0);
    // In-process, the default is pipelined: one submitting thread per core, the clients'
    // events in flight through the node's asynchronous submit.
    BOOST_CHECK(doc.string_at("submit") == std::optional<std::string>("pipelined"));
    BOOST_CHECK(out.find("8 events in flight") != std::string::npos);
    BOOST_CHECK(out.find("records per log sync") != std::string::npos);
}

// Both ways of submitting answer every event: a lost answer would hang the drive, a doubled
// one end it early. Every event is accepted: the drivers submit each signer's events in order
// and the signers' lanes in the workload's order, and a confirmation lags its claim by 256
// events here, against 8 in flight.
BOOST_AUTO_TEST_CASE(bench_ingest_answers_every_event_either_way) {
    for (const char* mode : {"pipelined", "blocking"}) {
        BOOST_TEST_CONTEXT(mode) {
            const auto out = bench_output(
                {"ingest", "--events", "600", "--clients", "8", "--rounds", "1", "--submit", mode});
            const auto doc = closing_json(out);
            BOOST_CHECK(doc.string_at("submit") == std::optional<std::string>(mode));
            BOOST_CHECK_GT(doc.number_at("events_per_s").value_or(0), 0);
            BOOST_CHECK_EQUAL(doc.number_at("rejected").value_or(1e9), 0);
            // With texts (the default) either way: each one the node kept.
            BOOST_CHECK(doc.string_at("texts") == std::optional<std::string>("on"));
            BOOST_CHECK_GT(doc.number_at("texts_sent").value_or(0), 0);
            BOOST_CHECK_EQUAL(doc.number_at("texts_kept").value_or(-1),
                              doc.number_at("texts_sent").value_or(-2));
            if (std::string_view(mode) == "blocking")
                BOOST_CHECK(out.find("8 client threads, each waiting for its answer") !=
                            std::string::npos);
        }
    }
}

// Texts beside the events, as clients send them (issue 22): a share of the events carry one,
// the node refuses none of them (a text missing or not matching its commitment would be a
// rejection) and keeps each one in its personal-data store, in-process and over HTTP. With
// --free-texts off, the workload before issue 22: no text sent, none kept.
BOOST_AUTO_TEST_CASE(bench_ingest_sends_texts_beside_a_share_of_the_events_or_none) {
    for (const char* texts : {"on", "off"}) {
        BOOST_TEST_CONTEXT(texts) {
            const auto out = bench_output({"ingest", "--events", "600", "--clients", "8",
                                           "--rounds", "1", "--free-texts", texts});
            const auto doc = closing_json(out);
            auto number = [&](const char* key) {
                auto v = doc.number_at(key);
                BOOST_REQUIRE_MESSAGE(v.has_value(), key << " missing");
                return *v;
            };
            BOOST_CHECK(doc.string_at("texts") == std::optional<std::string>(texts));
            BOOST_CHECK_EQUAL(number("rejected"), 0);
            BOOST_CHECK_EQUAL(number("http_rejected"), 0);
            BOOST_CHECK_GT(number("share_of_verify_rate"), 0);
            const double sent = number("texts_sent");
            if (std::string_view(texts) == "on") {
                // Every post and claim and every other transfer: about half of the events.
                BOOST_CHECK_GT(sent, 0.3 * number("events"));
                BOOST_CHECK_LT(sent, 0.8 * number("events"));
            } else {
                BOOST_CHECK_EQUAL(sent, 0);
            }
            BOOST_CHECK_EQUAL(number("texts_kept"), sent);
            BOOST_CHECK_EQUAL(number("http_texts_kept"), sent);
        }
    }
}

// Over HTTP, both clients: the asynchronous one (prepared requests, one thread driving the
// connections: the default) and the one of the figures before 2026-12-07 (a thread per client);
// either way every event is accepted and every text kept, and the line says which client ran,
// the share of the in-process rate and the CPU each side used.
BOOST_AUTO_TEST_CASE(bench_ingest_over_http_reports_its_client_and_each_sides_cpu) {
    for (const char* client : {"async", "threads"}) {
        BOOST_TEST_CONTEXT(client) {
            const auto out = bench_output({"ingest", "--events", "600", "--clients", "8",
                                           "--rounds", "1", "--http-client", client});
            const auto doc = closing_json(out);
            auto number = [&](const char* key) {
                auto v = doc.number_at(key);
                BOOST_REQUIRE_MESSAGE(v.has_value(), key << " missing");
                return *v;
            };
            BOOST_CHECK(doc.string_at("http_client") == std::optional<std::string>(client));
            BOOST_CHECK_EQUAL(number("http_rejected"), 0);
            BOOST_CHECK_EQUAL(number("http_texts_kept"), number("texts_sent"));
            BOOST_CHECK_CLOSE(number("http_share_of_in_process"),
                              number("http_events_per_s") / number("events_per_s"), 1.0);
            BOOST_CHECK_GT(number("http_server_cpu_us_per_event"), 0);
            BOOST_CHECK_GE(number("http_client_cpu_us_per_event"), 0);
            BOOST_CHECK_GT(number("in_process_cpu_us_per_event"), 0);
            BOOST_CHECK_CLOSE(
                number("http_cpu_share_of_in_process"),
                number("in_process_cpu_us_per_event") / (number("http_server_cpu_us_per_event") +
                                                         number("http_client_cpu_us_per_event")),
                2.0);
            BOOST_CHECK_GT(number("http_p99_ms"), 0);
            // The cores' time each path used: its CPU an event times its rate, over the cores.
            const double cores = number("cores");
            BOOST_CHECK_CLOSE(
                number("cores_used_share"),
                number("in_process_cpu_us_per_event") * number("events_per_s") / (1e6 * cores),
                2.0);
            BOOST_CHECK_CLOSE(
                number("http_cores_used_share"),
                (number("http_server_cpu_us_per_event") + number("http_client_cpu_us_per_event")) *
                    number("http_events_per_s") / (1e6 * cores),
                2.0);
            BOOST_CHECK_GT(number("http_cores_used_share"), 0);
            BOOST_CHECK_LE(number("cores_used_share"), 1.05);  // CPU measured by thread: ~1 at most
        }
    }
    auto r = run_command({UURWERK_BINARY, "bench", "ingest", "--http-client", "many"});
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK(r.out.find("--http-client is 'async' or 'threads'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bench_ingest_refuses_an_unknown_free_texts_value_in_one_line) {
    auto r = run_command({UURWERK_BINARY, "bench", "ingest", "--free-texts", "some"});
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK(r.out.find("--free-texts is 'on' or 'off'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bench_ingest_refuses_an_unknown_submit_mode_in_one_line) {
    auto r = run_command({UURWERK_BINARY, "bench", "ingest", "--submit", "sideways"});
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK(r.out.find("--submit is 'pipelined' or 'blocking'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bench_replay_rebuilds_every_event_and_says_its_cpu_an_event) {
    const auto out = bench_output({"replay", "--events", "1000"});
    const auto doc = closing_json(out);
    const double events = doc.number_at("events").value_or(0);
    BOOST_CHECK_GE(events, 1000);  // the workload's setup (founding, admissions) and its events
    BOOST_CHECK_EQUAL(doc.number_at("accepted").value_or(0), events);
    BOOST_CHECK_GT(doc.number_at("events_per_s").value_or(0), 0);
    BOOST_CHECK_GT(doc.number_at("cpu_us_per_event").value_or(0), 0);
    BOOST_CHECK(out.find("us of CPU an event") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bench_retention_deletes_every_due_text_once_and_the_folder_shrinks) {
    const auto doc = closing_json(bench_output({"retention", "--texts", "20"}));
    // 20 withdrawn offers and 20 confirmed claims: 40 texts due, all deleted by the first sweep.
    BOOST_CHECK_EQUAL(doc.number_at("texts_due").value_or(0), 40);
    BOOST_CHECK_EQUAL(doc.number_at("deleted").value_or(0), 40);
    BOOST_CHECK_EQUAL(doc.number_at("texts_left").value_or(-1), 0);
    BOOST_CHECK_LT(doc.number_at("personal_bytes_after").value_or(1e18),
                   doc.number_at("personal_bytes_before").value_or(0));
    BOOST_CHECK_GE(doc.number_at("first_sweep_ms").value_or(-1), 0);
    BOOST_CHECK_GE(doc.number_at("second_sweep_ms").value_or(-1), 0);
}

BOOST_AUTO_TEST_CASE(bench_match_alternates_which_replay_of_a_pair_runs_first) {
    // Seven pairs of replays, without and with the match queues; odd pairs run "with" first,
    // so that neither side always follows the other. The last replay keeps the queues (its
    // store is the one the candidates are then served from).
    const auto out =
        bench_output({"match", "--offers", "2000", "--requests", "200", "--seconds", "1"});
    std::vector<bool> with;  // each replay's side, in the order run
    for (std::size_t at = 0; (at = out.find("  replay with", at)) != std::string::npos; ++at)
        with.push_back(out.compare(at, 18, "  replay without t") != 0);
    BOOST_REQUIRE_EQUAL(with.size(), 14u);
    for (std::size_t pair = 0; pair < 7; ++pair) {
        BOOST_CHECK_NE(with[2 * pair], with[2 * pair + 1]);
        BOOST_CHECK_EQUAL(with[2 * pair], pair % 2 == 1);
    }
    BOOST_CHECK(out.find("the median of 7 pairs") != std::string::npos);
    const auto doc = closing_json(out);
    BOOST_CHECK(doc.number_at("match_queue_replay_share").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
