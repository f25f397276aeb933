// A member's live event stream (GET /v1/communities/{c}/members/{m}/stream, server-sent events;
// api/http/stream_routes.h) through a real server on 127.0.0.1: the member and their delegate
// see the member's changes as they are applied (their own events, a proposal where they are
// helper or requester, the other side's answer), nobody else does; a client that reconnects
// with Last-Event-ID gets what it missed; the stream ends when its session stops holding; a
// client that does not read is cut off and costs nothing more; the limits answer 503; stop()
// ends every stream.
#include <boost/test/unit_test.hpp>

#include <poll.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "api/http/http_server.h"
#include "api/http/routes.h"
#include "api/json/json.h"
#include "tests/support/envelopes.h"
#include "tests/support/raw_http.h"
#include "tests/support/sessions.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_node.h"

using namespace uurwerk;
using namespace std::chrono_literals;
using uurwerk::testing::envelope_json;
using uurwerk::testing::eventually;
using uurwerk::testing::key_filled_with;
using uurwerk::testing::signed_token;
using uurwerk::testing::temp_dir;
namespace asio = boost::asio;

namespace {

const community_id town{7};

// Community 7: coordinator 1, members 2 (a request), 3 (an offer), 4 (2's delegate); the node
// key announced. The access check's clock is `now`, which a test may move.
struct world {
    temp_dir dir{"stream"};
    std::unique_ptr<node> n;
    std::atomic<std::int64_t> now{1'700'000'000'000};
    std::unique_ptr<routes> api;
    std::unique_ptr<http_server> server;
    signing_key k1 = key_filled_with(1), k2 = key_filled_with(2), k3 = key_filled_with(3),
                k4 = key_filled_with(4), node_key = key_filled_with(100);
    std::map<std::uint64_t, std::uint64_t> seq;
    std::map<const signing_key*, std::uint64_t> key_seq;  // the node key signs as the fund
    event_id request, offer;

    explicit world(http_server_options so = {},
                   std::chrono::milliseconds heartbeat = std::chrono::milliseconds(15'000)) {
        n = uurwerk::testing::open_test_node(dir.path);
        api = std::make_unique<routes>(*n, nullptr, nullptr,
                                       access_options{[this] { return time_ms{now.load()}; }, {}},
                                       quota_options::unlimited());
        api->streams().set_heartbeat(heartbeat);
        const policy rules{minutes{600}, minutes{6000}, minutes{240}};
        submit(k1, member_id{1}, community_founded{"Buurtkring Zuid", rules});
        for (auto [m, key] : {std::pair{2, &k2}, {3, &k3}, {4, &k4}})
            submit(k1, member_id{1},
                   member_admitted{member_id{static_cast<std::uint64_t>(m)}, key->public_bytes(),
                                   role::member, true, std::nullopt});
        submit(k2, member_id{2},
               delegation_granted{member_id{4}, {event_kind::request_posted}, time_ms{0}});
        submit(k1, member_id{1}, node_key_announced{node_key.public_bytes()});
        auto s = http_server::open(so, api->handler(), api->stats());
        BOOST_REQUIRE(s.ok());
        server = std::move(*s);
        server->start();
    }
    ~world() {
        server->stop();
        server.reset();
        api.reset();
        n.reset();
    }

    event_id submit(const signing_key& key, member_id author, event_payload p,
                    unsigned status = 200) {
        const auto id = random_event_id();
        const std::uint64_t s = author == community_fund ? ++key_seq[&key] : ++seq[author.value];
        auto e = key.seal(event_body{id, town, author, sequence{s}, time_ms{now.load()},
                                     std::nullopt, std::move(p)});
        auto a = api->handle(http_request{"POST", "/v1/events", envelope_json(e), "", "", ""});
        BOOST_REQUIRE_MESSAGE(a.status == status, a.body);
        return id;
    }
    event_id post_request() {
        return submit(
            k2, member_id{2},
            request_posted{{category::shopping, std::nullopt, intensity::once, "3512", 0}});
    }
    std::string bearer(const signing_key& key, member_id m, std::int64_t ms_ahead = 3'600'000) {
        return "Bearer " + signed_token(key, town, m, time_ms{now.load() + ms_ahead});
    }
};

// A client of one event stream on a raw socket: what the server sent so far, read as it comes.
struct stream_client {
    asio::io_context io;
    asio::ip::tcp::socket s{io};
    std::string got;
    bool closed = false;

    stream_client(std::uint16_t port, const std::string& target, const std::string& authorization,
                  const std::string& extra_headers = "", int receive_buffer = 0) {
        s.open(asio::ip::tcp::v4());
        if (receive_buffer > 0)
            s.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
        s.connect({asio::ip::make_address("127.0.0.1"), port});
        const std::string req = "GET " + target +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + authorization +
                                "\r\n" + extra_headers + "\r\n";
        asio::write(s, asio::buffer(req));
    }
    // Reads what has come within `wait`.
    void pump(std::chrono::milliseconds wait) {
        pollfd p{s.native_handle(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return;
        char buf[4096];
        boost::system::error_code ec;
        const auto k = s.read_some(asio::buffer(buf), ec);
        got.append(buf, k);
        if (ec) closed = true;
    }
    bool has(std::string_view text, std::chrono::milliseconds within = 5s) {
        const auto until = std::chrono::steady_clock::now() + within;
        while (got.find(text) == std::string::npos && !closed &&
               std::chrono::steady_clock::now() < until)
            pump(20ms);
        return got.find(text) != std::string::npos;
    }
    bool ends(std::chrono::milliseconds within = 5s) {
        const auto until = std::chrono::steady_clock::now() + within;
        while (!closed && std::chrono::steady_clock::now() < until) pump(20ms);
        return closed;
    }
    // The status line's code.
    unsigned status() {
        (void)has("\r\n\r\n");
        if (got.size() < 12) return 0;
        return static_cast<unsigned>(std::stoul(got.substr(9, 3)));
    }
    // The offsets of the `change` events so far.
    std::vector<std::uint64_t> changes() const {
        std::vector<std::uint64_t> out;
        for (std::size_t at = got.find("id: "); at != std::string::npos;
             at = got.find("id: ", at + 1)) {
            const auto line_end = got.find('\n', at);
            if (got.compare(line_end + 1, 13, "event: change") != 0) continue;
            out.push_back(std::stoull(got.substr(at + 4, line_end - at - 4)));
        }
        return out;
    }
};

std::string stream_of(std::uint64_t m) {
    return "/v1/communities/7/members/" + std::to_string(m) + "/stream";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(event_stream_suite)

BOOST_AUTO_TEST_CASE(the_member_and_their_delegate_see_the_members_changes_and_nobody_else) {
    world w;
    const auto port = w.server->port();
    stream_client two(port, stream_of(2), w.bearer(w.k2, member_id{2}));
    stream_client delegate(port, stream_of(2), w.bearer(w.k4, member_id{4}));
    stream_client three(port, stream_of(3), w.bearer(w.k3, member_id{3}));
    for (auto* c : {&two, &delegate, &three}) {
        BOOST_REQUIRE_EQUAL(c->status(), 200u);
        BOOST_CHECK(c->has("Content-Type: text/event-stream"));
        BOOST_CHECK(c->has("event: ready\ndata: {\"community\":\"7\""));
    }
    BOOST_CHECK(eventually([&] { return w.api->streams().open_streams() == 3; }));

    // Member 2's own request: 2 and the delegate see it, 3 does not.
    const auto request = w.post_request();
    BOOST_CHECK(two.has(request.hex()));
    BOOST_CHECK(delegate.has(request.hex()));
    BOOST_CHECK(two.has("\"kind\":\"requestPosted\",\"verdict\":\"accepted\""));
    // Member 3's offer, then the node's proposal of 3 for 2's request: both sides see it.
    const auto offer =
        w.submit(w.k3, member_id{3},
                 offer_posted{{category::shopping, std::nullopt, intensity::once, "3512", 0}});
    const auto match = w.submit(w.node_key, community_fund,
                                match_proposed{request, offer, member_id{3}, 1, 0, 1, 0});
    for (auto* c : {&two, &delegate, &three}) BOOST_CHECK(c->has(match.hex()));
    BOOST_CHECK(three.has(offer.hex()));
    BOOST_CHECK(two.got.find(offer.hex()) == std::string::npos);  // 3's offer is not 2's news
    BOOST_CHECK(three.got.find(request.hex()) == std::string::npos);
    // 3 accepts: 2 sees the answer to their request.
    const auto accepted = w.submit(w.k3, member_id{3}, match_accepted{match});
    BOOST_CHECK(two.has(accepted.hex()));
    BOOST_CHECK(two.has("\"kind\":\"matchAccepted\""));
    // A rejected event of member 2's is news to them, with its reason.
    const auto again = w.submit(w.k2, member_id{2}, match_accepted{match}, 409);
    BOOST_CHECK(two.has(again.hex()));
    BOOST_CHECK(two.has("\"verdict\":\"rejected\""));
    // Ids are the log's offsets, in order.
    const auto offsets = two.changes();
    BOOST_CHECK_EQUAL(offsets.size(), 4u);
    BOOST_CHECK(std::is_sorted(offsets.begin(), offsets.end()));
}

BOOST_AUTO_TEST_CASE(a_stream_is_refused_to_whoever_may_not_read_it) {
    world w;
    const auto port = w.server->port();
    stream_client none(port, stream_of(2), "Bearer nothing");
    BOOST_CHECK_EQUAL(none.status(), 401u);
    stream_client other(port, stream_of(2), w.bearer(w.k3, member_id{3}));
    BOOST_CHECK_EQUAL(other.status(), 403u);
    BOOST_CHECK(other.has("\"forbidden\""));
    // Nobody's stream is opened by a refusal, and a bad resume point is a 400.
    stream_client bad(port, stream_of(2), w.bearer(w.k2, member_id{2}), "Last-Event-ID: x\r\n");
    BOOST_CHECK_EQUAL(bad.status(), 400u);
    BOOST_CHECK_EQUAL(w.api->streams().open_streams(), 0u);
}

BOOST_AUTO_TEST_CASE(a_client_that_reconnects_with_last_event_id_gets_what_it_missed) {
    world w;
    const auto port = w.server->port();
    std::uint64_t seen = 0;
    {
        stream_client first(port, stream_of(2), w.bearer(w.k2, member_id{2}));
        BOOST_REQUIRE(first.has("event: ready"));
        const auto r = w.post_request();
        BOOST_REQUIRE(first.has(r.hex()));
        BOOST_REQUIRE_EQUAL(first.changes().size(), 1u);
        seen = first.changes()[0];
    }  // the page closes
    BOOST_CHECK(eventually([&] { return w.api->streams().open_streams() == 0; }));
    const auto missed1 = w.post_request();
    const auto missed2 = w.post_request();
    stream_client back(port, stream_of(2), w.bearer(w.k2, member_id{2}),
                       "Last-Event-ID: " + std::to_string(seen) + "\r\n");
    BOOST_CHECK(back.has(missed1.hex()));
    BOOST_CHECK(back.has(missed2.hex()));
    BOOST_CHECK_EQUAL(back.changes().size(), 2u);  // not the one it had seen
    BOOST_CHECK(back.got.find("event: resync") == std::string::npos);
    // `after` does the same for a client that starts from an offset it knows.
    stream_client from(port, stream_of(2) + "?after=" + std::to_string(seen),
                       w.bearer(w.k2, member_id{2}));
    BOOST_CHECK(from.has(missed2.hex()));
    BOOST_CHECK_EQUAL(from.changes().size(), 2u);
    // Too much missed (more than replay_max changes) is not replayed, which the server would cut
    // off at every reconnect: the client is told to read its views again, then goes on live.
    for (std::size_t i = 0; i < replay_max; ++i) (void)w.post_request();
    stream_client long_gone(port, stream_of(2) + "?after=" + std::to_string(seen),
                            w.bearer(w.k2, member_id{2}));
    BOOST_CHECK(long_gone.has("event: resync"));
    BOOST_CHECK(long_gone.changes().empty());
    const auto live = w.post_request();
    BOOST_CHECK(long_gone.has(live.hex()));
    BOOST_CHECK_EQUAL(long_gone.changes().size(), 1u);
}

BOOST_AUTO_TEST_CASE(a_stream_ends_when_its_session_no_longer_holds) {
    world w({}, 100ms);
    const auto port = w.server->port();
    // A session that ends in a minute: the stream lives while it holds, with heartbeats.
    stream_client two(port, stream_of(2), w.bearer(w.k2, member_id{2}, 60'000));
    BOOST_REQUIRE(two.has("event: ready"));
    BOOST_CHECK(two.has(": keep-alive"));
    BOOST_CHECK(!two.closed);
    w.now += 61'000;  // past the session's end
    BOOST_CHECK(two.ends());
    BOOST_CHECK(two.got.find("0\r\n\r\n") != std::string::npos);  // the last chunk, a clean end
    // A delegate's stream ends when the coordinator suspends the delegate: they no longer read.
    stream_client delegate(port, stream_of(2), w.bearer(w.k4, member_id{4}));
    BOOST_REQUIRE(delegate.has("event: ready"));
    w.submit(w.k1, member_id{1}, member_suspended{member_id{4}, std::nullopt});
    BOOST_CHECK(delegate.ends());
    BOOST_CHECK(eventually([&] { return w.api->streams().open_streams() == 0; }));
}

BOOST_AUTO_TEST_CASE(a_client_that_does_not_read_is_cut_off_and_the_rest_go_on) {
    http_server_options so;
    so.stream_queue_bytes_max = 8192;
    world w(so);
    const auto port = w.server->port();
    // A small receive buffer, never read after the header.
    stream_client stuck(port, stream_of(2), w.bearer(w.k2, member_id{2}), "", 1024);
    BOOST_REQUIRE(stuck.has("event: ready"));
    stream_client reader(port, stream_of(2), w.bearer(w.k4, member_id{4}));
    BOOST_REQUIRE(reader.has("event: ready"));
    BOOST_REQUIRE(eventually([&] { return w.api->streams().open_streams() == 2; }));
    // Changes until the server's buffers and the stuck stream's queue are full: it is cut.
    int posted = 0;
    while (w.api->streams().open_streams() == 2 && posted < 20'000) {
        const auto id = w.post_request();
        ++posted;
        BOOST_REQUIRE(reader.has(id.hex()));  // the reader keeps up: only the stuck one lags
        reader.got.erase(0, reader.got.rfind("\n\n") + 2);  // read: what follows is kept
    }
    BOOST_TEST_MESSAGE("the stuck stream was cut after " << posted << " changes");
    BOOST_CHECK_EQUAL(w.api->streams().open_streams(), 1u);
    // The reader got every change (each one waited for above), and gets new ones.
    const auto last = w.post_request();
    BOOST_CHECK(reader.has(last.hex(), 10s));
}

BOOST_AUTO_TEST_CASE(a_device_may_hold_only_a_few_streams_and_stop_ends_them_all) {
    world w;
    const auto port = w.server->port();
    std::vector<std::unique_ptr<stream_client>> mine;
    for (std::size_t i = 0; i < streams_per_key_max; ++i) {
        mine.push_back(
            std::make_unique<stream_client>(port, stream_of(2), w.bearer(w.k2, member_id{2})));
        BOOST_REQUIRE(mine.back()->has("event: ready"));
    }
    stream_client one_more(port, stream_of(2), w.bearer(w.k2, member_id{2}));
    BOOST_CHECK_EQUAL(one_more.status(), 503u);
    BOOST_CHECK(one_more.has("too_many_waiting"));
    // The limit is the key's: member 2's streams do not take their delegate's, nor another
    // member's.
    stream_client delegate(port, stream_of(2), w.bearer(w.k4, member_id{4}));
    BOOST_CHECK_EQUAL(delegate.status(), 200u);
    stream_client three(port, stream_of(3), w.bearer(w.k3, member_id{3}));
    BOOST_CHECK_EQUAL(three.status(), 200u);
    BOOST_CHECK(
        eventually([&] { return w.api->streams().open_streams() == streams_per_key_max + 2; }));
    const auto t0 = std::chrono::steady_clock::now();
    w.server->stop();
    // Streams do not hold stop() until their next heartbeat (15 s): well under it even on a
    // loaded machine (3 s was missed under a build's load).
    BOOST_CHECK(std::chrono::steady_clock::now() - t0 < 10s);
    for (auto& c : mine) BOOST_CHECK(c->ends());
    BOOST_CHECK(three.ends());
    BOOST_CHECK(delegate.ends());
    BOOST_CHECK_EQUAL(w.api->streams().open_streams(), 0u);
}

BOOST_AUTO_TEST_SUITE_END()
