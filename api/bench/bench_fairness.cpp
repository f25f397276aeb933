#include "api/bench/bench_fairness.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "api/args/knob_flags.h"
#include "api/bench/bench_support.h"
#include "api/bench/workload.h"
#include "api/json/json.h"
#include "api/node/node.h"
#include "ledger/core/fairness_knobs.h"
#include "matching/fair_share.h"
#include "matching/matcher.h"
#include "matching/simulator.h"
#include "matching/stock.h"

namespace uurwerk::cli {
namespace {

constexpr std::int64_t hour_ms = 3'600'000;
constexpr std::int64_t day_ms = 24 * hour_ms;
constexpr community_id sim_community{1};

// The simulated community on a real node: members' keys, their signing sequences, and the log
// appends that wait for the fold's verdicts.
class simulated_town {
public:
    static result<std::unique_ptr<simulated_town>> open(const std::filesystem::path& dir,
                                                        const simulation_params& p,
                                                        const std::vector<sim_member>& members,
                                                        const fairness_knobs& knobs) {
        auto t = std::unique_ptr<simulated_town>(new simulated_town(p));
        node_options o;
        o.data_dir = dir;
        o.clock = [clock = &t->now_ms] { return time_ms{clock->load()}; };
        o.apply_timeout = std::chrono::milliseconds(60'000);
        auto n = node::open(o);
        if (!n) return n.err();
        t->node_ = std::move(*n);
        if (auto s = t->set_up(members, knobs); !s) return s.err();
        return t;
    }

    void set_clock(time_ms t) { now_ms.store(t.value); }
    // The log's clock: the simulated hour (read by the node's log writer).
    std::atomic<std::int64_t> now_ms{0};
    node& the_node() { return *node_; }
    const signing_key& node_key() const { return node_key_; }

    // Signs `payload` as `author` (the node when author is 0).
    bytes sign(member_id author, const event_id& id, event_payload payload) {
        const signing_key& k = author.value == 0 ? node_key_ : keys_[author.value - 1];
        event_body b{id,
                     sim_community,
                     author,
                     sequence{++seq_[author.value]},
                     time_ms{now_ms.load()},
                     std::nullopt,
                     std::move(payload)};
        return encode_envelope(k.seal(b));
    }

    // Appends the envelopes in order and waits until they are folded; their verdicts.
    result<std::vector<verdict>> append_all(std::vector<bytes> envelopes) {
        std::vector<verdict> out;
        if (envelopes.empty()) return out;
        auto& log = node_->log(sim_community);
        const offset base = log.end();
        UURWERK_ASSERT(node_->folder(sim_community).applied() == base, base.value);
        std::atomic<bool> failed{false};
        for (auto& e : envelopes) {
            auto q = log.append_async(std::move(e), [&failed](result<offset> at) {
                if (!at) failed.store(true);
            });
            if (!q) return q.err();
        }
        const offset last{base.value + envelopes.size() - 1};
        if (!node_->folder(sim_community).wait_applied(last, std::chrono::seconds(120)) ||
            failed.load())
            return make_error(errc::bench_failed, "the simulated events were not applied");
        for (std::size_t i = 0; i < envelopes.size(); ++i) {
            auto v = node_->folder(sim_community).verdict_at(offset{base.value + i});
            UURWERK_ASSERT(v.has_value(), base.value + i);
            out.push_back(v->decided);
        }
        return out;
    }

private:
    explicit simulated_town(const simulation_params& p)
        : params_(p), node_key_(workload_member_key(p.seed ^ 0x6e6f6465ull, 0)) {
        now_ms.store(p.start_ms);
        keys_.reserve(p.members);
        for (std::size_t i = 0; i < p.members; ++i) keys_.push_back(workload_member_key(p.seed, i));
        seq_.assign(p.members + 1, 0);
    }

    result<void> set_up(const std::vector<sim_member>& members, const fairness_knobs& knobs) {
        // A time bank whose members may run up and hold many hours (a buddy of months), the
        // node announced as its matcher, every member admitted with their key.
        policy rules;
        rules.credit_limit = minutes{balance_bound_minutes_max};
        rules.balance_max = minutes{balance_bound_minutes_max};
        rules.claim_max = minutes{24 * 60};
        rules.fairness = knobs;
        std::uint64_t id_no = 0;
        auto next_id = [&] {
            event_id id;
            const std::uint64_t n = ++id_no;
            std::memcpy(id.b.data(), &n, sizeof n);
            id.b[15] = 0x5e;
            return id;
        };
        std::vector<bytes> setup;
        setup.push_back(sign(member_id{1}, next_id(), community_founded{"Simulated town", rules}));
        setup.push_back(
            sign(member_id{1}, next_id(), node_key_announced{node_key_.public_bytes()}));
        for (const auto& m : members) {
            if (m.id.value == 1) continue;
            setup.push_back(sign(member_id{1}, next_id(),
                                 member_admitted{m.id, keys_[m.id.value - 1].public_bytes(),
                                                 role::member, m.verified, std::nullopt}));
        }
        auto v = append_all(std::move(setup));
        if (!v) return v.err();
        for (const auto& x : *v)
            if (!x.accepted())
                return make_error(errc::bench_failed, "the town's setup was rejected: " +
                                                          std::string(reason_name(x.reason)));
        return ok_value;
    }

    simulation_params params_;
    signing_key node_key_;
    std::vector<signing_key> keys_;
    std::vector<std::uint64_t> seq_;
    std::unique_ptr<node> node_;
};

// The simulated members write no texts: the matcher never reads them, and the log holds only
// their commitments.
event_payload payload_of(const sim_action& a) {
    switch (a.kind) {
        case sim_action_kind::post_offer:
            return offer_posted{{a.what, std::nullopt, a.how_often, a.area, 0}};
        case sim_action_kind::post_request:
            return request_posted{{a.what, std::nullopt, a.how_often, a.area, 0}};
        case sim_action_kind::withdraw_offer:
        case sim_action_kind::withdraw_request:
            return post_withdrawn{a.subject};
        case sim_action_kind::accept:
            return match_accepted{a.subject};
        case sim_action_kind::decline:
            return match_declined{a.subject};
        case sim_action_kind::claim:
            return hours_claimed{a.other, a.amount, a.subject, std::nullopt};
        case sim_action_kind::confirm:
            return hours_confirmed{a.subject};
        case sim_action_kind::end_match:
            return match_ended{a.subject};
    }
    UURWERK_ASSERT(false, static_cast<int>(a.kind));
    return {};
}

// The open stock, summed over the simulated hours (matching/stock.h), and the requests that
// were past the wait bound with a fitting helper free at some hour.
struct stock_sums {
    double hours = 0, offers = 0, requests = 0, slots = 0, slots_used = 0;
    std::array<double, category_count> offers_by_category{}, requests_by_category{};
    std::set<event_id> past_bound;

    void add(const stock_sample& s) {
        for (std::size_t k = 0; k < category_count; ++k) {
            offers_by_category[k] += static_cast<double>(s.open_offers_by_category[k]);
            requests_by_category[k] += static_cast<double>(s.open_requests_by_category[k]);
        }
        hours += 1;
        offers += static_cast<double>(s.open_offers);
        requests += static_cast<double>(s.open_requests);
        slots += static_cast<double>(s.helper_slots);
        slots_used += static_cast<double>(s.helper_slots_used);
        past_bound.insert(s.past_bound_with_free_helper.begin(),
                          s.past_bound_with_free_helper.end());
    }
};

struct fairness_run {
    fair_share_figures figures;
    stock_sums stock;
    std::size_t events = 0, rejected = 0, rounds = 0;
    std::map<std::string, std::size_t> rejected_by_reason;
    double seconds = 0;
    std::string helpers_tsv;  // a line per helper who ever offered (--helpers-out)
};

// The columns of --helpers-out, in the order run_simulation writes each helper's line.
constexpr std::string_view helpers_tsv_header =
    "run\tmember\tcategory\tintensity\tarea\tpopularity\tfair_share\tproposals\tmatches\t"
    "hours\toffering_at_end\n";

result<fairness_run> run_simulation(const simulation_params& p, const fairness_knobs& knobs,
                                    const char* label) {
    const auto t0 = std::chrono::steady_clock::now();
    scratch_dir scratch(std::string("fairness-") + label);
    const auto dir = scratch.path / "node";

    std::cerr << "bench fairness (" << label << "): admitting " << p.members << " members...\n";
    simulator sim(p);
    auto town = simulated_town::open(dir, p, sim.members(), knobs);
    if (!town) return town.err();

    // What the measures need to know of each post and match.
    struct post_info {
        category what;
        std::string area;
    };
    std::map<event_id, post_info> posts;
    std::map<event_id, proposal> proposals;  // by match id
    std::map<event_id, std::pair<member_id, minutes>> claims;
    fair_share_tracker tracker([&](const event_id& request, const event_id& offer) {
        const auto& r = posts.at(request);
        const auto& o = posts.at(offer);
        return r.what == o.what && r.area == o.area;
    });
    // A request that no offer of its area fits while it is open is proposed offers of its
    // category in other areas (the quality floor keeps to the area only while one fits there).
    tracker.widen_when_none_fits([&](const event_id& request, const event_id& offer) {
        return posts.at(request).what == posts.at(offer).what;
    });
    // A simulated helper gives up `gives_up_after_days` after signing up (and posting) unless a
    // match began: a proposal alone keeps no one, so the starvation floor may not either.
    if (p.contact == retention_contact::accepted_match)
        tracker.first_match_within(std::chrono::hours(24 * p.gives_up_after_days));

    fairness_run run;
    std::map<member_id, double> reputation;
    time_ms reputation_of{-1};
    for (std::int64_t t = sim.start().value + hour_ms; t <= sim.end().value; t += hour_ms) {
        (*town)->set_clock(time_ms{t});
        // The members act.
        auto actions = sim.advance(time_ms{t});
        std::vector<bytes> envs;
        envs.reserve(actions.size());
        for (const auto& a : actions) envs.push_back((*town)->sign(a.actor, a.id, payload_of(a)));
        auto verdicts = (*town)->append_all(std::move(envs));
        if (!verdicts) return verdicts.err();
        for (std::size_t i = 0; i < actions.size(); ++i) {
            const auto& a = actions[i];
            const verdict v = (*verdicts)[i];
            ++run.events;
            sim.on_verdict(a, v.accepted() ? sim_outcome::accepted : sim_outcome::rejected);
            if (!v.accepted()) {
                ++run.rejected;
                ++run.rejected_by_reason[std::string(reason_name(v.reason))];
                continue;
            }
            switch (a.kind) {
                case sim_action_kind::post_offer:
                    posts[a.id] = {a.what, a.area};
                    tracker.offer_opened(a.id, a.actor, a.at, a.what);
                    break;
                case sim_action_kind::post_request:
                    posts[a.id] = {a.what, a.area};
                    tracker.request_opened(a.id, a.at, a.what);
                    break;
                case sim_action_kind::withdraw_offer:
                    tracker.offer_closed(a.subject, a.at);
                    break;
                case sim_action_kind::accept: {
                    const auto& m = proposals.at(a.subject);
                    tracker.matched(m.request, m.helper, a.at);
                    tracker.request_closed(m.request, a.at);
                    break;
                }
                case sim_action_kind::claim:
                    claims[a.id] = {a.actor, a.amount};
                    break;
                case sim_action_kind::end_match: {
                    const auto& m = proposals.at(a.subject);
                    tracker.match_ended(m.request, m.helper, a.at);
                    break;
                }
                case sim_action_kind::confirm: {
                    const auto& [helper, amount] = claims.at(a.subject);
                    tracker.hours_given(helper, amount);
                    break;
                }
                default:
                    break;
            }
        }
        // The node's matcher proposes, as it would every hour.
        // (Reputation is computed once a simulated day, as of its start: the costly part of a
        // round, and the same scores the matcher would compute in every round of that day, for
        // no claim is ever reversed here.)
        auto round =
            (*town)
                ->the_node()
                .folder(sim_community)
                .read_state([&](const ledger_state& s, const matching_state& m) {
                    auto c = s.communities.find(sim_community);
                    UURWERK_ASSERT(c != s.communities.end());
                    if (const time_ms day = reputation_day(c->second); day != reputation_of) {
                        reputation = round_reputation(c->second);
                        reputation_of = day;
                    }
                    return propose(sim_community, c->second, m.communities.at(sim_community),
                                   reputation);
                });
        ++run.rounds;
        std::vector<bytes> signed_proposals;
        for (std::size_t i = 0; i < round.size(); ++i)
            signed_proposals.push_back(encode_envelope(
                (*town)->node_key().seal(proposal_body(sim_community, round[i], i, time_ms{t}))));
        auto pv = (*town)->append_all(std::move(signed_proposals));
        if (!pv) return pv.err();
        for (std::size_t i = 0; i < round.size(); ++i) {
            ++run.events;
            if (!(*pv)[i].accepted()) {
                ++run.rejected;
                ++run.rejected_by_reason[std::string(reason_name((*pv)[i].reason))];
                continue;
            }
            const auto& pr = round[i];
            proposals[pr.id] = pr;
            sim.on_proposed(pr.id, pr.request, pr.offer, pr.helper, time_ms{t});
            tracker.proposed(pr.request, pr.helper, time_ms{t});
        }
        // The stock as the hour ends, after the members' actions and the matcher's round. The
        // wait bound is not judged once the model settles (simulator::settles_at): it ends every
        // running relationship at once, which in a backlogged town frees hundreds of helpers in
        // one hour, more requests than a round serves (round_requests_max), and no next round
        // comes. Measured (2,000 members, 45 a day, 90 % companionship, seed 1): all 348
        // requests counted before were counted in those hours.
        auto sample = (*town)
                          ->the_node()
                          .folder(sim_community)
                          .read_state([&](const ledger_state& s, const matching_state& m) {
                              return sample_stock(s.communities.at(sim_community),
                                                  m.communities.at(sim_community));
                          });
        if (t >= sim.settles_at().value) sample.past_bound_with_free_helper.clear();
        run.stock.add(sample);
        if ((t - sim.start().value) % (30 * day_ms) == 0)
            std::cerr << "  " << label << ": day " << (t - sim.start().value) / day_ms << " of "
                      << p.days << ", " << run.events << " events\n";
    }
    const auto f0 = std::chrono::steady_clock::now();
    run.figures = tracker.figures(sim.end());
    std::cerr << "  " << label << ": figures in "
              << fixed(std::chrono::duration<double>(std::chrono::steady_clock::now() - f0).count(),
                       3)
              << " s\n";
    for (const auto& [helper, h] : tracker.per_helper(sim.end())) {
        const auto& m = sim.members().at(helper.value - 1);
        run.helpers_tsv += std::string(label) + "\t" + std::to_string(helper.value) + "\t" +
                           std::string(category_name(m.offers)) + "\t" +
                           std::to_string(static_cast<int>(m.offer_intensity)) + "\t" + m.area +
                           "\t" + fixed(m.popularity, 6) + "\t" + fixed(h.fair_share, 4) + "\t" +
                           fixed(h.proposals, 0) + "\t" + fixed(h.matches, 0) + "\t" +
                           fixed(h.hours, 2) + "\t" + (h.offering_at_end ? "1" : "0") + "\n";
    }
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return run;
}

std::string fixed3(double v) {
    return fixed(v, 3);
}

std::string figures_json(const fair_share_figures& f, const stock_sums& s) {
    const double per_request = s.requests > 0 ? s.offers / s.requests : 0;
    const double slots_in_use = s.slots > 0 ? s.slots_used / s.slots : 0;
    const double hours = std::max(1.0, s.hours);
    const double past_bound_share =
        f.requests ? static_cast<double>(s.past_bound.size()) / static_cast<double>(f.requests) : 0;
    std::string by_category = "{";
    for (const auto& [what, c] : f.by_category) {
        const auto k = static_cast<std::size_t>(what);
        if (by_category.size() > 1) by_category += ", ";
        by_category +=
            "\"" + std::string(category_name(what)) +
            "\": {\"unfairness_matches\": " + fixed3(c.unfairness_matches) +
            ", \"unfairness_matches_chance\": " + fixed3(c.unfairness_matches_chance) +
            ", \"unfairness_matches_floor\": " + fixed3(c.unfairness_matches_floor) +
            ", \"requests\": " + std::to_string(c.requests) +
            ", \"matches\": " + std::to_string(c.matches) + ", \"open_offers_per_open_request\": " +
            fixed3(s.offers_by_category[k] / std::max(1.0, s.requests_by_category[k])) + "}";
    }
    by_category += "}";
    return "{\"unfairness_matches\": " + fixed3(f.unfairness_matches) +
           ", \"unfairness_matches_chance\": " + fixed3(f.unfairness_matches_chance) +
           ", \"unfairness_matches_floor\": " + fixed3(f.unfairness_matches_floor) +
           ", \"unfairness_proposals\": " + fixed3(f.unfairness_proposals) +
           ", \"starved_all_offers_share\": " + fixed3(f.starved_all_offers_share) +
           ", \"starvation_all_candidates\": " + std::to_string(f.starvation_all_candidates) +
           ", \"starved_all_offers_floor\": " + fixed3(f.starved_all_offers_floor) +
           ", \"starved_offers_share\": " + fixed3(f.starved_offers_share) +
           ", \"proposals_per_match\": " + fixed3(f.proposals_per_match) +
           ", \"helpers_active_at_end\": " + std::to_string(f.helpers_active_at_end) +
           ", \"helpers_offered\": " + std::to_string(f.helpers_offered) +
           ", \"helpers_kept_bound\": " + std::to_string(f.helpers_kept_bound) +
           ", \"median_time_to_match_h\": " + fixed3(f.median_time_to_match_h) +
           ", \"p90_time_to_match_h\": " + fixed3(f.p90_time_to_match_h) +
           ", \"requests_never_matched_share\": " + fixed3(f.requests_never_matched_share) +
           ", \"matched_hours_total\": " + fixed3(f.matched_hours_total) +
           ", \"gini_matched_hours\": " + fixed3(f.gini_matched_hours) +
           ", \"requests\": " + std::to_string(f.requests) +
           ", \"offers\": " + std::to_string(f.offers) +
           ", \"proposals\": " + std::to_string(f.proposals) +
           ", \"matches\": " + std::to_string(f.matches) +
           ", \"starvation_candidates\": " + std::to_string(f.starvation_candidates) +
           ", \"open_offers_mean\": " + fixed3(s.offers / hours) +
           ", \"open_requests_mean\": " + fixed3(s.requests / hours) +
           ", \"open_offers_per_open_request\": " + fixed3(per_request) +
           ", \"helper_slots_in_use_share\": " + fixed3(slots_in_use) +
           ", \"requests_past_bound_with_free_helper\": " + std::to_string(s.past_bound.size()) +
           ", \"requests_past_bound_with_free_helper_share\": " + fixed3(past_bound_share) +
           ", \"by_category\": " + by_category + "}";
}

std::string chance_json(const fair_share_figures& f) {
    std::string out =
        "{\"unfairness_matches\": " + fixed3(f.unfairness_matches_chance) + ", \"by_category\": {";
    bool first = true;
    for (const auto& [what, c] : f.by_category) {
        out += std::string(first ? "" : ", ") + "\"" + std::string(category_name(what)) +
               "\": {\"unfairness_matches\": " + fixed3(c.unfairness_matches_chance) + "}";
        first = false;
    }
    return out + "}}";
}

void report(const char* label, const fairness_run& r) {
    const auto& f = r.figures;
    std::cerr << label << ": " << r.events << " events (" << r.rejected << " rejected";
    for (const auto& [why, n] : r.rejected_by_reason) std::cerr << ", " << why << " " << n;
    std::cerr << ") in " << fixed3(r.seconds) << " s; " << f.requests << " requests, " << f.offers
              << " offers, " << f.proposals << " proposals, " << f.matches << " matches\n"
              << "  unfairness of matches " << fixed3(f.unfairness_matches) << " (chance "
              << fixed3(f.unfairness_matches_chance) << ", whole-match floor "
              << fixed3(f.unfairness_matches_floor) << "), of proposals "
              << fixed3(f.unfairness_proposals) << "; proposals per match "
              << fixed3(f.proposals_per_match) << "; starved: all offers "
              << fixed3(100 * f.starved_all_offers_share) << " % of " << f.starvation_all_candidates
              << " (floor " << fixed3(100 * f.starved_all_offers_floor) << " %)"
              << ", owed one " << fixed3(100 * f.starved_offers_share) << " % of "
              << f.starvation_candidates << "; helpers offering at the end "
              << f.helpers_active_at_end << "; time to match median "
              << fixed3(f.median_time_to_match_h) << " h, p90 " << fixed3(f.p90_time_to_match_h)
              << " h; never matched " << fixed3(100 * f.requests_never_matched_share)
              << " %; hours " << fixed3(f.matched_hours_total) << ", Gini "
              << fixed3(f.gini_matched_hours) << "\n"
              << "  open offers per open request "
              << fixed3(r.stock.offers / std::max(1.0, r.stock.requests))
              << "; helper slots in use "
              << fixed3(100 * r.stock.slots_used / std::max(1.0, r.stock.slots))
              << " %; requests past the wait bound with a fitting helper free "
              << r.stock.past_bound.size() << "\n";
    for (const auto& [what, c] : f.by_category)
        std::cerr << "    " << category_name(what) << ": " << c.requests << " requests, "
                  << c.matches << " matches, unfairness " << fixed3(c.unfairness_matches)
                  << " (chance " << fixed3(c.unfairness_matches_chance) << ", floor "
                  << fixed3(c.unfairness_matches_floor) << "), open offers per "
                  << "open request "
                  << fixed3(r.stock.offers_by_category[static_cast<std::size_t>(what)] /
                            std::max(1.0,
                                     r.stock.requests_by_category[static_cast<std::size_t>(what)]))
                  << "\n";
}

// A decimal number in [lo, hi], or an error naming the flag.
result<double> number_flag(const parsed_args& a, const std::string& name, double lo, double hi) {
    const std::string text = a.get(name).value_or("");
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || !(v >= lo && v <= hi))
        return make_error(errc::bad_argument, "--" + name + " must be a number between " +
                                                  fixed(lo, 2) + " and " + fixed(hi, 2));
    return v;
}

// "companionship=30,shopping=20,...": weights by category name (any non-negative numbers; the
// categories not named weigh 0; at least one positive).
result<category_mix> mix_flag(const parsed_args& a, const std::string& name) {
    const std::string text = a.get(name).value_or("");
    category_mix mix{};
    auto bad = [&](const std::string& why) {
        return make_error(errc::bad_argument,
                          "--" + name + " takes CATEGORY=WEIGHT,... (" + why + ")");
    };
    std::size_t at = 0;
    while (at <= text.size()) {
        const auto comma = std::min(text.find(',', at), text.size());
        const std::string item = text.substr(at, comma - at);
        const auto eq = item.find('=');
        if (eq == std::string::npos) return bad("'" + item + "' has no '='");
        const auto c = category_from_name(item.substr(0, eq));
        if (!c) return bad("no category '" + item.substr(0, eq) + "'");
        double w = 0;
        const char* first = item.data() + eq + 1;
        const char* last = item.data() + item.size();
        const auto [end, ec] = std::from_chars(first, last, w);
        if (ec != std::errc{} || end != last || !(w >= 0 && w <= 1e6))
            return bad("'" + item + "' has no weight from 0 to 1000000");
        mix[static_cast<std::size_t>(*c)] = w;
        at = comma + 1;
    }
    double total = 0;
    for (double w : mix) total += w;
    if (!(total > 0)) return bad("every weight is 0");
    return mix;
}

std::string mix_json(const category_mix& mix) {
    double total = 0;
    for (double w : mix) total += w;
    std::string out = "{";
    for (std::size_t i = 0; i < mix.size(); ++i) {
        if (mix[i] <= 0) continue;
        if (out.size() > 1) out += ", ";
        out += "\"" + std::string(category_name(static_cast<category>(i))) +
               "\": " + fixed(mix[i] / total, 4);
    }
    return out + "}";
}

// The model's parameters from the flags (each flag's default is simulation_params').
result<void> read_model_flags(const parsed_args& a, simulation_params& p) {
    auto whole = [&](const char* name, std::uint64_t lo, std::uint64_t hi,
                     auto&& set) -> result<void> {
        if (!a.has(name)) return ok_value;
        auto v = a.get_u64(name);
        if (!v) return v.err();
        if (*v < lo || *v > hi)
            return make_error(errc::bad_argument, std::string("--") + name + " must be between " +
                                                      std::to_string(lo) + " and " +
                                                      std::to_string(hi));
        set(*v);
        return ok_value;
    };
    auto number = [&](const char* name, double lo, double hi, auto&& set) -> result<void> {
        if (!a.has(name)) return ok_value;
        auto v = number_flag(a, name, lo, hi);
        if (!v) return v.err();
        set(*v);
        return ok_value;
    };
    for (auto r : {
             whole("seed", 0, UINT64_MAX, [&](std::uint64_t v) { p.seed = v; }),
             whole("members", 10, 100'000, [&](std::uint64_t v) { p.members = v; }),
             whole("days", 1, 3650, [&](std::uint64_t v) { p.days = static_cast<int>(v); }),
             // Requests a day per 1,000 helpers.
             whole("request-rate", 1, 1000,
                   [&](std::uint64_t v) {
                       p.requests_per_helper_day = static_cast<double>(v) / 1000.0;
                   }),
             whole("give-up-days", 1, 365,
                   [&](std::uint64_t v) { p.gives_up_after_days = static_cast<int>(v); }),
             whole("areas", 1, 100, [&](std::uint64_t v) { p.areas = v; }),
             number("decline-share", 0, 99, [&](double v) { p.decline_all_share = v / 100.0; }),
             number("popularity-exponent", 0, 4, [&](double v) { p.zipf_exponent = v; }),
         })
        if (!r) return r.err();
    if (a.has("retention")) {
        const auto v = a.get("retention").value_or("");
        if (v == "match")
            p.contact = retention_contact::accepted_match;
        else if (v == "proposal")
            p.contact = retention_contact::proposal;
        else
            return make_error(errc::bad_argument, "--retention is 'match' or 'proposal'");
    }
    if (a.has("offer-mix")) {
        auto m = mix_flag(a, "offer-mix");
        if (!m) return m.err();
        p.offer_mix = *m;
    }
    if (a.has("request-mix")) {
        auto m = mix_flag(a, "request-mix");
        if (!m) return m.err();
        p.request_mix = *m;
    }
    if (a.has("companionship-share")) {
        auto v = number_flag(a, "companionship-share", 0, 100);
        if (!v) return v.err();
        p.request_mix = with_share(p.request_mix, category::companionship, *v / 100.0);
    }
    return ok_value;
}

std::string model_json(const simulation_params& p) {
    return "\"seed\": " + std::to_string(p.seed) + ", \"members\": " + std::to_string(p.members) +
           ", \"days\": " + std::to_string(p.days) +
           ", \"requests_per_1000_helpers_day\": " + fixed3(1000 * p.requests_per_helper_day) +
           ", \"give_up_days\": " + std::to_string(p.gives_up_after_days) + ", \"retention\": \"" +
           (p.contact == retention_contact::accepted_match ? "match" : "proposal") +
           "\", \"decline_share\": " + fixed3(p.decline_all_share) +
           ", \"popularity_exponent\": " + fixed3(p.zipf_exponent) +
           ", \"areas\": " + std::to_string(p.areas) + ", \"offer_mix\": " + mix_json(p.offer_mix) +
           ", \"request_mix\": " + mix_json(p.request_mix);
}

// The goals of the fairness layer (issue 21, point 5), judged on one cell's on and off runs.
enum class goal_state : std::uint8_t { held, failed, not_applicable };

constexpr std::string_view goal_state_name(goal_state g) {
    switch (g) {
        case goal_state::held:
            return "held";
        case goal_state::failed:
            return "failed";
        case goal_state::not_applicable:
            return "n/a";
    }
    return "?";
}

constexpr std::array<std::string_view, 8> goal_names = {
    "unfairness_le_0.15",              // on's unfairness of matches, overall
    "unfairness_by_category_le_0.15",  // in every category with >= 3 open offers per request
    "unfairness_le_half_of_off",       // overall
    "starvation_lt_5pct",              // over all offers
    "helpers_kept_ge_1.5x_off",
    "p90_time_to_match_le_1.1x_off",  // only where off does not backlog
    "no_request_past_wait_bound",     // with a fitting helper free
    "proposals_per_match_le_1.25x_off",
};
using goal_states = std::array<goal_state, goal_names.size()>;

// Off backlogs when more than this share of its requests was never matched (a town that meets
// its requests within a day leaves only the last hours' unmatched).
constexpr double backlog_never_matched_share = 0.10;

bool backlogs(const fairness_run& r) {
    return r.figures.requests_never_matched_share > backlog_never_matched_share;
}

// The categories where open offers outnumber open requests at least three to one (time averages
// of the run's hourly stock) and that had a match: those the per-category goal judges.
bool judged_category(const fairness_run& r, category what, const category_figures& c) {
    const auto k = static_cast<std::size_t>(what);
    const double ratio =
        r.stock.offers_by_category[k] / std::max(1.0, r.stock.requests_by_category[k]);
    return ratio >= 3 && c.matches > 0;
}

// The unfairness goals met by a figure of unfairness (on's own, or its chance baseline's).
template <typename Unfairness>
std::pair<goal_state, goal_state> unfairness_goals(const fairness_run& r, Unfairness of) {
    auto held = [](bool yes) { return yes ? goal_state::held : goal_state::failed; };
    bool any = false, all = true;
    for (const auto& [what, c] : r.figures.by_category) {
        if (!judged_category(r, what, c)) continue;
        any = true;
        all = all && of(&c) <= 0.15;
    }
    return {held(of(nullptr) <= 0.15), any ? held(all) : goal_state::not_applicable};
}

goal_states judge_goals(const fairness_run& on, const fairness_run& off) {
    const auto& a = on.figures;
    const auto& b = off.figures;
    auto held = [](bool yes) { return yes ? goal_state::held : goal_state::failed; };
    goal_states g{};
    std::tie(g[0], g[1]) = unfairness_goals(on, [&](const category_figures* c) {
        return c ? c->unfairness_matches : a.unfairness_matches;
    });
    g[2] = held(a.unfairness_matches <= 0.5 * b.unfairness_matches);
    g[3] = held(a.starved_all_offers_share < 0.05);
    g[4] = held(static_cast<double>(a.helpers_active_at_end) >=
                1.5 * static_cast<double>(b.helpers_active_at_end));
    g[5] = backlogs(off) ? goal_state::not_applicable
                         : held(a.p90_time_to_match_h <= 1.1 * b.p90_time_to_match_h);
    g[6] = held(on.stock.past_bound.empty());
    g[7] = held(a.proposals_per_match <= 1.25 * b.proposals_per_match);
    return g;
}

// The goals the chance baseline judges (chance_goals): the three unfairness goals.
constexpr std::array<std::size_t, 3> chance_goal_indexes{0, 1, 2};

// Whether the chance baseline (on's matches drawn in proportion to fair share) would meet the
// unfairness goals (at most 0.15, overall and by category; at most half of off): where it misses
// too, a layer must beat a fair lottery of whole matches to meet them.
std::array<goal_state, chance_goal_indexes.size()> judge_chance(const fairness_run& on,
                                                                const fairness_run& off) {
    const auto [overall, by_category] = unfairness_goals(on, [&](const category_figures* c) {
        return c ? c->unfairness_matches_chance : on.figures.unfairness_matches_chance;
    });
    return {overall, by_category,
            on.figures.unfairness_matches_chance <= 0.5 * off.figures.unfairness_matches
                ? goal_state::held
                : goal_state::failed};
}

// The goals a bound judges (floor_goals): the unfairness goals on the whole-match floor, the
// starvation goal on the starvation floor, helpers kept on the kept bound.
constexpr std::array<std::size_t, 4> floor_goal_indexes{0, 1, 3, 4};

// Whether the bounds no layer goes below (whole matches, fair_share.h; the starvation floor,
// reassigning the run's own matches) or above (the kept bound: the most helpers any handing out
// of on's matches keeps) would meet goals 0, 1, 3 and 4: where they miss, no layer meets the
// goal in this town.
std::array<goal_state, floor_goal_indexes.size()> judge_floors(const fairness_run& on,
                                                               const fairness_run& off) {
    const auto [overall, by_category] = unfairness_goals(on, [&](const category_figures* c) {
        return c ? c->unfairness_matches_floor : on.figures.unfairness_matches_floor;
    });
    auto held = [](bool yes) { return yes ? goal_state::held : goal_state::failed; };
    return {overall, by_category, held(on.figures.starved_all_offers_floor < 0.05),
            held(static_cast<double>(on.figures.helpers_kept_bound) >=
                 1.5 * static_cast<double>(off.figures.helpers_active_at_end))};
}

// Whether a bound that judges goals `indexes` judges goal `g`.
template <std::size_t N>
bool judges(const std::array<std::size_t, N>& indexes, std::size_t g) {
    return std::find(indexes.begin(), indexes.end(), g) != indexes.end();
}

// That bound's verdict (of `states`) on goal `g`; none when it does not judge it.
template <std::size_t N>
std::optional<goal_state> verdict_on(const std::array<std::size_t, N>& indexes,
                                     const std::array<goal_state, N>& states, std::size_t g) {
    const auto at = std::find(indexes.begin(), indexes.end(), g);
    if (at == indexes.end()) return std::nullopt;
    return states[static_cast<std::size_t>(at - indexes.begin())];
}

// A bound's verdicts, named by the goals they judge.
template <std::size_t N>
std::string bound_goals_json(const std::array<std::size_t, N>& indexes,
                             const std::array<goal_state, N>& states) {
    std::string out = "{";
    for (std::size_t i = 0; i < N; ++i)
        out += std::string(i ? ", " : "") + "\"" + std::string(goal_names[indexes[i]]) + "\": \"" +
               std::string(goal_state_name(states[i])) + "\"";
    return out + "}";
}

std::string goals_json(const goal_states& g) {
    std::string out = "{";
    for (std::size_t i = 0; i < g.size(); ++i)
        out += std::string(i ? ", " : "") + "\"" + std::string(goal_names[i]) + "\": \"" +
               std::string(goal_state_name(g[i])) + "\"";
    return out + "}";
}

// One cell: the model of `a`'s flags run with the layer on and off (or only one, --fairness);
// the JSON object's members (without braces) and, when both ran, the goals.
struct cell_outcome {
    std::string json;
    std::optional<goal_states> goals;
    // The bounds' verdicts on the goals they judge (chance_goal_indexes, floor_goal_indexes).
    std::array<goal_state, chance_goal_indexes.size()> chance_goals{};
    std::array<goal_state, floor_goal_indexes.size()> floor_goals{};
};

result<cell_outcome> run_cell(const parsed_args& a, std::vector<std::string>* helpers) {
    simulation_params p;
    if (auto m = read_model_flags(a, p); !m) return m.err();
    // The policy's knobs as given (the defaults otherwise), with the layer on and then off;
    // --fairness on or off runs only that one.
    fairness_knobs on{};
    if (auto k = read_knob_flags(a, on); !k) return k.err();
    on.off = false;
    if (!within_ranges(on))
        return make_error(errc::bad_argument,
                          "a fairness knob is out of its range (see uurwerk policy --help)");
    fairness_knobs off = on;
    off.off = true;
    const auto only = a.get("fairness");
    cell_outcome out{model_json(p), std::nullopt};
    std::optional<std::string> chance;
    std::vector<fairness_run> runs;
    for (const auto* knobs : {&on, &off}) {
        const char* label = knobs->off ? "off" : "on";
        if (only && *only != label) continue;
        auto run = run_simulation(p, *knobs, label);
        if (!run) return run.err();
        report(knobs->off ? "fairness off" : "fairness on", *run);
        out.json += std::string(", \"") + label + "\": " + figures_json(run->figures, run->stock);
        if (!chance) chance = chance_json(run->figures);
        if (helpers) helpers->push_back(std::move(run->helpers_tsv));
        runs.push_back(std::move(*run));
    }
    // The chance baseline: the first run's matches drawn at random in proportion to its fair
    // shares (matching/fair_share.h), overall and by category.
    if (chance) out.json += ", \"chance\": " + *chance;
    if (runs.size() == 2) {
        out.goals = judge_goals(runs[0], runs[1]);
        out.chance_goals = judge_chance(runs[0], runs[1]);
        out.floor_goals = judge_floors(runs[0], runs[1]);
        out.json += std::string(", \"off_backlogs\": ") + (backlogs(runs[1]) ? "true" : "false") +
                    ", \"goals\": " + goals_json(*out.goals) + ", \"chance_goals\": " +
                    bound_goals_json(chance_goal_indexes, out.chance_goals) +
                    ", \"floor_goals\": " + bound_goals_json(floor_goal_indexes, out.floor_goals);
    }
    return out;
}

// The grid's axes (issue 21, point 4) and their cut: see matching/FAIRNESS.md, "The grid".
struct grid_axis {
    const char* flag;
    std::vector<std::string> values;  // the cut's, unless the flag pins the axis
};
constexpr const char* grid_days = "60";

std::vector<grid_axis> grid_axes() {
    // The outermost first: a run of the first N cells covers the small towns first.
    return {
        {"members", {"1000", "2000", "5000"}},
        {"request-rate", {"15", "45"}},
        {"companionship-share", {"50", "90"}},
        {"give-up-days", {"14", "35"}},
        {"seed", {"1", "2", "3"}},
    };
}

// The options a cell's command may carry: the model's and the policy's (what `bench fairness`
// reads for one run), without the grid's own and those of one run's output.
std::vector<option_spec> cell_options() {
    auto out = fairness_model_options();
    for (auto& o : knob_options()) out.push_back(std::move(o));
    std::erase_if(out, [](const option_spec& o) {
        return o.name == "grid" || o.name == "grid-cells" || o.name == "fairness";
    });
    return out;
}

result<void> bench_fairness_grid(const parsed_args& a) {
    if (a.has("fairness") || a.has("helpers-out"))
        return make_error(errc::bad_argument,
                          "--grid runs every cell on and off, without --fairness or --helpers-out");
    auto axes = grid_axes();
    for (auto& ax : axes)
        if (a.has(ax.flag)) ax.values = {a.get(ax.flag).value_or("")};
    const std::string days = a.has("days") ? a.get("days").value_or("") : grid_days;
    // Every other flag given is passed on to each cell, as given.
    std::vector<std::string> passed;
    for (const auto& o : cell_options()) {
        if (!a.has(o.name) || o.name == "days") continue;
        if (std::any_of(axes.begin(), axes.end(),
                        [&](const grid_axis& ax) { return ax.flag == o.name; }))
            continue;
        passed.push_back("--" + o.name);
        if (!o.value_name.empty()) passed.push_back(a.get(o.name).value_or(""));
    }
    std::size_t cells = 1;
    for (const auto& ax : axes) cells *= ax.values.size();
    if (a.has("grid-cells")) {
        auto n = a.get_u64("grid-cells");
        if (!n) return n.err();
        if (*n == 0) return make_error(errc::bad_argument, "--grid-cells must be at least 1");
        cells = std::min<std::size_t>(cells, *n);
    }
    const command_spec spec{"bench fairness", "", cell_options()};
    std::array<std::size_t, goal_names.size()> held{}, failed{}, not_applicable{};
    std::array<std::vector<std::size_t>, goal_names.size()> failed_cells;
    // Of the cells where a goal failed: how many where chance fails it too, how many where the
    // bound fails it too (no layer meets it there), and which where neither does (where a layer
    // might do better).
    std::array<std::size_t, goal_names.size()> chance_fails_too{}, bound_fails_too{};
    std::array<std::vector<std::size_t>, goal_names.size()> unexplained_cells;
    for (std::size_t cell = 0; cell < cells; ++cell) {
        // The cell's values, the last axis turning fastest.
        std::vector<std::string> args;
        std::size_t rest = cell;
        std::vector<std::pair<const char*, std::string>> values;
        for (auto ax = axes.rbegin(); ax != axes.rend(); ++ax) {
            values.emplace_back(ax->flag, ax->values[rest % ax->values.size()]);
            rest /= ax->values.size();
        }
        std::reverse(values.begin(), values.end());
        for (const auto& [flag, v] : values) {
            args.push_back(std::string("--") + flag);
            args.push_back(v);
            if (std::string_view(flag) == "members") {
                args.push_back("--days");
                args.push_back(days);
            }
        }
        args.insert(args.end(), passed.begin(), passed.end());
        std::string command = "uurwerk bench fairness";
        for (const auto& x : args) command += " " + x;
        std::cerr << "bench fairness --grid: cell " << cell + 1 << " of " << cells << ": "
                  << command << "\n";
        // The cell runs from its own command line, so that the command re-runs it exactly.
        auto cell_args = parse(spec, args);
        if (!cell_args) return cell_args.err();
        auto outcome = run_cell(*cell_args, nullptr);
        if (!outcome) return outcome.err();
        UURWERK_ASSERT(outcome->goals.has_value(), cell);
        for (std::size_t g = 0; g < goal_names.size(); ++g) {
            switch ((*outcome->goals)[g]) {
                case goal_state::held:
                    ++held[g];
                    break;
                case goal_state::failed: {
                    ++failed[g];
                    failed_cells[g].push_back(cell + 1);
                    const auto chance = verdict_on(chance_goal_indexes, outcome->chance_goals, g);
                    const auto bound = verdict_on(floor_goal_indexes, outcome->floor_goals, g);
                    if (chance == goal_state::failed) ++chance_fails_too[g];
                    if (bound == goal_state::failed) ++bound_fails_too[g];
                    if (chance != goal_state::failed && bound != goal_state::failed)
                        unexplained_cells[g].push_back(cell + 1);
                    break;
                }
                case goal_state::not_applicable:
                    ++not_applicable[g];
                    break;
            }
        }
        std::cout << "{\"cell\": " << cell + 1 << ", \"command\": " << json_quote(command) << ", "
                  << outcome->json << "}" << std::endl;
    }
    // The summary: per goal, the cells where it held, failed (which), or did not apply.
    std::string summary = "{\"summary\": {\"cells\": " + std::to_string(cells) + ", \"goals\": {";
    std::cerr << "bench fairness --grid: " << cells << " cells\n";
    auto listed = [](const std::vector<std::size_t>& cells_of) {
        std::string out;
        for (std::size_t c : cells_of) out += (out.empty() ? "" : ", ") + std::to_string(c);
        return out;
    };
    for (std::size_t g = 0; g < goal_names.size(); ++g) {
        const std::string which = listed(failed_cells[g]);
        const bool by_chance = judges(chance_goal_indexes, g);
        const bool by_bound = judges(floor_goal_indexes, g);
        summary += std::string(g ? ", " : "") + "\"" + std::string(goal_names[g]) +
                   "\": {\"held\": " + std::to_string(held[g]) +
                   ", \"failed\": " + std::to_string(failed[g]) +
                   ", \"not_applicable\": " + std::to_string(not_applicable[g]) +
                   ", \"failed_cells\": [" + which + "]";
        if (by_chance)
            summary +=
                ", \"failed_where_chance_fails_too\": " + std::to_string(chance_fails_too[g]);
        if (by_bound)
            summary +=
                ", \"failed_where_the_bound_fails_too\": " + std::to_string(bound_fails_too[g]);
        if (by_chance || by_bound)
            summary += ", \"failed_where_neither_does\": [" + listed(unexplained_cells[g]) + "]";
        summary += "}";
        std::cerr << "  " << goal_names[g] << ": held in " << held[g] << ", failed in " << failed[g]
                  << (which.empty() ? "" : " (cells " + which + ")") << ", not applicable in "
                  << not_applicable[g];
        if (by_chance || by_bound)
            std::cerr << "; failed where no bound explains it: "
                      << (unexplained_cells[g].empty() ? "none" : listed(unexplained_cells[g]));
        std::cerr << "\n";
    }
    std::cout << summary << "}}}\n";
    return ok_value;
}

}  // namespace

std::vector<option_spec> fairness_model_options() {
    return {
        {"seed", "N", "fairness: the simulation's seed; match: the community's (default 1)"},
        {"members", "N",
         "fairness: members of the simulated community (default 5000); reads, streams: of the "
         "community "
         "(default 200)"},
        {"days", "N", "fairness: simulated days (default 180)"},
        {"request-rate", "N", "fairness: requests posted a day per 1,000 helpers (default 30)"},
        {"give-up-days", "N",
         "fairness: a helper who hears nothing for N days withdraws their offer (default 21)"},
        {"retention", "match|proposal",
         "fairness: what counts as hearing from the community for --give-up-days: only a match "
         "(default), or any proposal too"},
        {"decline-share", "PERCENT",
         "fairness: of the requesters' answers, those that decline every proposal (default 10)"},
        {"popularity-exponent", "X",
         "fairness: the Zipf exponent of helpers' popularity with requesters (default 1)"},
        {"areas", "N",
         "fairness: areas of the town; offers fit requests of their area (default 6)"},
        {"offer-mix", "CAT=W,...",
         "fairness: what helpers offer, weights by category (default companionship=30,"
         "shopping=20,dog_walking=8,childminding=7,odd_jobs=10,lifts=7,computer_help=6,meals=6,"
         "gardening=6)"},
        {"request-mix", "CAT=W,...",
         "fairness: what is asked for, weights by category (default companionship=80,"
         "shopping=6,dog_walking=2,childminding=2,odd_jobs=3,lifts=2,computer_help=2,meals=2,"
         "gardening=1)"},
        {"companionship-share", "PERCENT",
         "fairness: companionship's share of the requests, the other categories scaled to share "
         "the rest (default 80)"},
        {"grid", "",
         "fairness: run the grid of towns (members 1000,2000,5000 x request rate 15,45 x "
         "companionship 50,90 % x give-up 14,35 days x seeds 1,2,3; 60 days each): a JSON line "
         "per cell with the command that re-runs it, then a summary of the goals; a model flag "
         "given pins its axis, the others pass to every cell"},
        {"grid-cells", "N", "fairness --grid: run only the first N cells"},
    };
}

result<void> bench_fairness(const parsed_args& a) {
    if (a.has("grid")) return bench_fairness_grid(a);
    std::vector<std::string> helpers;  // each run's lines for --helpers-out
    // Opened before the runs, so that a path that cannot be written fails at once.
    const auto helpers_path = a.get("helpers-out");
    std::optional<std::ofstream> helpers_out;
    if (helpers_path) {
        helpers_out.emplace(*helpers_path);
        if (!*helpers_out) return make_error(errc::io_error, "cannot write " + *helpers_path);
    }
    auto cell = run_cell(a, &helpers);
    if (!cell) return cell.err();
    std::cout << "{" << cell->json << "}\n";
    if (helpers_out) {
        *helpers_out << helpers_tsv_header;
        for (const auto& tsv : helpers) *helpers_out << tsv;
        helpers_out->close();
        if (!*helpers_out) return make_error(errc::io_error, "could not write " + *helpers_path);
        std::cerr << "wrote a line per helper to " << *helpers_path << "\n";
    }
    return ok_value;
}

}  // namespace uurwerk::cli
