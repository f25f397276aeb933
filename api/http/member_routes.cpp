#include "api/http/member_routes.h"

#include <map>

#include "api/http/route_support.h"
#include "api/http/value_names.h"
#include "api/json/json.h"
#include "projections/state_codec.h"

namespace uurwerk::member_routes {
namespace {

// The most history lines one export holds (a member's whole history, in all but extreme cases);
// beyond it the export says so and the history route pages on.
constexpr std::size_t export_history_max = 100'000;

// The most confirmed exchanges the overview offers to endorse.
constexpr std::size_t to_endorse_max = 5;

void profile_fields(json_writer& w, const std::optional<member_profile>& p, bool with_contact) {
    if (!p) {
        w.key("display_name").null();
    } else {
        w.key("display_name").string(p->name);
    }
    if (!with_contact) return;
    const auto text_or_null = [&](const char* key, const std::string& v) {
        if (!p || v.empty())
            w.key(key).null();
        else
            w.key(key).string(v);
    };
    text_or_null("phone", p ? p->phone : std::string());
    text_or_null("email", p ? p->email : std::string());
    w.key("languages").begin_array();
    if (p)
        for (const auto& l : p->languages) w.string(l);
    w.end_array();
    text_or_null("about", p ? p->about : std::string());
}

void member_fields(json_writer& w, const query::member_row& m) {
    w.key("member").decimal(m.id.value);
    w.key("verified").boolean(m.verified);
    w.key("former_member").boolean(m.left);
}

// A JSON answer about one person that no cache may keep (contact details, the home's overview,
// the export, delegations).
http_response private_answer(json_writer& w) {
    auto answer = json_answer(200, w.take());
    answer.headers.emplace_back("Cache-Control", "no-store");
    return answer;
}

http_response card(node& n, community_id c, member_id id, bool with_contact) {
    auto m = query::member(n.folder(c), c, id);
    if (!m) return error_answer(m.err());
    auto p = profile_of(n, c, *m);
    if (!p) return error_answer(p.err());
    json_writer w;
    w.begin_object();
    member_fields(w, *m);
    profile_fields(w, *p, with_contact);
    w.end_object();
    if (with_contact) return private_answer(w);
    return json_answer(200, w.take());
}

// The text event `id` committed to, as the personal-data store keeps it; null when none or
// erased.
void text_field(json_writer& w, node& n, community_id c, const event_id& id,
                const text_commitment& commitment, const char* key = "text") {
    auto text = n.personal_text_of(c, id, commitment);
    if (text && *text)
        w.key(key).string(**text);
    else
        w.key(key).null();
}

// "kinds": the names of the kinds a delegation's bits allow.
void kinds_field(json_writer& w, std::uint32_t kinds) {
    w.key("kinds").begin_array();
    for (std::size_t k = 0; k < event_kind_count; ++k)
        if (kinds & (1u << k)) w.string(kind_name(static_cast<event_kind>(k)));
    w.end_array();
}

// A member's person as the routes about them read it: their row, everything the state holds
// about them (a scan of the community), and their profile. Errors: those of the three reads.
struct person {
    query::member_row row;
    query::member_records records;
    std::optional<member_profile> profile;
};
result<person> person_of(node& n, community_id c, member_id id) {
    auto row = query::member(n.folder(c), c, id);
    if (!row) return row.err();
    auto records = query::records_of(n.folder(c), c, id);
    if (!records) return records.err();
    auto profile = profile_of(n, c, *row);
    if (!profile) return profile.err();
    return person{std::move(*row), std::move(*records), std::move(*profile)};
}

}  // namespace

http_response profile(node& n, community_id c, member_id m) {
    return card(n, c, m, false);
}

http_response contact(node& n, community_id c, member_id m) {
    return card(n, c, m, true);
}

namespace {

std::optional<event_body> body_of(const log_record& record) {
    auto env = decode_envelope(record.payload);
    if (!env) return std::nullopt;
    auto body = decode_body(env->body, form_check::trusted);
    if (!body) return std::nullopt;
    return std::move(*body);
}

// The event a claim names: the claim itself, or the one it confirms, disputes or reverses.
std::optional<event_id> claim_named(const event_body& b) {
    if (const auto* x = std::get_if<hours_confirmed>(&b.payload)) return x->claim;
    if (const auto* x = std::get_if<hours_disputed>(&b.payload)) return x->claim;
    if (const auto* x = std::get_if<reversal>(&b.payload)) return x->target;
    return std::nullopt;
}

}  // namespace

std::optional<category> help_category_of(node& n, community_id c, const log_record& record) {
    auto body = body_of(record);
    if (!body) return std::nullopt;
    if (auto claim = claim_named(*body)) {
        auto state = query::claim(n.folder(c), c, *claim);
        if (!state) return std::nullopt;  // a transfer's reversal, or a claim no longer held
        auto claimed = n.record_at(c, state->claimed_at);
        if (!claimed) return std::nullopt;
        body = body_of(*claimed);
        if (!body) return std::nullopt;
    }
    const auto* claimed = std::get_if<hours_claimed>(&body->payload);
    if (!claimed || !claimed->post) return std::nullopt;
    auto what = query::help_category(n.folder(c), c, *claimed->post);
    return what ? *what : std::nullopt;
}

std::string history_row(const history_entry& h, const history_extras& extras) {
    json_writer e;
    e.begin_object();
    if (extras.logged_at) e.key("at_ms").decimal_signed(extras.logged_at->value);
    e.key("offset").decimal(h.at.value);
    e.key("id").string(h.id.hex());
    e.key("kind").string(kind_name(h.kind));
    e.key("verdict").string(h.reason == reject_reason::none ? "accepted" : "rejected");
    e.key("reason").string(reason_name(h.reason));
    e.key("balance_delta_minutes").number(h.balance_delta.value);
    e.key("pending_delta_minutes").number(h.pending_delta.value);
    e.key("counterparty").decimal(h.counterparty.value);
    if (extras.what) e.key("category").string(category_name(*extras.what));
    e.end_object();
    return e.take();
}

http_response overview(node& n, community_id c, member_id id) {
    auto p = person_of(n, c, id);
    if (!p) return error_answer(p.err());
    auto balance = query::balance(n.folder(c), c, id);
    if (!balance) return error_answer(balance.err());
    const auto& [row, r, profile] = *p;

    // The other people named, each looked up once: their display names.
    std::map<member_id, std::optional<std::string>> names;
    const auto name_of = [&](member_id other) -> const std::optional<std::string>& {
        auto [it, fresh] = names.try_emplace(other);
        if (!fresh) return it->second;
        if (auto m = query::member(n.folder(c), c, other))
            if (auto p = profile_of(n, c, *m); p && *p) it->second = (*p)->name;
        return it->second;
    };
    const auto other_fields = [&](json_writer& w, member_id other) {
        w.key("other").decimal(other.value);
        if (const auto& name = name_of(other))
            w.key("other_name").string(*name);
        else
            w.key("other_name").null();
    };
    // The requests of the matches, for what the help is and when.
    std::vector<event_id> requests;
    for (const auto& [mid, x] : r.matches)
        if (x.status == match_status::proposed || x.status == match_status::accepted)
            requests.push_back(x.request);
    auto request_posts = query::posts(n.folder(c), c, requests);
    if (!request_posts) return error_answer(request_posts.err());
    std::map<event_id, post_state> request_of(request_posts->begin(), request_posts->end());

    json_writer w;
    w.begin_object();
    w.key("community").decimal(c.value);
    member_fields(w, row);
    profile_fields(w, profile, false);
    w.key("role").string(role_name(r.member.member_role));
    w.key("suspended").boolean(row.suspended);
    w.key("balance").begin_object();
    w.key("balance_minutes").number(r.member.balance.value);
    w.key("pending_in_minutes").number(r.member.pending_in.value);
    w.key("pending_out_minutes").number(r.member.pending_out.value);
    w.key("credit_limit_minutes").number(balance->credit_limit.value);
    w.key("balance_max_minutes").number(balance->balance_max.value);
    w.end_object();
    w.key("posts").begin_array();
    for (const auto& [pid, p] : r.posts) {
        if (p.owner != id || p.status != post_status::open) continue;
        w.begin_object();
        w.key("id").string(pid.hex());
        w.key("type").string(p.is_offer ? "offer" : "request");
        w.key("category").string(category_name(p.what));
        w.key("intensity").string(intensity_name(p.how_often));
        w.key("area").string(p.area);
        w.key("availability").number(static_cast<std::int64_t>(p.availability));
        text_field(w, n, c, pid, p.text_digest);
        w.end_object();
    }
    w.end_array();
    for (const auto status : {match_status::proposed, match_status::accepted}) {
        w.key(status == match_status::proposed ? "proposals" : "matches").begin_array();
        for (const auto& [mid, x] : r.matches) {
            if (x.status != status) continue;
            const bool helping = x.helper == id;
            w.begin_object();
            w.key("match").string(mid.hex());
            w.key("request").string(x.request.hex());
            w.key("offer").string(x.offer.hex());
            w.key("my_part").string(helping ? "helper" : "requester");
            other_fields(w, helping ? x.requester : x.helper);
            if (auto q = request_of.find(x.request); q != request_of.end()) {
                w.key("category").string(category_name(q->second.what));
                w.key("intensity").string(intensity_name(q->second.how_often));
                w.key("availability").number(static_cast<std::int64_t>(q->second.availability));
            }
            w.key("proposed_at_ms").decimal_signed(x.proposed_time.value);
            w.end_object();
        }
        w.end_array();
    }
    // Confirmed exchanges the member has not yet thanked the other for (an endorsement), the
    // newest first, at most a few: what the home offers to endorse.
    w.key("to_endorse").begin_array();
    std::size_t offered = 0;
    for (auto it = r.claims.rbegin(); it != r.claims.rend() && offered < to_endorse_max; ++it) {
        const auto& [cid, x] = *it;
        if (x.status != claim_status::confirmed) continue;
        const bool claimant = x.claimant == id;
        if (x.endorsed & (claimant ? 1 : 2)) continue;
        ++offered;
        w.begin_object();
        w.key("claim").string(cid.hex());
        other_fields(w, claimant ? x.receiver : x.claimant);
        w.key("minutes").number(x.amount.value);
        w.key("confirmed_at_ms").decimal_signed(x.confirmed_at.value);
        w.end_object();
    }
    w.end_array();
    for (const bool receiving : {true, false}) {
        w.key(receiving ? "claims_to_confirm" : "claims_sent").begin_array();
        for (const auto& [cid, x] : r.claims) {
            if (x.status != claim_status::pending && x.status != claim_status::disputed) continue;
            if ((receiving ? x.receiver : x.claimant) != id) continue;
            w.begin_object();
            w.key("claim").string(cid.hex());
            other_fields(w, receiving ? x.claimant : x.receiver);
            w.key("minutes").number(x.amount.value);
            w.key("status").string(claim_status_name(x.status));
            text_field(w, n, c, cid, x.note_digest, "note");
            w.end_object();
        }
        w.end_array();
    }
    w.end_object();
    return private_answer(w);
}

http_response export_of(node& n, community_id c, member_id id, const http_response& reputation) {
    auto p = person_of(n, c, id);
    if (!p) return error_answer(p.err());
    auto texts = n.personal().texts_of(c, id);
    if (!texts) return error_answer(texts.err());
    const auto& [row, r, profile] = *p;

    json_writer w;
    w.begin_object();
    w.key("format").string("uurwerk-member-export/v1");
    w.key("community").decimal(c.value);
    member_fields(w, row);
    w.key("role").string(role_name(r.member.member_role));
    w.key("suspended").boolean(row.suspended);
    w.key("admitted_at_ms").decimal_signed(r.member.admitted_at.value);
    w.key("profile").begin_object();
    profile_fields(w, profile, true);
    w.end_object();
    w.key("balance").begin_object();
    w.key("balance_minutes").number(r.member.balance.value);
    w.key("pending_in_minutes").number(r.member.pending_in.value);
    w.key("pending_out_minutes").number(r.member.pending_out.value);
    w.key("confirmed_given_minutes").number(r.member.confirmed_given.value);
    w.end_object();

    w.key("posts").begin_array();
    for (const auto& [pid, p] : r.posts) {
        w.begin_object();
        w.key("id").string(pid.hex());
        w.key("type").string(p.is_offer ? "offer" : "request");
        w.key("category").string(category_name(p.what));
        w.key("how_often").string(intensity_name(p.how_often));
        w.key("area").string(p.area);
        w.key("status").string(post_status_name(p.status));
        w.key("posted_at_ms").decimal_signed(p.posted_time.value);
        text_field(w, n, c, pid, p.text_digest);
        w.end_object();
    }
    w.end_array();
    w.key("claims").begin_array();
    for (const auto& [cid, x] : r.claims) {
        w.begin_object();
        w.key("id").string(cid.hex());
        w.key("claimant").decimal(x.claimant.value);
        w.key("receiver").decimal(x.receiver.value);
        w.key("minutes").number(x.amount.value);
        w.key("status").string(claim_status_name(x.status));
        w.key("confirmed_at_ms").decimal_signed(x.confirmed_at.value);
        // What the help was (the request, offer or proposal the claim names), when it names one.
        std::optional<category> what;
        if (auto claimed = n.record_at(c, x.claimed_at)) what = help_category_of(n, c, *claimed);
        if (what)
            w.key("category").string(category_name(*what));
        else
            w.key("category").null();
        // The reasons given when it was disputed or reversed (null when none, or deleted).
        for (const auto& [key, reason] : {std::pair{"dispute_reason", &x.dispute_reason},
                                          std::pair{"reversal_reason", &x.reversal_reason}}) {
            if (*reason)
                text_field(w, n, c, (*reason)->event, (*reason)->commitment, key);
            else
                w.key(key).null();
        }
        w.end_object();
    }
    w.end_array();
    w.key("transfers").begin_array();
    for (const auto& [tid, x] : r.transfers) {
        w.begin_object();
        w.key("id").string(tid.hex());
        w.key("from").decimal(x.from.value);
        w.key("to").decimal(x.to.value);
        w.key("minutes").number(x.amount.value);
        w.key("reversed").boolean(x.reversed);
        w.end_object();
    }
    w.end_array();
    w.key("matches").begin_array();
    for (const auto& [mid, x] : r.matches) {
        w.begin_object();
        w.key("id").string(mid.hex());
        w.key("request").string(x.request.hex());
        w.key("offer").string(x.offer.hex());
        w.key("requester").decimal(x.requester.value);
        w.key("helper").decimal(x.helper.value);
        w.key("status").string(match_status_name(x.status));
        w.key("proposed_at_ms").decimal_signed(x.proposed_time.value);
        w.key("ended_at_ms").decimal_signed(x.ended_time.value);
        w.end_object();
    }
    w.end_array();
    w.key("delegations").begin_array();
    for (const auto& [pair, d] : r.delegations) {
        w.begin_object();
        w.key("grantor").decimal(pair.first.value);
        w.key("delegate").decimal(pair.second.value);
        kinds_field(w, d.kinds);
        w.key("until_ms").decimal_signed(d.until.value);
        w.key("proxy").boolean(d.proxy);
        w.end_object();
    }
    w.end_array();
    w.key("endorsements").begin_array();
    for (const auto& [eid, x] : r.endorsements) {
        w.begin_object();
        w.key("id").string(eid.hex());
        w.key("from").decimal(x.from.value);
        w.key("to").decimal(x.to.value);
        w.key("claim").string(x.claim.hex());
        w.key("at_ms").decimal_signed(x.at.value);
        w.end_object();
    }
    w.end_array();
    // Every personal text the node keeps that the member wrote or that is about them (posts'
    // texts, notes, reasons, endorsements, profiles), by the event that committed to it.
    w.key("texts").begin_array();
    for (const auto& t : *texts) {
        w.begin_object();
        w.key("event").string(t.id.hex());
        w.key("commitment").string(t.commitment.hex());
        w.key("text").string(t.text.text);
        w.end_object();
    }
    w.end_array();

    w.key("history").begin_array();
    offset from{0};
    std::size_t lines = 0;
    bool complete = true;
    while (true) {
        auto page = read_history(n.projections(c), c, id, from, history_page_max);
        if (!page) return error_answer(page.err());
        for (const auto& h : *page) {
            if (lines == export_history_max) {
                complete = false;
                break;
            }
            w.raw(history_row(h, {}));
            ++lines;
            from = offset{h.at.value + 1};
        }
        if (!complete || page->size() < history_page_max) break;
    }
    w.end_array();
    w.key("history_complete").boolean(complete);
    if (!complete) w.key("history_next").decimal(from.value);
    w.key("reputation");
    if (reputation.status == 200)
        w.raw(reputation.body);
    else
        w.null();
    w.end_object();
    auto answer = private_answer(w);
    answer.headers.emplace_back("Content-Disposition", "attachment; filename=\"uurwerk-member-" +
                                                           std::to_string(id.value) + ".json\"");
    return answer;
}

http_response delegations(node& n, community_id c, member_id m, time_ms now) {
    auto all = query::delegations(n.folder(c), c, m, now);
    if (!all) return error_answer(all.err());
    json_writer w;
    w.begin_object();
    w.key("member").decimal(m.value);
    // Those m acts for (m the delegate), then those who act for m (m the grantor): each with
    // the other person's display name.
    for (const bool m_is_delegate : {true, false}) {
        w.key(m_is_delegate ? "acts_for" : "acted_for_by").begin_array();
        for (const auto& [pair, d] : *all) {
            if ((pair.second == m) != m_is_delegate) continue;
            const member_id other = m_is_delegate ? pair.first : pair.second;
            w.begin_object();
            w.key("member").decimal(other.value);
            auto row = query::member(n.folder(c), c, other);
            if (!row) return error_answer(row.err());
            auto profile = profile_of(n, c, *row);
            if (!profile) return error_answer(profile.err());
            if (*profile)
                w.key("display_name").string((*profile)->name);
            else
                w.key("display_name").null();
            kinds_field(w, d.kinds);
            w.key("until_ms").decimal_signed(d.until.value);
            w.key("proxy").boolean(d.proxy);
            w.end_object();
        }
        w.end_array();
    }
    w.end_object();
    return private_answer(w);
}

}  // namespace uurwerk::member_routes
