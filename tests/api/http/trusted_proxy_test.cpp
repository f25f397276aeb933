// Behind a reverse proxy (http_server_options::trusted_proxy), from the side of a client that
// forges X-Forwarded-For: only the proxy's word counts, and only its last entry (the address the
// proxy itself appended). The operator's routes (loopback, or the operator token) are the
// target: a forged "X-Forwarded-For: 127.0.0.1" must not make a stranger the operator, and the
// proxy's own loopback address must not either. The proxy is 127.0.0.9, a client 127.0.0.2
// (both this machine: all of 127.0.0.0/8 is loopback).
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>
#include <string>

#include "api/http/http_server.h"
#include "api/http/routes.h"
#include "tests/support/raw_http.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_node.h"

using namespace uurwerk;
using namespace uurwerk::testing;

namespace {

struct proxied_node {
    temp_dir dir{"trusted_proxy"};
    std::unique_ptr<node> n = open_test_node(dir.path);
    routes api{*n};
    std::unique_ptr<http_server> server;

    explicit proxied_node(http_server_options o) {
        auto s = http_server::open(o, api.handler(), api.async_route(), api.stats());
        BOOST_REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
        server = std::move(*s);
        server->start();
    }
    ~proxied_node() { server->stop(); }

    // GET /metrics (the operator's) from `source` with the given extra header lines; the status.
    int metrics_from(const char* source, const std::string& headers) {
        boost::asio::io_context io;
        auto s = raw_connect_from(io, server->port(), source);
        const std::string request =
            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers + "\r\n";
        boost::asio::write(s, boost::asio::buffer(request));
        const auto answer = read_until_closed(s);
        BOOST_REQUIRE_MESSAGE(answer.rfind("HTTP/1.1 ", 0) == 0, answer.substr(0, 100));
        return std::stoi(answer.substr(9, 3));
    }
};

http_server_options behind(const std::string& proxy) {
    http_server_options o;
    o.trusted_proxy = proxy;
    o.connections_per_address_max = 2;
    return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(trusted_proxy)

BOOST_AUTO_TEST_CASE(a_client_that_forges_x_forwarded_for_is_not_believed) {
    proxied_node s(behind("127.0.0.9"));
    // A loopback client straight to the node is the operator (the node's own machine)...
    BOOST_CHECK_EQUAL(s.metrics_from("127.0.0.2", ""), 200);
    // ...but not another client the proxy names, whatever it put in front of it.
    BOOST_CHECK_EQUAL(s.metrics_from("127.0.0.9", "X-Forwarded-For: 203.0.113.7\r\n"), 401);
    BOOST_CHECK_EQUAL(s.metrics_from("127.0.0.9", "X-Forwarded-For: 127.0.0.1, 203.0.113.7\r\n"),
                      401);
    BOOST_CHECK_EQUAL(s.metrics_from("127.0.0.9",
                                     "X-Forwarded-For: 127.0.0.1\r\n"
                                     "X-Forwarded-For: 198.51.100.4\r\n"),
                      401);
    // The proxy with no X-Forwarded-For, or garbage in it: nobody known, not loopback.
    BOOST_CHECK_EQUAL(s.metrics_from("127.0.0.9", ""), 401);
    BOOST_CHECK_EQUAL(s.metrics_from("127.0.0.9", "X-Forwarded-For: 127.0.0.1 junk\r\n"), 401);
    // A client of the proxy on the node's own machine is the operator, as without the proxy.
    BOOST_CHECK_EQUAL(s.metrics_from("127.0.0.9", "X-Forwarded-For: 203.0.113.7, 127.0.0.1\r\n"),
                      200);
}

BOOST_AUTO_TEST_CASE(without_a_trusted_proxy_x_forwarded_for_is_ignored) {
    proxied_node s(http_server_options{});
    // 127.0.0.2 is loopback: the operator, whatever the header says.
    BOOST_CHECK_EQUAL(s.metrics_from("127.0.0.2", "X-Forwarded-For: 203.0.113.7\r\n"), 200);
}

BOOST_AUTO_TEST_CASE(the_proxy_is_not_held_to_the_per_address_limit_and_others_still_are) {
    proxied_node s(behind("127.0.0.9"));
    boost::asio::io_context io;
    std::vector<boost::asio::ip::tcp::socket> held;
    for (int i = 0; i < 5; ++i) held.push_back(raw_connect_from(io, s.server->port(), "127.0.0.9"));
    // The proxy's sixth connection is served (the limit is 2 per address)...
    BOOST_CHECK_EQUAL(s.metrics_from("127.0.0.9", "X-Forwarded-For: 127.0.0.1\r\n"), 200);
    // ...another address's third is not.
    for (int i = 0; i < 2; ++i) held.push_back(raw_connect_from(io, s.server->port(), "127.0.0.3"));
    BOOST_CHECK_EQUAL(s.metrics_from("127.0.0.3", ""), 503);
}

BOOST_AUTO_TEST_CASE(a_trusted_proxy_that_is_not_an_address_is_refused_at_start) {
    http_stats stats;
    auto s = http_server::open(
        behind("proxy.example.org"), [](const http_request&) { return http_response{}; }, stats);
    BOOST_REQUIRE(!s.ok());
    BOOST_CHECK_EQUAL(s.err().code, errc::bad_address);
}

BOOST_AUTO_TEST_SUITE_END()
