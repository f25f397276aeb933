#pragma once
// The HTTP/1.1 server (Boost.Beast's asynchronous API): a few I/O threads (io_threads) wait on
// every socket at once, so an open connection costs memory (about a kilobyte while idle), not a
// thread. A complete request goes to a worker (a pool that grows on demand up to workers_max),
// which runs the handler: handlers may block (a long poll, a digest of the store) without
// holding up any other connection's I/O. A request that an asynchronous route takes (the
// submission of events) goes to a pool of its own, a few threads (async_workers), and holds its
// worker only while it is checked: its answer comes later, from any thread, and the connection
// waits for it with no thread at all.
//
// Limits, each answered or cut off without touching any other client:
// - connections_max open at once (capped by the process's file descriptors), and
//   connections_per_address_max from one client address; beyond either, a new connection is
//   answered 503 "too_many_connections" (with Retry-After) and closed;
// - a request's header within header_timeout of its first byte, its body within
//   request_timeout, the next request's first byte within idle_timeout (else the connection is
//   closed: a slow client, "slowloris", holds only its own connections);
// - a header of at most header_bytes_max, a body of at most body_bytes_max (else 400 or 413
//   "body_too_large"); after such an error answer the server stops sending and reads and drops
//   what the client still sends (a lingering close, up to linger and linger_bytes_max), so a
//   client that is still sending its body reads the answer instead of a reset;
// - at most waiting_requests_max complete requests waiting for a worker, and as many waiting
//   for an asynchronous route's worker (beyond, 503 "too_many_waiting").
// Keep-alive and pipelined requests are answered in order, one at a time per connection.
// An answer may be a stream (http_stream: server-sent events), which then holds its connection
// until either side closes it: it costs the connection, a timer and at most
// stream_queue_bytes_max of parts not yet written (a client that reads slower is cut off), and
// no thread. stop() closes every stream.
//
// TLS (options.tls, chosen when the server opens): the same server and the same session code,
// with TLS 1.2 or 1.3 (api/http/tls.h) between the socket and HTTP. A connection's handshake
// must end within header_timeout of its accept and counts against both connection limits, so a
// client that connects and never says hello is cut off as a slowloris is. A connection over a
// limit is answered its 503 after the handshake. The lingering close drops the client's raw
// bytes, undecrypted.
//
// Behind a reverse proxy (options.trusted_proxy), every connection comes from the proxy: the
// per-address limit does not apply to it, and a request's peer is the client the proxy names.
//
// Ownership and threading: open() binds and listens; start() starts the I/O threads; stop()
// (also run by the destructor) closes the listening socket, lets requests whose handler is
// running finish their answer (for at most stop_grace), closes every connection, and joins
// every thread it started, so none is left running after it returns. Handlers must be safe to
// call from many threads at once and must not throw (an exception that escapes one is answered
// 500 and logged on stderr). port(), connections() and stats() may be called from any thread.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ledger/core/base.h"

namespace uurwerk {
inline constexpr std::size_t http_body_bytes_max = 16384;             // a JSON request body
inline constexpr std::size_t http_connections_max = 16384;            // concurrent HTTP connections
inline constexpr std::size_t http_connections_per_address_max = 256;  // from one client address
}  // namespace uurwerk

namespace uurwerk {

struct http_request {
    std::string method;  // "GET", "POST", ...
    std::string target;  // path and query, as sent: "/v1/events?x=1"
    std::string body;
    std::string authorization{};  // the Authorization header, as sent ("" when none)
    std::string cookie{};         // the Cookie header, as sent ("" when none)
    std::string peer{};  // the client's IP address ("" when unknown); see trusted_proxy below
    std::string last_event_id{};  // the Last-Event-ID header (an event stream resumed), or ""
};

// The writing end of an answer sent in parts (http_stream). Held by whoever produces the parts
// (shared with the connection). Thread-safe: every function may be called from any thread.
class http_stream_sink {
public:
    virtual ~http_stream_sink() = default;
    // Queues `part` to be written after the parts before it. False, and `part` dropped, once
    // the stream is closed: by the client, by the server stopping, by end(), or because the
    // client reads too slowly (more than stream_queue_bytes_max bytes queued: it is closed).
    virtual bool send(std::string part) = 0;
    // Ends the answer once the parts queued are written, then closes the connection.
    virtual void end() = 0;
    [[nodiscard]] virtual bool closed() const = 0;
    // `fn` is called once when the stream closes, on the connection's I/O thread (at once, on
    // the calling thread, when it has closed already). Quick; it may drop what feeds the sink.
    virtual void on_close(std::function<void()> fn) = 0;
};

// An answer sent in parts for as long as the connection stays (server-sent events): the status
// and headers are written at once, with no length (chunked over HTTP/1.1), then each part as it
// is sent. The connection is the stream's until either side closes it; the idle and request
// timeouts do not apply, a heartbeat does.
struct http_stream {
    // Called once, on the connection's I/O thread, after the header is written. Quick.
    std::function<void(std::shared_ptr<http_stream_sink>)> opened;
    // Written whenever nothing else was for `heartbeat`, so that proxies keep the connection and
    // a client that is gone is found out.
    std::chrono::milliseconds heartbeat{15'000};
    std::string heartbeat_part;
    // Asked at each heartbeat, on the I/O thread (quick): false ends the stream (its reader may
    // no longer read it). Optional.
    std::function<bool()> still_allowed{};
};

struct http_response {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra ones, e.g. Allow
    // Set: `body` is ignored, and the answer is this stream (only for a 2xx answer to a GET).
    std::shared_ptr<http_stream> stream{};
};

using http_handler = std::function<http_response(const http_request&)>;

// The answer to a request that an asynchronous route took: call it once, from any thread, at
// any later time (or before handle() returns). Later calls, and a call after the connection
// closed or the server stopped, do nothing.
using http_answer = std::function<void(http_response)>;

// A route whose handler answers later without holding a thread while it waits (the submission
// of events: the node answers once the projector has applied the event).
struct http_async_route {
    // Whether this route takes the request (else the blocking handler gets it). Quick, pure.
    std::function<bool(const http_request&)> takes;
    // Starts the request on a worker thread; `answer` is called once with its answer.
    std::function<void(const http_request&, http_answer answer)> handle;
    // If no answer came within `answer_timeout`, the server answers late(request) instead.
    std::chrono::milliseconds answer_timeout{10'000};
    std::function<http_response(const http_request&)> late;
};

// Counters of answered requests by status class (1xx..5xx), for /metrics. Thread-safe.
class http_stats {
public:
    void count(unsigned status);
    // Answers with a status in [100 * cls, 100 * cls + 99]; cls from 1 to 5.
    std::uint64_t answered(unsigned cls) const;
    // Connections refused because the server's or the address's maximum were open.
    std::uint64_t refused_connections() const { return refused_.load(std::memory_order_relaxed); }
    void count_refused() { refused_.fetch_add(1, std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> by_class_[6] = {};
    std::atomic<std::uint64_t> refused_{0};
};

// The PEM files of a TLS server: its certificate (the chain, leaf first) and its private key.
struct tls_files {
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
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
    std::size_t connections_per_address_max = http_connections_per_address_max;
    std::chrono::milliseconds header_timeout{10'000};  // a request's first byte to its header's end
    std::chrono::milliseconds linger{5'000};   // after an error answer, read and drop this long
    std::size_t linger_bytes_max = 64u << 20;  // ... and at most this much
    std::size_t io_threads = 0;                // 0: one per core, at most 4
    std::size_t workers_max = 128;             // threads running handlers (long polls block one)
    // Threads running the asynchronous route's checks (a submission's JSON and signature: CPU
    // work, which more threads than cores only slows down); 0: two per core, at least 4.
    std::size_t async_workers = 0;
    std::size_t waiting_requests_max = 1024;     // complete requests waiting for a worker
    std::optional<tls_files> tls{};              // TLS on every connection; none: plain HTTP
    std::size_t stream_queue_bytes_max = 16384;  // an event stream's parts not yet written
    // A reverse proxy's IP address ("" = none). Its connections are not held to
    // connections_per_address_max, and a request that comes through it has as its peer the
    // last address of its X-Forwarded-For (the one the proxy appended; those before it are the
    // client's word), or no address at all ("") when it has none. Every other client's
    // X-Forwarded-For is ignored.
    std::string trusted_proxy{};
    // Called on the I/O thread with each complete request before it goes to a worker; when it
    // returns an answer, that is the answer and no worker is used (the rate quotas refuse a
    // client that is over its quota already). Must be quick and never block. Optional.
    std::function<std::optional<http_response>(const http_request&)> refuse_early{};
};

class http_server {
public:
    // Binds and listens (nothing is accepted before start()). Errors: "bad_address" (the host,
    // or trusted_proxy, is not an IP address), "listen_failed" (the port is taken, or not
    // allowed), "bad_argument" (options.tls: a file missing or unreadable, not PEM, or a key that
    // is not the certificate's; the message says which, api/http/tls.h). `stats` counts every
    // answer, including the server's own 400, 413 and 503; it must outlive the server.
    [[nodiscard]] static result<std::unique_ptr<http_server>> open(
        const http_server_options& options, http_handler handler, http_stats& stats);
    // The same, with an asynchronous route tried before the handler.
    [[nodiscard]] static result<std::unique_ptr<http_server>> open(
        const http_server_options& options, http_handler handler, http_async_route async,
        http_stats& stats);
    ~http_server();

    // Starts the I/O threads (accepting). Called once.
    void start();
    // Closes the listening socket and every connection, joins every thread. Idempotent.
    void stop();

    // The port actually bound (the chosen one when options.port was 0).
    std::uint16_t port() const { return port_; }
    // Connections being served right now (not those being refused).
    std::size_t connections() const;
    // The most connections served at once: options.connections_max, or less when the process
    // may not open that many files (RLIMIT_NOFILE, less a reserve for the node's own files).
    std::size_t connections_max() const;

    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    struct impl;

private:
    explicit http_server(std::unique_ptr<impl> impl, std::uint16_t port);
    [[nodiscard]] static result<std::unique_ptr<http_server>> open_server(
        const http_server_options& options, http_handler handler,
        std::optional<http_async_route> async, http_stats& stats);
    std::unique_ptr<impl> impl_;
    std::uint16_t port_ = 0;
};

}  // namespace uurwerk
