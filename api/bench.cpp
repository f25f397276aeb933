#include "api/bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "api/http_client.h"
#include "api/node.h"
#include "api/serve.h"
#include "ledger/local_log.h"
#include "ledger/workload.h"

namespace uurwerk::cli {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

std::size_t cores() {
    return std::max(1u, std::thread::hardware_concurrency());
}

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
};

struct latencies {
    std::vector<double> ms;
    double quantile(double q) {
        if (ms.empty()) return 0;
        std::sort(ms.begin(), ms.end());
        auto i = static_cast<std::size_t>(q * static_cast<double>(ms.size() - 1));
        return ms[i];
    }
};

std::string fixed(double v, int digits = 1) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// CPU seconds the calling thread has used.
double thread_cpu_s() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU seconds (user + system) of every thread of this process, by thread id, with its name:
// from /proc/self/task/*/stat, in clock ticks (10 ms), so only sums over a second or more mean
// much.
struct thread_cpu {
    std::string name;
    double cpu_s = 0;
};
std::map<long, thread_cpu> threads_cpu() {
    std::map<long, thread_cpu> out;
    const double tick_s = 1.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
        std::ifstream f(task.path() / "stat");
        std::string line;
        if (!std::getline(f, line)) continue;
        // pid (comm) state ... utime(14) stime(15); comm may hold spaces, so split at ')'.
        auto open = line.find('('), close = line.rfind(')');
        if (open == std::string::npos || close == std::string::npos) continue;
        std::istringstream rest(line.substr(close + 2));
        std::string field;
        double utime = 0, stime = 0;
        for (int i = 3; i <= 15 && rest >> field; ++i) {
            if (i == 14) utime = std::stod(field);
            if (i == 15) stime = std::stod(field);
        }
        out[std::stol(task.path().filename().string())] =
            thread_cpu{line.substr(open + 1, close - open - 1), (utime + stime) * tick_s};
    }
    return out;
}

// CPU seconds each thread name used between two snapshots, the calling thread left out
// (threads that ended in between are not seen: measure those on the thread itself).
std::map<std::string, double> cpu_by_name(const std::map<long, thread_cpu>& before,
                                          const std::map<long, thread_cpu>& after) {
    std::map<std::string, double> out;
    for (const auto& [tid, t] : after) {
        if (tid == static_cast<long>(::gettid())) continue;
        auto b = before.find(tid);
        const bool same = b != before.end() && b->second.name == t.name;
        out[t.name] += t.cpu_s - (same ? b->second.cpu_s : 0);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// bench verify: raw OpenSSL Ed25519 verifications, one core and every core.

struct verify_figures {
    double one_core = 0, all_cores = 0;
    double cpu_us = 0;  // CPU time of one verification, measured on the threads themselves
};

verify_figures measure_verify(double seconds_each) {
    auto w = make_workload({community_id{1}, 16, 2000, 7, 0, {}});
    std::vector<envelope> envs;
    for (const auto& b : w.events) envs.push_back(decode_envelope(b).value());
    key_cache keys;
    double verify_cpu_us = 0;
    auto run = [&](std::size_t threads) {
        std::atomic<bool> stop{false};
        std::atomic<std::uint64_t> count{0};
        std::mutex cpu_mutex;
        double cpu_s = 0;
        std::vector<std::thread> pool;
        auto t0 = clock_type::now();
        for (std::size_t t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                std::uint64_t n = 0;
                for (std::size_t i = t; !stop.load(std::memory_order_relaxed);
                     i = (i + 1) % envs.size()) {
                    bool ok = keys.verify_envelope(envs[i]);
                    UURWERK_ASSERT(ok, i);
                    ++n;
                }
                count += n;
                std::lock_guard lock(cpu_mutex);
                cpu_s += thread_cpu_s();
            });
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds_each));
        stop = true;
        for (auto& t : pool) t.join();
        verify_cpu_us = 1e6 * cpu_s / static_cast<double>(std::max<std::uint64_t>(1, count));
        return static_cast<double>(count.load()) / seconds_since(t0);
    };
    verify_figures f;
    std::cerr << "bench verify: one core for " << seconds_each << " s...\n";
    f.one_core = run(1);
    f.cpu_us = verify_cpu_us;
    std::cerr << "  " << fixed(f.one_core, 0) << " verifies/s\n";
    std::cerr << "bench verify: " << cores() << " cores for " << seconds_each << " s...\n";
    f.all_cores = run(cores());
    std::cerr << "  " << fixed(f.all_cores, 0) << " verifies/s\n";
    return f;
}

result<void> bench_verify(const parsed_args& a) {
    double seconds = 3;
    if (a.has("seconds")) {
        auto s = a.get_u64("seconds");
        if (!s) return s.err();
        seconds = static_cast<double>(std::max<std::uint64_t>(1, *s));
    }
    auto f = measure_verify(seconds);
    std::cout << "{\"cores\": " << cores()
              << ", \"one_core_verifies_per_s\": " << fixed(f.one_core, 0)
              << ", \"all_cores_verifies_per_s\": " << fixed(f.all_cores, 0) << "}\n";
    return ok_value;
}

// ---------------------------------------------------------------------------------------------
// bench ingest: pre-signed events through node.submit (verify, durable append, apply), from
// many client threads at once; then the same through the HTTP API.

struct ingest_figures {
    double events_per_s = 0, p50 = 0, p99 = 0, max = 0;
    std::size_t rejected = 0;
    double client_cpu_s = 0;  // summed over the client threads
};

// Each signer's events form a lane, in order (as a member's device sends them, so sequence
// numbers arrive increasing). A free client takes the next lane, submits its next event and
// puts the lane back at the end: every client stays busy until the last lanes run dry.
template <typename Submit>
ingest_figures drive(const std::vector<bytes>& events, std::size_t clients, const char* label,
                     Submit&& submit) {
    std::map<public_key, std::deque<std::size_t>> by_signer;
    for (std::size_t i = 0; i < events.size(); ++i) {
        auto env = decode_envelope(events[i]);
        UURWERK_ASSERT(env.ok(), i);
        by_signer[env->signer].push_back(i);
    }
    std::deque<std::deque<std::size_t>> lanes;
    for (auto& [signer, lane] : by_signer) lanes.push_back(std::move(lane));
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
                std::deque<std::size_t> lane;
                {
                    std::lock_guard lock(lanes_mutex);
                    if (lanes.empty()) break;
                    lane = std::move(lanes.front());
                    lanes.pop_front();
                }
                const std::size_t i = lane.front();
                lane.pop_front();
                auto s = clock_type::now();
                if (!submit(events[i])) ++rejected;
                lat[c].ms.push_back(
                    std::chrono::duration<double, std::milli>(clock_type::now() - s).count());
                if (!lane.empty()) {
                    std::lock_guard lock(lanes_mutex);
                    lanes.push_back(std::move(lane));
                }
                auto d = done.fetch_add(1) + 1;
                if (d % 5000 == 0)
                    std::cerr << "  " << label << ": " << d << " / " << events.size() << " events, "
                              << fixed(static_cast<double>(d) / seconds_since(t0), 0) << "/s\n";
            }
            std::lock_guard lock(cpu_mutex);
            client_cpu_s += thread_cpu_s();
        });
    for (auto& t : pool) t.join();
    ingest_figures f;
    f.events_per_s = static_cast<double>(events.size()) / seconds_since(t0);
    latencies all;
    for (auto& l : lat) all.ms.insert(all.ms.end(), l.ms.begin(), l.ms.end());
    f.p50 = all.quantile(0.50);
    f.p99 = all.quantile(0.99);
    f.max = all.quantile(1.0);
    f.rejected = rejected;
    f.client_cpu_s = client_cpu_s;
    return f;
}

result<void> bench_ingest(const parsed_args& a) {
    std::size_t events = 20'000, clients = 128;
    if (a.has("events")) {
        auto v = a.get_u64("events");
        if (!v) return v.err();
        events = std::max<std::size_t>(100, *v);
    }
    if (a.has("clients")) {
        auto v = a.get_u64("clients");
        if (!v) return v.err();
        clients = std::clamp<std::size_t>(*v, 1, 256);
    }
    auto verify = measure_verify(2);
    std::cerr << "bench ingest: signing " << events << " events (not measured)...\n";
    // Confirmations lag their claims so that concurrent clients rarely overtake them.
    auto w = make_workload(
        {community_id{1}, 500, events, 11, 0, {}, std::max<std::size_t>(256, events / 4)});

    scratch_dir dir("ingest");
    ingest_figures in_process;
    std::map<std::string, double> node_cpu_s;  // by thread name, during the in-process drive
    {
        auto n = node::open({dir.path / "a", wall_clock(), std::chrono::milliseconds(30'000)});
        if (!n) return n.err();
        for (const auto& b : w.setup)
            if (auto r = (*n)->submit(b); !r || !r->decided.accepted())
                return make_error("bench_failed", "the workload's setup was not accepted");
        std::cerr << "bench ingest: in-process, " << clients << " client threads...\n";
        auto before = threads_cpu();
        in_process = drive(w.events, clients, "in-process", [&](const bytes& b) {
            auto r = (*n)->submit(b);
            return r.ok() && r->decided.accepted();
        });
        node_cpu_s = cpu_by_name(before, threads_cpu());
    }
    std::cerr << "bench ingest: through the HTTP API, " << clients << " clients...\n";
    auto server = embedded_server::start(dir.path / "b", "127.0.0.1", 0);
    if (!server) return server.err();
    for (const auto& b : w.setup)
        if (auto r = (*server)->node().submit(b); !r || !r->decided.accepted())
            return make_error("bench_failed", "the workload's setup was not accepted");
    const auto port = (*server)->port();
    auto http = drive(w.events, clients, "http", [&](const bytes& b) {
        auto env = decode_envelope(b);
        if (!env) return false;
        std::string json = "{\"body\": \"" + to_base64(env->body) + "\", \"signer\": \"" +
                           env->signer.hex() + "\", \"signature\": \"" + to_hex(env->sig.b) + "\"}";
        // Each client keeps its connection open, as a busy client would.
        thread_local std::unique_ptr<http_connection> connection;
        if (!connection) {
            auto c = http_connection::open("127.0.0.1", port);
            if (!c) return false;
            connection = std::move(*c);
        }
        auto r = connection->call("POST", "/v1/events", json);
        if (!r) connection.reset();
        return r.ok() && r->status == 200;
    });
    (*server)->stop();
    auto share = verify.all_cores > 0 ? in_process.events_per_s / verify.all_cores : 0;
    // CPU per event of the in-process run, by thread; the clients' share without their
    // verification is estimated with the verification's own CPU cost measured above.
    auto per_event_us = [&](double s) { return 1e6 * s / static_cast<double>(events); };
    const double client_us = per_event_us(in_process.client_cpu_s);
    double node_us = 0;
    std::cerr << "in-process CPU per event: clients " << fixed(client_us) << " us (verify "
              << fixed(verify.cpu_us) << " us, the rest " << fixed(client_us - verify.cpu_us)
              << " us)";
    for (const auto& [name, s] : node_cpu_s) {
        if (per_event_us(s) < 0.05) continue;
        node_us += per_event_us(s);
        std::cerr << ", " << name << " " << fixed(per_event_us(s)) << " us";
    }
    const double non_verify_us = client_us - verify.cpu_us + node_us;
    std::cerr << "; non-verify " << fixed(non_verify_us) << " us ("
              << fixed(100 * non_verify_us / (non_verify_us + verify.cpu_us), 0) << " %)\n";
    std::cerr << "in-process: " << fixed(in_process.events_per_s, 0) << " events/s ("
              << fixed(100 * share, 0) << " % of the all-cores verify rate "
              << fixed(verify.all_cores, 0) << "/s), p50 " << fixed(in_process.p50, 2)
              << " ms, p99 " << fixed(in_process.p99, 2) << " ms, max " << fixed(in_process.max, 2)
              << " ms; rejected " << in_process.rejected << "\n"
              << "http: " << fixed(http.events_per_s, 0) << " events/s, p99 " << fixed(http.p99, 2)
              << " ms; rejected " << http.rejected << "\n";
    std::cout << "{\"cores\": " << cores() << ", \"events\": " << events
              << ", \"clients\": " << clients
              << ", \"all_cores_verifies_per_s\": " << fixed(verify.all_cores, 0)
              << ", \"events_per_s\": " << fixed(in_process.events_per_s, 0)
              << ", \"p50_ms\": " << fixed(in_process.p50, 3)
              << ", \"p99_ms\": " << fixed(in_process.p99, 3)
              << ", \"max_ms\": " << fixed(in_process.max, 3)
              << ", \"share_of_verify_rate\": " << fixed(share, 3)
              << ", \"verify_cpu_us\": " << fixed(verify.cpu_us)
              << ", \"non_verify_cpu_us_per_event\": " << fixed(non_verify_us)
              << ", \"http_events_per_s\": " << fixed(http.events_per_s, 0)
              << ", \"http_p99_ms\": " << fixed(http.p99, 3) << "}\n";
    return ok_value;
}

// ---------------------------------------------------------------------------------------------
// bench replay: rebuild every projection from a log of N events.

result<void> bench_replay(const parsed_args& a) {
    std::size_t events = 1'000'000;
    if (a.has("events")) {
        auto v = a.get_u64("events");
        if (!v) return v.err();
        events = std::max<std::size_t>(1000, *v);
    }
    std::cerr << "bench replay: signing " << events << " events on " << cores()
              << " cores (not measured)...\n";
    auto w = make_workload({community_id{1}, 1000, events, 13, 0, [](std::size_t d, std::size_t n) {
                                std::cerr << "  signed " << d << " / " << n << "\n";
                            }});
    scratch_dir dir("replay");
    {
        local_log_options lo;
        lo.dir = dir.path / "log";
        lo.clock = wall_clock();
        auto log = local_log::open(lo);
        if (!log) return log.err();
        std::cerr << "bench replay: writing the log...\n";
        std::atomic<std::size_t> failed{0};
        auto append_all = [&](const std::vector<bytes>& evs) -> result<void> {
            for (const auto& b : evs) {
                for (;;) {
                    auto r = (*log)->append_async(b, [&](result<offset> o) {
                        if (!o) ++failed;
                    });
                    if (r) break;
                    if (r.err().code != "log_full") return r.err();
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                }
            }
            return ok_value;
        };
        if (auto r = append_all(w.setup); !r) return r.err();
        if (auto r = append_all({w.events.begin(), w.events.end() - 1}); !r) return r.err();
        auto last = (*log)->append(w.events.back());  // durable once every earlier one is
        if (!last || failed) return make_error("bench_failed", "the log did not take every event");
    }
    local_log_options lo;
    lo.dir = dir.path / "log";
    lo.clock = wall_clock();
    auto log = local_log::open(lo);
    if (!log) return log.err();
    // A rebuild, exactly as `uurwerk rebuild` does it: bulk-load store, CRC-checked local log.
    auto db = store::open(dir.path / "store", store_use::bulk_load);
    if (!db) return db.err();
    key_cache keys;
    projector_options po;
    po.check = signature_check::trust_local_log;
    auto p = projector::open(**log, **db, keys, po);
    if (!p) return p.err();
    const auto total = (*log)->end().value;
    std::atomic<std::uint64_t> applied{0}, accepted{0};
    auto t0 = clock_type::now();
    auto last_report = t0;
    (*p)->set_applied_hook([&](const std::vector<applied_record>& recs) {
        applied += recs.size();
        for (const auto& r : recs) accepted += r.decided.accepted();
        auto now = clock_type::now();
        if (now - last_report > std::chrono::seconds(1)) {
            last_report = now;
            std::cerr << "  replayed " << applied << " / " << total << ", "
                      << fixed(static_cast<double>(applied) / seconds_since(t0), 0)
                      << " events/s\n";
        }
    });
    std::cerr << "bench replay: rebuilding the projections from " << total << " records...\n";
    t0 = clock_type::now();
    auto n = (*p)->catch_up();
    if (!n) return n.err();
    auto flushed = (*db)->flush();
    if (!flushed) return flushed.err();
    double secs = seconds_since(t0);
    double rate = static_cast<double>(*n) / secs;
    std::cerr << "replayed " << *n << " records in " << fixed(secs, 2) << " s: " << fixed(rate, 0)
              << " events/s; " << accepted << " accepted\n";
    std::cout << "{\"cores\": " << cores() << ", \"events\": " << *n
              << ", \"seconds\": " << fixed(secs, 3) << ", \"accepted\": " << accepted.load()
              << ", \"events_per_s\": " << fixed(rate, 0) << "}\n";
    return ok_value;
}

}  // namespace

std::vector<option_spec> bench_options() {
    return {
        {"seconds", "S", "verify: seconds per measurement (default 3)"},
        {"events", "N", "ingest: events to push (default 20000); replay: log size (1000000)"},
        {"clients", "N", "ingest: concurrent clients (default 128)"},
    };
}

result<void> bench_command(const std::string& what, const parsed_args& args) {
    if (what == "verify") return bench_verify(args);
    if (what == "ingest") return bench_ingest(args);
    if (what == "replay") return bench_replay(args);
    return make_error("bad_argument", "unknown bench '" + what + "': verify, ingest or replay");
}

}  // namespace uurwerk::cli
