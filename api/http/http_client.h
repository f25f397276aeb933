#pragma once
// A small synchronous HTTP/1.1 client (Boost.Beast) for the CLI, the benchmarks and the tests:
// one request per connection, with a connect timeout and a timeout for the whole reply. Every
// failure is a value, never an exception. Over https (api/http/tls.h), the server's certificate
// is checked against the system's CA store (or only a given CA file's) and its name against the
// host asked for; a failed check is an error, never a fallback to anything weaker.
//
// Threading: http_call() keeps no state; call it from any number of threads at once.

#include <chrono>
#include <cstdint>
#include <filesystem>
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
