// The libcurl SMTP transport (api/mail/smtp.h) against a relay that hangs: a loopback listener
// that takes the connection and never says a word (no greeting). A send would wait for its whole
// timeout; cancel() from another thread makes it give up within about a second, and sends after
// it fail at once until resume().
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <thread>

#include "api/mail/smtp.h"

using namespace uurwerk;

namespace {

// A TCP listener on 127.0.0.1 that the kernel completes connections to and nobody answers.
struct silent_relay {
    int fd = -1;
    std::uint16_t port = 0;
    silent_relay() {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        BOOST_REQUIRE(fd >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        BOOST_REQUIRE(::listen(fd, 8) == 0);
        socklen_t n = sizeof a;
        BOOST_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) == 0);
        port = ntohs(a.sin_port);
    }
    ~silent_relay() { ::close(fd); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(smtp_suite)

BOOST_AUTO_TEST_CASE(a_send_to_a_relay_that_never_answers_gives_up_when_cancelled) {
    silent_relay relay;
    auto url = parse_smtp_url("smtp://127.0.0.1:" + std::to_string(relay.port));
    BOOST_REQUIRE(url.ok());
    // A minute's timeout: the send can only end early by the cancel.
    auto transport =
        smtp_transport(*url, smtp_timeouts{std::chrono::seconds(5), std::chrono::seconds(60)});
    const auto started = std::chrono::steady_clock::now();
    auto sending = std::async(std::launch::async, [&] {
        return transport->send("tijdbank@example.nl", "ans@example.nl",
                               "Subject: test\r\n\r\nHallo\r\n");
    });
    // The send is under way (connected, waiting for a greeting that never comes).
    BOOST_CHECK(sending.wait_for(std::chrono::milliseconds(500)) == std::future_status::timeout);
    transport->cancel();
    BOOST_REQUIRE(sending.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    const auto r = sending.get();
    const auto took = std::chrono::steady_clock::now() - started;
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_EQUAL(r.err().code, errc::stopped);
    BOOST_CHECK_MESSAGE(took < std::chrono::seconds(30),
                        "the cancelled send took "
                            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                            << " ms");
    // Cancelled: the next send fails at once, without a connection; resume() lifts that (the
    // silent relay then holds it again until its connect-and-greeting wait is cancelled).
    const auto again = transport->send("tijdbank@example.nl", "ans@example.nl", "x\r\n");
    BOOST_REQUIRE(!again.ok());
    BOOST_CHECK_EQUAL(again.err().code, errc::stopped);
    transport->resume();
    auto resumed = std::async(std::launch::async, [&] {
        return transport->send("tijdbank@example.nl", "ans@example.nl", "x\r\n");
    });
    BOOST_CHECK(resumed.wait_for(std::chrono::milliseconds(500)) == std::future_status::timeout);
    transport->cancel();
    BOOST_REQUIRE(resumed.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    BOOST_CHECK_EQUAL(resumed.get().err().code, errc::stopped);
}

BOOST_AUTO_TEST_SUITE_END()
