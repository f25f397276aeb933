#include "projections/query.h"

#include <algorithm>

#include "ledger/core/crypto.h"
#include "ledger/core/fairness_knobs.h"
#include "projections/fit.h"

namespace uurwerk::query {
namespace {

std::string community_text(community_id c) {
    return "community " + std::to_string(c.value);
}

error no_community(community_id c) {
    return make_error(errc::unknown_community, community_text(c) + " does not exist");
}

error no_member(community_id c, member_id m) {
    return make_error(errc::unknown_member,
                      "member " + std::to_string(m.value) + " is not in " + community_text(c));
}

// Runs `fn` on community `c` under the state lock, or answers unknown_community.
template <typename T, typename Fn>
result<T> with_community(const projector& p, community_id c, Fn&& fn) {
    return p.read_state([&](const ledger_state& s) -> result<T> {
        auto it = s.communities.find(c);
        if (it == s.communities.end()) return no_community(c);
        return fn(it->second);
    });
}

// The same, with the community's matching projection (its queues) too.
template <typename T, typename Fn>
result<T> with_community_matching(const projector& p, community_id c, Fn&& fn) {
    return p.read_state([&](const ledger_state& s, const matching_state& m) -> result<T> {
        auto it = s.communities.find(c);
        if (it == s.communities.end()) return no_community(c);
        return fn(it->second, m.communities.at(c));
    });
}

// The page's posts, looked up in `c`, copied in the page's order.
std::vector<ranked_post> copy_page(const community_state& c,
                                   const std::vector<ranked_post_ref>& page) {
    std::vector<ranked_post> out;
    out.reserve(page.size());
    for (const auto& ref : page) {
        const auto& p = c.posts.at(ref.id);
        out.push_back({ref.id, p.owner, ref.relevance, p.how_often, p.area, p.availability,
                       p.text_digest, p.posted_at});
    }
    return out;
}

// A member as the listings show them: a former member is not also "suspended".
member_row row_of(member_id id, const member_state& m) {
    return {id,     m.member_role,   m.verified,      m.suspended && !m.left,
            m.left, m.profile_event, m.profile_digest};
}

// The delegations of `cs` that member `m` granted or holds, by (grantor, delegate).
std::vector<member_delegation> delegations_in(const community_state& cs, member_id m) {
    std::vector<member_delegation> out;
    for (const auto& [pair, d] : cs.delegations)
        if (pair.first == m || pair.second == m) out.emplace_back(pair, d);
    return out;
}

// The invitation `id` of `cs` when `code` is its code; one answer for an unknown id and a wrong
// code (invitation_unknown), so that a guess learns nothing.
result<const invitation_state*> invitation_in(const community_state& cs, community_id c,
                                              const event_id& id, const invitation_code& code) {
    auto it = cs.invitations.find(id);
    if (it == cs.invitations.end() || invitation_code_digest(code) != it->second.code_digest)
        return make_error(errc::invitation_unknown,
                          "no invitation " + id.hex() + " of " + community_text(c) +
                              " has this code: check the link, or ask your coordinator for a new "
                              "invitation");
    return &it->second;
}

// Everything community `cs` holds about member `m` (whose state is `ms`): a scan.
member_records records_in(const community_state& cs, member_id m, const member_state& ms) {
    member_records out;
    out.member = ms;
    for (const auto& [id, x] : cs.posts)
        if (x.owner == m) out.posts.emplace_back(id, x);
    for (const auto& [id, x] : cs.claims)
        if (x.claimant == m || x.receiver == m) out.claims.emplace_back(id, x);
    for (const auto& [id, x] : cs.transfers)
        if (x.from == m || x.to == m) out.transfers.emplace_back(id, x);
    for (const auto& [id, x] : cs.matches)
        if (x.requester == m || x.helper == m) out.matches.emplace_back(id, x);
    out.delegations = delegations_in(cs, m);
    for (const auto& [id, x] : cs.endorsements)
        if (x.from == m || x.to == m) out.endorsements.emplace_back(id, x);
    return out;
}

}  // namespace

std::size_t community_count(const projector& p) {
    return p.read_state([](const ledger_state& s) { return s.communities.size(); });
}

bool community_exists(const projector& p, community_id c) {
    return p.read_state([&](const ledger_state& s) { return s.communities.contains(c); });
}

result<community_view> community(const projector& p, community_id c) {
    return with_community<community_view>(p, c, [](const community_state& cs) {
        return community_view{cs.name, cs.rules, resolved(cs.rules.fairness), cs.members.size(),
                              cs.fund};
    });
}

namespace {
// The members of `cs` after `after`, at most `limit`, each made a row by `row`.
template <typename Row, typename MakeRow>
member_page<Row> page_of_members(const community_state& cs, member_id after, std::size_t limit,
                                 MakeRow&& row) {
    UURWERK_ASSERT(limit > 0);
    member_page<Row> out;
    out.rows.reserve(std::min(limit, cs.members.size()));
    auto it = cs.members.upper_bound(after);
    for (; it != cs.members.end() && out.rows.size() < limit; ++it)
        out.rows.push_back(row(it->first, it->second));
    out.more = it != cs.members.end();
    return out;
}
}  // namespace

result<member_page<member_row>> members(const projector& p, community_id c, member_id after,
                                        std::size_t limit) {
    return with_community<member_page<member_row>>(p, c, [&](const community_state& cs) {
        return page_of_members<member_row>(cs, after, limit, row_of);
    });
}

result<member_page<roster_row>> roster(const projector& p, community_id c, time_ms now,
                                       member_id after, std::size_t limit) {
    using page = member_page<roster_row>;
    return with_community<page>(p, c, [&](const community_state& cs) {
        page out = page_of_members<roster_row>(cs, after, limit, [](member_id id, const auto& m) {
            return roster_row{row_of(id, m), m.balance, m.last_active, 0, {}, {}};
        });
        // The page's row of member `m`, if it is on this page (the rows are in id order).
        const auto row_for = [&out](member_id m) -> roster_row* {
            auto it =
                std::lower_bound(out.rows.begin(), out.rows.end(), m,
                                 [](const roster_row& r, member_id id) { return r.row.id < id; });
            return it != out.rows.end() && it->row.id == m ? &*it : nullptr;
        };
        for (const auto& [key, k] : cs.keys)
            if (auto* r = row_for(k.owner); !k.revoked && !k.node && r) ++r->live_keys;
        for (const auto& [pair, d] : cs.delegations) {
            if (!d.in_force_at(now)) continue;
            const auto [grantor, delegate] = pair;
            if (auto* r = row_for(delegate)) r->acts_for.push_back(grantor);
            if (auto* r = row_for(grantor)) r->acted_for_by.push_back(delegate);
        }
        return out;
    });
}

result<member_row> member(const projector& p, community_id c, member_id m) {
    return with_community<member_row>(p, c, [&](const community_state& cs) -> result<member_row> {
        auto it = cs.members.find(m);
        if (it == cs.members.end()) return no_member(c, m);
        return row_of(m, it->second);
    });
}

result<member_records> records_of(const projector& p, community_id c, member_id m) {
    return with_community<member_records>(p, c,
                                          [&](const community_state& cs) -> result<member_records> {
                                              auto it = cs.members.find(m);
                                              if (it == cs.members.end()) return no_member(c, m);
                                              return records_in(cs, m, it->second);
                                          });
}

result<std::vector<member_delegation>> delegations(const projector& p, community_id c, member_id m,
                                                   time_ms now) {
    return with_community<std::vector<member_delegation>>(
        p, c, [&](const community_state& cs) -> result<std::vector<member_delegation>> {
            if (!cs.members.contains(m)) return no_member(c, m);
            auto all = delegations_in(cs, m);
            std::erase_if(all,
                          [&](const member_delegation& d) { return !d.second.in_force_at(now); });
            return all;
        });
}

result<invitation_state> invitation(const projector& p, community_id c, const event_id& id,
                                    const invitation_code& code) {
    return with_community<invitation_state>(
        p, c, [&](const community_state& cs) -> result<invitation_state> {
            auto found = invitation_in(cs, c, id, code);
            if (!found) return found.err();
            return **found;
        });
}

result<invitation_list> invitations(const projector& p, community_id c, time_ms now) {
    return with_community<invitation_list>(p, c, [&](const community_state& cs) {
        invitation_list out;
        std::uint64_t highest = cs.members.empty() ? 0 : cs.members.rbegin()->first.value;
        out.invitations.reserve(cs.invitations.size());
        for (const auto& [id, inv] : cs.invitations) {
            out.invitations.emplace_back(id, inv);
            if (inv.purpose == invitation_purpose::join && inv.open_at(now))
                highest = std::max(highest, inv.member.value);
        }
        out.next_member = member_id{highest + 1};
        return out;
    });
}

result<void> member_exists(const projector& p, community_id c, member_id m) {
    return p.read_state([&](const ledger_state& s) -> result<void> {
        auto it = s.communities.find(c);
        if (it == s.communities.end()) return no_community(c);
        if (!it->second.members.contains(m)) return no_member(c, m);
        return ok_value;
    });
}

result<balance_view> balance(const projector& p, community_id c, member_id m) {
    return with_community<balance_view>(
        p, c, [&](const community_state& cs) -> result<balance_view> {
            auto it = cs.members.find(m);
            if (it == cs.members.end()) return no_member(c, m);
            return balance_view{it->second, cs.rules.credit_limit, cs.rules.balance_max};
        });
}

result<key_state> key(const projector& p, community_id c, const public_key& k) {
    return with_community<key_state>(p, c, [&](const community_state& cs) -> result<key_state> {
        auto it = cs.keys.find(k);
        if (it == cs.keys.end())
            return make_error(errc::not_found,
                              "the key " + k.hex() + " is not registered in " + community_text(c));
        return it->second;
    });
}

result<claim_state> claim(const projector& p, community_id c, const event_id& id) {
    return with_community<claim_state>(p, c, [&](const community_state& cs) -> result<claim_state> {
        auto it = cs.claims.find(id);
        if (it == cs.claims.end())
            return make_error(errc::not_found, "no claim " + id.hex() + " in " + community_text(c));
        return it->second;
    });
}

result<std::vector<std::pair<event_id, post_state>>> posts(const projector& p, community_id c,
                                                           const std::vector<event_id>& ids) {
    using found = std::vector<std::pair<event_id, post_state>>;
    return with_community<found>(p, c, [&](const community_state& cs) -> result<found> {
        found out;
        for (const auto& id : ids)
            if (auto it = cs.posts.find(id); it != cs.posts.end()) out.emplace_back(id, it->second);
        return out;
    });
}

result<std::optional<category>> help_category(const projector& p, community_id c,
                                              const event_id& post_or_match) {
    using found = std::optional<category>;
    return with_community<found>(p, c, [&](const community_state& cs) -> result<found> {
        event_id post = post_or_match;
        if (auto m = cs.matches.find(post_or_match); m != cs.matches.end())
            post = m->second.request;
        if (auto it = cs.posts.find(post); it != cs.posts.end()) return found{it->second.what};
        return found{};
    });
}

result<ranked_page> candidates(const projector& p, community_id c, const event_id& request,
                               std::size_t limit) {
    return with_community_matching<ranked_page>(
        p, c, [&](const community_state& cs, const community_matching& cm) -> result<ranked_page> {
            auto post = cs.posts.find(request);
            if (post == cs.posts.end() || post->second.is_offer)
                return make_error(errc::not_found,
                                  "no request " + request.hex() + " in " + community_text(c));
            if (post->second.status != post_status::open)
                return make_error(errc::post_not_open, "the request is no longer open");
            auto best =
                best_fitting_offers(cm.queues, post->second.what,
                                    queued_request(cm.queues, request, post->second), limit);
            return ranked_page{best.fitting, copy_page(cs, best.best)};
        });
}

result<ranked_page> requests_for(const projector& p, community_id c, member_id m,
                                 std::size_t limit) {
    return with_community_matching<ranked_page>(
        p, c, [&](const community_state& cs, const community_matching& cm) -> result<ranked_page> {
            if (!cs.members.contains(m)) return no_member(c, m);
            // The member's open offers, then the open requests of their categories, each at the
            // best fit of any of those offers.
            const auto own = cm.queues.offers_of(m);
            best_posts best(limit);
            for (std::size_t i = 0; i < category_count; ++i) {
                const auto what = static_cast<category>(i);
                std::vector<queued_post> mine;
                for (const auto& o : own)
                    if (o.what == what) mine.push_back(o.post);
                if (mine.empty()) continue;
                cm.queues.open(post_side::request, what)
                    .for_each([&](const post_bucket& b, std::size_t k) {
                        const auto q = b.at(k);
                        if (q.owner == m || cm.queues.suspended(q.owner)) return;
                        double fit = 0;
                        for (const auto& o : mine) fit = std::max(fit, fit_queued(q, o));
                        if (fit > 0) best.show({fit, q.posted_at, q.id});
                    });
            }
            return ranked_page{own.size(), copy_page(cs, best.take())};
        });
}

result<reputation_input> reputation_inputs(const projector& p, community_id c, member_id m,
                                           time_ms now) {
    return with_community<reputation_input>(
        p, c, [&](const community_state& cs) -> result<reputation_input> {
            if (!cs.members.contains(m)) return no_member(c, m);
            return reputation_input_of(cs, now);
        });
}

result<std::vector<found_proposal>> proposals(const projector& p, community_id c, member_id m,
                                              std::optional<std::uint64_t> after,
                                              std::size_t limit) {
    auto found = with_community<std::vector<found_proposal>>(
        p, c, [&](const community_state& cs) -> result<std::vector<found_proposal>> {
            if (!cs.members.contains(m)) return no_member(c, m);
            std::vector<found_proposal> out;
            for (const auto& [id, x] : cs.matches) {
                if (x.helper != m && x.requester != m) continue;
                if (after && x.proposed_at.value <= *after) continue;
                out.push_back({id, x});
            }
            return out;
        });
    if (!found) return found;
    std::sort(found->begin(), found->end(), [](const auto& a, const auto& b) {
        return a.match.proposed_at < b.match.proposed_at;
    });
    if (found->size() > limit) found->resize(limit);
    return found;
}

result<std::optional<seen_event>> before_the_log(const projector& p, const scoped_id& id,
                                                 const digest& body_digest,
                                                 const public_key& signer, const event_body& body,
                                                 time_ms now) {
    const bool founding = body.kind() == event_kind::community_founded;
    return p.read_state([&](const ledger_state& s) -> result<std::optional<seen_event>> {
        if (auto first = s.seen.find(id);
            first != s.seen.end() && first->second.body_digest == body_digest)
            return std::optional<seen_event>(first->second);
        if (founding) return std::optional<seen_event>();
        auto c = s.communities.find(id.community);
        if (c == s.communities.end()) return no_community(id.community);
        const std::string where = " in " + community_text(id.community);
        auto key = c->second.keys.find(signer);
        if (key == c->second.keys.end()) {
            // The one event a key unknown here may sign: redeeming an open invitation with its
            // code, before it expires (on this node's clock; the fold judges by the log's).
            const auto* redeem = std::get_if<invitation_redeemed>(&body.payload);
            if (redeem == nullptr)
                return make_error(errc::unknown_signer,
                                  "the key " + signer.hex() + " is not registered" + where);
            auto inv = invitation_in(c->second, id.community, redeem->invitation, redeem->code);
            if (!inv) return inv.err();
            if ((*inv)->used)
                return make_error(errc::invitation_used,
                                  "the invitation " + redeem->invitation.hex() +
                                      " was used already; ask your coordinator for a new "
                                      "invitation");
            if (!(*inv)->open_at(now))
                return make_error(errc::invitation_expired,
                                  "the invitation " + redeem->invitation.hex() +
                                      " has expired; ask your coordinator for a new invitation");
            return std::optional<seen_event>();
        }
        // A revoked key (a lost or stolen device) and a suspended member's events.
        if (key->second.revoked)
            return make_error(errc::signer_revoked,
                              "the key " + signer.hex() + " was revoked" + where);
        if (!key->second.node) {
            auto m = c->second.members.find(key->second.owner);
            if (m != c->second.members.end() && m->second.suspended)
                return make_error(errc::member_suspended,
                                  "member " + std::to_string(key->second.owner.value) +
                                      " is suspended" + where +
                                      "; a coordinator can reinstate them");
        }
        return std::optional<seen_event>();
    });
}

bool is_announced_node_key(const community_state& c, const public_key& key) {
    auto k = c.keys.find(key);
    return k != c.keys.end() && k->second.node && !k->second.revoked;
}

result<reader_standing> reader(const projector& p, community_id c, member_id reader,
                               const public_key& key, const access_subject& subject, time_ms now) {
    return with_community<reader_standing>(p, c, [&](const community_state& cs) {
        reader_standing out;
        if (reader.value == 0) {
            const auto a = cs.auditors.find(key);
            out.auditor = out.current = a != cs.auditors.end() && now < a->second;
            return out;
        }
        const auto k = cs.keys.find(key);
        const auto m = cs.members.find(reader);
        out.current = k != cs.keys.end() && !k->second.node && !k->second.revoked &&
                      k->second.owner == reader && m != cs.members.end() && !m->second.suspended;
        if (!out.current) return out;
        out.coordinator = m->second.member_role == role::coordinator;
        member_id subjects[2] = {};
        std::size_t count = 0;
        if (subject.member) {
            out.subject_exists = cs.members.contains(*subject.member);
            subjects[count++] = *subject.member;
        } else if (subject.event) {
            if (auto claim = cs.claims.find(*subject.event); claim != cs.claims.end()) {
                out.subject_exists = true;
                subjects[count++] = claim->second.claimant;
                subjects[count++] = claim->second.receiver;
            } else if (auto post = cs.posts.find(*subject.event); post != cs.posts.end()) {
                out.subject_exists = true;
                subjects[count++] = post->second.owner;
            }
        }
        for (std::size_t i = 0; i < count && !out.for_subject; ++i) {
            if (subjects[i] == reader) {
                out.for_subject = true;
                break;
            }
            auto d = cs.delegations.find({subjects[i], reader});
            out.for_subject = d != cs.delegations.end() && d->second.in_force_at(now);
        }
        return out;
    });
}

result<bool> matched(const projector& p, community_id c, member_id reader, member_id subject,
                     time_ms now) {
    return with_community<bool>(p, c, [&](const community_state& cs) {
        const std::int64_t window_ms =
            std::int64_t{contact_window_days_of(cs.rules)} * 24 * 60 * 60 * 1000;
        const auto in_contact = [&](const match_state& m) {
            return m.status == match_status::accepted ||
                   (m.status == match_status::ended && now.value - m.ended_time.value < window_ms);
        };
        // The reader, and everyone the reader acts for now.
        std::vector<member_id> readers{reader};
        for (const auto& [pair, d] : cs.delegations)
            if (pair.second == reader && d.in_force_at(now)) readers.push_back(pair.first);
        const auto is_reader = [&](member_id m) {
            return std::find(readers.begin(), readers.end(), m) != readers.end();
        };
        for (const auto& [id, m] : cs.matches)
            if (in_contact(m) && ((m.requester == subject && is_reader(m.helper)) ||
                                  (m.helper == subject && is_reader(m.requester))))
                return true;
        return false;
    });
}

std::vector<announced_in> communities_announcing(const projector& p, const public_key& node_key) {
    return p.read_state([&](const ledger_state& s) {
        std::vector<announced_in> out;
        for (const auto& [id, c] : s.communities)
            if (is_announced_node_key(c, node_key)) out.push_back({id, c.events});
        return out;
    });
}

result<void> node_key_announced(const ledger_state& s, community_id c, const public_key& node_key) {
    auto it = s.communities.find(c);
    if (it == s.communities.end()) return no_community(c);
    if (!is_announced_node_key(it->second, node_key))
        return make_error(errc::node_key_not_announced,
                          "this node's key " + node_key.hex() + " is not announced in " +
                              community_text(c) +
                              ": a coordinator runs `uurwerk announce-node` first");
    return ok_value;
}

result<sequence> node_key_next_seq(const projector& p, community_id c, const public_key& node_key) {
    return p.read_state([&](const ledger_state& s) -> result<sequence> {
        if (auto announced = node_key_announced(s, c, node_key); !announced) return announced.err();
        return sequence{s.communities.at(c).keys.at(node_key).last_seq.value + 1};
    });
}

}  // namespace uurwerk::query
