// Reputation (projections/reputation.h): trust flows from the seeds along confirmed help; a
// sybil ring that trades a thousand hours among itself ends below the median honest member;
// repeated exchanges between one pair give diminishing returns; old help and disputes fade;
// every member can see the main contributions to their score.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>

#include "projections/reputation.h"

using namespace uurwerk;

namespace {

constexpr std::int64_t day_ms = 86'400'000;
const time_ms now{1'800'000'000'000};

time_ms days_ago(double d) {
    return time_ms{now.value - static_cast<std::int64_t>(d * day_ms)};
}

// A deterministic pseudo-random stream.
struct lcg {
    std::uint64_t s;
    std::uint64_t below(std::uint64_t n) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return (s >> 33) % n;
    }
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reputation)

BOOST_AUTO_TEST_CASE(a_sybil_ring_trading_a_thousand_hours_ends_below_the_median_honest_member) {
    reputation_input in;
    in.now = now;
    // 200 honest members, a third of them verified, helping each other over a year.
    for (std::uint64_t m = 1; m <= 200; ++m) {
        in.members.push_back(member_id{m});
        if (m % 3 == 0) in.seeds.insert(member_id{m});
    }
    lcg r{7};
    for (int i = 0; i < 2000; ++i) {
        auto h = member_id{1 + r.below(200)}, rc = member_id{1 + r.below(200)};
        in.exchanges.push_back({h, rc, minutes{30 + static_cast<std::int64_t>(r.below(120))},
                                days_ago(static_cast<double>(r.below(365)))});
    }
    // 20 accounts admitted together, unverified, trading 1,000 hours among themselves, and a
    // little real help to honest members to look normal.
    std::vector<member_id> ring;
    for (std::uint64_t m = 1001; m <= 1020; ++m) {
        ring.push_back(member_id{m});
        in.members.push_back(member_id{m});
    }
    for (int i = 0; i < 1000; ++i) {
        auto h = ring[r.below(20)], rc = ring[r.below(20)];
        in.exchanges.push_back({h, rc, minutes{60}, days_ago(static_cast<double>(r.below(60)))});
    }
    for (int i = 0; i < 10; ++i)
        in.exchanges.push_back(
            {ring[r.below(20)], member_id{1 + r.below(200)}, minutes{60}, days_ago(10)});

    auto out = compute_reputation(in, {});
    std::vector<double> honest;
    for (std::uint64_t m = 1; m <= 200; ++m) honest.push_back(out.score.at(member_id{m}));
    const double honest_median = median(honest);
    double ring_best = 0;
    for (auto m : ring) ring_best = std::max(ring_best, out.score.at(m));
    BOOST_TEST_MESSAGE("honest median " << honest_median << ", best ring member " << ring_best);
    BOOST_CHECK_LT(ring_best, honest_median);
    BOOST_CHECK_GT(honest_median, 0.5);
}

BOOST_AUTO_TEST_CASE(many_hours_with_one_partner_weigh_less_than_the_same_hours_from_many) {
    reputation_input in;
    in.now = now;
    for (std::uint64_t m = 1; m <= 30; ++m) in.members.push_back(member_id{m});
    for (std::uint64_t m = 3; m <= 30; ++m) in.seeds.insert(member_id{m});
    // Member 1 helps member 3 for 28 hours; member 2 helps 28 different members an hour each.
    for (int i = 0; i < 28; ++i)
        in.exchanges.push_back({member_id{1}, member_id{3}, minutes{60}, now});
    for (std::uint64_t m = 3; m <= 30; ++m)
        in.exchanges.push_back({member_id{2}, member_id{m}, minutes{60}, now});
    auto out = compute_reputation(in, {});
    BOOST_CHECK_GT(out.score.at(member_id{2}), 2 * out.score.at(member_id{1}));
}

BOOST_AUTO_TEST_CASE(old_help_and_disputes_fade) {
    auto score_of_helper = [](time_ms help_at, std::optional<time_ms> dispute_at) {
        reputation_input in;
        in.now = now;
        for (std::uint64_t m = 1; m <= 3; ++m) in.members.push_back(member_id{m});
        in.seeds = {member_id{2}, member_id{3}};
        in.exchanges.push_back({member_id{1}, member_id{2}, minutes{600}, help_at});
        in.exchanges.push_back({member_id{3}, member_id{2}, minutes{600}, days_ago(1)});
        if (dispute_at) in.disputes.push_back({member_id{2}, member_id{1}, *dispute_at});
        return compute_reputation(in, {}).score.at(member_id{1});
    };
    const double fresh = score_of_helper(days_ago(1), std::nullopt);
    const double old = score_of_helper(days_ago(720), std::nullopt);
    BOOST_CHECK_LT(old, fresh);
    const double disputed = score_of_helper(days_ago(1), days_ago(1));
    const double long_ago_disputed = score_of_helper(days_ago(1), days_ago(720));
    BOOST_CHECK_LT(disputed, fresh);
    BOOST_CHECK_GT(long_ago_disputed, disputed);
    BOOST_CHECK_LT(long_ago_disputed, fresh + 1e-12);
}

BOOST_AUTO_TEST_CASE(a_member_sees_the_main_contributions_to_their_score) {
    reputation_input in;
    in.now = now;
    for (std::uint64_t m = 1; m <= 4; ++m) in.members.push_back(member_id{m});
    in.seeds = {member_id{2}, member_id{3}};
    in.exchanges.push_back({member_id{1}, member_id{2}, minutes{120}, now});
    in.exchanges.push_back({member_id{1}, member_id{3}, minutes{60}, now});
    in.endorsements.push_back({member_id{3}, member_id{1}, now});
    auto out = compute_reputation(in, {});
    const auto& why = out.why.at(member_id{1});
    BOOST_REQUIRE_GE(why.size(), 2u);
    double total = 0;
    for (const auto& c : why) total += c.share;
    BOOST_CHECK_CLOSE(total, 1.0, 1e-6);  // member 1 trusts nobody: all of it comes from 2 and 3
    BOOST_CHECK(why.front().from == member_id{2} || why.front().from == member_id{3});
    // Scores have mean 1; a member nobody trusts and who is no seed has 0.
    double sum = 0;
    for (const auto& [m, s] : out.score) sum += s;
    BOOST_CHECK_CLOSE(sum / 4, 1.0, 1e-6);
    BOOST_CHECK_SMALL(out.score.at(member_id{4}), 1e-12);
    // Deterministic.
    BOOST_CHECK(compute_reputation(in, {}).score == out.score);
}

BOOST_AUTO_TEST_CASE(reputation_enters_ranking_as_a_bounded_diminishing_factor) {
    BOOST_CHECK_EQUAL(reputation_factor(0, 0.2), 1.0);
    BOOST_CHECK_LE(reputation_factor(100, 0.2), 1.2);
    BOOST_CHECK_LT(reputation_factor(10, 0.2), 1.2);
    const double first = reputation_factor(1, 0.2) - reputation_factor(0, 0.2);
    const double later = reputation_factor(5, 0.2) - reputation_factor(4, 0.2);
    BOOST_CHECK_GT(first, 10 * later);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// A community folded through the rules, for what reputation reads of its state.
struct folded_town {
    ledger_state state;
    fold_effects fx;
    std::uint64_t next = 0;
    std::map<std::uint8_t, std::uint64_t> seqs;
    time_ms at{now.value - 30 * day_ms};
    static constexpr community_id town{5};

    static public_key key(std::uint8_t n) {
        public_key k;
        k.b.fill(n);
        return k;
    }
    reject_reason fold_as(std::uint8_t k, member_id author, event_payload p,
                          event_id* id_out = nullptr) {
        event_id id;
        ++next;
        std::memcpy(id.b.data(), &next, sizeof next);
        if (id_out) *id_out = id;
        event_body b{id, town, author, sequence{++seqs[k]}, at, std::nullopt, std::move(p)};
        digest d;
        std::memcpy(d.b.data(), &next, sizeof next);
        fx.clear();
        return fold(state, fold_input{b, key(k), d, offset{next}, at}, fx).reason;
    }
    double score(member_id m) {
        const auto in = reputation_input_of(state.communities.at(town), now);
        return compute_reputation(in, reputation_params{}).score.at(m);
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(endorsing_one_small_exchange_again_and_again_buys_no_reputation) {
    // The attack: a verified member endorses a helper 300 times on one 1-minute claim, to lift
    // them above a helper who gave four hours. Then a reversal of the claim must take back what
    // it gave, endorsements included.
    folded_town t;
    const member_id coordinator{1}, verified{2}, small{3}, big{4};
    using R = reject_reason;
    BOOST_REQUIRE(t.fold_as(1, coordinator, community_founded{"Town", policy{}}) == R::none);
    BOOST_REQUIRE(t.fold_as(1, coordinator,
                            member_admitted{verified, t.key(2), role::member, true}) == R::none);
    BOOST_REQUIRE(t.fold_as(1, coordinator, member_admitted{small, t.key(3)}) == R::none);
    BOOST_REQUIRE(t.fold_as(1, coordinator, member_admitted{big, t.key(4)}) == R::none);
    event_id big_claim, small_claim;
    BOOST_REQUIRE(t.fold_as(4, big, hours_claimed{verified, minutes{240}, {}, std::nullopt}, &big_claim) ==
                  R::none);
    BOOST_REQUIRE(t.fold_as(2, verified, hours_confirmed{big_claim}) == R::none);
    const double before = t.score(small);
    BOOST_REQUIRE(t.fold_as(3, small, hours_claimed{verified, minutes{1}, {}, std::nullopt}, &small_claim) ==
                  R::none);
    BOOST_REQUIRE(t.fold_as(2, verified, hours_confirmed{small_claim}) == R::none);
    BOOST_REQUIRE(t.fold_as(2, verified, endorsement{small, small_claim, std::nullopt}) == R::none);
    int refused = 0;
    for (int i = 0; i < 299; ++i)
        refused +=
            t.fold_as(2, verified, endorsement{small, small_claim, std::nullopt}) == R::already_endorsed;
    BOOST_CHECK_EQUAL(refused, 299);
    const double endorsed = t.score(small);
    BOOST_TEST_MESSAGE("small helper: " << before << " -> " << endorsed << "; big helper "
                                        << t.score(big));
    BOOST_CHECK_LT(endorsed, t.score(big));
    // The reversal takes back the exchange and its endorsement: back where it was.
    BOOST_REQUIRE(t.fold_as(1, coordinator, reversal{small_claim, std::nullopt}) == R::none);
    BOOST_CHECK_CLOSE(t.score(small), before, 1e-6);
}
