// The HTTP API end to end: a real node (LocalLog and RocksDB in a temporary folder) behind the
// routes and the HTTP server on 127.0.0.1, driven through http_call as a client would. A
// community is founded, a member admitted, a request posted and read back, hours claimed and
// confirmed; then every kind of bad input gets its status and error code, and the server keeps
// answering. Also the server on its own: the connection limit, the idle timeout, keep-alive,
// garbage on the wire, and a stop() that joins everything.
#include <boost/test/unit_test.hpp>

#include <atomic>

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "api/http/cpu_slice.h"
#include "api/http/http_client.h"
#include "api/http/http_server.h"
#include "api/http/routes.h"
#include "api/json/json.h"
#include "api/json/json_read.h"
#include "api/node/node.h"
#include "ledger/core/crypto.h"
#include "tests/support/envelopes.h"
#include "tests/support/raw_http.h"
#include "tests/support/sessions.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_node.h"

using namespace uurwerk;
using uurwerk::testing::envelope_json;
using uurwerk::testing::raw_connect;
using uurwerk::testing::raw_exchange;
using uurwerk::testing::temp_dir;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

signing_key new_key() {
    auto k = signing_key::generate();
    BOOST_REQUIRE(k.ok());
    return std::move(*k);
}

// A node with the API in front of it, on a free port of 127.0.0.1.
struct api_fixture {
    temp_dir dir;
    std::unique_ptr<node> n;
    std::unique_ptr<routes> api;
    std::unique_ptr<http_server> server;
    signing_key founder = new_key();
    signing_key member = new_key();
    const community_id community{7};
    std::uint64_t founder_seq = 0, member_seq = 0;

    api_fixture() {
        n = uurwerk::testing::open_test_node(dir.path);
        api = std::make_unique<routes>(*n);
        http_server_options so;
        auto s = http_server::open(so, api->handler(), api->stats());
        BOOST_REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
        server = std::move(*s);
        server->start();
    }
    ~api_fixture() {
        server->stop();
        server.reset();
        api.reset();
        n.reset();
    }

    // Every call reads as the founder, a coordinator of community 7, who may read every route
    // of it (tests/api/http/access_test.cpp walks the other readers).
    const std::string session = uurwerk::testing::bearer(founder, community, member_id{1});

    http_reply call(std::string_view method, const std::string& target,
                    std::string_view body = {}) {
        http_call_options options;
        options.authorization = session;
        auto r = http_call("127.0.0.1", server->port(), method, target, body, options);
        BOOST_REQUIRE_MESSAGE(
            r.ok(), (r.ok() ? "" : std::string(name(r.err().code)) + ": " + r.err().message));
        return std::move(*r);
    }

    event_body body_of(member_id author, std::uint64_t seq, event_payload p) {
        return event_body{random_event_id(),          community,    author,      sequence{seq},
                          time_ms{1'700'000'000'000}, std::nullopt, std::move(p)};
    }
    event_body by_founder(event_payload p) {
        return body_of(member_id{1}, ++founder_seq, std::move(p));
    }
    event_body by_member(event_payload p) {
        return body_of(member_id{2}, ++member_seq, std::move(p));
    }

    http_reply post_event(const envelope& e) {
        return call("POST", "/v1/events", envelope_json(e));
    }

    // Founds the community (member 1, the founder) and admits member 2.
    void found_and_admit() {
        const policy rules{minutes{600}, minutes{6000}, minutes{240}};
        auto founded =
            post_event(founder.seal(by_founder(community_founded{"Buurtkring Oost", rules})));
        BOOST_REQUIRE_EQUAL(founded.status, 200u);
        auto admitted = post_event(founder.seal(by_founder(member_admitted{
            member_id{2}, member.public_bytes(), role::member, true, std::nullopt})));
        BOOST_REQUIRE_EQUAL(admitted.status, 200u);
    }
};

json_doc parse(const http_reply& r) {
    auto d = json_doc::parse(r.body);
    BOOST_REQUIRE_MESSAGE(d.ok(), "not JSON: " + r.body);
    return std::move(*d);
}

std::string error_code_of(const http_reply& r) {
    auto d = parse(r);
    auto* e = d.root().at("error");
    BOOST_REQUIRE_MESSAGE(e != nullptr, "no error in " + r.body);
    auto* c = e->at("code");
    BOOST_REQUIRE(c != nullptr);
    return c->as_string().value_or("");
}

#define CHECK_ERROR(reply, status_, code_)                                                      \
    do {                                                                                        \
        const auto& r_ = (reply);                                                               \
        BOOST_CHECK_MESSAGE(r_.status == (status_), "status " << r_.status << ": " << r_.body); \
        BOOST_CHECK_EQUAL(error_code_of(r_), (code_));                                          \
    } while (0)

}  // namespace

BOOST_AUTO_TEST_SUITE(http_suite)

BOOST_FIXTURE_TEST_CASE(a_community_is_founded_and_used_through_the_api, api_fixture) {
    const auto started = std::chrono::steady_clock::now();
    found_and_admit();

    // The community and its members.
    auto info = parse(call("GET", "/v1/communities/7"));
    BOOST_CHECK_EQUAL(info.string_at("community").value_or(""), "7");
    BOOST_CHECK_EQUAL(info.string_at("name").value_or(""), "Buurtkring Oost");
    BOOST_CHECK_EQUAL(info.number_at("members").value_or(0), 2);
    BOOST_CHECK_EQUAL(info.root().at("policy")->at("claim_minutes_max")->as_number().value_or(0),
                      240);
    auto members = parse(call("GET", "/v1/communities/7/members"));
    BOOST_REQUIRE_EQUAL(members.root().at("members")->as_array()->size(), 2u);
    BOOST_CHECK_EQUAL(
        members.root().at("members")->as_array()->at(0).at("role")->as_string().value_or(""),
        "coordinator");

    // The member's key: its last sequence number tells a client what to sign next.
    auto key = parse(call("GET", "/v1/communities/7/keys/" + member.public_bytes().hex()));
    BOOST_CHECK_EQUAL(key.string_at("member").value_or(""), "2");
    BOOST_CHECK_EQUAL(key.string_at("last_seq").value_or(""), "0");

    // A request, its bytes made by POST /v1/canonical from JSON and signed here. Its text is a
    // commitment in the body; the text and salt go beside the envelope.
    const std::string request_id = random_event_id().hex();
    const auto text = commit_fresh("Boodschappen op dinsdag, caf\xc3\xa9");
    const std::string request_json =
        R"({"id":")" + request_id +
        R"(","community":"7","author":"2","seq":"1","createdAtMs":"1700000000000",)"
        R"("requestPosted":{"category":"shopping","textDigest":")" +
        text.commitment.hex() + R"(","intensity":"regularly","area":"3512","availability":0}})";
    auto canonical = call("POST", "/v1/canonical", request_json);
    BOOST_REQUIRE_MESSAGE(canonical.status == 200u, canonical.body);
    auto canonical_doc = parse(canonical);
    BOOST_CHECK_EQUAL(canonical_doc.string_at("id").value_or(""), request_id);
    auto body_bytes = from_base64(canonical_doc.string_at("body").value_or(""));
    BOOST_REQUIRE(body_bytes.ok());
    ++member_seq;
    envelope request{*body_bytes, member.public_bytes(), member.sign_event_body(*body_bytes)};
    // Without its text, with another text, or with another salt: refused, and nothing written.
    auto other_salt = text.personal;
    other_salt.salt.b[0] ^= 1;
    for (const auto& wrong : {std::optional<personal_text>(),
                              std::optional<personal_text>({text.personal.salt, "Boodschappen"}),
                              std::optional<personal_text>(other_salt)}) {
        auto refused = call("POST", "/v1/events", submission_to_json(request, wrong));
        BOOST_CHECK_EQUAL(refused.status, 400u);
        BOOST_CHECK_MESSAGE(refused.body.find("personal_data_mismatch") != std::string::npos,
                            refused.body);
    }
    auto posted = call("POST", "/v1/events", submission_to_json(request, text.personal));
    BOOST_REQUIRE_MESSAGE(posted.status == 200u, posted.body);
    auto posted_doc = parse(posted);
    BOOST_CHECK_EQUAL(posted_doc.string_at("id").value_or(""), request_id);
    BOOST_CHECK_EQUAL(posted_doc.string_at("verdict").value_or(""), "accepted");
    BOOST_CHECK_EQUAL(posted_doc.string_at("reason").value_or(""), "none");
    BOOST_CHECK_EQUAL(posted_doc.string_at("offset").value_or(""), "2");
    BOOST_CHECK(posted_doc.root().at("duplicate")->as_bool() == false);

    // Read back from the open requests, by category.
    auto requests = parse(call("GET", "/v1/communities/7/requests?category=shopping&limit=10"));
    auto* posts = requests.root().at("posts")->as_array();
    BOOST_REQUIRE_EQUAL(posts->size(), 1u);
    BOOST_CHECK_EQUAL(posts->at(0).at("id")->as_string().value_or(""), request_id);
    BOOST_CHECK_EQUAL(posts->at(0).at("text")->as_string().value_or(""),
                      "Boodschappen op dinsdag, caf\xc3\xa9");
    BOOST_CHECK_EQUAL(posts->at(0).at("owner")->as_string().value_or(""), "2");
    BOOST_CHECK_EQUAL(posts->at(0).at("intensity")->as_string().value_or(""), "regularly");
    auto lifts = parse(call("GET", "/v1/communities/7/requests?category=lifts"));
    BOOST_CHECK(lifts.root().at("posts")->as_array()->empty());
    auto all = parse(call("GET", "/v1/communities/7/requests"));
    BOOST_CHECK_EQUAL(all.root().at("posts")->as_array()->size(), 1u);
    auto offers = parse(call("GET", "/v1/communities/7/offers"));
    BOOST_CHECK(offers.root().at("posts")->as_array()->empty());

    // The event by its id: verdict, signature and the body in JSON.
    auto event = parse(call("GET", "/v1/communities/7/events/" + request_id));
    BOOST_CHECK_EQUAL(event.string_at("verdict").value_or(""), "accepted");
    BOOST_CHECK_EQUAL(event.string_at("offset").value_or(""), "2");
    BOOST_CHECK_EQUAL(event.string_at("signer").value_or(""), member.public_bytes().hex());
    BOOST_CHECK_EQUAL(event.string_at("body_base64").value_or(""), to_base64(*body_bytes));
    BOOST_CHECK_EQUAL(event.string_at("appended_at_ms").value_or(""), "1700000000000");
    // Ids are scoped by community: the id alone, or with another community, names no event.
    CHECK_ERROR(call("GET", "/v1/events/" + request_id), 404u, "not_found");
    // The founder's session is of community 7: community 8's events are not theirs to read.
    CHECK_ERROR(call("GET", "/v1/communities/8/events/" + request_id), 403u, "forbidden");
    auto* body = event.root().at("body");
    BOOST_REQUIRE(body != nullptr);
    BOOST_CHECK_EQUAL(body->at("requestPosted")->at("category")->as_string().value_or(""),
                      "shopping");
    BOOST_CHECK_EQUAL(body->at("author")->as_string().value_or(""), "2");

    // Hours: member 2 claims an hour from the founder, who confirms it.
    auto claim_body =
        by_member(hours_claimed{member_id{1}, minutes{60}, std::nullopt, std::nullopt});
    BOOST_REQUIRE_EQUAL(post_event(member.seal(claim_body)).status, 200u);
    auto claim = parse(call("GET", "/v1/communities/7/claims/" + claim_body.id.hex()));
    BOOST_CHECK_EQUAL(claim.string_at("status").value_or(""), "pending");
    BOOST_CHECK_EQUAL(claim.number_at("minutes").value_or(0), 60);
    auto pending = parse(call("GET", "/v1/communities/7/members/2/balance"));
    BOOST_CHECK_EQUAL(pending.number_at("pending_in_minutes").value_or(-1), 60);
    BOOST_REQUIRE_EQUAL(post_event(founder.seal(by_founder(hours_confirmed{claim_body.id}))).status,
                        200u);
    auto balance = parse(call("GET", "/v1/communities/7/members/2/balance"));
    BOOST_CHECK_EQUAL(balance.string_at("member").value_or(""), "2");
    BOOST_CHECK_EQUAL(balance.number_at("balance_minutes").value_or(0), 60);
    BOOST_CHECK_EQUAL(balance.number_at("pending_in_minutes").value_or(-1), 0);
    BOOST_CHECK_EQUAL(balance.number_at("credit_limit_minutes").value_or(0), 600);
    BOOST_CHECK_EQUAL(balance.number_at("confirmed_given_minutes").value_or(0), 60);
    auto founder_balance = parse(call("GET", "/v1/communities/7/members/1/balance"));
    BOOST_CHECK_EQUAL(founder_balance.number_at("balance_minutes").value_or(0), -60);
    claim = parse(call("GET", "/v1/communities/7/claims/" + claim_body.id.hex()));
    BOOST_CHECK_EQUAL(claim.string_at("status").value_or(""), "confirmed");

    // History, oldest first, in pages.
    auto history = parse(call("GET", "/v1/communities/7/members/2/history"));
    auto* entries = history.root().at("entries")->as_array();
    BOOST_REQUIRE_GE(entries->size(), 2u);
    bool confirmed_seen = false;
    for (const auto& e : *entries)
        confirmed_seen |= e.at("kind")->as_string().value_or("") == "hoursConfirmed" &&
                          e.at("balance_delta_minutes")->as_number().value_or(0) == 60;
    BOOST_CHECK_MESSAGE(confirmed_seen, call("GET", "/v1/communities/7/members/2/history").body);
    auto first_page = parse(call("GET", "/v1/communities/7/members/2/history?limit=1"));
    BOOST_REQUIRE_EQUAL(first_page.root().at("entries")->as_array()->size(), 1u);
    const std::string next = first_page.string_at("next").value_or("");
    auto second_page =
        parse(call("GET", "/v1/communities/7/members/2/history?limit=1&from=" + next));
    BOOST_REQUIRE_EQUAL(second_page.root().at("entries")->as_array()->size(), 1u);
    BOOST_CHECK(
        std::stoull(
            second_page.root().at("entries")->as_array()->at(0).at("offset")->as_string().value_or(
                "0")) >= std::stoull(next));

    // Health and metrics.
    auto health = call("GET", "/v1/health");
    BOOST_CHECK_EQUAL(health.status, 200u);
    auto health_doc = parse(health);
    BOOST_CHECK_EQUAL(health_doc.string_at("status").value_or(""), "ok");
    BOOST_CHECK_EQUAL(health_doc.string_at("log_end").value_or(""), "5");
    BOOST_CHECK_EQUAL(health_doc.string_at("applied").value_or(""), "5");
    auto metrics = call("GET", "/metrics");
    BOOST_CHECK_EQUAL(metrics.status, 200u);
    BOOST_CHECK(metrics.content_type.rfind("text/plain", 0) == 0);
    for (const char* line :
         {"uurwerk_log_end_offset 5\n", "uurwerk_applied_offset 5\n", "uurwerk_communities 1\n",
          "uurwerk_events_total{verdict=\"accepted\"} 5\n",
          "uurwerk_http_requests_total{code=\"2xx\"} "})
        BOOST_CHECK_MESSAGE(metrics.body.find(line) != std::string::npos, "no '" << line << "' in\n"
                                                                                 << metrics.body);
    auto head = call("HEAD", "/v1/health");
    BOOST_CHECK_EQUAL(head.status, 200u);
    BOOST_CHECK(head.body.empty());
    auto home = call("GET", "/");
    BOOST_CHECK_EQUAL(home.status, 200u);
    BOOST_CHECK(home.body.find("<script type=\"module\" src=\"/js/app.js\">") != std::string::npos);
    BOOST_TEST_MESSAGE("the story took " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::steady_clock::now() - started)
                                                .count()
                                         << " ms");
}

BOOST_FIXTURE_TEST_CASE(replays_and_rejections_answer_their_verdicts, api_fixture) {
    found_and_admit();
    // The same event again: its first verdict, marked duplicate, nothing appended.
    auto request = member.seal(
        by_member(request_posted{{category::meals, std::nullopt, intensity::once, "", 0}}));
    auto first = post_event(request);
    BOOST_REQUIRE_EQUAL(first.status, 200u);
    auto again = post_event(request);
    BOOST_CHECK_EQUAL(again.status, 200u);
    auto again_doc = parse(again);
    BOOST_CHECK(again_doc.root().at("duplicate")->as_bool() == true);
    BOOST_CHECK_EQUAL(again_doc.string_at("offset").value_or(""),
                      parse(first).string_at("offset").value_or("?"));

    // A transfer past the policy's largest amount: in the log, rejected, 409 with the reason.
    auto too_much =
        post_event(member.seal(by_member(transfer{member_id{1}, minutes{500}, std::nullopt})));
    BOOST_CHECK_EQUAL(too_much.status, 409u);
    auto too_much_doc = parse(too_much);
    BOOST_CHECK_EQUAL(too_much_doc.string_at("verdict").value_or(""), "rejected");
    BOOST_CHECK_EQUAL(too_much_doc.string_at("reason").value_or(""), "amount_over_policy");
    auto rejected_event =
        parse(call("GET", "/v1/communities/7/events/" + too_much_doc.string_at("id").value_or("")));
    BOOST_CHECK_EQUAL(rejected_event.string_at("verdict").value_or(""), "rejected");
    BOOST_CHECK_EQUAL(rejected_event.string_at("reason").value_or(""), "amount_over_policy");
    // Its sequence number is used: signing it again is rejected too.
    --member_seq;
    auto old_seq =
        post_event(member.seal(by_member(transfer{member_id{1}, minutes{5}, std::nullopt})));
    BOOST_CHECK_EQUAL(old_seq.status, 409u);
    BOOST_CHECK_EQUAL(parse(old_seq).string_at("reason").value_or(""), "seq_not_increasing");

    auto metrics = call("GET", "/metrics").body;
    BOOST_CHECK_MESSAGE(
        metrics.find("uurwerk_events_total{verdict=\"rejected\"} 2\n") != std::string::npos,
        metrics);
    BOOST_CHECK_MESSAGE(metrics.find("uurwerk_events_duplicate_total 1\n") != std::string::npos,
                        metrics);
    BOOST_CHECK_MESSAGE(
        metrics.find("uurwerk_http_requests_total{code=\"4xx\"} 2\n") != std::string::npos,
        metrics);
}

BOOST_FIXTURE_TEST_CASE(bad_input_gets_a_clear_error_and_the_server_keeps_serving, api_fixture) {
    found_and_admit();
    const offer_posted garden{{category::gardening, std::nullopt, intensity::sometimes, "", 0}};
    const auto good = member.seal(by_member(garden));

    CHECK_ERROR(call("POST", "/v1/events", "{\"body\": "), 400u, "bad_json");
    CHECK_ERROR(call("POST", "/v1/events", ""), 400u, "bad_json");
    CHECK_ERROR(call("POST", "/v1/events", "[1, 2]"), 400u, "bad_request");
    std::string extra = envelope_json(good);
    extra.insert(extra.size() - 1, ", \"priority\": \"high\"");
    CHECK_ERROR(call("POST", "/v1/events", extra), 400u, "unknown_field");
    CHECK_ERROR(call("POST", "/v1/events", std::string(20 * 1024, ' ') + envelope_json(good)), 413u,
                "body_too_large");
    std::string bad_base64 = envelope_json(good);
    bad_base64.replace(bad_base64.find("\"body\": \"") + 9, 4, "!!!!");
    CHECK_ERROR(call("POST", "/v1/events", bad_base64), 400u, "bad_base64");
    std::string bad_hex = envelope_json(good);
    bad_hex.replace(bad_hex.find("\"signer\": \"") + 11, 2, "zz");
    CHECK_ERROR(call("POST", "/v1/events", bad_hex), 400u, "bad_hex");
    envelope forged = good;
    forged.sig.b[10] ^= 1;
    CHECK_ERROR(post_event(forged), 400u, "bad_signature");
    envelope not_a_body = good;
    not_a_body.body = bytes(24, 0xab);
    CHECK_ERROR(post_event(not_a_body), 400u, "bad_event");

    auto elsewhere = by_member(garden);
    elsewhere.community = community_id{99};
    CHECK_ERROR(post_event(member.seal(elsewhere)), 404u, "unknown_community");
    auto stranger = new_key();
    CHECK_ERROR(
        post_event(stranger.seal(by_member(transfer{member_id{1}, minutes{5}, std::nullopt}))),
        403u, "unknown_signer");

    CHECK_ERROR(call("POST", "/v1/canonical", R"({"id":"zz","community":"7"})"), 400u, "bad_hex");
    CHECK_ERROR(
        call("POST", "/v1/canonical", R"({"id":"00","community":"7","author":"1","seq":"1"})"),
        400u, "ambiguous_kind");

    CHECK_ERROR(call("GET", "/v1/nothing"), 404u, "not_found");
    CHECK_ERROR(call("GET", "/v1/health/"), 404u, "not_found");
    CHECK_ERROR(call("GET", "/v1/events"), 405u, "method_not_allowed");
    CHECK_ERROR(call("POST", "/v1/health", "{}"), 405u, "method_not_allowed");
    CHECK_ERROR(call("DELETE", "/v1/communities/7"), 405u, "method_not_allowed");
    CHECK_ERROR(call("GET", "/v1/communities/abc"), 400u, "bad_request");
    CHECK_ERROR(call("GET", "/v1/communities/-7"), 400u, "bad_request");
    CHECK_ERROR(call("GET", "/v1/communities/+7"), 400u, "bad_request");
    CHECK_ERROR(call("GET", "/v1/communities/99999999999999999999999"), 400u, "bad_request");
    CHECK_ERROR(call("GET", "/v1/communities/99"), 404u, "unknown_community");
    CHECK_ERROR(call("GET", "/v1/communities/7/members/x/balance"), 400u, "bad_request");
    CHECK_ERROR(call("GET", "/v1/communities/7/members/42/balance"), 404u, "unknown_member");
    CHECK_ERROR(call("GET", "/v1/communities/7/members/42/history"), 404u, "unknown_member");
    CHECK_ERROR(call("GET", "/v1/communities/7/keys/abcd"), 400u, "bad_request");
    CHECK_ERROR(call("GET", "/v1/communities/7/keys/" + stranger.public_bytes().hex()), 404u,
                "not_found");
    CHECK_ERROR(call("GET", "/v1/communities/7/claims/" + random_event_id().hex()), 404u,
                "not_found");
    CHECK_ERROR(call("GET", "/v1/communities/7/events/xyz"), 400u, "bad_request");
    CHECK_ERROR(call("GET", "/v1/communities/7/events/" + random_event_id().hex()), 404u,
                "not_found");
    // Ids are scoped by community: the id alone names no event.
    CHECK_ERROR(call("GET", "/v1/events/" + random_event_id().hex()), 404u, "not_found");
    CHECK_ERROR(call("GET", "/v1/communities/7/offers?category=knitting"), 400u, "bad_request");
    CHECK_ERROR(call("GET", "/v1/communities/7/offers?limit=0"), 400u, "bad_request");
    CHECK_ERROR(call("GET", "/v1/communities/7/offers?limit=1001"), 400u, "bad_request");
    CHECK_ERROR(call("GET", "/v1/communities/7/offers?colour=red"), 400u, "bad_request");
    CHECK_ERROR(call("GET", "/v1/communities/7/offers?limit=1&limit=2"), 400u, "bad_request");
    CHECK_ERROR(call("GET", "/v1/communities/7/members/2/history?from=x"), 400u, "bad_request");
    CHECK_ERROR(call("GET", "/v1/health?x=%zz"), 400u, "bad_request");

    // Garbage on the wire is a 400, not a crash.
    {
        const auto answer = raw_exchange(server->port(), "HELLO?? \x01\x02\r\n\r\n");
        BOOST_CHECK_MESSAGE(answer.rfind("HTTP/1.1 400", 0) == 0, answer);
    }

    // After all of it, the server is healthy and the good event still goes in.
    BOOST_CHECK_EQUAL(call("GET", "/v1/health").status, 200u);
    BOOST_CHECK_EQUAL(post_event(good).status, 200u);
    auto metrics = call("GET", "/metrics").body;
    BOOST_CHECK_MESSAGE(
        metrics.find("uurwerk_http_requests_total{code=\"5xx\"} 0\n") != std::string::npos,
        metrics);
}

// ---------------------------------------------------------------------------------------------
// The server on its own, with a trivial handler.

// The calling thread's CPU slice in ns as the kernel shows it (/proc/thread-self/sched, an
// EEVDF kernel), or nothing.
std::optional<std::uint64_t> own_slice_ns() {
    std::ifstream in("/proc/thread-self/sched");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("se.slice", 0) != 0) continue;
        auto colon = line.find(':');
        if (colon == std::string::npos) return std::nullopt;
        return std::stoull(line.substr(colon + 1));
    }
    return std::nullopt;
}

struct echo_fixture {
    http_stats stats;
    std::unique_ptr<http_server> server;
    std::atomic<bool> slow_started{false};  // a /slow request is inside the handler

    explicit echo_fixture(http_server_options o = {}) {
        auto s = http_server::open(
            o,
            [this](const http_request& r) {
                if (r.target == "/slice") {
                    auto ns = own_slice_ns();
                    return http_response{200, "text/plain", ns ? std::to_string(*ns) : "-", {}};
                }
                if (r.target == "/slow") {
                    slow_started = true;
                    std::this_thread::sleep_for(300ms);
                }
                return http_response{
                    200, "text/plain", r.method + " " + r.target + " " + r.body, {}};
            },
            stats);
        BOOST_REQUIRE(s.ok());
        server = std::move(*s);
        server->start();
    }
};

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds within = 5s) {
    const auto until = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < until) {
        if (condition()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return condition();
}

BOOST_AUTO_TEST_CASE(beyond_the_connection_limit_a_client_gets_503) {
    http_server_options o;
    o.connections_max = 2;
    echo_fixture f(o);
    boost::asio::io_context io;
    auto a = raw_connect(io, f.server->port());
    auto b = raw_connect(io, f.server->port());
    BOOST_REQUIRE(eventually([&] { return f.server->connections() == 2; }));
    auto refused = http_call("127.0.0.1", f.server->port(), "GET", "/x");
    BOOST_REQUIRE_MESSAGE(refused.ok(), (refused.ok() ? "" : refused.err().message));
    BOOST_CHECK_EQUAL(refused->status, 503u);
    BOOST_CHECK(refused->body.find("too_many_connections") != std::string::npos);
    BOOST_CHECK_EQUAL(f.stats.refused_connections(), 1u);
    a.close();
    b.close();
    BOOST_REQUIRE(eventually([&] { return f.server->connections() == 0; }));
    auto served = http_call("127.0.0.1", f.server->port(), "POST", "/x", "hi");
    BOOST_REQUIRE(served.ok());
    BOOST_CHECK_EQUAL(served->status, 200u);
    BOOST_CHECK_EQUAL(served->body, "POST /x hi");
}

BOOST_AUTO_TEST_CASE(use_cpu_slice_asks_for_a_short_slice_and_gives_it_back) {
    std::thread([] {
        const auto standard = own_slice_ns();
        const bool granted = use_cpu_slice(cpu_slice::short_0_1ms);
        const auto now = own_slice_ns();
        if (!granted || !standard || now == standard) {
            BOOST_TEST_MESSAGE("this kernel keeps its own slice (Linux before 6.12, or no EEVDF)");
            BOOST_CHECK(!granted || now == standard);
            return;
        }
        BOOST_CHECK_EQUAL(*now, 100'000u);
        BOOST_CHECK(use_cpu_slice(cpu_slice::short_0_1ms));  // again: no change, no call
        BOOST_CHECK(use_cpu_slice(cpu_slice::standard));
        BOOST_CHECK(own_slice_ns() == standard);
    }).join();
}

BOOST_AUTO_TEST_CASE(the_server_answers_reads_on_a_short_slice_and_writes_on_the_standard_one) {
    echo_fixture f;
    std::optional<std::uint64_t> standard;
    std::thread([&] { standard = own_slice_ns(); }).join();  // what a new thread has
    auto c = http_connection::open("127.0.0.1", f.server->port());
    BOOST_REQUIRE(c.ok());
    auto read = (*c)->call("GET", "/slice");
    auto write = (*c)->call("POST", "/slice", "x");
    auto read_again = (*c)->call("GET", "/slice");
    BOOST_REQUIRE(read.ok() && write.ok() && read_again.ok());
    if (!standard || read->body == std::to_string(*standard)) {
        BOOST_TEST_MESSAGE("this kernel keeps its own slice (Linux before 6.12, or no EEVDF)");
        BOOST_CHECK_EQUAL(read->body, write->body);
        return;
    }
    BOOST_CHECK_EQUAL(read->body, "100000");
    BOOST_CHECK_EQUAL(write->body, std::to_string(*standard));
    BOOST_CHECK_EQUAL(read_again->body, "100000");
}

BOOST_AUTO_TEST_CASE(an_idle_connection_is_closed_after_the_idle_timeout) {
    http_server_options o;
    o.idle_timeout = 200ms;
    echo_fixture f(o);
    boost::asio::io_context io;
    auto s = raw_connect(io, f.server->port());
    BOOST_REQUIRE(eventually([&] { return f.server->connections() == 1; }));
    const auto t0 = std::chrono::steady_clock::now();
    char c;
    boost::system::error_code ec;
    s.read_some(boost::asio::buffer(&c, 1), ec);  // returns when the server closes
    const auto waited = std::chrono::steady_clock::now() - t0;
    BOOST_CHECK(ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset);
    BOOST_CHECK(waited >= 150ms && waited < 3s);
    BOOST_CHECK(eventually([&] { return f.server->connections() == 0; }));
}

BOOST_AUTO_TEST_CASE(keep_alive_serves_several_requests_on_one_connection) {
    echo_fixture f;
    const std::string two =
        "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
        "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc";
    const auto answer = raw_exchange(f.server->port(), two);
    BOOST_CHECK_MESSAGE(answer.find("GET /one ") != std::string::npos, answer);
    BOOST_CHECK_MESSAGE(answer.find("POST /two abc") != std::string::npos, answer);
    BOOST_CHECK_EQUAL(f.stats.answered(2), 2u);
}

BOOST_AUTO_TEST_CASE(a_large_declared_body_is_refused_before_it_is_sent) {
    echo_fixture f;
    const auto answer = raw_exchange(f.server->port(),
                                     "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n"
                                     "Expect: 100-continue\r\n\r\n");
    BOOST_CHECK_MESSAGE(answer.rfind("HTTP/1.1 413", 0) == 0, answer);
    BOOST_CHECK(answer.find("body_too_large") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(stop_closes_open_connections_and_joins_every_thread) {
    echo_fixture f;
    boost::asio::io_context io;
    std::vector<boost::asio::ip::tcp::socket> idle;
    for (int i = 0; i < 5; ++i) idle.push_back(raw_connect(io, f.server->port()));
    BOOST_REQUIRE(eventually([&] { return f.server->connections() == 5; }));
    // One request in the middle of its handler while stop() runs: it is answered, then closed.
    std::optional<result<http_reply>> slow_reply;
    std::thread slow(
        [&] { slow_reply.emplace(http_call("127.0.0.1", f.server->port(), "GET", "/slow")); });
    // Wait until the request is inside its handler (accepted is not enough: a request not yet
    // read is not being worked on, and stop() rightly closes it).
    BOOST_REQUIRE(eventually([&] { return f.slow_started.load(); }));
    const auto t0 = std::chrono::steady_clock::now();
    f.server->stop();
    const auto took = std::chrono::steady_clock::now() - t0;
    slow.join();
    BOOST_REQUIRE(slow_reply.has_value());
    BOOST_CHECK_MESSAGE(
        slow_reply->ok() && (*slow_reply)->status == 200u,
        (slow_reply->ok() ? std::to_string((*slow_reply)->status) : slow_reply->err().message));
    BOOST_CHECK_EQUAL(f.server->connections(), 0u);
    const auto took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
    BOOST_CHECK_MESSAGE(took < 2s, "stop took " << took_ms << " ms");
    auto after = http_call("127.0.0.1", f.server->port(), "GET", "/x", {}, {500ms, 500ms});
    BOOST_REQUIRE(!after.ok());
    BOOST_CHECK_EQUAL(after.err().code, errc::server_unreachable);
    BOOST_CHECK(after.err().message.find("127.0.0.1:") != std::string::npos);
    f.server->stop();  // again: nothing to do
}

BOOST_AUTO_TEST_CASE(urls_parse_into_host_and_port) {
    auto a = parse_http_url("http://127.0.0.1:8080");
    BOOST_REQUIRE(a.ok());
    BOOST_CHECK_EQUAL(a->host, "127.0.0.1");
    BOOST_CHECK_EQUAL(a->port, 8080);
    auto b = parse_http_url("127.0.0.1:9/");
    BOOST_REQUIRE(b.ok());
    BOOST_CHECK_EQUAL(b->port, 9);
    auto c = parse_http_url("http://[::1]:8080/");
    BOOST_REQUIRE(c.ok());
    BOOST_CHECK_EQUAL(c->host, "::1");
    auto d = parse_http_url("http://localhost");
    BOOST_REQUIRE(d.ok());
    BOOST_CHECK_EQUAL(d->port, 80);
    BOOST_CHECK(d->scheme == http_scheme::http);
    auto e = parse_http_url("https://node.example.org");
    BOOST_REQUIRE(e.ok());
    BOOST_CHECK(e->scheme == http_scheme::https);
    BOOST_CHECK_EQUAL(e->host, "node.example.org");
    BOOST_CHECK_EQUAL(e->port, 443);
    auto f = parse_http_url("https://[::1]:8443/");
    BOOST_REQUIRE(f.ok());
    BOOST_CHECK(f->scheme == http_scheme::https);
    BOOST_CHECK_EQUAL(f->port, 8443);
    for (const char* bad :
         {"httpss://x:1", "ftp://x:1", "https://:443", "https://x:443/v1", "http://:80",
          "http://x:0", "http://x:65536", "http://x:80/v1", "x", "http://x:8a", "::1:80"}) {
        auto r = parse_http_url(bad);
        BOOST_CHECK_MESSAGE(!r.ok(), bad);
        if (!r.ok()) BOOST_CHECK_EQUAL(r.err().code, errc::bad_url);
    }
}

BOOST_AUTO_TEST_CASE(a_server_that_is_not_there_is_unreachable) {
    // Bind a port, then free it: nothing listens there.
    std::uint16_t port = 0;
    {
        http_stats stats;
        auto s = http_server::open(
            {}, [](const http_request&) { return http_response{}; }, stats);
        BOOST_REQUIRE(s.ok());
        port = (*s)->port();
    }
    auto r = http_call("127.0.0.1", port, "GET", "/v1/health");
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_EQUAL(r.err().code, errc::server_unreachable);
    const std::string where = "127.0.0.1:" + std::to_string(port);
    BOOST_CHECK_MESSAGE(r.err().message.find(where) != std::string::npos, r.err().message);
    http_stats stats;
    auto taken = http_server::open(
        {"127.0.0.1", 1, 1, 1, 1, 1s, 1s, 1s}, [](const http_request&) { return http_response{}; },
        stats);
    if (::geteuid() != 0) {
        BOOST_REQUIRE(!taken.ok());
        BOOST_CHECK_EQUAL(taken.err().code, errc::listen_failed);
    }
    auto bad = http_server::open(
        {"not-an-address"}, [](const http_request&) { return http_response{}; }, stats);
    BOOST_REQUIRE(!bad.ok());
    BOOST_CHECK_EQUAL(bad.err().code, errc::bad_address);
}

BOOST_AUTO_TEST_CASE(a_client_connection_carries_several_requests) {
    echo_fixture f;
    auto c = http_connection::open("127.0.0.1", f.server->port());
    BOOST_REQUIRE(c.ok());
    for (int i = 0; i < 5; ++i) {
        auto r = (*c)->call("POST", "/echo", "ping " + std::to_string(i));
        BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.err().message));
        BOOST_CHECK_EQUAL(r->status, 200u);
        BOOST_CHECK(r->body.find("ping " + std::to_string(i)) != std::string::npos);
    }
    BOOST_CHECK_EQUAL(f.server->connections(), 1u);  // all five over one connection
}

// The asynchronous client of the benchmarks: many connections, one thread, prepared requests.
BOOST_AUTO_TEST_CASE(an_asynchronous_client_gets_each_connection_its_own_answer) {
    echo_fixture f;
    const std::string host = "127.0.0.1:" + std::to_string(f.server->port());
    auto client = http_async_client::open("127.0.0.1", f.server->port(), 8);
    BOOST_REQUIRE_MESSAGE(client.ok(), (client.ok() ? "" : client.err().message));
    BOOST_CHECK_EQUAL((*client)->connections(), 8u);
    std::vector<std::string> requests;
    for (int i = 0; i < 40; ++i)
        requests.push_back(http_request_bytes("POST", "/n/" + std::to_string(i), host,
                                              "{\"i\":" + std::to_string(i) + "}"));
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::string> answers(requests.size());
    std::size_t done = 0;
    // Connection c sends requests c, c + 8, c + 16, ...: the next once the last is answered.
    std::function<void(std::size_t, std::size_t)> send = [&](std::size_t c, std::size_t i) {
        (*client)->send(c, requests[i], [&, c, i](result<http_reply> r) {
            // Whether this connection has more to send, read before the notification: after the
            // last one the test may end and its locals go.
            const bool more = i + 8 < requests.size();
            {
                // Notified under the lock: once it is released after the last answer, the test
                // may end and take `cv` with it (ThreadSanitizer saw it destroyed under a notify).
                std::lock_guard lock(m);
                answers[i] = r ? std::to_string(r->status) + " " + r->body : r.err().message;
                ++done;
                cv.notify_all();
            }
            if (more) send(c, i + 8);
        });
    };
    for (std::size_t c = 0; c < 8; ++c) send(c, c);
    std::unique_lock lock(m);
    BOOST_REQUIRE(cv.wait_for(lock, 10s, [&] { return done == requests.size(); }));
    for (std::size_t i = 0; i < requests.size(); ++i)
        BOOST_CHECK_EQUAL(
            answers[i], "200 POST /n/" + std::to_string(i) + " {\"i\":" + std::to_string(i) + "}");
    BOOST_CHECK_EQUAL(f.server->connections(), 8u);  // every request on the eight connections
}

BOOST_AUTO_TEST_CASE(an_asynchronous_client_reports_a_silent_server_and_a_closed_connection) {
    http_server_options o;
    echo_fixture f(o);
    http_call_options quick;
    quick.reply_timeout = 100ms;
    auto client = http_async_client::open("127.0.0.1", f.server->port(), 1, quick);
    BOOST_REQUIRE(client.ok());
    const std::string host = "127.0.0.1:" + std::to_string(f.server->port());
    // /slow answers after 300 ms: past the reply timeout.
    const std::string slow = http_request_bytes("GET", "/slow", host);
    std::promise<result<http_reply>> first, second;
    (*client)->send(0, slow, [&](result<http_reply> r) { first.set_value(std::move(r)); });
    auto late = first.get_future().get();
    BOOST_REQUIRE(!late.ok());
    BOOST_CHECK_EQUAL(late.err().code, errc::server_timeout);
    // The connection is not used again after an error.
    const std::string quick_request = http_request_bytes("GET", "/x", host);
    (*client)->send(0, quick_request,
                    [&](result<http_reply> r) { second.set_value(std::move(r)); });
    auto after = second.get_future().get();
    BOOST_REQUIRE(!after.ok());
    BOOST_CHECK_EQUAL(after.err().code, errc::server_closed);
    // Plain HTTP only, and nobody listening is unreachable.
    http_call_options tls;
    tls.scheme = http_scheme::https;
    auto refused = http_async_client::open("127.0.0.1", f.server->port(), 1, tls);
    BOOST_REQUIRE(!refused.ok());
    BOOST_CHECK_EQUAL(refused.err().code, errc::bad_argument);
    const auto port = f.server->port();
    f.server->stop();
    auto gone = http_async_client::open("127.0.0.1", port, 1, quick);
    BOOST_REQUIRE(!gone.ok());
    BOOST_CHECK_EQUAL(gone.err().code, errc::server_unreachable);
}

BOOST_AUTO_TEST_CASE(prepared_request_bytes_are_what_the_server_reads) {
    http_server_options o;
    o.idle_timeout = 200ms;  // closes the keep-alive connection of raw_exchange below
    echo_fixture f(o);
    const std::string host = "127.0.0.1:" + std::to_string(f.server->port());
    const auto bytes = http_request_bytes("POST", "/v1/events", host, "{}", "Bearer t");
    BOOST_CHECK_EQUAL(bytes, "POST /v1/events HTTP/1.1\r\nHost: " + host +
                                 "\r\nUser-Agent: uurwerk\r\nAccept: application/json\r\n"
                                 "Authorization: Bearer t\r\nContent-Type: application/json\r\n"
                                 "Content-Length: 2\r\n\r\n{}");
    // An empty POST says so; a GET has no length.
    BOOST_CHECK(http_request_bytes("POST", "/x", host).find("Content-Length: 0\r\n") !=
                std::string::npos);
    BOOST_CHECK(http_request_bytes("GET", "/x", host).find("Content-Length") == std::string::npos);
    const auto answer =
        raw_exchange(f.server->port(), http_request_bytes("POST", "/e", host, "ab"));
    BOOST_CHECK_MESSAGE(answer.find("POST /e ab") != std::string::npos, answer);
}

BOOST_AUTO_TEST_SUITE_END()
