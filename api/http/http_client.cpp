#include "api/http/http_client.h"

#include "api/http/timed_stream.h"
#include "api/http/tls.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

namespace uurwerk {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;
using error_code = boost::system::error_code;

// Waits until `fd` is ready for `events` or `deadline` passes.
bool wait_ready(int fd, short events, steady::time_point deadline, error_code& ec) {
    while (true) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
        if (left.count() <= 0) {
            ec = asio::error::timed_out;
            return false;
        }
        pollfd p{fd, events, 0};
        int r = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1 << 30)));
        if (r > 0) {
            ec = {};
            return true;
        }
        if (r == 0) {
            ec = asio::error::timed_out;
            return false;
        }
        if (errno != EINTR) {
            ec = error_code(errno, boost::system::system_category());
            return false;
        }
    }
}

// Connects `socket` to `endpoint` within the deadline (a non-blocking connect and poll).
bool connect_within(tcp::socket& socket, const tcp::endpoint& endpoint, steady::time_point deadline,
                    error_code& ec) {
    socket.close(ec);
    socket.open(endpoint.protocol(), ec);
    if (ec) return false;
    socket.non_blocking(true, ec);
    if (ec) return false;
    const int fd = socket.native_handle();
    if (::connect(fd, endpoint.data(), static_cast<socklen_t>(endpoint.size())) == 0) return true;
    if (errno != EINPROGRESS && errno != EINTR) {
        ec = error_code(errno, boost::system::system_category());
        return false;
    }
    if (!wait_ready(fd, POLLOUT, deadline, ec)) return false;
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
    if (so_error != 0) {
        ec = error_code(so_error, boost::system::system_category());
        return false;
    }
    return true;
}

std::string seconds_text(std::chrono::milliseconds ms) {
    auto tenths = ms.count() / 100;
    return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "") +
           " s";
}

}  // namespace

struct http_connection::impl {
    asio::io_context io;
    tcp::socket socket{io};
    timed_stream timed{socket, std::chrono::milliseconds(60'000)};
    std::shared_ptr<asio::ssl::context> tls_context;      // https only
    std::optional<asio::ssl::stream<timed_stream&>> tls;  // https only, over `timed`
    beast::flat_buffer buffer;
    std::string host;
    std::uint16_t port = 0;
    std::string where;
    http_call_options options;
    bool keep_alive = true;
};

// The TLS handshake over the connected socket, within `deadline`: the server's certificate
// must chain to a trusted CA and name the host (a DNS name, or the IP address given).
result<void> http_connection::start_tls(impl& m, std::chrono::steady_clock::time_point deadline) {
    auto ctx = tls_client_context(m.options.ca_file);
    if (!ctx) return ctx.err();
    m.tls_context = std::move(*ctx);
    m.tls.emplace(m.timed, *m.tls_context);
    SSL* ssl = m.tls->native_handle();
    error_code ec;
    // An IP address is checked against the certificate's IP entries; a name (localhost too)
    // against its DNS names, and sent as SNI.
    (void)asio::ip::make_address(m.host, ec);
    if (!ec) {
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), m.host.c_str()) != 1)
            return make_error(errc::internal_error,
                              "cannot set the host to check: " + tls_error_text());
    } else {
        if (SSL_set1_host(ssl, m.host.c_str()) != 1 ||
            SSL_set_tlsext_host_name(ssl, m.host.c_str()) != 1)
            return make_error(errc::internal_error,
                              "cannot set the host to check: " + tls_error_text());
    }
    m.timed.set_deadline(deadline);
    m.tls->handshake(asio::ssl::stream_base::client, ec);
    m.timed.set_deadline(steady::time_point::max());
    if (!ec) return ok_value;
    const long verified = SSL_get_verify_result(ssl);
    if (verified != X509_V_OK) {
        const std::string why = X509_verify_cert_error_string(verified);
        const std::string whose = m.options.ca_file.empty()
                                      ? "the system's CA certificates"
                                      : "the CA file " + m.options.ca_file.string();
        const std::string hint =
            verified == X509_V_ERR_HOSTNAME_MISMATCH || verified == X509_V_ERR_IP_ADDRESS_MISMATCH
                ? "the certificate is for another name; use the name it was made for"
                : (m.options.ca_file.empty()
                       ? "if the server's certificate is your own CA's, give --ca-file FILE"
                       : "is it the CA that signed the server's certificate?");
        return make_error(errc::server_unreachable,
                          "the TLS certificate of " + m.where + " is not trusted: " + why +
                              " (checked against " + whose + "; " + hint + ")");
    }
    if (ec == asio::error::timed_out)
        return make_error(errc::server_unreachable, "no TLS handshake with " + m.where +
                                                        " within " +
                                                        seconds_text(m.options.connect_timeout) +
                                                        " (does the server there serve https?)");
    std::string detail = tls_error_text();
    if (detail.empty()) detail = ec.message();
    return make_error(errc::server_unreachable, "no TLS connection with " + m.where + ": " +
                                                    detail +
                                                    " (does the server there serve https?)");
}

result<std::unique_ptr<http_connection>> http_connection::open(const std::string& host,
                                                               std::uint16_t port,
                                                               const http_call_options& options) {
    auto m = std::make_unique<impl>();
    m->host = host;
    m->port = port;
    m->options = options;
    m->where = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
               std::to_string(port);
    const std::string& where = m->where;
    error_code ec;

    // Where to: an IP address as is, else a name through the resolver.
    std::vector<tcp::endpoint> endpoints;
    auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
    if (!ec) {
        endpoints.emplace_back(address, port);
    } else {
        tcp::resolver resolver(m->io);
        auto found = resolver.resolve(host, std::to_string(port), ec);
        if (ec || found.empty())
            return make_error(errc::server_unreachable,
                              "cannot find the server " + where + ": " + ec.message());
        for (const auto& e : found) endpoints.push_back(e.endpoint());
    }

    const auto connect_deadline = steady::now() + options.connect_timeout;
    bool connected = false;
    for (const auto& e : endpoints) {
        if (connect_within(m->socket, e, connect_deadline, ec)) {
            connected = true;
            break;
        }
    }
    if (!connected) {
        const std::string why = ec == asio::error::timed_out
                                    ? "no answer within " + seconds_text(options.connect_timeout)
                                    : ec.message();
        return make_error(errc::server_unreachable, "cannot connect to the server at " + where +
                                                        ": " + why +
                                                        " (is 'uurwerk serve' running there?)");
    }
    m->socket.set_option(tcp::no_delay(true), ec);
    m->timed.set_idle(options.reply_timeout);
    if (options.scheme == http_scheme::https) {
        if (auto t = start_tls(*m, connect_deadline); !t) return t.err();
    }
    return std::unique_ptr<http_connection>(new http_connection(std::move(m)));
}

http_connection::http_connection(std::unique_ptr<impl> m) : impl_(std::move(m)) {}

http_connection::~http_connection() {
    error_code ec;
    impl_->socket.shutdown(tcp::socket::shutdown_both, ec);
    impl_->socket.close(ec);
}

result<http_reply> http_connection::call(std::string_view method, std::string_view target,
                                         std::string_view body) {
    auto& m = *impl_;
    const std::string& where = m.where;
    const auto& options = m.options;
    error_code ec;
    http::request<http::string_body> req;
    req.version(11);
    auto verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
    if (verb == http::verb::unknown)
        req.method_string(beast::string_view(method.data(), method.size()));
    else
        req.method(verb);
    req.target(beast::string_view(target.data(), target.size()));
    req.set(http::field::host, where);
    req.set(http::field::user_agent, "uurwerk");
    req.set(http::field::accept, "application/json");
    if (!options.authorization.empty()) req.set(http::field::authorization, options.authorization);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body().assign(body.data(), body.size());
    req.keep_alive(m.keep_alive);
    req.prepare_payload();

    m.timed.set_deadline(steady::now() + options.reply_timeout);
    auto write = [&](auto& stream) { http::write(stream, req, ec); };
    if (m.tls)
        write(*m.tls);
    else
        write(m.timed);
    // A server that refuses early (413, 503) may close before it has read the whole request:
    // its answer can still be read below.
    const bool write_failed = static_cast<bool>(ec);
    const error_code write_error = ec;
    ec = {};

    http::response_parser<http::string_body> parser;
    parser.body_limit(options.reply_bytes_max);
    if (verb == http::verb::head) parser.skip(true);
    auto read = [&](auto& stream) { http::read(stream, m.buffer, parser, ec); };
    if (m.tls)
        read(*m.tls);
    else
        read(m.timed);
    if (ec) {
        if (ec == asio::error::timed_out)
            return make_error(errc::server_timeout, "the server at " + where +
                                                        " did not answer within " +
                                                        seconds_text(options.reply_timeout));
        if (ec == http::error::body_limit)
            return make_error(errc::bad_reply, "the reply from " + where + " is over " +
                                                   std::to_string(options.reply_bytes_max) +
                                                   " bytes");
        if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
            ec == asio::error::connection_reset || ec == asio::error::eof ||
            ec == asio::ssl::error::stream_truncated || write_failed)
            return make_error(errc::server_closed,
                              "the server at " + where + " closed the connection without a reply" +
                                  (write_failed ? " (sending failed: " + write_error.message() + ")"
                                   : m.tls      ? std::string()
                                                : std::string(" (if it serves https, give an "
                                                                   "https:// address)")));
        return make_error(errc::bad_reply,
                          "the reply from " + where + " is not valid HTTP: " + ec.message());
    }
    auto res = parser.release();
    http_reply reply;
    reply.status = res.result_int();
    reply.content_type = std::string(res[http::field::content_type]);
    reply.body = std::move(res.body());
    return reply;
}

result<http_reply> http_call(const std::string& host, std::uint16_t port, std::string_view method,
                             std::string_view target, std::string_view body,
                             const http_call_options& options) {
    auto c = http_connection::open(host, port, options);
    if (!c) return c.err();
    (*c)->impl_->keep_alive = false;  // one request, then the connection closes
    return (*c)->call(method, target, body);
}

std::string http_request_bytes(std::string_view method, std::string_view target,
                               std::string_view host, std::string_view body,
                               std::string_view authorization) {
    std::string out;
    out.reserve(160 + target.size() + host.size() + authorization.size() + body.size());
    out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host);
    out.append("\r\nUser-Agent: uurwerk\r\nAccept: application/json\r\n");
    if (!authorization.empty()) out.append("Authorization: ").append(authorization).append("\r\n");
    if (!body.empty()) out.append("Content-Type: application/json\r\n");
    if (!body.empty() || (method != "GET" && method != "HEAD"))
        out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    out.append("\r\n").append(body);
    return out;
}

// ---------------------------------------------------------------------------------------------

struct http_async_client::impl {
    // One connection: touched only on the client's thread.
    struct connection {
        explicit connection(asio::io_context& io) : socket(io), timer(io) {}
        tcp::socket socket;
        // The reply timeout of the request in flight: the timer wakes at or before `deadline`
        // and, while the request is not late, waits again for the deadline of the one in
        // flight then (a request moves the deadline, not the timer: no wait cancelled a
        // request).
        asio::steady_timer timer;
        steady::time_point deadline = steady::time_point::max();
        bool timer_waiting = false;
        beast::flat_buffer buffer;
        std::optional<http::response_parser<http::string_body>> parser;
        reply_callback done;     // of the request in flight
        bool busy = false;       // a request in flight
        bool broken = false;     // closed after an error
        bool timed_out = false;  // the request in flight ran out of time
    };

    asio::io_context io;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::vector<std::unique_ptr<connection>> connections;
    http_call_options options;
    std::string where;
    std::thread thread;

    void start(connection& k, std::string_view request, reply_callback done);
    void finish(connection& k, result<http_reply> r);
    void wait_for_deadline(connection& k);
};

void http_async_client::impl::wait_for_deadline(connection& k) {
    k.timer_waiting = true;
    k.timer.expires_at(k.deadline);
    k.timer.async_wait([this, &k](const error_code& ec) {
        k.timer_waiting = false;
        if (ec || !k.busy || k.broken) return;  // stopped, or nothing in flight to time
        if (steady::now() < k.deadline) return wait_for_deadline(k);
        k.timed_out = true;
        error_code ignored;
        k.socket.close(ignored);  // the read in flight ends with an error
    });
}

void http_async_client::impl::start(connection& k, std::string_view request, reply_callback done) {
    UURWERK_ASSERT(!k.busy);
    if (k.broken)
        return done(make_error(errc::server_closed,
                               "the connection to " + where + " was closed after an error"));
    k.busy = true;
    k.timed_out = false;
    k.done = std::move(done);
    k.deadline = steady::now() + options.reply_timeout;
    if (!k.timer_waiting) wait_for_deadline(k);
    asio::async_write(
        k.socket, asio::buffer(request.data(), request.size()),
        [this, &k](error_code, std::size_t) {
            // Read even after a failed write: a server that refuses early (413,
            // 503) may answer and close before it has read the whole request.
            k.parser.emplace();
            k.parser->body_limit(options.reply_bytes_max);
            http::async_read(k.socket, k.buffer, *k.parser, [this, &k](error_code e, std::size_t) {
                if (!e) {
                    auto res = k.parser->release();
                    http_reply reply;
                    reply.status = res.result_int();
                    reply.content_type = std::string(res[http::field::content_type]);
                    reply.body = std::move(res.body());
                    return finish(k, std::move(reply));
                }
                if (k.timed_out)
                    return finish(k,
                                  make_error(errc::server_timeout,
                                             "the server at " + where + " did not answer within " +
                                                 seconds_text(options.reply_timeout)));
                if (e == http::error::body_limit)
                    return finish(k, make_error(errc::bad_reply,
                                                "the reply from " + where + " is too large"));
                finish(k, make_error(errc::server_closed, "the server at " + where +
                                                              " closed the connection "
                                                              "without a reply: " +
                                                              e.message()));
            });
        });
}

void http_async_client::impl::finish(connection& k, result<http_reply> r) {
    k.busy = false;
    k.parser.reset();
    if (!r) {
        k.broken = true;
        error_code ignored;
        k.socket.close(ignored);
    }
    auto done = std::move(k.done);
    k.done = nullptr;
    done(std::move(r));
}

result<std::unique_ptr<http_async_client>> http_async_client::open(
    const std::string& host, std::uint16_t port, std::size_t connections,
    const http_call_options& options) {
    if (options.scheme != http_scheme::http)
        return make_error(errc::bad_argument, "the asynchronous client speaks plain HTTP only");
    auto m = std::make_unique<impl>();
    m->options = options;
    m->where = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
               std::to_string(port);
    error_code ec;
    auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
    if (ec)
        return make_error(errc::server_unreachable,
                          "the asynchronous client takes an IP address, not '" + host + "'");
    const tcp::endpoint endpoint(address, port);
    for (std::size_t c = 0; c < connections; ++c) {
        auto k = std::make_unique<impl::connection>(m->io);
        if (!connect_within(k->socket, endpoint, steady::now() + options.connect_timeout, ec))
            return make_error(errc::server_unreachable,
                              "cannot connect to the server at " + m->where + ": " + ec.message());
        k->socket.set_option(tcp::no_delay(true), ec);
        m->connections.push_back(std::move(k));
    }
    m->work.emplace(m->io.get_executor());
    m->thread = std::thread([io = &m->io] {
        name_this_thread("uw-http-client");
        io->run();
    });
    return std::unique_ptr<http_async_client>(new http_async_client(std::move(m)));
}

http_async_client::http_async_client(std::unique_ptr<impl> m) : impl_(std::move(m)) {}

http_async_client::~http_async_client() {
    impl_->work.reset();
    impl_->io.stop();
    impl_->thread.join();
    for (auto& k : impl_->connections) {
        error_code ec;
        k->socket.shutdown(tcp::socket::shutdown_both, ec);
        k->socket.close(ec);
    }
}

std::size_t http_async_client::connections() const {
    return impl_->connections.size();
}

void http_async_client::send(std::size_t c, std::string_view request, reply_callback done) {
    UURWERK_ASSERT(c < impl_->connections.size(), c, impl_->connections.size());
    UURWERK_ASSERT(done != nullptr);
    asio::dispatch(impl_->io, [m = impl_.get(), c, request, done = std::move(done)]() mutable {
        m->start(*m->connections[c], request, std::move(done));
    });
}

result<http_address> parse_http_url(std::string_view url) {
    auto bad = [&](const std::string& why) {
        return make_error(errc::bad_url, "the server address '" + std::string(url) + "' " + why +
                                             "; give one like http://127.0.0.1:8080");
    };
    std::string_view rest = url;
    bool scheme = false;
    http_address out;
    if (rest.substr(0, 8) == "https://") {
        rest.remove_prefix(8);
        scheme = true;
        out.scheme = http_scheme::https;
    } else if (rest.substr(0, 7) == "http://") {
        rest.remove_prefix(7);
        scheme = true;
    } else if (rest.find("://") != std::string_view::npos) {
        return bad("has a scheme other than http and https");
    }
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
        if (rest.substr(slash) != "/") return bad("has a path");
        rest = rest.substr(0, slash);
    }
    std::string_view port_text;
    bool has_port = false;
    if (!rest.empty() && rest.front() == '[') {
        auto close = rest.find(']');
        if (close == std::string_view::npos) return bad("has a '[' without ']'");
        out.host = std::string(rest.substr(1, close - 1));
        auto after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return bad("has text after ']'");
            port_text = after.substr(1);
            has_port = true;
        }
    } else {
        auto colon = rest.rfind(':');
        if (colon != std::string_view::npos) {
            out.host = std::string(rest.substr(0, colon));
            port_text = rest.substr(colon + 1);
            has_port = true;
            if (out.host.find(':') != std::string::npos)
                return bad("has an IPv6 address without [brackets]");
        } else {
            out.host = std::string(rest);
        }
    }
    if (out.host.empty()) return bad("has no host");
    if (!has_port) {
        if (!scheme) return bad("has no port");
        out.port = out.scheme == http_scheme::https ? 443 : 80;
        return out;
    }
    std::uint32_t port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || p != port_text.data() + port_text.size() ||
        port == 0 || port > 65535)
        return bad("has no valid port (1 to 65535)");
    out.port = static_cast<std::uint16_t>(port);
    return out;
}

}  // namespace uurwerk
