#include "api/bench/bench_match.h"

#include <algorithm>
#include <array>
#include <random>

#include "api/bench/bench_support.h"
#include "api/bench/workload.h"
#include "api/http/cpu_slice.h"
#include "api/http/http_client.h"
#include "api/http/serve.h"
#include "api/node/node.h"

namespace uurwerk::cli {
namespace {

// The community: what the field shows (see matching/FAIRNESS.md): companionship is most of what
// is asked, offers spread wider; 40 coarse areas, one post in ten without one; half of the
// posts give their times (a few slots of the week's 21), the rest are free any time.
constexpr std::array<double, category_count> request_weights{40, 15, 8, 7, 10, 8, 6, 4, 2, 0};
constexpr std::array<double, category_count> offer_weights{12, 20, 12, 8, 14, 10, 9, 8, 7, 0};
constexpr std::size_t areas_total = 40;
constexpr community_id bench_community{1};

struct match_setup {
    std::vector<signing_key> keys;  // member i+1's key; 0 is the founder (coordinator)
    std::vector<bytes> setup;       // founding, admissions, offers and requests, in order
    std::vector<event_id> requests;
    std::vector<std::vector<event_id>> offers_of;  // each member's open offers, by index
    std::vector<std::uint64_t> seq;                // the last sequence each member signed
};

class body_maker {
public:
    explicit body_maker(std::uint64_t seed) : rng_(seed) {}

    event_id fresh_id() {
        event_id id;
        for (std::size_t i = 0; i < id.b.size(); i += 8) {
            const std::uint64_t v = rng_();
            std::memcpy(id.b.data() + i, &v, 8);
        }
        return id;
    }
    post_body post(const std::array<double, category_count>& weights) {
        std::discrete_distribution<std::size_t> pick(weights.begin(), weights.end());
        post_body p;
        p.what = static_cast<category>(pick(rng_));
        // No text: the log holds only commitments, and the matcher never reads texts.
        p.how_often = static_cast<intensity>(rng_() % 3);
        if (rng_() % 10 != 0) p.area = std::to_string(3500 + rng_() % areas_total);
        if (rng_() % 2 == 0)
            for (int i = 0; i < 2 + static_cast<int>(rng_() % 5); ++i)
                p.availability |= 1u << (rng_() % 21);
        return p;
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }

private:
    std::mt19937_64 rng_;
};

event_body body_of(match_setup& s, body_maker& make, std::size_t signer, event_payload p) {
    return event_body{make.fresh_id(),
                      bench_community,
                      member_id{signer + 1},
                      sequence{++s.seq[signer]},
                      time_ms{1'700'000'000'000},
                      std::nullopt,
                      std::move(p)};
}

// Members 2..helpers+1 offer, the next `requesters` ask; posts in a random order, about one
// request to every ten offers.
match_setup make_setup(std::size_t offers, std::size_t requests, std::uint64_t seed,
                       body_maker& make) {
    const std::size_t helpers = std::max<std::size_t>(1, offers / 4);
    const std::size_t requesters = std::max<std::size_t>(1, requests / 2);
    const std::size_t members = 1 + helpers + requesters;
    match_setup s;
    {
        std::vector<std::optional<signing_key>> keys(members);
        std::atomic<std::size_t> next{0};
        std::vector<std::thread> pool;
        for (std::size_t t = 0; t < cores(); ++t)
            pool.emplace_back([&] {
                for (std::size_t i; (i = next.fetch_add(1)) < members;)
                    keys[i].emplace(workload_member_key(seed, i));
            });
        for (auto& t : pool) t.join();
        for (auto& k : keys) s.keys.push_back(std::move(*k));
    }
    s.seq.assign(members, 0);
    s.offers_of.resize(members);
    std::vector<std::pair<std::size_t, event_body>> bodies;
    const policy open_policy{minutes{balance_bound_minutes_max}, minutes{balance_bound_minutes_max},
                             minutes{minutes_per_event_max}};
    bodies.emplace_back(0, body_of(s, make, 0, community_founded{"Bench match", open_policy}));
    for (std::size_t i = 1; i < members; ++i)
        bodies.emplace_back(0, body_of(s, make, 0,
                                       member_admitted{member_id{i + 1}, s.keys[i].public_bytes(),
                                                       role::member, true, std::nullopt}));
    std::size_t offered = 0, asked = 0;
    while (offered < offers || asked < requests) {
        const bool ask = asked < requests && (offered >= offers || make.below(11) == 0);
        if (ask) {
            const std::size_t who = 1 + helpers + make.below(requesters);
            auto b = body_of(s, make, who, request_posted{make.post(request_weights)});
            s.requests.push_back(b.id);
            bodies.emplace_back(who, std::move(b));
            ++asked;
        } else {
            const std::size_t who = 1 + make.below(helpers);
            auto b = body_of(s, make, who, offer_posted{make.post(offer_weights)});
            s.offers_of[who].push_back(b.id);
            bodies.emplace_back(who, std::move(b));
            ++offered;
        }
    }
    s.setup = seal_all(bodies, s.keys, 0, [](std::size_t d, std::size_t n) {
        std::cerr << "  signed " << d << " / " << n << "\n";
    });
    return s;
}

// `count` events of everyday life after the setup, each member in turn (so that no member has
// two events in flight at once): new offers 35 %, new requests 10 %, an offer withdrawn 25 %,
// hours claimed 20 %, transfers 10 %.
std::vector<bytes> make_live(match_setup& s, body_maker& make, std::size_t count) {
    std::vector<std::size_t> order(s.keys.size() - 1);
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i + 1;
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[make.below(i)]);
    std::vector<std::pair<std::size_t, event_body>> bodies;
    for (std::size_t n = 0; n < count; ++n) {
        const std::size_t who = order[n % order.size()];
        std::size_t other = 1 + make.below(s.keys.size() - 1);
        if (other == who) other = other % (s.keys.size() - 1) + 1;
        const auto roll = make.below(100);
        if (roll < 25 && !s.offers_of[who].empty()) {
            auto post = s.offers_of[who].back();
            s.offers_of[who].pop_back();
            bodies.emplace_back(who, body_of(s, make, who, post_withdrawn{post}));
        } else if (roll < 60) {
            bodies.emplace_back(who, body_of(s, make, who, offer_posted{make.post(offer_weights)}));
        } else if (roll < 70) {
            bodies.emplace_back(who,
                                body_of(s, make, who, request_posted{make.post(request_weights)}));
        } else if (roll < 90) {
            bodies.emplace_back(
                who, body_of(s, make, who,
                             hours_claimed{member_id{other + 1},
                                           minutes{30 + static_cast<std::int64_t>(make.below(91))},
                                           std::nullopt, std::nullopt}));
        } else {
            bodies.emplace_back(
                who, body_of(s, make, who,
                             transfer{member_id{other + 1},
                                      minutes{1 + static_cast<std::int64_t>(make.below(60))},
                                      std::nullopt}));
        }
    }
    return seal_all(bodies, s.keys, 0);
}

struct query_figures {
    latencies ms;
    std::size_t failed = 0;
};

// Asks for the candidates of random setup requests over one kept-alive connection, until
// `count` answers or `stop`.
// `session` is the Authorization header of the reader (the founder, a coordinator).
result<query_figures> ask_candidates(std::uint16_t port, const std::string& session,
                                     const std::vector<event_id>& requests, std::uint64_t seed,
                                     std::size_t count, const std::atomic<bool>* stop = nullptr) {
    http_call_options with_session;
    with_session.authorization = session;
    auto connection = http_connection::open("127.0.0.1", port, with_session);
    if (!connection) return connection.err();
    std::mt19937_64 rng(seed);
    query_figures f;
    for (std::size_t n = 0; n < count && !(stop && stop->load()); ++n) {
        const auto& id = requests[rng() % requests.size()];
        const std::string target = "/v1/communities/" + std::to_string(bench_community.value) +
                                   "/requests/" + id.hex() + "/candidates?limit=20";
        const auto t0 = clock_type::now();
        auto r = (*connection)->call("GET", target);
        f.ms.ms.push_back(
            std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
        if (!r) return r.err();
        if (r->status != 200) ++f.failed;
    }
    return f;
}

// `events` through node.submit from `clients` threads, the i-th not before t0 + i / rate.
struct paced_figures {
    double events_per_s = 0;
    std::size_t rejected = 0;
};
paced_figures pace(node& n, const std::vector<bytes>& events, double rate, std::size_t clients) {
    std::atomic<std::size_t> next{0}, rejected{0};
    const auto t0 = clock_type::now();
    std::vector<std::thread> pool;
    for (std::size_t c = 0; c < clients; ++c)
        pool.emplace_back([&] {
            for (std::size_t i; (i = next.fetch_add(1)) < events.size();) {
                std::this_thread::sleep_until(
                    t0 + std::chrono::duration_cast<clock_type::duration>(
                             std::chrono::duration<double>(static_cast<double>(i) / rate)));
                auto r = n.submit(events[i]);
                if (!r || !r->decided.accepted()) ++rejected;
            }
        });
    for (auto& t : pool) t.join();
    return {static_cast<double>(events.size()) / seconds_since(t0), rejected.load()};
}

}  // namespace

result<void> bench_match(const parsed_args& a) {
    auto offers = u64_option(a, "offers", 100'000, 10);
    if (!offers) return offers.err();
    auto requests = u64_option(a, "requests", 10'000, 10);
    if (!requests) return requests.err();
    auto seconds = u64_option(a, "seconds", 10, 1);
    if (!seconds) return seconds.err();
    auto seed = u64_option(a, "seed", 1, 0);
    if (!seed) return seed.err();
    constexpr std::size_t ingest_probe = 10'000, live_max = 200'000, ingest_clients = 128;
    constexpr int replay_rounds = 7;

    std::cerr << "bench match: signing a community with " << *offers << " open offers and "
              << *requests << " open requests (not measured)...\n";
    body_maker make(*seed);
    auto s = make_setup(*offers, *requests, *seed, make);
    scratch_dir dir("match");
    std::cerr << "bench match: writing the log of " << s.setup.size() << " events...\n";
    if (auto r = write_log(dir.path / "log", {&s.setup}); !r) return r.err();

    // Replays, alternating, without the queues and with them (seven of each); the last one with
    // them becomes the node's store. The share is the median of the seven pairs' ratios of the
    // process's CPU time (every thread: the fold, the read-ahead, RocksDB's): a pair runs
    // within seconds, so it meets the same machine, where the fastest of each side alone came
    // from different moments (single runs gave 2 to 30 % that way on a shared machine whose
    // speed swung by 40 % from one replay to the next). Odd rounds run the pair the other way
    // round, so that neither side is always the one that follows the other (with five pairs
    // always "without" first, one run of thirteen gave 25.5 % where the others gave 2.5 to 15.7).
    // The fastest wall times are reported too.
    double with_s = 1e300, without_s = 1e300;
    std::vector<double> pair_ratios;
    double pair_without = 0, pair_with = 0;
    for (int round = 0; round < replay_rounds; ++round) {
        const auto order = round % 2 == 0 ? std::array{queue_upkeep::skipped, queue_upkeep::kept}
                                          : std::array{queue_upkeep::kept, queue_upkeep::skipped};
        for (auto upkeep : order) {
            const bool kept = upkeep == queue_upkeep::kept;
            const auto store_dir =
                dir.path / (kept && round + 1 == replay_rounds ? "store" : "replay-store");
            std::filesystem::remove_all(store_dir);
            auto rebuild = open_rebuild(dir.path, store_dir, upkeep);
            if (!rebuild) return rebuild.err();
            const auto t0 = clock_type::now();
            const double cpu0 = process_cpu_s();
            auto n = (*rebuild)->folder->catch_up();
            if (!n) return n.err();
            if (auto f = (*rebuild)->db->flush(); !f) return f.err();
            const double took = seconds_since(t0), cpu = process_cpu_s() - cpu0;
            if (const auto open = (*rebuild)->folder->read_state(
                    [](const ledger_state&, const matching_state& m) {
                        const auto& q = m.communities.at(bench_community).queues;
                        return q.kept() ? q.open_count(post_side::offer) : 0;
                    });
                kept && open != *offers)
                return make_error(errc::bench_failed, "the replay left " + std::to_string(open) +
                                                          " open offers, not " +
                                                          std::to_string(*offers));
            (kept ? with_s : without_s) = std::min(kept ? with_s : without_s, took);
            (kept ? pair_with : pair_without) = cpu;
            std::cerr << "  replay " << (kept ? "with" : "without") << " the match queues: " << *n
                      << " events in " << fixed(took, 3) << " s, " << fixed(cpu, 3)
                      << " s of CPU\n";
            if (upkeep == order.back()) pair_ratios.push_back(pair_with / pair_without);
        }
    }
    std::filesystem::remove_all(dir.path / "replay-store");
    std::sort(pair_ratios.begin(), pair_ratios.end());
    const double replay_share = pair_ratios[pair_ratios.size() / 2] - 1;
    std::cerr << "bench match: keeping the match queues adds " << fixed(100 * replay_share, 1)
              << " % to the replay's CPU time (the median of " << pair_ratios.size() << " pairs, "
              << fixed(100 * (pair_ratios.front() - 1), 1) << " to "
              << fixed(100 * (pair_ratios.back() - 1), 1) << " %; fastest " << fixed(with_s, 3)
              << " s against " << fixed(without_s, 3) << " s)\n";

    auto server = embedded_server::start(
        dir.path, "127.0.0.1", 0, {}, std::chrono::milliseconds(0), std::nullopt,
        std::chrono::milliseconds(0), founding::anyone,
        serve_network{.quotas = quota_options::unlimited()});  // measures the node
    if (!server) return server.err();
    const auto port = (*server)->port();
    std::cerr << "bench match: candidates of random requests, nothing else going on...\n";
    // The asking client signs in as the founder, a coordinator, who may read every request's
    // candidates (api/README.md, "Who may read what").
    const auto session = session_header(s.keys[0], bench_community, member_id{1});
    auto idle = ask_candidates(port, session, s.requests, *seed, 2'000);
    if (!idle) return idle.err();

    std::cerr << "bench match: the ingest rate of this node (" << ingest_probe << " events, "
              << ingest_clients << " clients)...\n";
    auto probe_events = make_live(s, make, ingest_probe);
    auto probe = drive(probe_events, ingest_clients, "ingest", [&](const bytes& b) {
        auto r = (*server)->node().submit(b);
        return r.ok() && r->decided.accepted();
    });
    const double rate = probe.events_per_s / 2;
    const auto paced_count = std::min<std::size_t>(
        live_max, static_cast<std::size_t>(rate * static_cast<double>(*seconds)));
    std::cerr << "  " << fixed(probe.events_per_s, 0) << " events/s; signing " << paced_count
              << " more to ingest at " << fixed(rate, 0) << "/s...\n";
    auto paced_events = make_live(s, make, paced_count);

    std::cerr << "bench match: candidates of random requests while ingesting at " << fixed(rate, 0)
              << " events/s for " << *seconds << " s...\n";
    std::atomic<bool> stop{false};
    result<query_figures> busy = make_error(errc::bench_failed, "no queries were made");
    std::thread asker([&] {
        // The asking client is on the node's machine, where a real one would not be: it asks
        // for the short slice the server's readers use, so that it does not wait for a core
        // behind the node's signature checks (api/http/README.md, "Short CPU slices for readers").
        (void)use_cpu_slice(cpu_slice::short_0_1ms);
        busy = ask_candidates(port, session, s.requests, *seed + 1,
                              std::numeric_limits<std::size_t>::max(), &stop);
    });
    const auto paced = pace((*server)->node(), paced_events, rate, ingest_clients);
    stop = true;
    asker.join();
    if (!busy) return busy.err();
    (*server)->stop();

    const auto idle_p50 = idle->ms.quantile(0.5), idle_p99 = idle->ms.quantile(0.99);
    const auto queries = busy->ms.ms.size();
    const auto p50 = busy->ms.quantile(0.5), p99 = busy->ms.quantile(0.99),
               max = busy->ms.quantile(1.0);
    std::cerr << "candidates, idle: p50 " << fixed(idle_p50, 3) << " ms, p99 " << fixed(idle_p99, 3)
              << " ms\n"
              << "candidates while ingesting " << fixed(paced.events_per_s, 0) << " events/s ("
              << paced.rejected << " rejected): " << queries << " queries, p50 " << fixed(p50, 3)
              << " ms, p99 " << fixed(p99, 3) << " ms, max " << fixed(max, 3) << " ms; "
              << busy->failed + idle->failed << " failed\n";
    std::cout << "{\"cores\": " << cores() << ", \"offers\": " << *offers
              << ", \"requests\": " << *requests << ", \"members\": " << s.keys.size()
              << ", \"replay_events\": " << s.setup.size()
              << ", \"replay_s_with_queues\": " << fixed(with_s, 3)
              << ", \"replay_s_without_queues\": " << fixed(without_s, 3)
              << ", \"match_queue_replay_share\": " << fixed(replay_share, 3)
              << ", \"idle_p50_ms\": " << fixed(idle_p50, 3)
              << ", \"idle_p99_ms\": " << fixed(idle_p99, 3)
              << ", \"ingest_events_per_s\": " << fixed(probe.events_per_s, 0)
              << ", \"paced_events_per_s\": " << fixed(paced.events_per_s, 0)
              << ", \"paced_rejected\": " << paced.rejected << ", \"queries\": " << queries
              << ", \"failed_queries\": " << busy->failed + idle->failed
              << ", \"p50_ms\": " << fixed(p50, 3) << ", \"p99_ms\": " << fixed(p99, 3)
              << ", \"max_ms\": " << fixed(max, 3) << "}\n";
    return ok_value;
}

}  // namespace uurwerk::cli
