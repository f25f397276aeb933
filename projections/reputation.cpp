#include "projections/reputation.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <unordered_map>

namespace uurwerk {
namespace {

constexpr double ms_per_day = 86'400'000.0;

// 0.5 ^ (age / half-life); events from the future (clock skew) count as new.
double decay(time_ms at, time_ms now, double half_life_days) {
    const double age_days =
        std::max<double>(0, static_cast<double>(now.value - at.value)) / ms_per_day;
    return std::exp2(-age_days / half_life_days);
}

}  // namespace

reputation_result compute_reputation(const reputation_input& in, const reputation_params& p) {
    reputation_result out;
    const std::size_t n = in.members.size();
    if (n == 0) return out;
    std::unordered_map<std::uint64_t, std::size_t> index;
    for (std::size_t i = 0; i < n; ++i) index.emplace(in.members[i].value, i);
    auto at = [&](member_id m) -> std::optional<std::size_t> {
        auto it = index.find(m.value);
        if (it == index.end()) return std::nullopt;
        return it->second;
    };

    // Per ordered pair (truster, trusted): decayed hours and endorsements, and disputes.
    struct pair_sums {
        double support = 0;  // hours + endorsement_weight * endorsements, decayed
        double disputes = 0;
    };
    std::map<std::pair<std::size_t, std::size_t>, pair_sums> pairs;  // ordered: deterministic
    for (const auto& e : in.exchanges) {
        auto h = at(e.helper), r = at(e.receiver);
        if (!h || !r || *h == *r || e.amount.value <= 0) continue;
        pairs[{*r, *h}].support +=
            static_cast<double>(e.amount.value) / 60.0 * decay(e.at, in.now, p.half_life_days);
    }
    for (const auto& e : in.endorsements) {
        auto f = at(e.from), t = at(e.to);
        if (!f || !t || *f == *t) continue;
        pairs[{*f, *t}].support += p.endorsement_weight * decay(e.at, in.now, p.half_life_days);
    }
    for (const auto& d : in.disputes) {
        auto b = at(d.by), a = at(d.against);
        if (!b || !a || *b == *a) continue;
        pairs[{*b, *a}].disputes += decay(d.at, in.now, p.dispute_half_life_days);
    }

    // Local trust, normalized per truster.
    struct edge {
        std::size_t to;
        double weight;
    };
    std::vector<std::vector<edge>> out_edges(n);
    std::vector<double> out_sum(n, 0);
    for (const auto& [ij, s] : pairs) {
        const double w = std::max(0.0, std::log2(1 + s.support) - p.dispute_weight * s.disputes);
        if (w <= 0) continue;
        out_edges[ij.first].push_back({ij.second, w});
        out_sum[ij.first] += w;
    }

    // The seeds' teleport vector (every member when nobody is a seed, so scores still exist).
    std::vector<double> seed(n, 0);
    std::size_t seeds = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (in.seeds.contains(in.members[i])) ++seeds;
    for (std::size_t i = 0; i < n; ++i)
        if (seeds == 0 || in.seeds.contains(in.members[i]))
            seed[i] = 1.0 / static_cast<double>(seeds == 0 ? n : seeds);

    std::vector<double> t = seed, next(n);
    const double a = p.teleport;
    for (out.iterations = 0; out.iterations < p.iterations_max; ++out.iterations) {
        double dangling = 0;  // trust held by members who trust nobody goes back to the seeds
        for (std::size_t i = 0; i < n; ++i) {
            next[i] = a * seed[i];
            if (out_edges[i].empty()) dangling += t[i];
        }
        for (std::size_t i = 0; i < n; ++i)
            for (const auto& e : out_edges[i]) next[e.to] += (1 - a) * t[i] * e.weight / out_sum[i];
        for (std::size_t i = 0; i < n; ++i) next[i] += (1 - a) * dangling * seed[i];
        double change = 0;
        for (std::size_t i = 0; i < n; ++i) change += std::abs(next[i] - t[i]);
        t.swap(next);
        if (change < p.tolerance) break;
    }

    // Scores with mean 1, and the main contributions to each.
    for (std::size_t i = 0; i < n; ++i) out.score[in.members[i]] = t[i] * static_cast<double>(n);
    std::vector<std::vector<trust_contribution>> parts(n);
    double dangling = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (out_edges[i].empty()) dangling += t[i];
    for (std::size_t i = 0; i < n; ++i) {
        if (t[i] <= 0) continue;
        for (const auto& e : out_edges[i])
            if (t[e.to] > 0)
                parts[e.to].push_back(
                    {in.members[i], (1 - a) * t[i] * e.weight / out_sum[i] / t[e.to]});
    }
    for (std::size_t j = 0; j < n; ++j) {
        if (t[j] <= 0) continue;
        auto& v = parts[j];
        const double from_seeds = (a + (1 - a) * dangling) * seed[j] / t[j];
        if (from_seeds > 0) v.push_back({member_id{0}, from_seeds});
        std::sort(v.begin(), v.end(), [](const auto& x, const auto& y) {
            return x.share != y.share ? x.share > y.share : x.from.value < y.from.value;
        });
        if (v.size() > p.contributions_shown) v.resize(p.contributions_shown);
        out.why[in.members[j]] = std::move(v);
    }
    return out;
}

double reputation_factor(double score, double weight_max) {
    return 1 + weight_max * (1 - std::exp(-std::max(0.0, score)));
}

reputation_input reputation_input_of(const community_state& cs, time_ms now) {
    reputation_input in;
    in.now = now;
    // Only what had happened by `now`: so the scores as of a past moment can be computed again
    // from any later state (the matcher reads them as of the start of the day).
    for (const auto& [id, member] : cs.members) {
        if (member.admitted_at.value > now.value) continue;
        in.members.push_back(id);
        if (member.verified || member.member_role == role::coordinator) in.seeds.insert(id);
    }
    for (const auto& [id, cl] : cs.claims) {
        if (cl.status == claim_status::confirmed && cl.confirmed_at.value <= now.value)
            in.exchanges.push_back({cl.claimant, cl.receiver, cl.amount, cl.confirmed_at});
        if (cl.disputed_at.value != 0 && cl.disputed_at.value <= now.value)
            in.disputes.push_back({cl.receiver, cl.claimant, cl.disputed_at});
    }
    // An endorsement counts while the exchange it endorses stands: a reversal takes back what
    // the reversed exchange gave, its endorsements included.
    for (const auto& [id, e] : cs.endorsements) {
        if (e.at.value > now.value) continue;
        auto cl = cs.claims.find(e.claim);
        if (cl == cs.claims.end() || cl->second.status != claim_status::confirmed) continue;
        in.endorsements.push_back({e.from, e.to, e.at});
    }
    // Hash-map order differs between replicas: sort the edges, so the sums are the same.
    std::sort(in.exchanges.begin(), in.exchanges.end(), [](const auto& a, const auto& b) {
        return std::tie(a.at.value, a.helper.value, a.receiver.value, a.amount.value) <
               std::tie(b.at.value, b.helper.value, b.receiver.value, b.amount.value);
    });
    std::sort(in.disputes.begin(), in.disputes.end(), [](const auto& a, const auto& b) {
        return std::tie(a.at.value, a.by.value, a.against.value) <
               std::tie(b.at.value, b.by.value, b.against.value);
    });
    std::sort(in.endorsements.begin(), in.endorsements.end(), [](const auto& a, const auto& b) {
        return std::tie(a.at.value, a.from.value, a.to.value) <
               std::tie(b.at.value, b.from.value, b.to.value);
    });
    return in;
}

}  // namespace uurwerk
