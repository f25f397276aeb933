// The live match queues through the program: the candidates for a request (open offers of its
// category, ranked by relevance: area, times, how often) and the requests that fit a helper's
// offers, current as posts arrive and members are suspended.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "tests/support/uurwerk_program.h"

using namespace uurwerk;
using namespace uurwerk::testing;

BOOST_AUTO_TEST_CASE(candidates_for_a_request_and_requests_for_a_helper) {
    served_town t("queues");
    const std::vector<std::pair<std::string, std::string>> people = {
        {"anna", "1"}, {"bert", "2"}, {"cor", "3"}, {"dirk", "4"}, {"eva", "5"}};
    for (const auto& [who, id] : people)
        t.ok({"keygen", "--out", t.key(who), "--community", "7", "--member", id});
    t.ok({"found", "--key", t.key("anna"), "--name", "Buurtkring"});
    for (std::size_t i = 1; i < people.size(); ++i)
        t.ok({"admit", "--key", t.key("anna"), "--member", people[i].second, "--member-public-key",
              t.key(people[i].first) + ".pub"});
    auto request =
        after(t.ok({"request", "--key", t.key("bert"), "--category", "shopping", "--area", "3512",
                    "--intensity", "regularly", "--text", "Boodschappen op dinsdag"}),
              "request id: ");
    t.ok({"offer", "--key", t.key("cor"), "--category", "shopping", "--area", "3512", "--intensity",
          "regularly"});
    t.ok({"offer", "--key", t.key("dirk"), "--category", "shopping", "--area", "1091",
          "--intensity", "once"});
    t.ok({"offer", "--key", t.key("eva"), "--category", "gardening", "--area", "3512"});

    auto q = t.get("/v1/communities/7/requests/" + request + "/candidates");
    const auto* list = q.root().at("candidates")->as_array();
    BOOST_REQUIRE_EQUAL(list->size(), 2u);  // Eva's gardening offer does not fit
    BOOST_CHECK_EQUAL(list->at(0).at("owner")->as_string().value(), "3");
    BOOST_CHECK_CLOSE(list->at(0).at("relevance")->as_number().value(), 1.0, 0.01);
    BOOST_CHECK_EQUAL(list->at(1).at("owner")->as_string().value(), "4");
    BOOST_CHECK_LT(list->at(1).at("relevance")->as_number().value(), 0.5);

    // A page of one: the best, and the count of all that fit.
    auto top = t.get("/v1/communities/7/requests/" + request + "/candidates?limit=1");
    BOOST_REQUIRE_EQUAL(top.root().at("candidates")->as_array()->size(), 1u);
    BOOST_CHECK_EQUAL(
        top.root().at("candidates")->as_array()->at(0).at("owner")->as_string().value(), "3");
    BOOST_CHECK_EQUAL(top.root().at("fitting_offers")->as_number().value(), 2);

    auto mine = t.get("/v1/communities/7/members/4/requests-for-me");
    const auto* fits = mine.root().at("requests")->as_array();
    BOOST_REQUIRE_EQUAL(fits->size(), 1u);
    BOOST_CHECK_EQUAL(fits->at(0).at("id")->as_string().value(), request);
    BOOST_CHECK(t.get("/v1/communities/7/members/5/requests-for-me")
                    .root()
                    .at("requests")
                    ->as_array()
                    ->empty());

    // A suspended helper is no candidate; the queue follows the log.
    t.ok({"suspend", "--key", t.key("anna"), "--member", "3"});
    auto after_suspension = t.get("/v1/communities/7/requests/" + request + "/candidates");
    BOOST_REQUIRE_EQUAL(after_suspension.root().at("candidates")->as_array()->size(), 1u);
    BOOST_CHECK_EQUAL(after_suspension.root()
                          .at("candidates")
                          ->as_array()
                          ->at(0)
                          .at("owner")
                          ->as_string()
                          .value(),
                      "4");
    t.ok({"reinstate", "--key", t.key("anna"), "--member", "3"});
    BOOST_CHECK_EQUAL(t.get("/v1/communities/7/requests/" + request + "/candidates")
                          .root()
                          .at("candidates")
                          ->as_array()
                          ->size(),
                      2u);
    t.get("/v1/communities/7/requests/" + std::string(32, 'a') + "/candidates", 404);
    t.get("/v1/communities/7/requests/" + request + "/candidates?limit=0", 400);

    // Eva's profile, through the CLI: a bad e-mail address is refused before anything is sent;
    // Bert may not save Eva's data; Eva may, to a file only she can read.
    auto bad = t.uw({"profile", "--key", t.key("eva"), "--name", "Eva", "--email", "eva.nl"});
    BOOST_CHECK_NE(bad.exit_code, 0);
    BOOST_CHECK_MESSAGE(bad.out.find("email must be") != std::string::npos, bad.out);
    t.ok({"profile", "--key", t.key("eva"), "--name", "Eva Jansen", "--phone", "06 5550 1234",
          "--languages", "nl,de"});
    auto snoop = t.uw(
        {"my-data", "--key", t.key("bert"), "--member", "5", "--out", t.path("bert-has-eva.json")});
    BOOST_CHECK_NE(snoop.exit_code, 0);
    BOOST_CHECK_MESSAGE(snoop.out.find("forbidden") != std::string::npos, snoop.out);
    BOOST_CHECK(!std::filesystem::exists(t.path("bert-has-eva.json")));
    t.ok({"my-data", "--key", t.key("eva"), "--out", t.path("eva.json")});
    {
        std::ifstream in(t.path("eva.json"));
        const std::string saved((std::istreambuf_iterator<char>(in)), {});
        BOOST_CHECK(saved.find("\"display_name\":\"Eva Jansen\"") != std::string::npos);
        BOOST_CHECK(saved.find("06 5550 1234") != std::string::npos);
        const auto perms = std::filesystem::status(t.path("eva.json")).permissions();
        BOOST_CHECK((perms & (std::filesystem::perms::group_all |
                              std::filesystem::perms::others_all)) == std::filesystem::perms::none);
    }
    const auto card = t.get("/v1/communities/7/members/5/profile");
    BOOST_CHECK(card.root().at("display_name")->as_string() == "Eva Jansen");

    // Eva leaves (her balance is zero, no claim pending): a former member, who cannot leave
    // again, and whom Bert cannot make leave.
    auto bert_for_eva = t.uw({"leave", "--key", t.key("bert"), "--member", "5"});
    BOOST_CHECK_NE(bert_for_eva.exit_code, 0);
    BOOST_CHECK_MESSAGE(bert_for_eva.out.find("not_coordinator") != std::string::npos,
                        bert_for_eva.out);
    t.ok({"leave", "--key", t.key("eva"), "--member", "5"});
    auto again = t.uw({"leave", "--key", t.key("eva"), "--member", "5"});
    BOOST_CHECK_NE(again.exit_code, 0);
    const auto listed = t.get("/v1/communities/7/members");
    const auto* members = listed.root().at("members")->as_array();
    BOOST_REQUIRE(members);
    for (const auto& m : *members)
        BOOST_CHECK_EQUAL(m.at("former_member")->as_bool().value_or(false),
                          m.at("member")->as_string().value_or("") == "5");
    // Her profile is erased with the rest: the members list shows no name for her.
    const auto gone = t.get("/v1/communities/7/members/5/profile");
    BOOST_CHECK(std::holds_alternative<std::nullptr_t>(gone.root().at("display_name")->v));
}
