// Quotas and bounded reads through a real server (api/README.md, "Quotas" and "Paged reads"),
// from the attacker's side: one address or key floods writes or reads and gets 429 with
// Retry-After while another client, at the same time, is served every time; a flood of bad
// signatures is limited by its address before any signature is checked; a flood of distinct
// keys does not grow the quota tables; a page of large leaves stays within its byte budget and
// the pages that follow give the rest without a gap or a duplicate; a member's reputation is
// computed once per applied offset. Other clients come from other loopback addresses
// (127.0.0.2 and so on).
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "api/http/http_client.h"
#include "api/http/http_server.h"
#include "api/http/route_support.h"
#include "api/http/routes.h"
#include "api/json/json_read.h"
#include "api/node/node.h"
#include "ledger/core/audit.h"
#include "ledger/core/limits.h"
#include "tests/support/envelopes.h"
#include "tests/support/raw_http.h"
#include "tests/support/sessions.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_node.h"
#include "tests/support/uurwerk_program.h"

using namespace uurwerk;
using uurwerk::testing::envelope_json;
using uurwerk::testing::temp_dir;
using namespace std::chrono_literals;

namespace {

signing_key new_key() {
    auto k = signing_key::generate();
    BOOST_REQUIRE(k.ok());
    return std::move(*k);
}

// One answer read off a raw socket: its status, its Retry-After (or ""), its body.
struct raw_reply {
    unsigned status = 0;
    std::string retry_after;
    std::string body;
};

raw_reply parse_reply(const std::string& text) {
    raw_reply r;
    if (text.size() > 12) r.status = static_cast<unsigned>(std::stoul(text.substr(9, 3)));
    const auto header_end = text.find("\r\n\r\n");
    const auto head = text.substr(0, header_end);
    if (auto at = head.find("\r\nRetry-After: "); at != std::string::npos) {
        const auto from = at + 15;
        r.retry_after = head.substr(from, head.find("\r\n", from) - from);
    }
    if (header_end != std::string::npos) r.body = text.substr(header_end + 4);
    return r;
}

// One request from `source` (a loopback address), on a connection of its own.
raw_reply request_from(const char* source, std::uint16_t port, const std::string& method,
                       const std::string& target, const std::string& body = {},
                       const std::string& authorization = {},
                       const std::string& extra_header = {}) {
    boost::asio::io_context io;
    auto s = uurwerk::testing::raw_connect_from(io, port, source);
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
    if (!authorization.empty()) req += "Authorization: " + authorization + "\r\n";
    if (!extra_header.empty()) req += extra_header + "\r\n";
    if (!body.empty()) req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    boost::asio::write(s, boost::asio::buffer(req));
    return parse_reply(uurwerk::testing::read_until_closed(s));
}

std::string code_of(const std::string& body) {
    auto d = json_doc::parse(body);
    if (!d) return "";
    auto* e = d->root().at("error");
    return e && e->at("code") ? e->at("code")->as_string().value_or("") : "";
}

constexpr community_id community{7};

// A node with a community (founder = member 1, coordinator) behind the routes and the server
// (with the asynchronous submission route, as `serve` runs it), with the quotas given.
struct quota_fixture {
    temp_dir dir{"quota_server"};
    std::unique_ptr<node> n = uurwerk::testing::open_test_node(dir.path);
    std::unique_ptr<routes> api;
    std::unique_ptr<http_server> server;
    signing_key founder = new_key();
    std::uint64_t founder_seq = 0;

    explicit quota_fixture(const quota_options& limits) {
        api = std::make_unique<routes>(*n, nullptr, nullptr, access_options{wall_clock(), {}},
                                       limits);
        http_server_options o;
        o.refuse_early = api->refuse_early();  // as serve runs it
        auto s = http_server::open(o, api->handler(), api->async_route(), api->stats());
        BOOST_REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
        server = std::move(*s);
        server->start();
        const policy rules{minutes{600}, minutes{6000}, minutes{240}};
        submit_in_process(
            founder.seal(by(member_id{1}, founder_seq, community_founded{"Oost", rules})));
    }
    ~quota_fixture() {
        server->stop();
        server.reset();
        api.reset();
        n.reset();
    }

    static event_body by(member_id author, std::uint64_t& seq, event_payload p) {
        return event_body{random_event_id(),          community,    author,      sequence{++seq},
                          time_ms{1'700'000'000'000}, std::nullopt, std::move(p)};
    }
    void submit_in_process(const envelope& e) {
        auto r = n->submit(encode_envelope(e));
        BOOST_REQUIRE(r.ok());
        BOOST_REQUIRE(r->decided.accepted());
    }
    // Admits a member with a new key and returns the key.
    signing_key admit(member_id m) {
        auto k = new_key();
        submit_in_process(founder.seal(
            by(member_id{1}, founder_seq,
               member_admitted{m, k.public_bytes(), role::member, true, std::nullopt})));
        return k;
    }
    std::uint16_t port() const { return server->port(); }
};

// An offer without text (a text travels beside the event, api/README.md; none is needed here);
// `area` tells them apart.
offer_posted offer(std::string area) {
    offer_posted o;
    o.what = category::shopping;
    o.area = std::move(area).substr(0, area_chars_max);
    return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_key_that_floods_writes_gets_429_and_another_writer_is_served_meanwhile) {
    quota_options limits;
    limits.writes_per_key = {2, 10};
    limits.writes_per_address = {1000, 1000};
    quota_fixture f(limits);
    auto flooder = f.admit(member_id{2});
    auto other = f.admit(member_id{3});

    // The flooder sends 60 events at once from 127.0.0.1, on one kept-alive connection.
    std::atomic<int> flood_ok{0}, flood_limited{0}, flood_other{0};
    std::string first_retry_after;
    std::thread flood([&] {
        auto c = http_connection::open("127.0.0.1", f.port());
        BOOST_REQUIRE(c.ok());
        std::uint64_t seq = 0;
        for (int i = 0; i < 60; ++i) {
            auto r = (*c)->call("POST", "/v1/events",
                                envelope_json(flooder.seal(quota_fixture::by(
                                    member_id{2}, seq, offer("flood " + std::to_string(i))))));
            if (!r.ok()) {
                ++flood_other;
                continue;
            }
            if (r->status == 200)
                ++flood_ok;
            else if (r->status == 429 && code_of(r->body) == "rate_limited")
                ++flood_limited;
            else
                ++flood_other;
        }
    });
    // Meanwhile another member writes from 127.0.0.2, below its own quota: every one accepted.
    std::uint64_t seq = 0;
    int other_ok = 0;
    for (int i = 0; i < 8; ++i) {
        auto r = request_from("127.0.0.2", f.port(), "POST", "/v1/events",
                              envelope_json(other.seal(quota_fixture::by(
                                  member_id{3}, seq, offer("help " + std::to_string(i))))));
        if (r.status == 200) ++other_ok;
    }
    flood.join();
    BOOST_CHECK_EQUAL(other_ok, 8);
    BOOST_CHECK_EQUAL(flood_other.load(), 0);
    // A burst of 10, then 2 a second for as long as the flood lasted (well under 5 s).
    BOOST_CHECK_GE(flood_ok.load(), 10);
    BOOST_CHECK_LE(flood_ok.load(), 20);
    BOOST_CHECK_EQUAL(flood_ok.load() + flood_limited.load(), 60);

    // The 429 says when to come back, in whole seconds, at least 1.
    std::uint64_t s2 = 1000;
    auto r = request_from(
        "127.0.0.1", f.port(), "POST", "/v1/events",
        envelope_json(flooder.seal(quota_fixture::by(member_id{2}, s2, offer("again")))));
    BOOST_CHECK_EQUAL(r.status, 429u);
    BOOST_CHECK_EQUAL(code_of(r.body), "rate_limited");
    BOOST_REQUIRE(!r.retry_after.empty());
    BOOST_CHECK_GE(std::stoul(r.retry_after), 1u);
    BOOST_CHECK_LE(std::stoul(r.retry_after), 1u);  // one token every 0.5 s
}

BOOST_AUTO_TEST_CASE(a_flood_of_bad_signatures_is_limited_by_its_address_before_any_check) {
    quota_options limits;
    limits.writes_per_key = {1000, 1000};
    limits.writes_per_address = {1, 20};
    quota_fixture f(limits);
    // 100 events from 127.0.0.3, each under a new key (so no key's quota helps), each with a
    // signature that does not verify.
    int bad_signature = 0, limited = 0, other = 0;
    for (int i = 0; i < 100; ++i) {
        auto k = new_key();
        std::uint64_t seq = 0;
        auto e = k.seal(quota_fixture::by(member_id{9}, seq, offer("x")));
        e.sig.b[0] ^= 1;
        auto r = request_from("127.0.0.3", f.port(), "POST", "/v1/events", envelope_json(e));
        if (r.status == 400 && code_of(r.body) == "bad_signature")
            ++bad_signature;
        else if (r.status == 429 && code_of(r.body) == "rate_limited")
            ++limited;
        else
            ++other;
    }
    BOOST_CHECK_EQUAL(other, 0);
    BOOST_CHECK_GE(bad_signature, 20);
    BOOST_CHECK_LE(bad_signature, 30);
    BOOST_CHECK_EQUAL(bad_signature + limited, 100);
    // Another address is not touched: its bad signature is checked (and refused as such).
    auto k = new_key();
    std::uint64_t seq = 0;
    auto e = k.seal(quota_fixture::by(member_id{9}, seq, offer("x")));
    e.sig.b[0] ^= 1;
    auto r = request_from("127.0.0.4", f.port(), "POST", "/v1/events", envelope_json(e));
    BOOST_CHECK_EQUAL(r.status, 400u);
    BOOST_CHECK_EQUAL(code_of(r.body), "bad_signature");
}

BOOST_AUTO_TEST_CASE(an_address_that_floods_reads_gets_429_and_others_read_meanwhile) {
    quota_options limits;
    limits.reads_per_address = {2, 20};
    limits.reads_per_session = {2, 20};
    quota_fixture f(limits);
    auto member = f.admit(member_id{2});
    const std::string session = uurwerk::testing::bearer(member, community, member_id{2});

    std::atomic<int> ok{0}, limited{0}, other{0};
    std::thread flood([&] {
        auto c = http_connection::open("127.0.0.1", f.port());
        BOOST_REQUIRE(c.ok());
        for (int i = 0; i < 200; ++i) {
            auto r = (*c)->call("GET", "/v1/health");
            if (r.ok() && r->status == 200)
                ++ok;
            else if (r.ok() && r->status == 429)
                ++limited;
            else
                ++other;
        }
    });
    int others_ok = 0;
    for (int i = 0; i < 10; ++i)
        if (request_from("127.0.0.2", f.port(), "GET", "/v1/health").status == 200) ++others_ok;
    flood.join();
    BOOST_CHECK_EQUAL(others_ok, 10);
    BOOST_CHECK_EQUAL(other.load(), 0);
    BOOST_CHECK_GE(ok.load(), 20);
    BOOST_CHECK_LE(ok.load(), 40);
    BOOST_CHECK_EQUAL(ok.load() + limited.load(), 200);

    // From the flooding address: a forged token buys nothing (it is the address's quota)...
    const std::string forged = "Bearer " + std::string(184, 'A');
    auto r = request_from("127.0.0.1", f.port(), "GET", "/v1/health", {}, forged);
    BOOST_CHECK_EQUAL(r.status, 429u);
    BOOST_CHECK(!r.retry_after.empty());
    // ... but a member's session that verifies is the member's own quota, wherever from, once
    // it has been verified (its first use is charged to its address too: here another one).
    BOOST_CHECK_EQUAL(request_from("127.0.0.5", f.port(), "GET",
                                   "/v1/communities/7/members/2/balance", {}, session)
                          .status,
                      200u);
    int member_ok = 0;
    for (int i = 0; i < 10; ++i)
        if (request_from("127.0.0.1", f.port(), "GET", "/v1/communities/7/members/2/balance", {},
                         session)
                .status == 200)
            ++member_ok;
    BOOST_CHECK_EQUAL(member_ok, 10);
}

BOOST_AUTO_TEST_CASE(forged_tokens_are_charged_to_their_address_and_never_drain_a_member) {
    quota_options limits;
    limits.reads_per_address = {1, 10};
    limits.reads_per_session = {1, 10};
    quota_fixture f(limits);
    auto member = f.admit(member_id{2});
    const auto verified_before = f.api->access().sessions().verifications();
    // 100 reads from 127.0.0.1, each with a new token that claims member 2 and is signed by
    // the attacker's own new key (so its signature verifies: only the ledger knows the key is
    // not member 2's).
    int limited = 0;
    for (int i = 0; i < 100; ++i) {
        const auto token = uurwerk::testing::bearer(new_key(), community, member_id{2});
        auto r = request_from("127.0.0.1", f.port(), "GET", "/v1/communities/7/members/2/balance",
                              {}, token);
        if (r.status == 429) ++limited;
    }
    BOOST_CHECK_GE(limited, 85);  // a burst of 10, and 1 a second
    // Signatures were checked only for what the address's quota let through.
    BOOST_CHECK_LE(f.api->access().sessions().verifications() - verified_before, 15u);
    // Member 2's own quota is untouched: its ten reads at once are all answered.
    const auto session = uurwerk::testing::bearer(member, community, member_id{2});
    int ok = 0;
    for (int i = 0; i < 10; ++i)
        ok += request_from("127.0.0.2", f.port(), "GET", "/v1/communities/7/members/2/balance", {},
                           session)
                  .status == 200;
    BOOST_CHECK_EQUAL(ok, 10);
}

BOOST_AUTO_TEST_CASE(a_flood_of_distinct_keys_keeps_the_quota_tables_bounded) {
    quota_options limits;
    limits.writes_per_address = {};  // off: only the keys' table is flooded
    limits.clients_max = 256;
    quota_fixture f(limits);
    auto c = http_connection::open("127.0.0.1", f.port());
    BOOST_REQUIRE(c.ok());
    // Each a new key, each sending an event that decodes and verifies (its key is unknown to the
    // community: 403 unknown_signer, after its key's quota was charged).
    std::size_t largest = 0;
    for (int i = 0; i < 3000; ++i) {
        const auto k = new_key();
        envelope e = k.seal(event_body{random_event_id(), community, member_id{9}, sequence{1},
                                       time_ms{0}, std::nullopt, offer("x")});
        auto r = (*c)->call("POST", "/v1/events", envelope_json(e));
        BOOST_REQUIRE(r.ok());
        BOOST_REQUIRE_NE(r->status, 429u);
        largest = std::max(largest, f.api->quotas().clients());
    }
    BOOST_CHECK_LE(largest, 256u);
    BOOST_CHECK_GE(largest, 100u);  // the table was used
}

BOOST_AUTO_TEST_CASE(a_page_of_large_leaves_stays_within_its_byte_budget_and_the_rest_follows) {
    quota_fixture f(quota_options::unlimited());
    // 6,000 offers by four members at once: about 3 MiB of leaves in JSON and 1.3 MiB of
    // export records.
    const std::size_t writers = 4, each = 1500;
    std::vector<signing_key> keys;
    for (std::size_t w = 0; w < writers; ++w) keys.push_back(f.admit(member_id{2 + w}));
    std::vector<std::thread> threads;
    std::atomic<std::size_t> failed{0};
    for (std::size_t w = 0; w < writers; ++w)
        threads.emplace_back([&, w] {
            std::uint64_t seq = 0;
            for (std::size_t i = 0; i < each; ++i) {
                auto r = f.n->submit(encode_envelope(keys[w].seal(
                    quota_fixture::by(member_id{2 + w}, seq, offer("area " + std::to_string(i))))));
                if (!r || !r->decided.accepted()) ++failed;
            }
        });
    for (auto& t : threads) t.join();
    BOOST_REQUIRE_EQUAL(failed.load(), 0u);
    const std::size_t leaves_total = writers * each + 1 + writers;  // the founding, admissions
    const std::string session = uurwerk::testing::bearer(f.founder, community, member_id{1});
    http_call_options as_founder;
    as_founder.authorization = session;
    auto c = http_connection::open("127.0.0.1", f.port(), as_founder);
    BOOST_REQUIRE(c.ok());

    std::vector<std::uint64_t> seen;
    std::uint64_t from = 0;
    int pages = 0;
    while (from < leaves_total) {
        auto r = (*c)->call(
            "GET", "/v1/communities/7/leaves?from=" + std::to_string(from) + "&limit=10000");
        BOOST_REQUIRE(r.ok());
        BOOST_REQUIRE_EQUAL(r->status, 200u);
        BOOST_CHECK_LE(r->body.size(), page_bytes_max + 64);  // the rows, and the object around
        auto d = json_doc::parse(r->body);
        BOOST_REQUIRE(d.ok());
        const auto* leaves = d->root().at("leaves") ? d->root().at("leaves")->as_array() : nullptr;
        BOOST_REQUIRE(leaves && !leaves->empty());
        for (const auto& leaf : *leaves)
            seen.push_back(std::stoull(*leaf.at("leaf_index")->as_string()));
        const auto next = std::stoull(*d->root().at("next")->as_string());
        BOOST_REQUIRE_EQUAL(next, seen.back() + 1);
        from = next;
        ++pages;
    }
    BOOST_CHECK_GE(pages, 2);  // the budget cut, not the limit
    BOOST_REQUIRE_EQUAL(seen.size(), leaves_total);
    for (std::size_t i = 0; i < seen.size(); ++i) BOOST_REQUIRE_EQUAL(seen[i], i);
    // Past the end: an empty page whose next is where it was asked from.
    auto end = (*c)->call("GET", "/v1/communities/7/leaves?from=" + std::to_string(from));
    BOOST_REQUIRE(end.ok());
    BOOST_CHECK(end->body.find("\"next\":\"" + std::to_string(from) + "\"") != std::string::npos);

    // The export, in the same way: records within the budget, every leaf once, in order.
    std::uint64_t have = 0;
    int export_pages = 0;
    while (have < leaves_total) {
        auto r = (*c)->call("GET", "/v1/communities/7/export?from=" + std::to_string(have));
        BOOST_REQUIRE(r.ok());
        BOOST_REQUIRE_EQUAL(r->status, 200u);
        BOOST_CHECK_LE(r->body.size(), page_bytes_max);
        std::size_t pos = 0, records = 0;
        while (pos + export_record_header_bytes <= r->body.size()) {
            std::uint32_t len = 0;
            for (std::size_t i = 0; i < 4; ++i)
                len = len << 8 | static_cast<std::uint8_t>(r->body[pos + 18 + i]);
            pos += export_record_header_bytes + len;
            ++records;
        }
        BOOST_REQUIRE_EQUAL(pos, r->body.size());
        BOOST_REQUIRE_GT(records, 0u);
        have += records;
        ++export_pages;
    }
    BOOST_CHECK_EQUAL(have, leaves_total);
    BOOST_CHECK_GE(export_pages, 2);
    BOOST_TEST_MESSAGE(leaves_total << " leaves: " << pages << " pages of leaves, " << export_pages
                                    << " of export");
}

BOOST_AUTO_TEST_CASE(reputation_is_computed_once_per_applied_offset) {
    quota_fixture f(quota_options::unlimited());
    auto member = f.admit(member_id{2});
    const std::string as_founder = uurwerk::testing::bearer(f.founder, community, member_id{1});
    const auto ask = [&](member_id m) {
        http_request q{"GET",
                       "/v1/communities/7/members/" + std::to_string(m.value) + "/reputation", "",
                       as_founder};
        return f.api->handle(q);
    };
    const auto before = f.api->reputation_computations();
    auto first = ask(member_id{2});
    BOOST_REQUIRE_EQUAL(first.status, 200u);
    BOOST_CHECK_EQUAL(f.api->reputation_computations(), before + 1);
    // Again, and another member's, at the same applied offset: from the cache, the same answer.
    auto second = ask(member_id{2});
    BOOST_CHECK_EQUAL(second.body, first.body);
    BOOST_CHECK_EQUAL(ask(member_id{1}).status, 200u);
    BOOST_CHECK_EQUAL(f.api->reputation_computations(), before + 1);
    // A write moves the applied offset: the next answer is computed again.
    std::uint64_t seq = 0;
    f.submit_in_process(member.seal(quota_fixture::by(member_id{2}, seq, offer("help"))));
    BOOST_CHECK_EQUAL(ask(member_id{2}).status, 200u);
    BOOST_CHECK_EQUAL(f.api->reputation_computations(), before + 2);
    // A member that does not exist is still 404, from the cache or not.
    BOOST_CHECK_EQUAL(ask(member_id{99}).status, 404u);
}

BOOST_AUTO_TEST_CASE(serve_takes_its_quotas_from_its_flags_and_refuses_a_malformed_one) {
    temp_dir dir("quota_serve");
    {
        // Three reads at once, then one a second: the fourth health probe at once is a 429.
        uurwerk::testing::server_process server(dir.path / "data",
                                                {"--quota-reads-per-address", "1:3"});
        std::vector<unsigned> statuses;
        for (int i = 0; i < 5; ++i)
            statuses.push_back(
                request_from("127.0.0.1", server.port(), "GET", "/v1/health").status);
        BOOST_CHECK_EQUAL(statuses[0], 200u);
        BOOST_CHECK_EQUAL(statuses[2], 200u);
        BOOST_CHECK_EQUAL(statuses[4], 429u);
        // Another address has its own quota.
        BOOST_CHECK_EQUAL(request_from("127.0.0.2", server.port(), "GET", "/v1/health").status,
                          200u);
    }
    auto bad =
        uurwerk::testing::run_uurwerk({"serve", "--data", (dir.path / "other").string(), "--listen",
                                       "127.0.0.1:0", "--quota-writes-per-key", "lots"});
    BOOST_CHECK_NE(bad.exit_code, 0);
    BOOST_CHECK(bad.out.find("--quota-writes-per-key takes PER_SECOND:BURST") != std::string::npos);
    auto help = uurwerk::testing::run_uurwerk({"serve", "--help"});
    BOOST_CHECK(help.out.find("--quota-reads-per-session") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_client_over_its_quota_already_is_refused_without_a_worker) {
    temp_dir dir("quota_early");
    auto n = uurwerk::testing::open_test_node(dir.path);
    quota_options limits;
    limits.reads_per_address = {1, 10};
    routes api(*n, nullptr, nullptr, access_options{wall_clock(), {}}, limits);
    std::atomic<int> handled{0};
    http_server_options o;
    o.refuse_early = api.refuse_early();
    auto s = http_server::open(
        o,
        [&](const http_request& r) {
            ++handled;
            return api.handle(r);
        },
        api.stats());
    BOOST_REQUIRE(s.ok());
    (*s)->start();
    auto c = http_connection::open("127.0.0.1", (*s)->port());
    BOOST_REQUIRE(c.ok());
    int limited = 0;
    for (int i = 0; i < 200; ++i) {
        auto r = (*c)->call("GET", "/v1/health");
        BOOST_REQUIRE(r.ok());
        if (r->status == 429) ++limited;
    }
    (*s)->stop();
    BOOST_CHECK_GE(limited, 185);
    // The handler (a worker) saw the burst and the few that the refill let through: every other
    // request was answered by the I/O thread.
    BOOST_CHECK_LE(handled.load(), 20);
    BOOST_CHECK_EQUAL(handled.load(), 200 - limited);  // one client, one request at a time
}

BOOST_AUTO_TEST_CASE(behind_a_trusted_proxy_each_client_it_names_has_its_own_quota) {
    temp_dir dir("quota_proxy");
    auto n = uurwerk::testing::open_test_node(dir.path);
    quota_options limits;
    limits.reads_per_address = {1, 5};
    routes api(*n, nullptr, nullptr, access_options{wall_clock(), {}}, limits);
    http_server_options o;
    o.refuse_early = api.refuse_early();
    o.trusted_proxy = "127.0.0.1";
    auto s = http_server::open(o, api.handler(), api.stats());
    BOOST_REQUIRE(s.ok());
    (*s)->start();
    const auto port = (*s)->port();
    const auto through_proxy = [&](const std::string& client) {
        return request_from("127.0.0.1", port, "GET", "/v1/health", {}, {},
                            "X-Forwarded-For: " + client)
            .status;
    };
    int ok = 0, limited = 0;
    for (int i = 0; i < 20; ++i) (through_proxy("203.0.113.7") == 200 ? ok : limited)++;
    BOOST_CHECK_GE(ok, 5);
    BOOST_CHECK_LE(ok, 7);
    BOOST_CHECK_EQUAL(ok + limited, 20);
    // Another client behind the same proxy is not touched by the first one's flood.
    for (int i = 0; i < 5; ++i) BOOST_CHECK_EQUAL(through_proxy("203.0.113.8"), 200u);
    // A client that claims an address without being the proxy is its own address.
    for (int i = 0; i < 5; ++i)
        BOOST_CHECK_EQUAL(request_from("127.0.0.2", port, "GET", "/v1/health", {}, {},
                                       "X-Forwarded-For: 203.0.113.7")
                              .status,
                          200u);
    (*s)->stop();
}
