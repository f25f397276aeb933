#include "ledger/core/audit.h"

#include <algorithm>
#include <deque>

namespace uurwerk {

event_id checkpoint_event_id(community_id c, std::uint64_t tree_size, const public_key& node_key) {
    static constexpr std::string_view tag = "uurwerk/checkpoint-id/v1";
    std::uint8_t numbers[16];
    for (int i = 0; i < 8; ++i) {
        numbers[i] = static_cast<std::uint8_t>(c.value >> (56 - 8 * i));
        numbers[8 + i] = static_cast<std::uint8_t>(tree_size >> (56 - 8 * i));
    }
    const auto d = sha256({byte_view(reinterpret_cast<const std::uint8_t*>(tag.data()), tag.size()),
                           byte_view(numbers, 16), node_key.b});
    event_id id;
    std::copy_n(d.b.begin(), id.b.size(), id.b.begin());
    return id;
}

event_id node_event_id(const signing_key& node_key, const event_id& derived) {
    static constexpr std::string_view key_tag = "uurwerk/node-id-key/v1";
    static constexpr std::string_view id_tag = "uurwerk/node-event-id/v1";
    auto bytes_of = [](std::string_view s) {
        return byte_view(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    };
    const auto secret = sha256({bytes_of(key_tag), node_key.seed()});
    const auto d = sha256({bytes_of(id_tag), secret.b, derived.b});
    event_id id;
    std::copy_n(d.b.begin(), id.b.size(), id.b.begin());
    return id;
}

event_body checkpoint_body(community_id c, sequence seq, std::uint64_t tree_size,
                           const digest& root, const digest& verdict_root, time_ms now,
                           const public_key& node_key) {
    return event_body{
        checkpoint_event_id(c, tree_size, node_key),   c, community_fund, seq, now, std::nullopt,
        checkpoint{tree_size, root, now, verdict_root}};
}

std::array<std::uint8_t, verdict_leaf_bytes> verdict_leaf_data(std::uint64_t leaf_index,
                                                               reject_reason verdict, offset at,
                                                               time_ms appended_at) {
    std::array<std::uint8_t, verdict_leaf_bytes> out{};
    auto put = [&](std::size_t pos, std::uint64_t v, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i)
            out[pos + i] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
    };
    put(0, leaf_index, 8);
    put(8, static_cast<std::uint16_t>(verdict), 2);
    put(10, at.value, 8);
    put(18, static_cast<std::uint64_t>(appended_at.value), 8);
    return out;
}

digest verdict_leaf_hash(std::uint64_t leaf_index, reject_reason verdict, offset at,
                         time_ms appended_at) {
    const auto data = verdict_leaf_data(leaf_index, verdict, at, appended_at);
    return merkle_leaf_hash(data);
}

}  // namespace uurwerk

namespace uurwerk {
namespace {

void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

std::uint64_t get_uint(byte_view in, std::size_t pos, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = v << 8 | in[pos + i];
    return v;
}

}  // namespace

void append_export_header(std::string& out, community_id c) {
    out.append(export_magic);
    put_u64(out, c.value);
}

void append_export_record(std::string& out, const export_record& r) {
    UURWERK_ASSERT(!r.envelope.empty() && r.envelope.size() <= envelope_bytes_max,
                   r.envelope.size());
    put_u64(out, r.at.value);
    put_u64(out, static_cast<std::uint64_t>(r.appended_at.value));
    const auto v = static_cast<std::uint16_t>(r.verdict);
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v & 0xff));
    const auto n = static_cast<std::uint32_t>(r.envelope.size());
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>(n >> (8 * i)));
    out.append(reinterpret_cast<const char*>(r.envelope.data()), r.envelope.size());
}

result<parsed_export> parse_export(byte_view file) {
    if (file.size() >= export_magic_v1.size() &&
        std::string_view(reinterpret_cast<const char*>(file.data()), export_magic_v1.size()) ==
            export_magic_v1)
        return make_error(errc::bad_export,
                          "an export of the old format " + std::string(export_magic_v1) +
                              " is refused: its checkpoints sign no verdicts or log times; export "
                              "the log again with this uurwerk (" +
                              std::string(export_magic) + ")");
    if (file.size() < export_header_bytes ||
        std::string_view(reinterpret_cast<const char*>(file.data()), export_magic.size()) !=
            export_magic)
        return make_error(errc::bad_export, "not a uurwerk export: it does not start with " +
                                                std::string(export_magic));
    parsed_export out;
    out.community = community_id{get_uint(file, 8, 8)};
    std::size_t pos = export_header_bytes;
    while (pos < file.size()) {
        const std::string where = "record " + std::to_string(out.records.size()) + " (at byte " +
                                  std::to_string(pos) + ")";
        if (file.size() - pos < export_record_header_bytes)
            return make_error(errc::bad_export, where + " is cut short");
        export_record r;
        r.at = offset{get_uint(file, pos, 8)};
        r.appended_at = time_ms{static_cast<std::int64_t>(get_uint(file, pos + 8, 8))};
        const auto v = get_uint(file, pos + 16, 2);
        if (v > reject_reason_max)
            return make_error(errc::bad_export,
                              where + " has an unknown verdict " + std::to_string(v));
        r.verdict = static_cast<reject_reason>(v);
        const auto n = get_uint(file, pos + 18, 4);
        pos += export_record_header_bytes;
        if (n == 0 || n > envelope_bytes_max)
            return make_error(errc::bad_export,
                              where + " has an envelope of " + std::to_string(n) + " bytes");
        if (file.size() - pos < n) return make_error(errc::bad_export, where + " is cut short");
        r.envelope = file.subspan(pos, n);
        pos += n;
        out.records.push_back(r);
    }
    return out;
}

}  // namespace uurwerk

#include <chrono>
#include <thread>

namespace uurwerk {
namespace {

struct checked_record {
    std::optional<event_body> body;
    public_key signer;
    digest body_digest;
    digest leaf;
    std::string problem;  // empty when it decodes and verifies
};

// Runs fn(i) for i in [0, n) on `threads` threads, in interleaved stripes of 256.
template <typename Fn>
void parallel_for(std::size_t n, std::size_t threads, Fn&& fn) {
    constexpr std::size_t stripe = 256;
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (;;) {
            const std::size_t from = next.fetch_add(stripe);
            if (from >= n) return;
            for (std::size_t i = from; i < std::min(n, from + stripe); ++i) fn(i);
        }
    };
    std::vector<std::thread> helpers;
    for (std::size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
    work();
    for (auto& h : helpers) h.join();
}

std::size_t threads_or_all(std::size_t t) {
    return t != 0 ? t : std::max(1u, std::thread::hardware_concurrency());
}

const key_state* key_in(const ledger_state& s, community_id c, const public_key& k) {
    auto it = s.communities.find(c);
    if (it == s.communities.end()) return nullptr;
    auto key = it->second.keys.find(k);
    return key == it->second.keys.end() ? nullptr : &key->second;
}

minutes fund_of(const ledger_state& s, community_id c) {
    auto it = s.communities.find(c);
    return it == s.communities.end() ? minutes{0} : it->second.fund;
}

std::string record_text(std::size_t i, const export_record& r) {
    return "record " + std::to_string(i) + " (log offset " + std::to_string(r.at.value) + ")";
}

// A tree rebuilt leaf by leaf, keeping the nodes a store keeps (tiles, merkle.h) so that the
// root at any earlier size a checkpoint names can be computed.
class kept_tree {
public:
    void append(const digest& leaf) {
        frontier_.append(leaf, done_);
        for (const auto& n : done_) {
            if (!merkle_node_is_kept(n)) continue;
            const auto id = merkle_tile_of(n);
            auto& stratum = tiles_[id.level / merkle_tile_height];
            if (stratum.size() <= id.index) stratum.resize(id.index + 1);
            stratum[id.index].append(reinterpret_cast<const char*>(n.hash.b.data()), digest_bytes);
        }
    }
    std::optional<digest> root_at(std::uint64_t size) const {
        if (size > frontier_.size()) return std::nullopt;
        if (size == frontier_.size()) return frontier_.root();
        return merkle_root_at(size, merkle_tiled_reader([this](const merkle_tile_id& id) {
                                  const auto& stratum = tiles_[id.level / merkle_tile_height];
                                  return id.index < stratum.size() ? stratum[id.index]
                                                                   : std::string();
                              }));
    }
    const merkle_frontier& frontier() const { return frontier_; }

private:
    merkle_frontier frontier_;
    std::vector<merkle_node> done_;
    // Kept nodes by stratum (level / tile height), then tile index.
    std::array<std::vector<std::string>, 64 / merkle_tile_height + 1> tiles_;
};

// The export's community's two trees, as the rules ask for them: the events and their verdicts.
class replay_tree final : public audit_view {
public:
    explicit replay_tree(community_id c) : c_(c) {}
    void append(const digest& leaf, const export_record& r) {
        verdicts_.append(
            verdict_leaf_hash(events_.frontier().size(), r.verdict, r.at, r.appended_at));
        events_.append(leaf);
    }
    std::optional<digest> root_at(community_id c, std::uint64_t size) const override {
        return c == c_ ? events_.root_at(size) : std::nullopt;
    }
    std::optional<digest> verdict_root_at(community_id c, std::uint64_t size) const override {
        return c == c_ ? verdicts_.root_at(size) : std::nullopt;
    }
    const merkle_frontier& frontier() const { return events_.frontier(); }

private:
    community_id c_;
    kept_tree events_;
    kept_tree verdicts_;
};

}  // namespace

audit_report verify_export(const parsed_export& e, const audit_options& o) {
    audit_report report;
    const std::size_t n = e.records.size();
    report.records = n;
    const std::size_t threads = threads_or_all(o.threads);

    // Every record is checked on every core (decode, verify the signature, hash the leaf) while
    // this thread folds them in order behind the checkers: the rules, the tree, the
    // checkpoints. A record is folded once its check is published in `ready`.
    std::vector<checked_record> checked(n);
    std::vector<std::atomic<std::uint8_t>> ready(n);
    std::atomic<bool> stop{false};
    key_cache keys;
    std::atomic<std::size_t> done{0};
    std::thread checkers([&] {
        parallel_for(n, threads, [&](std::size_t i) {
            if (stop.load(std::memory_order_relaxed)) return;
            auto& c = checked[i];
            const auto& r = e.records[i];
            c.leaf = merkle_leaf_hash(r.envelope);
            auto env = decode_envelope(r.envelope);
            if (!env) {
                c.problem = "the envelope does not decode: " + env.err().message;
            } else if (!keys.verify_envelope(*env)) {
                c.problem = "the signature does not verify (signer " + env->signer.hex() + ")";
            } else if (auto body = decode_body(env->body); !body) {
                c.problem = "the signed body does not decode: " + body.err().message;
            } else {
                c.body = std::move(*body);
                c.signer = env->signer;
                c.body_digest = sha256({env->body});
            }
            ready[i].store(1, std::memory_order_release);
            const std::size_t d = done.fetch_add(1) + 1;
            if (o.progress && d % 65536 == 0) o.progress("verify", d, n);
        });
    });

    replay_tree roots(e.community);
    // Who each folded record changed, while it is not yet under a trusted checkpoint: what is
    // left at the end is the tail's doing.
    struct touched {
        std::size_t record;
        std::vector<member_id> members;
        bool fund = false;
    };
    std::deque<touched> uncovered;
    std::vector<std::size_t> trusted_checkpoints;  // their record indices
    ledger_state state;
    state.seen.reserve(n);  // one id per record: no rehashing on the way
    fold_effects fx;
    auto fail = [&](std::size_t i, std::string what) {
        report.ok = false;
        report.problem_record = i;
        report.problem = record_text(i, e.records[i]) + ": " + what;
        stop.store(true);
    };
    for (std::size_t i = 0; i < n && report.ok; ++i) {
        while (ready[i].load(std::memory_order_acquire) == 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        auto& c = checked[i];
        const auto& r = e.records[i];
        if (!c.body) {
            fail(i, c.problem);
            break;
        }
        const event_body& b = *c.body;
        if (b.community != e.community) {
            fail(i, "belongs to community " + std::to_string(b.community.value) + ", not " +
                        std::to_string(e.community.value));
            break;
        }
        const auto* cp = std::get_if<checkpoint>(&b.payload);
        if (cp && r.verdict == reject_reason::none && !o.trusted_node_keys.contains(c.signer)) {
            fail(i,
                 "a checkpoint signed by " + c.signer.hex() + ", which is not a trusted node key");
            break;
        }
        // A node key revoked in the log vouches for nothing from then on, trusted or not (the
        // rules reject what it signs; this names it).
        if (const auto* k = key_in(state, e.community, c.signer);
            cp && r.verdict == reject_reason::none && k != nullptr && k->revoked) {
            fail(i, "a checkpoint signed by node key " + c.signer.hex() +
                        " after its revocation in the log");
            break;
        }
        // Ids are scoped by community, and a community's log begins at its founding (leaf 0):
        // the first use of every id a record repeats is in this export, so every verdict is
        // checked.
        fx.clear();
        const minutes fund_before = fund_of(state, e.community);
        const fold_input in{b, c.signer, c.body_digest, r.at, r.appended_at, &roots};
        const verdict v = fold(state, in, fx);
        if (v.reason != r.verdict) {
            if (cp && v.reason == reject_reason::checkpoint_root_mismatch) {
                fail(i, "a checkpoint of " + std::to_string(cp->tree_size) +
                            " leaves claims root " + cp->root.hex() + ", but the export's first " +
                            std::to_string(cp->tree_size) + " events give " +
                            roots.root_at(e.community, cp->tree_size)->hex());
            } else if (cp && v.reason == reject_reason::checkpoint_beyond_tree) {
                fail(i, "a checkpoint of " + std::to_string(cp->tree_size) + " leaves, but only " +
                            std::to_string(i) + " events precede it");
            } else if (cp && v.reason == reject_reason::checkpoint_verdict_root_mismatch) {
                fail(i, "a checkpoint of " + std::to_string(cp->tree_size) +
                            " leaves signs verdict root " +
                            (cp->verdict_root ? cp->verdict_root->hex() : "(none)") +
                            ", but the export's verdicts, log offsets and log times of its "
                            "first " +
                            std::to_string(cp->tree_size) + " events give " +
                            roots.verdict_root_at(e.community, cp->tree_size)->hex() +
                            ": they are not what the node signed");
            } else {
                auto said = [](reject_reason x) {
                    return x == reject_reason::none
                               ? std::string("accepted")
                               : "rejected (" + std::string(reason_name(x)) + ")";
                };
                fail(i, std::string(kind_name(b.kind())) + " " + b.id.hex() +
                            ": the node's verdict is " + said(r.verdict) + ", the rules give " +
                            said(v.reason));
            }
            break;
        }
        if (v.accepted()) {
            ++report.accepted;
            if (cp) {
                ++report.checkpoints;
                trusted_checkpoints.push_back(i);
                report.attested_leaves = std::max(report.attested_leaves, cp->tree_size);
                while (!uncovered.empty() && uncovered.front().record < report.attested_leaves)
                    uncovered.pop_front();
            }
            touched t{i, {}, fund_of(state, e.community) != fund_before};
            for (const auto& [c, m] : fx.members)
                if (c == e.community) t.members.push_back(m);
            if (!t.members.empty() || t.fund) uncovered.push_back(std::move(t));
        } else {
            ++report.rejected;
        }
        roots.append(c.leaf, r);
        c = checked_record{};  // folded: free its body
        if (o.progress && (i + 1) % 65536 == 0) o.progress("replay", i + 1, n);
    }
    checkers.join();
    if (o.progress && report.ok) o.progress("replay", n, n);
    report.root = roots.frontier().root();
    if (!report.ok) return report;

    // The export must reach the checkpoint the auditor expects: a cut export is not the log.
    if (o.expect) {
        const auto& x = *o.expect;
        if (x.tree_size > n) {
            report.ok = false;
            report.problem = "the export holds " + std::to_string(n) + " events, fewer than the " +
                             std::to_string(x.tree_size) +
                             " of the checkpoint you expect: it is cut short";
            return report;
        }
        if (const auto r = roots.root_at(e.community, x.tree_size); !r || *r != x.root) {
            report.ok = false;
            report.problem = "the export's first " + std::to_string(x.tree_size) +
                             " events give root " + (r ? r->hex() : std::string("?")) +
                             ", not the root " + x.root.hex() + " of the checkpoint you expect";
            return report;
        }
        if (const auto v = roots.verdict_root_at(e.community, x.tree_size);
            x.verdict_root && (!v || *v != *x.verdict_root)) {
            report.ok = false;
            report.problem = "the export's first " + std::to_string(x.tree_size) +
                             " events give verdict root " + (v ? v->hex() : std::string("?")) +
                             ", not the verdict root " + x.verdict_root->hex() +
                             " of the checkpoint you expect: their verdicts, log offsets or log "
                             "times are not what the node signed";
            return report;
        }
    }

    // The unverified tail: what no trusted checkpoint covers.
    std::size_t first_tail = n;
    for (std::size_t i = report.attested_leaves; i < n; ++i) {
        if (std::binary_search(trusted_checkpoints.begin(), trusted_checkpoints.end(), i)) continue;
        ++report.tail_records;
        first_tail = std::min(first_tail, i);
    }
    if (report.tail_records > 0 && o.tail == unverified_tail::refuse) {
        report.ok = false;
        report.problem_record = first_tail;
        report.problem = std::to_string(report.tail_records) + " events from " +
                         record_text(first_tail, e.records[first_tail]) +
                         " on are beyond the last trusted checkpoint (of " +
                         std::to_string(report.attested_leaves) +
                         " events): no node has signed for them, their verdicts or their times, "
                         "so they are not verified";
        return report;
    }

    // 3. Balances and confirmed hours, recomputed.
    std::set<member_id> in_tail;
    for (const auto& t : uncovered) {
        in_tail.insert(t.members.begin(), t.members.end());
        report.fund_includes_tail = report.fund_includes_tail || t.fund;
    }
    if (auto it = state.communities.find(e.community); it != state.communities.end()) {
        const auto& cs = it->second;
        report.fund = cs.fund;
        report.balance_sum = balance_sum(cs);
        for (const auto& [id, m] : cs.members) {
            report.members.push_back({id, m.balance, m.confirmed_given, in_tail.contains(id)});
            report.confirmed_total = report.confirmed_total + m.confirmed_given;
        }
    }
    return report;
}

digest merkle_part_of_export(const parsed_export& e, std::size_t threads) {
    std::vector<digest> leaves(e.records.size());
    parallel_for(leaves.size(), threads_or_all(threads),
                 [&](std::size_t i) { leaves[i] = merkle_leaf_hash(e.records[i].envelope); });
    merkle_frontier f;
    std::vector<merkle_node> done;
    for (const auto& l : leaves) f.append(l, done);
    return f.root();
}

}  // namespace uurwerk
