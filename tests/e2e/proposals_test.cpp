// The node's matcher through the program: a coordinator sets the fairness knobs, announces the
// node; a round proposes a helper for a request, signed by the node; the helper's client, long
// polling for proposals, gets it as soon as it is applied; the parties accept and end it through
// the CLI, and nobody else can.
#include <boost/test/unit_test.hpp>

#include <future>

#include "tests/support/uurwerk_program.h"

using namespace uurwerk;
using namespace uurwerk::testing;

namespace {

// A long poll as the member whose key file is `reader` (api/README.md, "Sessions").
// The answer to a long poll, from a thread of its own: no Boost.Test macro here (they are not
// for threads); the caller checks what comes back.
result<json_doc> long_poll(std::uint16_t port, const std::string& target,
                           const std::string& authorization) {
    http_call_options options;
    options.authorization = authorization;
    auto r = http_call("127.0.0.1", port, "GET", target, "", options);
    if (!r) return r.err();
    if (r->status != 200)
        return make_error(errc::bad_reply, target + " answered " + std::to_string(r->status));
    return json_doc::parse(r->body);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_proposal_reaches_a_waiting_helper_who_accepts_it_through_the_cli) {
    served_town t("proposals", {"--match-interval", "0"});
    const std::vector<std::pair<std::string, std::string>> people = {
        {"anna", "1"}, {"bert", "2"}, {"cor", "3"}, {"dirk", "4"}};
    for (const auto& [who, id] : people)
        t.ok({"keygen", "--out", t.key(who), "--community", "7", "--member", id});
    t.ok({"found", "--key", t.key("anna"), "--name", "Buurtkring", "--proposals-per-request", "1"});
    for (std::size_t i = 1; i < people.size(); ++i)
        t.ok({"admit", "--key", t.key("anna"), "--member", people[i].second, "--member-public-key",
              t.key(people[i].first) + ".pub"});

    // Knobs: out of range is rejected by the rules; in range is applied.
    BOOST_CHECK_NE(t.uw({"policy", "--key", t.key("anna"), "--open-matches-max", "500"}).exit_code,
                   0);
    BOOST_CHECK_NE(t.uw({"policy", "--key", t.key("bert"), "--open-matches-max", "2"}).exit_code,
                   0);  // not a coordinator
    t.ok({"policy", "--key", t.key("anna"), "--open-matches-max", "2"});
    auto town = t.get("/v1/communities/7");
    BOOST_CHECK_EQUAL(town.root().at("policy")->at("open_matches_max")->as_number().value(), 2);
    BOOST_CHECK_EQUAL(town.root().at("policy")->at("proposals_per_request")->as_number().value(),
                      1);
    BOOST_CHECK_EQUAL(town.root().at("policy")->at("credit_limit_minutes")->as_number().value(),
                      600);  // the rest as it was

    // Without the node key announced, the node may not propose.
    BOOST_CHECK_NE(t.uw({"match", "--community", "7", "--key", t.key("anna")}).exit_code, 0);
    t.ok({"announce-node", "--key", t.key("anna")});
    t.ok({"offer", "--key", t.key("cor"), "--category", "shopping", "--area", "3512"});

    // Cor's client waits for proposals; nothing yet.
    const auto port = t.server.port();
    const auto cor_session = served_town::session_of(t.key("cor"));
    auto waiting = std::async(std::launch::async, [&] {
        return long_poll(port, "/v1/communities/7/members/3/proposals?wait_ms=20000", cor_session);
    });
    BOOST_CHECK(waiting.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
    auto request = after(t.ok({"request", "--key", t.key("bert"), "--category", "shopping",
                               "--area", "3512", "--text", "Boodschappen"}),
                         "request id: ");
    const auto started = std::chrono::steady_clock::now();
    auto round = t.ok({"match", "--community", "7", "--key", t.key("anna")});
    BOOST_CHECK_MESSAGE(round.find("1 proposed") != std::string::npos, round);
    BOOST_REQUIRE(waiting.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    const auto pushed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - started)
                               .count();
    BOOST_TEST_MESSAGE("the proposal reached the waiting client " << pushed_ms
                                                                  << " ms after the round began");
    auto got = waiting.get();
    BOOST_REQUIRE_MESSAGE(got.ok(), (got.ok() ? "" : got.err().message));
    const auto* list = got->root().at("proposals")->as_array();
    BOOST_REQUIRE_EQUAL(list->size(), 1u);
    const auto match = list->at(0).at("match")->as_string().value();
    BOOST_CHECK_EQUAL(list->at(0).at("request")->as_string().value(), request);
    BOOST_CHECK_EQUAL(list->at(0).at("helper")->as_string().value(), "3");
    BOOST_CHECK_EQUAL(list->at(0).at("requester")->as_string().value(), "2");
    BOOST_CHECK_EQUAL(list->at(0).at("status")->as_string().value(), "proposed");
    const auto next = got->root().at("next")->as_string().value();

    // The requester sees it too; a second round proposes nothing new (the request has an open
    // proposal); waiting after it ends empty when the wait does.
    BOOST_CHECK_EQUAL(
        t.get("/v1/communities/7/members/2/proposals").root().at("proposals")->as_array()->size(),
        1u);
    auto again = t.ok({"match", "--community", "7", "--key", t.key("anna")});
    BOOST_CHECK_MESSAGE(again.find("0 proposed") != std::string::npos, again);
    auto quiet = long_poll(
        port, "/v1/communities/7/members/3/proposals?after=" + next + "&wait_ms=200", cor_session);
    BOOST_REQUIRE_MESSAGE(quiet.ok(), (quiet.ok() ? "" : quiet.err().message));
    BOOST_CHECK(quiet->root().at("proposals")->as_array()->empty());
    t.get("/v1/communities/7/members/3/proposals?wait_ms=30001", 400);
    t.get("/v1/communities/7/members/99/proposals", 404);

    // Dirk is no party; Cor accepts; then it cannot be declined; Bert ends it.
    BOOST_CHECK_NE(t.uw({"decline", "--key", t.key("dirk"), "--match", match}).exit_code, 0);
    t.ok({"accept", "--key", t.key("cor"), "--match", match});
    BOOST_CHECK_NE(t.uw({"decline", "--key", t.key("bert"), "--match", match}).exit_code, 0);
    t.ok({"end-match", "--key", t.key("bert"), "--match", match});
    auto ended = t.get("/v1/communities/7/members/3/proposals");
    BOOST_CHECK_EQUAL(
        ended.root().at("proposals")->as_array()->at(0).at("status")->as_string().value(), "ended");
}

BOOST_AUTO_TEST_CASE(bench_fairness_runs_a_small_town_under_the_knobs_given) {
    testing::temp_dir dir("bench-fairness");
    const auto tsv = (dir.path / "helpers.tsv").string();
    // Only the run with the layer on, under a knob of the policy; a line per helper.
    auto r = run_uurwerk({"bench", "fairness", "--members", "60", "--days", "10", "--fairness",
                          "on", "--silent-proposals-max", "2", "--helpers-out", tsv});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out);
    const auto last = r.out.substr(r.out.rfind("\n{") + 1);
    auto doc = json_doc::parse(last.substr(0, last.find('\n')));
    BOOST_REQUIRE_MESSAGE(doc.ok(), last);
    BOOST_CHECK(doc->root().at("on") != nullptr);
    BOOST_CHECK(doc->root().at("off") == nullptr);
    BOOST_CHECK_GT(doc->root().at("on")->at("matched_hours_total")->as_number().value_or(0), 0);
    std::ifstream in(tsv);
    std::string line;
    std::size_t lines = 0;
    std::getline(in, line);
    BOOST_CHECK(line.starts_with("run\tmember\tcategory"));
    while (std::getline(in, line)) {
        BOOST_CHECK(line.starts_with("on\t"));
        ++lines;
    }
    // Of the 59 members about 85 % offer help, half of them on day 0 and the rest over 120
    // days: about 29 have offered by day 10, and never more than the 50 helpers.
    BOOST_CHECK_GT(lines, 20u);
    BOOST_CHECK_LE(lines, 50u);
    // The model it ran, per category figures and the chance baseline come with it.
    BOOST_CHECK_EQUAL(doc->root().at("give_up_days")->as_number().value_or(0), 21);
    BOOST_CHECK(doc->root().at("on")->at("by_category") != nullptr);
    BOOST_CHECK(doc->root().at("chance") != nullptr);

    // A knob out of its range, or a run that is neither on nor off, is refused at once.
    r = run_uurwerk({"bench", "fairness", "--members", "60", "--silent-proposals-max", "21"});
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK_NE(r.out.find("out of its range"), std::string::npos);
    r = run_uurwerk({"bench", "fairness", "--members", "60", "--fairness", "both"});
    BOOST_CHECK_NE(r.exit_code, 0);
}
