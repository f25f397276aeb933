#pragma once
// The community simulator of the fairness benchmark (`uurwerk bench fairness`): the members of a
// time bank and what they do, as a pure model seeded by a number. It decides who offers and who
// asks for which help, when; how a requester chooses among the proposals they receive; how long a
// relationship lasts and how many hours it gives; and when a helper who never hears back gives up.
// It does not match: the driver turns its actions into signed events for a real node, runs the
// real matcher, and tells the model what was proposed (on_proposed). The model's assumptions are
// written down in matching/FAIRNESS.md.
//
// Deterministic: the same parameters and the same proposals give the same actions, on every
// machine (its own random generator and distributions, no std:: distributions, no clock).
//
// Common random numbers: each part of the model draws from its own stream, seeded from the seed
// and the stream's name: the town (members, their offers, areas, popularity, sign-up), the
// arrivals (who asks for what, when), the answers (how soon, whether every proposal is
// declined), the choices (which proposal a requester accepts) and the relationships (how long,
// how many hours). Requests get their ids from their own counter too. So the fairness layer on,
// off, or any other matcher, and any change to the answer model, see the same town and the same
// stream of requests: only what follows from the matcher's proposals differs.
//
// Threading: none; one thread drives a simulator.

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "ledger/core/event.h"

namespace uurwerk {

// A small, fast, portable generator (SplitMix64) with the few distributions the model needs.
class sim_random {
public:
    explicit sim_random(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next();
    double uniform();  // [0, 1)
    double exponential(double mean);
    std::size_t below(std::size_t n);  // uniform in [0, n)
    // An index drawn from weights (not all zero) through their cumulative sums.
    std::size_t pick(const std::vector<double>& cumulative);

private:
    std::uint64_t state_;
};

// Weights by category (indexed by the category's value; they need not sum to 1, and at least one
// must be positive).
using category_mix = std::array<double, category_count>;

// What the field says of the mix (NLvoorelkaar, spring 2020: about 80 % of the requests ask for
// a buddy or company; the offers are spread far wider). Companionship, shopping, dog walking,
// childminding, odd jobs, lifts, computer help, meals, gardening, other.
inline constexpr category_mix default_offer_mix{0.30, 0.20, 0.08, 0.07, 0.10,
                                                0.07, 0.06, 0.06, 0.06, 0.00};
inline constexpr category_mix default_request_mix{0.80, 0.06, 0.02, 0.02, 0.03,
                                                  0.02, 0.02, 0.02, 0.01, 0.00};

// `mix` with `c`'s share set to `share` (0..1) and the others scaled to share the rest in their
// proportions.
[[nodiscard]] category_mix with_share(const category_mix& mix, category c, double share);

// What keeps a helper from giving up: what counts as hearing from the community.
enum class retention_contact : std::uint8_t {
    accepted_match,  // only a match that begins (or ends); a proposal alone keeps no one
    proposal,        // any proposal, even one declined (the model before issue 21)
};

struct simulation_params {
    std::uint64_t seed = 1;
    std::size_t members = 5000;  // member 1 is the coordinator who founds the community
    int days = 180;
    double helper_share = 0.85;  // of the members, those who offer help; the rest ask for it
    // Requests posted a day, as a fraction of the helpers (30 a day per 1,000). Calibrated by
    // measurement (bench fairness reports the open stock): near this rate the weekly buddies of
    // companionship fill the helpers' slots, and the open stock of offers to requests falls
    // steeply from about 50 : 1 to a backlog: matching/FAIRNESS.md says why, and
    // api/bench/benchmarks.md gives the figures.
    double requests_per_helper_day = 30.0 / 1000.0;
    std::size_t areas = 6;
    double zipf_exponent = 1.0;    // helpers' popularity with requesters (Zipf over a ranking)
    int gives_up_after_days = 21;  // an offer that hears nothing for this long is withdrawn
    retention_contact contact = retention_contact::accepted_match;  // what "hearing" is
    category_mix offer_mix = default_offer_mix;                     // what helpers offer
    category_mix request_mix = default_request_mix;                 // what is asked for
    double signup_wave_share = 0.5;  // of the helpers, those who sign up on day 0 (a crisis wave)
    int signup_days = 120;           // the others sign up uniformly over these first days
    double verified_share = 0.3;     // members admitted as verified (reputation's seeds)
    // A requester chooses among proposals in proportion to popularity x (1 + record)^this,
    // where record is the helper's completed matches: people prefer a good record.
    double record_preference = 1.0;
    double decline_all_share = 0.1;      // a requester who declines every proposal of a round
    int answer_hours_max = 12;           // a requester answers proposals within 1..this hours
    double relationship_weeks_mean = 6;  // a regular match (companionship) lasts this long
    std::int64_t start_ms = 1'767'571'200'000;  // 2026-01-05 00:00 UTC
};

struct sim_member {
    member_id id;
    bool helper = false;
    bool verified = false;
    std::string area;
    category offers = category::other;  // helpers: the help they offer
    intensity offer_intensity = intensity::once;
    double popularity = 1;  // Zipf weight, largest 1
    time_ms signs_up_at;    // helpers: when their offer is posted
};

enum class sim_action_kind : std::uint8_t {
    post_offer,
    post_request,
    withdraw_offer,    // the helper gives up: nothing heard for too long
    accept,            // the requester accepts a proposal (the match begins)
    decline,           // the requester declines a proposal
    claim,             // the helper claims the hours of a finished match
    confirm,           // the requester confirms them
    end_match,         // the requester ends the match
    withdraw_request,  // the requester closes a request that was met (a match began)
};

enum class sim_outcome : std::uint8_t { accepted, rejected };

// One thing a member does. The driver signs it as `actor` with event id `id`.
struct sim_action {
    sim_action_kind kind = sim_action_kind::post_offer;
    time_ms at;
    member_id actor;
    event_id id;       // the id of the event to write
    event_id subject;  // withdraw: the post; accept/decline/end: the match; confirm: the claim
    member_id other;   // claim: the receiver
    category what = category::other;
    intensity how_often = intensity::once;
    std::string area;
    minutes amount{0};  // claim
};

class simulator {
public:
    explicit simulator(const simulation_params& p);

    const simulation_params& params() const { return params_; }
    const std::vector<sim_member>& members() const { return members_; }
    time_ms start() const { return time_ms{params_.start_ms}; }
    time_ms end() const;
    // When the model settles: every relationship still running ends from here (it claims what
    // was given by then), and none begins that would end after it. Not a town's life: in a
    // backlogged town it frees hundreds of helpers in one hour (bench fairness leaves these hours
    // out of the wait bound's measure).
    time_ms settles_at() const { return time_ms{end().value - settlement_hours * 3'600'000}; }
    static constexpr std::int64_t settlement_hours = 3;

    // The actions due up to `to`, in time order (ties in the order they were planned).
    [[nodiscard]] std::vector<sim_action> advance(time_ms to);

    // The matcher proposed `helper`'s `offer` for `request` (match id `match`) at `at`.
    void on_proposed(const event_id& match, const event_id& request, const event_id& offer,
                     member_id helper, time_ms at);
    // What the ledger decided for an action the driver submitted. Every action is reported: an
    // accepted accept begins the relationship (its hours and end are planned then); a rejected
    // one (its helper is at the cap, say) is taken back and the request waits on.
    void on_verdict(const sim_action& a, sim_outcome outcome);

private:
    struct open_request {
        member_id requester;
        category what;
        intensity how_often;
        std::vector<std::pair<event_id, member_id>> proposals;  // undecided, in arrival order
        bool answer_planned = false;
        bool closed = false;  // met (accepted); proposals that still come are declined
    };
    struct helper_state {
        std::optional<event_id> offer;  // open
        time_ms last_heard;             // posting or the last proposal
        std::uint32_t open_matches = 0;
        std::uint32_t completed = 0;
        bool gave_up = false;
    };
    struct match_info {
        event_id request;
        member_id requester, helper;
        intensity how_often;
    };
    struct planned {
        time_ms at;
        std::uint64_t order;  // ties: planning order
        sim_action action;
        bool operator>(const planned& o) const {
            return at != o.at ? at.value > o.at.value : order > o.order;
        }
    };
    // An internal decision due at `at` (a requester's answer, a give-up check).
    struct wakeup {
        time_ms at;
        std::uint64_t order;
        enum class what : std::uint8_t { answer, give_up_check, next_request } kind;
        event_id request;
        member_id helper;
        bool operator>(const wakeup& o) const {
            return at != o.at ? at.value > o.at.value : order > o.order;
        }
    };

    // The streams of the model's randomness (common random numbers).
    struct streams {
        sim_random town, arrivals, answers, choices, relationships;
    };
    // The ids' counters: offers, requests, and everything else.
    enum class id_kind : std::uint8_t { offer = 1, request = 2, other = 3 };

    event_id next_id(id_kind kind);
    // A new action with a new id.
    sim_action action(sim_action_kind kind, time_ms at, member_id actor,
                      const event_id& subject = {}, id_kind ids = id_kind::other);
    void plan(sim_action a);
    void wake(time_ms at, wakeup::what kind, const event_id& request = {}, member_id helper = {});
    void answer(const event_id& request, time_ms now);
    void check_give_up(member_id helper, time_ms now);
    void post_request(time_ms now);
    void finish_match(const event_id& match, time_ms began);

    simulation_params params_;
    streams rng_;
    std::array<std::uint64_t, 4> ids_{};
    std::uint64_t order_ = 0;
    std::vector<sim_member> members_;
    std::vector<member_id> requesters_;
    std::vector<double> request_category_cdf_;
    std::map<member_id, helper_state> helpers_;
    std::map<event_id, open_request> requests_;
    std::map<event_id, match_info> matches_;  // proposed, by match id
    std::priority_queue<planned, std::vector<planned>, std::greater<>> actions_;
    std::priority_queue<wakeup, std::vector<wakeup>, std::greater<>> wakeups_;
};

}  // namespace uurwerk
