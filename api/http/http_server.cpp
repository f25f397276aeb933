#include "api/http/http_server.h"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <variant>

#include "api/http/cpu_slice.h"
#include "api/http/error_status.h"
#include "api/http/tls.h"
#include "api/http/worker_pool.h"
#include "api/json/json.h"

#include <openssl/bio.h>
#include <openssl/ssl.h>

namespace uurwerk {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;
using error_code = boost::system::error_code;

// File descriptors the server leaves to the rest of the process (the node's log segments and
// RocksDB's files, at most 256 per partition's store).
constexpr std::size_t fds_reserved = 1024;
// Connections being refused (answered 503 and closed) at once; beyond, one is closed unanswered.
constexpr std::size_t refusing_max = 1024;
// What a request's first read may take in: a submission, header and body, is about 1.5 KiB.
constexpr std::size_t first_read_bytes = 2048;
// How long a refused connection is given to read its 503.
constexpr std::chrono::milliseconds refusal_linger{1'000};

// A request that is not valid HTTP (as opposed to a connection that closed or timed out).
bool is_malformed(const error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_target).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
}

// The bytes of one connection: the TCP socket itself, or TLS over it, as the server was opened.
// The session code below is written once against this stream (Beast's algorithms see one
// AsyncStream); only the handshake and what is already buffered differ.
class server_stream {
public:
    using executor_type = tcp::socket::executor_type;
    using tls_stream = beast::ssl_stream<tcp::socket>;

    // `tls` null: plain HTTP.
    server_stream(tcp::socket socket, asio::ssl::context* tls) : s_(make(std::move(socket), tls)) {}

    tcp::socket& socket() {
        if (auto* t = tls()) return t->next_layer();
        return std::get<tcp::socket>(s_);
    }
    tls_stream* tls() { return std::get_if<tls_stream>(&s_); }
    executor_type get_executor() { return socket().get_executor(); }

    template <typename Buffers, typename Handler>
    void async_read_some(const Buffers& buffers, Handler&& handler) {
        if (auto* t = tls())
            t->async_read_some(buffers, std::forward<Handler>(handler));
        else
            std::get<tcp::socket>(s_).async_read_some(buffers, std::forward<Handler>(handler));
    }
    template <typename Buffers, typename Handler>
    void async_write_some(const Buffers& buffers, Handler&& handler) {
        if (auto* t = tls())
            t->async_write_some(buffers, std::forward<Handler>(handler));
        else
            std::get<tcp::socket>(s_).async_write_some(buffers, std::forward<Handler>(handler));
    }

    // Bytes of the client already read off the socket but not yet given to HTTP (TLS records
    // received with the last one), which a wait on the socket would never see.
    bool has_buffered() {
        auto* t = tls();
        if (t == nullptr) return false;
        SSL* ssl = t->native_handle();
        return SSL_has_pending(ssl) == 1 || BIO_ctrl_pending(SSL_get_rbio(ssl)) > 0;
    }

private:
    static std::variant<tcp::socket, tls_stream> make(tcp::socket socket, asio::ssl::context* tls) {
        if (tls != nullptr)
            return std::variant<tcp::socket, tls_stream>(std::in_place_type<tls_stream>,
                                                         std::move(socket), *tls);
        return std::variant<tcp::socket, tls_stream>(std::in_place_type<tcp::socket>,
                                                     std::move(socket));
    }
    std::variant<tcp::socket, tls_stream> s_;
};

// The client a trusted proxy names: the last address of the request's X-Forwarded-For headers
// (the one the proxy appended), or "" (unknown) when there is none or it is not an address.
template <typename Fields>
std::string forwarded_client(const Fields& fields) {
    std::string last;
    for (auto [it, end] = fields.equal_range("X-Forwarded-For"); it != end; ++it)
        last = std::string(it->value());
    const auto comma = last.rfind(',');
    std::string_view entry = last;
    if (comma != std::string::npos) entry.remove_prefix(comma + 1);
    while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t'))
        entry.remove_prefix(1);
    while (!entry.empty() && (entry.back() == ' ' || entry.back() == '\t')) entry.remove_suffix(1);
    error_code ec;
    const auto address = asio::ip::make_address(std::string(entry), ec);
    return ec ? std::string() : address.to_string();
}

// Open until stop() closes it, after which no answer is handed to a connection any more (the
// I/O threads are about to end). Shared with answers that may come after the server is gone.
struct answer_gate {
    std::mutex mutex;
    bool open = true;  // under mutex
};

// The most connections the process's files allow, having raised its soft limit to the hard one
// (a server's connections are its files).
std::size_t connections_the_fds_allow() {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return fds_reserved;
    if (r.rlim_cur < r.rlim_max) {
        rlimit raised = r;
        raised.rlim_cur = r.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) r = raised;
    }
    if (r.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
    const auto fds = static_cast<std::size_t>(r.rlim_cur);
    return fds > 2 * fds_reserved ? fds - fds_reserved : fds / 2;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

void http_stats::count(unsigned status) {
    unsigned cls = status / 100;
    if (cls < 1 || cls > 5) cls = 5;
    by_class_[cls].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t http_stats::answered(unsigned cls) const {
    UURWERK_ASSERT(cls >= 1 && cls <= 5, cls);
    return by_class_[cls].load(std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------------------------

class http_connection_state;

struct http_server::impl {
    impl(const http_server_options& o, http_handler h, std::optional<http_async_route> a,
         http_stats& s)
        : options(o), handler(std::move(h)), async(std::move(a)), stats(s) {}

    http_server_options options;
    http_handler handler;
    std::optional<http_async_route> async;
    http_stats& stats;
    std::size_t limit = 0;  // connections served at once (options, capped by the files)
    std::shared_ptr<asio::ssl::context> tls;  // null: plain HTTP
    std::optional<asio::ip::address> proxy;   // options.trusted_proxy

    asio::io_context io;
    tcp::acceptor acceptor{asio::make_strand(io)};
    asio::steady_timer accept_pause{acceptor.get_executor()};  // after EMFILE and the like
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::vector<std::thread> io_threads;
    std::shared_ptr<answer_gate> gate = std::make_shared<answer_gate>();

    mutable std::mutex mutex;
    std::condition_variable changed;  // a connection closed (under mutex)
    std::unordered_map<const http_connection_state*, std::shared_ptr<http_connection_state>>
        open;                                              // under mutex
    std::map<asio::ip::address, std::size_t> per_address;  // under mutex
    std::atomic<std::size_t> refusing{0};                  // refused, still closing
    bool started = false;                                  // under mutex
    std::atomic<bool> stopping{false};
    std::unique_ptr<worker_pool> workers;        // last: destroyed first, joined by stop()
    std::unique_ptr<worker_pool> async_workers;  // the asynchronous route's (null: none)

    void accept();
    void accepted(const error_code& ec, tcp::socket socket);
    void forget(const http_connection_state* c, const asio::ip::address& peer);
};

// One connection, from accept to close. Every member is touched only on the connection's
// strand (the executor of its socket), except through post().
class http_connection_state : public std::enable_shared_from_this<http_connection_state> {
public:
    enum class kind : std::uint8_t { served, refused };

    http_connection_state(http_server::impl& server, tcp::socket socket, asio::ip::address peer,
                          kind k)
        : server_(server),
          stream_(std::move(socket), server.tls.get()),
          timer_(stream_.get_executor()),
          timer_step_(std::max<steady::duration>(
              std::chrono::milliseconds(1),
              std::min(
                  {server.options.header_timeout, server.options.idle_timeout,
                   server.options.request_timeout,
                   server.async ? server.async->answer_timeout : server.options.request_timeout}))),
          peer_(std::move(peer)),
          peer_text_(peer_.to_string()),
          kind_(k),
          buffer_(server.options.header_bytes_max + server.options.body_bytes_max + 4096) {}

    // Starts serving (or refusing, with `why`): called once, on any thread.
    void start(std::string why = {}) {
        asio::post(stream_.get_executor(), [self = shared_from_this(), why = std::move(why)] {
            self->arm_timer();
            if (self->stream_.tls() != nullptr) return self->handshake(why);
            self->begin(why);
        });
    }

    // stop(): closes the connection unless a handler is working on its request (that one is
    // answered, with "Connection: close", then closed). With `force`, closes it anyway.
    void stop(bool force) {
        asio::post(stream_.get_executor(), [self = shared_from_this(), force] {
            if (force || self->phase_ == phase::handshaking || self->phase_ == phase::waiting ||
                self->phase_ == phase::reading || self->phase_ == phase::streaming)
                self->close();
        });
    }

private:
    enum class phase : std::uint8_t {
        handshaking,
        waiting,
        reading,
        busy,
        writing,
        streaming,  // answering with an http_stream, until either side closes
        lingering,
        closed
    };

    void begin(const std::string& why) {
        if (kind_ == kind::refused)
            refuse(why);
        else
            next_request();
    }

    // TLS: the handshake, within the header timeout of the accept (a refused connection's
    // within the refusal's linger), then the requests (or the refusal) as over plain TCP.
    void handshake(std::string why) {
        phase_ = phase::handshaking;
        deadline_in(kind_ == kind::refused ? refusal_linger : server_.options.header_timeout);
        stream_.tls()->async_handshake(
            asio::ssl::stream_base::server,
            [self = shared_from_this(), why = std::move(why)](error_code ec) {
                if (self->phase_ == phase::closed) return;
                if (ec) return self->close();  // not TLS, an old version, or gone: no answer
                self->begin(why);
            });
    }

    // The one timer of the connection: when `deadline_` passes, on_deadline() acts by phase.
    // The timer sleeps until the deadline or for at most timer_step_ (the shortest of the
    // server's timeouts and the asynchronous route's), then wakes, acts if the deadline has passed,
    // and sleeps again. So a deadline set `timer_step_` or more ahead is never sooner than the
    // timer's wake-up: a request's phases (idle, header, body, the answer) move the deadline
    // without touching the timer (each move a cancelled wait, a handler and the timer queue's lock
    // before). Only a deadline sooner than the wake-up (a refusal's or a lingering close's, a
    // stream's heartbeat) re-arms it.
    void arm_timer() {
        timer_.async_wait([self = shared_from_this()](const error_code&) {
            if (self->phase_ == phase::closed) return;
            auto now = steady::now();
            if (self->deadline_ <= now) {
                // on_deadline() closes, or moves the deadline on (to the write of a late answer).
                self->on_deadline();
                if (self->phase_ == phase::closed) return;
                now = steady::now();
            }
            const auto step = now + self->timer_step_;
            self->timer_.expires_at(self->deadline_ < step ? self->deadline_ : step);
            self->arm_timer();
        });
    }
    void deadline(steady::time_point t) {
        deadline_ = t;
        if (t < timer_.expiry()) timer_.expires_at(t);  // sooner: the wait re-arms itself
    }
    void deadline_in(std::chrono::milliseconds d) { deadline(steady::now() + d); }

    void on_deadline() {
        if (phase_ == phase::streaming) return stream_deadline();
        if (phase_ == phase::busy && slot_ && !slot_->taken.exchange(true)) {
            // An asynchronous route did not answer in time: its own late answer.
            answered(server_.async->late(*request_));
            return;
        }
        if (phase_ == phase::busy) {
            deadline(steady::time_point::max());  // a handler is running: wait for it
            return;
        }
        close();  // idle, slow to send, slow to read, or done lingering
    }

    // Waits for the next request's first byte without holding a buffer: an idle connection
    // costs its socket, its timer and this object.
    void next_request() {
        if (server_.stopping.load()) return close();
        phase_ = phase::waiting;
        if (buffer_.size() > 0 || stream_.has_buffered())
            return read_header();  // pipelined: already here
        buffer_.shrink_to_fit();
        deadline_in(server_.options.idle_timeout);
        stream_.socket().async_wait(tcp::socket::wait_read,
                                    [self = shared_from_this()](error_code ec) {
                                        if (self->phase_ == phase::closed) return;
                                        if (ec) return self->close();
                                        self->read_header();
                                    });
    }

    void read_header() {
        phase_ = phase::reading;
        request_start_ = steady::now();
        deadline(request_start_ +
                 std::min(server_.options.header_timeout, server_.options.request_timeout));
        // Room for a whole submission at once (Beast reads 512 bytes at a time into an empty
        // buffer: two or three reads a request). Released again once the connection is idle.
        buffer_.reserve(std::min(first_read_bytes, buffer_.max_size()));
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(server_.options.header_bytes_max));
        parser_->body_limit(server_.options.body_bytes_max);
        http::async_read_header(stream_, buffer_, *parser_,
                                [self = shared_from_this()](error_code ec, std::size_t) {
                                    if (self->phase_ == phase::closed) return;
                                    if (ec) return self->refused(ec);
                                    self->read_body();
                                });
    }

    void read_body() {
        deadline(request_start_ + server_.options.request_timeout);
        auto& header = parser_->get();
        if (beast::iequals(header[http::field::expect], "100-continue")) {
            auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                           header.version());
            http::async_write(stream_, *cont,
                              [self = shared_from_this(), cont](error_code ec, std::size_t) {
                                  if (self->phase_ == phase::closed) return;
                                  if (ec) return self->close();
                                  self->read_rest();
                              });
            return;
        }
        read_rest();
    }

    void read_rest() {
        // A small body mostly comes in the same read as its header: parsed from the buffer at
        // once, without a read (and a handler) of its own; the rest as it comes.
        while (!parser_->is_done() && buffer_.size() > 0) {
            error_code ec;
            const std::size_t used = parser_->put(buffer_.data(), ec);
            buffer_.consume(used);
            if (ec == http::error::need_more || (!ec && used == 0)) break;
            if (ec) return refused(ec);
        }
        if (parser_->is_done()) return dispatch();
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](error_code ec, std::size_t) {
                             if (self->phase_ == phase::closed) return;
                             if (ec) return self->refused(ec);
                             self->dispatch();
                         });
    }

    // A request the parser refused is answered with why; a connection that closed, reset or
    // timed out has nobody to answer.
    void refused(const error_code& e) {
        const auto& o = server_.options;
        if (e == http::error::body_limit)
            fail(errc::body_too_large,
                 "a request body is at most " + std::to_string(o.body_bytes_max) + " bytes");
        else if (e == http::error::header_limit)
            fail(errc::bad_request,
                 "the request's header is over " + std::to_string(o.header_bytes_max) + " bytes");
        else if (is_malformed(e))
            fail(errc::bad_request, "not a valid HTTP/1.1 request: " + e.message());
        else
            close();
    }

    // A complete request: to a worker, which runs the handler or starts the asynchronous route.
    void dispatch() {
        phase_ = phase::busy;
        auto req = parser_->release();
        parser_.reset();
        version_ = req.version();
        head_ = req.method() == http::verb::head;
        keep_alive_ = req.keep_alive();
        // Reads answer from memory in well under a slice; writes check a signature first.
        const bool read = head_ || req.method() == http::verb::get;
        std::string peer =
            server_.proxy && peer_ == *server_.proxy ? forwarded_client(req) : peer_text_;
        request_ = std::make_shared<http_request>(http_request{
            std::string(req.method_string()), std::string(req.target()), std::move(req.body()),
            std::string(req[http::field::authorization]), std::string(req[http::field::cookie]),
            std::move(peer), std::string(req["Last-Event-ID"])});
        if (server_.options.refuse_early)
            if (auto refused = server_.options.refuse_early(*request_))
                return answered(std::move(*refused));
        const bool async = server_.async && server_.async->takes(*request_);
        slot_ = std::make_shared<answer_slot>();
        slot_->to = weak_from_this();
        slot_->gate = server_.gate;
        deadline(async ? steady::now() + server_.async->answer_timeout : steady::time_point::max());
        auto task = [&server = server_, request = request_, slot = slot_, read, async] {
            (void)use_cpu_slice(read ? cpu_slice::short_0_1ms : cpu_slice::standard);
            if (async) {
                server.async->handle(*request,
                                     [slot](http_response r) { deliver(slot, std::move(r)); });
                return;
            }
            http_response out;
            try {
                out = server.handler(*request);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "uurwerk: http: the handler threw on %s %s: %s\n",
                             request->method.c_str(), request->target.c_str(), e.what());
                out = {http_status_for(errc::internal_error),
                       "application/json",
                       error_json(errc::internal_error, "the server failed; see its log"),
                       {}};
            }
            deliver(slot, std::move(out));
        };
        // A submission's checks are CPU work: on a few threads of their own, so that a burst
        // of them neither grows the pool that blocking handlers need nor makes more threads
        // than the cores can run (each switch between them costs CPU).
        auto& pool = async ? *server_.async_workers : *server_.workers;
        if (!pool.try_post(std::move(task))) {
            slot_->taken = true;
            keep_alive_ = false;
            answered(http_response{
                http_status_for(errc::too_many_waiting),
                "application/json",
                error_json(errc::too_many_waiting,
                           "the server has " +
                               std::to_string(server_.options.waiting_requests_max) +
                               " requests waiting for a worker, its maximum; try again in a "
                               "moment"),
                {{"Retry-After", "1"}}});
        }
    }

    // Where a handler's answer goes: to the connection's strand, once, while the server runs.
    struct answer_slot {
        std::atomic<bool> taken{false};  // answered, or answered late
        std::weak_ptr<http_connection_state> to;
        std::shared_ptr<answer_gate> gate;
    };
    static void deliver(const std::shared_ptr<answer_slot>& slot, http_response r) {
        if (slot->taken.exchange(true)) return;
        std::lock_guard lock(slot->gate->mutex);
        if (!slot->gate->open) return;
        auto c = slot->to.lock();
        if (!c) return;
        asio::post(c->stream_.get_executor(), [c, r = std::move(r)]() mutable {
            if (c->phase_ == phase::busy) c->answered(std::move(r));
        });
    }

    void answered(http_response out) {
        slot_.reset();
        request_.reset();
        if (out.stream && !head_ && out.status / 100 == 2) return start_stream(std::move(out));
        out.stream.reset();  // HEAD: the header a GET would have had, and no stream
        keep_alive_ = keep_alive_ && !server_.stopping.load();
        if (version_ == 11 && !head_ && out.headers.empty() && out.status >= 200 &&
            out.status != 204 && out.status != 304)  // those three have no Content-Length
            return send_plain(std::move(out));
        auto res = std::make_shared<http::response<http::string_body>>();
        res->version(version_);
        res->result(out.status);
        res->set(http::field::server, "uurwerk");
        res->set(http::field::content_type, out.content_type);
        for (const auto& [name, value] : out.headers) res->set(name, value);
        res->body() = std::move(out.body);
        res->keep_alive(keep_alive_);
        send(std::move(res), head_ ? body_part::header_only : body_part::whole, after::next);
    }

    // The common answer (HTTP/1.1, a body, no header of the route's own; every submission's):
    // the bytes Beast's serializer writes (the status line, Server, Content-Type, "Connection:
    // close" when it closes, Content-Length), put together here in a buffer the connection
    // keeps and written with the body in one call, without the message's fields, the
    // serializer and their allocations.
    void send_plain(http_response out) {
        phase_ = phase::writing;
        head_bytes_.clear();
        head_bytes_.append("HTTP/1.1 ").append(std::to_string(out.status)).append(" ");
        const auto reason = http::obsolete_reason(static_cast<http::status>(out.status));
        head_bytes_.append(reason.data(), reason.size());
        head_bytes_.append("\r\nServer: uurwerk\r\nContent-Type: ").append(out.content_type);
        if (!keep_alive_) head_bytes_.append("\r\nConnection: close");
        head_bytes_.append("\r\nContent-Length: ")
            .append(std::to_string(out.body.size()))
            .append("\r\n\r\n");
        body_bytes_ = std::move(out.body);
        deadline_in(server_.options.request_timeout);
        server_.stats.count(out.status);  // before the write: a reader sees it counted
        const std::array<asio::const_buffer, 2> both{asio::buffer(head_bytes_),
                                                     asio::buffer(body_bytes_)};
        asio::async_write(stream_, both, [self = shared_from_this()](error_code ec, std::size_t) {
            if (self->phase_ == phase::closed) return;
            if (ec) return self->close();
            self->body_bytes_ = std::string();  // an idle connection keeps no answer
            if (!self->keep_alive_) return self->close_after_answer();
            self->next_request();
        });
    }

    // --- An answer sent in parts (http_stream) ---------------------------------------------

    // The sink the stream's producer holds. Its counters are atomic; everything else it does
    // is posted to the connection's strand.
    struct stream_sink final : http_stream_sink {
        stream_sink(std::weak_ptr<http_connection_state> c, std::size_t max)
            : to(std::move(c)), queue_max(max) {}

        bool send(std::string part) override {
            if (closed_.load()) return false;
            const std::size_t n = part.size();
            if (queued.fetch_add(n) + n > queue_max) {
                // The client reads slower than the parts come: cut off, not buffered further.
                queued.fetch_sub(n);
                on_strand([](http_connection_state& c) { c.close(); });
                return false;
            }
            auto c = to.lock();
            if (!c) return false;
            asio::post(c->stream_.get_executor(),
                       [c, part = std::move(part)]() mutable { c->queue_part(std::move(part)); });
            return true;
        }
        void end() override {
            on_strand([](http_connection_state& c) { c.end_stream(); });
        }
        bool closed() const override { return closed_.load(); }
        void on_close(std::function<void()> fn) override {
            std::unique_lock lock(mutex);
            if (close_called) {
                lock.unlock();
                fn();
                return;
            }
            close_fn = std::move(fn);
        }
        // From close(), on the strand.
        void mark_closed() {
            closed_.store(true);
            std::function<void()> fn;
            {
                std::lock_guard lock(mutex);
                close_called = true;
                fn = std::move(close_fn);
            }
            if (fn) fn();
        }
        template <typename Fn>
        void on_strand(Fn fn) {
            if (auto c = to.lock()) asio::post(c->stream_.get_executor(), [c, fn] { fn(*c); });
        }

        const std::weak_ptr<http_connection_state> to;
        const std::size_t queue_max;
        std::atomic<std::size_t> queued{0};  // bytes sent and not yet written
        std::atomic<bool> closed_{false};
        std::mutex mutex;
        std::function<void()> close_fn;  // under mutex
        bool close_called = false;       // under mutex
    };
    struct stream_part {
        std::string bytes;        // framed (a chunk)
        std::size_t counted = 0;  // what it counts in the sink's queue (0: a heartbeat)
    };

    void start_stream(http_response out) {
        if (server_.stopping.load()) return close();
        stream_answer_ = std::move(out.stream);
        chunked_ = version_ >= 11;  // HTTP/1.0: the body ends when the connection closes
        auto res = std::make_shared<http::response<http::empty_body>>(
            static_cast<http::status>(out.status), version_);
        res->set(http::field::server, "uurwerk");
        res->set(http::field::content_type, out.content_type);
        for (const auto& [name, value] : out.headers) res->set(name, value);
        res->keep_alive(false);
        if (chunked_) res->chunked(true);
        phase_ = phase::writing;
        deadline_in(server_.options.request_timeout);
        server_.stats.count(res->result_int());
        auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
        http::async_write_header(stream_, *sr,
                                 [self = shared_from_this(), res, sr](error_code ec, std::size_t) {
                                     if (self->phase_ == phase::closed) return;
                                     if (ec) return self->close();
                                     self->streaming();
                                 });
    }

    // The header is out: the stream is open until either side closes it.
    void streaming() {
        phase_ = phase::streaming;
        buffer_.clear();
        buffer_.shrink_to_fit();
        next_beat_ = steady::now() + stream_answer_->heartbeat;
        deadline(next_beat_);
        // Anything the client sends now (a stream takes no further request), or its close,
        // ends the stream.
        peek_ = std::make_unique<std::array<char, 64>>();
        stream_.async_read_some(asio::buffer(*peek_),
                                [self = shared_from_this()](error_code, std::size_t) {
                                    if (self->phase_ == phase::closed) return;
                                    self->close();
                                });
        sink_ =
            std::make_shared<stream_sink>(weak_from_this(), server_.options.stream_queue_bytes_max);
        if (stream_answer_->opened) stream_answer_->opened(sink_);
    }

    std::string framed(const std::string& part) const {
        if (!chunked_) return part;
        char size[20];
        const int n = std::snprintf(size, sizeof size, "%zx\r\n", part.size());
        std::string out;
        out.reserve(static_cast<std::size_t>(n) + part.size() + 2);
        out.append(size, static_cast<std::size_t>(n)).append(part).append("\r\n");
        return out;
    }

    void queue_part(std::string part) {
        const std::size_t n = part.size();
        // Closed while the part was on its way to this strand (the producer saw the stream
        // open, then the client went): the sink is let go, and nobody counts the part any more.
        if (!sink_) return;
        if (phase_ != phase::streaming || ending_ || part.empty()) {
            sink_->queued.fetch_sub(n);
            return;
        }
        parts_.push_back(stream_part{framed(part), n});
        write_part();
    }

    void write_part() {
        if (writing_part_) return;
        if (parts_.empty()) {
            if (ending_) finish_stream();
            return;
        }
        writing_part_ = true;
        write_since_ = steady::now();
        deadline(std::min(next_beat_, write_since_ + server_.options.request_timeout));
        asio::async_write(stream_, asio::buffer(parts_.front().bytes),
                          [self = shared_from_this()](error_code ec, std::size_t) {
                              if (self->phase_ == phase::closed) return;
                              if (ec) return self->close();
                              self->writing_part_ = false;
                              self->sink_->queued.fetch_sub(self->parts_.front().counted);
                              self->parts_.pop_front();
                              self->next_beat_ = steady::now() + self->stream_answer_->heartbeat;
                              self->deadline(self->next_beat_);
                              self->write_part();
                          });
    }

    // A heartbeat, a reader no longer allowed, or a client that does not read its parts.
    void stream_deadline() {
        const auto now = steady::now();
        if (writing_part_ && now >= write_since_ + server_.options.request_timeout)
            return close();  // it has not read a part for the request timeout: gone or stuck
        if (now >= next_beat_) {
            next_beat_ = now + stream_answer_->heartbeat;
            if (stream_answer_->still_allowed && !stream_answer_->still_allowed())
                return end_stream();
            if (!writing_part_ && parts_.empty() && !stream_answer_->heartbeat_part.empty()) {
                parts_.push_back(stream_part{framed(stream_answer_->heartbeat_part), 0});
                write_part();
            }
        }
        deadline(writing_part_
                     ? std::min(next_beat_, write_since_ + server_.options.request_timeout)
                     : next_beat_);
    }

    void end_stream() {
        if (phase_ != phase::streaming) return;
        ending_ = true;
        write_part();
    }

    // Every part is written: the last chunk, then the connection closes.
    void finish_stream() {
        if (!chunked_) return close_after_answer();
        writing_part_ = true;
        parts_.push_back(stream_part{"0\r\n\r\n", 0});
        asio::async_write(stream_, asio::buffer(parts_.front().bytes),
                          [self = shared_from_this()](error_code, std::size_t) {
                              if (self->phase_ == phase::closed) return;
                              self->close_after_answer();
                          });
    }

    // An error answer that ends the connection, then a lingering close.
    void fail(errc code, const std::string& message) {
        auto res = std::make_shared<http::response<http::string_body>>(
            static_cast<http::status>(http_status_for(code)), 11);
        res->set(http::field::server, "uurwerk");
        res->set(http::field::content_type, "application/json");
        res->keep_alive(false);
        res->body() = error_json(code, message);
        parser_.reset();
        send(std::move(res), body_part::whole, after::linger);
    }

    // Over a limit: 503 at once, without reading the request, then a short linger.
    void refuse(const std::string& why) {
        server_.stats.count_refused();
        auto res = std::make_shared<http::response<http::string_body>>(
            static_cast<http::status>(http_status_for(errc::too_many_connections)), 11);
        res->set(http::field::server, "uurwerk");
        res->set(http::field::content_type, "application/json");
        res->set(http::field::retry_after, "1");
        res->keep_alive(false);
        res->body() = error_json(errc::too_many_connections, why);
        send(std::move(res), body_part::whole, after::linger);
    }

    enum class body_part : std::uint8_t { whole, header_only };  // HEAD: the header only
    enum class after : std::uint8_t { next, linger };

    void send(std::shared_ptr<http::response<http::string_body>> res, body_part part, after then) {
        phase_ = phase::writing;
        res->prepare_payload();
        if (part == body_part::header_only)
            res->body().clear();  // the Content-Length stays: what a GET would have sent
        deadline_in(kind_ == kind::refused ? refusal_linger : server_.options.request_timeout);
        server_.stats.count(res->result_int());  // before the write: a reader sees it counted
        auto sr = std::make_shared<http::response_serializer<http::string_body>>(*res);
        auto done = [self = shared_from_this(), res, sr, then](error_code ec, std::size_t) {
            if (self->phase_ == phase::closed) return;
            if (ec) return self->close();
            if (then == after::linger) return self->linger();
            if (!self->keep_alive_) return self->close_after_answer();
            self->next_request();
        };
        if (part == body_part::header_only)
            http::async_write_header(stream_, *sr, std::move(done));
        else
            http::async_write(stream_, *sr, std::move(done));
    }

    // Nothing more to send: read and drop what the client still sends (its body), for at most
    // the linger time and bytes, so that closing does not reset the connection before the
    // client has read the answer. Over TLS the bytes dropped are the raw records, undecrypted.
    void linger() {
        phase_ = phase::lingering;
        error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        if (ec) return close();
        buffer_.clear();
        buffer_.shrink_to_fit();
        deadline_in(kind_ == kind::refused ? refusal_linger : server_.options.linger);
        drain_ = std::make_unique<std::array<char, 4096>>();
        drain_more();
    }
    void drain_more() {
        stream_.socket().async_read_some(
            asio::buffer(*drain_), [self = shared_from_this()](error_code ec, std::size_t n) {
                if (self->phase_ == phase::closed) return;
                self->drained_ += n;
                if (ec || self->drained_ >= self->server_.options.linger_bytes_max)
                    return self->close();
                self->drain_more();
            });
    }

    // "Connection: close" answered: the client sent nothing more, so nothing is left to drop.
    void close_after_answer() {
        error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        close();
    }

    void close() {
        if (phase_ == phase::closed) return;
        phase_ = phase::closed;
        error_code ec;
        stream_.socket().close(ec);
        timer_.cancel();
        parser_.reset();
        drain_.reset();
        peek_.reset();
        parts_.clear();
        if (sink_) sink_->mark_closed();  // its producer lets go of it
        sink_.reset();
        stream_answer_.reset();
        if (kind_ == kind::refused)
            server_.refusing.fetch_sub(1);
        else
            server_.forget(this, peer_);
    }

    http_server::impl& server_;
    server_stream stream_;
    asio::steady_timer timer_;
    steady::time_point deadline_ = steady::time_point::max();  // see arm_timer()
    const steady::duration timer_step_;
    const asio::ip::address peer_;
    const std::string peer_text_;  // peer_ as text, once
    const kind kind_;
    phase phase_ = phase::waiting;
    beast::flat_buffer buffer_;  // bounded: a header, a body and a little of what follows
    std::optional<http::request_parser<http::string_body>> parser_;
    steady::time_point request_start_{};
    // The request being answered (busy), and where its answer goes.
    std::shared_ptr<const http_request> request_;
    std::shared_ptr<answer_slot> slot_;
    unsigned version_ = 11;
    bool head_ = false;
    bool keep_alive_ = false;
    std::string head_bytes_, body_bytes_;            // an answer being written (send_plain)
    std::unique_ptr<std::array<char, 4096>> drain_;  // lingering only
    std::size_t drained_ = 0;
    // Streaming only (an http_stream answer).
    std::shared_ptr<http_stream> stream_answer_;
    std::shared_ptr<stream_sink> sink_;
    std::deque<stream_part> parts_;
    std::unique_ptr<std::array<char, 64>> peek_;  // what the client sends: ends the stream
    bool chunked_ = true;
    bool writing_part_ = false;
    bool ending_ = false;
    steady::time_point write_since_{};
    steady::time_point next_beat_{};
};

// ---------------------------------------------------------------------------------------------

void http_server::impl::accept() {
    acceptor.async_accept(asio::make_strand(io), [this](error_code ec, tcp::socket socket) {
        accepted(ec, std::move(socket));
    });
}

void http_server::impl::accepted(const error_code& ec, tcp::socket socket) {
    if (stopping.load() || !acceptor.is_open()) return;
    if (ec) {
        if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
            ec == asio::error::no_memory || ec.value() == ENFILE) {
            // Out of file descriptors: wait a little rather than spin; the waiting connections
            // stay in the listen queue.
            std::fprintf(stderr, "uurwerk: http: accept failed: %s\n", ec.message().c_str());
            accept_pause.expires_after(std::chrono::milliseconds(100));
            accept_pause.async_wait([this](const error_code& e) {
                if (!e && !stopping.load()) accept();
            });
            return;
        }
        return accept();
    }
    error_code e;
    socket.set_option(tcp::no_delay(true), e);
    auto peer = socket.remote_endpoint(e).address();
    if (e) return accept();  // gone already
    std::string why;
    std::shared_ptr<http_connection_state> c;
    {
        std::lock_guard lock(mutex);
        auto& from_peer = per_address[peer];
        if (open.size() >= limit)
            why = "the server has " + std::to_string(limit) +
                  " connections open, its maximum; try again in a moment";
        else if (from_peer >= options.connections_per_address_max && !(proxy && peer == *proxy))
            why = "this client address (" + peer.to_string() + ") has " +
                  std::to_string(options.connections_per_address_max) +
                  " connections open, the most one address may; close one, or try again in a "
                  "moment";
        if (why.empty()) {
            ++from_peer;
            c = std::make_shared<http_connection_state>(*this, std::move(socket), peer,
                                                        http_connection_state::kind::served);
            open.emplace(c.get(), c);
        } else if (from_peer == 0) {
            per_address.erase(peer);
        }
    }
    if (!c) {
        if (refusing.fetch_add(1) >= refusing_max) {
            refusing.fetch_sub(1);  // too many being refused already: closed unanswered
        } else {
            c = std::make_shared<http_connection_state>(*this, std::move(socket), peer,
                                                        http_connection_state::kind::refused);
        }
    }
    if (c) c->start(std::move(why));
    accept();
}

void http_server::impl::forget(const http_connection_state* c, const asio::ip::address& peer) {
    std::shared_ptr<http_connection_state> last;  // released outside the lock
    {
        std::lock_guard lock(mutex);
        auto it = open.find(c);
        if (it == open.end()) return;
        last = std::move(it->second);
        open.erase(it);
        auto p = per_address.find(peer);
        if (p != per_address.end() && --p->second == 0) per_address.erase(p);
    }
    changed.notify_all();
}

// ---------------------------------------------------------------------------------------------

http_server::http_server(std::unique_ptr<impl> i, std::uint16_t port)
    : impl_(std::move(i)), port_(port) {}

http_server::~http_server() {
    stop();
}

result<std::unique_ptr<http_server>> http_server::open(const http_server_options& options,
                                                       http_handler handler, http_stats& stats) {
    return open_server(options, std::move(handler), std::nullopt, stats);
}

result<std::unique_ptr<http_server>> http_server::open(const http_server_options& options,
                                                       http_handler handler, http_async_route async,
                                                       http_stats& stats) {
    UURWERK_ASSERT(async.takes && async.handle && async.late);
    return open_server(options, std::move(handler), std::move(async), stats);
}

result<std::unique_ptr<http_server>> http_server::open_server(const http_server_options& options,
                                                              http_handler handler,
                                                              std::optional<http_async_route> async,
                                                              http_stats& stats) {
    UURWERK_ASSERT(handler != nullptr);
    UURWERK_ASSERT(options.connections_max > 0 && options.connections_per_address_max > 0);
    auto i = std::make_unique<impl>(options, std::move(handler), std::move(async), stats);
    i->limit = std::min(options.connections_max, connections_the_fds_allow());
    error_code ec;
    if (!options.trusted_proxy.empty()) {
        i->proxy = asio::ip::make_address(options.trusted_proxy, ec);
        if (ec)
            return make_error(errc::bad_address, "the trusted proxy '" + options.trusted_proxy +
                                                     "' is not an IP address");
    }
    if (options.tls) {
        auto ctx = tls_server_context(*options.tls);
        if (!ctx) return ctx.err();
        i->tls = std::move(*ctx);
    }
    const std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
    auto address = asio::ip::make_address(host, ec);
    if (ec)
        return make_error(errc::bad_address, "cannot listen on '" + options.host +
                                                 "': give an IP address such as 127.0.0.1");
    const tcp::endpoint endpoint(address, options.port);
    const std::string where = host + ":" + std::to_string(options.port);
    auto failed = [&](const char* step) {
        return make_error(errc::listen_failed,
                          "cannot listen on " + where + " (" + step + "): " + ec.message());
    };
    i->acceptor.open(endpoint.protocol(), ec);
    if (ec) return failed("socket");
    i->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (ec) return failed("SO_REUSEADDR");
    i->acceptor.bind(endpoint, ec);
    if (ec) return failed("bind");
    i->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return failed("listen");
    const auto port = i->acceptor.local_endpoint(ec).port();
    if (ec) return failed("local address");
    return std::unique_ptr<http_server>(new http_server(std::move(i), port));
}

void http_server::start() {
    std::lock_guard lock(impl_->mutex);
    UURWERK_ASSERT(!impl_->started);
    impl_->started = true;
    const auto& o = impl_->options;
    const std::size_t threads =
        o.io_threads > 0 ? o.io_threads
                         : std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
    impl_->workers =
        std::make_unique<worker_pool>(std::min<std::size_t>(2, o.workers_max), o.workers_max,
                                      o.waiting_requests_max, std::chrono::seconds(10));
    if (impl_->async) {
        const std::size_t n =
            o.async_workers > 0
                ? o.async_workers
                : std::max<std::size_t>(4, 2 * std::max(1u, std::thread::hardware_concurrency()));
        impl_->async_workers = std::make_unique<worker_pool>(
            n, n, o.waiting_requests_max, std::chrono::seconds(10), "uw-http-check");
    }
    impl_->work.emplace(impl_->io.get_executor());
    asio::post(impl_->acceptor.get_executor(), [i = impl_.get()] { i->accept(); });
    for (std::size_t t = 0; t < threads; ++t)
        impl_->io_threads.emplace_back([i = impl_.get()] {
            name_this_thread("uw-http-io");
            i->io.run();
        });
}

void http_server::stop() {
    if (!impl_ || impl_->stopping.exchange(true)) return;
    auto& i = *impl_;
    auto each = [&](bool force) {
        std::lock_guard lock(i.mutex);
        for (auto& [_, c] : i.open) c->stop(force);
    };
    bool started = false;
    {
        std::lock_guard lock(i.mutex);
        started = i.started;
    }
    if (started) {
        asio::post(i.acceptor.get_executor(), [&i] {
            error_code ec;
            i.acceptor.close(ec);
            i.accept_pause.cancel();
        });
        // No more requests: a connection waiting for its client's next request closes at once;
        // one whose handler is working finishes and sends its answer (with "Connection:
        // close"). Those still busy after stop_grace are cut off.
        each(false);
        {
            std::unique_lock lock(i.mutex);
            i.changed.wait_for(lock, i.options.stop_grace, [&] { return i.open.empty(); });
        }
        {
            std::lock_guard lock(i.gate->mutex);
            i.gate->open = false;  // answers that come later are dropped
        }
        each(true);
        i.work.reset();
        // Let the closes run, then stop what is left (refusals lingering).
        const auto until = steady::now() + std::chrono::milliseconds(500);
        while (steady::now() < until) {
            {
                std::lock_guard lock(i.mutex);
                if (i.open.empty() && i.refusing.load() == 0) break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        i.io.stop();
        for (auto& t : i.io_threads) t.join();
        i.io_threads.clear();
        i.workers->stop();  // runs what is queued (their answers are dropped) and joins
        if (i.async_workers) i.async_workers->stop();
    }
    error_code ec;
    i.acceptor.close(ec);
    decltype(i.open) all;
    {
        std::lock_guard lock(i.mutex);
        all.swap(i.open);
        i.per_address.clear();
    }
    all.clear();  // the io_context still lives: the sockets close against it
}

std::size_t http_server::connections() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->open.size();
}

std::size_t http_server::connections_max() const {
    return impl_->limit;
}

}  // namespace uurwerk
