#pragma once
// A non-blocking TCP socket as a Beast SyncReadStream/SyncWriteStream whose reads and writes
// give up: each waits at most `idle` for the socket to be ready, and none goes past the
// deadline. Asio's synchronous calls have no timeout of their own (and SO_RCVTIMEO does not
// help: on EAGAIN Asio polls again without a limit), so each call waits in poll(). Used by the
// HTTP client, under TLS too. Borrows the socket; one thread at a time.

#include <poll.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <chrono>

namespace uurwerk {

class timed_stream {
public:
    timed_stream(boost::asio::ip::tcp::socket& socket, std::chrono::milliseconds idle)
        : socket_(socket), idle_(idle) {}

    // What Asio's ssl::stream needs of the layer below it (TLS over a timed_stream).
    using lowest_layer_type = boost::asio::ip::tcp::socket::lowest_layer_type;
    using executor_type = boost::asio::ip::tcp::socket::executor_type;
    lowest_layer_type& lowest_layer() { return socket_.lowest_layer(); }
    executor_type get_executor() { return socket_.get_executor(); }

    // No read or write goes past `deadline`; each one waits at most `idle` for its first byte.
    void set_deadline(std::chrono::steady_clock::time_point deadline) { deadline_ = deadline; }
    void set_idle(std::chrono::milliseconds idle) { idle_ = idle; }

    template <typename Buffers>
    std::size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
        while (true) {
            std::size_t n = socket_.read_some(buffers, ec);
            if (ec != boost::asio::error::would_block && ec != boost::asio::error::try_again)
                return n;
            if (!wait(POLLIN, ec)) return 0;
        }
    }
    template <typename Buffers>
    std::size_t read_some(const Buffers& buffers) {
        boost::system::error_code ec;
        std::size_t n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }
    template <typename Buffers>
    std::size_t write_some(const Buffers& buffers, boost::system::error_code& ec) {
        while (true) {
            std::size_t n = socket_.write_some(buffers, ec);
            if (ec != boost::asio::error::would_block && ec != boost::asio::error::try_again)
                return n;
            if (!wait(POLLOUT, ec)) return 0;
        }
    }
    template <typename Buffers>
    std::size_t write_some(const Buffers& buffers) {
        boost::system::error_code ec;
        std::size_t n = write_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

private:
    bool wait(short events, boost::system::error_code& ec) {
        while (true) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline_ - std::chrono::steady_clock::now());
            auto limit = std::min(left, idle_);
            if (limit.count() <= 0) {
                ec = boost::asio::error::timed_out;
                return false;
            }
            pollfd p{socket_.native_handle(), events, 0};
            int r = ::poll(&p, 1, static_cast<int>(limit.count()));
            if (r > 0) {
                ec = {};
                return true;  // ready, or hung up / failed: the next call says which
            }
            if (r == 0) {
                ec = boost::asio::error::timed_out;
                return false;
            }
            if (errno != EINTR) {
                ec = boost::system::error_code(errno, boost::system::system_category());
                return false;
            }
        }
    }

    boost::asio::ip::tcp::socket& socket_;
    std::chrono::milliseconds idle_;
    std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
};

}  // namespace uurwerk
