#pragma once
// A small synchronous HTTP/1.1 client (Boost.Beast) for the CLI, the benchmarks and the tests:
// one request per connection, with a connect timeout and a timeout for the whole reply; and
// an asynchronous one for load generators (http_async_client, below). Every
// failure is a value, never an exception. Over https (api/http/tls.h), the server's certificate
// is checked against the system's CA store (or only a given CA file's) and its name against the
// host asked for; a failed check is an error, never a fallback to anything weaker.
//
// Threading: http_call() keeps no state; call it from any number of threads at once.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "ledger/core/base.h"

namespace uurwerk {

struct http_reply {
    unsigned status = 0;
    std::string content_type;
    std::string body;
};

enum class http_scheme : std::uint8_t { http, https };

struct http_call_options {
    std::chrono::milliseconds connect_timeout{5'000};
    std::chrono::milliseconds reply_timeout{60'000};  // from the request's first byte sent
    std::size_t reply_bytes_max = 64u << 20;
    std::string authorization{};  // the Authorization header of every request ("" = none)
    http_scheme scheme = http_scheme::http;
    // https: the CA certificates (PEM) to trust instead of the system's ("" = the system's).
    std::filesystem::path ca_file{};
};

// Sends `method target` with `body` (as application/json when not empty) to host:port and
// reads the reply. Any status is a reply; errors are for when there is none:
// "server_unreachable" (no such host, or the connection was refused or timed out; the message
// names the address; over https also: no TLS handshake, or a certificate that is not trusted or
// not for the host, which the message says), "bad_argument" (a CA file missing or not PEM),
// "server_timeout" (connected, but no whole reply in time), "server_closed" (the connection closed
// before the reply), "bad_reply" (not HTTP, or larger than reply_bytes_max). One connection to a
// server, kept alive for many requests (as a busy client does). Not thread-safe: one thread uses a
// connection at a time. Errors as for http_call; after an error the connection is not to be used
// again (open a new one).
class http_connection {
public:
    [[nodiscard]] static result<std::unique_ptr<http_connection>> open(
        const std::string& host, std::uint16_t port, const http_call_options& options = {});
    ~http_connection();
    [[nodiscard]] result<http_reply> call(std::string_view method, std::string_view target,
                                          std::string_view body = {});

private:
    friend result<http_reply> http_call(const std::string&, std::uint16_t, std::string_view,
                                        std::string_view, std::string_view,
                                        const http_call_options&);
    struct impl;
    explicit http_connection(std::unique_ptr<impl> m);
    [[nodiscard]] static result<void> start_tls(impl& m,
                                                std::chrono::steady_clock::time_point deadline);
    std::unique_ptr<impl> impl_;
};

[[nodiscard]] result<http_reply> http_call(const std::string& host, std::uint16_t port,
                                           std::string_view method, std::string_view target,
                                           std::string_view body = {},
                                           const http_call_options& options = {});

// The bytes of one HTTP/1.1 request as http_connection::call sends it (keep-alive, the body as
// application/json when not empty), for a client that prepares its requests before it sends
// them (http_async_client).
[[nodiscard]] std::string http_request_bytes(std::string_view method, std::string_view target,
                                             std::string_view host, std::string_view body = {},
                                             std::string_view authorization = {});

// A load generator's client (the benchmarks): `connections` keep-alive connections to one
// server, all driven by one thread of its own ("uw-http-client") with Asio's asynchronous calls,
// each with at most one request in flight (the server answers a connection's requests one at a
// time anyway). Requests are sent as prepared bytes (http_request_bytes), so that what a client
// does before sending (building the JSON, signing) is not part of what it measures, and waiting
// for an answer costs no thread. Plain HTTP only.
//
// Ownership and threading: open() connects every connection (within options.connect_timeout
// each) and starts the thread; the destructor closes every connection and joins it (answers
// not yet come are then dropped: their callbacks are not called). send() may be called from
// any thread, and from inside a callback; callbacks run on the client's thread, one at a time,
// so they must be quick.
class http_async_client {
public:
    using reply_callback = std::function<void(result<http_reply>)>;
    // Errors: as http_connection::open ("server_unreachable"); "bad_argument" for https.
    [[nodiscard]] static result<std::unique_ptr<http_async_client>> open(
        const std::string& host, std::uint16_t port, std::size_t connections,
        const http_call_options& options = {});
    ~http_async_client();
    std::size_t connections() const;
    // Sends `request` (whole request bytes; they must stay valid until `done` is called) on
    // connection `c` (< connections()), which must have no request in flight; `done` gets the
    // reply, or an error as http_connection::call's (options.reply_timeout applies from the
    // send). After an error the connection is closed: later sends on it answer "server_closed".
    void send(std::size_t c, std::string_view request, reply_callback done);

    http_async_client(const http_async_client&) = delete;
    http_async_client& operator=(const http_async_client&) = delete;

private:
    struct impl;
    explicit http_async_client(std::unique_ptr<impl> m);
    std::unique_ptr<impl> impl_;
};

struct http_address {
    std::string host;
    std::uint16_t port = 0;
    http_scheme scheme = http_scheme::http;
};

// "http://127.0.0.1:8080", "http://127.0.0.1:8080/", "127.0.0.1:8080", "http://[::1]:8080",
// "http://localhost" (port 80), "https://node.example.org" (port 443), "https://[::1]:8443".
// Errors: "bad_url" with what is wrong (another scheme, no host, a bad port, a path).
[[nodiscard]] result<http_address> parse_http_url(std::string_view url);

}  // namespace uurwerk
