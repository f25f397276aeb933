#include "api/bench/workload.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
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

// A member's free text, as people write them: 20 to about 300 characters of Dutch, some with
// accents and quotes (JSON escapes them on the HTTP path).
std::string text_from(rng& r) {
    static constexpr std::array<std::string_view, 12> phrases{
        "Ik help graag met boodschappen op dinsdag en donderdag. ",
        "Mijn hond is niet meer zo snel, een rustige wandeling is genoeg. ",
        "Wie kan mij helpen met de computer? Mijn e-mail doet het niet meer. ",
        "Samen koffie drinken en een praatje maken, dat is het fijnste. ",
        "De tuin moet gemaaid worden, ik heb zelf geen maaier. ",
        "Na de operatie mag ik niet tillen; boodschappen halen zou fijn zijn. ",
        "Ik kook graag voor twee, \"pot luck\" op vrijdag. ",
        "Een lift naar het ziekenhuis in Zeist, heen en terug. ",
        "Mevrouw de Vries was erg blij met het bezoek, dank je wel! ",
        "Een kastje opgehangen en de lamp in de gang vervangen. ",
        "We hebben het café op de hoek geprobeerd, très gezellig. ",
        "Bedankt voor de hulp met de verhuisdozen. ",
    };
    std::string text;
    const std::size_t n = 1 + r.below(5);
    for (std::size_t i = 0; i < n; ++i) text += phrases[r.below(phrases.size())];
    text.pop_back();  // the phrases' closing space
    return text;
}

// N bytes (a multiple of 8) drawn from `r`.
template <std::size_t N>
std::array<std::uint8_t, N> bytes_from(rng& r) {
    static_assert(N % 8 == 0);
    std::array<std::uint8_t, N> out{};
    for (std::size_t i = 0; i < N; i += 8) {
        auto v = r.next();
        std::memcpy(out.data() + i, &v, 8);
    }
    return out;
}

personal_salt salt_from(rng& r) {
    personal_salt s;
    s.b = bytes_from<sizeof s.b>(r);
    return s;
}

event_id id_from(rng& r) {
    event_id id;
    id.b = bytes_from<sizeof id.b>(r);
    return id;
}

}  // namespace

const std::optional<personal_text>& workload::personal_of(std::size_t i) const {
    static const std::optional<personal_text> none;
    UURWERK_ASSERT(personal.empty() || personal.size() == events.size(), personal.size());
    UURWERK_ASSERT(i < events.size(), i, events.size());
    return personal.empty() ? none : personal[i];
}

std::size_t workload::texts() const {
    return static_cast<std::size_t>(std::count_if(personal.begin(), personal.end(),
                                                  [](const auto& p) { return p.has_value(); }));
}

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
    // With free_texts::beside, every post a text, every claim a note and every other transfer
    // a note: a commitment in the body, the salt and text beside it (ledger/core/personal.h).
    // The texts draw from a generator of their own, so that the events' other fields are the
    // same with texts or without.
    const bool with_texts = o.texts == free_texts::beside;
    rng text_rng{o.seed * 0xC2B2AE3D27D4EB4Full + 7};
    std::vector<std::optional<personal_text>> personal;
    auto text_for = [&]() -> text_commitment {
        if (!with_texts) {
            personal.emplace_back();
            return std::nullopt;
        }
        personal_text t{salt_from(text_rng), text_from(text_rng)};
        const digest d = commit_text(t.salt, t.text);
        personal.emplace_back(std::move(t));
        return d;
    };
    auto no_text = [&] { personal.emplace_back(); };
    std::deque<std::tuple<event_id, std::size_t, std::size_t>> pending;  // claim, helper, receiver
    const std::array<category, 4> cats{category::companionship, category::shopping,
                                       category::dog_walking, category::odd_jobs};
    while (bodies.size() < o.events) {
        auto roll = r.below(100);
        std::size_t a = r.below(o.members), b = r.below(o.members - 1);
        if (b >= a) ++b;
        if (roll < 10) {
            post_body p{cats[r.below(cats.size())], text_for(), intensity::sometimes, "3512", 0};
            if (roll < 5)
                bodies.emplace_back(a, body_for(a, offer_posted{p}));
            else
                bodies.emplace_back(a, body_for(a, request_posted{p}));
        } else if (roll < 45 || (roll < 80 && pending.size() <= o.confirm_lag)) {
            auto body =
                body_for(a, hours_claimed{member_id{b + 1},
                                          minutes{30 + static_cast<std::int64_t>(r.below(91))},
                                          std::nullopt, text_for()});
            pending.emplace_back(body.id, a, b);
            bodies.emplace_back(a, std::move(body));
        } else if (roll < 80) {
            auto [claim, helper, receiver] = pending.front();
            pending.pop_front();
            no_text();
            bodies.emplace_back(receiver, body_for(receiver, hours_confirmed{claim}));
        } else {
            const auto amount = minutes{1 + static_cast<std::int64_t>(r.below(60))};
            text_commitment note;
            if (bodies.size() % 2 == 0)
                note = text_for();
            else
                no_text();
            bodies.emplace_back(a, body_for(a, transfer{member_id{b + 1}, amount, note}));
        }
    }
    UURWERK_ASSERT(personal.size() == bodies.size(), personal.size(), bodies.size());
    if (with_texts) w.personal = std::move(personal);

    w.setup = seal_all(setup_bodies, keys, o.threads);
    w.events = seal_all(bodies, keys, o.threads, o.progress);
    return w;
}

}  // namespace uurwerk
