// Invitations through the program (`uurwerk invite`, `uurwerk join`) against `uurwerk serve`:
// a coordinator invites a newcomer, who joins with a key made on their own machine; the link
// works once; a plain member invites no newcomer but adds a device of their own; a coordinator
// replaces the keys of a member who lost them, and the old key's session ends.
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "api/node/key_file.h"
#include "tests/support/uurwerk_program.h"

using namespace uurwerk;
using namespace uurwerk::testing;

namespace {

// The link `uurwerk invite` printed: the line holding "/#join/".
std::string link_in(const std::string& out) {
    const auto at = out.find("/#join/");
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, "no link in: " + out);
    const auto start = out.rfind('\n', at);
    const auto end = out.find('\n', at);
    return out.substr(start == std::string::npos ? 0 : start + 1,
                      (end == std::string::npos ? out.size() : end) -
                          (start == std::string::npos ? 0 : start + 1));
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_newcomer_joins_by_a_link_and_a_member_who_lost_their_keys_gets_new_ones) {
    served_town t("invitation-story");
    t.ok({"keygen", "--out", t.key("anna"), "--community", "7", "--member", "1"});
    t.ok({"found", "--key", t.key("anna"), "--name", "Buurtkring Lombok"});
    t.ok({"announce-node", "--key", t.key("anna")});

    // A newcomer: the link holds the community, the invitation and the code, after the app's URL.
    auto out = t.ok({"invite", "--key", t.key("anna"), "--member", "2", "--verified", "--days", "3",
                     "--app-url", "https://buurt.example/"});
    const auto link = link_in(out);
    BOOST_CHECK_MESSAGE(link.rfind("https://buurt.example/#join/7/", 0) == 0, link);
    BOOST_CHECK_EQUAL(link.size(),
                      std::string("https://buurt.example/#join/7/").size() + 32 + 1 + 32);
    BOOST_CHECK_MESSAGE(out.find("open until") != std::string::npos, out);
    // The code is in the link only: the log holds its digest.
    const std::string code = link.substr(link.size() - 32);
    const auto invitation = link.substr(link.size() - 65, 32);
    auto event = t.get("/v1/communities/7/events/" + invitation);
    BOOST_CHECK(event.root().at("body") != nullptr);
    t.reader.clear();
    BOOST_CHECK(t.get("/v1/communities/7/events/" + invitation, 401).root().at("error"));
    t.reader = t.key("anna");

    out = t.ok({"join", "--link", link, "--out", t.key("bep")});
    auto kf = read_key_file(t.key("bep"));
    BOOST_REQUIRE(kf.ok());
    BOOST_CHECK_EQUAL(kf->community.value, 7u);
    BOOST_CHECK_EQUAL(kf->member.value, 2u);
    t.reader = t.key("bep");
    BOOST_CHECK(t.get("/v1/communities/7/members/2/balance").root().at("balance_minutes"));
    const auto members = t.get("/v1/communities/7/members");
    BOOST_CHECK_EQUAL(members.root().at("members")->as_array()->size(), 2u);

    // Once only: a second join is refused, and leaves no key file behind.
    auto again = t.uw({"join", "--link", link, "--out", t.key("eve")});
    BOOST_CHECK_EQUAL(again.exit_code, 1);
    BOOST_CHECK_MESSAGE(again.out.find("new invitation") != std::string::npos, again.out);
    BOOST_CHECK(!std::filesystem::exists(t.key("eve")));
    // A wrong code is an unknown invitation.
    std::string wrong = link;
    wrong.back() = wrong.back() == '0' ? '1' : '0';
    auto guessed = t.uw({"join", "--link", wrong, "--out", t.key("eve")});
    BOOST_CHECK_EQUAL(guessed.exit_code, 1);
    BOOST_CHECK_MESSAGE(guessed.out.find("invitation_unknown") != std::string::npos, guessed.out);
    BOOST_CHECK(!std::filesystem::exists(t.key("eve")));
    // A key file is never overwritten.
    auto over = t.uw({"join", "--link", link, "--out", t.key("anna")});
    BOOST_CHECK_EQUAL(over.exit_code, 1);

    // Bep helps Anna for half an hour, signed with the key he made himself.
    auto claim = after(t.ok({"claim", "--key", t.key("bep"), "--receiver", "1", "--minutes", "30"}),
                       "claim id: ");
    t.ok({"confirm", "--key", t.key("anna"), "--claim", claim});

    // A plain member invites no newcomer; a device of their own, yes (the server's URL by
    // default in the link).
    auto refused = t.uw({"invite", "--key", t.key("bep"), "--member", "3"});
    BOOST_CHECK_EQUAL(refused.exit_code, 1);
    BOOST_CHECK_MESSAGE(refused.out.find("not_coordinator") != std::string::npos, refused.out);
    auto days = t.uw({"invite", "--key", t.key("anna"), "--member", "3", "--days", "31"});
    BOOST_CHECK_EQUAL(days.exit_code, 2);  // a bad argument, before anything is signed
    BOOST_CHECK_MESSAGE(days.out.find("--days must be 1 to 30") != std::string::npos, days.out);
    const auto phone_link = link_in(t.ok({"invite", "--key", t.key("bep"), "--add-device"}));
    BOOST_CHECK_MESSAGE(phone_link.rfind(t.server.url() + "/#join/7/", 0) == 0, phone_link);
    t.ok({"join", "--link", phone_link, "--out", t.key("bep-phone")});
    t.reader = t.key("bep-phone");
    BOOST_CHECK(t.get("/v1/communities/7/members/2/balance").root().at("balance_minutes"));

    // Bep loses both devices: the coordinator checks who he is and replaces his keys.
    const auto new_keys =
        link_in(t.ok({"invite", "--key", t.key("anna"), "--replace-keys", "--member", "2"}));
    t.ok({"join", "--link", new_keys, "--out", t.key("bep-new")});
    for (const auto* lost : {"bep", "bep-phone"}) {
        t.reader = t.key(lost);
        t.get("/v1/communities/7/members/2/balance", 401);
    }
    t.reader = t.key("bep-new");
    BOOST_CHECK(t.get("/v1/communities/7/members/2/balance").root().at("balance_minutes"));
    auto stale = t.uw({"transfer", "--key", t.key("bep"), "--to", "1", "--minutes", "5"});
    BOOST_CHECK_EQUAL(stale.exit_code, 1);
    BOOST_CHECK_MESSAGE(stale.out.find("signer_revoked") != std::string::npos, stale.out);

    // His hours, signed with keys he got by invitations, certify offline: the certificate
    // carries the invitations and their redemptions, and both verifiers follow them.
    claim = after(t.ok({"claim", "--key", t.key("bep-new"), "--receiver", "1", "--minutes", "60"}),
                  "claim id: ");
    t.ok({"confirm", "--key", t.key("anna"), "--claim", claim});
    t.ok({"audit", "checkpoint", "--community", "7"});
    const auto cert = t.path("bep.json");
    auto made = t.ok({"audit", "certificate", "--key", t.key("anna"), "--community", "7",
                      "--member", "2", "--out", cert});
    BOOST_CHECK_MESSAGE(made.find("2 confirmed claims, 90 minutes") != std::string::npos, made);
    t.reader = t.key("anna");
    const auto node = t.get("/v1/node").string_at("node_key").value();
    auto verified = t.ok({"audit", "verify-certificate", cert, "--trust", node});
    BOOST_CHECK_MESSAGE(verified.find("gave 90 minutes") != std::string::npos, verified);
    const std::string py_out = t.path("py.out");
    const std::string cmd = "/usr/bin/python3 " UURWERK_SOURCE_DIR
                            "/tests/e2e/verify_certificate.py " +
                            cert + " --trust " + node + " > " + py_out + " 2>&1";
    const int status = std::system(cmd.c_str());
    std::ifstream in(py_out);
    const std::string py((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    BOOST_CHECK_MESSAGE(WIFEXITED(status) && WEXITSTATUS(status) == 0, py);
    BOOST_CHECK_MESSAGE(py.find("gave 90 minutes") != std::string::npos, py);
}
