// A member asks why their reputation is what it is, through the program: trust flows from the
// verified members and coordinators along confirmed help; an unverified member nobody has
// confirmed help from has none; a disputed claim gives nothing.
#include <boost/test/unit_test.hpp>

#include "tests/support/uurwerk_program.h"

using namespace uurwerk;
using namespace uurwerk::testing;

BOOST_AUTO_TEST_CASE(reputation_and_its_main_contributions_through_the_api) {
    served_town t("reputation");
    for (auto [who, id] : {std::pair{"anna", "1"}, {"bert", "2"}, {"cor", "3"}, {"dirk", "4"}})
        t.ok({"keygen", "--out", t.key(who), "--community", "7", "--member", id});
    t.ok({"found", "--key", t.key("anna"), "--name", "Buurtkring"});
    t.ok({"admit", "--key", t.key("anna"), "--member", "2", "--member-public-key",
          t.key("bert") + ".pub", "--verified"});
    for (auto [who, id] : {std::pair{"cor", "3"}, {"dirk", "4"}})
        t.ok({"admit", "--key", t.key("anna"), "--member", id, "--member-public-key",
              t.key(who) + ".pub"});
    // Cor helps Bert twice, confirmed; Dirk's claim on Bert is disputed.
    for (int i = 0; i < 2; ++i) {
        auto c = after(t.ok({"claim", "--key", t.key("cor"), "--receiver", "2", "--minutes", "90"}),
                       "claim id: ");
        t.ok({"confirm", "--key", t.key("bert"), "--claim", c});
    }
    auto d = after(t.ok({"claim", "--key", t.key("dirk"), "--receiver", "2", "--minutes", "60"}),
                   "claim id: ");
    t.ok({"dispute", "--key", t.key("bert"), "--claim", d, "--reason", "niet geweest"});

    auto cor = t.get("/v1/communities/7/members/3/reputation");
    auto dirk = t.get("/v1/communities/7/members/4/reputation");
    const double cor_score = cor.number_at("score").value();
    BOOST_CHECK_GT(cor_score, 0.5);
    BOOST_CHECK_SMALL(dirk.number_at("score").value(), 1e-9);
    BOOST_CHECK(!cor.root().at("seed")->as_bool().value());
    // Why: all of Cor's trust comes from Bert, who received the help.
    const auto* why = cor.root().at("why")->as_array();
    BOOST_REQUIRE_EQUAL(why->size(), 1u);
    BOOST_CHECK_EQUAL(why->front().at("from")->as_string().value(), "2");
    BOOST_CHECK_CLOSE(why->front().at("share")->as_number().value(), 1.0, 0.1);
    // A verified member starts with a seed share.
    auto bert = t.get("/v1/communities/7/members/2/reputation");
    BOOST_CHECK(bert.root().at("seed")->as_bool().value());
    t.get("/v1/communities/7/members/99/reputation", 404);
    t.get("/v1/communities/8/members/2/reputation", 403);  // anna's session is of community 7
}
