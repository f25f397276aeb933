#include "api/bench/workload.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <thread>

#include "ledger/core/session.h"

namespace uurwerk {
namespace {

// xorshift64*: small, fast, deterministic.
struct rng {
    std::uint64_t s;
    std::uint64_t next() {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return s * 2685821657736338717ull;
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

event_id id_from(rng& r) {
    event_id id;
    for (std::size_t i = 0; i < id.b.size(); i += 8) {
        auto v = r.next();
        std::memcpy(id.b.data() + i, &v, 8);
    }
    return id;
}

}  // namespace

std::string session_header(const signing_key& key, community_id c, member_id m) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    return "Bearer " + sign_session(new_session_statement(c, m, key.public_bytes(),
                                                          time_ms{now.count() + 3'600'000}),
                                    key);
}

signing_key workload_member_key(std::uint64_t seed, std::size_t index) {
    std::array<std::uint8_t, 32> key_seed{};
    auto d = sha256({byte_view(reinterpret_cast<const std::uint8_t*>(&seed), 8),
                     byte_view(reinterpret_cast<const std::uint8_t*>(&index), sizeof index)});
    std::copy(d.b.begin(), d.b.end(), key_seed.begin());
    auto k = signing_key::from_seed(key_seed);
    UURWERK_ASSERT(k.ok());
    return std::move(*k);
}

std::vector<bytes> seal_all(const std::vector<std::pair<std::size_t, event_body>>& bodies,
                            const std::vector<signing_key>& keys, std::size_t threads,
                            const std::function<void(std::size_t, std::size_t)>& progress) {
    std::vector<bytes> out(bodies.size());
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    std::atomic<std::size_t> next{0}, done{0};
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (std::size_t i; (i = next.fetch_add(1)) < bodies.size();) {
                UURWERK_ASSERT(bodies[i].first < keys.size(), i, bodies[i].first);
                out[i] = encode_envelope(keys[bodies[i].first].seal(bodies[i].second));
                auto d = done.fetch_add(1) + 1;
                if (progress && d % 50'000 == 0) progress(d, bodies.size());
            }
        });
    for (auto& t : pool) t.join();
    return out;
}

workload make_workload(const workload_options& o) {
    UURWERK_ASSERT(o.members >= 2, o.members);
    rng r{o.seed * 0x9E3779B97F4A7C15ull + 1};

    // Keys from seeds derived from the workload seed, so every run makes the same events.
    std::vector<signing_key> keys;
    workload w;
    for (std::size_t i = 0; i < o.members; ++i) {
        auto k = workload_member_key(o.seed, i);
        w.member_keys.push_back(k.public_bytes());
        keys.push_back(std::move(k));
    }

    std::vector<std::uint64_t> seq(o.members, 0);
    std::vector<std::pair<std::size_t, event_body>> setup_bodies, bodies;  // (signer, body)
    auto body_for = [&](std::size_t signer, event_payload p) {
        return event_body{id_from(r),
                          o.community,
                          member_id{signer + 1},
                          sequence{++seq[signer]},
                          time_ms{1'700'000'000'000},
                          std::nullopt,
                          std::move(p)};
    };
    const policy open_policy{minutes{balance_bound_minutes_max}, minutes{balance_bound_minutes_max},
                             minutes{minutes_per_event_max}};
    setup_bodies.emplace_back(0, body_for(0, community_founded{"Bench", open_policy}));
    for (std::size_t i = 1; i < o.members; ++i)
        setup_bodies.emplace_back(
            0, body_for(0, member_admitted{member_id{i + 1}, w.member_keys[i], role::member, true,
                                           std::nullopt}));
    if (o.node_key) setup_bodies.emplace_back(0, body_for(0, node_key_announced{*o.node_key}));

    // The mix: posts 10 %, claims 35 %, confirmations of pending claims 35 %, transfers 20 %.
    // Without free texts: a text is a commitment in the event and the text beside it in the
    // personal-data store (ledger/core/personal.h), which these events leave out.
    std::deque<std::tuple<event_id, std::size_t, std::size_t>> pending;  // claim, helper, receiver
    const std::array<category, 4> cats{category::companionship, category::shopping,
                                       category::dog_walking, category::odd_jobs};
    while (bodies.size() < o.events) {
        auto roll = r.below(100);
        std::size_t a = r.below(o.members), b = r.below(o.members - 1);
        if (b >= a) ++b;
        if (roll < 10) {
            post_body p{cats[r.below(cats.size())], std::nullopt, intensity::sometimes, "3512", 0};
            if (roll < 5)
                bodies.emplace_back(a, body_for(a, offer_posted{p}));
            else
                bodies.emplace_back(a, body_for(a, request_posted{p}));
        } else if (roll < 45 || (roll < 80 && pending.size() <= o.confirm_lag)) {
            auto body =
                body_for(a, hours_claimed{member_id{b + 1},
                                          minutes{30 + static_cast<std::int64_t>(r.below(91))},
                                          std::nullopt, std::nullopt});
            pending.emplace_back(body.id, a, b);
            bodies.emplace_back(a, std::move(body));
        } else if (roll < 80) {
            auto [claim, helper, receiver] = pending.front();
            pending.pop_front();
            bodies.emplace_back(receiver, body_for(receiver, hours_confirmed{claim}));
        } else {
            bodies.emplace_back(
                a, body_for(a, transfer{member_id{b + 1},
                                        minutes{1 + static_cast<std::int64_t>(r.below(60))},
                                        std::nullopt}));
        }
    }

    w.setup = seal_all(setup_bodies, keys, o.threads);
    w.events = seal_all(bodies, keys, o.threads, o.progress);
    return w;
}

}  // namespace uurwerk
