#include "api/bench/bench_streams.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "api/bench/bench_support.h"
#include "api/bench/workload.h"
#include "api/http/http_client.h"
#include "api/http/http_server.h"
#include "api/http/routes.h"
#include "api/node/node.h"

namespace uurwerk::cli {
namespace {

constexpr community_id bench_community{1};
constexpr std::uint64_t bench_seed = 43;
constexpr std::size_t streams_per_address = 250;

// A number of the process's /proc/self/status: "VmRSS" (KiB), "Threads".
std::uint64_t own_status(std::string_view field) {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 &&
            line[field.size()] == ':')
            return std::stoull(line.substr(field.size() + 1));
    return 0;
}

// One open stream on a plain socket: its descriptor and what it has read of an unfinished event.
struct open_stream {
    int fd = -1;
    std::string partial;
    bool ready = false;
};

// Connects from 127.30.x.y (the i-th address) and sends the stream's request.
result<int> connect_stream(std::uint16_t port, std::size_t address_index, const std::string& target,
                           const std::string& authorization) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return make_error(errc::bench_failed, "socket() failed");
    sockaddr_in from{};
    from.sin_family = AF_INET;
    const std::string source = "127.30." + std::to_string(address_index / 250) + "." +
                               std::to_string(address_index % 250 + 1);
    ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        ::close(fd);
        return make_error(errc::bench_failed, "cannot connect from " + source);
    }
    const std::string req = "GET " + target +
                            " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + authorization +
                            "\r\n\r\n";
    if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
        ::close(fd);
        return make_error(errc::bench_failed, "cannot send a stream's request");
    }
    return fd;
}

// Reads every stream that has something, for at most `wait`; calls `change(offset)` for each
// `change` event read and marks `ready` ones. False when a stream was closed by the server.
bool pump(std::vector<open_stream>& streams, std::vector<pollfd>& fds,
          std::chrono::milliseconds wait, const std::function<void(std::uint64_t)>& change) {
    if (::poll(fds.data(), fds.size(), static_cast<int>(wait.count())) <= 0) return true;
    bool all_open = true;
    char buf[8192];
    for (std::size_t i = 0; i < fds.size(); ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const auto k = ::read(fds[i].fd, buf, sizeof buf);
        if (k <= 0) {
            all_open = false;
            fds[i].fd = -fds[i].fd - 1;  // closed: poll ignores a negative descriptor
            continue;
        }
        auto& s = streams[i];
        s.partial.append(buf, static_cast<std::size_t>(k));
        // Whole events end with a blank line; the chunk sizes between them are skipped.
        for (std::size_t end; (end = s.partial.find("\n\n")) != std::string::npos;) {
            const std::string_view ev(s.partial.data(), end);
            if (ev.find("event: ready") != std::string_view::npos) s.ready = true;
            if (const auto id = ev.find("id: ");
                id != std::string_view::npos && ev.find("event: change") != std::string_view::npos)
                change(std::stoull(std::string(ev.substr(id + 4, ev.find('\n', id) - id - 4))));
            s.partial.erase(0, end + 2);
        }
    }
    return all_open;
}

}  // namespace

result<void> bench_streams(const parsed_args& a) {
    auto streams_wanted = u64_option(a, "streams", 1'000, 1, 16'000);
    if (!streams_wanted) return streams_wanted.err();
    auto members = u64_option(a, "members", 200, 2, 5'000);
    if (!members) return members.err();
    auto events = u64_option(a, "events", 200, 1, 100'000);
    if (!events) return events.err();
    const std::size_t n_streams = *streams_wanted;
    if (n_streams > *members * streams_per_key_max)
        return make_error(errc::bad_argument, "--streams is at most " +
                                                  std::to_string(streams_per_key_max) +
                                                  " per member: give more --members");

    scratch_dir dir("streams");
    std::cerr << "bench streams: a community of " << *members << " members, " << n_streams
              << " open streams, " << *events << " events timed...\n";
    const auto w = make_workload({bench_community,
                                  static_cast<std::size_t>(*members),
                                  static_cast<std::size_t>(*events),
                                  bench_seed,
                                  0,
                                  {}});
    auto n = open_node_with(dir.path, {&w.setup});  // the events are submitted timed, below
    if (!n) return n.err();
    routes api(**n, nullptr, nullptr, access_options{wall_clock(), {}},
               quota_options::unlimited());  // measures streams, not quotas
    auto server = http_server::open(http_server_options{}, api.handler(), api.stats());
    if (!server) return server.err();
    (*server)->start();
    const auto port = (*server)->port();

    const std::uint64_t rss_before = own_status("VmRSS"), threads_before = own_status("Threads");
    std::vector<open_stream> streams(n_streams);
    std::vector<pollfd> fds(n_streams);
    std::vector<std::size_t> member_of(n_streams);
    std::vector<std::string> sessions;
    for (std::size_t m = 0; m < *members; ++m)
        sessions.push_back(
            session_header(workload_member_key(bench_seed, m), bench_community, member_id{m + 1}));
    const auto t_open = clock_type::now();
    for (std::size_t i = 0; i < n_streams; ++i) {
        const std::size_t m = i % *members;
        member_of[i] = m;
        auto fd = connect_stream(port, i / streams_per_address,
                                 "/v1/communities/1/members/" + std::to_string(m + 1) + "/stream",
                                 sessions[m]);
        if (!fd) return fd.err();
        streams[i].fd = *fd;
        fds[i] = pollfd{*fd, POLLIN, 0};
    }
    const auto ignore = [](std::uint64_t) {};
    const auto until = clock_type::now() + std::chrono::seconds(60);
    std::size_t ready = 0;
    while (ready < n_streams && clock_type::now() < until) {
        if (!pump(streams, fds, std::chrono::milliseconds(50), ignore))
            return make_error(errc::bench_failed, "the server closed a stream while opening");
        ready = static_cast<std::size_t>(
            std::count_if(streams.begin(), streams.end(), [](const auto& s) { return s.ready; }));
    }
    if (ready < n_streams)
        return make_error(errc::bench_failed, std::to_string(n_streams - ready) +
                                                  " streams were not ready within 60 s");
    const double opened_s = seconds_since(t_open);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const std::uint64_t rss_held = own_status("VmRSS"), threads_held = own_status("Threads");
    const double per_stream_kib = static_cast<double>(rss_held - std::min(rss_held, rss_before)) /
                                  static_cast<double>(n_streams);
    std::cerr << "bench streams: " << n_streams << " streams open in " << fixed(opened_s, 2)
              << " s; RSS " << rss_before << " -> " << rss_held << " KiB, "
              << fixed(per_stream_kib, 2) << " KiB a stream; threads " << threads_before << " -> "
              << threads_held << "; " << api.streams().open_streams() << " counted by the server\n";

    // Events one at a time, each timed from its submission to its change on every stream of
    // its members; a reader thread reads the streams meanwhile; probes of /v1/health between.
    std::mutex arrivals_mutex;
    std::vector<std::pair<std::uint64_t, clock_type::time_point>> arrivals;
    std::atomic<bool> stop{false};
    std::atomic<bool> cut{false};
    std::thread reader([&] {
        while (!stop.load()) {
            if (!pump(streams, fds, std::chrono::milliseconds(5), [&](std::uint64_t at) {
                    const auto now = clock_type::now();
                    std::lock_guard lock(arrivals_mutex);
                    arrivals.emplace_back(at, now);
                }))
                cut.store(true);
        }
    });
    std::map<std::uint64_t, clock_type::time_point> submitted;  // by offset
    latencies probes;
    std::size_t probes_failed = 0;
    for (const auto& b : w.events) {
        const auto t0 = clock_type::now();
        auto r = (*n)->submit(b);
        if (!r) {
            stop.store(true);
            reader.join();
            return r.err();
        }
        submitted.emplace(r->at.value, t0);
        for (int k = 0; k < 5; ++k) {
            const auto p0 = clock_type::now();
            auto h = http_call("127.0.0.1", port, "GET", "/v1/health", {});
            probes.ms.push_back(
                std::chrono::duration<double, std::milli>(clock_type::now() - p0).count());
            if (!h || h->status != 200) ++probes_failed;
        }
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));  // the last changes arrive
    stop.store(true);
    reader.join();
    latencies delivery;
    for (const auto& [at, when] : arrivals)
        if (auto s = submitted.find(at); s != submitted.end())
            delivery.ms.push_back(
                std::chrono::duration<double, std::milli>(when - s->second).count());
    (*server)->stop();
    for (const auto& s : streams) ::close(s.fd);

    const double d50 = delivery.quantile(0.5), d99 = delivery.quantile(0.99),
                 dmax = delivery.quantile(1.0);
    const double p50 = probes.quantile(0.5), p99 = probes.quantile(0.99);
    std::cerr << "bench streams: " << delivery.ms.size() << " changes delivered for "
              << submitted.size() << " events: p50 " << fixed(d50, 3) << " ms, p99 "
              << fixed(d99, 3) << " ms, max " << fixed(dmax, 3)
              << " ms; health probes while held p50 " << fixed(p50, 3) << " ms, p99 "
              << fixed(p99, 3) << " ms, " << probes_failed << " failed"
              << (cut.load() ? "; the server cut a stream" : "") << "\n";
    std::cout << "{\"streams\": " << n_streams << ", \"members\": " << *members
              << ", \"opened_in_s\": " << fixed(opened_s, 2)
              << ", \"rss_before_kib\": " << rss_before << ", \"rss_held_kib\": " << rss_held
              << ", \"rss_per_stream_kib\": " << fixed(per_stream_kib, 2)
              << ", \"threads_before\": " << threads_before
              << ", \"threads_held\": " << threads_held << ", \"events\": " << submitted.size()
              << ", \"changes_delivered\": " << delivery.ms.size()
              << ", \"delivery_p50_ms\": " << fixed(d50, 3)
              << ", \"delivery_p99_ms\": " << fixed(d99, 3)
              << ", \"delivery_max_ms\": " << fixed(dmax, 3)
              << ", \"probe_p50_ms\": " << fixed(p50, 3) << ", \"probe_p99_ms\": " << fixed(p99, 3)
              << ", \"probes_failed\": " << probes_failed
              << ", \"streams_cut\": " << (cut.load() ? "true" : "false") << "}\n";
    return ok_value;
}

}  // namespace uurwerk::cli
