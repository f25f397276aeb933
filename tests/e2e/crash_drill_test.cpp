// The crash drill (issue 23, point 6): `uurwerk serve` is killed with SIGKILL at a random moment
// under eight concurrent writers, again and again, and restarted on the same data folder. After
// each restart every event the server ever acknowledged is in its community's leaves at the
// offset it was acknowledged with, the same event (its signature) and the same verdict; after
// the last, the store's digest equals a rebuild's from the log.
//
// CTest runs 10 kills; ops/crash-drill.sh runs the long form (UURWERK_CRASH_KILLS, default 100
// there). UURWERK_CRASH_SEED picks the random moments (default: from the clock, printed).
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>

#include "api/bench/workload.h"
#include "api/http/http_client.h"
#include "api/json/json_read.h"
#include "tests/support/envelopes.h"
#include "tests/support/uurwerk_program.h"

using namespace uurwerk;
using namespace uurwerk::testing;

namespace {

constexpr std::uint64_t workload_seed = 23;
constexpr community_id drill_community{23};
constexpr int writers = 8;
// Each round writes for a random time in this range (ms) before the kill.
constexpr int round_ms_min = 30;
constexpr int round_ms_max = 400;
constexpr std::uint64_t leaves_page = 2000;

struct acknowledged {
    std::size_t event = 0;  // index into the workload's events
    std::uint64_t offset = 0;
    std::string reason;  // "none" when accepted
};

struct leaf {
    std::string signature, reason;
};

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    auto n = parse_decimal(v);
    BOOST_REQUIRE_MESSAGE(n.has_value(), std::string(name) + " is not a number: " + v);
    return *n;
}

std::string digest_line(const std::string& out) {
    auto at = out.find("digest: ");
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, out);
    return out.substr(at + 8, 64);
}

// Every leaf of the drill's community, by log offset, read from the running server.
std::map<std::uint64_t, leaf> all_leaves(const server_process& server,
                                         const http_call_options& as_founder) {
    std::map<std::uint64_t, leaf> out;
    for (std::uint64_t from = 0;;) {
        auto r = http_call("127.0.0.1", server.port(), "GET",
                           "/v1/communities/" + std::to_string(drill_community.value) +
                               "/leaves?from=" + std::to_string(from) +
                               "&limit=" + std::to_string(leaves_page),
                           "", as_founder);
        BOOST_REQUIRE_MESSAGE(r.ok(), "reading the leaves: " + (r.ok() ? "" : r.err().message));
        if (r->status == 404 || r->status == 416) break;  // past the last leaf
        BOOST_REQUIRE_MESSAGE(r->status == 200, "reading the leaves: " + r->body);
        auto d = json_doc::parse(r->body);
        BOOST_REQUIRE(d.ok());
        const auto* leaves = d->root().at("leaves");
        BOOST_REQUIRE(leaves && leaves->as_array());
        for (const auto& l : *leaves->as_array()) {
            auto at = parse_decimal(l.at("offset")->as_string().value_or(""));
            BOOST_REQUIRE(at.has_value());
            out[*at] = leaf{l.at("signature")->as_string().value_or(""),
                            l.at("reason")->as_string().value_or("")};
        }
        // A page stops at `limit` leaves or at its byte bound, and says where the next starts.
        if (leaves->as_array()->empty()) break;
        auto next = parse_decimal(d->string_at("next").value_or(""));
        BOOST_REQUIRE_MESSAGE(next.has_value() && *next > from, "a page of leaves without next");
        from = *next;
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(acknowledged_events_survive_repeated_kill_9_under_concurrent_writes) {
    const std::uint64_t kills = env_number("UURWERK_CRASH_KILLS", 10);
    const std::uint64_t seed = env_number(
        "UURWERK_CRASH_SEED",
        static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()));
    BOOST_REQUIRE_GE(kills, 1u);
    std::printf("crash drill: %llu kills, seed %llu (UURWERK_CRASH_SEED repeats it)\n",
                static_cast<unsigned long long>(kills), static_cast<unsigned long long>(seed));
    std::fflush(stdout);
    std::mt19937_64 rng(seed);
    const auto started = std::chrono::steady_clock::now();

    temp_dir dir("crash-drill");
    const auto data = dir.path / "data";
    // Enough events that no round runs out (a round acknowledges at most a few thousand).
    auto w = make_workload(
        {drill_community, 60, static_cast<std::size_t>(kills) * 2500 + 5000, workload_seed, 0, {}});
    std::vector<std::string> signatures;
    for (const auto& e : w.events) signatures.push_back(to_hex(decode_envelope(e)->sig.b));
    allow_founders_of(data, w.setup);
    http_call_options as_founder;
    as_founder.authorization =
        bearer(workload_member_key(workload_seed, 0), drill_community, member_id{1});

    std::vector<acknowledged> acked;
    std::mutex acked_mutex;
    std::atomic<std::size_t> next{0};
    {
        server_process server(data);
        for (const auto& b : w.setup) {
            auto r = http_call("127.0.0.1", server.port(), "POST", "/v1/events", envelope_json(b));
            BOOST_REQUIRE(r.ok() && r->status == 200);
        }
        server.stop(SIGTERM);
    }

    for (std::uint64_t kill = 1; kill <= kills; ++kill) {
        const auto round_started = std::chrono::steady_clock::now();
        server_process server(data);  // recovery: cut a torn tail, fold what was not applied

        // Every event acknowledged in every earlier round: there, at its offset, same verdict.
        {
            const auto leaves = all_leaves(server, as_founder);
            for (const auto& a : acked) {
                auto it = leaves.find(a.offset);
                BOOST_REQUIRE_MESSAGE(it != leaves.end(), "kill " << kill << ": acknowledged event "
                                                                  << a.event << " at offset "
                                                                  << a.offset << " is missing");
                BOOST_REQUIRE_MESSAGE(it->second.signature == signatures[a.event],
                                      "kill " << kill << ": offset " << a.offset
                                              << " holds another event than the one acknowledged");
                BOOST_REQUIRE_MESSAGE(it->second.reason == a.reason,
                                      "kill " << kill << ": event at offset " << a.offset
                                              << " has verdict " << it->second.reason
                                              << ", acknowledged as " << a.reason);
            }
        }
        const std::size_t checked = acked.size();

        // Eight writers on kept-alive connections; the server is killed after a random time.
        std::atomic<bool> killed{false};
        const std::size_t before = acked.size();
        std::vector<std::thread> clients;
        std::vector<std::string> bad_answers;  // under acked_mutex: Boost.Test is not for threads
        for (int c = 0; c < writers; ++c)
            clients.emplace_back([&] {
                std::unique_ptr<http_connection> conn;
                for (std::size_t i; !killed && (i = next.fetch_add(1)) < w.events.size();) {
                    if (!conn) {
                        auto opened = http_connection::open("127.0.0.1", server.port());
                        if (!opened) return;
                        conn = std::move(*opened);
                    }
                    auto r = conn->call("POST", "/v1/events", envelope_json(w.events[i]));
                    if (!r) {
                        conn.reset();
                        continue;  // not acknowledged (it may or may not be in the log)
                    }
                    if (r->status != 200 && r->status != 409) continue;
                    auto d = json_doc::parse(r->body);
                    auto at = d ? parse_decimal(d->string_at("offset").value_or("")) : std::nullopt;
                    std::lock_guard lock(acked_mutex);
                    if (!at) {
                        bad_answers.push_back(r->body);
                        continue;
                    }
                    acked.push_back({i, *at, d->string_at("reason").value_or("")});
                }
            });
        std::uniform_int_distribution<int> round_ms(round_ms_min, round_ms_max);
        std::this_thread::sleep_for(std::chrono::milliseconds(round_ms(rng)));
        server.stop(SIGKILL);
        killed = true;
        for (auto& t : clients) t.join();
        for (const auto& body : bad_answers)
            BOOST_ERROR("an acknowledgement without an offset: " << body);
        BOOST_REQUIRE(bad_answers.empty());
        BOOST_REQUIRE_MESSAGE(next.load() < w.events.size(), "the drill ran out of events");

        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - round_started).count();
        std::printf(
            "kill %llu/%llu: %zu acknowledged earlier all checked; %zu acknowledged in "
            "this round (%zu in all); %.2f s\n",
            static_cast<unsigned long long>(kill), static_cast<unsigned long long>(kills), checked,
            acked.size() - before, acked.size(), s);
        std::fflush(stdout);
    }

    // After the last kill: everything is there once more, the rest of the stream goes in, and
    // the live store equals a rebuild from the log.
    {
        server_process server(data);
        const auto leaves = all_leaves(server, as_founder);
        for (const auto& a : acked) {
            auto it = leaves.find(a.offset);
            BOOST_REQUIRE_MESSAGE(it != leaves.end() &&
                                      it->second.signature == signatures[a.event] &&
                                      it->second.reason == a.reason,
                                  "after the last kill: acknowledged event at offset "
                                      << a.offset << " is missing or changed");
        }
        server.stop(SIGTERM);
    }
    auto live = run_uurwerk({"digest", "--data", data.string()});
    BOOST_REQUIRE_MESSAGE(live.exit_code == 0, live.out);
    auto rebuilt = run_uurwerk({"rebuild", "--data", data.string()});
    BOOST_REQUIRE_MESSAGE(rebuilt.exit_code == 0, rebuilt.out);
    BOOST_CHECK_EQUAL(digest_line(live.out), digest_line(rebuilt.out));

    const double total =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf(
        "crash drill: %llu kills, %zu events acknowledged and checked after every "
        "restart, digest %s equals the rebuild's; %.1f s\n",
        static_cast<unsigned long long>(kills), acked.size(), digest_line(live.out).c_str(), total);
    std::fflush(stdout);
    BOOST_CHECK_GT(acked.size(), kills);  // the drill wrote under load, not into an empty room
}
