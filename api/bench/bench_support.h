#pragma once
// Small pieces the benchmarks share (api/bench/bench.cpp, api/bench/bench_fairness.cpp,
// api/bench/bench_match.cpp): clocks, latency quantiles, a closed-loop driver of many clients (and
// a pipelined one), a scratch folder, a log written at once and a rebuild of its projections.
// Threading: drive() and drive_pipelined() run their clients on threads of their own; the rest
// is plain functions.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "api/args/cli_args.h"
#include "api/bench/workload.h"
#include "api/http/serve.h"
#include "api/node/node.h"
#include "ledger/log/local_log.h"
#include "projections/projector.h"
#include "projections/store.h"

namespace uurwerk::cli {

// A scratch folder for one bench run, removed afterwards.
struct scratch_dir {
    std::filesystem::path path;
    explicit scratch_dir(const std::string& what) {
        path = std::filesystem::temp_directory_path() /
               ("uurwerk-bench-" + what + "-" + std::to_string(::getpid()));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~scratch_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
};

// The value of option `name`, clamped to [least, most], or `fallback` when it is not given.
[[nodiscard]] inline result<std::uint64_t> u64_option(
    const parsed_args& a, const char* name, std::uint64_t fallback, std::uint64_t least,
    std::uint64_t most = std::numeric_limits<std::uint64_t>::max()) {
    if (!a.has(name)) return fallback;
    auto v = a.get_u64(name);
    if (!v) return v.err();
    return std::clamp(*v, least, most);
}

// `v` with `digits` decimals.
inline std::string fixed(double v, int digits = 1) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

inline std::size_t cores() {
    return std::max(1u, std::thread::hardware_concurrency());
}

struct latencies {
    std::vector<double> ms;
    // The q-quantile (0..1) of what was recorded; sorts it.
    double quantile(double q) {
        if (ms.empty()) return 0;
        std::sort(ms.begin(), ms.end());
        auto i = static_cast<std::size_t>(q * static_cast<double>(ms.size() - 1));
        return ms[i];
    }
};

// CPU seconds a clock has counted: CLOCK_THREAD_CPUTIME_ID (the calling thread) or
// CLOCK_PROCESS_CPUTIME_ID (every thread of the process, user and system).
inline double cpu_s(clockid_t clock) {
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
inline double thread_cpu_s() {
    return cpu_s(CLOCK_THREAD_CPUTIME_ID);
}
inline double process_cpu_s() {
    return cpu_s(CLOCK_PROCESS_CPUTIME_ID);
}

struct ingest_figures {
    double events_per_s = 0, p50 = 0, p99 = 0, max = 0;
    std::size_t rejected = 0;
    double client_cpu_s = 0;  // summed over the client threads
};

// Each signer's events form a lane, in order (as a member's device sends them, so sequence
// numbers arrive increasing): one event of a signer in flight at a time. A client takes the lane
// whose next event comes first in the workload, submits that event, and puts the lane back once
// it is answered. So events go out close to the workload's order, as a community's members act
// in time. A lane in flight waits outside the queue, so later events of other lanes go out
// meanwhile; but a confirmation lags its claim by hundreds of events (workload.h's confirm_lag),
// far more than are in flight, so in practice it no longer overtakes its claim (a round-robin
// over the lanes let a claimant with a long lane fall behind: about one event in 20,000 was
// rejected as unknown_claim).
class lane_queue {
public:
    explicit lane_queue(const std::vector<bytes>& events) {
        std::map<public_key, std::vector<std::size_t>> by_signer;
        for (std::size_t i = 0; i < events.size(); ++i) {
            auto env = decode_envelope(events[i]);
            UURWERK_ASSERT(env.ok(), i);
            by_signer[env->signer].push_back(i);
        }
        for (auto& [signer, l] : by_signer) lanes_.push_back(std::move(l));
        cursor_.assign(lanes_.size(), 0);
        for (std::size_t l = 0; l < lanes_.size(); ++l) ready(l);
    }
    struct turn {
        std::size_t lane, event;  // the lane taken and its next event's index
    };

    bool empty() const { return ready_.empty(); }
    // The ready lane whose next event comes first; the queue must not be empty. The lane is
    // taken until answered(lane).
    turn take() {
        UURWERK_ASSERT(!ready_.empty());
        std::pop_heap(ready_.begin(), ready_.end(), std::greater<>{});
        const auto [event, lane] = ready_.back();
        ready_.pop_back();
        return {lane, event};
    }
    // The event `take` gave of `lane` is answered: the lane is ready again if it holds more.
    void answered(std::size_t lane) {
        UURWERK_ASSERT(lane < lanes_.size(), lane);
        ++cursor_[lane];
        ready(lane);
    }

private:
    void ready(std::size_t lane) {
        if (cursor_[lane] == lanes_[lane].size()) return;
        ready_.emplace_back(lanes_[lane][cursor_[lane]], lane);
        std::push_heap(ready_.begin(), ready_.end(), std::greater<>{});
    }
    std::vector<std::vector<std::size_t>> lanes_;  // each signer's events' indexes, increasing
    std::vector<std::size_t> cursor_;              // each lane's next event, within the lane
    // (next event's index, lane) of every lane not taken and not done: a heap, smallest on top
    std::vector<std::pair<std::size_t, std::size_t>> ready_;
};

// What a driver measured: `lat` each answer's latency (ms), over `seconds`.
inline ingest_figures figures_of(std::size_t events, double seconds, std::vector<latencies>& lat,
                                 std::size_t rejected, double client_cpu_s) {
    ingest_figures f;
    f.events_per_s = static_cast<double>(events) / seconds;
    latencies all;
    for (auto& l : lat) all.ms.insert(all.ms.end(), l.ms.begin(), l.ms.end());
    f.p50 = all.quantile(0.50);
    f.p99 = all.quantile(0.99);
    f.max = all.quantile(1.0);
    f.rejected = rejected;
    f.client_cpu_s = client_cpu_s;
    return f;
}

inline void print_progress(const char* label, std::size_t done, std::size_t total,
                           clock_type::time_point t0) {
    if (done % 5000 == 0)
        std::cerr << "  " << label << ": " << done << " / " << total << " events, "
                  << fixed(static_cast<double>(done) / seconds_since(t0), 0) << "/s\n";
}

// A closed loop of `clients` threads, each submitting one event and waiting for its answer:
// `submit(bytes)` returns true when the event was accepted.
template <typename Submit>
ingest_figures drive(const std::vector<bytes>& events, std::size_t clients, const char* label,
                     Submit&& submit) {
    lane_queue lanes(events);
    std::mutex lanes_mutex;
    std::atomic<std::size_t> done{0}, rejected{0};
    std::vector<latencies> lat(clients);
    std::mutex cpu_mutex;
    double client_cpu_s = 0;
    std::vector<std::thread> pool;
    auto t0 = clock_type::now();
    for (std::size_t c = 0; c < clients; ++c)
        pool.emplace_back([&, c] {
            for (;;) {
                lane_queue::turn turn{};
                {
                    std::lock_guard lock(lanes_mutex);
                    if (lanes.empty()) break;
                    turn = lanes.take();
                }
                auto s = clock_type::now();
                if (!submit(events[turn.event])) ++rejected;
                lat[c].ms.push_back(
                    std::chrono::duration<double, std::milli>(clock_type::now() - s).count());
                {
                    std::lock_guard lock(lanes_mutex);
                    lanes.answered(turn.lane);
                }
                print_progress(label, done.fetch_add(1) + 1, events.size(), t0);
            }
            std::lock_guard lock(cpu_mutex);
            client_cpu_s += thread_cpu_s();
        });
    for (auto& t : pool) t.join();
    return figures_of(events.size(), seconds_since(t0), lat, rejected, client_cpu_s);
}

// A pipelined loop: `submitters` threads keep up to `in_flight` events in flight between them
// (in_flight / submitters each), as a client of an asynchronous API does.
// `submit_async(bytes, answer)` must call answer(accepted) exactly once, on any thread.
template <typename SubmitAsync>
ingest_figures drive_pipelined(const std::vector<bytes>& events, std::size_t submitters,
                               std::size_t in_flight, const char* label,
                               SubmitAsync&& submit_async) {
    UURWERK_ASSERT(submitters > 0 && in_flight >= submitters, submitters, in_flight);
    lane_queue lanes(events);
    std::mutex mutex;  // guards everything below that is not atomic
    std::condition_variable answered;
    std::size_t done = 0, rejected = 0, waiting = 0;
    std::vector<std::size_t> busy(submitters, 0);  // each submitter's events in flight
    std::vector<latencies> lat(submitters);
    double client_cpu_s = 0;
    std::vector<std::thread> pool;
    auto t0 = clock_type::now();
    for (std::size_t c = 0; c < submitters; ++c)
        pool.emplace_back([&, c] {
            name_this_thread("uw-submit");  // apart from the signing and verify runs in a profile
            const std::size_t mine_max = in_flight / submitters + (c < in_flight % submitters);
            std::unique_lock lock(mutex);
            while (done < events.size()) {
                if (busy[c] == mine_max || lanes.empty()) {
                    ++waiting;
                    answered.wait(lock);
                    --waiting;
                    continue;
                }
                const auto turn = lanes.take();
                ++busy[c];
                lock.unlock();
                const auto s = clock_type::now();
                submit_async(events[turn.event], [&, c, s, lane = turn.lane](bool accepted) {
                    const double ms =
                        std::chrono::duration<double, std::milli>(clock_type::now() - s).count();
                    std::lock_guard answer_lock(mutex);
                    lat[c].ms.push_back(ms);
                    if (!accepted) ++rejected;
                    lanes.answered(lane);
                    --busy[c];
                    print_progress(label, ++done, events.size(), t0);
                    // Under the lock: once it is released, the last answer's submitter may
                    // return and take `answered` with it.
                    if (waiting > 0) answered.notify_all();
                });
                lock.lock();
            }
            client_cpu_s += thread_cpu_s();
        });
    for (auto& t : pool) t.join();
    return figures_of(events.size(), seconds_since(t0), lat, rejected, client_cpu_s);
}

// Appends every record of `parts` in order to a new LocalLog in `dir` (group commit), and
// returns once the last one is durable (the log acknowledges in order). The log's clock is the
// wall clock unless `clock` is given (a log whose times are known in advance).
[[nodiscard]] result<void> write_log(const std::filesystem::path& dir,
                                     std::initializer_list<const std::vector<bytes>*> parts,
                                     log_clock clock = nullptr);

// A rebuild of `store_dir` from `dir`/log, exactly as `uurwerk rebuild` does it: a bulk-load
// store and the CRC-checked local log; the match queues kept or not.
struct rebuild_parts {
    std::unique_ptr<local_log> log;
    std::unique_ptr<store> db;
    key_cache keys;
    std::unique_ptr<projector> folder;
};
[[nodiscard]] result<std::unique_ptr<rebuild_parts>> open_rebuild(
    const std::filesystem::path& dir, const std::filesystem::path& store_dir,
    queue_upkeep queues = queue_upkeep::kept);

// A node on the machine's clock in the scratch folder `dir`, with `first` (stored envelopes,
// e.g. a workload's setup and events) submitted in order, for the benchmarks that serve one.
// Errors: the node's (a submission refused before the log).
[[nodiscard]] result<std::unique_ptr<node>> open_node_with(
    const std::filesystem::path& dir, std::initializer_list<const std::vector<bytes>*> first);

// A community's log as `bench audit` and `bench reports` read it: a workload of `events` events
// in community 1 (1000 members, seed 17), with a checkpoint signed by `node_key` every 100,000
// events and after the last. The ledger accepts every event, and the log's clock stands at
// checkpointed_log_time, so the verdict tree is known ahead. `bench` names the benchmark in its
// progress lines.
inline constexpr time_ms checkpointed_log_time{1'700'000'000'000};
struct checkpointed_log {
    workload_options options;
    workload w;
    std::vector<bytes> records;  // the setup, the events and the checkpoints, in log order
    digest root;                 // of the event tree over every record
};
[[nodiscard]] checkpointed_log make_checkpointed_log(std::size_t events,
                                                     const signing_key& node_key,
                                                     const std::string& bench);
// The node key those benchmarks sign with (a fixed seed).
[[nodiscard]] result<signing_key> bench_node_key();
// `log`'s records written to `dir`/log, folded into `dir`/store as `uurwerk rebuild` does, and
// a node serving them on a free loopback port (no quotas). Errors: the log's, the store's, the
// server's.
[[nodiscard]] result<std::unique_ptr<embedded_server>> serve_checkpointed_log(
    const checkpointed_log& log, const std::filesystem::path& dir, const std::string& bench);

}  // namespace uurwerk::cli
