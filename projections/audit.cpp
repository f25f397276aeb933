#include "projections/audit.h"

#include <cstring>

#include "ledger/core/audit.h"

namespace uurwerk {
namespace {

std::string community_key(char tag, community_id c) {
    std::string k(1, tag);
    put_be64(k, c.value);
    return k;
}

// `which`: 'T' the event tree, 'V' the verdict tree.
std::string tile_key(char which, community_id c, const merkle_tile_id& id) {
    auto k = community_key(which, c);
    k.push_back(static_cast<char>(id.level));
    put_be64(k, id.index);
    return k;
}

std::string chunk_key(community_id c, std::uint64_t chunk) {
    auto k = community_key('O', c);
    put_be64(k, chunk);
    return k;
}

template <std::size_t N>
void put_bytes(std::string& out, const std::array<std::uint8_t, N>& a) {
    out.append(reinterpret_cast<const char*>(a.data()), N);
}
template <std::size_t N>
void get_bytes(std::string_view in, std::size_t pos, std::array<std::uint8_t, N>& a) {
    UURWERK_ASSERT(pos + N <= in.size(), pos, in.size());
    std::memcpy(a.data(), in.data() + pos, N);
}

constexpr std::size_t checkpoint_record_bytes = 8 + 32 + 8 + 8 + 8 + 16 + 32 + 32;

std::string encode(const checkpoint_record& r) {
    std::string v;
    put_be64(v, r.tree_size);
    put_bytes(v, r.root.b);
    put_be64(v, static_cast<std::uint64_t>(r.signed_at.value));
    put_be64(v, r.at.value);
    put_be64(v, r.leaf);
    put_bytes(v, r.id.b);
    put_bytes(v, r.signer.b);
    put_bytes(v, r.verdict_root.b);
    UURWERK_ASSERT(v.size() == checkpoint_record_bytes, v.size());
    return v;
}

// Damage in the audit column (a value of the wrong length): "store_corrupt", never a crash.
error audit_corrupt(std::string_view what) {
    return make_error(errc::store_corrupt, "the projection store holds a bad " + std::string(what) +
                                               " in its audit column: rebuild it from the log");
}

result<checkpoint_record> decode_checkpoint(std::string_view v) {
    if (v.size() != checkpoint_record_bytes) return audit_corrupt("checkpoint record");
    checkpoint_record r;
    r.tree_size = get_be64(v, 0);
    get_bytes(v, 8, r.root.b);
    r.signed_at = time_ms{static_cast<std::int64_t>(get_be64(v, 40))};
    r.at = offset{get_be64(v, 48)};
    r.leaf = get_be64(v, 56);
    get_bytes(v, 64, r.id.b);
    get_bytes(v, 80, r.signer.b);
    get_bytes(v, 112, r.verdict_root.b);
    return r;
}

constexpr std::size_t leaf_entry_bytes = 10;

error beyond_tree(std::uint64_t size, std::uint64_t have) {
    return make_error(errc::beyond_tree, "the tree has " + std::to_string(have) + " leaves, not " +
                                             std::to_string(size));
}

// Kept nodes as the store has committed them, each tile read once per reader (a proof asks
// for several nodes of the same tile). A read error, or a tile too short for a tree of `size`
// leaves (or not whole hashes), is kept and reported by the caller (a node reader has no error
// channel): the reader hands out a full tile of zero hashes.
struct committed_tiles {
    const store& db;
    char which;  // 'T' or 'V'
    community_id c;
    std::uint64_t size;  // the committed tree's leaves
    std::shared_ptr<std::optional<error>> failure = std::make_shared<std::optional<error>>();
    std::shared_ptr<std::map<merkle_tile_id, std::string>> cache =
        std::make_shared<std::map<merkle_tile_id, std::string>>();
    std::string operator()(const merkle_tile_id& id) const {
        if (auto it = cache->find(id); it != cache->end()) return it->second;
        auto v = db.get(column::audit, tile_key(which, c, id));
        // A tile holds the nodes of its level that the tree has completed: size >> level of
        // them in all, up to merkle_tile_width in each tile.
        const std::uint64_t complete = id.level < 64 ? size >> id.level : 0;
        const std::uint64_t first = id.index * merkle_tile_width;
        const std::uint64_t needed =
            complete <= first ? 0 : std::min(complete - first, merkle_tile_width);
        if (v && *v && (*v)->size() % digest_bytes == 0 && (*v)->size() / digest_bytes >= needed &&
            (*v)->size() <= merkle_tile_width * digest_bytes)
            return cache->emplace(id, std::move(**v)).first->second;
        if (!v && !*failure) *failure = v.err();
        if (v && !*failure) *failure = audit_corrupt("Merkle tile");
        return std::string(merkle_tile_width * digest_bytes, '\0');
    }
};

}  // namespace

result<std::unique_ptr<audit_trees>> audit_trees::load(const store& db) {
    auto t = std::unique_ptr<audit_trees>(new audit_trees(db));
    std::vector<std::pair<community_id, std::uint64_t>> sizes;
    bool bad_size = false;
    auto scanned = db.scan(column::audit, "N", "", [&](std::string_view k, std::string_view v) {
        if (k.size() != 9 || v.size() != 8) return !(bad_size = true);
        sizes.emplace_back(community_id{get_be64(k, 1)}, get_be64(v, 0));
        return true;
    });
    if (!scanned) return scanned.err();
    if (bad_size) return audit_corrupt("tree size");
    for (auto [c, size] : sizes) {
        // A store written before verdict trees has event tiles and none of these.
        auto first = db.get(column::audit, tile_key('V', c, merkle_tile_of(merkle_node{0, 0, {}})));
        if (!first) return first.err();
        if (size > 0 && !*first)
            return make_error(errc::old_store,
                              "the audit projection of community " + std::to_string(c.value) +
                                  " has no verdict tree (written by an older uurwerk): rebuild "
                                  "the store from the log");
        committed_tiles tiles{db, 'T', c, size};
        committed_tiles verdict_tiles{db, 'V', c, size};
        auto& tree = t->trees_[c];
        tree.frontier = merkle_frontier::restore(size, merkle_tiled_reader(tiles));
        tree.verdicts = merkle_frontier::restore(size, merkle_tiled_reader(verdict_tiles));
        if (*tiles.failure) return **tiles.failure;
        if (*verdict_tiles.failure) return **verdict_tiles.failure;
        auto latest = read_latest_checkpoint(db, c);
        if (!latest) return latest.err();
        tree.latest = *latest;
    }
    return t;
}

void audit_trees::append(char which, community_id c, merkle_frontier& f, const digest& leaf) {
    f.append(leaf, done_);
    for (const auto& n : done_) {
        if (!merkle_node_is_kept(n)) continue;
        tile_appends_[{which, c, merkle_tile_of(n)}].append(
            reinterpret_cast<const char*>(n.hash.b.data()), digest_bytes);
    }
}

void audit_trees::add_leaf(community_id c, offset at, time_ms appended_at, reject_reason verdict,
                           const digest& leaf) {
    auto& tree = trees_[c];
    const std::uint64_t index = tree.frontier.size();
    UURWERK_ASSERT(tree.verdicts.size() == index, tree.verdicts.size(), index);
    append('T', c, tree.frontier, leaf);
    append('V', c, tree.verdicts, verdict_leaf_hash(index, verdict, at, appended_at));
    auto& chunk = leaf_appends_[{c, index / audit_leaf_chunk}];
    put_be64(chunk, at.value);
    chunk.push_back(static_cast<char>(static_cast<std::uint16_t>(verdict) >> 8));
    chunk.push_back(static_cast<char>(static_cast<std::uint16_t>(verdict) & 0xff));
}

void audit_trees::add_checkpoint(community_id c, const checkpoint_record& r) {
    auto& tree = trees_.at(c);
    UURWERK_ASSERT(r.tree_size <= r.leaf && r.leaf < tree.frontier.size(), r.tree_size, r.leaf,
                   tree.frontier.size());
    tree.latest = r;
    checkpoints_.emplace_back(c, r);
}

void audit_trees::write_batch(store::batch& b) {
    std::optional<community_id> last;
    for (const auto& [where, hashes] : tile_appends_)
        b.append(column::audit,
                 tile_key(std::get<0>(where), std::get<1>(where), std::get<2>(where)), hashes);
    for (const auto& [where, entries] : leaf_appends_) {
        b.append(column::audit, chunk_key(where.first, where.second), entries);
        if (last == where.first) continue;
        last = where.first;
        std::string size;
        put_be64(size, trees_.at(where.first).frontier.size());
        b.put(column::audit, community_key('N', where.first), size);
    }
    for (const auto& [c, r] : checkpoints_) {
        auto k = community_key('K', c);
        put_be64(k, r.tree_size);
        put_be64(k, r.leaf);
        const auto v = encode(r);
        b.put(column::audit, k, v);
        b.put(column::audit, community_key('L', c), v);
    }
    tile_appends_.clear();
    leaf_appends_.clear();
    checkpoints_.clear();
}

std::string audit_trees::tile(char which, community_id c, const merkle_tile_id& id) const {
    auto v = db_.get(column::audit, tile_key(which, c, id));
    // The fold cannot give a verdict that depends on a failing disk: stop, and let a restart
    // fold the batch again.
    UURWERK_ASSERT(v.ok(), "audit tile read failed", v.ok() ? "" : v.err().message);
    std::string t = v->value_or(std::string());
    if (auto it = tile_appends_.find({which, c, id}); it != tile_appends_.end()) t += it->second;
    return t;
}

std::optional<digest> audit_trees::root_of(char which, community_id c, std::uint64_t size) const {
    auto it = trees_.find(c);
    const std::uint64_t have = it == trees_.end() ? 0 : it->second.frontier.size();
    if (size > have) return std::nullopt;
    if (size == have)
        return it == trees_.end() ? merkle_empty_root()
               : which == 'T'     ? it->second.frontier.root()
                                  : it->second.verdicts.root();
    return merkle_root_at(size, merkle_tiled_reader([this, which, c](const merkle_tile_id& id) {
                              return tile(which, c, id);
                          }));
}

std::optional<digest> audit_trees::root_at(community_id c, std::uint64_t size) const {
    return root_of('T', c, size);
}

std::optional<digest> audit_trees::verdict_root_at(community_id c, std::uint64_t size) const {
    return root_of('V', c, size);
}

std::uint64_t audit_trees::size(community_id c) const {
    auto it = trees_.find(c);
    return it == trees_.end() ? 0 : it->second.frontier.size();
}

std::optional<audit_trees::head> audit_trees::tree_head(community_id c) const {
    auto it = trees_.find(c);
    if (it == trees_.end()) return std::nullopt;
    return head{it->second.frontier.size(), it->second.frontier.root(), it->second.verdicts.root()};
}

std::optional<checkpoint_record> audit_trees::latest_checkpoint(community_id c) const {
    auto it = trees_.find(c);
    if (it == trees_.end()) return std::nullopt;
    return it->second.latest;
}

// ---------------------------------------------------------------------------------------------

result<std::uint64_t> read_tree_size(const store& db, community_id c) {
    auto v = db.get(column::audit, community_key('N', c));
    if (!v) return v.err();
    if (!*v) return std::uint64_t{0};
    if ((*v)->size() != 8) return audit_corrupt("tree size");
    return get_be64(**v, 0);
}

result<std::vector<leaf_record>> read_leaves(const store& db, community_id c, std::uint64_t from,
                                             std::size_t limit) {
    auto size = read_tree_size(db, c);
    if (!size) return size.err();
    std::vector<leaf_record> out;
    std::uint64_t next = from;
    const std::uint64_t end = std::min<std::uint64_t>(*size, from + limit);
    while (next < end) {
        const std::uint64_t chunk = next / audit_leaf_chunk;
        auto v = db.get(column::audit, chunk_key(c, chunk));
        if (!v) return v.err();
        if (!v->has_value()) return audit_corrupt("tree size (a chunk of leaves is missing)");
        const std::string& entries = **v;
        for (std::uint64_t i = next % audit_leaf_chunk;
             next < end && (i + 1) * leaf_entry_bytes <= entries.size(); ++i, ++next) {
            const std::size_t at = i * leaf_entry_bytes;
            const auto reason =
                static_cast<std::uint16_t>(static_cast<std::uint8_t>(entries[at + 8]) << 8 |
                                           static_cast<std::uint8_t>(entries[at + 9]));
            if (reason > reject_reason_max) return audit_corrupt("leaf's verdict");
            out.push_back(
                {next, offset{get_be64(entries, at)}, static_cast<reject_reason>(reason)});
        }
        // Each chunk but the tree's last is full: one that ends early is damage (and would be
        // read again and again).
        if (next != std::min(end, (chunk + 1) * audit_leaf_chunk))
            return audit_corrupt("chunk of leaves (shorter than the tree)");
    }
    return out;
}

result<std::optional<leaf_record>> find_leaf(const store& db, community_id c, offset at) {
    auto size = read_tree_size(db, c);
    if (!size) return size.err();
    if (*size == 0) return std::optional<leaf_record>();
    // Offsets grow with the leaf index: find the last chunk whose first offset is <= at.
    std::uint64_t lo = 0, hi = (*size - 1) / audit_leaf_chunk;  // answer in [lo, hi]
    while (lo < hi) {
        const std::uint64_t mid = lo + (hi - lo + 1) / 2;
        auto first = read_leaves(db, c, mid * audit_leaf_chunk, 1);
        if (!first) return first.err();
        if ((*first)[0].at <= at)
            lo = mid;
        else
            hi = mid - 1;
    }
    auto leaves = read_leaves(db, c, lo * audit_leaf_chunk, audit_leaf_chunk);
    if (!leaves) return leaves.err();
    for (const auto& l : *leaves)
        if (l.at == at) return std::optional<leaf_record>(l);
    return std::optional<leaf_record>();
}

result<std::optional<checkpoint_record>> read_latest_checkpoint(const store& db, community_id c) {
    auto v = db.get(column::audit, community_key('L', c));
    if (!v) return v.err();
    if (!*v) return std::optional<checkpoint_record>();
    auto r = decode_checkpoint(**v);
    if (!r) return r.err();
    return std::optional<checkpoint_record>(*r);
}

result<std::vector<checkpoint_record>> read_checkpoints(const store& db, community_id c) {
    std::vector<checkpoint_record> out;
    std::optional<error> bad;
    auto scanned = db.scan(column::audit, community_key('K', c), "",
                           [&](std::string_view, std::string_view v) {
                               auto r = decode_checkpoint(v);
                               if (!r) bad = r.err();
                               if (r) out.push_back(*r);
                               return r.ok();
                           });
    if (!scanned) return scanned.err();
    if (bad) return *bad;
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
    return out;
}

result<std::vector<checkpoint_record>> read_checkpoints_from(const store& db, community_id c,
                                                             std::uint64_t from_size,
                                                             std::size_t limit) {
    std::vector<checkpoint_record> out;
    if (limit == 0) return out;
    std::optional<error> bad;
    auto start = community_key('K', c);
    put_be64(start, from_size);
    auto scanned = db.scan(column::audit, community_key('K', c), start,
                           [&](std::string_view, std::string_view v) {
                               auto r = decode_checkpoint(v);
                               if (!r) {
                                   bad = r.err();
                                   return false;
                               }
                               out.push_back(*r);
                               return out.size() < limit;
                           });
    if (!scanned) return scanned.err();
    if (bad) return *bad;
    return out;
}

namespace {

// Runs `fn(reader)` over the committed tiles of `c` when `size` is within the committed tree.
template <typename Fn>
auto with_committed(const store& db, char which, community_id c, std::uint64_t size, Fn&& fn)
    -> result<decltype(fn(std::declval<const merkle_node_reader&>()))> {
    auto have = read_tree_size(db, c);
    if (!have) return have.err();
    if (size > *have) return beyond_tree(size, *have);
    committed_tiles tiles{db, which, c, *have};
    const merkle_node_reader reader = merkle_tiled_reader(tiles);
    auto out = fn(reader);
    if (*tiles.failure) return **tiles.failure;
    return out;
}

result<digest> root_in(const store& db, char which, community_id c, std::uint64_t size) {
    return with_committed(db, which, c, size,
                          [&](const merkle_node_reader& r) { return merkle_root_at(size, r); });
}

result<std::vector<digest>> proof_in(const store& db, char which, community_id c,
                                     std::uint64_t index, std::uint64_t size) {
    if (index >= size)
        return make_error(errc::beyond_tree, "leaf " + std::to_string(index) +
                                                 " is not in a tree of " + std::to_string(size));
    return with_committed(db, which, c, size, [&](const merkle_node_reader& r) {
        return merkle_inclusion_proof(index, size, r);
    });
}

}  // namespace

result<digest> read_root(const store& db, community_id c, std::uint64_t size) {
    return root_in(db, 'T', c, size);
}

result<std::vector<digest>> read_inclusion_proof(const store& db, community_id c,
                                                 std::uint64_t index, std::uint64_t size) {
    return proof_in(db, 'T', c, index, size);
}

result<digest> read_verdict_root(const store& db, community_id c, std::uint64_t size) {
    return root_in(db, 'V', c, size);
}

result<std::vector<digest>> read_verdict_inclusion_proof(const store& db, community_id c,
                                                         std::uint64_t index, std::uint64_t size) {
    return proof_in(db, 'V', c, index, size);
}

result<std::vector<digest>> read_consistency_proof(const store& db, community_id c,
                                                   std::uint64_t first, std::uint64_t second) {
    UURWERK_ASSERT(first >= 1 && first <= second, first, second);  // the caller checks the range
    return with_committed(db, 'T', c, second, [&](const merkle_node_reader& r) {
        return merkle_consistency_proof(first, second, r);
    });
}

}  // namespace uurwerk
