#include "api/http/routes.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "api/http/audit_routes.h"
#include "api/http/match_routes.h"
#include "api/http/route_support.h"
#include "api/json/json.h"
#include "api/json/json_read.h"
#include "ledger/core/exposure.h"
#include "ledger/core/rules.h"
#include "projections/reputation.h"
#include "projections/state_codec.h"

namespace uurwerk {
namespace {

// ---------------------------------------------------------------------------------------------
// Names of the values the API shows.

std::string_view role_name(role r) {
    return r == role::coordinator ? "coordinator" : "member";
}

std::string_view intensity_name(intensity i) {
    switch (i) {
        case intensity::once:
            return "once";
        case intensity::sometimes:
            return "sometimes";
        case intensity::regularly:
            return "regularly";
    }
    return "once";
}

std::string_view claim_status_name(claim_status s) {
    switch (s) {
        case claim_status::pending:
            return "pending";
        case claim_status::disputed:
            return "disputed";
        case claim_status::confirmed:
            return "confirmed";
        case claim_status::reversed:
            return "reversed";
    }
    return "pending";
}

std::string_view verdict_name(const verdict& v) {
    return v.accepted() ? "accepted" : "rejected";
}

// ---------------------------------------------------------------------------------------------
// Reads from the ledger state.

http_response community_info(node& n, community_id c) {
    return n.folder(c).read_state([&](const ledger_state& s) {
        auto it = s.communities.find(c);
        if (it == s.communities.end()) return unknown_community(c);
        const auto& cs = it->second;
        json_writer w;
        w.begin_object();
        w.key("partition").decimal(n.partition_of(c).value);
        w.key("community").decimal(c.value);
        w.key("name").string(cs.name);
        w.key("policy").begin_object();
        w.key("credit_limit_minutes").number(cs.rules.credit_limit.value);
        w.key("balance_max_minutes").number(cs.rules.balance_max.value);
        w.key("claim_minutes_max").number(cs.rules.claim_max.value);
        // The fairness knobs as in effect (unset ones at their defaults).
        const auto f = resolved(cs.rules.fairness);
        w.key("fairness").string(f.off ? "off" : "on");
        w.key("proposals_per_request").number(f.proposals_per_request);
        w.key("open_matches_max").number(f.open_matches_max);
        w.key("newcomer_floor_hours").number(f.newcomer_floor_hours);
        w.key("quality_floor_permille").number(f.quality_floor_permille);
        w.key("reputation_weight_max_permille").number(f.reputation_weight_max_permille);
        w.key("low_reputation_proposals_min").number(f.low_reputation_proposals_min);
        w.key("reputation_half_life_days").number(f.reputation_half_life_days);
        w.key("request_wait_hours_max").number(f.request_wait_hours_max);
        w.key("silence_floor_hours").number(f.silence_floor_hours);
        w.key("silent_proposals_max").number(f.silent_proposals_max);
        w.end_object();
        w.key("members").number(static_cast<std::int64_t>(cs.members.size()));
        w.key("fund_minutes").number(cs.fund.value);
        w.end_object();
        return json_answer(200, w.take());
    });
}

http_response community_members(node& n, community_id c) {
    return n.folder(c).read_state([&](const ledger_state& s) {
        auto it = s.communities.find(c);
        if (it == s.communities.end()) return unknown_community(c);
        json_writer w;
        w.begin_object().key("members").begin_array();
        for (const auto& [id, m] : it->second.members) {
            w.begin_object();
            w.key("member").decimal(id.value);
            w.key("role").string(role_name(m.member_role));
            w.key("verified").boolean(m.verified);
            w.key("suspended").boolean(m.suspended);
            w.end_object();
        }
        w.end_array().end_object();
        return json_answer(200, w.take());
    });
}

http_response member_balance(node& n, community_id c, member_id m) {
    return n.folder(c).read_state([&](const ledger_state& s) {
        auto it = s.communities.find(c);
        if (it == s.communities.end()) return unknown_community(c);
        auto mt = it->second.members.find(m);
        if (mt == it->second.members.end())
            return error_answer(errc::unknown_member, "member " + std::to_string(m.value) +
                                                          " is not in " + community_text(c));
        const auto& ms = mt->second;
        const auto& rules = it->second.rules;
        json_writer w;
        w.begin_object();
        w.key("member").decimal(m.value);
        w.key("balance_minutes").number(ms.balance.value);
        w.key("pending_in_minutes").number(ms.pending_in.value);
        w.key("pending_out_minutes").number(ms.pending_out.value);
        w.key("credit_limit_minutes").number(rules.credit_limit.value);
        w.key("balance_max_minutes").number(rules.balance_max.value);
        w.key("confirmed_given_minutes").number(ms.confirmed_given.value);
        w.end_object();
        return json_answer(200, w.take());
    });
}

// Whether the community and member exist: nothing when they do, else the 404.
std::optional<http_response> check_member(node& n, community_id c, member_id m) {
    return n.folder(c).read_state([&](const ledger_state& s) -> std::optional<http_response> {
        auto it = s.communities.find(c);
        if (it == s.communities.end()) return unknown_community(c);
        if (!it->second.members.contains(m))
            return error_answer(errc::unknown_member, "member " + std::to_string(m.value) +
                                                          " is not in " + community_text(c));
        return std::nullopt;
    });
}

http_response member_history(node& n, community_id c, member_id m, const target_parts& t) {
    offset from{0};
    if (auto it = t.query.find("from"); it != t.query.end()) {
        auto v = parse_decimal(it->second);
        if (!v)
            return bad_request("from must be a log offset (a decimal number without sign); got '" +
                               it->second + "'");
        from = offset{*v};
    }
    auto limit = limit_param(t, page_default);
    if (!limit) return error_answer(limit.err());
    if (auto missing = check_member(n, c, m)) return *missing;
    auto entries = read_history(n.projections(c), c, m, from, *limit);
    if (!entries) return error_answer(entries.err());
    json_writer w;
    w.begin_object().key("partition").decimal(n.partition_of(c).value);
    w.key("entries").begin_array();
    for (const auto& h : *entries) {
        w.begin_object();
        w.key("offset").decimal(h.at.value);
        w.key("id").string(h.id.hex());
        w.key("kind").string(kind_name(h.kind));
        w.key("verdict").string(h.reason == reject_reason::none ? "accepted" : "rejected");
        w.key("reason").string(reason_name(h.reason));
        w.key("balance_delta_minutes").number(h.balance_delta.value);
        w.key("pending_delta_minutes").number(h.pending_delta.value);
        w.key("counterparty").decimal(h.counterparty.value);
        w.end_object();
    }
    w.end_array();
    w.key("next").decimal(entries->empty() ? from.value : entries->back().at.value + 1);
    w.end_object();
    return json_answer(200, w.take());
}

http_response key_info(node& n, community_id c, const public_key& k) {
    return n.folder(c).read_state([&](const ledger_state& s) {
        auto it = s.communities.find(c);
        if (it == s.communities.end()) return unknown_community(c);
        auto kt = it->second.keys.find(k);
        if (kt == it->second.keys.end())
            return error_answer(errc::not_found, "the key " + k.hex() + " is not registered in " +
                                                     community_text(c));
        json_writer w;
        w.begin_object();
        w.key("member").decimal(kt->second.owner.value);
        w.key("last_seq").decimal(kt->second.last_seq.value);
        w.key("revoked").boolean(kt->second.revoked);
        w.key("node").boolean(kt->second.node);
        w.end_object();
        return json_answer(200, w.take());
    });
}

http_response open_posts(node& n, community_id c, bool offers, const target_parts& t) {
    std::optional<category> what;
    if (auto it = t.query.find("category"); it != t.query.end()) {
        what = category_from_name(it->second);
        if (!what) {
            std::string names;
            for (std::size_t i = 0; i < category_count; ++i)
                names += (i ? ", " : "") + std::string(category_name(static_cast<category>(i)));
            return bad_request("there is no category '" + it->second + "'; one of: " + names);
        }
    }
    std::optional<std::string> area;
    if (auto it = t.query.find("area"); it != t.query.end()) {
        if (!text_within(it->second, area_chars_max))
            return bad_request("area must be at most " + std::to_string(area_chars_max) +
                               " characters of UTF-8");
        area = it->second;
    }
    auto limit = limit_param(t, page_default);
    if (!limit) return error_answer(limit.err());
    const bool exists =
        n.folder(c).read_state([&](const ledger_state& s) { return s.communities.contains(c); });
    if (!exists) return unknown_community(c);

    // The store keeps open posts by category, then offset: one category is one scan; all of
    // them are the oldest of each category, merged.
    std::vector<open_post> posts;
    for (std::size_t i = 0; i < category_count; ++i) {
        if (what && static_cast<std::size_t>(*what) != i) continue;
        auto some =
            read_open_posts(n.projections(c), c, offers, static_cast<category>(i), *limit, area);
        if (!some) return error_answer(some.err());
        std::move(some->begin(), some->end(), std::back_inserter(posts));
    }
    std::sort(posts.begin(), posts.end(),
              [](const open_post& a, const open_post& b) { return a.posted_at < b.posted_at; });
    if (posts.size() > *limit) posts.resize(*limit);

    json_writer w;
    w.begin_object().key("posts").begin_array();
    for (const auto& p : posts) {
        w.begin_object();
        w.key("id").string(p.id.hex());
        w.key("owner").decimal(p.owner.value);
        w.key("category").string(category_name(p.what));
        w.key("intensity").string(intensity_name(p.how_often));
        w.key("area").string(p.area);
        w.key("availability").number(p.availability);
        w.key("text").string(p.text);
        w.key("offset").decimal(p.posted_at.value);
        w.end_object();
    }
    w.end_array().end_object();
    return json_answer(200, w.take());
}

http_response claim_info(node& n, community_id c, const event_id& id) {
    return n.folder(c).read_state([&](const ledger_state& s) {
        auto it = s.communities.find(c);
        if (it == s.communities.end()) return unknown_community(c);
        auto ct = it->second.claims.find(id);
        if (ct == it->second.claims.end())
            return error_answer(errc::not_found,
                                "no claim " + id.hex() + " in " + community_text(c));
        json_writer w;
        w.begin_object();
        w.key("id").string(id.hex());
        w.key("claimant").decimal(ct->second.claimant.value);
        w.key("receiver").decimal(ct->second.receiver.value);
        w.key("minutes").number(ct->second.amount.value);
        w.key("status").string(claim_status_name(ct->second.status));
        w.end_object();
        return json_answer(200, w.take());
    });
}

http_response event_info(node& n, const scoped_id& scoped) {
    node::found_event found;
    if (auto answer = locate_event(n, scoped, found)) return *answer;
    const event_id& id = scoped.id;
    const seen_event* seen = &found.first;
    const std::string where = "offset " + std::to_string(seen->at.value) + " of partition " +
                              std::to_string(found.partition.value);
    auto record = n.record_at(found.partition, seen->at);
    if (!record) {
        if (record.err().code == errc::not_found)
            return error_answer(errc::io_error, "the event " + id.hex() + " should be at " + where +
                                                    " but the log has no record there");
        return error_answer(record.err());
    }
    auto env = decode_envelope(record->payload);
    auto decoded = env ? decode_body(env->body) : result<event_body>(env.err());
    if (!decoded)
        return error_answer(errc::io_error, "the record at " + where +
                                                " does not decode: " + decoded.err().message);
    UURWERK_ASSERT(decoded->community == scoped.community, decoded->community.value,
                   scoped.community.value);
    auto body = body_to_json(env->body);
    if (!body)
        return error_answer(errc::io_error,
                            "the event at " + where + " does not decode: " + body.err().message);
    json_writer w;
    w.begin_object();
    w.key("id").string(id.hex());
    w.key("partition").decimal(found.partition.value);
    w.key("offset").decimal(seen->at.value);
    w.key("verdict").string(verdict_name(seen->first));
    w.key("reason").string(reason_name(seen->first.reason));
    w.key("appended_at_ms").decimal_signed(record->appended_at.value);
    w.key("signer").string(env->signer.hex());
    w.key("signature").string(to_hex(env->sig.b));
    w.key("body_base64").string(to_base64(env->body));
    w.key("body").raw(*body);
    w.end_object();
    return json_answer(200, w.take());
}

// ---------------------------------------------------------------------------------------------
// Match queues, live (ledger/core/match_queues.h): a request's candidates are the open offers of
// its category, ranked by how well they fit (ledger/core/exposure.h: fit), best first, then oldest
// first. Ranked under the state lock (ledger/core/exposure.h: best_fitting_offers visits the
// category's buckets best fit first and stops where nothing left can enter the page), and the page
// is written as JSON there too: copying its posts out (texts of up to 600 bytes) cost more than
// writing them, and the lock is shared with other readers (only the fold waits for it).

// The page's posts, looked up in `c`, as a JSON array, in the page's order.
std::string page_json(const community_state& c, const std::vector<ranked_post_ref>& page) {
    json_writer w;
    w.begin_array();
    for (const auto& ref : page) {
        const auto& p = c.posts.at(ref.id);
        char rel[32];
        std::snprintf(rel, sizeof rel, "%.3f", ref.relevance);
        w.begin_object();
        w.key("id").string(ref.id.hex());
        w.key("owner").decimal(p.owner.value);
        w.key("relevance").raw(rel);
        w.key("intensity").string(intensity_name(p.how_often));
        w.key("area").string(p.area);
        w.key("availability").number(p.availability);
        w.key("text").string(p.text);
        w.key("offset").decimal(p.posted_at.value);
        w.end_object();
    }
    w.end_array();
    return w.take();
}

struct ranked_page {
    std::size_t count = 0;  // candidates: all that fit; requests for me: the member's offers
    std::string json;       // the page (page_json)
};

http_response candidates_for(node& n, community_id c, const event_id& request_id,
                             const target_parts& t) {
    auto limit = limit_param(t, page_default);
    if (!limit) return error_answer(limit.err());
    auto found = n.folder(c).read_state([&](const ledger_state& s) -> result<ranked_page> {
        auto it = s.communities.find(c);
        if (it == s.communities.end())
            return make_error(errc::unknown_community, community_text(c) + " does not exist");
        const auto& cs = it->second;
        auto p = cs.posts.find(request_id);
        if (p == cs.posts.end() || p->second.is_offer)
            return make_error(errc::not_found,
                              "no request " + request_id.hex() + " in " + community_text(c));
        if (p->second.status != post_status::open)
            return make_error(errc::post_not_open, "the request is no longer open");
        auto best = best_fitting_offers(cs, p->second.what,
                                        queued_request(cs, request_id, p->second), *limit);
        return ranked_page{best.fitting, page_json(cs, best.best)};
    });
    if (!found) return error_answer(found.err());
    json_writer w;
    w.begin_object();
    w.key("request").string(request_id.hex());
    w.key("fitting_offers").number(static_cast<std::int64_t>(found->count));
    w.key("candidates").raw(found->json);
    w.end_object();
    return json_answer(200, w.take());
}

http_response requests_for(node& n, community_id c, member_id m, const target_parts& t) {
    auto limit = limit_param(t, page_default);
    if (!limit) return error_answer(limit.err());
    if (auto bad = check_member(n, c, m)) return *bad;
    // The member's open offers, then the open requests of their categories, each at the best
    // fit of any of those offers.
    auto found = n.folder(c).read_state([&](const ledger_state& s) -> std::optional<ranked_page> {
        auto it = s.communities.find(c);
        if (it == s.communities.end()) return std::nullopt;
        const auto& cs = it->second;
        const auto own = cs.queues.offers_of(m);
        best_posts best(*limit);
        for (std::size_t i = 0; i < category_count; ++i) {
            const auto what = static_cast<category>(i);
            std::vector<queued_post> mine;
            for (const auto& o : own)
                if (o.what == what) mine.push_back(o.post);
            if (mine.empty()) continue;
            cs.queues.open(post_side::request, what)
                .for_each([&](const post_bucket& b, std::size_t k) {
                    const auto q = b.at(k);
                    if (q.owner == m || cs.queues.suspended(q.owner)) return;
                    double fit = 0;
                    for (const auto& o : mine) fit = std::max(fit, fit_queued(q, o));
                    if (fit > 0) best.show({fit, q.posted_at, q.id});
                });
        }
        return ranked_page{own.size(), page_json(cs, best.take())};
    });
    if (!found) return unknown_community(c);
    json_writer w;
    w.begin_object();
    w.key("member").decimal(m.value);
    w.key("open_offers").number(static_cast<std::int64_t>(found->count));
    w.key("requests").raw(found->json);
    w.end_object();
    return json_answer(200, w.take());
}

// A member's reputation and its main contributions, computed now from the community's confirmed
// hours, disputes and endorsements (projections/reputation.h). The inputs are copied under the
// state lock; the computation runs outside it.
http_response member_reputation(node& n, community_id c, member_id m) {
    reputation_input in;
    auto known = n.folder(c).read_state([&](const ledger_state& s) -> std::optional<http_response> {
        auto it = s.communities.find(c);
        if (it == s.communities.end()) return unknown_community(c);
        if (!it->second.members.contains(m))
            return error_answer(errc::unknown_member, "no member " + std::to_string(m.value) +
                                                          " in " + community_text(c));
        in = reputation_input_of(it->second, wall_clock()());
        return std::nullopt;
    });
    if (known) return *known;
    const auto out = compute_reputation(in, reputation_params{});
    json_writer w;
    w.begin_object();
    w.key("member").decimal(m.value);
    char score[32];
    std::snprintf(score, sizeof score, "%.4f", out.score.at(m));
    w.key("score").raw(score);
    w.key("seed").boolean(in.seeds.contains(m));
    w.key("why").begin_array();
    for (const auto& contribution :
         out.why.count(m) ? out.why.at(m) : std::vector<trust_contribution>{}) {
        char share[32];
        std::snprintf(share, sizeof share, "%.4f", contribution.share);
        w.begin_object();
        if (contribution.from.value == 0)
            w.key("from").string(
                "seed");  // the share every verified member or coordinator starts with
        else
            w.key("from").decimal(contribution.from.value);
        w.key("share").raw(share);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return json_answer(200, w.take());
}

constexpr std::string_view home_page = R"(<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>uurwerk</title></head>
<body>
<h1>uurwerk</h1>
<p>An event-sourced time-credit ledger for time banks: one hour is one hour.</p>
<p>This node speaks HTTP+JSON; see <a href="/v1/health">/v1/health</a> and
<a href="/metrics">/metrics</a>.</p>
</body>
</html>
)";

}  // namespace

// ---------------------------------------------------------------------------------------------

routes::routes(node& n, checkpointer* cp, match_driver* matcher)
    : node_(n), checkpointer_(cp), matcher_(matcher) {}

http_handler routes::handler() {
    return [this](const http_request& r) { return handle(r); };
}

http_response routes::health() {
    const auto all = node_.progress();
    json_writer w;
    w.begin_object();
    w.key("status").string(all.failure ? "failed" : "ok");
    w.key("log_end").decimal(all.log_end_total);
    w.key("applied").decimal(all.applied_total);
    if (all.partitions.size() > 1) {
        w.key("partitions").begin_array();
        for (const auto& p : all.partitions) {
            w.begin_object();
            w.key("log_end").decimal(p.log_end.value);
            w.key("applied").decimal(p.applied.value);
            w.end_object();
        }
        w.end_array();
    }
    if (all.failure) {
        w.key("error").begin_object();
        w.key("code").string(name(errc::projector_failed));
        w.key("message").string("the projector stopped: " + std::string(name(all.failure->code)) +
                                ": " + all.failure->message);
        w.end_object();
    }
    w.end_object();
    return json_answer(all.failure ? 503 : 200, w.take());
}

http_response routes::metrics() {
    const auto all = node_.progress();
    std::ostringstream m;
    m << "# HELP uurwerk_log_end_offset One past the last record in the event log (summed over "
         "its partitions).\n"
      << "# TYPE uurwerk_log_end_offset gauge\n"
      << "uurwerk_log_end_offset " << all.log_end_total << "\n"
      << "# HELP uurwerk_applied_offset One past the last log record the projector applied "
         "(summed over the partitions).\n"
      << "# TYPE uurwerk_applied_offset gauge\n"
      << "uurwerk_applied_offset " << all.applied_total << "\n"
      << "# HELP uurwerk_projector_up 1 while every partition's projector runs, 0 once one has "
         "failed.\n"
      << "# TYPE uurwerk_projector_up gauge\n"
      << "uurwerk_projector_up " << (all.failure ? 0 : 1) << "\n"
      << "# HELP uurwerk_communities Communities in the ledger.\n"
      << "# TYPE uurwerk_communities gauge\n"
      << "uurwerk_communities " << all.communities << "\n"
      << "# HELP uurwerk_partitions Partitions of the log this node serves.\n"
      << "# TYPE uurwerk_partitions gauge\n"
      << "uurwerk_partitions " << all.partitions.size() << "\n"
      << "# HELP uurwerk_http_requests_total HTTP requests answered, by status class.\n"
      << "# TYPE uurwerk_http_requests_total counter\n";
    for (unsigned cls = 1; cls <= 5; ++cls)
        m << "uurwerk_http_requests_total{code=\"" << cls << "xx\"} " << stats_.answered(cls)
          << "\n";
    m << "# HELP uurwerk_http_connections_refused_total Connections answered 503 because the "
         "server had its maximum open.\n"
      << "# TYPE uurwerk_http_connections_refused_total counter\n"
      << "uurwerk_http_connections_refused_total " << stats_.refused_connections() << "\n"
      << "# HELP uurwerk_events_total Events submitted through this server since it started, "
         "by verdict (duplicates not counted).\n"
      << "# TYPE uurwerk_events_total counter\n"
      << "uurwerk_events_total{verdict=\"accepted\"} " << accepted_.load() << "\n"
      << "uurwerk_events_total{verdict=\"rejected\"} " << rejected_.load() << "\n"
      << "# HELP uurwerk_events_duplicate_total Events submitted again (answered with their "
         "first verdict).\n"
      << "# TYPE uurwerk_events_duplicate_total counter\n"
      << "uurwerk_events_duplicate_total " << duplicates_.load() << "\n";
    return {200, "text/plain; version=0.0.4; charset=utf-8", m.str(), {}};
}

http_response routes::canonical(const http_request& request) {
    if (request.body.empty())
        return error_answer(errc::bad_json, "the request has no body: send an EventBody in JSON");
    auto body = canonical_body_from_json(request.body);
    if (!body) return error_answer(body.err());
    auto decoded = decode_body(*body);
    UURWERK_ASSERT(decoded.ok());  // canonical_body_from_json checked it
    json_writer w;
    w.begin_object();
    w.key("body").string(to_base64(*body));
    w.key("id").string(decoded->id.hex());
    w.end_object();
    return json_answer(200, w.take());
}

http_response routes::submit(const http_request& request) {
    if (request.body.empty())
        return error_answer(errc::bad_json,
                            "the request has no body: send "
                            "{\"body\", \"signer\", \"signature\"}");
    auto env = envelope_from_json(request.body);
    if (!env) return error_answer(env.err());
    auto outcome = node_.submit(*env);
    if (!outcome) return error_answer(outcome.err());
    const bool accepted = outcome->decided.accepted();
    if (outcome->duplicate)
        duplicates_.fetch_add(1, std::memory_order_relaxed);
    else
        (accepted ? accepted_ : rejected_).fetch_add(1, std::memory_order_relaxed);
    json_writer w;
    w.begin_object();
    w.key("id").string(outcome->id.hex());
    w.key("partition").decimal(outcome->partition.value);
    w.key("offset").decimal(outcome->at.value);
    w.key("verdict").string(verdict_name(outcome->decided));
    w.key("reason").string(reason_name(outcome->decided.reason));
    w.key("duplicate").boolean(outcome->duplicate);
    w.end_object();
    return json_answer(accepted ? 200 : 409, w.take());
}

http_response routes::handle(const http_request& request) {
    auto parts = split_target(request.target);
    if (!parts) return error_answer(parts.err());
    if (auto audit = audit_route(node_, checkpointer_, request, *parts)) return std::move(*audit);
    if (auto m = match_route(node_, matcher_, waiting_for_proposals_, request, *parts))
        return std::move(*m);
    const auto& s = parts->segments;
    const auto& method = request.method;

    // Which route, and which method it takes; parameters are checked after the method.
    enum class route {
        none,
        home,
        health,
        digest,
        metrics,
        canonical,
        events,
        event,
        community,
        members,
        balance,
        history,
        reputation,
        key,
        offers,
        requests,
        candidates,
        requests_for_me,
        claim,
    };
    route r = route::none;
    const bool communities = s.size() >= 3 && s[0] == "v1" && s[1] == "communities";
    if (s.empty())
        r = route::home;
    else if (s.size() == 2 && s[0] == "v1" && s[1] == "health")
        r = route::health;
    else if (s.size() == 2 && s[0] == "v1" && s[1] == "digest")
        r = route::digest;
    else if (s.size() == 1 && s[0] == "metrics")
        r = route::metrics;
    else if (s.size() == 2 && s[0] == "v1" && s[1] == "canonical")
        r = route::canonical;
    else if (s.size() == 2 && s[0] == "v1" && s[1] == "events")
        r = route::events;
    else if (s.size() == 3 && s[0] == "v1" && s[1] == "events")
        return error_answer(errc::not_found,
                            "event ids are unique within their community: GET "
                            "/v1/communities/{c}/events/" +
                                std::string(s[2]));
    else if (communities && s.size() == 5 && s[3] == "events")
        r = route::event;
    else if (communities && s.size() == 3)
        r = route::community;
    else if (communities && s.size() == 4 && s[3] == "members")
        r = route::members;
    else if (communities && s.size() == 6 && s[3] == "members" && s[5] == "balance")
        r = route::balance;
    else if (communities && s.size() == 6 && s[3] == "members" && s[5] == "history")
        r = route::history;
    else if (communities && s.size() == 6 && s[3] == "members" && s[5] == "reputation")
        r = route::reputation;
    else if (communities && s.size() == 5 && s[3] == "keys")
        r = route::key;
    else if (communities && s.size() == 4 && s[3] == "offers")
        r = route::offers;
    else if (communities && s.size() == 4 && s[3] == "requests")
        r = route::requests;
    else if (communities && s.size() == 6 && s[3] == "requests" && s[5] == "candidates")
        r = route::candidates;
    else if (communities && s.size() == 6 && s[3] == "members" && s[5] == "requests-for-me")
        r = route::requests_for_me;
    else if (communities && s.size() == 5 && s[3] == "claims")
        r = route::claim;
    if (r == route::none)
        return error_answer(errc::not_found,
                            "no route " +
                                std::string(request.target.substr(0, request.target.find('?'))) +
                                "; api/README.md lists them (GET /v1/health, "
                                "POST /v1/events, GET /v1/communities/{c}, ...)");

    // HEAD is GET without the body (the server leaves the body out).
    const bool posts = r == route::canonical || r == route::events;
    const std::string allowed = posts ? "POST" : "GET";
    if (method != allowed && (posts || method != "HEAD")) {
        auto answer = error_answer(errc::method_not_allowed,
                                   method + " is not allowed here; " + allowed + " " +
                                       request.target.substr(0, request.target.find('?')));
        answer.headers.emplace_back("Allow", posts ? "POST" : "GET, HEAD");
        return answer;
    }

    std::initializer_list<std::string_view> none = {};
    if (r == route::history) {
        if (auto bad = only_params(*parts, {"from", "limit"})) return *bad;
    } else if (r == route::candidates || r == route::requests_for_me) {
        if (auto bad = only_params(*parts, {"limit"})) return *bad;
    } else if (r == route::offers || r == route::requests) {
        if (auto bad = only_params(*parts, {"category", "area", "limit"})) return *bad;
    } else if (auto bad = only_params(*parts, none)) {
        return *bad;
    }

    switch (r) {
        case route::home:
            return {200, "text/html; charset=utf-8", std::string(home_page), {}};
        case route::health:
            return health();
        case route::digest: {
            // One snapshot of every column of each partition: nodes that applied the same log
            // answer the same.
            auto d = node_.state_digest();
            if (!d) return error_answer(d.err());
            json_writer w;
            w.begin_object();
            w.key("applied").decimal(d->applied_total);
            w.key("digest").string(d->combined.hex());
            w.key("skipped").decimal(d->skipped_total);
            if (d->partitions.size() > 1) {
                w.key("partitions").begin_array();
                for (const auto& p : d->partitions) {
                    w.begin_object();
                    w.key("applied").decimal(p.applied.value);
                    w.key("digest").string(p.state.hex());
                    w.key("skipped").decimal(p.skipped);
                    w.end_object();
                }
                w.end_array();
            }
            w.end_object();
            return json_answer(200, w.take());
        }
        case route::metrics:
            return metrics();
        case route::canonical:
            return canonical(request);
        case route::events:
            return submit(request);
        default:
            break;
    }

    auto c = decimal_param<community_id>(s[2], "community id");
    if (!c) return error_answer(c.err());
    switch (r) {
        case route::community:
            return community_info(node_, *c);
        case route::event: {
            auto id = event_id_param(s[4]);
            if (!id) return error_answer(id.err());
            return event_info(node_, scoped_id{*c, *id});
        }
        case route::members:
            return community_members(node_, *c);
        case route::candidates: {
            auto id = event_id_param(s[4]);
            if (!id) return error_answer(id.err());
            return candidates_for(node_, *c, *id, *parts);
        }
        case route::requests_for_me: {
            auto m = decimal_param<member_id>(s[4], "member id");
            if (!m) return error_answer(m.err());
            return requests_for(node_, *c, *m, *parts);
        }
        case route::balance:
        case route::reputation:
        case route::history: {
            auto m = decimal_param<member_id>(s[4], "member id");
            if (!m) return error_answer(m.err());
            if (r == route::balance) return member_balance(node_, *c, *m);
            if (r == route::reputation) return member_reputation(node_, *c, *m);
            return member_history(node_, *c, *m, *parts);
        }
        case route::key: {
            auto k = key_param(s[4]);
            if (!k) return error_answer(k.err());
            return key_info(node_, *c, *k);
        }
        case route::offers:
            return open_posts(node_, *c, true, *parts);
        case route::requests:
            return open_posts(node_, *c, false, *parts);
        case route::claim: {
            auto id = event_id_param(s[4]);
            if (!id) return error_answer(id.err());
            return claim_info(node_, *c, *id);
        }
        default:
            break;
    }
    UURWERK_ASSERT(false, static_cast<int>(r));
    return {};
}

}  // namespace uurwerk
