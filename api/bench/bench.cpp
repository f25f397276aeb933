#include "api/bench/bench.h"

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
#include <optional>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "api/args/knob_flags.h"
#include "api/bench/bench_fairness.h"
#include "api/bench/bench_match.h"
#include "api/bench/bench_reads.h"
#include "api/bench/bench_reports.h"
#include "api/bench/bench_retention.h"
#include "api/bench/bench_streams.h"
#include "api/bench/bench_support.h"
#include "api/bench/kafka_admin.h"
#include "api/bench/workload.h"
#include "api/http/http_client.h"
#include "api/http/serve.h"
#include "api/json/json.h"
#include "api/mail/mailer.h"
#include "api/node/certificates.h"
#include "api/node/node.h"
#include "ledger/core/audit.h"
#include "ledger/log/local_log.h"
#include "ledger/log/partition.h"

namespace uurwerk::cli {
namespace {

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
    // CPU time of one verification with every core verifying (as in an ingest), measured on
    // the threads themselves.
    double cpu_us = 0;
};

// Which rates measure_verify takes: an ingest compares with the all-cores rate only.
enum class verify_scope : std::uint8_t { one_core_and_all_cores, all_cores };

verify_figures measure_verify(double seconds_each,
                              verify_scope scope = verify_scope::one_core_and_all_cores) {
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
    if (scope == verify_scope::one_core_and_all_cores) {
        std::cerr << "bench verify: one core for " << seconds_each << " s...\n";
        f.one_core = run(1);
        std::cerr << "  " << fixed(f.one_core, 0) << " verifies/s\n";
    }
    std::cerr << "bench verify: " << cores() << " cores for " << seconds_each << " s...\n";
    f.all_cores = run(cores());
    f.cpu_us = verify_cpu_us;
    std::cerr << "  " << fixed(f.all_cores, 0) << " verifies/s\n";
    return f;
}

result<void> bench_verify(const parsed_args& a) {
    auto s = u64_option(a, "seconds", 3, 1);
    if (!s) return s.err();
    const auto seconds = static_cast<double>(*s);
    auto f = measure_verify(seconds);
    std::cout << "{\"cores\": " << cores()
              << ", \"one_core_verifies_per_s\": " << fixed(f.one_core, 0)
              << ", \"all_cores_verifies_per_s\": " << fixed(f.all_cores, 0) << "}\n";
    return ok_value;
}

// ---------------------------------------------------------------------------------------------
// bench ingest: pre-signed events through node.submit (verify, durable append, apply), from
// many client threads at once; then the same through the HTTP API.

// One Kafka setup of `bench ingest --kafka`: a cluster, named by its size (kafka_1, kafka_3).
struct kafka_setup {
    std::string name;
    std::string bootstrap;
    std::size_t brokers = 0;
    std::uint32_t replication_factor = 1, min_insync = 1;
};

// The setups of `--kafka "LIST[;LIST...]"`: each LIST is one cluster's bootstrap servers. Its
// replication factor is 3 (or the broker count, when smaller) and min.insync.replicas 2 (or 1),
// what `serve --kafka` creates by default.
result<std::vector<kafka_setup>> kafka_setups(const std::string& spec) {
    std::vector<kafka_setup> out;
    std::size_t from = 0;
    while (from <= spec.size()) {
        const auto semicolon = std::min(spec.find(';', from), spec.size());
        const std::string bootstrap = spec.substr(from, semicolon - from);
        from = semicolon + 1;
        if (bootstrap.empty()) continue;
        std::cerr << "bench ingest: asking " << bootstrap << " for its brokers...\n";
        auto view = describe_kafka(bootstrap, "", std::chrono::seconds(10));
        if (!view) return view.err();
        kafka_setup s;
        s.bootstrap = bootstrap;
        s.brokers = view->brokers.size();
        s.replication_factor = static_cast<std::uint32_t>(std::min<std::size_t>(3, s.brokers));
        s.min_insync = std::min<std::uint32_t>(2, s.replication_factor);
        s.name = "kafka_" + std::to_string(s.brokers);
        for (int i = 2; std::any_of(out.begin(), out.end(),
                                    [&](const kafka_setup& o) { return o.name == s.name; });
             ++i)
            s.name = "kafka_" + std::to_string(s.brokers) + "_" + std::to_string(i);
        out.push_back(std::move(s));
    }
    if (out.empty()) return make_error(errc::bad_argument, "--kafka names no bootstrap servers");
    return out;
}

// The workload of bench ingest: `events` events of one community (1), or with several
// partitions, of one community in each partition, their events interleaved (each community's
// in its own order), with their texts beside them or none (`texts`). Confirmations lag their
// claims so that concurrent clients rarely overtake them.
workload spread_workload(std::size_t events, std::uint32_t partitions, free_texts texts) {
    const std::size_t each = events / partitions;
    if (partitions == 1)
        return make_workload({community_id{1},
                              500,
                              each,
                              11,
                              0,
                              {},
                              std::max<std::size_t>(256, each / 4),
                              std::nullopt,
                              texts});
    std::vector<bool> taken(partitions, false);
    std::vector<workload> parts;
    for (std::uint64_t c = 1; parts.size() < partitions; ++c) {
        const auto p = partition_of(community_id{c}, partitions).value;
        if (taken[p]) continue;
        taken[p] = true;
        parts.push_back(make_workload({community_id{c},
                                       500 / partitions + 10,
                                       each,
                                       11 + c,
                                       0,
                                       {},
                                       std::max<std::size_t>(256, each / 4),
                                       std::nullopt,
                                       texts}));
    }
    workload all;
    for (const auto& w : parts) all.setup.insert(all.setup.end(), w.setup.begin(), w.setup.end());
    for (std::size_t i = 0; i < each; ++i)
        for (const auto& w : parts) {
            all.events.push_back(w.events[i]);
            if (texts == free_texts::beside) all.personal.push_back(w.personal_of(i));
        }
    return all;
}

// Where `b`, one of w.events handed out by drive() or drive_pipelined(), sits in them: the
// index of the text beside it.
std::size_t index_in(const workload& w, const bytes& b) {
    UURWERK_ASSERT(!w.events.empty() && &b >= w.events.data() &&
                   &b < w.events.data() + w.events.size());
    return static_cast<std::size_t>(&b - w.events.data());
}

// How the in-process clients submit: pipelined (node::submit_async from one thread per core,
// `clients` events in flight between them: the default), or each waiting for its answer
// (node::submit on `clients` threads). Pipelined spends less CPU an event on switching threads
// (see api/bench/benchmarks.md, 2026-12-01).
enum class submit_mode : std::uint8_t { blocking, pipelined };

const char* name_of(submit_mode m) {
    return m == submit_mode::blocking ? "blocking" : "pipelined";
}

// The workload through a node opened with `options`, `clients` events at a time, each with the
// text beside it (if any) as a client sends it: decoded into its stored form and submitted with
// the text; an event without one goes in as stored bytes, as before texts. `texts_kept` (if
// given) gets how many texts the node's personal-data store holds at the end.
// Whether the node's mail sender (api/mail/mailer.h) runs during the ingest, on a relay that
// takes every message and keeps none (the outbox projection is always folded).
enum class mail_sender : std::uint8_t { off, on };

// A relay that takes every message at once: what `bench ingest --mail on` sends to.
class discarding_relay final : public mail_transport {
public:
    result<void> send(const std::string&, const std::string&, const std::string&) override {
        return ok_value;
    }
};

result<ingest_figures> ingest_in_process(const node_options& options, const workload& w,
                                         std::size_t clients, submit_mode mode, const char* label,
                                         std::map<std::string, double>* node_cpu_s = nullptr,
                                         std::size_t* texts_kept = nullptr,
                                         mail_sender mail = mail_sender::off,
                                         mailer_stats* mailed = nullptr) {
    auto n = node::open(options);
    if (!n) return n.err();
    std::unique_ptr<mailer> sender;
    if (mail == mail_sender::on) {
        mailer_options mo;
        mo.from = "bench@uurwerk.example";
        mo.app_url = "http://127.0.0.1";
        mo.clock = options.clock;
        auto m = mailer::open(**n, options.data_dir / "mail", std::move(mo),
                              std::make_unique<discarding_relay>());
        if (!m) return m.err();
        sender = std::move(*m);
        sender->start();
    }
    for (const auto& b : w.setup)
        if (auto r = (*n)->submit(b); !r || !r->decided.accepted())
            return make_error(errc::bench_failed, std::string(label) +
                                                      ": the workload's setup was not accepted" +
                                                      (r ? "" : ": " + r.err().message));
    const std::size_t submitters = std::min(cores(), clients);
    if (mode == submit_mode::blocking)
        std::cerr << "bench ingest: " << label << ", " << clients
                  << " client threads, each waiting for its answer...\n";
    else
        std::cerr << "bench ingest: " << label << ", " << submitters << " submitting threads, "
                  << clients << " events in flight...\n";
    auto before = threads_cpu();
    auto* local = dynamic_cast<local_log*>(&(*n)->log(partition_id{0}));
    const std::uint64_t syncs_before = local ? local->syncs() : 0;
    auto accepted = [](const result<submit_outcome>& r) { return r.ok() && r->decided.accepted(); };
    auto submit = [&](const bytes& b) -> result<submit_outcome> {
        const auto& personal = w.personal_of(index_in(w, b));
        if (!personal) return (*n)->submit(b);
        auto e = stored_envelope::read(b);
        if (!e) return e.err();
        return (*n)->submit(std::move(*e), personal);
    };
    auto submit_async = [&](const bytes& b, node::submit_callback done) {
        const auto& personal = w.personal_of(index_in(w, b));
        if (!personal) return (*n)->submit_async(b, std::move(done));
        auto e = stored_envelope::read(b);
        if (!e) return done(e.err());
        (*n)->submit_async(std::move(*e), personal, std::move(done));
    };
    auto figures =
        mode == submit_mode::blocking
            ? drive(w.events, clients, label, [&](const bytes& b) { return accepted(submit(b)); })
            : drive_pipelined(w.events, submitters, clients, label,
                              [&](const bytes& b, std::function<void(bool)> answer) {
                                  submit_async(
                                      b, [answer = std::move(answer), &accepted](
                                             result<submit_outcome> r) { answer(accepted(r)); });
                              });
    if (node_cpu_s) *node_cpu_s = cpu_by_name(before, threads_cpu());
    if (sender) {
        sender->stop();
        if (auto last = sender->run_once(); !last) return last.err();  // what the thread left
        if (mailed) *mailed = sender->stats();
    }
    if (texts_kept) {
        auto kept = (*n)->personal().count();
        if (!kept) return kept.err();
        *texts_kept = *kept;
    }
    if (local)  // group commit: how many records each sync of the log made durable
        std::cerr << "  " << label << ": "
                  << fixed(static_cast<double>(w.events.size()) /
                           static_cast<double>(
                               std::max<std::uint64_t>(1, local->syncs() - syncs_before)))
                  << " records per log sync\n";
    return figures;
}

std::string figures_json(const ingest_figures& f) {
    return "\"events_per_s\": " + fixed(f.events_per_s, 0) + ", \"p50_ms\": " + fixed(f.p50, 3) +
           ", \"p99_ms\": " + fixed(f.p99, 3) + ", \"max_ms\": " + fixed(f.max, 3) +
           ", \"rejected\": " + std::to_string(f.rejected);
}

std::string figures_text(const ingest_figures& f) {
    return fixed(f.events_per_s, 0) + " events/s, p50 " + fixed(f.p50, 2) + " ms, p99 " +
           fixed(f.p99, 2) + " ms, max " + fixed(f.max, 2) + " ms; rejected " +
           std::to_string(f.rejected);
}

// How the HTTP half's clients are driven: the requests prepared before the clock starts and
// `clients` keep-alive connections driven by one asynchronous client thread (the default: what
// a client does on its own machine is left out), or, as the figures before 2026-12-07 were
// measured, a thread per client, each building its request's JSON in the timed loop and
// waiting for its answer, all in the server's process and on its cores.
enum class http_client_kind : std::uint8_t { async, threads };

const char* name_of(http_client_kind k) {
    return k == http_client_kind::async ? "async" : "threads";
}

struct http_figures {
    ingest_figures f;
    // CPU an event (µs) of the clients' threads, and of every other thread (the server's I/O
    // threads and workers, the node's), while the clients ran.
    double client_cpu_us = 0, server_cpu_us = 0;
};

// A closed loop over the connections of `client`: each sends the next event of the lanes (as
// drive() hands them out) as its prepared request, and the next once it is answered; an event
// is accepted when answered 200. A connection that fails (no answer) is not used again; once
// none is left, what was not sent counts as rejected.
ingest_figures drive_connections(const std::vector<bytes>& events,
                                 const std::vector<std::string>& requests,
                                 http_async_client& client, const char* label) {
    UURWERK_ASSERT(requests.size() == events.size(), requests.size(), events.size());
    lane_queue lanes(events);
    std::mutex mutex;  // guards everything below
    std::condition_variable finished;
    std::size_t done = 0, rejected = 0, live = client.connections();
    std::vector<std::size_t> idle;  // connections with nothing in flight
    std::vector<latencies> lat(1);
    const auto t0 = clock_type::now();
    std::function<void(std::size_t, lane_queue::turn)> send;
    // Under `mutex`: pairs each idle connection with a ready lane while there are both.
    auto pair_up = [&] {
        std::vector<std::pair<std::size_t, lane_queue::turn>> go;
        while (!idle.empty() && !lanes.empty()) {
            go.emplace_back(idle.back(), lanes.take());
            idle.pop_back();
        }
        return go;
    };
    send = [&](std::size_t c, lane_queue::turn turn) {
        const auto s = clock_type::now();
        client.send(c, requests[turn.event], [&, c, s, turn](result<http_reply> r) {
            const double ms =
                std::chrono::duration<double, std::milli>(clock_type::now() - s).count();
            std::vector<std::pair<std::size_t, lane_queue::turn>> go;
            {
                std::lock_guard lock(mutex);
                lat[0].ms.push_back(ms);
                if (!r || r->status != 200) ++rejected;
                lanes.answered(turn.lane);
                print_progress(label, ++done, events.size(), t0);
                if (r)
                    idle.push_back(c);
                else
                    --live;
                go = pair_up();
                if (live == 0) {  // nothing in flight, and nowhere to send the rest
                    rejected += events.size() - done;
                    done = events.size();
                }
                if (done == events.size()) finished.notify_all();
            }
            for (const auto& [k, t] : go) send(k, t);
        });
    };
    std::vector<std::pair<std::size_t, lane_queue::turn>> go;
    {
        std::lock_guard lock(mutex);
        for (std::size_t c = client.connections(); c-- > 0;) idle.push_back(c);
        go = pair_up();
    }
    for (const auto& [k, t] : go) send(k, t);
    std::unique_lock lock(mutex);
    finished.wait(lock, [&] { return done == events.size(); });
    return figures_of(events.size(), seconds_since(t0), lat, rejected, 0);
}

// The workload over HTTP to the server at 127.0.0.1:`port` (its setup already submitted),
// `clients` events in flight, each as the JSON a client sends (the envelope, and its text
// beside it, api/README.md), with the CPU each side used.
result<http_figures> ingest_over_http(const workload& w, std::uint16_t port, std::size_t clients,
                                      http_client_kind kind) {
    http_figures out;
    std::map<std::string, double> cpu;
    if (kind == http_client_kind::async) {
        std::cerr << "bench ingest: through the HTTP API: preparing " << w.events.size()
                  << " requests (not measured)...\n";
        const std::string host = "127.0.0.1:" + std::to_string(port);
        std::vector<std::string> requests;
        requests.reserve(w.events.size());
        for (std::size_t i = 0; i < w.events.size(); ++i) {
            auto env = decode_envelope(w.events[i]);
            UURWERK_ASSERT(env.ok(), i);
            requests.push_back(http_request_bytes("POST", "/v1/events", host,
                                                  submission_to_json(*env, w.personal_of(i))));
        }
        auto client = http_async_client::open("127.0.0.1", port, clients);
        if (!client) return client.err();
        std::cerr << "bench ingest: through the HTTP API, " << clients
                  << " keep-alive connections driven by one client thread...\n";
        const auto before = threads_cpu();
        out.f = drive_connections(w.events, requests, **client, "http");
        cpu = cpu_by_name(before, threads_cpu());
    } else {
        std::cerr << "bench ingest: through the HTTP API, " << clients
                  << " client threads, each building its JSON and waiting for its answer...\n";
        const auto before = threads_cpu();
        out.f = drive(w.events, clients, "http", [&](const bytes& b) {
            thread_local const bool named = (name_this_thread("uw-http-client"), true);
            (void)named;
            auto env = decode_envelope(b);
            if (!env) return false;
            // The text beside the envelope, as "personal": {"salt", "text"} (api/README.md).
            const std::string json = submission_to_json(*env, w.personal_of(index_in(w, b)));
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
        // The client threads have ended: their CPU is what drive() measured on them.
        cpu = cpu_by_name(before, threads_cpu());
        cpu["uw-http-client"] += out.f.client_cpu_s;
    }
    auto per_event_us = [&](double s) { return 1e6 * s / static_cast<double>(w.events.size()); };
    std::cerr << "http CPU per event:";
    for (const auto& [name, s] : cpu) {
        if (name == "uw-http-client")
            out.client_cpu_us += per_event_us(s);
        else
            out.server_cpu_us += per_event_us(s);
        if (per_event_us(s) >= 0.05) std::cerr << " " << name << " " << fixed(per_event_us(s));
    }
    std::cerr << " us; the client " << fixed(out.client_cpu_us) << " us, the server "
              << fixed(out.server_cpu_us) << " us\n";
    return out;
}

// One round of the in-process ingest, and the all-cores verify rates measured just before and
// just after it.
struct ingest_round {
    ingest_figures f;
    std::size_t texts_kept = 0;                // in the node's personal-data store at the end
    std::map<std::string, double> node_cpu_s;  // by thread name, during the drive
    verify_figures verify_before, verify_after;
    double share = 0;       // of the faster of the two verify rates, yardstick()
    mailer_stats mailed{};  // with --mail on: what the sender did with the outbox
    const verify_figures& yardstick() const {
        return verify_after.all_cores > verify_before.all_cores ? verify_after : verify_before;
    }
};

struct ingest_rounds_figures {
    std::vector<ingest_round> runs;  // in the order run
    std::size_t median_at = 0;       // the median round by share (the lower of an even count)
    const ingest_round& median() const { return runs[median_at]; }
};

// The in-process ingest of `w`, `rounds` times, each on a fresh node in `dir`, with the
// all-cores verify rate measured before the first round and after each: a round is compared
// with the faster of the rates measured just before and just after it (the machine's speed
// swings from minute to minute, and a slow moment must not make the ingest look better than it
// is), and the median round by that share is the one reported.
result<ingest_rounds_figures> ingest_rounds(const std::filesystem::path& dir, const workload& w,
                                            std::size_t clients, submit_mode mode,
                                            std::size_t rounds,
                                            mail_sender mail = mail_sender::off) {
    ingest_rounds_figures out;
    verify_figures before = measure_verify(2, verify_scope::all_cores);
    for (std::size_t r = 0; r < rounds; ++r) {
        const std::string label =
            rounds == 1 ? "in-process"
                        : "in-process " + std::to_string(r + 1) + "/" + std::to_string(rounds);
        ingest_round run;
        auto f = ingest_in_process(
            {dir / ("a" + std::to_string(r)), wall_clock(), std::chrono::milliseconds(30'000)}, w,
            clients, mode, label.c_str(), &run.node_cpu_s, &run.texts_kept, mail, &run.mailed);
        if (!f) return f.err();
        run.f = *f;
        run.verify_before = before;
        run.verify_after = measure_verify(2, verify_scope::all_cores);
        before = run.verify_after;
        const double compared = run.yardstick().all_cores;
        run.share = compared > 0 ? run.f.events_per_s / compared : 0;
        std::cerr << label << ": " << fixed(run.f.events_per_s, 0) << " events/s against "
                  << fixed(run.verify_before.all_cores, 0) << " and "
                  << fixed(run.verify_after.all_cores, 0)
                  << " verifies/s before and after it: " << fixed(100 * run.share, 0) << " %\n";
        out.runs.push_back(std::move(run));
    }
    std::vector<std::size_t> by_share(rounds);
    for (std::size_t r = 0; r < rounds; ++r) by_share[r] = r;
    std::sort(by_share.begin(), by_share.end(),
              [&](std::size_t x, std::size_t y) { return out.runs[x].share < out.runs[y].share; });
    out.median_at = by_share[(rounds - 1) / 2];
    if (rounds > 1)
        std::cerr << "bench ingest: the median round is " << out.median_at + 1 << " of " << rounds
                  << "; its figures follow\n";
    return out;
}

result<void> bench_ingest(const parsed_args& a) {
    auto events_option = u64_option(a, "events", 20'000, 100);
    if (!events_option) return events_option.err();
    auto clients_option = u64_option(a, "clients", 128, 1, 256);
    if (!clients_option) return clients_option.err();
    auto rounds_option = u64_option(a, "rounds", 5, 1, 20);
    if (!rounds_option) return rounds_option.err();
    std::size_t events = *events_option;
    const std::size_t clients = *clients_option;
    const std::size_t rounds = *rounds_option;
    auto mode_option = either_option(a, "submit", std::pair{"pipelined", submit_mode::pipelined},
                                     std::pair{"blocking", submit_mode::blocking});
    if (!mode_option) return mode_option.err();
    const submit_mode mode = *mode_option;
    // Texts beside the events, as real clients send them (the default), or none, the workload
    // of the figures before issue 22, so that they stay comparable.
    auto texts_option = either_option(a, "free-texts", std::pair{"on", free_texts::beside},
                                      std::pair{"off", free_texts::left_out});
    if (!texts_option) return texts_option.err();
    const free_texts texts = *texts_option;
    // The mail sender beside the ingest (the outbox projection is folded either way).
    auto mail_option = either_option(a, "mail", std::pair{"off", mail_sender::off},
                                     std::pair{"on", mail_sender::on});
    if (!mail_option) return mail_option.err();
    const mail_sender mail = *mail_option;
    const char* texts_name = texts == free_texts::beside ? "on" : "off";
    auto client_option =
        either_option(a, "http-client", std::pair{"async", http_client_kind::async},
                      std::pair{"threads", http_client_kind::threads});
    if (!client_option) return client_option.err();
    const http_client_kind client_kind = *client_option;
    std::vector<kafka_setup> kafka;
    if (auto spec = a.get("kafka")) {
        auto s = kafka_setups(*spec);
        if (!s) return s.err();
        kafka = std::move(*s);
    }
    std::uint32_t partitions = 1;
    if (a.has("partitions")) {
        auto v = a.get_u64("partitions");
        if (!v) return v.err();
        if (*v < 1 || *v > partitions_max || kafka.empty())
            return make_error(
                errc::bad_argument,
                "--partitions is from 1 to " + std::to_string(partitions_max) + ", with --kafka");
        partitions = static_cast<std::uint32_t>(*v);
    }
    std::cerr << "bench ingest: signing " << events << " events of " << partitions << " communit"
              << (partitions > 1 ? "ies" : "y") << ", texts " << texts_name
              << " (not measured)...\n";
    auto w = spread_workload(events, partitions, texts);
    events = w.events.size();  // a multiple of the partitions
    const std::size_t texts_sent = w.texts();
    std::cerr << "bench ingest: " << texts_sent << " of the events carry a text beside them\n";

    scratch_dir dir("ingest");
    auto measured = ingest_rounds(dir.path, w, clients, mode, rounds, mail);
    if (!measured) return measured.err();
    const auto& median = measured->median();
    const auto& in_process = median.f;
    const auto& node_cpu_s = median.node_cpu_s;
    const auto& verify_before = median.verify_before;
    const auto& verify_after = median.verify_after;
    const auto& verify = median.yardstick();
    const double share = median.share;
    std::string shares_json = "[";
    for (std::size_t r = 0; r < rounds; ++r)
        shares_json += (r ? ", " : "") + fixed(measured->runs[r].share, 3);
    shares_json += "]";
    // CPU per event of the median round, by thread; the clients' share without their
    // verification is estimated with the verification's own CPU cost measured beside it.
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
    std::cerr << "in-process: " << figures_text(in_process) << " (" << fixed(100 * share, 0)
              << " % of the all-cores verify rate " << fixed(verify.all_cores, 0) << "/s)\n";
    const std::string rounds_json =
        ", \"rounds\": " + std::to_string(rounds) + ", \"shares_of_verify_rate\": " + shares_json;
    const std::string texts_json = std::string(", \"texts\": \"") + texts_name +
                                   "\", \"texts_sent\": " + std::to_string(texts_sent) +
                                   ", \"texts_kept\": " + std::to_string(median.texts_kept) +
                                   ", \"mail\": \"" + (mail == mail_sender::on ? "on" : "off") +
                                   "\", \"mail_sent\": " + std::to_string(median.mailed.sent) +
                                   ", \"mail_not_sent\": " + std::to_string(median.mailed.not_sent);

    if (!kafka.empty()) {
        // Cluster mode: the same workload through a node whose log is a new topic on each
        // setup, in-process (the HTTP layer is the same in both modes and is left out).
        std::string json =
            "{\"cores\": " + std::to_string(cores()) + ", \"events\": " + std::to_string(events) +
            ", \"clients\": " + std::to_string(clients) + ", \"submit\": \"" + name_of(mode) +
            "\"" + ", \"all_cores_verifies_per_s\": " + fixed(verify.all_cores, 0) +
            ", \"all_cores_verifies_per_s_before\": " + fixed(verify_before.all_cores, 0) +
            ", \"all_cores_verifies_per_s_after\": " + fixed(verify_after.all_cores, 0) +
            ", \"embedded\": {" + figures_json(in_process) +
            ", \"share_of_verify_rate\": " + fixed(share, 3) + rounds_json + texts_json +
            ", \"non_verify_cpu_us_per_event\": " + fixed(non_verify_us) + "}";
        for (const auto& k : kafka) {
            kafka_log_options ko;
            ko.bootstrap_servers = k.bootstrap;
            ko.topic = "uurwerk-bench-" + std::to_string(::getpid()) + "-" +
                       std::to_string(std::time(nullptr)) + "-" + k.name;
            ko.replication_factor = k.replication_factor;
            ko.min_insync_replicas = k.min_insync;
            ko.partitions_total = partitions;
            std::cerr << "bench ingest: " << k.name << ": topic " << ko.topic << " on " << k.brokers
                      << " broker(s) at " << k.bootstrap << ", replication factor "
                      << k.replication_factor << ", min.insync.replicas " << k.min_insync << "\n";
            const std::string label = k.name;
            std::map<std::string, double> cpu;
            auto f = ingest_in_process(
                {dir.path / k.name, wall_clock(), std::chrono::milliseconds(30'000), {}, ko}, w,
                clients, mode, label.c_str(), &cpu);
            // The event topic and the personal-data topic beside it (api/node/node.h).
            for (const auto& topic : {ko.topic, ko.topic + "-personal"})
                if (auto d = delete_kafka_topic(k.bootstrap, topic, std::chrono::seconds(10)); !d)
                    std::cerr << "bench ingest: could not delete topic " << topic << ": "
                              << d.err().message << "\n";
            if (!f) return f.err();
            const double of_embedded = f->events_per_s / in_process.events_per_s;
            std::cerr << k.name << " CPU per event in this process: clients "
                      << fixed(per_event_us(f->client_cpu_s)) << " us";
            for (const auto& [name, s] : cpu)
                if (per_event_us(s) >= 0.5)
                    std::cerr << ", " << name << " " << fixed(per_event_us(s)) << " us";
            std::cerr << "\n"
                      << k.name << ": " << figures_text(*f) << " (" << fixed(100 * of_embedded, 0)
                      << " % of the embedded figure)\n";
            json += ", \"" + k.name + "\": {" + figures_json(*f) +
                    ", \"brokers\": " + std::to_string(k.brokers) +
                    ", \"partitions\": " + std::to_string(partitions) +
                    ", \"replication_factor\": " + std::to_string(k.replication_factor) +
                    ", \"min_insync_replicas\": " + std::to_string(k.min_insync) +
                    ", \"share_of_embedded\": " + fixed(of_embedded, 3) + "}";
        }
        std::cout << json << "}\n";
        return ok_value;
    }

    // A folder of its own: the bench founds its community without an operator's list.
    auto server = embedded_server::start(
        dir.path / "b", "127.0.0.1", 0, {}, std::chrono::seconds(60), std::nullopt,
        std::chrono::seconds(10), founding::anyone,
        serve_network{.quotas = quota_options::unlimited()});  // measures the node
    if (!server) return server.err();
    for (const auto& b : w.setup)
        if (auto r = (*server)->node().submit(b); !r || !r->decided.accepted())
            return make_error(errc::bench_failed, "the workload's setup was not accepted");
    const auto port = (*server)->port();
    auto over_http = ingest_over_http(w, port, clients, client_kind);
    auto http_texts = (*server)->node().personal().count();
    (*server)->stop();
    if (!over_http) return over_http.err();
    if (!http_texts) return http_texts.err();
    const auto& http = over_http->f;
    const double http_share = http.events_per_s / in_process.events_per_s;
    // On a shared machine the two rates swing with the neighbours' load; the CPU an event of
    // each path (every thread of this process, the clients' included) is steadier: its ratio
    // is the share the HTTP rate would reach with both cores to itself.
    const double http_cpu_us = over_http->client_cpu_us + over_http->server_cpu_us;
    const double cpu_share = http_cpu_us > 0 ? (client_us + node_us) / http_cpu_us : 0;
    // How much of the cores' time each path used (its CPU an event times its rate): what is not
    // used, the cores idled, waiting on the log's syncs or for work (the rate falls short of
    // what the CPU an event would allow by exactly this).
    const auto cores_used = [](double cpu_us_per_event, double events_per_s) {
        return cpu_us_per_event * events_per_s / (1e6 * static_cast<double>(cores()));
    };
    const double used = cores_used(client_us + node_us, in_process.events_per_s);
    const double http_used = cores_used(http_cpu_us, http.events_per_s);
    std::cerr << "http: " << figures_text(http) << "; texts kept " << *http_texts << "; "
              << fixed(http_share, 3) << " of the in-process rate; CPU an event "
              << fixed(http_cpu_us) << " us against " << fixed(client_us + node_us)
              << " us in-process (" << fixed(cpu_share, 3) << "); the cores used "
              << fixed(http_used, 3) << " of the time over HTTP, " << fixed(used, 3)
              << " in-process\n";
    std::cout << "{\"cores\": " << cores() << ", \"events\": " << events
              << ", \"clients\": " << clients << ", \"submit\": \"" << name_of(mode) << "\""
              << ", \"all_cores_verifies_per_s\": " << fixed(verify.all_cores, 0)
              << ", \"all_cores_verifies_per_s_before\": " << fixed(verify_before.all_cores, 0)
              << ", \"all_cores_verifies_per_s_after\": " << fixed(verify_after.all_cores, 0)
              << ", " << figures_json(in_process)
              << ", \"share_of_verify_rate\": " << fixed(share, 3) << rounds_json << texts_json
              << ", \"verify_cpu_us\": " << fixed(verify.cpu_us)
              << ", \"non_verify_cpu_us_per_event\": " << fixed(non_verify_us)
              << ", \"http_client\": \"" << name_of(client_kind) << "\""
              << ", \"http_events_per_s\": " << fixed(http.events_per_s, 0)
              << ", \"http_share_of_in_process\": " << fixed(http_share, 3)
              << ", \"http_p50_ms\": " << fixed(http.p50, 3)
              << ", \"http_p99_ms\": " << fixed(http.p99, 3)
              << ", \"http_client_cpu_us_per_event\": " << fixed(over_http->client_cpu_us)
              << ", \"http_server_cpu_us_per_event\": " << fixed(over_http->server_cpu_us)
              << ", \"in_process_cpu_us_per_event\": " << fixed(client_us + node_us)
              << ", \"http_cpu_share_of_in_process\": " << fixed(cpu_share, 3)
              << ", \"cores_used_share\": " << fixed(used, 3)
              << ", \"http_cores_used_share\": " << fixed(http_used, 3)
              << ", \"http_rejected\": " << http.rejected
              << ", \"http_texts_kept\": " << *http_texts << "}\n";
    return ok_value;
}

// ---------------------------------------------------------------------------------------------
// bench replay: rebuild every projection from a log of N events.

result<void> bench_replay(const parsed_args& a) {
    auto events_option = u64_option(a, "events", 1'000'000, 1000);
    if (!events_option) return events_option.err();
    const std::size_t events = *events_option;
    std::cerr << "bench replay: signing " << events << " events on " << cores()
              << " cores (not measured)...\n";
    auto w = make_workload({community_id{1}, 1000, events, 13, 0, [](std::size_t d, std::size_t n) {
                                std::cerr << "  signed " << d << " / " << n << "\n";
                            }});
    // The log and its projections go to a scratch folder, removed at the end, or with --keep to
    // a data folder that stays, so that another build can rebuild it and compare its digest
    // (`uurwerk rebuild --data DIR`).
    std::optional<scratch_dir> scratch;
    std::filesystem::path root;
    if (auto keep = a.get("keep")) {
        root = *keep;
        std::error_code ec;
        if (std::filesystem::exists(root, ec) && !std::filesystem::is_empty(root, ec))
            return make_error(errc::bad_argument, "--keep " + *keep + ": the folder is not empty");
        std::filesystem::create_directories(root, ec);
        if (ec) return make_error(errc::io_error, "--keep " + *keep + ": " + ec.message());
    } else {
        root = scratch.emplace("replay").path;
    }
    std::cerr << "bench replay: writing the log...\n";
    if (auto r = write_log(root / "log", {&w.setup, &w.events}); !r) return r.err();
    auto rebuild = open_rebuild(root, root / "store");
    if (!rebuild) return rebuild.err();
    auto& p = (*rebuild)->folder;
    auto& db = (*rebuild)->db;
    const auto total = (*rebuild)->log->end().value;
    std::atomic<std::uint64_t> applied{0}, accepted{0};
    auto t0 = clock_type::now();
    auto last_report = t0;
    p->set_applied_hook([&](const std::vector<applied_record>& recs) {
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
    const double cpu0 = process_cpu_s();
    auto n = p->catch_up();
    if (!n) return n.err();
    auto flushed = db->flush();
    if (!flushed) return flushed.err();
    double secs = seconds_since(t0);
    double rate = static_cast<double>(*n) / secs;
    // The CPU of every thread (fold, read-ahead, RocksDB's flushes) over the events: steadier
    // than the rate on a shared machine, whose other tenants take cores but not CPU time.
    const double cpu_us = 1e6 * (process_cpu_s() - cpu0) / static_cast<double>(*n);
    std::cerr << "replayed " << *n << " records in " << fixed(secs, 2) << " s: " << fixed(rate, 0)
              << " events/s, " << fixed(cpu_us, 2) << " us of CPU an event; " << accepted
              << " accepted\n";
    std::cout << "{\"cores\": " << cores() << ", \"events\": " << *n
              << ", \"seconds\": " << fixed(secs, 3) << ", \"accepted\": " << accepted.load()
              << ", \"events_per_s\": " << fixed(rate, 0)
              << ", \"cpu_us_per_event\": " << fixed(cpu_us, 2) << "}\n";
    return ok_value;
}

// ---------------------------------------------------------------------------------------------
// bench audit: an export of N events checked offline (all of it, and the Merkle part alone)
// beside the raw verify rate, and inclusion proofs served by a node over a tree of N events.

result<void> bench_audit(const parsed_args& a) {
    auto events_option = u64_option(a, "events", 1'000'000, 1000);
    if (!events_option) return events_option.err();
    const std::size_t events = *events_option;
    const auto verify = measure_verify(3);
    auto node_key = bench_node_key();
    if (!node_key) return node_key.err();
    const auto log = make_checkpointed_log(events, *node_key, "audit");
    const auto& w = log.w;
    const auto& wo = log.options;
    const auto& records = log.records;
    scratch_dir dir("audit");
    auto server = serve_checkpointed_log(log, dir.path, "audit");
    if (!server) return server.err();
    // The export is a coordinator's: the founder (member 1) signs in.
    http_call_options as_founder;
    as_founder.authorization =
        session_header(workload_member_key(wo.seed, 0), community_id{1}, member_id{1});
    auto conn = http_connection::open("127.0.0.1", (*server)->port(), as_founder);
    if (!conn) return conn.err();

    // The export, through the API as `uurwerk audit export` fetches it.
    std::cerr << "bench audit: exporting through the API...\n";
    auto t0 = clock_type::now();
    std::string file;
    append_export_header(file, community_id{1});
    for (std::size_t have = 0; have < records.size();) {
        auto r = (*conn)->call(
            "GET", "/v1/communities/1/export?from=" + std::to_string(have) + "&limit=10000");
        if (!r) return r.err();
        if (r->status != 200) return make_error(errc::bench_failed, "export answered " + r->body);
        // A page ends at 10,000 records or at the server's byte budget: count what came.
        std::size_t pos = 0, got = 0;
        while (pos + export_record_header_bytes <= r->body.size()) {
            std::uint32_t n = 0;
            for (std::size_t i = 0; i < 4; ++i)
                n = n << 8 | static_cast<std::uint8_t>(r->body[pos + 18 + i]);
            pos += export_record_header_bytes + n;
            ++got;
        }
        if (got == 0 || pos != r->body.size())
            return make_error(errc::bench_failed,
                              "a broken export page at " + std::to_string(have));
        file += r->body;
        have += got;
    }
    const double export_s = seconds_since(t0);
    auto parsed =
        parse_export(byte_view(reinterpret_cast<const std::uint8_t*>(file.data()), file.size()));
    if (!parsed) return parsed.err();
    if (parsed->records.size() != records.size())
        return make_error(errc::bench_failed,
                          "the export holds " + std::to_string(parsed->records.size()) +
                              " records, the log " + std::to_string(records.size()));
    std::cerr << "  " << parsed->records.size() << " records, " << file.size() / (1 << 20)
              << " MiB in " << fixed(export_s, 1) << " s\n";

    std::cerr << "bench audit: the full offline audit on " << cores() << " cores...\n";
    audit_options ao;
    ao.trusted_node_keys = {node_key->public_bytes()};
    auto last = clock_type::now();
    ao.progress = [&](std::string_view phase, std::size_t d, std::size_t n) {
        if (clock_type::now() - last < std::chrono::seconds(1)) return;
        last = clock_type::now();
        std::cerr << "  " << phase << " " << d << " / " << n << "\n";
    };
    t0 = clock_type::now();
    const auto report = verify_export(*parsed, ao);
    const double full_s = seconds_since(t0);
    if (!report.ok) return make_error(errc::bench_failed, "the audit failed: " + report.problem);
    const double full_rate = static_cast<double>(report.records) / full_s;
    // The machine is shared: measure the verify rate again after the audit and compare with
    // the better of the two, so that a slow first sample cannot flatter the audit.
    const auto verify_after = measure_verify(3);
    const double verify_rate = std::max(verify.all_cores, verify_after.all_cores);
    std::cerr << "  " << report.records << " events in " << fixed(full_s, 2)
              << " s: " << fixed(full_rate, 0) << " events/s (" << report.checkpoints
              << " checkpoints verified)\n";

    std::cerr << "bench audit: the Merkle part alone...\n";
    t0 = clock_type::now();
    const auto root = merkle_part_of_export(*parsed, 0);
    const double merkle_s = seconds_since(t0);
    if (root != log.root)
        return make_error(errc::bench_failed, "the Merkle part gave another root");
    const double merkle_rate = static_cast<double>(parsed->records.size()) / merkle_s;
    std::cerr << "  " << fixed(merkle_rate, 0) << " events/s\n";

    std::cerr << "bench audit: inclusion proofs served over a tree of " << records.size()
              << " events...\n";
    // A new connection: the export's has been idle through the audit, past the server's timeout.
    conn = http_connection::open("127.0.0.1", (*server)->port());
    if (!conn) return conn.err();
    latencies proof;
    std::uint64_t pick = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 2000; ++i) {
        pick = pick * 6364136223846793005ull + 1442695040888963407ull;
        const auto& b = w.events[(pick >> 17) % w.events.size()];
        const auto body = decode_body(decode_envelope(b)->body);
        const std::string path = "/v1/communities/" + std::to_string(body->community.value) +
                                 "/events/" + body->id.hex() + "/proof";
        const auto start = clock_type::now();
        auto r = (*conn)->call("GET", path);
        proof.ms.push_back(seconds_since(start) * 1000);
        if (!r) return r.err();
        if (r->status != 200) return make_error(errc::bench_failed, "a proof answered " + r->body);
    }
    const double p50 = proof.quantile(0.5), p99 = proof.quantile(0.99);
    std::cerr << "  p50 " << fixed(p50, 3) << " ms, p99 " << fixed(p99, 3) << " ms\n";

    // An hour certificate of a member with many claims, as the node builds it, verified offline
    // again and again on one core: what a school or a municipality's verifier does.
    std::cerr << "bench audit: an hour certificate, verified offline on one core...\n";
    auto cert = build_certificate((*server)->node(), community_id{1}, member_id{2}, time_ms{0},
                                  time_ms{INT64_MAX});
    if (!cert) return cert.err();
    const std::set<public_key> trusted = {node_key->public_bytes()};
    const std::size_t cert_events = 2 * cert->claims.size() + cert->bindings.size() + 1;
    std::size_t certs = 0;
    t0 = clock_type::now();
    do {
        const auto r = verify_certificate(*cert, trusted);
        if (!r.ok) return make_error(errc::bench_failed, "the certificate failed: " + r.problem);
        ++certs;
    } while (seconds_since(t0) < 2);
    const double cert_s = seconds_since(t0) / static_cast<double>(certs);
    std::cerr << "  " << cert->claims.size() << " claims, " << cert_events
              << " signed events: " << fixed(1 / cert_s, 1) << " certificates/s, "
              << fixed(static_cast<double>(cert_events) / cert_s, 0) << " events/s\n";

    std::cout << "full audit: " << fixed(full_rate, 0) << " events/s ("
              << fixed(100 * full_rate / verify_rate, 0) << " % of the all-cores verify rate "
              << fixed(verify_rate, 0) << "/s, the better of " << fixed(verify.all_cores, 0)
              << " before and " << fixed(verify_after.all_cores, 0)
              << " after); Merkle part: " << fixed(merkle_rate, 0) << " events/s; proof p99 "
              << fixed(p99, 3) << " ms\n";
    std::cout << "{\"cores\": " << cores() << ", \"events\": " << report.records
              << ", \"all_cores_verifies_per_s\": " << fixed(verify_rate, 0)
              << ", \"events_per_s\": " << fixed(full_rate, 0)
              << ", \"share_of_verify_rate\": " << fixed(full_rate / verify_rate, 3)
              << ", \"merkle_events_per_s\": " << fixed(merkle_rate, 0)
              << ", \"export_s\": " << fixed(export_s, 2) << ", \"proof_p50_ms\": " << fixed(p50, 3)
              << ", \"proof_p99_ms\": " << fixed(p99, 3)
              << ", \"certificate_claims\": " << cert->claims.size()
              << ", \"certificate_events\": " << cert_events
              << ", \"certificates_per_s\": " << fixed(1 / cert_s, 2)
              << ", \"certificate_events_per_s\": "
              << fixed(static_cast<double>(cert_events) / cert_s, 0) << "}\n";
    return ok_value;
}

}  // namespace

std::vector<option_spec> bench_options() {
    std::vector<option_spec> out = {
        {"seconds", "S",
         "verify: seconds per measurement (default 3); match: seconds of ingest while the "
         "candidates are asked for (default 10)"},
        {"events", "N",
         "ingest: events to push (default 20000); replay, audit, reports: log size (1000000); "
         "reads: "
         "the community's history (5000); streams: events timed to the open pages, or with "
         "--proposals requests, each followed by a matching round (200)"},
        {"texts", "N",
         "retention: offers posted and withdrawn, and claims with a note confirmed, whose texts "
         "the sweep deletes (default 10000 each)"},
        {"free-texts", "on|off",
         "ingest: every post a text, every claim a note and every other transfer a note, each "
         "a commitment in the event and its salt and text beside it, as clients send them "
         "(on, the default), or no text at all, the workload before issue 22 (off)"},
        {"mail", "on|off",
         "ingest: run the node's mail sender beside it, on a relay that takes every message "
         "(off, the default; the outbox projection is folded either way)"},
        {"keep", "DIR",
         "replay: write the log and its projections to the data folder DIR (new or empty) and "
         "keep them, for `uurwerk rebuild --data DIR`"},
        {"clients", "N",
         "ingest: concurrent clients, i.e. events in flight (default 128); through HTTP, each a "
         "keep-alive connection with one request in flight (see --http-client)"},
        {"http-client", "async|threads",
         "ingest, through HTTP: the requests' JSON built before the clock starts and every "
         "connection driven by one client thread with asynchronous I/O, whose CPU is reported "
         "beside the server's (async, the default), or a thread per client building its JSON "
         "in the timed loop and waiting for its answer (threads, the measure before "
         "2026-12-07); both in the server's process, on its cores"},
        {"submit", "pipelined|blocking",
         "ingest, in-process: one submitting thread per core keeping the clients' events in "
         "flight through the node's asynchronous submit (default), or a thread per client, each "
         "waiting for its answer"},
        {"rounds", "N",
         "ingest: in-process rounds, each on a fresh node and compared with the verify rate "
         "measured just before and after it; the median round's figures are reported (default "
         "5); reads: alternated rounds of 2,000 reads each way (default 10); reports: times each "
         "report is computed at the checkpoint (default 3)"},
        {"kafka", "LIST[;LIST...]",
         "ingest: also measure a node on each of these Kafka clusters (each LIST a cluster's "
         "bootstrap servers, host:port,...), beside the embedded node; ops/bench-kafka.sh "
         "starts one broker and three and passes both"},
        {"partitions", "N",
         "ingest --kafka: the topic's partitions (default 1); with N > 1 the workload is N "
         "communities, one in each partition (the embedded node takes the same workload)"},
        {"streams", "N",
         "streams: members' live event streams held open (default 1000, at most 8 a member: one "
         "key each)"},
        {"proposals", "",
         "streams: time the node matcher's proposals instead: every member but the founder holds "
         "a stream (--streams at least --members - 1), one in ten of them posts the --events "
         "requests one at a time, the others each offer what fits them, and a matching round runs "
         "on demand right after each request; each proposal's change on its helper's and its "
         "requester's streams is timed from the proposal's append to the log and from the start "
         "of its round"},
        {"offers", "N", "match: open offers in the community (default 100000)"},
        {"requests", "N", "match: open requests in the community (default 10000)"},
        {"helpers-out", "FILE",
         "fairness: also write a tab-separated line per helper (fair share, proposals, matches, "
         "hours, offering at the end) to FILE"},
    };
    // bench fairness: the model's parameters, and the policy's knobs as flags of `found`.
    for (auto& o : fairness_model_options()) out.push_back(std::move(o));
    for (auto& o : knob_options()) {
        o.help = o.name == "fairness"
                     ? "fairness: run only with the fairness layer on, or only off (default both)"
                     : "fairness: " + o.help;
        out.push_back(std::move(o));
    }
    return out;
}

result<void> bench_command(const std::string& what, const parsed_args& args) {
    if (what == "verify") return bench_verify(args);
    if (what == "ingest") return bench_ingest(args);
    if (what == "replay") return bench_replay(args);
    if (what == "audit") return bench_audit(args);
    if (what == "fairness") return bench_fairness(args);
    if (what == "match") return bench_match(args);
    if (what == "reads") return bench_reads(args);
    if (what == "retention") return bench_retention(args);
    if (what == "streams") return bench_streams(args);
    if (what == "reports") return bench_reports(args);
    return make_error(errc::bad_argument, "unknown bench '" + what +
                                              "': verify, ingest, replay, audit, fairness, match, "
                                              "reads, retention, streams or reports");
}

}  // namespace uurwerk::cli
