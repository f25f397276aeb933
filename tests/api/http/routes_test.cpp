// The routes of the HTTP API (api/http/routes.h) called directly, no socket: routes::handle()
// on a node over a temporary folder. Every route of api/README.md answers its own methods and
// refuses the others with 405 and an Allow header naming them, and refuses a query parameter
// it does not take; paths that are no route are 404; bad path and query parameters are 400;
// a balance reads what submitted events did; and every error has one shape, {"error": {"code",
// "message"}}, in JSON. (tests/api/http/http_test.cpp drives the same through a server.)
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

#include "api/http/routes.h"
#include "api/json/json_read.h"
#include "api/node/checkpointer.h"
#include "tests/support/envelopes.h"
#include "tests/support/sessions.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_node.h"

using namespace uurwerk;
using uurwerk::testing::envelope_json;
using uurwerk::testing::key_filled_with;
using uurwerk::testing::temp_dir;

namespace {

constexpr community_id town{7};

// A node with its routes (and a checkpointer, for the audit routes), and community 7: member 1
// (the founder) and member 2.
struct routed_node {
    temp_dir dir{"routes"};
    std::unique_ptr<node> n;
    std::unique_ptr<checkpointer> cp;
    std::unique_ptr<routes> api;
    signing_key founder = key_filled_with(1);
    signing_key member = key_filled_with(2);
    std::uint64_t founder_seq = 0, member_seq = 0;
    const std::string session = uurwerk::testing::bearer(founder, town, member_id{1});

    routed_node() {
        n = uurwerk::testing::open_test_node(dir.path);
        cp = std::make_unique<checkpointer>(
            *n, key_filled_with(0x42),
            checkpointer_options{std::chrono::milliseconds(0), [] { return time_ms{1}; }});
        api = std::make_unique<routes>(*n, cp.get(), nullptr);
    }

    // Every request reads as the founder, a coordinator of community 7, who may read every
    // route of it (tests/api/http/access_test.cpp walks the others), from loopback.
    http_response answer(std::string method, std::string target, std::string body = {}) {
        return api->handle(http_request{std::move(method), std::move(target), std::move(body),
                                        session, "", "127.0.0.1"});
    }

    envelope by(const signing_key& key, member_id author, std::uint64_t& seq, event_payload p) {
        return key.seal(event_body{random_event_id(), town, author, sequence{++seq}, time_ms{0},
                                   std::nullopt, std::move(p)});
    }
    envelope by_founder(event_payload p) {
        return by(founder, member_id{1}, founder_seq, std::move(p));
    }
    envelope by_member(event_payload p) {
        return by(member, member_id{2}, member_seq, std::move(p));
    }
    http_response post(const envelope& e) { return answer("POST", "/v1/events", envelope_json(e)); }

    void found_and_admit() {
        BOOST_REQUIRE_EQUAL(
            post(by_founder(community_founded{"Buurtkring West",
                                              policy{minutes{600}, minutes{6000}, minutes{240}}}))
                .status,
            200u);
        BOOST_REQUIRE_EQUAL(post(by_founder(member_admitted{member_id{2}, member.public_bytes(),
                                                            role::member, true, std::nullopt}))
                                .status,
                            200u);
    }
};

json_doc parse(const http_response& r) {
    BOOST_CHECK_EQUAL(r.content_type, "application/json");
    auto d = json_doc::parse(r.body);
    BOOST_REQUIRE_MESSAGE(d.ok(), "not JSON: " + r.body);
    return std::move(*d);
}

const json_value::object* object_of(const json_value& v) {
    auto* o = std::get_if<std::shared_ptr<json_value::object>>(&v.v);
    return o ? o->get() : nullptr;
}

// The one shape of every error: {"error": {"code": "<code>", "message": "<some words>"}}, with
// nothing else, and `status`.
void check_error(const http_response& r, unsigned status, const std::string& code) {
    BOOST_CHECK_MESSAGE(r.status == status,
                        "status " << r.status << ", not " << status << ": " << r.body);
    const auto d = parse(r);
    const auto* top = object_of(d.root());
    BOOST_REQUIRE_MESSAGE(top != nullptr && top->size() == 1 && top->contains("error"), r.body);
    const auto* e = object_of(top->at("error"));
    BOOST_REQUIRE_MESSAGE(e != nullptr && e->size() == 2, r.body);
    BOOST_CHECK_EQUAL(e->at("code").as_string().value_or("?"), code);
    const auto message = e->at("message").as_string();
    BOOST_CHECK_MESSAGE(message && !message->empty(), r.body);
}

std::string allow_of(const http_response& r) {
    std::string allow;
    for (const auto& [name, value] : r.headers)
        if (name == "Allow") {
            BOOST_CHECK_MESSAGE(allow.empty(), "two Allow headers");
            allow = value;
        }
    return allow;
}

// A route of api/README.md: a target on it, and the methods it takes (its Allow header).
struct route_case {
    std::string target;
    std::string allow;
};

std::vector<route_case> every_route() {
    const std::string id = std::string(32, 'a');
    const std::string c = "/v1/communities/7";
    std::vector<route_case> out = {
        {"/v1/canonical", "POST"},
        {"/v1/events", "POST"},
        {c + "/match", "POST"},
        {c + "/checkpoints", "GET, HEAD, POST"},
    };
    for (const std::string& read : {
             std::string("/"),
             std::string("/v1/health"),
             std::string("/v1/digest"),
             std::string("/metrics"),
             std::string("/v1/node"),
             c,
             c + "/members",
             c + "/members/2/balance",
             c + "/members/2/history",
             c + "/members/2/reputation",
             c + "/members/2/requests-for-me",
             c + "/members/2/proposals",
             c + "/members/2/certificate",
             c + "/keys/" + std::string(64, 'b'),
             c + "/offers",
             c + "/requests",
             c + "/requests/" + id + "/candidates",
             c + "/claims/" + id,
             c + "/events/" + id,
             c + "/events/" + id + "/proof",
             c + "/tree",
             c + "/checkpoints/latest",
             c + "/consistency",
             c + "/leaves",
             c + "/leaves/0/proof",
             c + "/export",
             c + "/reports/hours",
         })
        out.push_back({read, "GET, HEAD"});
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(routes_suite)

BOOST_AUTO_TEST_CASE(every_route_refuses_other_methods_with_405_and_says_which_it_takes) {
    routed_node t;
    t.found_and_admit();
    for (const auto& r : every_route()) {
        BOOST_TEST_CONTEXT(r.target) {
            for (const char* method : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "get"}) {
                const bool allowed = r.allow == method ||
                                     r.allow.rfind(std::string(method) + ",", 0) == 0 ||
                                     r.allow.find(std::string(" ") + method) != std::string::npos;
                const auto a = t.answer(method, r.target);
                if (allowed) {
                    BOOST_CHECK_MESSAGE(a.status != 405, method << " answered 405: " << a.body);
                    continue;
                }
                BOOST_TEST_CONTEXT(method) {
                    check_error(a, 405, "method_not_allowed");
                    BOOST_CHECK_EQUAL(allow_of(a), r.allow);
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(every_route_refuses_a_query_parameter_it_does_not_take) {
    routed_node t;
    t.found_and_admit();
    for (const auto& r : every_route()) {
        BOOST_TEST_CONTEXT(r.target) {
            const std::string method = r.allow.substr(0, r.allow.find(','));
            check_error(t.answer(method, r.target + "?colour=red"), 400, "bad_request");
        }
    }
}

BOOST_AUTO_TEST_CASE(paths_that_are_no_route_are_404_and_a_target_that_is_no_path_400) {
    routed_node t;
    t.found_and_admit();
    for (const char* target :
         {"/nothing", "/v1", "/v2/health", "/V1/health", "/v1/health/", "/v1/health/x",
          "/metrics/x", "/v1/communities", "/v1/communities/7/members/2",
          "/v1/communities/7/members/2/balance/x", "/v1/communities/7/unknown",
          "/v1/communities/7/members/2/unknown", "/v1/communities/7/offers/x/y/z",
          "/v1/events/0123", "/v1/node/x", "/v1/communities/7/checkpoints/latest/x"}) {
        BOOST_TEST_CONTEXT(target) {
            for (const char* method : {"GET", "POST"}) {
                const auto a = t.answer(method, target);
                check_error(a, 404, "not_found");
                BOOST_CHECK(allow_of(a).empty());
            }
        }
    }
    // The message names the path, not the query.
    const auto a = t.answer("GET", "/v1/nothing?secret=1");
    BOOST_CHECK(a.body.find("/v1/nothing") != std::string::npos);
    BOOST_CHECK(a.body.find("secret") == std::string::npos);
    for (const char* target : {"", "*", "v1/health", "?x=1"}) {
        BOOST_TEST_CONTEXT("'" << target << "'") {
            check_error(t.answer("GET", target), 400, "bad_request");
        }
    }
    // A community or member that does not exist is a 404 of its own.
    check_error(t.answer("GET", "/v1/communities/8"), 404, "unknown_community");
    // A session of community 7 may not read community 8, which does not exist: 403, as for one
    // that does (access_test holds the rest).
    check_error(t.answer("GET", "/v1/communities/8/members/2/balance"), 403, "forbidden");
    check_error(t.answer("GET", "/v1/communities/7/members/9/balance"), 404, "unknown_member");
    check_error(t.answer("GET", "/v1/communities/7/members/9/history"), 404, "unknown_member");
}

BOOST_AUTO_TEST_CASE(bad_path_and_query_parameters_are_400) {
    routed_node t;
    t.found_and_admit();
    const std::string c = "/v1/communities/7";
    for (const std::string& target : std::vector<std::string>{
             "/v1/communities/x",
             "/v1/communities/-7",
             "/v1/communities/+7",
             "/v1/communities/07x",
             "/v1/communities/18446744073709551616",
             c + "/members/two/balance",
             c + "/members/2.0/history",
             c + "/keys/abcd",
             c + "/keys/" + std::string(64, 'z'),
             c + "/claims/abc",
             c + "/events/" + std::string(31, 'a'),
             c + "/requests/" + std::string(33, 'a') + "/candidates",
             c + "/offers?limit=0",
             c + "/offers?limit=1001",
             c + "/offers?limit=ten",
             c + "/offers?limit=-1",
             c + "/offers?limit=1&limit=2",
             c + "/offers?category=knitting",
             c + "/requests?area=" + std::string(200, 'x'),
             c + "/members/2/history?from=x",
             c + "/members/2/history?from=-1",
             c + "/members/2/history?limit=1001",
             c + "/members/2/proposals?wait_ms=30001",
             c + "/consistency?first=0&second=1",
             c + "/consistency?first=2&second=1",
             c + "/leaves?from=x",
             "/v1/health?x=%zz",
             "/v1/health?x=%4",
         }) {
        BOOST_TEST_CONTEXT(target) {
            const auto a = t.answer("GET", target);
            BOOST_CHECK_MESSAGE(a.status == 400, "status " << a.status << ": " << a.body);
            const auto d = parse(a);
            const auto* e = d.root().at("error");
            BOOST_REQUIRE_MESSAGE(e != nullptr, a.body);
            const auto code = e->at("code")->as_string().value_or("");
            BOOST_CHECK_MESSAGE(code.rfind("bad_", 0) == 0, code);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_balance_reads_what_the_submitted_events_did) {
    routed_node t;
    t.found_and_admit();
    auto balance = [&](std::uint64_t m) {
        auto a = t.answer("GET", "/v1/communities/7/members/" + std::to_string(m) + "/balance");
        BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
        return parse(a);
    };
    BOOST_CHECK_EQUAL(balance(2).number_at("balance_minutes").value_or(-1), 0);

    // Member 2 claims 45 minutes from the founder: pending on both sides.
    const auto claim =
        t.by_member(hours_claimed{member_id{1}, minutes{45}, std::nullopt, std::nullopt});
    const auto claimed = t.post(claim);
    BOOST_REQUIRE_MESSAGE(claimed.status == 200, claimed.body);
    const auto claimed_doc = parse(claimed);
    BOOST_CHECK_EQUAL(claimed_doc.string_at("verdict").value_or(""), "accepted");
    BOOST_CHECK_EQUAL(claimed_doc.string_at("reason").value_or(""), "none");
    BOOST_CHECK_EQUAL(claimed_doc.string_at("offset").value_or(""), "2");
    BOOST_CHECK_EQUAL(claimed_doc.string_at("partition").value_or(""), "0");
    const auto claim_id = claimed_doc.string_at("id").value_or("");
    BOOST_CHECK_EQUAL(balance(2).number_at("pending_in_minutes").value_or(-1), 45);
    BOOST_CHECK_EQUAL(balance(1).number_at("pending_out_minutes").value_or(-1), 45);
    BOOST_CHECK_EQUAL(balance(2).number_at("balance_minutes").value_or(-1), 0);

    // The founder confirms: the minutes move.
    const auto confirmed = t.post(t.by_founder(hours_confirmed{decode_body(claim.body)->id}));
    BOOST_REQUIRE_MESSAGE(confirmed.status == 200, confirmed.body);
    const auto mine = balance(2);
    BOOST_CHECK_EQUAL(mine.string_at("member").value_or(""), "2");
    BOOST_CHECK_EQUAL(mine.number_at("balance_minutes").value_or(0), 45);
    BOOST_CHECK_EQUAL(mine.number_at("pending_in_minutes").value_or(-1), 0);
    BOOST_CHECK_EQUAL(mine.number_at("confirmed_given_minutes").value_or(0), 45);
    BOOST_CHECK_EQUAL(mine.number_at("credit_limit_minutes").value_or(0), 600);
    BOOST_CHECK_EQUAL(mine.number_at("balance_max_minutes").value_or(0), 6000);
    BOOST_CHECK_EQUAL(balance(1).number_at("balance_minutes").value_or(0), -45);
    auto claim_info = parse(t.answer("GET", "/v1/communities/7/claims/" + claim_id));
    BOOST_CHECK_EQUAL(claim_info.string_at("status").value_or(""), "confirmed");
    // HEAD answers as GET does (the server leaves the body out).
    BOOST_CHECK_EQUAL(t.answer("HEAD", "/v1/communities/7/members/2/balance").status, 200u);

    // The same claim again: its first verdict, nothing moved twice.
    const auto again = t.post(claim);
    BOOST_CHECK_EQUAL(again.status, 200u);
    BOOST_CHECK(parse(again).root().at("duplicate")->as_bool() == true);
    BOOST_CHECK_EQUAL(balance(2).number_at("balance_minutes").value_or(0), 45);
    // Transfers down to the credit limit go through; one past it is in the log, rejected with
    // its reason, 409.
    for (int i = 0; i < 2; ++i)
        BOOST_CHECK_EQUAL(
            t.post(t.by_founder(transfer{member_id{2}, minutes{240}, std::nullopt})).status, 200u);
    const auto refused = t.post(t.by_founder(transfer{member_id{2}, minutes{240}, std::nullopt}));
    BOOST_CHECK_EQUAL(refused.status, 409u);
    const auto refused_doc = parse(refused);
    BOOST_CHECK_EQUAL(refused_doc.string_at("verdict").value_or(""), "rejected");
    BOOST_CHECK_EQUAL(refused_doc.string_at("reason").value_or(""), "credit_limit_exceeded");
    BOOST_CHECK_EQUAL(balance(1).number_at("balance_minutes").value_or(0), -45 - 2 * 240);
}

BOOST_AUTO_TEST_CASE(the_public_policy_shows_the_retention_period_the_default_until_set) {
    routed_node t;
    t.found_and_admit();
    auto retention = [&] {
        auto a = t.answer("GET", "/v1/communities/7");
        BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
        const auto d = parse(a);
        const auto* p = d.root().at("policy");
        BOOST_REQUIRE(p != nullptr && p->at("retention_days") != nullptr);
        return p->at("retention_days")->as_number().value_or(-1);
    };
    BOOST_CHECK_EQUAL(retention(), 730);  // never set: the default
    policy p{minutes{600}, minutes{6000}, minutes{240}};
    p.retention_days = 90;
    BOOST_REQUIRE_EQUAL(t.post(t.by_founder(policy_changed{p})).status, 200u);
    BOOST_CHECK_EQUAL(retention(), 90);
    // A member cannot change it: rejected in the log, the policy as it was.
    p.retention_days = 1;
    BOOST_CHECK_EQUAL(t.post(t.by_member(policy_changed{p})).status, 409u);
    BOOST_CHECK_EQUAL(retention(), 90);
}

BOOST_AUTO_TEST_CASE(refused_writes_answer_in_the_error_shape) {
    routed_node t;
    t.found_and_admit();
    check_error(t.answer("POST", "/v1/events"), 400, "bad_json");
    check_error(t.answer("POST", "/v1/events", "{\"body\": "), 400, "bad_json");
    check_error(t.answer("POST", "/v1/canonical"), 400, "bad_json");
    auto forged = t.by_member(transfer{member_id{1}, minutes{5}, std::nullopt});
    forged.sig.b[0] ^= 1;
    check_error(t.post(forged), 400, "bad_signature");
    const auto stranger = key_filled_with(9);
    std::uint64_t seq = 0;
    check_error(
        t.post(t.by(stranger, member_id{2}, seq, transfer{member_id{1}, minutes{5}, std::nullopt})),
        403, "unknown_signer");
    check_error(t.answer("POST", "/v1/communities/7/match"), 503, "no_matcher");
    check_error(t.answer("GET", "/v1/communities/7/checkpoints/latest"), 404, "no_checkpoint");
    check_error(t.answer("POST", "/v1/communities/7/checkpoints"), 409, "node_key_not_announced");
}

BOOST_AUTO_TEST_SUITE_END()
