// The server over TLS, from the side of clients that should not get in: an untrusting client,
// a client that asks for another name, an old protocol or a weak suite, plain HTTP on the TLS
// port, a client that connects and never says hello, one address over its limit, a body far
// over the limit; and the clients that should: the health probe, a submission, the CLI with
// --ca-file. A CA and the server's certificate are made for each test (tests/support/test_pki.h).
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <unistd.h>

#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "api/http/http_client.h"
#include "api/http/http_server.h"
#include "api/http/routes.h"
#include "api/http/tls.h"
#include "api/json/json_read.h"
#include "tests/support/raw_http.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_node.h"
#include "tests/support/test_pki.h"
#include "tests/support/uurwerk_program.h"

using namespace uurwerk;
using namespace uurwerk::testing;
using tcp = boost::asio::ip::tcp;
namespace ssl = boost::asio::ssl;
using namespace std::chrono_literals;

namespace {

// A node behind the routes, served over TLS on 127.0.0.1 with the test PKI's certificate.
struct tls_node {
    temp_dir dir{"tls"};
    test_pki pki = make_test_pki(dir.path, "IP:127.0.0.1");
    std::unique_ptr<node> n = open_test_node(dir.path / "data");
    routes api{*n};
    std::unique_ptr<http_server> server;

    explicit tls_node(http_server_options o = {}) {
        o.tls = tls_files{pki.server_cert, pki.server_key};
        auto s = http_server::open(o, api.handler(), api.async_route(), api.stats());
        BOOST_REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
        server = std::move(*s);
        server->start();
    }
    ~tls_node() { server->stop(); }

    http_call_options trusting() const {
        http_call_options o;
        o.scheme = http_scheme::https;
        o.ca_file = pki.ca_cert;
        o.connect_timeout = 5s;
        o.reply_timeout = 10s;
        return o;
    }
};

// A TLS client context of the test's own making (OpenSSL's defaults, the test CA trusted),
// which `tune` may weaken as an old or careless client would be.
std::unique_ptr<ssl::context> client_context(const test_pki& pki,
                                             const std::function<void(SSL_CTX*)>& tune = {}) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    ctx->load_verify_file(pki.ca_cert.string());
    ctx->set_verify_mode(ssl::verify_peer);
    if (tune) tune(ctx->native_handle());
    return ctx;
}

// The handshake of a client with `ctx` from `source`; its error (none on success).
boost::system::error_code handshake(ssl::stream<tcp::socket>& s) {
    boost::system::error_code ec;
    s.handshake(ssl::stream_base::client, ec);
    return ec;
}

// The reason OpenSSL gives for a failed handshake (the alert the server sent, for instance).
int reason_of(const boost::system::error_code& ec) {
    return ec.category() == boost::asio::error::get_ssl_category() ? ERR_GET_REASON(ec.value())
                                                                   : -1;
}

// Everything readable on a TLS stream until the server closes it.
std::string read_all(ssl::stream<tcp::socket>& s) {
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    while (!ec) {
        auto k = s.read_some(boost::asio::buffer(buf), ec);
        out.append(buf, k);
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(the_health_probe_and_a_request_with_a_session_are_answered_over_tls_1_3) {
    tls_node s;
    auto health = http_call("127.0.0.1", s.server->port(), "GET", "/v1/health", {}, s.trusting());
    BOOST_REQUIRE_MESSAGE(health.ok(), (health.ok() ? "" : health.err().message));
    BOOST_CHECK_EQUAL(health->status, 200u);
    // Keep-alive: several requests on one TLS connection, in order.
    auto c = http_connection::open("127.0.0.1", s.server->port(), s.trusting());
    BOOST_REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.err().message));
    for (int i = 0; i < 5; ++i) {
        auto r = (*c)->call("GET", "/v1/health");
        BOOST_REQUIRE(r.ok());
        BOOST_CHECK_EQUAL(r->status, 200u);
    }
    // A submission reaches the asynchronous route: garbage is a clean 400, not a dropped line.
    auto bad = (*c)->call("POST", "/v1/events", R"({"body":"zz"})");
    BOOST_REQUIRE(bad.ok());
    BOOST_CHECK_EQUAL(bad->status, 400u);
    // A client with OpenSSL's defaults gets TLS 1.3 and an AEAD suite.
    boost::asio::io_context io;
    auto ctx = client_context(s.pki);
    ssl::stream<tcp::socket> t(raw_connect(io, s.server->port()), *ctx);
    BOOST_REQUIRE(!handshake(t));
    BOOST_CHECK_EQUAL(SSL_version(t.native_handle()), TLS1_3_VERSION);
}

BOOST_AUTO_TEST_CASE(pipelined_requests_in_separate_tls_records_are_all_answered) {
    // The second record reaches the server with the first, so it waits decrypted-to-be in the
    // TLS layer, not in the socket: a server that only waits on the socket would sit idle.
    http_server_options o;
    o.idle_timeout = 3s;
    tls_node s(o);
    boost::asio::io_context io;
    auto ctx = client_context(s.pki);
    ssl::stream<tcp::socket> t(raw_connect(io, s.server->port()), *ctx);
    BOOST_REQUIRE(!handshake(t));
    const std::string get = "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n";
    const std::string last = "GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    for (int i = 0; i < 3; ++i) boost::asio::write(t, boost::asio::buffer(get));  // a record each
    boost::asio::write(t, boost::asio::buffer(last));
    const auto answers = read_all(t);
    std::size_t count = 0;
    for (auto at = answers.find("HTTP/1.1 200"); at != std::string::npos;
         at = answers.find("HTTP/1.1 200", at + 1))
        ++count;
    BOOST_CHECK_EQUAL(count, 4u);  // stuck, the idle timeout would close after the first
}

BOOST_AUTO_TEST_CASE(a_client_offering_only_tls_1_1_or_a_weak_tls_1_2_suite_is_refused) {
    tls_node s;
    boost::asio::io_context io;
    // TLS 1.1 (the client's own floor lowered so that it offers it at all).
    auto old = client_context(s.pki, [](SSL_CTX* c) {
        SSL_CTX_set_security_level(c, 0);
        SSL_CTX_set_min_proto_version(c, TLS1_1_VERSION);
        SSL_CTX_set_max_proto_version(c, TLS1_1_VERSION);
    });
    ssl::stream<tcp::socket> a(raw_connect(io, s.server->port()), *old);
    const auto ea = handshake(a);
    BOOST_REQUIRE(ea);
    BOOST_CHECK_MESSAGE(reason_of(ea) == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION, ea.message());
    // TLS 1.2 with a CBC suite only (no AEAD): the server has no suite in common.
    auto cbc = client_context(s.pki, [](SSL_CTX* c) {
        SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION);
        SSL_CTX_set_cipher_list(c, "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384");
    });
    ssl::stream<tcp::socket> b(raw_connect(io, s.server->port()), *cbc);
    const auto eb = handshake(b);
    BOOST_REQUIRE(eb);
    BOOST_CHECK_MESSAGE(reason_of(eb) == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE, eb.message());
    // TLS 1.2 with an AEAD ECDHE suite is fine.
    auto good12 = client_context(s.pki, [](SSL_CTX* c) {
        SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION);
        SSL_CTX_set_cipher_list(c, "ECDHE-ECDSA-AES128-GCM-SHA256");
    });
    ssl::stream<tcp::socket> g(raw_connect(io, s.server->port()), *good12);
    BOOST_REQUIRE(!handshake(g));
    BOOST_CHECK_EQUAL(SSL_version(g.native_handle()), TLS1_2_VERSION);
}

BOOST_AUTO_TEST_CASE(plain_http_to_the_tls_port_gets_no_answer_with_data) {
    tls_node s;
    const auto answer =
        raw_exchange(s.server->port(), "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_CHECK_MESSAGE(answer.find("HTTP/") == std::string::npos, answer);
    BOOST_CHECK_MESSAGE(answer.find('{') == std::string::npos, answer);
    BOOST_CHECK_LE(answer.size(), 7u);  // at most a TLS alert record
    // Our client, told http://, does not hang: it reads no reply.
    auto r = http_call("127.0.0.1", s.server->port(), "GET", "/v1/health", {}, {2s, 5s});
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK(r.err().code == errc::server_closed || r.err().code == errc::bad_reply);
}

BOOST_AUTO_TEST_CASE(the_client_refuses_an_untrusted_certificate_and_another_name) {
    tls_node s;
    const auto port = s.server->port();
    // The system's CA store does not know the test CA.
    auto o = s.trusting();
    o.ca_file.clear();
    auto untrusted = http_call("127.0.0.1", port, "GET", "/v1/health", {}, o);
    BOOST_REQUIRE(!untrusted.ok());
    BOOST_CHECK_EQUAL(untrusted.err().code, errc::server_unreachable);
    BOOST_CHECK_MESSAGE(untrusted.err().message.find("not trusted") != std::string::npos &&
                            untrusted.err().message.find("--ca-file") != std::string::npos,
                        untrusted.err().message);
    // Another CA.
    o.ca_file = s.pki.other_ca_cert;
    auto other = http_call("127.0.0.1", port, "GET", "/v1/health", {}, o);
    BOOST_REQUIRE(!other.ok());
    BOOST_CHECK_MESSAGE(other.err().message.find("not trusted") != std::string::npos,
                        other.err().message);
    // The right CA, the wrong name: a certificate for 127.0.0.1 only, asked as localhost (the
    // same machine, a name the certificate does not hold).
    o.ca_file = s.pki.ca_cert;
    auto wrong_ip = http_call("localhost", port, "GET", "/v1/health", {}, o);
    BOOST_REQUIRE(!wrong_ip.ok());
    BOOST_CHECK_MESSAGE(wrong_ip.err().message.find("another name") != std::string::npos,
                        wrong_ip.err().message);
    // A CA file that is not there is said, not ignored.
    o.ca_file = s.dir.path / "missing.pem";
    auto missing = http_call("127.0.0.1", port, "GET", "/v1/health", {}, o);
    BOOST_REQUIRE(!missing.ok());
    BOOST_CHECK_EQUAL(missing.err().code, errc::bad_argument);
}

BOOST_AUTO_TEST_CASE(the_client_refuses_a_server_certificate_for_another_host_name) {
    temp_dir dir{"tls-name"};
    const auto pki = make_test_pki(dir.path, "DNS:node.example.org");
    http_stats stats;
    http_server_options so;
    so.tls = tls_files{pki.server_cert, pki.server_key};
    auto server = http_server::open(
        so,
        [](const http_request&) {
            return http_response{200, "application/json", "{}", {}};
        },
        stats);
    BOOST_REQUIRE(server.ok());
    (*server)->start();
    http_call_options o;
    o.scheme = http_scheme::https;
    o.ca_file = pki.ca_cert;
    for (const char* host : {"127.0.0.1", "localhost"}) {
        auto r = http_call(host, (*server)->port(), "GET", "/", {}, o);
        BOOST_REQUIRE_MESSAGE(!r.ok(), host);
        BOOST_CHECK_MESSAGE(r.err().message.find("another name") != std::string::npos,
                            r.err().message);
    }
}

BOOST_AUTO_TEST_CASE(a_connection_that_never_completes_its_handshake_is_cut_off) {
    http_server_options o;
    o.header_timeout = 1000ms;
    o.connections_per_address_max = 2;
    tls_node s(o);
    boost::asio::io_context io;
    // Plain text where a ClientHello belongs is closed at once.
    auto plain = raw_connect_from(io, s.server->port(), "127.0.0.5");
    boost::asio::write(plain, boost::asio::buffer(std::string("GET / HTTP/1.1\r\n")));
    BOOST_CHECK(eventually([&] { return closed_by_server(plain); }, 500ms));
    // Two sockets from one address: one silent, one with the start of a ClientHello.
    std::vector<tcp::socket> held;
    for (int i = 0; i < 2; ++i) held.push_back(raw_connect_from(io, s.server->port(), "127.0.0.5"));
    boost::asio::write(held[1], boost::asio::buffer(std::string("\x16\x03\x01\x02\x00\x01", 6)));
    BOOST_REQUIRE(eventually([&] { return s.server->connections() == 2; }));
    // While they are held, the address is at its limit: a fourth connection from it is
    // answered 503 over TLS; another address is served.
    auto ctx = client_context(s.pki);
    ssl::stream<tcp::socket> fourth(raw_connect_from(io, s.server->port(), "127.0.0.5"), *ctx);
    BOOST_REQUIRE(!handshake(fourth));
    boost::asio::write(fourth, boost::asio::buffer(std::string("GET /v1/health HTTP/1.1\r\n\r\n")));
    const auto refused = read_all(fourth);
    BOOST_CHECK_MESSAGE(refused.rfind("HTTP/1.1 503", 0) == 0, refused.substr(0, 100));
    BOOST_CHECK(refused.find("too_many_connections") != std::string::npos);
    auto probe = http_call("127.0.0.1", s.server->port(), "GET", "/v1/health", {}, s.trusting());
    BOOST_REQUIRE(probe.ok());
    BOOST_CHECK_EQUAL(probe->status, 200u);
    // Within the header timeout (and a margin), both are closed by the server.
    BOOST_CHECK(
        eventually([&] { return closed_by_server(held[0]) && closed_by_server(held[1]); }, 5s));
    BOOST_CHECK(eventually([&] { return s.server->connections() == 0; }));
}

BOOST_AUTO_TEST_CASE(a_client_still_sending_a_body_far_over_the_limit_reads_its_413_over_tls) {
    tls_node s;
    boost::asio::io_context io;
    auto ctx = client_context(s.pki);
    ssl::stream<tcp::socket> c(raw_connect_from(io, s.server->port(), "127.0.0.4"), *ctx);
    BOOST_REQUIRE(!handshake(c));
    const std::size_t size = 5'000'000;
    const std::string request =
        "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(size) + "\r\n\r\n" + std::string(size, 'x');
    boost::system::error_code ec;
    const auto sent = boost::asio::write(c, boost::asio::buffer(request), ec);
    BOOST_CHECK_MESSAGE(!ec, ec.message());
    BOOST_CHECK_EQUAL(sent, request.size());
    const auto answer = read_all(c);
    BOOST_REQUIRE_MESSAGE(answer.rfind("HTTP/1.1 413", 0) == 0, answer.substr(0, 200));
    BOOST_CHECK(answer.find("body_too_large") != std::string::npos);
    // Our client too.
    auto r = http_call("127.0.0.1", s.server->port(), "POST", "/v1/events",
                       std::string(100'000, 'x'), s.trusting());
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().message));
    BOOST_CHECK_EQUAL(r->status, 413u);
    // What Python's http.client does over https: send it all, then read the answer.
    const std::string python = "/usr/bin/python3";
    if (::access(python.c_str(), X_OK) != 0) return;
    const std::string script =
        "import http.client, ssl\n"
        "ctx = ssl.create_default_context(cafile='" +
        s.pki.ca_cert.string() +
        "')\n"
        "c = http.client.HTTPSConnection('127.0.0.1', " +
        std::to_string(s.server->port()) +
        ", timeout=20, context=ctx)\n"
        "c.request('POST', '/v1/events', body=b'x' * 5000000)\n"
        "r = c.getresponse()\n"
        "print(r.status, r.read().decode())\n";
    auto py = run_command({python, "-c", script});
    BOOST_CHECK_MESSAGE(py.exit_code == 0 && py.out.rfind("413 ", 0) == 0 &&
                            py.out.find("body_too_large") != std::string::npos,
                        py.out);
}

BOOST_AUTO_TEST_CASE(a_missing_or_mismatched_certificate_or_key_is_a_clear_start_up_error) {
    temp_dir dir{"tls-files"};
    const auto pki = make_test_pki(dir.path);
    const auto not_pem = dir.path / "not.pem";
    std::ofstream(not_pem) << "hello\n";
    http_stats stats;
    auto open_with = [&](const std::filesystem::path& cert, const std::filesystem::path& key) {
        http_server_options o;
        o.tls = tls_files{cert, key};
        auto s = http_server::open(
            o, [](const http_request&) { return http_response{}; }, stats);
        BOOST_REQUIRE(!s.ok());
        BOOST_CHECK_EQUAL(s.err().code, errc::bad_argument);
        return s.err().message;
    };
    auto m = open_with(dir.path / "nope.pem", pki.server_key);
    BOOST_CHECK_MESSAGE(
        m.find("--tls-cert") != std::string::npos && m.find("does not exist") != std::string::npos,
        m);
    m = open_with(pki.server_cert, dir.path / "nope.key");
    BOOST_CHECK_MESSAGE(m.find("--tls-key") != std::string::npos, m);
    m = open_with(not_pem, pki.server_key);
    BOOST_CHECK_MESSAGE(m.find("no PEM certificate") != std::string::npos, m);
    m = open_with(pki.server_cert, not_pem);
    BOOST_CHECK_MESSAGE(m.find("no PEM private key") != std::string::npos, m);
    m = open_with(pki.server_cert, pki.other_key);  // a key, but not this certificate's
    BOOST_CHECK_MESSAGE(m.find("is not the key of the certificate") != std::string::npos, m);
    // The program says it before opening anything, and fails.
    auto r =
        run_uurwerk({"serve", "--data", (dir.path / "data").string(), "--listen", "127.0.0.1:0",
                     "--tls-cert", pki.server_cert.string(), "--tls-key", pki.other_key.string()});
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK_MESSAGE(r.out.find("is not the key of the certificate") != std::string::npos,
                        r.out);
    r = run_uurwerk(
        {"serve", "--data", (dir.path / "data").string(), "--tls-cert", pki.server_cert.string()});
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK_MESSAGE(r.out.find("go together") != std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(
    the_cli_over_https_with_its_ca_file_founds_and_reads_and_fails_clearly_without) {
    temp_dir dir{"tls-cli"};
    const auto pki = make_test_pki(dir.path, "IP:127.0.0.1");
    const auto data = dir.path / "data";
    server_process server(data, {"--tls-cert", pki.server_cert.string(), "--tls-key",
                                 pki.server_key.string(), "--match-interval", "0"});
    const std::string url = "https://127.0.0.1:" + std::to_string(server.port());
    const std::string anna = (dir.path / "anna.key").string();
    auto k = run_uurwerk({"keygen", "--out", anna, "--community", "7", "--member", "1"});
    BOOST_REQUIRE_MESSAGE(k.exit_code == 0, k.out);
    allow_founder_file(data, anna + ".pub");
    // A POST /v1/events (the founding) and a read with a session, over TLS.
    auto found = run_uurwerk({"found", "--key", anna, "--name", "Buurtkring", "--server", url,
                              "--ca-file", pki.ca_cert.string()});
    BOOST_REQUIRE_MESSAGE(found.exit_code == 0, found.out);
    auto balance =
        run_uurwerk({"balance", "--key", anna, "--server", url, "--ca-file", pki.ca_cert.string()});
    BOOST_REQUIRE_MESSAGE(balance.exit_code == 0, balance.out);
    // Without the CA file, the system's store does not trust the test CA: a clear error.
    auto untrusted = run_uurwerk({"balance", "--key", anna, "--server", url});
    BOOST_CHECK_NE(untrusted.exit_code, 0);
    BOOST_CHECK_MESSAGE(untrusted.out.find("not trusted") != std::string::npos, untrusted.out);
    // With another CA, likewise; by a name the certificate does not hold, likewise.
    auto other = run_uurwerk(
        {"balance", "--key", anna, "--server", url, "--ca-file", pki.other_ca_cert.string()});
    BOOST_CHECK_NE(other.exit_code, 0);
    BOOST_CHECK_MESSAGE(other.out.find("not trusted") != std::string::npos, other.out);
    auto wrong_name = run_uurwerk({"balance", "--key", anna, "--server",
                                   "https://localhost:" + std::to_string(server.port()),
                                   "--ca-file", pki.ca_cert.string()});
    BOOST_CHECK_NE(wrong_name.exit_code, 0);
    BOOST_CHECK_MESSAGE(wrong_name.out.find("another name") != std::string::npos, wrong_name.out);
    // http:// to the TLS port gets no answer, and says so.
    auto plain = run_uurwerk({"balance", "--key", anna, "--server",
                              "http://127.0.0.1:" + std::to_string(server.port())});
    BOOST_CHECK_NE(plain.exit_code, 0);
    BOOST_CHECK_MESSAGE(plain.out.find("https://") != std::string::npos, plain.out);
}

BOOST_AUTO_TEST_SUITE_END()
