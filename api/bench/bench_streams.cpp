#include "api/bench/bench_streams.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "api/bench/bench_support.h"
#include "api/bench/workload.h"
#include "api/http/http_client.h"
#include "api/http/http_server.h"
#include "api/http/routes.h"
#include "api/node/checkpointer.h"
#include "api/node/match_driver.h"
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

// A `change` read on a stream: which stream, the change's offset (its `id:`), and whether it
// tells of a match proposal (kind matchProposed).
struct change_seen {
    std::size_t stream = 0;
    std::uint64_t at = 0;
    bool proposal = false;
};

// Reads every stream that has something, for at most `wait`; calls `change` for each `change`
// event read and marks `ready` ones. False when a stream was closed by the server.
bool pump(std::vector<open_stream>& streams, std::vector<pollfd>& fds,
          std::chrono::milliseconds wait, const std::function<void(const change_seen&)>& change) {
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
                change({i, std::stoull(std::string(ev.substr(id + 4, ev.find('\n', id) - id - 4))),
                        ev.find("matchProposed") != std::string_view::npos});
            s.partial.erase(0, end + 2);
        }
    }
    return all_open;
}

// What is timed on the held streams: events the bench submits itself, from their submission;
// or, with --proposals, the matcher's proposals, from their append to the log and from the
// start of the round that made them.
enum class timed_kind : std::uint8_t { submitted_events, proposals };

// A change as the reader thread saw it arrive: on the steady clock (for spans measured in this
// process) and on the machine's clock in ms (the log's `appended_at` is that clock's, in ms).
struct arrival {
    change_seen change;
    clock_type::time_point when;
    double wall_ms = 0;
};

// What the reader thread has seen; any thread.
class arrivals_seen {
public:
    void add(const change_seen& c) {
        const auto now = clock_type::now();
        const double wall = std::chrono::duration<double, std::milli>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        std::lock_guard lock(mutex_);
        all_.push_back({c, now, wall});
        if (c.proposal) ++proposals_;
    }
    std::size_t proposals() {
        std::lock_guard lock(mutex_);
        return proposals_;
    }
    std::vector<arrival> copy() {
        std::lock_guard lock(mutex_);
        return all_;
    }

private:
    std::mutex mutex_;
    std::vector<arrival> all_;
    std::size_t proposals_ = 0;
};

double ms_between(clock_type::time_point from, clock_type::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// ", \"NAME_p50_ms\": ..., \"NAME_p99_ms\": ..., \"NAME_max_ms\": ..." of `l`; and the same
// for people on standard error.
std::string quantiles_json(const std::string& name, latencies& l) {
    return ", \"" + name + "_p50_ms\": " + fixed(l.quantile(0.5), 3) + ", \"" + name +
           "_p99_ms\": " + fixed(l.quantile(0.99), 3) + ", \"" + name +
           "_max_ms\": " + fixed(l.quantile(1.0), 3);
}
std::string quantiles_text(latencies& l) {
    return "p50 " + fixed(l.quantile(0.5), 3) + " ms, p99 " + fixed(l.quantile(0.99), 3) +
           " ms, max " + fixed(l.quantile(1.0), 3) + " ms";
}

// The workload's events one at a time, each timed from its submission to its change on every
// stream of its members; probes of /v1/health between. Answers the JSON fields it measured.
result<std::string> time_submitted_events(node& n, std::uint16_t port,
                                          const std::vector<bytes>& events, arrivals_seen& seen) {
    std::map<std::uint64_t, clock_type::time_point> submitted;  // by offset
    latencies probes;
    std::size_t probes_failed = 0;
    for (const auto& b : events) {
        const auto t0 = clock_type::now();
        auto r = n.submit(b);
        if (!r) return r.err();
        submitted.emplace(r->at.value, t0);
        for (int k = 0; k < 5; ++k) {
            const auto p0 = clock_type::now();
            auto h = http_call("127.0.0.1", port, "GET", "/v1/health", {});
            probes.ms.push_back(ms_between(p0, clock_type::now()));
            if (!h || h->status != 200) ++probes_failed;
        }
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));  // the last changes arrive
    latencies delivery;
    for (const auto& a : seen.copy())
        if (auto s = submitted.find(a.change.at); s != submitted.end())
            delivery.ms.push_back(ms_between(s->second, a.when));
    const double p50 = probes.quantile(0.5), p99 = probes.quantile(0.99);
    std::cerr << "bench streams: " << delivery.ms.size() << " changes delivered for "
              << submitted.size() << " events: " << quantiles_text(delivery)
              << "; health probes while held p50 " << fixed(p50, 3) << " ms, p99 " << fixed(p99, 3)
              << " ms, " << probes_failed << " failed\n";
    return ", \"events\": " + std::to_string(submitted.size()) +
           ", \"changes_delivered\": " + std::to_string(delivery.ms.size()) +
           quantiles_json("delivery", delivery) + ", \"probe_p50_ms\": " + fixed(p50, 3) +
           ", \"probe_p99_ms\": " + fixed(p99, 3) +
           ", \"probes_failed\": " + std::to_string(probes_failed);
}

// The community of --proposals: member 1 founds it (a coordinator) and announces the node's key;
// members 2..r+1 ask (one in ten of the others, at least one), the rest help, each with one open
// offer that fits every request (the same category, area and intensity, no times given). The
// policy raises open_matches_max to its range's top (100) so that no helper is full before the
// bench ends: what is timed is the delivery of proposals, not how the matcher spreads them.
struct proposal_community {
    std::vector<bytes> setup;     // founding, admissions, the node key, the offers
    std::vector<bytes> requests;  // the requesters in turn
    std::size_t requesters = 0;
};

proposal_community make_proposal_community(std::size_t members, std::size_t requests,
                                           const public_key& node_key) {
    UURWERK_ASSERT(members >= 3, members);
    std::vector<signing_key> keys;
    for (std::size_t i = 0; i < members; ++i) keys.push_back(workload_member_key(bench_seed, i));
    std::vector<std::uint64_t> seq(members, 0);
    auto body = [&](std::size_t signer, event_payload p) {
        return event_body{random_event_id(),
                          bench_community,
                          member_id{signer + 1},
                          sequence{++seq[signer]},
                          time_ms{1'700'000'000'000},
                          std::nullopt,
                          std::move(p)};
    };
    policy rules{minutes{balance_bound_minutes_max}, minutes{balance_bound_minutes_max},
                 minutes{minutes_per_event_max}};
    rules.fairness.open_matches_max = 100;
    const post_body fitting{category::companionship, std::nullopt, intensity::sometimes, "3512", 0};
    proposal_community out;
    out.requesters = std::max<std::size_t>(1, (members - 1) / 10);
    std::vector<std::pair<std::size_t, event_body>> setup, asked;
    setup.emplace_back(0, body(0, community_founded{"Bench proposals", rules}));
    for (std::size_t i = 1; i < members; ++i)
        setup.emplace_back(0, body(0, member_admitted{member_id{i + 1}, keys[i].public_bytes(),
                                                      role::member, true, std::nullopt}));
    setup.emplace_back(0, body(0, node_key_announced{node_key}));
    for (std::size_t i = 1 + out.requesters; i < members; ++i)
        setup.emplace_back(i, body(i, offer_posted{fitting}));
    for (std::size_t k = 0; k < requests; ++k) {
        const std::size_t who = 1 + k % out.requesters;
        asked.emplace_back(who, body(who, request_posted{fitting}));
    }
    out.setup = seal_all(setup, keys, 0);
    out.requests = seal_all(asked, keys, 0);
    return out;
}

// The requests one at a time, a matching round on demand right after each; every proposal's
// change on the open streams of its helper and its requester is timed from the proposal's
// append to the log (its record's appended_at, ms) and from the start of its round.
// `streams_of[i]`: how many streams member i+1 holds open. Answers the JSON fields it measured.
result<std::string> time_proposals(node& n, match_driver& matcher,
                                   const std::vector<bytes>& requests,
                                   const std::vector<std::size_t>& streams_of,
                                   arrivals_seen& seen) {
    struct round_mark {
        std::uint64_t from;  // the log's end when the round started: its proposals follow
        clock_type::time_point started;
    };
    std::vector<round_mark> rounds;
    std::map<std::uint64_t, std::size_t> expected;  // by the proposal's offset: streams to reach
    std::size_t expected_total = 0, rejected = 0;
    latencies round_ms;
    for (const auto& b : requests) {
        auto r = n.submit(b);
        if (!r) return r.err();
        if (!r->decided.accepted())
            return make_error(errc::bench_failed, std::string("a request was rejected: ") +
                                                      std::string(reason_name(r->decided.reason)));
        const std::uint64_t from = n.log(bench_community).end().value;
        const auto t0 = clock_type::now();
        auto round = matcher.run_now(bench_community);
        if (!round) return round.err();
        round_ms.ms.push_back(ms_between(t0, clock_type::now()));
        rounds.push_back({from, t0});
        // Every proposal not already in the log was appended, in order, accepted or rejected;
        // the bench is the log's only writer (no checkpointer or matcher interval runs).
        const std::uint64_t end = n.log(bench_community).end().value;
        if (end - from != round->submitted + round->rejected || round->duplicates != 0)
            return make_error(errc::bench_failed,
                              "the log moved by " + std::to_string(end - from) +
                                  " records in a round that appended " +
                                  std::to_string(round->submitted + round->rejected));
        rejected += round->rejected;
        std::uint64_t at = from;
        for (const auto& p : round->proposals) {
            const std::size_t to =
                streams_of[p.helper.value - 1] + streams_of[p.requester.value - 1];
            expected.emplace(at++, to);
            expected_total += to;
        }
    }
    // The last changes arrive (at most 10 s more).
    for (const auto until = clock_type::now() + std::chrono::seconds(10);
         seen.proposals() < expected_total && clock_type::now() < until;)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));

    latencies from_append, from_round;
    std::map<std::uint64_t, std::size_t> delivered;  // by offset
    std::map<std::uint64_t, double> appended_ms;     // by offset, read once each
    for (const auto& a : seen.copy()) {
        if (!a.change.proposal) continue;
        const auto at = a.change.at;
        if (!expected.contains(at))
            return make_error(errc::bench_failed,
                              "a proposal at offset " + std::to_string(at) + " no round made");
        auto appended = appended_ms.find(at);
        if (appended == appended_ms.end()) {
            auto rec = n.record_at(bench_community, offset{at});
            if (!rec) return rec.err();
            appended = appended_ms.emplace(at, static_cast<double>(rec->appended_at.value)).first;
        }
        const auto round = std::prev(
            std::upper_bound(rounds.begin(), rounds.end(), at,
                             [](std::uint64_t o, const round_mark& m) { return o < m.from; }));
        ++delivered[at];
        from_append.ms.push_back(a.wall_ms - appended->second);
        from_round.ms.push_back(ms_between(round->started, a.when));
    }
    std::size_t proposals_delivered = 0;
    for (const auto& [at, to] : expected)
        if (auto d = delivered.find(at); d != delivered.end() ? d->second == to : to == 0)
            ++proposals_delivered;
    std::cerr << "bench streams: " << requests.size() << " requests, a round after each (median "
              << fixed(round_ms.quantile(0.5), 3) << " ms): " << expected.size() << " proposals ("
              << rejected << " rejected), " << from_append.ms.size() << " of " << expected_total
              << " changes on their helpers' and requesters' streams, " << proposals_delivered
              << " proposals on every one\n"
              << "bench streams: from the proposal's append to the log: "
              << quantiles_text(from_append)
              << "\nbench streams: from the start of its round: " << quantiles_text(from_round)
              << "\n";
    return ", \"requests\": " + std::to_string(requests.size()) +
           ", \"rounds\": " + std::to_string(rounds.size()) + quantiles_json("round", round_ms) +
           ", \"proposals\": " + std::to_string(expected.size()) +
           ", \"proposals_rejected\": " + std::to_string(rejected) +
           ", \"proposal_changes_expected\": " + std::to_string(expected_total) +
           ", \"proposal_changes_delivered\": " + std::to_string(from_append.ms.size()) +
           ", \"proposals_delivered\": " + std::to_string(proposals_delivered) +
           quantiles_json("from_append", from_append) + quantiles_json("from_round", from_round);
}

}  // namespace

result<void> bench_streams(const parsed_args& a) {
    const auto timed = a.has("proposals") ? timed_kind::proposals : timed_kind::submitted_events;
    auto streams_wanted = u64_option(a, "streams", 1'000, 1, 16'000);
    if (!streams_wanted) return streams_wanted.err();
    auto members = u64_option(a, "members", 200, 2, 5'000);
    if (!members) return members.err();
    auto events = u64_option(a, "events", 200, 1, 100'000);
    if (!events) return events.err();
    const std::size_t n_streams = *streams_wanted;
    // With --proposals the founder holds no stream: every other member holds at least one.
    const std::size_t holders = timed == timed_kind::proposals ? *members - 1 : *members;
    if (timed == timed_kind::proposals && *members < 3)
        return make_error(errc::bad_argument,
                          "--proposals needs --members 3 at least: a founder, a requester and "
                          "a helper");
    if (timed == timed_kind::proposals && n_streams < holders)
        return make_error(errc::bad_argument,
                          "--proposals holds a stream for every member but the founder: give "
                          "--streams " +
                              std::to_string(holders) + " at least, or fewer --members");
    if (n_streams > holders * streams_per_key_max)
        return make_error(errc::bad_argument, "--streams is at most " +
                                                  std::to_string(streams_per_key_max) +
                                                  " per member: give more --members");

    scratch_dir dir("streams");
    std::cerr << "bench streams: a community of " << *members << " members, " << n_streams
              << " open streams, " << *events
              << (timed == timed_kind::proposals ? " requests, their proposals timed...\n"
                                                 : " events timed...\n");
    // The node's key, derived from the bench's seed far from the members' indexes.
    auto node_key = workload_member_key(bench_seed, 1'000'000);
    std::vector<bytes> setup, timed_events;
    std::size_t requesters = 0;
    if (timed == timed_kind::proposals) {
        auto c = make_proposal_community(*members, *events, node_key.public_bytes());
        setup = std::move(c.setup);
        timed_events = std::move(c.requests);
        requesters = c.requesters;
    } else {
        auto w = make_workload({bench_community,
                                static_cast<std::size_t>(*members),
                                static_cast<std::size_t>(*events),
                                bench_seed,
                                0,
                                {}});
        setup = std::move(w.setup);
        timed_events = std::move(w.events);
    }
    auto n = open_node_with(dir.path, {&setup});  // the timed events are submitted below
    if (!n) return n.err();
    // The matcher on demand only, signing with the node key through an on-demand checkpointer
    // (as serve wires them): the bench runs each round itself.
    checkpointer signer(**n, std::move(node_key),
                        checkpointer_options{std::chrono::milliseconds(0), wall_clock()});
    match_driver matcher(**n, signer, match_driver_options{std::chrono::milliseconds(0)});
    routes api(**n, nullptr, nullptr, access_options{wall_clock(), {}},
               quota_options::unlimited());  // measures streams, not quotas
    auto server = http_server::open(http_server_options{}, api.handler(), api.stats());
    if (!server) return server.err();
    (*server)->start();
    const auto port = (*server)->port();

    const std::uint64_t rss_before = own_status("VmRSS"), threads_before = own_status("Threads");
    std::vector<open_stream> streams(n_streams);
    std::vector<pollfd> fds(n_streams);
    std::vector<std::size_t> streams_of(*members, 0);  // by member index (member id - 1)
    std::vector<std::string> sessions;
    for (std::size_t m = 0; m < *members; ++m)
        sessions.push_back(
            session_header(workload_member_key(bench_seed, m), bench_community, member_id{m + 1}));
    const auto t_open = clock_type::now();
    for (std::size_t i = 0; i < n_streams; ++i) {
        const std::size_t m = *members - holders + i % holders;
        ++streams_of[m];
        auto fd = connect_stream(port, i / streams_per_address,
                                 "/v1/communities/1/members/" + std::to_string(m + 1) + "/stream",
                                 sessions[m]);
        if (!fd) return fd.err();
        streams[i].fd = *fd;
        fds[i] = pollfd{*fd, POLLIN, 0};
    }
    const auto ignore = [](const change_seen&) {};
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

    // A reader thread reads the streams while the timed events go in.
    arrivals_seen seen;
    std::atomic<bool> stop{false};
    std::atomic<bool> cut{false};
    std::thread reader([&] {
        while (!stop.load())
            if (!pump(streams, fds, std::chrono::milliseconds(5),
                      [&](const change_seen& c) { seen.add(c); }))
                cut.store(true);
    });
    auto figures = timed == timed_kind::proposals
                       ? time_proposals(**n, matcher, timed_events, streams_of, seen)
                       : time_submitted_events(**n, port, timed_events, seen);
    stop.store(true);
    reader.join();
    (*server)->stop();
    for (const auto& s : streams) ::close(s.fd);
    if (!figures) return figures.err();
    if (cut.load()) std::cerr << "bench streams: the server cut a stream\n";
    std::cout << "{\"streams\": " << n_streams << ", \"members\": " << *members;
    if (timed == timed_kind::proposals)
        std::cout << ", \"requesters\": " << requesters
                  << ", \"helpers\": " << *members - 1 - requesters;
    std::cout << ", \"opened_in_s\": " << fixed(opened_s, 2)
              << ", \"rss_before_kib\": " << rss_before << ", \"rss_held_kib\": " << rss_held
              << ", \"rss_per_stream_kib\": " << fixed(per_stream_kib, 2)
              << ", \"threads_before\": " << threads_before
              << ", \"threads_held\": " << threads_held << *figures
              << ", \"streams_cut\": " << (cut.load() ? "true" : "false") << "}\n";
    return ok_value;
}

}  // namespace uurwerk::cli
