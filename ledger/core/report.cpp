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
    const std::int64_t days = t.value / report_day_ms;
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

// The first ms of `month` (as month_of counts them: year * 12 + month - 1), by H. Hinnant's
// days_from_civil.
std::int64_t month_start_ms(std::int64_t month) {
    const std::int64_t m = month % 12 + 1;
    const std::int64_t y = month / 12 - (m <= 2 ? 1 : 0);
    const std::int64_t era = y / 400;
    const std::int64_t yoe = y - era * 400;
    const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (era * 146097 + doe - 719468) * report_day_ms;
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

std::vector<impact_range> impact_page_ranges(community_id c, time_ms at) {
    UURWERK_ASSERT(at.value >= 0, at.value);
    const std::int64_t last = month_of(at);
    // Never a month before 1970, where the log's clock starts (fewer months then).
    const std::int64_t first =
        std::max(last - static_cast<std::int64_t>(impact_page_months) + 1, month_of(time_ms{0}));
    const auto range = [&](std::int64_t from_month, std::int64_t to_month) {
        report_params p;
        p.kind = report_kind::impact;
        p.community = c;
        p.from = time_ms{month_start_ms(from_month)};
        p.to = time_ms{month_start_ms(to_month + 1)};
        return p;
    };
    std::vector<impact_range> out;
    out.reserve(impact_page_months + 1);
    for (std::int64_t m = first; m <= last; ++m) out.push_back({month_text(m), range(m, m)});
    out.push_back({std::string{}, range(first, last)});
    return out;
}

report_facts::post_fact* report_facts::post(const event_id& id) {
    auto it = post_index_.find(id);
    return it == post_index_.end() ? nullptr : &posts_[it->second];
}

void report_facts::add(const event_body& b, reject_reason verdict, time_ms at) {
    const std::uint64_t leaf = leaves_++;
    if (verdict != reject_reason::none) return;
    UURWERK_ASSERT(b.community == community_, b.community.value, community_.value);
    const member_id actor = b.actor();
    if (auto m = members_.find(actor); m != members_.end() && actor != community_fund)
        m->second.active_at.push_back(at.value);
    const auto admit = [&](member_id m) { members_[m].active_at.push_back(at.value); };
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, community_founded>) {
                admit(b.author);
            } else if constexpr (std::is_same_v<T, member_admitted>) {
                admit(x.member);
            } else if constexpr (std::is_same_v<T, invitation_issued>) {
                invitations_[b.id] = {x.member, x.purpose};
            } else if constexpr (std::is_same_v<T, invitation_redeemed>) {
                auto it = invitations_.find(x.invitation);
                if (it != invitations_.end() && it->second.second == invitation_purpose::join)
                    admit(it->second.first);
            } else if constexpr (std::is_same_v<T, member_left>) {
                if (auto it = members_.find(x.member); it != members_.end())
                    it->second.left_at = at.value;
            } else if constexpr (std::is_same_v<T, offer_posted> ||
                                 std::is_same_v<T, request_posted>) {
                post_index_[b.id] = posts_.size();
                posts_.push_back(
                    post_fact{b.id, leaf, at, actor, x.what, std::is_same_v<T, request_posted>});
            } else if constexpr (std::is_same_v<T, post_withdrawn> ||
                                 std::is_same_v<T, post_hidden>) {
                if (auto* p = post(x.post)) p->closed_at = std::min(p->closed_at, at.value);
            } else if constexpr (std::is_same_v<T, match_proposed>) {
                proposal_request_[b.id] = x.request;
                for (const auto* id : {&x.request, &x.offer})
                    if (auto* p = post(*id)) p->proposed_at.push_back(at.value);
            } else if constexpr (std::is_same_v<T, match_accepted>) {
                auto it = proposal_request_.find(x.match);
                if (it == proposal_request_.end()) return;
                if (auto* p = post(it->second)) p->answered_at = std::min(p->answered_at, at.value);
                accepted_at_.push_back(at.value);
            } else if constexpr (std::is_same_v<T, hours_claimed>) {
                claim_fact cl{actor, x.receiver, x.amount, std::nullopt};
                // The claim names a post, or a match (its request's category).
                std::optional<event_id> named = x.post;
                if (named)
                    if (auto m = proposal_request_.find(*named); m != proposal_request_.end())
                        named = m->second;
                if (named)
                    if (auto* p = post(*named)) {
                        cl.what = p->what;
                        cl.post = named;
                    }
                claims_[b.id] = cl;
            } else if constexpr (std::is_same_v<T, hours_confirmed>) {
                auto it = claims_.find(x.claim);
                UURWERK_ASSERT(it != claims_.end(), b.id.hex());  // the rules accepted it
                const auto& cl = it->second;
                // Help given for a request answers it, matched or not.
                if (cl.post)
                    if (auto* p = post(*cl.post); p != nullptr && p->request)
                        p->answered_at = std::min(p->answered_at, at.value);
                exchanges_.push_back(exchange_fact{at, leaf, exchange_kind::claim, true, b.id,
                                                   cl.receiver, cl.helper, cl.amount, cl.what});
            } else if constexpr (std::is_same_v<T, transfer>) {
                transfers_[b.id] = transfer_fact{actor, x.to, x.amount};
                exchanges_.push_back(exchange_fact{at, leaf, exchange_kind::transfer, false, b.id,
                                                   actor, x.to, x.amount, std::nullopt});
            } else if constexpr (std::is_same_v<T, reversal>) {
                if (auto it = claims_.find(x.target); it != claims_.end()) {
                    const auto& cl = it->second;
                    exchanges_.push_back(exchange_fact{at, leaf, exchange_kind::reversal, true,
                                                       b.id, cl.helper, cl.receiver, cl.amount,
                                                       cl.what});
                } else if (auto t = transfers_.find(x.target); t != transfers_.end()) {
                    exchanges_.push_back(exchange_fact{at, leaf, exchange_kind::reversal, false,
                                                       b.id, t->second.to, t->second.from,
                                                       t->second.amount, std::nullopt});
                }
            }
        },
        b.payload);
}

report_table report_facts::report(const report_params& p, const report_checkpoint& at) const {
    UURWERK_ASSERT(leaves_ == at.tree_size, leaves_, at.tree_size);
    UURWERK_ASSERT(p.community == community_, p.community.value, community_.value);
    report_table t;
    t.params = p;
    t.at = at;
    t.columns = columns_of(p.kind);
    const auto in_range = [&](std::int64_t ms) { return ms >= p.from.value && ms < p.to.value; };
    const auto before_end = [&](std::int64_t ms) { return ms < p.to.value; };
    const auto days_since = [&](std::int64_t ms) { return (p.to.value - ms) / report_day_ms; };
    const auto cell = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
    const auto open_posts = [&](bool requests) {
        for (const auto& post : posts_) {
            if (post.request != requests || !in_range(post.posted_at.value)) continue;
            if (before_end(post.closed_at)) continue;
            if (auto m = members_.find(post.author);
                m != members_.end() && before_end(m->second.left_at))
                continue;
            const auto proposals =
                std::count_if(post.proposed_at.begin(), post.proposed_at.end(), before_end);
            if (requests ? before_end(post.answered_at) : proposals > 0) continue;
            std::vector<report_cell> r{post.id.hex(), cell(post.leaf), post.posted_at.value,
                                       member_cell(post.author),
                                       std::string(category_name(post.what))};
            if (requests) r.emplace_back(static_cast<std::int64_t>(proposals));
            r.emplace_back(days_since(post.posted_at.value));
            t.rows.push_back(std::move(r));
        }
    };
    switch (p.kind) {
        case report_kind::hours: {
            struct key {
                std::int64_t month;
                std::uint64_t member;
                std::string_view what;
                auto operator<=>(const key&) const = default;
            };
            std::map<key, std::pair<std::int64_t, std::int64_t>> sums;  // given, received
            for (const auto& x : exchanges_) {
                if (!x.help || !in_range(x.at.value)) continue;
                const std::int64_t month = month_of(x.at),
                                   sign = x.kind == exchange_kind::reversal ? -1 : 1;
                const member_id helper = sign > 0 ? x.to : x.from;
                const member_id receiver = sign > 0 ? x.from : x.to;
                const auto what = category_text(x.what);
                sums[key{month, helper.value, what}].first += sign * x.amount.value;
                sums[key{month, receiver.value, what}].second += sign * x.amount.value;
            }
            for (const auto& [k, v] : sums)
                t.rows.push_back(
                    {month_text(k.month), cell(k.member), std::string(k.what), v.first, v.second});
            break;
        }
        case report_kind::transactions: {
            static constexpr std::array<std::string_view, 3> kinds{"claim", "transfer", "reversal"};
            for (const auto& x : exchanges_)
                if (in_range(x.at.value))
                    t.rows.push_back({x.at.value, cell(x.leaf),
                                      std::string(kinds[static_cast<std::size_t>(x.kind)]),
                                      x.id.hex(), member_cell(x.from), member_cell(x.to),
                                      x.amount.value,
                                      std::string(x.help ? category_text(x.what) : no_category)});
            break;
        }
        case report_kind::inactive: {
            const std::int64_t since = p.to.value - std::int64_t{p.days} * report_day_ms;
            std::vector<std::pair<member_id, std::int64_t>> last;
            for (const auto& [m, f] : members_) {
                if (before_end(f.left_at)) continue;
                // The log's clock need not only go forward: the latest time before the end.
                std::int64_t latest = never;
                for (auto ms : f.active_at)
                    if (before_end(ms) && (latest == never || ms > latest)) latest = ms;
                if (latest != never && latest < since) last.emplace_back(m, latest);
            }
            std::sort(last.begin(), last.end());
            for (const auto& [m, ms] : last) t.rows.push_back({member_cell(m), ms, days_since(ms)});
            break;
        }
        case report_kind::unanswered:
            open_posts(true);
            break;
        case report_kind::unproposed:
            open_posts(false);
            break;
        case report_kind::impact: {
            // Net minutes each member gave and received in the range: a helper whose every
            // claim there was reversed helped no one, as far as the figures go.
            std::int64_t given = 0;
            std::unordered_map<member_id, std::int64_t> gave, got;
            for (const auto& x : exchanges_) {
                if (!x.help || !in_range(x.at.value)) continue;
                // A claim pays its helper (to) from its receiver (from); its reversal the other
                // way round.
                const bool back = x.kind == exchange_kind::reversal;
                const std::int64_t m = back ? -x.amount.value : x.amount.value;
                given += m;
                gave[back ? x.from : x.to] += m;
                got[back ? x.to : x.from] += m;
            }
            const auto positive = [&cell](const auto& net) {
                return cell(static_cast<std::size_t>(std::count_if(
                    net.begin(), net.end(), [](const auto& kv) { return kv.second > 0; })));
            };
            const auto matches = std::count_if(accepted_at_.begin(), accepted_at_.end(),
                                               [&](std::int64_t ms) { return in_range(ms); });
            t.rows.push_back(
                {static_cast<std::int64_t>(matches), given, positive(gave), positive(got)});
            break;
        }
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
    report_facts facts(e.community);
    for (std::uint64_t i = 0; i < at->tree_size; ++i) {
        auto b = body_of(i);
        if (!b) return b.err();
        facts.add(b->first, e.records[i].verdict, e.records[i].appended_at);
    }
    return facts.report(p, *at);
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
