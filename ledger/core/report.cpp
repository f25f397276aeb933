#include "ledger/core/report.h"

#include <algorithm>
#include <array>

namespace uurwerk {
namespace {

constexpr std::array<std::string_view, report_kind_count> report_names_in_order{
    "hours", "transactions", "inactive", "unanswered", "unproposed", "impact"};

// Ms since 1970 below 2^53: what a JSON number holds exactly, and far beyond any log's time.
constexpr std::uint64_t time_ms_limit = std::uint64_t{1} << 53;

// The civil month (UTC) of `t` as year * 12 + (month - 1) (H. Hinnant's days_from_civil,
// inverted), for times from 1970 on.
std::int64_t month_of(time_ms t) {
    const std::int64_t days = t.value / day_ms;
    const std::int64_t z = days + 719468;
    const std::int64_t era = z / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    return y * 12 + (m - 1);
}

std::string month_text(std::int64_t month) {
    const std::int64_t y = month / 12, m = month % 12 + 1;
    std::string out = std::to_string(y) + "-";
    if (m < 10) out += '0';
    return out + std::to_string(m);
}

constexpr std::string_view no_category = "none";

std::string_view category_text(const std::optional<category>& c) {
    return c ? category_name(*c) : no_category;
}

std::int64_t member_cell(member_id m) {
    return static_cast<std::int64_t>(m.value);
}

std::vector<std::string_view> columns_of(report_kind k) {
    switch (k) {
        case report_kind::hours:
            return {"month", "member", "category", "minutes_given", "minutes_received"};
        case report_kind::transactions:
            return {"logged_at_ms", "leaf", "kind", "id", "from", "to", "minutes", "category"};
        case report_kind::inactive:
            return {"member", "last_active_ms", "days_inactive"};
        case report_kind::unanswered:
            return {"request",  "leaf",      "posted_at_ms", "member",
                    "category", "proposals", "days_waiting"};
        case report_kind::unproposed:
            return {"offer", "leaf", "posted_at_ms", "member", "category", "days_waiting"};
        case report_kind::impact:
            return {"matches_made", "minutes_given", "active_helpers", "people_helped"};
    }
    UURWERK_ASSERT(false, static_cast<int>(k));
    return {};
}

}  // namespace

std::string_view report_name(report_kind k) {
    const auto i = static_cast<std::size_t>(k);
    UURWERK_ASSERT(i < report_kind_count, i);
    return report_names_in_order[i];
}

std::optional<report_kind> report_from_name(std::string_view name) {
    for (std::size_t i = 0; i < report_kind_count; ++i)
        if (report_names_in_order[i] == name) return static_cast<report_kind>(i);
    return std::nullopt;
}

std::string report_names() {
    std::string out;
    for (auto n : report_names_in_order) out += (out.empty() ? "" : ", ") + std::string(n);
    return out;
}

result<report_params> check_report_params(report_kind kind, community_id c,
                                          std::optional<std::uint64_t> from_ms,
                                          std::optional<std::uint64_t> to_ms,
                                          std::optional<std::uint64_t> days) {
    const auto bad = [](std::string why) {
        return make_error(errc::bad_report_range, std::move(why));
    };
    if (!from_ms || !to_ms)
        return bad("a report needs a range: from_ms and to_ms (ms since 1970, to_ms exclusive)");
    if (*from_ms >= time_ms_limit || *to_ms >= time_ms_limit)
        return bad("from_ms and to_ms are ms since 1970, below 2^53");
    if (*from_ms >= *to_ms) return bad("from_ms must be before to_ms");
    if (*to_ms - *from_ms > static_cast<std::uint64_t>(report_range_ms_max))
        return bad("a report covers at most five years (" + std::to_string(report_range_ms_max) +
                   " ms)");
    report_params p;
    p.kind = kind;
    p.community = c;
    p.from = time_ms{static_cast<std::int64_t>(*from_ms)};
    p.to = time_ms{static_cast<std::int64_t>(*to_ms)};
    if (kind == report_kind::inactive) {
        if (!days || *days < 1 || *days > inactive_days_max)
            return bad("the inactive report needs days, from 1 to " +
                       std::to_string(inactive_days_max));
        p.days = static_cast<std::uint32_t>(*days);
    } else if (days) {
        return bad("only the inactive report takes days");
    }
    return p;
}

report_builder::report_builder(const report_params& params) : params_(params) {}

void report_builder::active(member_id m, time_ms t) {
    if (m == community_fund) return;
    auto it = members_.find(m);
    if (it != members_.end()) it->second.last_active = std::max(it->second.last_active, t);
}

void report_builder::settle(member_id helper, member_id receiver, minutes amount,
                            std::optional<category> what, time_ms t) {
    const std::string_view w = category_text(what);
    const std::int64_t month = month_of(t);
    hours_[hours_key{month, helper.value, w}].given += amount.value;
    hours_[hours_key{month, receiver.value, w}].received += amount.value;
    minutes_given_ += amount.value;
}

void report_builder::add(const event_body& b, reject_reason verdict, time_ms at) {
    const std::uint64_t leaf = leaves_++;
    if (verdict != reject_reason::none || at >= params_.to) return;
    UURWERK_ASSERT(b.community == params_.community, b.community.value, params_.community.value);
    const bool counted = in_range(at);
    const member_id actor = b.actor();
    active(actor, at);
    const auto id_text = [&] { return b.id.hex(); };
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, community_founded>) {
                members_[b.author] = member_state{at, false};
            } else if constexpr (std::is_same_v<T, member_admitted>) {
                members_[x.member] = member_state{at, false};
            } else if constexpr (std::is_same_v<T, invitation_issued>) {
                invitations_[b.id] = {x.member, x.purpose};
            } else if constexpr (std::is_same_v<T, invitation_redeemed>) {
                auto it = invitations_.find(x.invitation);
                if (it != invitations_.end() && it->second.second == invitation_purpose::join)
                    members_[it->second.first] = member_state{at, false};
            } else if constexpr (std::is_same_v<T, member_left>) {
                if (auto it = members_.find(x.member); it != members_.end()) it->second.left = true;
            } else if constexpr (std::is_same_v<T, offer_posted> ||
                                 std::is_same_v<T, request_posted>) {
                post_state p;
                p.author = actor;
                p.what = x.what;
                p.posted_at = at;
                p.leaf = leaf;
                p.request = std::is_same_v<T, request_posted>;
                posts_[b.id] = p;
                if (counted) post_order_.push_back(b.id);
            } else if constexpr (std::is_same_v<T, post_withdrawn> ||
                                 std::is_same_v<T, post_hidden>) {
                if (auto it = posts_.find(x.post); it != posts_.end()) it->second.open = false;
            } else if constexpr (std::is_same_v<T, match_proposed>) {
                proposals_[b.id] = proposal_state{x.request, x.offer, x.helper};
                for (const auto* post : {&x.request, &x.offer})
                    if (auto it = posts_.find(*post); it != posts_.end()) ++it->second.proposals;
            } else if constexpr (std::is_same_v<T, match_accepted>) {
                auto it = proposals_.find(x.match);
                if (it == proposals_.end()) return;
                if (auto r = posts_.find(it->second.request); r != posts_.end())
                    r->second.answered = true;
                if (counted) ++matches_made_;
            } else if constexpr (std::is_same_v<T, hours_claimed>) {
                claim_state cl{actor, x.receiver, x.amount, std::nullopt, false};
                // The claim names a post, or a match (its request's category).
                std::optional<event_id> post = x.post;
                if (post)
                    if (auto m = proposals_.find(*post); m != proposals_.end())
                        post = m->second.request;
                if (post)
                    if (auto it = posts_.find(*post); it != posts_.end()) cl.what = it->second.what;
                claims_[b.id] = cl;
            } else if constexpr (std::is_same_v<T, hours_confirmed>) {
                auto it = claims_.find(x.claim);
                UURWERK_ASSERT(it != claims_.end(), b.id.hex());  // the rules accepted it
                auto& cl = it->second;
                cl.confirmed = true;
                if (!counted) return;
                settle(cl.helper, cl.receiver, cl.amount, cl.what, at);
                helpers_.insert(cl.helper);
                helped_.insert(cl.receiver);
                row({at.value, static_cast<std::int64_t>(leaf), std::string("claim"), id_text(),
                     member_cell(cl.receiver), member_cell(cl.helper), cl.amount.value,
                     std::string(category_text(cl.what))});
            } else if constexpr (std::is_same_v<T, transfer>) {
                transfers_[b.id] = transfer_state{actor, x.to, x.amount};
                if (counted)
                    row({at.value, static_cast<std::int64_t>(leaf), std::string("transfer"),
                         id_text(), member_cell(actor), member_cell(x.to), x.amount.value,
                         std::string(no_category)});
            } else if constexpr (std::is_same_v<T, reversal>) {
                if (!counted) return;
                if (auto it = claims_.find(x.target); it != claims_.end()) {
                    const auto& cl = it->second;
                    settle(cl.helper, cl.receiver, minutes{-cl.amount.value}, cl.what, at);
                    row({at.value, static_cast<std::int64_t>(leaf), std::string("reversal"),
                         id_text(), member_cell(cl.helper), member_cell(cl.receiver),
                         cl.amount.value, std::string(category_text(cl.what))});
                } else if (auto t = transfers_.find(x.target); t != transfers_.end()) {
                    row({at.value, static_cast<std::int64_t>(leaf), std::string("reversal"),
                         id_text(), member_cell(t->second.to), member_cell(t->second.from),
                         t->second.amount.value, std::string(no_category)});
                }
            }
        },
        b.payload);
}

report_table report_builder::finish(const report_checkpoint& at) const {
    UURWERK_ASSERT(leaves_ == at.tree_size, leaves_, at.tree_size);
    report_table t;
    t.params = params_;
    t.at = at;
    t.columns = columns_of(params_.kind);
    const auto days_since = [&](time_ms since) {
        return (params_.to.value - since.value) / day_ms;
    };
    const auto open_posts = [&](bool requests) {
        for (const auto& id : post_order_) {
            const auto& p = posts_.at(id);
            if (p.request != requests || !p.open) continue;
            if (auto m = members_.find(p.author); m != members_.end() && m->second.left) continue;
            if (requests ? p.answered : p.proposals > 0) continue;
            std::vector<report_cell> r{id.hex(), static_cast<std::int64_t>(p.leaf),
                                       p.posted_at.value, member_cell(p.author),
                                       std::string(category_name(p.what))};
            if (requests) r.emplace_back(static_cast<std::int64_t>(p.proposals));
            r.emplace_back(days_since(p.posted_at));
            t.rows.push_back(std::move(r));
        }
    };
    switch (params_.kind) {
        case report_kind::hours:
            for (const auto& [k, v] : hours_)
                t.rows.push_back({month_text(k.month), static_cast<std::int64_t>(k.member),
                                  std::string(k.what), v.given, v.received});
            break;
        case report_kind::transactions:
            t.rows = rows_;
            break;
        case report_kind::inactive: {
            const std::int64_t since = params_.to.value - std::int64_t{params_.days} * day_ms;
            std::vector<std::pair<member_id, member_state>> ms(members_.begin(), members_.end());
            std::sort(ms.begin(), ms.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
            for (const auto& [m, s] : ms)
                if (!s.left && s.last_active.value < since)
                    t.rows.push_back(
                        {member_cell(m), s.last_active.value, days_since(s.last_active)});
            break;
        }
        case report_kind::unanswered:
            open_posts(true);
            break;
        case report_kind::unproposed:
            open_posts(false);
            break;
        case report_kind::impact:
            t.rows.push_back({matches_made_, minutes_given_,
                              static_cast<std::int64_t>(helpers_.size()),
                              static_cast<std::int64_t>(helped_.size())});
            break;
    }
    return t;
}

result<report_table> report_of_export(const parsed_export& e, const std::set<public_key>& trusted,
                                      const report_params& p) {
    const auto body_of = [&](std::size_t i) -> result<std::pair<event_body, public_key>> {
        auto env = decode_envelope(e.records[i].envelope, form_check::trusted);
        if (!env)
            return make_error(errc::bad_export,
                              "record " + std::to_string(i) + ": " + env.err().message);
        auto b = decode_body(env->body, form_check::trusted);
        if (!b)
            return make_error(errc::bad_export,
                              "record " + std::to_string(i) + ": " + b.err().message);
        return std::pair{std::move(*b), env->signer};
    };
    // The last trusted checkpoint the ledger accepted, from the end.
    std::optional<report_checkpoint> at;
    for (std::size_t i = e.records.size(); i-- > 0 && !at;) {
        if (e.records[i].verdict != reject_reason::none) continue;
        auto b = body_of(i);
        if (!b) return b.err();
        if (const auto* cp = std::get_if<checkpoint>(&b->first.payload);
            cp != nullptr && trusted.contains(b->second))
            at = report_checkpoint{cp->tree_size, cp->root};
    }
    if (!at)
        return make_error(errc::no_checkpoint,
                          "the export holds no checkpoint signed by a trusted key: a report is "
                          "computed at one");
    UURWERK_ASSERT(at->tree_size <= e.records.size(), at->tree_size, e.records.size());
    report_builder fold(p);
    for (std::uint64_t i = 0; i < at->tree_size; ++i) {
        auto b = body_of(i);
        if (!b) return b.err();
        fold.add(b->first, e.records[i].verdict, e.records[i].appended_at);
    }
    return fold.finish(*at);
}

namespace {

std::string csv_field(const report_cell& c) {
    if (const auto* n = std::get_if<std::int64_t>(&c)) return std::to_string(*n);
    // Every text of a report is a name, an id in hex or a month: no comma, quote or line end.
    const auto& s = std::get<std::string>(c);
    UURWERK_ASSERT(s.find_first_of(",\"\r\n") == std::string::npos, s);
    return s;
}

std::string json_string(std::string_view s) {
    // As csv_field: the texts of a report are plain ASCII words, ids and months.
    for (char ch : s)
        UURWERK_ASSERT(ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\', static_cast<int>(ch));
    return "\"" + std::string(s) + "\"";
}

}  // namespace

std::string report_csv(const report_table& t) {
    std::string out = "# uurwerk report " + std::string(report_name(t.params.kind)) +
                      ", community " + std::to_string(t.params.community.value) + ", from_ms " +
                      std::to_string(t.params.from.value) + ", to_ms " +
                      std::to_string(t.params.to.value);
    if (t.params.kind == report_kind::inactive) out += ", days " + std::to_string(t.params.days);
    out += ", checkpoint tree_size " + std::to_string(t.at.tree_size) + " root " + t.at.root.hex() +
           "\r\n";
    for (std::size_t i = 0; i < t.columns.size(); ++i)
        out += (i ? "," : "") + std::string(t.columns[i]);
    out += "\r\n";
    for (const auto& r : t.rows) {
        UURWERK_ASSERT(r.size() == t.columns.size(), r.size(), t.columns.size());
        for (std::size_t i = 0; i < r.size(); ++i) out += (i ? "," : "") + csv_field(r[i]);
        out += "\r\n";
    }
    return out;
}

std::string report_json(const report_table& t) {
    std::string out = "{\"report\":" + json_string(report_name(t.params.kind)) +
                      ",\"community\":" + std::to_string(t.params.community.value) +
                      ",\"from_ms\":" + std::to_string(t.params.from.value) +
                      ",\"to_ms\":" + std::to_string(t.params.to.value);
    if (t.params.kind == report_kind::inactive) out += ",\"days\":" + std::to_string(t.params.days);
    out += ",\"checkpoint\":{\"tree_size\":" + std::to_string(t.at.tree_size) +
           ",\"root\":" + json_string(t.at.root.hex()) + "},\"columns\":[";
    for (std::size_t i = 0; i < t.columns.size(); ++i)
        out += (i ? "," : "") + json_string(t.columns[i]);
    out += "],\"rows\":[";
    for (std::size_t j = 0; j < t.rows.size(); ++j) {
        out += j ? ",[" : "[";
        const auto& r = t.rows[j];
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (i) out += ',';
            if (const auto* n = std::get_if<std::int64_t>(&r[i]))
                out += std::to_string(*n);
            else
                out += json_string(std::get<std::string>(r[i]));
        }
        out += ']';
    }
    out += "]}";
    return out;
}

}  // namespace uurwerk
