#include "api/http/http_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <list>
#include <mutex>
#include <thread>

#include "api/http/cpu_slice.h"
#include "api/http/error_status.h"
#include "api/http/timed_stream.h"
#include "api/json/json.h"

namespace uurwerk {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;
using error_code = boost::system::error_code;

// The socket is done sending; reads (and throws away) what the client still sends, for at most
// `wait`, so that closing does not reset the connection before the client has read our answer.
void close_gracefully(tcp::socket& socket, std::chrono::milliseconds wait) {
    error_code ec;
    socket.shutdown(tcp::socket::shutdown_send, ec);
    if (wait.count() > 0) {
        timed_stream stream(socket, wait);
        stream.set_deadline(steady::now() + wait);
        char sink[4096];
        std::size_t drained = 0;
        while (drained < (1u << 20)) {
            std::size_t n = stream.read_some(asio::buffer(sink), ec);
            if (ec) break;
            drained += n;
        }
    }
    socket.close(ec);
}

// A request that is not valid HTTP (as opposed to a connection that closed or timed out).
bool is_malformed(const error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_target).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
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

struct http_server::impl {
    struct connection {
        std::thread thread;
        int fd = -1;        // the socket while it is open (under mutex)
        bool done = false;  // the thread has finished its work (under mutex)
    };

    impl(const http_server_options& o, http_handler h, http_stats& s)
        : options(o), handler(std::move(h)), stats(s) {}

    ~impl() {
        if (wake_read >= 0) ::close(wake_read);
        if (wake_write >= 0) ::close(wake_write);
    }

    http_server_options options;
    http_handler handler;
    http_stats& stats;
    asio::io_context io;
    tcp::acceptor acceptor{io};
    int wake_read = -1, wake_write = -1;  // a pipe that wakes the accept loop on stop()
    std::thread accept_thread;

    mutable std::mutex mutex;
    std::condition_variable finished;   // a connection thread is done (under mutex)
    std::list<connection> connections;  // under mutex
    bool started = false;               // under mutex
    std::atomic<bool> stopping{false};

    void accept_loop();
    void serve(connection* c, tcp::socket socket);
    void refuse(tcp::socket socket);
    std::size_t reap();  // joins finished connection threads; returns how many are open
    http::response<http::string_body> answer(const http::request<http::string_body>& req,
                                             const std::string& peer);
    bool send(timed_stream& stream, http::response<http::string_body>& res, bool head);
};

std::size_t http_server::impl::reap() {
    std::list<connection> finished;
    std::size_t open = 0;
    {
        std::lock_guard lock(mutex);
        for (auto it = connections.begin(); it != connections.end();) {
            if (it->done) {
                auto next = std::next(it);
                finished.splice(finished.end(), connections, it);
                it = next;
            } else {
                ++open;
                ++it;
            }
        }
    }
    for (auto& c : finished) c.thread.join();  // each has returned or is about to
    return open;
}

void http_server::impl::accept_loop() {
    const int listen_fd = acceptor.native_handle();
    while (!stopping.load()) {
        pollfd fds[2] = {{listen_fd, POLLIN, 0}, {wake_read, POLLIN, 0}};
        int r = ::poll(fds, 2, 1000);
        if (stopping.load()) break;
        if (r < 0 && errno != EINTR) {
            std::fprintf(stderr, "uurwerk: http: poll on the listening socket failed: %s\n",
                         std::strerror(errno));
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        const std::size_t open = reap();
        if (r <= 0 || (fds[0].revents & POLLIN) == 0) continue;
        error_code ec;
        tcp::socket socket(io);
        acceptor.accept(socket, ec);
        if (ec) {
            if (ec != asio::error::would_block && ec != asio::error::try_again &&
                ec != asio::error::connection_aborted) {
                // Out of file descriptors, most likely: wait a little rather than spin.
                std::fprintf(stderr, "uurwerk: http: accept failed: %s\n", ec.message().c_str());
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
            continue;
        }
        socket.non_blocking(true, ec);
        if (ec) continue;
        socket.set_option(tcp::no_delay(true), ec);
        if (open >= options.connections_max) {
            refuse(std::move(socket));
            continue;
        }
        std::lock_guard lock(mutex);
        auto& c = connections.emplace_back();
        c.fd = socket.native_handle();
        c.thread = std::thread(&impl::serve, this, &c, std::move(socket));
    }
}

// Over capacity: answer 503 at once, on the accept thread, without reading the request.
void http_server::impl::refuse(tcp::socket socket) {
    stats.count_refused();
    http::response<http::string_body> res{
        static_cast<http::status>(http_status_for(errc::too_many_connections)), 11};
    res.set(http::field::server, "uurwerk");
    res.set(http::field::content_type, "application/json");
    res.set(http::field::retry_after, "1");
    res.keep_alive(false);
    res.body() = error_json(errc::too_many_connections,
                            "the server has " + std::to_string(options.connections_max) +
                                " connections open, its maximum; try again in a moment");
    res.prepare_payload();
    timed_stream stream(socket, std::chrono::milliseconds(1000));
    stream.set_deadline(steady::now() + std::chrono::milliseconds(1000));
    error_code ec;
    stats.count(res.result_int());
    http::write(stream, res, ec);
    // A short wait for the request we will not read, so that closing does not reset the
    // connection before the client has read the 503; short, as it holds up the accept loop.
    close_gracefully(socket, std::chrono::milliseconds(20));
}

http::response<http::string_body> http_server::impl::answer(
    const http::request<http::string_body>& req, const std::string& peer) {
    http_request in{std::string(req.method_string()),
                    std::string(req.target()),
                    req.body(),
                    std::string(req[http::field::authorization]),
                    std::string(req[http::field::cookie]),
                    peer};
    http_response out;
    try {
        out = handler(in);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "uurwerk: http: the handler threw on %s %s: %s\n", in.method.c_str(),
                     in.target.c_str(), e.what());
        out = {http_status_for(errc::internal_error),
               "application/json",
               error_json(errc::internal_error, "the server failed; see its log"),
               {}};
    }
    http::response<http::string_body> res;
    res.version(req.version());
    res.result(out.status);
    res.set(http::field::server, "uurwerk");
    res.set(http::field::content_type, out.content_type);
    for (const auto& [name, value] : out.headers) res.set(name, value);
    res.body() = std::move(out.body);
    return res;
}

bool http_server::impl::send(timed_stream& stream, http::response<http::string_body>& res,
                             bool head) {
    res.prepare_payload();
    if (head) res.body().clear();  // the Content-Length stays: what a GET would have sent
    stream.set_deadline(steady::now() + options.request_timeout);
    stats.count(res.result_int());  // before the write: a client that has read it sees it counted
    error_code ec;
    if (head) {
        http::response_serializer<http::string_body> sr(res);
        http::write_header(stream, sr, ec);
    } else {
        http::write(stream, res, ec);
    }
    return !ec;
}

void http_server::impl::serve(connection* c, tcp::socket socket) {
    name_this_thread("uw-http-conn");
    timed_stream stream(socket, options.idle_timeout);
    beast::flat_buffer buffer;
    error_code peer_ec;
    const auto remote = socket.remote_endpoint(peer_ec);
    const std::string peer = peer_ec ? std::string() : remote.address().to_string();
    auto fail = [&](errc code, std::string message) {
        http::response<http::string_body> res{static_cast<http::status>(http_status_for(code)), 11};
        res.set(http::field::server, "uurwerk");
        res.set(http::field::content_type, "application/json");
        res.keep_alive(false);
        res.body() = error_json(code, message);
        send(stream, res, false);
    };
    bool drain = false;
    while (!stopping.load()) {
        stream.set_deadline(steady::now() + options.request_timeout);
        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(options.header_bytes_max));
        parser.body_limit(options.body_bytes_max);
        error_code ec;
        // A request the parser refuses is answered with why; a connection that closed, reset
        // or timed out has nobody to answer. Either way this connection is done.
        auto refused = [&](const error_code& e) {
            if (e == http::error::body_limit)
                fail(errc::body_too_large, "a request body is at most " +
                                               std::to_string(options.body_bytes_max) + " bytes");
            else if (e == http::error::header_limit)
                fail(errc::bad_request, "the request's header is over " +
                                            std::to_string(options.header_bytes_max) + " bytes");
            else if (is_malformed(e))
                fail(errc::bad_request, "not a valid HTTP/1.1 request: " + e.message());
            else
                return static_cast<bool>(e);
            drain = true;
            return true;
        };
        http::read_header(stream, buffer, parser, ec);
        if (refused(ec)) break;
        auto& header = parser.get();
        auto expect = header[http::field::expect];
        if (beast::iequals(expect, "100-continue")) {
            http::response<http::empty_body> cont{http::status::continue_, header.version()};
            http::write(stream, cont, ec);
            if (ec) break;
        }
        http::read(stream, buffer, parser, ec);
        if (refused(ec)) break;
        auto req = parser.release();
        const bool head = req.method() == http::verb::head;
        // Reads answer from memory in well under a slice; writes check a signature first.
        const bool read = head || req.method() == http::verb::get;
        (void)use_cpu_slice(read ? cpu_slice::short_0_1ms : cpu_slice::standard);
        auto res = answer(req, peer);
        const bool keep_alive = req.keep_alive() && !stopping.load();
        res.keep_alive(keep_alive);
        if (!send(stream, res, head) || !keep_alive) break;
    }
    {
        std::lock_guard lock(mutex);
        c->fd = -1;  // stop() no longer touches it
    }
    close_gracefully(socket, std::chrono::milliseconds(drain ? 1000 : 0));
    std::lock_guard lock(mutex);
    c->done = true;
    finished.notify_all();
}

// ---------------------------------------------------------------------------------------------

http_server::http_server(std::unique_ptr<impl> i, std::uint16_t port)
    : impl_(std::move(i)), port_(port) {}

http_server::~http_server() {
    stop();
}

result<std::unique_ptr<http_server>> http_server::open(const http_server_options& options,
                                                       http_handler handler, http_stats& stats) {
    UURWERK_ASSERT(handler != nullptr);
    UURWERK_ASSERT(options.connections_max > 0);
    auto i = std::make_unique<impl>(options, std::move(handler), stats);
    error_code ec;
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
    i->acceptor.non_blocking(true, ec);
    if (ec) return failed("non-blocking");
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
        return make_error(errc::listen_failed,
                          std::string("cannot make a pipe: ") + std::strerror(errno));
    i->wake_read = fds[0];
    i->wake_write = fds[1];
    const auto port = i->acceptor.local_endpoint(ec).port();
    if (ec) return failed("local address");
    return std::unique_ptr<http_server>(new http_server(std::move(i), port));
}

void http_server::start() {
    std::lock_guard lock(impl_->mutex);
    UURWERK_ASSERT(!impl_->started);
    impl_->started = true;
    impl_->accept_thread = std::thread(&impl::accept_loop, impl_.get());
}

void http_server::stop() {
    if (!impl_ || impl_->stopping.exchange(true)) return;
    const char wake = 1;
    [[maybe_unused]] auto n = ::write(impl_->wake_write, &wake, 1);
    if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
    error_code ec;
    impl_->acceptor.close(ec);
    auto shut_all = [&](int how) {
        for (auto& c : impl_->connections)
            if (c.fd >= 0) ::shutdown(c.fd, how);
    };
    {
        // No more requests: a thread waiting for its client's next request sees the end of
        // the stream at once; one inside the handler finishes it and sends its answer (with
        // "Connection: close"). Those still busy after stop_grace are cut off.
        std::unique_lock lock(impl_->mutex);
        shut_all(SHUT_RD);
        impl_->finished.wait_for(lock, impl_->options.stop_grace, [&] {
            return std::all_of(impl_->connections.begin(), impl_->connections.end(),
                               [](const impl::connection& c) { return c.done; });
        });
        shut_all(SHUT_RDWR);
    }
    std::list<impl::connection> all;
    {
        std::lock_guard lock(impl_->mutex);
        all.swap(impl_->connections);
    }
    for (auto& c : all) c.thread.join();
}

std::size_t http_server::connections() const {
    std::lock_guard lock(impl_->mutex);
    std::size_t open = 0;
    for (const auto& c : impl_->connections) open += !c.done;
    return open;
}

}  // namespace uurwerk
