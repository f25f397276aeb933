#include "projections/state_codec.h"

#include <algorithm>
#include <map>

namespace uurwerk {
namespace {

// Values: fixed-width little-endian numbers and length-prefixed strings, in field order,
// appended to `out` (a buffer reused for every entry of a batch, so encoding allocates little).
struct writer {
    std::string& out;
    writer& u8(std::uint8_t v) {
        out.push_back(static_cast<char>(v));
        return *this;
    }
    writer& u16(std::uint16_t v) { return raw(&v, 2); }
    writer& u32(std::uint32_t v) { return raw(&v, 4); }
    writer& u64(std::uint64_t v) { return raw(&v, 8); }
    writer& i64(std::int64_t v) { return raw(&v, 8); }
    writer& f64(double v) { return raw(&v, 8); }
    writer& str(std::string_view s) {
        u32(static_cast<std::uint32_t>(s.size()));
        out.append(s);
        return *this;
    }
    template <std::size_t N>
    writer& arr(const std::array<std::uint8_t, N>& a) {
        return raw(a.data(), N);
    }
    writer& raw(const void* p, std::size_t n) {
        out.append(static_cast<const char*>(p), n);
        return *this;
    }
    // An optional digest: a byte 0, or a byte 1 and the 32 bytes.
    writer& dig(const std::optional<digest>& d) {
        if (!d) return u8(0);
        return u8(1).arr(d->b);
    }
    // An optional attached text: a byte 0, or a byte 1, the event id and the commitment.
    writer& attached(const std::optional<attached_text>& t) {
        if (!t) return u8(0);
        return u8(1).arr(t->event.b).arr(t->commitment.b);
    }
};

struct reader {
    std::string_view in;
    std::size_t pos = 0;
    bool bad = false;
    void take(void* p, std::size_t n) {
        if (pos + n > in.size()) {
            bad = true;
            std::memset(p, 0, n);
            return;
        }
        std::memcpy(p, in.data() + pos, n);
        pos += n;
    }
    std::uint8_t u8() {
        std::uint8_t v;
        take(&v, 1);
        return v;
    }
    // An enum stored as one byte (or, with E of 16 bits, two): a value past `last` marks the
    // record bad (and reads as the first value), so a corrupt byte never becomes an impossible
    // role, status or category that a fold or an index would trust.
    template <typename E>
    E enumerated(E last) {
        using U = std::underlying_type_t<E>;
        const U v = sizeof(U) == 1 ? static_cast<U>(u8()) : static_cast<U>(u16());
        if (v > static_cast<U>(last)) {
            bad = true;
            return E{};
        }
        return static_cast<E>(v);
    }
    std::uint16_t u16() {
        std::uint16_t v;
        take(&v, 2);
        return v;
    }
    std::uint32_t u32() {
        std::uint32_t v;
        take(&v, 4);
        return v;
    }
    std::uint64_t u64() {
        std::uint64_t v;
        take(&v, 8);
        return v;
    }
    std::int64_t i64() {
        std::int64_t v;
        take(&v, 8);
        return v;
    }
    double f64() {
        double v;
        take(&v, 8);
        return v;
    }
    std::string str() {
        auto n = u32();
        if (bad || pos + n > in.size()) {
            bad = true;
            return {};
        }
        std::string s(in.substr(pos, n));
        pos += n;
        return s;
    }
    template <std::size_t N>
    std::array<std::uint8_t, N> arr() {
        std::array<std::uint8_t, N> a;
        take(a.data(), N);
        return a;
    }
    std::optional<digest> dig() {
        const auto present = u8();
        if (present == 0) return std::nullopt;
        if (present != 1) bad = true;
        return digest{arr<digest_bytes>()};
    }
    std::optional<attached_text> attached() {
        const auto present = u8();
        if (present == 0) return std::nullopt;
        if (present != 1) bad = true;
        attached_text t;
        t.event = event_id{arr<event_id_bytes>()};
        t.commitment = digest{arr<digest_bytes>()};
        return t;
    }
    bool done() const { return !bad && pos == in.size(); }
};

// Keys are built in `k`, a buffer reused for every entry of a batch.
std::string_view key(std::string& k, char tag, community_id c) {
    k.assign(1, tag);
    put_be64(k, c.value);
    return k;
}
std::string_view key(std::string& k, char tag, community_id c, member_id m) {
    key(k, tag, c);
    put_be64(k, m.value);
    return k;
}
template <std::size_t N>
std::string_view key(std::string& k, char tag, community_id c,
                     const std::array<std::uint8_t, N>& a) {
    key(k, tag, c);
    k.append(reinterpret_cast<const char*>(a.data()), N);
    return k;
}

std::string_view post_index_key(std::string& k, community_id c, const post_state& p) {
    k.clear();
    put_be64(k, c.value);
    k.push_back(p.is_offer ? 1 : 0);
    k.push_back(static_cast<char>(p.what));
    put_be64(k, p.posted_at.value);
    return k;
}

std::string_view encode(const member_state& m, std::string& out) {
    out.clear();
    writer{out}
        .u8(static_cast<std::uint8_t>(m.member_role))
        .u8(m.verified)
        .u8(m.suspended)
        .u8(m.left)
        .i64(m.balance.value)
        .i64(m.pending_in.value)
        .i64(m.pending_out.value)
        .i64(m.confirmed_given.value)
        .i64(m.admitted_at.value)
        .arr(m.profile_event.b)
        .arr(m.profile_digest.b)
        .i64(m.last_active.value);
    return out;
}
// Without last_seq: the seen chunks hold it (see write_effects).
std::string_view encode(const key_state& k, std::string& out) {
    out.clear();
    writer{out}.u64(k.owner.value).u8(k.revoked).u8(k.node);
    return out;
}
std::string_view encode(const claim_state& c, std::string& out) {
    out.clear();
    writer{out}
        .u64(c.claimant.value)
        .u64(c.receiver.value)
        .i64(c.amount.value)
        .u8(static_cast<std::uint8_t>(c.status))
        .u64(c.claimed_at.value)
        .i64(c.confirmed_at.value)
        .i64(c.disputed_at.value)
        .u8(c.endorsed)
        .dig(c.note_digest)
        .i64(c.reversed_at.value)
        .attached(c.dispute_reason)
        .attached(c.reversal_reason);
    return out;
}
std::string_view encode(const endorsement_state& e, std::string& out) {
    out.clear();
    writer{out}.u64(e.from.value).u64(e.to.value).i64(e.at.value).arr(e.claim.b);
    return out;
}
std::string_view encode(const invitation_state& i, std::string& out) {
    out.clear();
    writer{out}
        .u8(static_cast<std::uint8_t>(i.purpose))
        .u64(i.member.value)
        .u8(static_cast<std::uint8_t>(i.member_role))
        .u8(i.verified)
        .arr(i.code_digest.b)
        .i64(i.until.value)
        .u64(i.issued_by.value)
        .i64(i.issued_at.value)
        .u8(i.used)
        .i64(i.used_at.value);
    return out;
}
std::string_view encode(const transfer_state& t, std::string& out) {
    out.clear();
    writer{out}.u64(t.from.value).u64(t.to.value).i64(t.amount.value).u8(t.reversed);
    return out;
}
std::string_view encode(const post_state& p, std::string& out) {
    out.clear();
    writer{out}
        .u64(p.owner.value)
        .u8(p.is_offer)
        .u8(static_cast<std::uint8_t>(p.what))
        .u8(static_cast<std::uint8_t>(p.how_often))
        .u32(p.availability)
        .str(p.area)
        .dig(p.text_digest)
        .u8(static_cast<std::uint8_t>(p.status))
        .u64(p.posted_at.value)
        .u32(p.proposals)
        .i64(p.posted_time.value)
        .i64(p.heard_time.value)
        .i64(p.closed_time.value)
        .attached(p.hidden_reason);
    return out;
}
std::string_view encode(const match_state& m, std::string& out) {
    out.clear();
    writer{out}
        .arr(m.request.b)
        .arr(m.offer.b)
        .u64(m.requester.value)
        .u64(m.helper.value)
        .u8(static_cast<std::uint8_t>(m.status))
        .u32(m.round)
        .u32(m.rank)
        .u64(m.proposed_at.value)
        .i64(m.proposed_time.value)
        .i64(m.ended_time.value);
    return out;
}
std::string_view encode(const helper_exposure& h, std::string& out) {
    out.clear();
    writer{out}.f64(h.relevance_sum).f64(h.exposure_sum).u32(h.open_matches);
    return out;
}
void encode(const seen_effect& fx, const seen_event& s, std::string& out) {
    writer w{out};
    w.u64(fx.id.community.value)
        .arr(fx.id.id.b)
        .u64(s.at.value)
        .arr(s.body_digest.b)
        .u16(static_cast<std::uint16_t>(s.first.reason));
    w.u8(fx.used_seq);
    if (fx.used_seq) w.arr(fx.signer.b).u64(fx.seq.value);
}
std::string_view encode(const community_state& c, std::string& out) {
    out.clear();
    writer{out}
        .str(c.name)
        .i64(c.rules.credit_limit.value)
        .i64(c.rules.balance_max.value)
        .i64(c.rules.claim_max.value)
        .u8(c.rules.fairness.off)
        .u32(c.rules.fairness.proposals_per_request)
        .u32(c.rules.fairness.open_matches_max)
        .u32(c.rules.fairness.newcomer_floor_hours)
        .u32(c.rules.fairness.quality_floor_permille)
        .u32(c.rules.fairness.reputation_weight_max_permille)
        .u32(c.rules.fairness.low_reputation_proposals_min)
        .u32(c.rules.fairness.reputation_half_life_days)
        .u32(c.rules.fairness.request_wait_hours_max)
        .u32(c.rules.fairness.silence_floor_hours)
        .u32(c.rules.fairness.silent_proposals_max)
        .u32(c.rules.contact_window_days)
        .u32(c.rules.retention_days)
        .i64(c.fund.value)
        .u64(c.events)
        .i64(c.clock.value);
    writer w{out};
    w.u8(static_cast<std::uint8_t>(c.auditors.size()));
    for (const auto& [key, until] : c.auditors) w.arr(key.b).i64(until.value);
    // Fields added after the auditors follow them (format 19 and later hold them all).
    w.u32(c.rules.fairness.unmatched_first_proposals);
    w.u32(c.rules.fairness.match_silence_hours);
    w.u8(static_cast<std::uint8_t>(c.rules.public_impact));
    return out;
}
std::string_view encode(const delegation_state& d, std::string& out) {
    out.clear();
    writer{out}.u32(d.kinds).i64(d.until.value).u8(d.proxy);
    return out;
}
std::string_view encode_open_post(const event_id& id, const post_state& p, std::string& out) {
    out.clear();
    writer{out}
        .arr(id.b)
        .u64(p.owner.value)
        .u8(static_cast<std::uint8_t>(p.how_often))
        .u32(p.availability)
        .str(p.area)
        .dig(p.text_digest);
    return out;
}
std::string_view encode(const history_entry& h, std::string& out) {
    out.clear();
    writer{out}
        .arr(h.id.b)
        .u16(static_cast<std::uint16_t>(h.kind))
        .u16(static_cast<std::uint16_t>(h.reason))
        .i64(h.balance_delta.value)
        .i64(h.pending_delta.value)
        .u64(h.counterparty.value);
    return out;
}

error corrupt(std::string_view what) {
    return make_error(errc::store_corrupt, "the projection store holds a bad " + std::string(what) +
                                               " record: rebuild it from the log");
}

// The keys of a batch's effects, hashed with the process's keyed hash (ledger/core/event.h), so
// that ids chosen to collide cannot make a batch's grouping slow.
template <typename T, typename Tag>
std::uint64_t word_of(named<T, Tag> n) {
    return n.value;
}
std::uint64_t word_of(const event_id& id) {
    return std::hash<event_id>{}(id);
}
std::uint64_t word_of(const public_key& k) {
    return std::hash<public_key>{}(k);
}
std::size_t hash_of(community_id c) {
    return keyed_hash(c.value, 0);
}
template <typename A, typename B>
std::size_t hash_of(const std::pair<A, B>& k) {
    return keyed_hash(word_of(k.first), word_of(k.second));
}
std::size_t hash_of(const std::tuple<community_id, member_id, member_id>& k) {
    return keyed_hash(keyed_hash(std::get<0>(k).value, std::get<1>(k).value), std::get<2>(k).value);
}

// Numbers the distinct keys of `keys` in the order they first occur: group[i] is key i's number.
// Returns how many there are. An open-addressing table of first occurrences, no sorting: a
// replay's batches hold thousands of effects.
template <typename Hash, typename Equal>
std::size_t number_distinct(std::size_t n, Hash&& hash, Equal&& same,
                            std::vector<std::uint32_t>& group) {
    std::size_t slots = 16;
    while (slots < 2 * n) slots *= 2;
    std::vector<std::uint32_t> first(slots, 0);  // 1 + the index of a key's first occurrence
    group.resize(n);
    std::size_t distinct = 0;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t at = hash(i) & (slots - 1);; at = (at + 1) & (slots - 1)) {
            if (first[at] == 0) {
                first[at] = static_cast<std::uint32_t>(i + 1);
                group[i] = static_cast<std::uint32_t>(distinct++);
                break;
            }
            if (same(first[at] - 1, i)) {
                group[i] = group[first[at] - 1];
                break;
            }
        }
    }
    return distinct;
}

// Writes each distinct entity once per batch call, in the order of first occurrence (the order
// of a batch's puts of distinct keys does not change what the store holds).
template <typename Key, typename Fn>
void each_unique(const std::vector<Key>& keys, Fn&& fn) {
    std::vector<std::uint32_t> group;
    number_distinct(
        keys.size(), [&](std::size_t i) { return hash_of(keys[i]); },
        [&](std::size_t a, std::size_t b) { return keys[a] == keys[b]; }, group);
    std::uint32_t next = 0;
    for (std::size_t i = 0; i < keys.size(); ++i)
        if (group[i] == next) {
            fn(keys[i]);
            ++next;
        }
}

}  // namespace

void write_effects(const ledger_state& state, const fold_effects& fx, store::batch& b) {
    std::string k, v;  // the entry being written: buffers reused for every entry
    each_unique(fx.communities, [&](community_id c) {
        b.put(column::state, key(k, 'C', c), encode(state.communities.at(c), v));
    });
    each_unique(fx.members, [&](const std::pair<community_id, member_id>& e) {
        b.put(column::state, key(k, 'M', e.first, e.second),
              encode(state.communities.at(e.first).members.at(e.second), v));
    });
    each_unique(fx.keys, [&](const std::pair<community_id, public_key>& e) {
        b.put(column::state, key(k, 'K', e.first, e.second.b),
              encode(state.communities.at(e.first).keys.at(e.second), v));
    });
    each_unique(fx.delegations, [&](const std::tuple<community_id, member_id, member_id>& e) {
        auto [c, grantor, delegate] = e;
        key(k, 'D', c, grantor);
        put_be64(k, delegate.value);
        const auto& ds = state.communities.at(c).delegations;
        if (auto it = ds.find({grantor, delegate}); it != ds.end())
            b.put(column::state, k, encode(it->second, v));
        else
            b.del(column::state, k);
    });
    each_unique(fx.claims, [&](const std::pair<community_id, event_id>& e) {
        b.put(column::state, key(k, 'L', e.first, e.second.b),
              encode(state.communities.at(e.first).claims.at(e.second), v));
    });
    each_unique(fx.endorsements, [&](const std::pair<community_id, event_id>& e) {
        b.put(column::state, key(k, 'E', e.first, e.second.b),
              encode(state.communities.at(e.first).endorsements.at(e.second), v));
    });
    each_unique(fx.invitations, [&](const std::pair<community_id, event_id>& e) {
        const auto& all = state.communities.at(e.first).invitations;
        key(k, 'I', e.first, e.second.b);
        if (auto it = all.find(e.second); it != all.end())
            b.put(column::state, k, encode(it->second, v));
        else
            b.del(column::state, k);  // forgotten (rules.h: invitation_state)
    });
    each_unique(fx.transfers, [&](const std::pair<community_id, event_id>& e) {
        b.put(column::state, key(k, 'T', e.first, e.second.b),
              encode(state.communities.at(e.first).transfers.at(e.second), v));
    });
    each_unique(fx.posts, [&](const std::pair<community_id, event_id>& e) {
        const auto& p = state.communities.at(e.first).posts.at(e.second);
        b.put(column::state, key(k, 'P', e.first, e.second.b), encode(p, v));
        if (p.status == post_status::open)
            b.put(column::posts, post_index_key(k, e.first, p), encode_open_post(e.second, p, v));
        else
            b.del(column::posts, post_index_key(k, e.first, p));
    });
    each_unique(fx.matches, [&](const std::pair<community_id, event_id>& e) {
        b.put(column::state, key(k, 'X', e.first, e.second.b),
              encode(state.communities.at(e.first).matches.at(e.second), v));
    });
    // Seen ids, in offset order, appended to the chunk of seen_chunk_offsets offsets they fall
    // in: one store entry per chunk and batch instead of one per event. Each also says which
    // key's sequence number its event consumed, so that the 'K' entries need not be written
    // again for every event: load_state takes each key's last_seq from the last of these.
    std::string chunk;
    std::uint64_t chunk_no = 0;
    auto flush_chunk = [&] {
        if (chunk.empty()) return;
        std::string k(1, 'S');
        put_be64(k, chunk_no);
        b.append(column::state, k, chunk);
        chunk.clear();
    };
    for (const auto& seen : fx.seen) {
        const auto& e = state.seen.at(seen.id);
        if (e.at.value / seen_chunk_offsets != chunk_no) flush_chunk();
        chunk_no = e.at.value / seen_chunk_offsets;
        encode(seen, e, chunk);
    }
    flush_chunk();
    // History lines, appended per member to the window of history_window_offsets offsets they
    // fall in: a member's lines of one batch and window share one store entry. The lines are
    // grouped by (community, member, window) in the order groups first occur, each group's in
    // offset order (the batch's lines come in offset order): numbered, counted, then placed.
    auto window_of = [&](std::size_t i) { return fx.history[i].at.value / history_window_offsets; };
    std::vector<std::uint32_t> group;
    const std::size_t groups = number_distinct(
        fx.history.size(),
        [&](std::size_t i) {
            const auto& h = fx.history[i];
            return keyed_hash(keyed_hash(h.community.value, h.member.value), window_of(i));
        },
        [&](std::size_t a, std::size_t b) {
            const auto &x = fx.history[a], &y = fx.history[b];
            return x.community == y.community && x.member == y.member &&
                   window_of(a) == window_of(b);
        },
        group);
    std::vector<std::uint32_t> start(groups + 1, 0), order(fx.history.size());
    for (const auto g : group) ++start[g + 1];
    for (std::size_t g = 0; g < groups; ++g) start[g + 1] += start[g];
    {
        std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
        for (std::size_t i = 0; i < group.size(); ++i)
            order[fill[group[i]]++] = static_cast<std::uint32_t>(i);
    }
    std::string window;
    for (std::size_t g = 0; g < groups; ++g) {
        window.clear();
        for (std::size_t j = start[g]; j < start[g + 1]; ++j) {
            const auto& line = fx.history[order[j]];
            put_be64(window, line.at.value);
            window += encode(line, v);
        }
        const auto& where = fx.history[order[start[g]]];
        k.clear();
        put_be64(k, where.community.value);
        put_be64(k, where.member.value);
        put_be64(k, window_of(order[start[g]]));
        b.append(column::history, k, window);
    }
}

void write_matching_effects(const matching_state& state, const matching_effects& fx,
                            store::batch& b) {
    std::string k, v;
    each_unique(fx.helpers, [&](const std::pair<community_id, member_id>& e) {
        b.put(column::state, key(k, 'H', e.first, e.second),
              encode(state.communities.at(e.first).exposure.at(e.second), v));
    });
}

result<loaded_state> load_state(const store& db) {
    loaded_state loaded;
    ledger_state& s = loaded.ledger;
    std::vector<seen_effect> seq_uses;  // from the seen chunks, in offset order
    std::optional<error> failure;
    auto fail = [&](std::string_view what) {
        if (!failure) failure = corrupt(what);
        return false;
    };
    auto scanned = db.scan(column::state, "", "", [&](std::string_view k, std::string_view v) {
        reader r{v};
        if (k.empty()) return fail("empty key");
        const char tag = k[0];
        if (tag == 'S') {
            if (k.size() != 9) return fail("seen chunk key");
            while (r.pos < v.size()) {
                const community_id c{r.u64()};
                const scoped_id id{c, event_id{r.arr<16>()}};
                seen_event e{offset{r.u64()}, digest{r.arr<32>()},
                             verdict{r.enumerated(static_cast<reject_reason>(reject_reason_max))}};
                const std::uint8_t used_seq = r.u8();
                if (r.bad || used_seq > 1 || e.at.value / seen_chunk_offsets != get_be64(k, 1))
                    return fail("seen chunk");
                if (used_seq) {
                    seen_effect u{id, true, public_key{r.arr<32>()}, sequence{r.u64()}};
                    if (r.bad) return fail("seen chunk");
                    seq_uses.push_back(u);
                }
                s.seen.emplace(id, e);
            }
            return true;
        }
        if (k.size() < 9) return fail("state key");
        community_id c{get_be64(k, 1)};
        auto& cs = s.communities[c];
        auto rest = k.substr(9);
        auto id_from = [&](std::string_view b) {
            event_id id;
            if (b.size() == 16) std::memcpy(id.b.data(), b.data(), 16);
            return id;
        };
        switch (tag) {
            case 'C':
                cs.name = r.str();
                cs.rules = policy{minutes{r.i64()}, minutes{r.i64()}, minutes{r.i64()}, {}};
                cs.rules.fairness.off = r.u8() != 0;
                cs.rules.fairness.proposals_per_request = r.u32();
                cs.rules.fairness.open_matches_max = r.u32();
                cs.rules.fairness.newcomer_floor_hours = r.u32();
                cs.rules.fairness.quality_floor_permille = r.u32();
                cs.rules.fairness.reputation_weight_max_permille = r.u32();
                cs.rules.fairness.low_reputation_proposals_min = r.u32();
                cs.rules.fairness.reputation_half_life_days = r.u32();
                cs.rules.fairness.request_wait_hours_max = r.u32();
                cs.rules.fairness.silence_floor_hours = r.u32();
                cs.rules.fairness.silent_proposals_max = r.u32();
                cs.rules.contact_window_days = r.u32();
                cs.rules.retention_days = r.u32();
                cs.fund = minutes{r.i64()};
                cs.events = r.u64();
                cs.clock = time_ms{r.i64()};
                cs.auditors.clear();
                for (std::size_t n = r.u8(); n > 0 && !r.bad; --n) {
                    const public_key key{r.arr<32>()};
                    cs.auditors[key] = time_ms{r.i64()};
                }
                cs.rules.fairness.unmatched_first_proposals = r.u32();
                cs.rules.fairness.match_silence_hours = r.u32();
                if (const std::uint8_t page = r.u8(); page <= 1)
                    cs.rules.public_impact = static_cast<impact_page>(page);
                else
                    return fail("community");
                if (!r.done() || !rest.empty() || cs.auditors.size() > auditors_max)
                    return fail("community");
                return true;
            case 'M': {
                if (rest.size() != 8) return fail("member key");
                member_state m;
                m.member_role = r.enumerated(role::coordinator);
                m.verified = r.u8();
                m.suspended = r.u8();
                m.left = r.u8();
                m.balance = minutes{r.i64()};
                m.pending_in = minutes{r.i64()};
                m.pending_out = minutes{r.i64()};
                m.confirmed_given = minutes{r.i64()};
                m.admitted_at = time_ms{r.i64()};
                m.profile_event = event_id{r.arr<16>()};
                m.profile_digest = digest{r.arr<32>()};
                m.last_active = time_ms{r.i64()};
                if (!r.done()) return fail("member");
                cs.members[member_id{get_be64(rest, 0)}] = m;
                return true;
            }
            case 'K': {
                if (rest.size() != 32) return fail("key key");
                public_key pk;
                std::memcpy(pk.b.data(), rest.data(), 32);
                key_state ks{member_id{r.u64()}, sequence{0}, r.u8() != 0, false};
                ks.node = r.u8() != 0;
                if (!r.done()) return fail("key");
                cs.keys[pk] = ks;
                return true;
            }
            case 'D': {
                if (rest.size() != 16) return fail("delegation key");
                delegation_state d{r.u32(), time_ms{r.i64()}};
                const std::uint8_t proxy = r.u8();
                if (!r.done() || proxy > 1) return fail("delegation");
                d.proxy = proxy != 0;
                cs.delegations[{member_id{get_be64(rest, 0)}, member_id{get_be64(rest, 8)}}] = d;
                return true;
            }
            case 'L': {
                if (rest.size() != 16) return fail("claim key");
                claim_state cl{member_id{r.u64()}, member_id{r.u64()},
                               minutes{r.i64()},   r.enumerated(claim_status::reversed),
                               offset{r.u64()},    time_ms{r.i64()},
                               time_ms{r.i64()}};
                cl.endorsed = r.u8();
                cl.note_digest = r.dig();
                cl.reversed_at = time_ms{r.i64()};
                cl.dispute_reason = r.attached();
                cl.reversal_reason = r.attached();
                if (!r.done() || cl.endorsed > 3) return fail("claim");
                cs.claims[id_from(rest)] = cl;
                return true;
            }
            case 'T': {
                if (rest.size() != 16) return fail("transfer key");
                transfer_state t{member_id{r.u64()}, member_id{r.u64()}, minutes{r.i64()},
                                 r.u8() != 0};
                if (!r.done()) return fail("transfer");
                cs.transfers[id_from(rest)] = t;
                return true;
            }
            case 'P': {
                if (rest.size() != 16) return fail("post key");
                post_state p;
                p.owner = member_id{r.u64()};
                p.is_offer = r.u8();
                p.what = r.enumerated(category::other);
                p.how_often = r.enumerated(intensity::regularly);
                p.availability = r.u32();
                p.area = r.str();
                p.text_digest = r.dig();
                p.status = r.enumerated(post_status::hidden);
                p.posted_at = offset{r.u64()};
                p.proposals = r.u32();
                p.posted_time = time_ms{r.i64()};
                p.heard_time = time_ms{r.i64()};
                p.closed_time = time_ms{r.i64()};
                p.hidden_reason = r.attached();
                if (!r.done()) return fail("post");
                cs.posts[id_from(rest)] = std::move(p);
                return true;
            }
            case 'X': {
                if (rest.size() != 16) return fail("match key");
                match_state m{event_id{r.arr<16>()}, event_id{r.arr<16>()}, member_id{r.u64()},
                              member_id{r.u64()}, r.enumerated(match_status::lapsed)};
                m.round = r.u32();
                m.rank = r.u32();
                m.proposed_at = offset{r.u64()};
                m.proposed_time = time_ms{r.i64()};
                m.ended_time = time_ms{r.i64()};
                if (!r.done()) return fail("match");
                cs.matches[id_from(rest)] = m;
                return true;
            }
            case 'H': {
                if (rest.size() != 8) return fail("exposure key");
                helper_exposure h;
                h.relevance_sum = r.f64();
                h.exposure_sum = r.f64();
                h.open_matches = r.u32();
                if (!r.done()) return fail("exposure");
                loaded.matching.of(c).exposure[member_id{get_be64(rest, 0)}] = h;
                return true;
            }
            case 'E': {
                if (rest.size() != 16) return fail("endorsement key");
                endorsement_state e{member_id{r.u64()}, member_id{r.u64()}, time_ms{r.i64()},
                                    event_id{r.arr<16>()}};
                if (!r.done()) return fail("endorsement");
                cs.endorsements[id_from(rest)] = e;
                return true;
            }
            case 'I': {
                if (rest.size() != 16) return fail("invitation key");
                invitation_state i;
                i.purpose = r.enumerated(invitation_purpose::replace_keys);
                i.member = member_id{r.u64()};
                i.member_role = r.enumerated(role::coordinator);
                const std::uint8_t verified = r.u8();
                i.code_digest = digest{r.arr<32>()};
                i.until = time_ms{r.i64()};
                i.issued_by = member_id{r.u64()};
                i.issued_at = time_ms{r.i64()};
                const std::uint8_t used = r.u8();
                i.used_at = time_ms{r.i64()};
                if (!r.done() || verified > 1 || used > 1) return fail("invitation");
                i.verified = verified != 0;
                i.used = used != 0;
                cs.invitations[id_from(rest)] = i;
                return true;
            }
            default:
                return fail("unknown tag");
        }
    });
    if (!scanned) return scanned.err();
    if (failure) return *failure;
    // Each key's last_seq is the seq of the last event that consumed it, in offset order (the
    // chunks were scanned in offset order, and each chunk holds its records in order).
    for (const auto& u : seq_uses) {
        auto c = s.communities.find(u.id.community);
        if (c == s.communities.end()) return corrupt("seen chunk (unknown community)");
        auto k = c->second.keys.find(u.signer);
        if (k == c->second.keys.end()) return corrupt("seen chunk (unknown key)");
        if (u.seq <= k->second.last_seq) return corrupt("seen chunk (sequence not increasing)");
        k->second.last_seq = u.seq;
    }
    // Every minute comes from somewhere (projector::open asserts it of what it loads), and a
    // sum of damaged balances must not overflow on the way (the fold adds to them too).
    for (const auto& [id, c] : s.communities) {
        if (c.invitations.size() > invitations_open_max + invitations_closed_max)
            return corrupt("invitation (more than a community keeps)");
        std::int64_t sum = c.fund.value;
        for (const auto& [m, ms] : c.members)
            if (__builtin_add_overflow(sum, ms.balance.value, &sum))
                return corrupt("balance (out of range)");
        if (sum != 0) return corrupt("balance (a community's do not sum to 0)");
    }
    for (auto& [id, c] : s.communities) {
        index_matches(c);
        index_posts(loaded.matching.of(id), c);
    }
    return loaded;
}

result<std::vector<history_entry>> read_history(const store& db, community_id c, member_id m,
                                                offset from, std::size_t limit) {
    std::string prefix;
    put_be64(prefix, c.value);
    put_be64(prefix, m.value);
    std::string start = prefix;
    put_be64(start, from.value / history_window_offsets);
    std::vector<history_entry> out;
    bool bad = false;
    auto scanned =
        db.scan(column::history, prefix, start, [&](std::string_view k, std::string_view v) {
            if (k.size() != 24) {  // community, member, window
                bad = true;
                return false;
            }
            const std::uint64_t window = get_be64(k, 16);
            reader r{v};
            while (r.pos < v.size()) {
                if (out.size() >= limit) return false;
                std::string_view at_bytes = v.substr(r.pos, 8);
                r.pos += 8;
                if (at_bytes.size() != 8) {
                    bad = true;
                    return false;
                }
                history_entry h;
                h.community = c;
                h.member = m;
                h.at = offset{get_be64(at_bytes, 0)};
                h.id = event_id{r.arr<16>()};
                h.kind = r.enumerated(static_cast<event_kind>(event_kind_count - 1));
                h.reason = r.enumerated(static_cast<reject_reason>(reject_reason_max));
                h.balance_delta = minutes{r.i64()};
                h.pending_delta = minutes{r.i64()};
                h.counterparty = member_id{r.u64()};
                if (r.bad || h.at.value / history_window_offsets != window) {
                    bad = true;
                    return false;
                }
                if (h.at >= from) out.push_back(h);
            }
            return out.size() < limit;
        });
    if (!scanned) return scanned.err();
    if (bad) return corrupt("history");
    return out;
}

result<std::vector<open_post>> read_open_posts(const store& db, community_id c, bool offers,
                                               std::optional<category> what, std::size_t limit,
                                               const std::optional<std::string>& area) {
    std::string prefix;
    put_be64(prefix, c.value);
    prefix.push_back(offers ? 1 : 0);
    if (what) prefix.push_back(static_cast<char>(*what));
    std::vector<open_post> out;
    bool bad = false;
    auto scanned = db.scan(column::posts, prefix, "", [&](std::string_view k, std::string_view v) {
        if (out.size() >= limit) return false;
        // The index key is community, side, category and posting offset (post_index_key).
        if (k.size() != 18 || static_cast<std::uint8_t>(k[9]) >= category_count) {
            bad = true;
            return false;
        }
        reader r{v};
        open_post p;
        p.community = c;
        p.is_offer = offers;
        p.what = static_cast<category>(static_cast<std::uint8_t>(k[9]));
        p.posted_at = offset{get_be64(k, 10)};
        p.id = event_id{r.arr<16>()};
        p.owner = member_id{r.u64()};
        p.how_often = r.enumerated(intensity::regularly);
        p.availability = r.u32();
        p.area = r.str();
        p.text_digest = r.dig();
        if (!r.done()) {
            bad = true;
            return false;
        }
        if (!area || p.area == *area) out.push_back(std::move(p));
        return true;
    });
    if (!scanned) return scanned.err();
    if (bad) return corrupt("open post");
    return out;
}

}  // namespace uurwerk
