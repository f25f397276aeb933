#pragma once
// A small HTTP/1.1 server (Boost.Beast, synchronous): one accept thread, and one thread per
// connection, at most http_connections_max connections at once (beyond that a new connection
// is answered 503 and closed). Keep-alive; a request body is at most http_body_bytes_max bytes
// (else 413 "body_too_large" and the connection is closed); a connection that sends nothing for
// idle_timeout, or takes longer than request_timeout to send one request, is closed, so a stuck
// client cannot hold a thread for ever. The server knows nothing of the API: every request goes
// to one handler (api/http/routes.h), called on the connection's thread.
//
// Ownership and threading: open() binds and listens; start() runs the accept loop on its own
// thread; stop() (also run by the destructor) closes the listening socket, lets requests whose
// handler is running finish their answer (for at most stop_grace), closes every connection, and
// joins every thread it started, so none is left running after it returns.
// The handler must be safe to call from many threads at once, and must not throw (an
// exception that escapes it is answered 500 and logged on stderr). port() and stats() may be
// called from any thread.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ledger/core/base.h"

namespace uurwerk {
inline constexpr std::size_t http_body_bytes_max = 16384;  // a JSON request body
inline constexpr std::size_t http_connections_max = 256;   // concurrent HTTP connections
}  // namespace uurwerk

namespace uurwerk {

struct http_request {
    std::string method;  // "GET", "POST", ...
    std::string target;  // path and query, as sent: "/v1/events?x=1"
    std::string body;
    std::string authorization{};  // the Authorization header, as sent ("" when none)
    std::string cookie{};         // the Cookie header, as sent ("" when none)
    std::string peer{};           // the client's IP address ("" when unknown)
};

struct http_response {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra ones, e.g. Allow
};

using http_handler = std::function<http_response(const http_request&)>;

// Counters of answered requests by status class (1xx..5xx), for /metrics. Thread-safe.
class http_stats {
public:
    void count(unsigned status);
    // Answers with a status in [100 * cls, 100 * cls + 99]; cls from 1 to 5.
    std::uint64_t answered(unsigned cls) const;
    // Connections refused because http_connections_max were open.
    std::uint64_t refused_connections() const { return refused_.load(std::memory_order_relaxed); }
    void count_refused() { refused_.fetch_add(1, std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> by_class_[6] = {};
    std::atomic<std::uint64_t> refused_{0};
};

struct http_server_options {
    std::string host = "127.0.0.1";  // an IPv4 or IPv6 address to bind
    std::uint16_t port = 0;          // 0: any free port (see port())
    std::size_t connections_max = http_connections_max;
    std::size_t body_bytes_max = http_body_bytes_max;
    std::size_t header_bytes_max = 8192;
    std::chrono::milliseconds idle_timeout{30'000};     // no byte for this long: close
    std::chrono::milliseconds request_timeout{60'000};  // one request, header to body end
    std::chrono::milliseconds stop_grace{5'000};        // stop() lets answers being made finish
};

class http_server {
public:
    // Binds and listens (nothing is accepted before start()). Errors: "bad_address" (the host
    // is not an IP address), "listen_failed" (the port is taken, or not allowed). `stats`
    // counts every answer, including the server's own 400, 413 and 503; it must outlive the
    // server.
    [[nodiscard]] static result<std::unique_ptr<http_server>> open(
        const http_server_options& options, http_handler handler, http_stats& stats);
    ~http_server();

    // Starts the accept thread. Called once.
    void start();
    // Closes the listening socket and every connection, joins every thread. Idempotent.
    void stop();

    // The port actually bound (the chosen one when options.port was 0).
    std::uint16_t port() const { return port_; }
    // Connections being served right now.
    std::size_t connections() const;

    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    struct impl;

private:
    explicit http_server(std::unique_ptr<impl> impl, std::uint16_t port);
    std::unique_ptr<impl> impl_;
    std::uint16_t port_ = 0;
};

}  // namespace uurwerk
