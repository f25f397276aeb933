#include "api/http/routes.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "api/http/audit_routes.h"
#include "api/http/invitation_routes.h"
#include "api/http/mail_routes.h"
#include "api/http/match_routes.h"
#include "api/http/member_routes.h"
#include "api/http/report_routes.h"
#include "api/http/route_support.h"
#include "api/http/value_names.h"
#include "api/json/json.h"
#include "api/json/json_read.h"
#include "api/web/assets.h"
#include "ledger/core/fairness_knobs.h"
#include "ledger/core/rules.h"
#include "projections/query.h"
#include "projections/reputation.h"
#include "projections/state_codec.h"

namespace uurwerk {
namespace {

// ---------------------------------------------------------------------------------------------
// Reads from the ledger state.

http_response community_info(node& n, community_id c) {
    auto v = query::community(n.folder(c), c);
    if (!v) return error_answer(v.err());
    const auto& f = v->fairness;
    json_writer w;
    w.begin_object();
    w.key("partition").decimal(n.partition_of(c).value);
    w.key("community").decimal(c.value);
    w.key("name").string(v->name);
    w.key("policy").begin_object();
    w.key("credit_limit_minutes").number(v->rules.credit_limit.value);
    w.key("balance_max_minutes").number(v->rules.balance_max.value);
    w.key("claim_minutes_max").number(v->rules.claim_max.value);
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
    w.key("unmatched_first_proposals").number(f.unmatched_first_proposals);
    w.key("match_silence_hours").number(f.match_silence_hours);
    w.key("contact_window_days").number(contact_window_days_of(v->rules));
    w.key("retention_days").number(retention_days_of(v->rules));
    w.key("public_impact").boolean(v->rules.public_impact == impact_page::open);
    w.end_object();
    w.key("members").number(static_cast<std::int64_t>(v->members));
    w.key("fund_minutes").number(v->fund.value);
    w.end_object();
    return json_answer(200, w.take());
}

// A member as the member list shows them (the fields every member may see).
result<void> member_fields(json_writer& w, node& n, community_id c, const query::member_row& m) {
    w.key("member").decimal(m.id.value);
    auto profile = member_routes::profile_of(n, c, m);
    if (!profile) return profile.err();
    if (*profile)
        w.key("display_name").string((*profile)->name);
    else
        w.key("display_name").null();
    w.key("role").string(role_name(m.member_role));
    w.key("verified").boolean(m.verified);
    w.key("suspended").boolean(m.suspended);
    w.key("former_member").boolean(m.left);
    return {};
}

// ?after=M&limit=N of a member list (/members, /roster): the members after member M (absent:
// from the first), at most N (1 to history_page_max, which is also the default) and, whatever N,
// at most page_bytes_max of rows.
struct member_list_query {
    member_id after{0};
    std::size_t limit = history_page_max;
};

result<member_list_query> member_list_query_of(const target_parts& t) {
    member_list_query q;
    auto after = decimal_query(t, "after");
    if (!after) return after.err();
    if (*after) q.after = member_id{**after};
    auto limit = limit_param(t, history_page_max);
    if (!limit) return limit.err();
    q.limit = *limit;
    return q;
}

member_id row_id(const query::member_row& r) {
    return r.id;
}
member_id row_id(const query::roster_row& r) {
    return r.row.id;
}

// {"members": [...], "next": M}: one page of rows, each written by `row`; "next" (the last
// member shown: the next page is ?after=M) only when members follow. A page stops before
// page_bytes_max, and always holds at least one row.
template <typename Row, typename WriteRow>
http_response member_list_answer(const query::member_page<Row>& page, WriteRow&& row) {
    json_writer w;
    w.begin_object().key("members").begin_array();
    std::size_t bytes = 0, shown = 0;
    std::optional<member_id> last;
    for (const auto& r : page.rows) {
        json_writer one;
        if (auto f = row(one, r); !f) return error_answer(f.err());
        const std::string text = one.take();
        if (shown > 0 && bytes + text.size() > page_bytes_max) break;  // on the next page
        bytes += text.size();
        ++shown;
        w.raw(text);
        last = row_id(r);
    }
    w.end_array();
    if (last && (page.more || shown < page.rows.size())) w.key("next").decimal(last->value);
    w.end_object();
    return json_answer(200, w.take());
}

http_response community_members(node& n, community_id c, const target_parts& t) {
    auto q = member_list_query_of(t);
    if (!q) return error_answer(q.err());
    auto page = query::members(n.folder(c), c, q->after, q->limit);
    if (!page) return error_answer(page.err());
    return member_list_answer(*page, [&](json_writer& w, const query::member_row& m) {
        w.begin_object();
        if (auto f = member_fields(w, n, c, m); !f) return f;
        w.end_object();
        return result<void>{};
    });
}

// The coordinators' member list: the members' list with what only coordinators see.
http_response community_roster(node& n, community_id c, time_ms now, const target_parts& t) {
    auto q = member_list_query_of(t);
    if (!q) return error_answer(q.err());
    auto page = query::roster(n.folder(c), c, now, q->after, q->limit);
    if (!page) return error_answer(page.err());
    const auto ids = [](json_writer& w, const char* key, const std::vector<member_id>& v) {
        w.key(key).begin_array();
        for (auto m : v) w.decimal(m.value);
        w.end_array();
    };
    return member_list_answer(*page, [&](json_writer& w, const query::roster_row& r) {
        w.begin_object();
        if (auto f = member_fields(w, n, c, r.row); !f) return f;
        w.key("balance_minutes").number(r.balance.value);
        w.key("last_active_ms").decimal_signed(r.last_active.value);
        w.key("keys").number(r.live_keys);
        ids(w, "acts_for", r.acts_for);
        ids(w, "acted_for_by", r.acted_for_by);
        w.end_object();
        return result<void>{};
    });
}

http_response member_balance(node& n, community_id c, member_id m) {
    auto v = query::balance(n.folder(c), c, m);
    if (!v) return error_answer(v.err());
    const auto& ms = v->member;
    json_writer w;
    w.begin_object();
    w.key("member").decimal(m.value);
    w.key("balance_minutes").number(ms.balance.value);
    w.key("pending_in_minutes").number(ms.pending_in.value);
    w.key("pending_out_minutes").number(ms.pending_out.value);
    w.key("credit_limit_minutes").number(v->credit_limit.value);
    w.key("balance_max_minutes").number(v->balance_max.value);
    w.key("confirmed_given_minutes").number(ms.confirmed_given.value);
    w.end_object();
    return json_answer(200, w.take());
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
    if (auto known = query::member_exists(n.folder(c), c, m); !known)
        return error_answer(known.err());
    auto entries = read_history(n.projections(c), c, m, from, *limit);
    if (!entries) return error_answer(entries.err());
    json_writer w;
    w.begin_object().key("partition").decimal(n.partition_of(c).value);
    w.key("entries").begin_array();
    offset next = from;
    std::size_t bytes = 0;
    for (const auto& h : *entries) {
        // When it happened: the log's clock at the event (a read of its record); and, for
        // hours, what the help was.
        auto record = n.record_at(n.partition_of(c), h.at);
        if (!record) return error_answer(record.err());
        member_routes::history_extras extras{record->appended_at, std::nullopt};
        if (h.balance_delta.value != 0 || h.pending_delta.value != 0)
            extras.what = member_routes::help_category_of(n, c, *record);
        const auto row = member_routes::history_row(h, extras);
        if (next != from && bytes + row.size() > page_bytes_max) break;  // on the next page
        bytes += row.size();
        w.raw(row);
        next = offset{h.at.value + 1};
    }
    w.end_array();
    w.key("next").decimal(next.value);
    w.end_object();
    return json_answer(200, w.take());
}

http_response key_info(node& n, community_id c, const public_key& k) {
    auto key = query::key(n.folder(c), c, k);
    if (!key) return error_answer(key.err());
    json_writer w;
    w.begin_object();
    w.key("member").decimal(key->owner.value);
    w.key("last_seq").decimal(key->last_seq.value);
    w.key("revoked").boolean(key->revoked);
    w.key("node").boolean(key->node);
    w.end_object();
    return json_answer(200, w.take());
}

enum class post_kind : std::uint8_t { offers, requests };

// A post's "text": from the personal-data store (the log holds only its commitment); null when
// the post has none, or its text was erased, or (in a cluster) was written through another node.
void write_text(json_writer& w, const std::optional<std::string>& text) {
    w.key("text");
    if (text)
        w.string(*text);
    else
        w.null();
}

http_response open_posts(node& n, community_id c, post_kind kind, const target_parts& t) {
    const bool offers = kind == post_kind::offers;
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
    if (!query::community_exists(n.folder(c), c)) return unknown_community(c);

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
    // When each was posted and how often an offer was proposed (the state's, by id).
    std::vector<event_id> ids;
    for (const auto& p : posts) ids.push_back(p.id);
    auto states = query::posts(n.folder(c), c, ids);
    if (!states) return error_answer(states.err());
    std::map<event_id, const post_state*> state_of;
    for (const auto& [id, s] : *states) state_of.emplace(id, &s);

    json_writer w;
    w.begin_object().key("posts").begin_array();
    for (const auto& p : posts) {
        auto text = n.personal_text_of(c, p.id, p.text_digest);
        if (!text) return error_answer(text.err());
        const auto s = state_of.find(p.id);
        w.begin_object();
        w.key("id").string(p.id.hex());
        w.key("owner").decimal(p.owner.value);
        w.key("category").string(category_name(p.what));
        w.key("intensity").string(intensity_name(p.how_often));
        w.key("area").string(p.area);
        w.key("availability").number(p.availability);
        write_text(w, *text);
        w.key("offset").decimal(p.posted_at.value);
        if (s != state_of.end()) {
            w.key("posted_at_ms").decimal_signed(s->second->posted_time.value);
            w.key("proposals").number(s->second->proposals);
        }
        w.end_object();
    }
    w.end_array().end_object();
    return json_answer(200, w.take());
}

http_response open_offers(node& n, community_id c, const target_parts& t) {
    return open_posts(n, c, post_kind::offers, t);
}

http_response open_requests(node& n, community_id c, const target_parts& t) {
    return open_posts(n, c, post_kind::requests, t);
}

http_response claim_info(node& n, community_id c, const event_id& id) {
    auto claim = query::claim(n.folder(c), c, id);
    if (!claim) return error_answer(claim.err());
    json_writer w;
    w.begin_object();
    w.key("id").string(id.hex());
    w.key("claimant").decimal(claim->claimant.value);
    w.key("receiver").decimal(claim->receiver.value);
    w.key("minutes").number(claim->amount.value);
    w.key("status").string(claim_status_name(claim->status));
    w.end_object();
    return json_answer(200, w.take());
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
// Match queues, live (projections/match_queues.h): a request's candidates are the open offers of
// its category, ranked by how well they fit (projections/fit.h: fit), best first, then
// oldest first; a member's requests-for-me are the open requests that fit their open offers.

result<std::string> page_json(const node& n, community_id c,
                              const std::vector<query::ranked_post>& page) {
    json_writer w;
    w.begin_array();
    for (const auto& p : page) {
        auto text = n.personal_text_of(c, p.id, p.text_digest);
        if (!text) return text.err();
        char rel[32];
        std::snprintf(rel, sizeof rel, "%.3f", p.relevance);
        w.begin_object();
        w.key("id").string(p.id.hex());
        w.key("owner").decimal(p.owner.value);
        w.key("relevance").raw(rel);
        w.key("intensity").string(intensity_name(p.how_often));
        w.key("area").string(p.area);
        w.key("availability").number(p.availability);
        write_text(w, *text);
        w.key("offset").decimal(p.posted_at.value);
        w.end_object();
    }
    w.end_array();
    return w.take();
}

http_response candidates_for(node& n, community_id c, const event_id& request_id,
                             const target_parts& t) {
    auto limit = limit_param(t, page_default);
    if (!limit) return error_answer(limit.err());
    auto found = query::candidates(n.folder(c), c, request_id, *limit);
    if (!found) return error_answer(found.err());
    auto page = page_json(n, c, found->posts);
    if (!page) return error_answer(page.err());
    json_writer w;
    w.begin_object();
    w.key("request").string(request_id.hex());
    w.key("fitting_offers").number(static_cast<std::int64_t>(found->count));
    w.key("candidates").raw(*page);
    w.end_object();
    return json_answer(200, w.take());
}

http_response requests_for(node& n, community_id c, member_id m, const target_parts& t) {
    auto limit = limit_param(t, page_default);
    if (!limit) return error_answer(limit.err());
    auto found = query::requests_for(n.folder(c), c, m, *limit);
    if (!found) return error_answer(found.err());
    auto page = page_json(n, c, found->posts);
    if (!page) return error_answer(page.err());
    json_writer w;
    w.begin_object();
    w.key("member").decimal(m.value);
    w.key("open_offers").number(static_cast<std::int64_t>(found->count));
    w.key("requests").raw(*page);
    w.end_object();
    return json_answer(200, w.take());
}

// A file of the web app, with the headers that keep its pages to this origin (api/web/assets.h).
// `no-cache`: the browser asks again each time (the app's service worker keeps its own copy).
http_response web_file(const web::web_asset& asset) {
    http_response r{200, std::string(asset.content_type), std::string(asset.bytes), {}};
    for (const auto& h : web::security_headers())
        r.headers.emplace_back(std::string(h.name), std::string(h.value));
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
}

// The signed event a POST /v1/events carries, and the personal text beside it.
result<submission> submitted_envelope(const http_request& request) {
    if (request.body.empty())
        return make_error(errc::bad_json,
                          "the request has no body: send {\"body\", \"signer\", \"signature\"}");
    return submission_from_json(request.body);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

routes::routes(node& n, checkpointer* cp, match_driver* matcher, access_options who,
               const quota_options& limits)
    : node_(n),
      checkpointer_(cp),
      matcher_(matcher),
      access_(n, who),
      quotas_(limits),
      session_clock_(std::move(who.clock)),
      router_(table(), [this](caller c, const route_call& r) { return access_.check(c, r); }) {}

http_handler routes::handler() {
    return [this](const http_request& r) { return handle(r); };
}

http_response routes::handle(const http_request& request) {
    if (auto over = over_quota(request)) return *over;
    return router_.dispatch(request);
}

namespace {

http_response rate_limited(const std::string& who, std::string_view what, rate_limit limit,
                           quota_time wait) {
    const auto seconds = retry_after_seconds(wait);
    auto answer =
        error_answer(errc::rate_limited,
                     who + " is over its quota of " + std::string(what) + " (" +
                         std::to_string(limit.per_s) + " a second, " + std::to_string(limit.burst) +
                         " at once); try again in " + std::to_string(seconds) + " s");
    answer.headers.emplace_back("Retry-After", std::to_string(seconds));
    return answer;
}

std::string address_text(const http_request& request) {
    return "this client address (" + (request.peer.empty() ? "unknown" : request.peer) + ")";
}

}  // namespace

std::optional<http_response> routes::over_quota(const http_request& request) {
    const auto& o = quotas_.options();
    if (request.method == "GET" || request.method == "HEAD") {
        // A session that verifies is its member's quota, wherever the member reads from; a
        // token that does not, or whose key is not the member's (or none), is its address's,
        // so forged tokens buy nothing. A
        // token not verified before is charged to its address first, before the signature
        // check: a flood of forged tokens costs its address's quota, not our CPU.
        if (!o.reads_per_session.unlimited())
            if (auto token = session_token_of(request)) {
                const auto by_address = [&]() -> std::optional<http_response> {
                    if (auto wait = quotas_.read_by_address(request.peer))
                        return rate_limited(address_text(request), "reads", o.reads_per_address,
                                            *wait);
                    return std::nullopt;
                };
                const bool known = access_.sessions().remembers(*token);
                if (!known)
                    if (auto over = by_address()) return over;
                auto s = access_.sessions().check(*token, session_clock_());
                // Only a key the ledger registered to the member makes the member's quota (a
                // token signed by any other key verifies too, but must not drain a member's
                // quota nor open a fresh one for each new key).
                const auto member_key = [&] {
                    if (!s) return false;
                    auto k = query::key(node_.folder(s->community), s->community, s->key);
                    return k.ok() && k->owner == s->member && !k->revoked && !k->node;
                };
                if (!member_key()) return known ? by_address() : std::nullopt;  // charged once
                const std::string who =
                    std::to_string(s->community.value) + "/" + std::to_string(s->member.value);
                if (auto wait = quotas_.read_by_session(who))
                    return rate_limited("the session of member " + who, "reads",
                                        o.reads_per_session, *wait);
                return std::nullopt;
            }
        if (auto wait = quotas_.read_by_address(request.peer))
            return rate_limited(address_text(request), "reads", o.reads_per_address, *wait);
        return std::nullopt;
    }
    if (auto wait = quotas_.write_by_address(request.peer))
        return rate_limited(address_text(request), "writes", o.writes_per_address, *wait);
    return std::nullopt;
}

std::function<std::optional<http_response>(const http_request&)> routes::refuse_early() {
    return [this](const http_request& r) -> std::optional<http_response> {
        const auto& o = quotas_.options();
        if (r.method == "GET" || r.method == "HEAD") {
            if (!o.reads_per_session.unlimited() && session_token_of(r)) return std::nullopt;
            if (auto wait = quotas_.reads_by_address_empty(r.peer))
                return rate_limited(address_text(r), "reads", o.reads_per_address, *wait);
            return std::nullopt;
        }
        if (auto wait = quotas_.writes_by_address_empty(r.peer))
            return rate_limited(address_text(r), "writes", o.writes_per_address, *wait);
        return std::nullopt;
    };
}

std::optional<http_response> routes::over_key_quota(const public_key& signer) {
    if (auto wait = quotas_.write_by_key(
            std::string_view(reinterpret_cast<const char*>(signer.b.data()), signer.b.size())))
        return rate_limited("the signing key " + signer.hex(), "writes",
                            quotas_.options().writes_per_key, *wait);
    return std::nullopt;
}

// A member's reputation and its main contributions (projections/reputation.h), computed from
// the community's confirmed hours, disputes and endorsements outside the state lock, once for
// every member of the community at each applied offset of its partition.
http_response routes::member_reputation(community_id c, member_id m) {
    const offset applied = node_.folder(c).applied();
    if (auto known = query::member_exists(node_.folder(c), c, m); !known)
        return error_answer(known.err());
    std::shared_ptr<reputation_entry> entry;
    {
        std::lock_guard lock(reputation_mutex_);
        auto& e = reputation_[c];
        if (!e) {
            if (reputation_.size() > reputation_cache_communities_max) {
                // Bounded: forget some other community (its next reader computes it again).
                for (auto it = reputation_.begin(); it != reputation_.end(); ++it)
                    if (it->first != c) {
                        reputation_.erase(it);
                        break;
                    }
            }
            e = std::make_shared<reputation_entry>();
        }
        entry = e;
    }
    std::lock_guard lock(entry->mutex);
    const time_ms now = wall_clock()();
    const bool fresh =
        entry->computed && entry->applied == applied &&
        now.value - entry->at.value < std::chrono::milliseconds(reputation_cache_age_max).count() &&
        entry->scores->score.contains(m);
    if (!fresh) {
        auto in = query::reputation_inputs(node_.folder(c), c, m, now);
        if (!in) return error_answer(in.err());
        entry->scores =
            std::make_shared<const reputation_result>(compute_reputation(*in, reputation_params{}));
        entry->seeds = in->seeds;
        entry->applied = applied;
        entry->at = now;
        entry->computed = true;
        reputation_computed_.fetch_add(1, std::memory_order_relaxed);
    }
    const auto& out = *entry->scores;
    json_writer w;
    w.begin_object();
    w.key("member").decimal(m.value);
    char score[32];
    std::snprintf(score, sizeof score, "%.4f", out.score.at(m));
    w.key("score").raw(score);
    w.key("seed").boolean(entry->seeds.contains(m));
    w.key("why").begin_array();
    if (auto why = out.why.find(m); why != out.why.end())
        for (const auto& contribution : why->second) {
            char share[32];
            std::snprintf(share, sizeof share, "%.4f", contribution.share);
            w.begin_object();
            if (contribution.from.value == 0)
                w.key("from").string("seed");  // the share every verified member or coordinator has
            else
                w.key("from").decimal(contribution.from.value);
            w.key("share").raw(share);
            w.end_object();
        }
    w.end_array();
    w.end_object();
    return json_answer(200, w.take());
}

// Every route of the API (api/README.md is the contract), in one table: method, path, the
// query parameters it takes, who may call it, and its handler.
std::vector<route> routes::table() {
    using M = http_method;
    constexpr auto anyone = caller::anyone;
    // Adapters from a handler's parameters to a row's: the audit routes answer 404 for a
    // community that does not exist before anything else (`known`); most read a community's
    // state or pages with the request's query (`paged`).
    const auto known = [this](route_handler h) -> route_handler {
        return [this, h = std::move(h)](const route_call& r) {
            if (!query::community_exists(node_.folder(r.args.community), r.args.community))
                return unknown_community(r.args.community);
            return h(r);
        };
    };
    using paged_fn = http_response (*)(node&, community_id, const target_parts&);
    const auto paged = [this](paged_fn fn) -> route_handler {
        return [this, fn](const route_call& r) { return fn(node_, r.args.community, r.target); };
    };
    using member_fn = http_response (*)(node&, community_id, member_id, const target_parts&);
    const auto of_member = [this](member_fn fn) -> route_handler {
        return [this, fn](const route_call& r) {
            return fn(node_, r.args.community, r.args.member, r.target);
        };
    };
    const auto moved = [](const route_call& r) {
        return error_answer(errc::not_found,
                            "event ids are unique within their community: GET "
                            "/v1/communities/{c}/events/" +
                                r.args.text);
    };
    // clang-format off
    using C = caller;
    std::vector<route> rows = {
        {M::get,  "/v1/health", {}, anyone, [this](const route_call&) { return health(); }},
        {M::get,  "/v1/digest", {}, C::node_operator, [this](const route_call&) { return digest(); }},
        {M::get,  "/metrics", {}, C::node_operator, [this](const route_call&) { return metrics(); }},
        {M::post, "/v1/canonical", {}, anyone,
                  [this](const route_call& r) { return canonical(r.request); }},
        {M::post, "/v1/events", {}, C::event_signer,
                  [this](const route_call& r) { return submit(r.request); }},
        {M::any,  "/v1/events/{i}", {}, anyone, moved},
        // Sessions (api/http/access.h): the body carries its own authority.
        {M::post, "/v1/session", {}, anyone,
                  [this](const route_call& r) { return access_.sign_in(r.request); }},
        {M::post, "/v1/session/end", {}, anyone,
                  [this](const route_call&) { return access_.sign_out(); }},
        {M::get,  "/v1/communities/{c}", {}, anyone,
                  [this](const route_call& r) { return community_info(node_, r.args.community); }},
        {M::get,  "/v1/communities/{c}/events/{id}", {}, C::auditor,
                  [this](const route_call& r) {
                      return event_info(node_, scoped_id{r.args.community, r.args.event});
                  }},
        {M::get,  "/v1/communities/{c}/members", {"after", "limit"}, C::member,
                  [this](const route_call& r) {
                      return community_members(node_, r.args.community, r.target);
                  }},
        {M::get,  "/v1/communities/{c}/members/{m}/balance", {}, C::self,
                  [this](const route_call& r) {
                      return member_balance(node_, r.args.community, r.args.member);
                  }},
        {M::get,  "/v1/communities/{c}/members/{m}/history", {"from", "limit"}, C::self,
                  of_member(member_history)},
        {M::get,  "/v1/communities/{c}/members/{m}/reputation", {}, C::self,
                  [this](const route_call& r) {
                      return member_reputation(r.args.community, r.args.member);
                  }},
        {M::get,  "/v1/communities/{c}/members/{m}/requests-for-me", {"limit"}, C::self,
                  of_member(requests_for)},
        // A member's person (api/http/member_routes.h): what every member sees, what a match
        // partner sees, and the member's export of everything about them (AVG art. 15, 20).
        {M::get,  "/v1/communities/{c}/members/{m}/profile", {}, C::member,
                  [this](const route_call& r) {
                      return member_routes::profile(node_, r.args.community, r.args.member);
                  }},
        {M::get,  "/v1/communities/{c}/members/{m}/contact", {}, C::match_partner,
                  [this](const route_call& r) {
                      return member_routes::contact(node_, r.args.community, r.args.member);
                  }},
        {M::get,  "/v1/communities/{c}/members/{m}/overview", {}, C::self,
                  [this](const route_call& r) {
                      return member_routes::overview(node_, r.args.community, r.args.member);
                  }},
        {M::get,  "/v1/communities/{c}/members/{m}/export", {}, C::self,
                  [this](const route_call& r) {
                      return member_routes::export_of(
                          node_, r.args.community, r.args.member,
                          member_reputation(r.args.community, r.args.member));
                  }},
        // E-mail (api/http/mail_routes.h): the member's choice, and the one-click stop.
        {M::get,  "/v1/communities/{c}/members/{m}/mail", {}, C::self,
                  [this](const route_call& r) {
                      return mail_routes::choice(mailer_, r.args.community, r.args.member);
                  }},
        {M::post, "/v1/communities/{c}/members/{m}/mail", {}, C::self,
                  [this](const route_call& r) {
                      return mail_routes::set_choice(mailer_, r.args.community, r.args.member,
                                                     r.request);
                  }},
        {M::post, "/v1/communities/{c}/invitations/{id}/mail", {}, C::coordinator,
                  [this](const route_call& r) {
                      return mail_routes::mail_invitation(mailer_, node_, r.args.community,
                                                          r.args.event, r.request,
                                                          session_clock_());
                  }},
        {M::get,  "/v1/mail/unsubscribe", {"community", "member", "token"}, anyone,
                  [this](const route_call& r) {
                      return mail_routes::unsubscribe_page(mailer_, r.target);
                  }},
        {M::post, "/v1/mail/unsubscribe", {"community", "member", "token"}, anyone,
                  [this](const route_call& r) {
                      return mail_routes::unsubscribe(mailer_, r.target);
                  }},
        {M::get,  "/v1/communities/{c}/members/{m}/delegations", {}, C::self,
                  [this](const route_call& r) {
                      return member_routes::delegations(node_, r.args.community, r.args.member,
                                                        session_clock_());
                  }},
        // Invitations (api/http/invitation_routes.h): the code travels in the body, never in a
        // URL; a check is a POST, so it is charged to the address's write quota.
        {M::post, "/v1/communities/{c}/invitations/{id}/check", {}, anyone,
                  [this](const route_call& r) {
                      return invitation_routes::check(node_, r.args.community, r.args.event,
                                                      r.request, session_clock_());
                  }},
        {M::get,  "/v1/communities/{c}/roster", {"after", "limit"}, C::coordinator,
                  [this](const route_call& r) {
                      return community_roster(node_, r.args.community, session_clock_(), r.target);
                  }},
        {M::get,  "/v1/communities/{c}/invitations", {}, C::coordinator,
                  [this](const route_call& r) {
                      return invitation_routes::list(node_, r.args.community, session_clock_());
                  }},
        // A client asks for its key's last sequence number before it signs: writes need no
        // session. The answer is the key's member number, count and state, no personal data.
        {M::get,  "/v1/communities/{c}/keys/{key}", {}, anyone,
                  [this](const route_call& r) { return key_info(node_, r.args.community, r.args.key); }},
        {M::get,  "/v1/communities/{c}/offers", {"category", "area", "limit"}, C::member,
                  paged(open_offers)},
        {M::get,  "/v1/communities/{c}/requests", {"category", "area", "limit"}, C::member,
                  paged(open_requests)},
        {M::get,  "/v1/communities/{c}/requests/{id}/candidates", {"limit"}, C::party,
                  [this](const route_call& r) {
                      return candidates_for(node_, r.args.community, r.args.event, r.target);
                  }},
        {M::get,  "/v1/communities/{c}/claims/{id}", {}, C::party,
                  [this](const route_call& r) { return claim_info(node_, r.args.community, r.args.event); }},

        // Matching (api/http/match_routes.h).
        {M::post, "/v1/communities/{c}/match", {}, C::coordinator,
                  [this](const route_call& r) {
                      return match_routes::match_round(matcher_, r.args.community);
                  }},
        {M::get,  "/v1/communities/{c}/members/{m}/stream", {"after"}, C::self,
                  [this](const route_call& r) { return streams_.open(r); }},
        {M::get,  "/v1/communities/{c}/members/{m}/proposals", {"after", "wait_ms"}, C::self,
                  [this](const route_call& r) {
                      return match_routes::member_proposals(node_, waiting_for_proposals_,
                                                            r.args.community, r.args.member,
                                                            r.target);
                  }},

        // Audit (api/http/audit_routes.h). Hashes, sizes and checkpoints are public; what shows
        // events (leaves by index, exports) is the coordinators' and the auditors'. The proof of
        // an event named by its id shows that event to whoever knows the id.
        {M::get,  "/v1/node", {}, anyone,
                  [this](const route_call&) { return audit_routes::node_key(checkpointer_); }},
        {M::get,  "/v1/communities/{c}/tree", {}, anyone,
                  known([this](const route_call& r) {
                      return audit_routes::tree(node_, r.args.community);
                  })},
        {M::get,  "/v1/communities/{c}/checkpoints/latest", {}, anyone,
                  known([this](const route_call& r) {
                      return audit_routes::latest_checkpoint(node_, r.args.community);
                  })},
        {M::get,  "/v1/communities/{c}/checkpoints", {"from_size", "limit"}, anyone,
                  known(paged(audit_routes::checkpoints))},
        {M::post, "/v1/communities/{c}/checkpoints", {}, anyone,
                  known([this](const route_call& r) {
                      return audit_routes::sign_checkpoint(checkpointer_, r.args.community);
                  })},
        {M::get,  "/v1/communities/{c}/events/{id}/proof", {"tree_size"}, anyone,
                  known([this](const route_call& r) {
                      return audit_routes::inclusion(
                          node_, scoped_id{r.args.community, r.args.event}, r.target);
                  })},
        {M::get,  "/v1/communities/{c}/consistency", {"first", "second"}, anyone,
                  known(paged(audit_routes::consistency))},
        {M::get,  "/v1/communities/{c}/leaves", {"from", "limit"}, C::auditor,
                  known(paged(audit_routes::leaves))},
        {M::get,  "/v1/communities/{c}/leaves/{i}/proof", {"tree_size"}, C::auditor,
                  known([this](const route_call& r) {
                      return audit_routes::inclusion_at(node_, r.args.community, r.args.text,
                                                        r.target);
                  })},
        {M::get,  "/v1/communities/{c}/export", {"from", "limit"}, C::auditor,
                  known(paged(audit_routes::export_page))},
        {M::get,  "/v1/communities/{c}/members/{m}/certificate",
                  {"from_ms", "to_ms", "reveal_notes"}, C::self_or_auditor,
                  known(of_member(audit_routes::certificate))},
        // Reports (api/http/report_routes.h), at the latest checkpoint: member numbers and log
        // facts only, what the export shows, so the coordinators' and the auditors'.
        {M::get,  "/v1/communities/{c}/reports/{i}", {"from_ms", "to_ms", "days", "format"},
                  C::auditor,
                  known([this](const route_call& r) {
                      return report_routes::report(reports_, node_, r.args.community,
                                                   r.args.text, r.target);
                  })},
        // The public impact page: anyone, when the community's policy makes it public.
        {M::get,  "/v1/communities/{c}/impact", {}, C::anyone,
                  known([this](const route_call& r) {
                      return report_routes::impact_page(reports_, node_, r.args.community);
                  })},
    };
    // clang-format on
    // The web app (api/web): each of its files at its own path, "/" its first page.
    for (const auto& asset : web::embedded_assets()) {
        auto serve = [&asset](const route_call&) { return web_file(asset); };
        rows.push_back({M::get, asset.path, {}, anyone, serve});
        if (asset.path == "/index.html") rows.push_back({M::get, "/", {}, anyone, serve});
    }
    return rows;
}

http_response routes::digest() {
    // One snapshot of every column of each partition: nodes that applied the same log answer
    // the same.
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
      << "# HELP uurwerk_event_streams Members' live event streams open now.\n"
      << "# TYPE uurwerk_event_streams gauge\n"
      << "uurwerk_event_streams " << streams_.open_streams() << "\n"
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
    // The address's write quota was charged before the router (handle()).
    auto sent = submitted_envelope(request);
    if (!sent) return error_answer(sent.err());
    if (auto over = over_key_quota(sent->envelope.signer())) return *over;
    return submitted(node_.submit(std::move(sent->envelope), std::move(sent->personal)));
}

http_async_route routes::async_route() {
    return {
        [](const http_request& r) { return r.method == "POST" && r.target == "/v1/events"; },
        [this](const http_request& r, http_answer answer) {
            // The quotas before the signature check: its address's (a flood of bad signatures
            // is limited too), then, once the envelope decodes, its signing key's.
            if (auto over = over_quota(r)) return answer(std::move(*over));
            auto sent = submitted_envelope(r);
            if (!sent) return answer(error_answer(sent.err()));
            if (auto over = over_key_quota(sent->envelope.signer()))
                return answer(std::move(*over));
            node_.submit_async(std::move(sent->envelope), std::move(sent->personal),
                               [this, answer = std::move(answer)](result<submit_outcome> outcome) {
                                   answer(submitted(outcome));
                               });
        },
        node_.apply_timeout(),
        [](const http_request& r) {
            // Only an event that was admitted waits this long: it decodes.
            auto sent = submitted_envelope(r);
            auto body = sent ? decode_body(sent->envelope.body()) : result<event_body>(sent.err());
            if (!body)
                return error_answer(errc::apply_timeout, "the event was not applied in time");
            return error_answer(node::apply_timed_out(scoped_id{body->community, body->id}));
        },
    };
}

http_response routes::submitted(const result<submit_outcome>& outcome) {
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

}  // namespace uurwerk
