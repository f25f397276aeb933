#include "api/bench/bench_reads.h"

#include <random>

#include "api/bench/bench_support.h"
#include "api/bench/workload.h"
#include "api/http/http_client.h"
#include "api/http/http_server.h"
#include "api/http/routes.h"
#include "api/node/node.h"

namespace uurwerk::cli {
namespace {

constexpr community_id bench_community{1};
constexpr std::uint64_t bench_seed = 42;
constexpr std::size_t reads_per_round = 2'000;

struct served {
    std::unique_ptr<routes> api;
    std::unique_ptr<http_server> server;
};

result<served> serve_with(node& n, access_checks checks) {
    served s;
    s.api = std::make_unique<routes>(n, nullptr, nullptr,
                                     access_options{wall_clock(), {}, sessions_cached_max, checks},
                                     quota_options::unlimited());  // measures reads, not quotas
    auto server = http_server::open(http_server_options{}, s.api->handler(), s.api->stats());
    if (!server) return server.err();
    s.server = std::move(*server);
    s.server->start();
    return s;
}

// `count` balance reads of random members, each with that member's session, over one kept-alive
// connection per member asked (the sessions differ, the connection's header is fixed).
result<latencies> read_balances(std::uint16_t port, const std::vector<std::string>& sessions,
                                std::mt19937_64& rng, std::size_t count) {
    std::vector<std::unique_ptr<http_connection>> connections(sessions.size());
    latencies out;
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t m = rng() % sessions.size();
        if (!connections[m]) {
            http_call_options o;
            o.authorization = sessions[m];
            auto c = http_connection::open("127.0.0.1", port, o);
            if (!c) return c.err();
            connections[m] = std::move(*c);
        }
        const std::string target = "/v1/communities/" + std::to_string(bench_community.value) +
                                   "/members/" + std::to_string(m + 1) + "/balance";
        const auto t0 = clock_type::now();
        auto r = connections[m]->call("GET", target);
        out.ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
        if (!r) return r.err();
        if (r->status != 200)
            return make_error(errc::bench_failed, "a balance read answered " +
                                                      std::to_string(r->status) + ": " + r->body);
    }
    return out;
}

}  // namespace

result<void> bench_reads(const parsed_args& a) {
    auto members = u64_option(a, "members", 200, 2, 5'000);
    if (!members) return members.err();
    auto events = u64_option(a, "events", 5'000, 0, 1'000'000);
    if (!events) return events.err();
    auto rounds = u64_option(a, "rounds", 10, 1, 1'000);
    if (!rounds) return rounds.err();

    scratch_dir dir("reads");
    std::cerr << "bench reads: a community of " << *members << " members and " << *events
              << " events...\n";
    const auto w = make_workload({bench_community,
                                  static_cast<std::size_t>(*members),
                                  static_cast<std::size_t>(*events),
                                  bench_seed,
                                  0,
                                  {}});
    auto n = open_node_with(dir.path, {&w.setup, &w.events});
    if (!n) return n.err();

    std::vector<std::string> sessions;
    for (std::size_t i = 0; i < *members; ++i)
        sessions.push_back(
            session_header(workload_member_key(bench_seed, i), bench_community, member_id{i + 1}));
    auto checked = serve_with(**n, access_checks::on);
    if (!checked) return checked.err();
    auto open = serve_with(**n, access_checks::off_to_measure_them);
    if (!open) return open.err();

    // Each token once on the checked server: its signature is verified then.
    std::mt19937_64 rng(bench_seed);
    latencies first;
    for (std::size_t m = 0; m < sessions.size(); ++m) {
        http_call_options co;
        co.authorization = sessions[m];
        auto c = http_connection::open("127.0.0.1", checked->server->port(), co);
        if (!c) return c.err();
        const auto t0 = clock_type::now();
        auto r =
            (*c)->call("GET", "/v1/communities/1/members/" + std::to_string(m + 1) + "/balance");
        first.ms.push_back(
            std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
        if (!r || r->status != 200)
            return make_error(errc::bench_failed,
                              "a first read failed: " + (r ? r->body : r.err().message));
    }
    if (auto warm = read_balances(open->server->port(), sessions, rng, reads_per_round); !warm)
        return warm.err();

    std::cerr << "bench reads: " << *rounds << " alternated rounds of " << reads_per_round
              << " balance reads, with sessions checked and without...\n";
    latencies with, without;
    for (std::uint64_t round = 0; round < *rounds; ++round) {
        // Alternate which goes first, so that neither always follows the other.
        for (int half = 0; half < 2; ++half) {
            const bool checked_turn = (round + static_cast<std::uint64_t>(half)) % 2 == 0;
            auto got = read_balances((checked_turn ? checked : open)->server->port(), sessions, rng,
                                     reads_per_round);
            if (!got) return got.err();
            auto& into = checked_turn ? with : without;
            into.ms.insert(into.ms.end(), got->ms.begin(), got->ms.end());
        }
    }
    const double p50_with = with.quantile(0.5), p99_with = with.quantile(0.99);
    const double p50_without = without.quantile(0.5), p99_without = without.quantile(0.99);
    const double first_p50 = first.quantile(0.5);
    const auto over = [](double a, double b) { return b > 0 ? (a / b - 1) * 100 : 0; };
    const auto verified = checked->api->access().sessions().verifications();
    std::cerr << "  with sessions:    p50 " << fixed(p50_with, 3) << " ms, p99 "
              << fixed(p99_with, 3) << " ms\n"
              << "  without:          p50 " << fixed(p50_without, 3) << " ms, p99 "
              << fixed(p99_without, 3) << " ms\n"
              << "  overhead:         p50 " << fixed(over(p50_with, p50_without), 1) << " %, p99 "
              << fixed(over(p99_with, p99_without), 1) << " %\n"
              << "  a token's first read (its signature verified): p50 " << fixed(first_p50, 3)
              << " ms; signatures verified in all: " << verified << "\n";
    open->server->stop();
    checked->server->stop();
    std::cout << "{\"bench\": \"reads\", \"members\": " << *members
              << ", \"reads\": " << with.ms.size() << ", \"p50_ms\": " << fixed(p50_with, 3)
              << ", \"p99_ms\": " << fixed(p99_with, 3)
              << ", \"p50_without_ms\": " << fixed(p50_without, 3)
              << ", \"p99_without_ms\": " << fixed(p99_without, 3)
              << ", \"p50_overhead_percent\": " << fixed(over(p50_with, p50_without), 1)
              << ", \"p99_overhead_percent\": " << fixed(over(p99_with, p99_without), 1)
              << ", \"first_read_p50_ms\": " << fixed(first_p50, 3)
              << ", \"signatures_verified\": " << verified << "}\n";
    return ok_value;
}

}  // namespace uurwerk::cli
