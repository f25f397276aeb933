// Invitations through the HTTP API (api/README.md, "Invitations"; ledger/core/RULES.md), from
// the side of those who may not: a new key redeems an open invitation with its code and is
// admitted; every refusal before the log (an unknown id, a wrong code, a second use, an expired
// invitation, any other event of an unknown key) writes nothing; a key the community knows
// redeems nothing; replacing keys ends the old keys' sessions at once and refuses their next
// event. The check route shows an invitation only to who holds its code, and counts against the
// address's write quota; the coordinators' list is theirs (403 for a plain member and another
// community's coordinator); the delegations route is the member's (403 for another member).
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>

#include "api/http/routes.h"
#include "api/json/json_read.h"
#include "ledger/core/crypto.h"
#include "tests/support/envelopes.h"
#include "tests/support/error_answers.h"
#include "tests/support/sessions.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_node.h"

using namespace uurwerk;
using uurwerk::testing::envelope_json;
using uurwerk::testing::error_code_of;
using uurwerk::testing::key_filled_with;
using uurwerk::testing::signed_token;
using uurwerk::testing::temp_dir;

namespace {

constexpr community_id town{7}, elsewhere{8};
constexpr std::int64_t day_ms = 24 * 3600 * 1000;

invitation_code code_of(std::uint8_t n) {
    invitation_code c;
    c.fill(n);
    return c;
}

std::string field(const http_response& r, const std::string& name) {
    auto d = json_doc::parse(r.body);
    return d ? d->string_at(name).value_or("") : "";
}

// Community 7: coordinator 1, members 2 and 3; 3 acts for 2 (requests), a proxy of member 4
// (who has no key) is 2. Community 8: coordinator 10. The log's clock, the node's and the
// access check's are one clock the test moves.
struct town_world {
    temp_dir dir{"invitations"};
    time_ms now{1'700'000'000'000};
    std::unique_ptr<node> n;
    std::unique_ptr<routes> api;
    signing_key k1 = key_filled_with(1), k2 = key_filled_with(2), k3 = key_filled_with(3),
                k10 = key_filled_with(10);
    std::map<std::string, std::uint64_t> seqs;  // by key

    explicit town_world(const quota_options& quotas = quota_options::unlimited()) {
        n = uurwerk::testing::open_test_node(dir.path, [this] { return now; });
        api = std::make_unique<routes>(*n, nullptr, nullptr,
                                       access_options{[this] { return now; }, ""}, quotas);
        const policy rules{minutes{600}, minutes{6000}, minutes{240}};
        ok(submit(k1, town, member_id{1}, community_founded{"Buurtkring West", rules}));
        for (auto [m, key] : {std::pair{2, &k2}, {3, &k3}})
            ok(submit(k1, town, member_id{1},
                      member_admitted{member_id{static_cast<std::uint64_t>(m)}, key->public_bytes(),
                                      role::member, true, std::nullopt}));
        ok(submit(k1, town, member_id{1},
                  member_admitted{member_id{4}, std::nullopt, role::member, true, std::nullopt}));
        ok(submit(k2, town, member_id{2},
                  delegation_granted{member_id{3}, {event_kind::request_posted}, time_ms{0}}));
        ok(submit(k1, town, member_id{1},
                  delegation_granted{member_id{2},
                                     {event_kind::request_posted, event_kind::hours_confirmed},
                                     time_ms{now.value + day_ms},
                                     member_id{4}}));
        ok(submit(k10, elsewhere, member_id{10}, community_founded{"Elders", rules}));
    }

    static void ok(const http_response& a) { BOOST_REQUIRE_MESSAGE(a.status == 200, a.body); }

    http_response submit_body(const signing_key& key, const event_body& b) {
        return api->handle(
            http_request{"POST", "/v1/events", envelope_json(key.seal(b)), "", "", "203.0.113.9"});
    }

    http_response submit(const signing_key& key, community_id c, member_id author, event_payload p,
                         event_id* id_out = nullptr) {
        const auto id = random_event_id();
        if (id_out) *id_out = id;
        return submit_body(
            key, event_body{id, c, author, sequence{++seqs[key.public_bytes().hex()]}, now,
                            std::nullopt, std::move(p)});
    }

    // An invitation issued by `key` as `author`; its id.
    event_id invite(const signing_key& key, member_id author, invitation_purpose purpose,
                    member_id m, std::uint8_t code, std::int64_t ms = day_ms) {
        event_id id;
        ok(submit(key, town, author,
                  invitation_issued{purpose, m, role::member, purpose == invitation_purpose::join,
                                    invitation_code_digest(code_of(code)), time_ms{now.value + ms}},
                  &id));
        return id;
    }

    // A new key's redemption (seq 1, for itself), as a browser sends it.
    http_response redeem(const signing_key& key, member_id author, const event_id& invitation,
                         std::uint8_t code, community_id c = town) {
        return submit_body(key,
                           event_body{random_event_id(), c, author, sequence{1}, now, std::nullopt,
                                      invitation_redeemed{invitation, code_of(code)}});
    }

    http_response check(const event_id& invitation, const std::string& body,
                        community_id c = town) {
        return api->handle(http_request{"POST",
                                        "/v1/communities/" + std::to_string(c.value) +
                                            "/invitations/" + invitation.hex() + "/check",
                                        body, "", "", "203.0.113.9"});
    }
    http_response check(const event_id& invitation, std::uint8_t code) {
        return check(invitation, "{\"code\": \"" + to_hex(code_of(code)) + "\"}");
    }

    std::string bearer(const signing_key& key, community_id c, member_id m) {
        return "Bearer " + signed_token(key, c, m, time_ms{now.value + 3'600'000});
    }
    http_response get(const std::string& target, const std::string& authorization) {
        return api->handle(http_request{"GET", target, "", authorization, "", "203.0.113.9"});
    }

    offset log_end() { return n->log(town).end(); }
};

// A refusal before the log: its status and code, and nothing written.
void check_refused_before_the_log(town_world& w, const http_response& a, unsigned status,
                                  const std::string& code, offset end_before) {
    BOOST_CHECK_MESSAGE(a.status == status && error_code_of(a) == code,
                        "want " << status << " " << code << ", got " << a.status << " " << a.body);
    BOOST_CHECK_EQUAL(w.log_end().value, end_before.value);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(invitations)

BOOST_AUTO_TEST_CASE(a_newcomer_redeems_an_open_invitation_with_a_key_of_their_own) {
    town_world w;
    const auto inv = w.invite(w.k1, member_id{1}, invitation_purpose::join, member_id{5}, 9);
    auto a = w.check(inv, 9);
    BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
    BOOST_CHECK_EQUAL(field(a, "status"), "open");
    BOOST_CHECK_EQUAL(field(a, "purpose"), "join");
    BOOST_CHECK_EQUAL(field(a, "member"), "5");
    BOOST_CHECK_EQUAL(field(a, "community"), "7");
    BOOST_CHECK_EQUAL(field(a, "invitation"), inv.hex());
    BOOST_CHECK_EQUAL(field(a, "expires_at_ms"), std::to_string(w.now.value + day_ms));
    BOOST_CHECK(a.body.find(invitation_code_digest(code_of(9)).hex()) == std::string::npos);

    const auto newcomer = key_filled_with(50);
    a = w.redeem(newcomer, member_id{5}, inv, 9);
    BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
    BOOST_CHECK_EQUAL(field(a, "verdict"), "accepted");
    // A member with that key now: their session reads their own balance.
    a = w.get("/v1/communities/7/members/5/balance", w.bearer(newcomer, town, member_id{5}));
    BOOST_CHECK_MESSAGE(a.status == 200, a.body);
    a = w.check(inv, 9);
    BOOST_CHECK_EQUAL(field(a, "status"), "used");
}

// What a browser does (api/README.md): the body in JSON to POST /v1/canonical, the bytes it
// answers signed with the new key, and the envelope to POST /v1/events.
BOOST_AUTO_TEST_CASE(a_browser_redeems_through_the_json_form_of_the_event) {
    town_world w;
    event_id inv;
    // The JSON names of the purposes are the schema's (addDevice).
    const auto issued = w.api->handle(http_request{
        "POST", "/v1/canonical",
        R"({"id":")" + random_event_id().hex() +
            R"(","community":"7","author":"2","seq":"9","createdAtMs":"0",)"
            R"("invitationIssued":{"purpose":"addDevice","member":"2","codeDigest":")" +
            invitation_code_digest(code_of(5)).hex() + R"(","untilMs":")" +
            std::to_string(w.now.value + day_ms) + R"("}})",
        "", "", "203.0.113.9"});
    BOOST_REQUIRE_MESSAGE(issued.status == 200, issued.body);
    inv = w.invite(w.k2, member_id{2}, invitation_purpose::add_device, member_id{2}, 5);
    const auto canonical = w.api->handle(
        http_request{"POST", "/v1/canonical",
                     R"({"id":")" + random_event_id().hex() +
                         R"(","community":"7","author":"2","seq":"1","createdAtMs":"0",)"
                         R"("invitationRedeemed":{"invitation":")" +
                         inv.hex() + R"(","code":")" + to_hex(code_of(5)) + R"("}})",
                     "", "", "203.0.113.9"});
    BOOST_REQUIRE_MESSAGE(canonical.status == 200, canonical.body);
    auto body = from_base64(field(canonical, "body"));
    BOOST_REQUIRE(body.ok());
    const auto laptop = key_filled_with(70);
    const envelope e{*body, laptop.public_bytes(), laptop.sign_event_body(*body)};
    const auto a =
        w.api->handle(http_request{"POST", "/v1/events", envelope_json(e), "", "", "203.0.113.9"});
    BOOST_CHECK_MESSAGE(a.status == 200 && field(a, "verdict") == "accepted", a.body);
}

BOOST_AUTO_TEST_CASE(a_redemption_the_node_refuses_is_never_written) {
    town_world w;
    const auto inv =
        w.invite(w.k1, member_id{1}, invitation_purpose::join, member_id{5}, 9, 3'600'000);
    const auto newcomer = key_filled_with(50), other = key_filled_with(51);
    const offset end = w.log_end();
    // An unknown id and a wrong code: the same answer.
    check_refused_before_the_log(w, w.redeem(newcomer, member_id{5}, random_event_id(), 9), 404,
                                 "invitation_unknown", end);
    check_refused_before_the_log(w, w.redeem(newcomer, member_id{5}, inv, 8), 404,
                                 "invitation_unknown", end);
    // The right invitation in another community is no invitation there.
    check_refused_before_the_log(w, w.redeem(newcomer, member_id{5}, inv, 9, elsewhere), 404,
                                 "invitation_unknown", end);
    // Any other event of a key the community does not know.
    check_refused_before_the_log(
        w, w.submit(newcomer, town, member_id{5}, transfer{member_id{2}, minutes{5}, std::nullopt}),
        403, "unknown_signer", end);
    // Redeemed once; a second key is refused before the log.
    BOOST_REQUIRE_EQUAL(w.redeem(newcomer, member_id{5}, inv, 9).status, 200u);
    const offset after = w.log_end();
    BOOST_CHECK_EQUAL(after.value, end.value + 1);
    check_refused_before_the_log(w, w.redeem(other, member_id{5}, inv, 9), 409, "invitation_used",
                                 after);
    // Expired on the node's clock.
    const auto late =
        w.invite(w.k1, member_id{1}, invitation_purpose::join, member_id{6}, 3, 60'000);
    const offset before_late = w.log_end();
    w.now = time_ms{w.now.value + 60'000};
    check_refused_before_the_log(w, w.redeem(other, member_id{6}, late, 3), 410,
                                 "invitation_expired", before_late);
    // And the check says so, to who holds the code.
    BOOST_CHECK_EQUAL(field(w.check(late, 3), "status"), "expired");
}

BOOST_AUTO_TEST_CASE(a_key_the_community_knows_redeems_nothing) {
    town_world w;
    const auto inv = w.invite(w.k2, member_id{2}, invitation_purpose::add_device, member_id{2}, 4);
    // Member 3's key, or member 2's own, cannot become member 2's "new" device.
    for (const auto* key : {&w.k3, &w.k2}) {
        auto a = w.redeem(*key, member_id{2}, inv, 4);
        BOOST_CHECK_MESSAGE(a.status == 409 && field(a, "reason") == "key_in_use", a.body);
    }
    BOOST_CHECK_EQUAL(field(w.check(inv, 4), "status"), "open");
}

BOOST_AUTO_TEST_CASE(replaced_keys_lose_their_sessions_and_sign_nothing_more) {
    town_world w;
    const auto old_session = w.bearer(w.k2, town, member_id{2});
    const std::string balance = "/v1/communities/7/members/2/balance";
    BOOST_REQUIRE_EQUAL(w.get(balance, old_session).status, 200u);
    // A plain member may not replace anyone's keys, their own neither.
    auto a = w.submit(
        w.k3, town, member_id{3},
        invitation_issued{invitation_purpose::replace_keys, member_id{2}, role::member, false,
                          invitation_code_digest(code_of(1)), time_ms{w.now.value + day_ms}});
    BOOST_CHECK_MESSAGE(a.status == 409 && field(a, "reason") == "not_coordinator", a.body);
    const auto inv =
        w.invite(w.k1, member_id{1}, invitation_purpose::replace_keys, member_id{2}, 6);
    const auto fresh = key_filled_with(60);
    BOOST_REQUIRE_EQUAL(w.redeem(fresh, member_id{2}, inv, 6).status, 200u);
    // The old key's session ends at once; its next event is refused before the log.
    a = w.get(balance, old_session);
    BOOST_CHECK_MESSAGE(a.status == 401 && error_code_of(a) == "unauthenticated", a.body);
    const offset end = w.log_end();
    check_refused_before_the_log(
        w, w.submit(w.k2, town, member_id{2}, transfer{member_id{3}, minutes{5}, std::nullopt}),
        403, "signer_revoked", end);
    // The new key reads and signs.
    BOOST_CHECK_EQUAL(w.get(balance, w.bearer(fresh, town, member_id{2})).status, 200u);
    w.seqs[fresh.public_bytes().hex()] = 1;
    w.ok(w.submit(fresh, town, member_id{2}, transfer{member_id{3}, minutes{5}, std::nullopt}));
}

BOOST_AUTO_TEST_CASE(the_check_shows_an_invitation_only_to_who_holds_its_code) {
    town_world w;
    const auto inv = w.invite(w.k1, member_id{1}, invitation_purpose::join, member_id{5}, 9);
    for (const auto& [body, code] : std::vector<std::pair<std::string, std::string>>{
             {"{\"code\": \"" + to_hex(code_of(8)) + "\"}", "invitation_unknown"},
             {"{\"code\": \"abc\"}", "bad_hex"},
             {"{\"code\": \"" + to_hex(code_of(9)) + "\", \"member\": \"5\"}", "unknown_field"},
             {"{}", "bad_request"},
             {"[]", "bad_request"},
             {"", "bad_json"}}) {
        const auto a = w.check(inv, body);
        BOOST_CHECK_MESSAGE(error_code_of(a) == code, body << ": " << a.status << " " << a.body);
    }
    BOOST_CHECK_EQUAL(error_code_of(w.check(random_event_id(), 9)), "invitation_unknown");
    BOOST_CHECK_EQUAL(w.check(random_event_id(), 9).status, 404u);
    BOOST_CHECK_EQUAL(
        error_code_of(w.check(inv, "{\"code\": \"" + to_hex(code_of(9)) + "\"}", community_id{99})),
        "unknown_community");
}

BOOST_AUTO_TEST_CASE(checking_codes_counts_against_the_addresss_write_quota) {
    quota_options q = quota_options::unlimited();
    q.writes_per_address = rate_limit{1, 40};
    town_world w(q);
    const auto inv = w.invite(w.k1, member_id{1}, invitation_purpose::join, member_id{5}, 9);
    std::size_t limited = 0, answered = 0;
    for (std::uint8_t guess = 100; guess < 160; ++guess) {
        const auto a = w.check(inv, guess);
        limited += a.status == 429;
        answered += a.status == 404;
    }
    BOOST_CHECK_GT(limited, 0u);
    BOOST_CHECK_LT(answered, 40u);
}

BOOST_AUTO_TEST_CASE(the_list_is_for_coordinators_and_proposes_the_next_member) {
    town_world w;
    const auto join = w.invite(w.k1, member_id{1}, invitation_purpose::join, member_id{9}, 1);
    const auto device =
        w.invite(w.k2, member_id{2}, invitation_purpose::add_device, member_id{2}, 2);
    const std::string list = "/v1/communities/7/invitations";
    for (const auto& [who, auth] : std::vector<std::pair<std::string, std::string>>{
             {"member 2", w.bearer(w.k2, town, member_id{2})},
             {"community 8's coordinator", w.bearer(w.k10, elsewhere, member_id{10})}}) {
        const auto a = w.get(list, auth);
        BOOST_CHECK_MESSAGE(a.status == 403 && error_code_of(a) == "forbidden",
                            who << ": " << a.body);
    }
    BOOST_CHECK_EQUAL(w.get(list, "").status, 401u);
    const auto a = w.get(list, w.bearer(w.k1, town, member_id{1}));
    BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
    BOOST_CHECK_EQUAL(field(a, "next_member"), "10");  // above member 4 and the join for 9
    auto d = json_doc::parse(a.body);
    BOOST_REQUIRE(d.ok());
    const auto* rows = d->root().at("invitations")->as_array();
    BOOST_REQUIRE(rows != nullptr && rows->size() == 2);
    std::map<std::string, std::string> purposes, issuers;
    for (const auto& row : *rows) {
        const auto id = row.at("id")->as_string().value_or("");
        purposes[id] = row.at("purpose")->as_string().value_or("");
        issuers[id] = row.at("issued_by")->as_string().value_or("");
        BOOST_CHECK_EQUAL(row.at("status")->as_string().value_or(""), "open");
        BOOST_CHECK(row.at("code_digest") == nullptr);
    }
    BOOST_CHECK_EQUAL(purposes[join.hex()], "join");
    BOOST_CHECK_EQUAL(purposes[device.hex()], "add_device");
    BOOST_CHECK_EQUAL(issuers[device.hex()], "2");
    // Once the join expires, member 9 is free again.
    w.now = time_ms{w.now.value + day_ms};
    BOOST_CHECK_EQUAL(field(w.get(list, w.bearer(w.k1, town, member_id{1})), "next_member"), "5");
}

BOOST_AUTO_TEST_CASE(the_delegations_of_a_member_are_theirs_to_read) {
    town_world w;
    const std::string path = "/v1/communities/7/members/2/delegations";
    // Member 3 acts for 2; 2 acts for 4 (a proxy until tomorrow).
    auto a = w.get(path, w.bearer(w.k2, town, member_id{2}));
    BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
    auto d = json_doc::parse(a.body);
    BOOST_REQUIRE(d.ok());
    const auto* acts_for = d->root().at("acts_for")->as_array();
    const auto* by = d->root().at("acted_for_by")->as_array();
    BOOST_REQUIRE(acts_for && acts_for->size() == 1 && by && by->size() == 1);
    BOOST_CHECK_EQUAL((*acts_for)[0].at("member")->as_string().value_or(""), "4");
    BOOST_CHECK((*acts_for)[0].at("proxy")->as_bool().value_or(false));
    BOOST_CHECK_EQUAL((*acts_for)[0].at("until_ms")->as_string().value_or(""),
                      std::to_string(w.now.value + day_ms));
    const auto* kinds = (*acts_for)[0].at("kinds")->as_array();
    BOOST_REQUIRE(kinds && kinds->size() == 2);
    BOOST_CHECK_EQUAL((*by)[0].at("member")->as_string().value_or(""), "3");
    BOOST_CHECK(!(*by)[0].at("proxy")->as_bool().value_or(true));
    BOOST_CHECK_EQUAL((*by)[0].at("kinds")->as_array()->at(0).as_string().value_or(""),
                      "requestPosted");
    // Another member may not; 2's delegate (3) and a coordinator may.
    a = w.get(path, w.bearer(w.k10, elsewhere, member_id{10}));
    BOOST_CHECK_EQUAL(a.status, 403u);
    a = w.get("/v1/communities/7/members/3/delegations", w.bearer(w.k2, town, member_id{2}));
    BOOST_CHECK_MESSAGE(a.status == 403 && error_code_of(a) == "forbidden", a.body);
    BOOST_CHECK_EQUAL(w.get(path, w.bearer(w.k3, town, member_id{3})).status, 200u);
    BOOST_CHECK_EQUAL(w.get(path, w.bearer(w.k1, town, member_id{1})).status, 200u);
    // The proxy ends tomorrow: then it is no longer in force.
    w.now = time_ms{w.now.value + day_ms};
    d = json_doc::parse(w.get(path, w.bearer(w.k2, town, member_id{2})).body);
    BOOST_REQUIRE(d.ok());
    BOOST_CHECK(d->root().at("acts_for")->as_array()->empty());
}

BOOST_AUTO_TEST_SUITE_END()
