#pragma once
// Test support: raw TCP to an HTTP server on 127.0.0.1, for what a well-behaved client never
// does: send garbage or several requests at once, declare a body it never sends, or hold a
// connection open and idle.

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

#include <poll.h>
#include <string>
#include <string_view>

namespace uurwerk::testing {

// A socket connected to 127.0.0.1:port.
inline boost::asio::ip::tcp::socket raw_connect(boost::asio::io_context& io, std::uint16_t port) {
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    return s;
}

// A socket connected to 127.0.0.1:port from `source`, another loopback address (127.0.0.2 and
// so on: all of 127.0.0.0/8 is this machine), as a client at another address would be.
inline boost::asio::ip::tcp::socket raw_connect_from(boost::asio::io_context& io,
                                                     std::uint16_t port, const char* source) {
    boost::asio::ip::tcp::socket s(io);
    s.open(boost::asio::ip::tcp::v4());
    s.bind({boost::asio::ip::make_address(source), 0});
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    return s;
}

// Everything the server sends on `s` until it closes the connection.
inline std::string read_until_closed(boost::asio::ip::tcp::socket& s) {
    std::string answer;
    boost::system::error_code ec;
    char buf[1024];
    while (!ec) {
        auto k = s.read_some(boost::asio::buffer(buf), ec);
        answer.append(buf, k);
    }
    return answer;
}

// Connects to 127.0.0.1:port, sends `bytes` as they are, and returns all the server answers
// until it closes the connection.
inline std::string raw_exchange(std::uint16_t port, std::string_view bytes) {
    boost::asio::io_context io;
    auto s = raw_connect(io, port);
    boost::asio::write(s, boost::asio::buffer(bytes.data(), bytes.size()));
    return read_until_closed(s);
}

// Whether `condition` holds within `within`, asked every 10 ms.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds within = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < until) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return condition();
}

// Whether the server has closed `s` (a read would give the end of the stream or a reset now).
inline bool closed_by_server(boost::asio::ip::tcp::socket& s) {
    pollfd p{s.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char c;
    boost::system::error_code ec;
    s.non_blocking(true, ec);
    s.read_some(boost::asio::buffer(&c, 1), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
}

}  // namespace uurwerk::testing
