#include "projections/personal_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "ledger/core/limits.h"
#include "projections/rocks_support.h"

namespace uurwerk {
namespace {

error store_failed(const rocksdb::Status& s, std::string_view what) {
    return error{errc::store_error, std::string(what) + ": " + s.ToString()};
}

void put_be64(std::string& out, std::uint64_t v) {
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get_be64(std::string_view in, std::size_t pos) {
    UURWERK_ASSERT(pos + 8 <= in.size(), pos, in.size());
    std::uint64_t v = 0;
    for (std::size_t i = pos; i < pos + 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
    return v;
}

constexpr std::size_t text_key_bytes = 1 + 8 + event_id_bytes + digest_bytes;
constexpr std::size_t member_key_bytes = 1 + 8 + 8 + event_id_bytes + digest_bytes;

// The community and event of a text key ('t') or an index key ('m'), as the layouts in
// personal_store.h place them; none for a key of another kind or length.
std::optional<std::pair<community_id, event_id>> event_of_key(std::string_view k) {
    std::size_t id_at = 0;
    if (k.starts_with('t') && k.size() == text_key_bytes)
        id_at = 1 + 8;
    else if (k.starts_with('m') && k.size() == member_key_bytes)
        id_at = 1 + 8 + 8;
    else
        return std::nullopt;
    event_id id;
    std::memcpy(id.b.data(), k.data() + id_at, event_id_bytes);
    return std::pair{community_id{get_be64(k, 1)}, id};
}

template <std::size_t N>
void put_bytes(std::string& out, const std::array<std::uint8_t, N>& a) {
    out.append(reinterpret_cast<const char*>(a.data()), N);
}

std::string text_key(community_id c, const event_id& id, const digest& commitment) {
    std::string k(1, 't');
    put_be64(k, c.value);
    put_bytes(k, id.b);
    put_bytes(k, commitment.b);
    return k;
}

std::string member_key(community_id c, member_id m, const event_id& id, const digest& commitment) {
    std::string k(1, 'm');
    put_be64(k, c.value);
    put_be64(k, m.value);
    put_bytes(k, id.b);
    put_bytes(k, commitment.b);
    return k;
}

}  // namespace

result<std::unique_ptr<personal_store>> personal_store::open(const std::filesystem::path& dir) {
    if (auto made = make_store_folder(dir); !made) return made.err();
    rocksdb::Options options;
    options.create_if_missing = true;
    options.max_open_files = 64;
    // Small: texts are at most a few KiB each and are written one event at a time.
    options.write_buffer_size = 4u << 20;
    // Uncompressed: the texts are few and short, and a text kept in the clear in its SST file
    // is one whose erasure a scan of the folder's bytes can check (compressed, a text that
    // shares words with another is stored as back-references, found by no scan, kept or not).
    options.compression = rocksdb::kNoCompression;
    options.bottommost_compression = rocksdb::kNoCompression;
    rocksdb::DB* db = nullptr;
    auto st = rocksdb::DB::Open(options, dir.string(), &db);
    if (!st.ok()) return store_failed(st, "cannot open the personal-data store in " + dir.string());
    auto s = std::unique_ptr<personal_store>(new personal_store());
    s->db_.reset(db);
    s->pending_ = std::make_unique<rocksdb::WriteBatch>();
    return s;
}

personal_store::~personal_store() = default;

result<void> personal_store::put(community_id c, const event_id& id, const digest& commitment,
                                 const personal_text& text, std::span<const member_id> concerned,
                                 text_durability durability) {
    std::string key = text_key(c, id, commitment);
    std::string value;
    value.reserve(personal_salt_bytes + text.text.size());
    put_bytes(value, text.salt.b);
    value.append(text.text);
    if (durability == text_durability::at_next_sync) {
        // Added to the batch that sync_pending() writes, synced, in one write for the whole
        // group: a RocksDB write of its own (its write group, write-ahead-log record and
        // write() call) for every text took a good part of an event's CPU outside the check of
        // its signature.
        std::lock_guard lock(pending_mutex_);
        if (pending_->GetDataSize() > personal_pending_bytes_max)
            return make_error(errc::log_full,
                              std::to_string(pending_->Count()) +
                                  " texts already wait for the log's next sync (it syncs no "
                                  "more, or not as fast as texts come)");
        pending_->Put(key, value);
        for (const member_id m : concerned) pending_->Put(member_key(c, m, id, commitment), "");
    } else {
        rocksdb::WriteBatch batch;
        batch.Put(key, value);
        for (const member_id m : concerned) batch.Put(member_key(c, m, id, commitment), "");
        rocksdb::WriteOptions w;
        w.sync = true;  // durable before the event that commits to it is appended
        auto st = db_->Write(w, &batch);
        if (!st.ok()) return store_failed(st, "cannot write to the personal-data store");
    }
    // And, in a cluster, in the replication topic too before the event is appended.
    if (!sink_) return {};
    std::vector<personal_item> items;
    items.reserve(1 + concerned.size());
    items.push_back({std::move(key), std::move(value)});
    for (const member_id m : concerned) items.push_back({member_key(c, m, id, commitment), ""});
    return sink_(c, items);
}

namespace {
// Copies every put of a write batch into another (the batch of texts that failed to be written
// goes back ahead of those put since).
class copy_puts final : public rocksdb::WriteBatch::Handler {
public:
    explicit copy_puts(rocksdb::WriteBatch& to) : to_(to) {}
    void Put(const rocksdb::Slice& key, const rocksdb::Slice& value) override {
        to_.Put(key, value);
    }

private:
    rocksdb::WriteBatch& to_;
};
}  // namespace

result<void> personal_store::sync_pending() {
    std::lock_guard lock(sync_mutex_);
    auto batch = std::make_unique<rocksdb::WriteBatch>();
    {
        std::lock_guard taken(pending_mutex_);
        if (pending_->Count() == 0) return ok_value;
        pending_.swap(batch);
    }
    rocksdb::WriteOptions w;
    w.sync = true;
    if (auto st = db_->Write(w, batch.get()); !st.ok()) {
        // Still owed, ahead of the texts put since: the next sync writes them all.
        std::lock_guard taken(pending_mutex_);
        copy_puts later(*batch);
        if (auto copied = pending_->Iterate(&later); !copied.ok())
            return store_failed(copied, "cannot keep the personal-data store's unwritten texts");
        pending_.swap(batch);
        return rocks_error(st, "cannot write the texts of a group to the personal-data store");
    }
    return ok_value;
}

result<std::optional<personal_text>> personal_store::get(community_id c, const event_id& id,
                                                         const digest& commitment) const {
    std::string value;
    auto st = db_->Get(rocksdb::ReadOptions(), text_key(c, id, commitment), &value);
    if (st.IsNotFound()) return std::optional<personal_text>();
    if (!st.ok()) return store_failed(st, "cannot read the personal-data store");
    if (value.size() < personal_salt_bytes)
        return make_error(errc::store_error, "a personal-data record is shorter than its salt");
    personal_text out;
    std::memcpy(out.salt.b.data(), value.data(), personal_salt_bytes);
    out.text.assign(value, personal_salt_bytes);
    // What is read back is what was committed to, or the store is damaged.
    if (commit_text(out.salt, out.text) != commitment)
        return make_error(errc::store_error,
                          "a personal-data record does not match its commitment (event " +
                              id.hex() + "): the store in its folder is damaged");
    return std::optional<personal_text>(std::move(out));
}

result<std::vector<personal_store::member_text>> personal_store::texts_of(community_id c,
                                                                          member_id m) const {
    std::string prefix(1, 'm');
    put_be64(prefix, c.value);
    put_be64(prefix, m.value);
    std::vector<member_text> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        const auto k = it->key();
        if (k.size() != prefix.size() + event_id_bytes + digest_bytes)
            return make_error(errc::store_error, "a personal-data index key is malformed");
        member_text t;
        std::memcpy(t.id.b.data(), k.data() + prefix.size(), event_id_bytes);
        std::memcpy(t.commitment.b.data(), k.data() + prefix.size() + event_id_bytes, digest_bytes);
        auto text = get(c, t.id, t.commitment);
        if (!text) return text.err();
        if (!*text) continue;  // the index outlived its text: nothing to show
        t.text = std::move(**text);
        out.push_back(std::move(t));
    }
    if (!it->status().ok())
        return store_failed(it->status(), "cannot read the personal-data store");
    return out;
}

result<std::size_t> personal_store::erase_member(community_id c, member_id m) {
    std::string prefix(1, 'm');
    put_be64(prefix, c.value);
    put_be64(prefix, m.value);
    keys_by_community doomed;
    auto& keys = doomed[c];
    std::size_t erased = 0;
    {
        std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
        for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
            const auto k = it->key();
            if (k.size() != prefix.size() + event_id_bytes + digest_bytes)
                return make_error(errc::store_error, "a personal-data index key is malformed");
            std::string text_key(1, 't');
            put_be64(text_key, c.value);
            text_key.append(k.data() + prefix.size(), event_id_bytes + digest_bytes);
            keys.push_back(std::move(text_key));
            keys.push_back(k.ToString());
            ++erased;
        }
        if (!it->status().ok())
            return store_failed(it->status(), "cannot read the personal-data store");
    }
    if (erased == 0) return erased;  // nothing (left) to erase: no compaction
    if (auto gone = erase_keys(doomed); !gone) return gone.err();
    return erased;
}

result<std::size_t> personal_store::erase_texts(std::span<const text_ref> texts) {
    // Which of them the store still holds: those are erased, with every index entry of theirs
    // (found by one scan of each such community's index: the texts' members are not given).
    keys_by_community doomed;
    std::map<community_id, std::set<std::string>> indexed;  // event id ++ commitment, by community
    std::size_t erased = 0;
    std::string ignored;
    for (const text_ref& t : texts) {
        std::string key = text_key(t.community, t.event, t.commitment);
        auto st = db_->Get(rocksdb::ReadOptions(), key, &ignored);
        if (st.IsNotFound()) continue;
        if (!st.ok()) return store_failed(st, "cannot read the personal-data store");
        if (!indexed[t.community].insert(key.substr(1 + 8)).second) continue;  // named twice
        doomed[t.community].push_back(std::move(key));
        ++erased;
    }
    if (erased == 0) return erased;  // nothing (left) to erase: no compaction
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (const auto& [c, suffixes] : indexed) {
        std::string prefix(1, 'm');
        put_be64(prefix, c.value);
        for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
            const auto k = it->key();
            if (k.size() != prefix.size() + 8 + event_id_bytes + digest_bytes)
                return make_error(errc::store_error, "a personal-data index key is malformed");
            if (suffixes.contains(
                    std::string(k.data() + prefix.size() + 8, event_id_bytes + digest_bytes)))
                doomed[c].push_back(k.ToString());
        }
        if (!it->status().ok())
            return store_failed(it->status(), "cannot read the personal-data store");
    }
    if (auto gone = erase_keys(doomed); !gone) return gone.err();
    return erased;
}

result<void> personal_store::erase_keys(const keys_by_community& keys) {
    if (auto deleted = delete_keys(keys); !deleted) return deleted;
    return make_erasure_physical();
}

result<std::size_t> personal_store::delete_unkept(std::span<const unkept_text> texts) {
    keys_by_community doomed;
    std::size_t held = 0;
    std::string ignored;
    for (const auto& u : texts) {
        const auto& t = u.text;
        std::string key = text_key(t.community, t.event, t.commitment);
        auto st = db_->Get(rocksdb::ReadOptions(), key, &ignored);
        if (st.IsNotFound()) continue;
        if (!st.ok()) return store_failed(st, "cannot read the personal-data store");
        ++held;
        auto& keys = doomed[t.community];
        keys.push_back(std::move(key));
        for (const member_id m : u.concerned)
            keys.push_back(member_key(t.community, m, t.event, t.commitment));
    }
    if (held == 0) return held;
    if (auto deleted = delete_keys(doomed); !deleted) return deleted.err();
    compaction_owed_.store(true, std::memory_order_release);
    return held;
}

result<personal_store::orphan_sweep> personal_store::delete_orphans(
    const std::function<bool(community_id, const event_id&)>& logged) {
    orphan_sweep out;
    keys_by_community doomed;
    // The texts first ('t' community(8) event(16) commitment(32)): a text and its index entries
    // are written and erased in one batch, so only an orphan text has orphan index entries, and
    // a store without one is read through its texts alone (about half its keys).
    std::set<std::pair<community_id, event_id>> orphans;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek("t"); it->Valid() && it->key().starts_with("t"); it->Next()) {
        const std::string_view k(it->key().data(), it->key().size());
        const auto event = event_of_key(k);
        if (!event) continue;
        ++out.texts;
        if (logged(event->first, event->second)) continue;
        ++out.deleted;
        orphans.insert(*event);
        doomed[event->first].emplace_back(k);
    }
    if (!it->status().ok())
        return store_failed(it->status(), "cannot read the personal-data store");
    if (orphans.empty()) return out;
    // Then their index entries ('m' community(8) member(8) event(16) commitment(32)).
    for (it->Seek("m"); it->Valid() && it->key().starts_with("m"); it->Next()) {
        const std::string_view k(it->key().data(), it->key().size());
        const auto event = event_of_key(k);
        if (!event || !orphans.contains(*event)) continue;
        ++out.index_entries_deleted;
        doomed[event->first].emplace_back(k);
    }
    if (!it->status().ok())
        return store_failed(it->status(), "cannot read the personal-data store");
    it.reset();
    // Deleted now; physically gone at the next compact_if_owed() (the node's retention sweep,
    // right after it opens), so that a start does not compact the whole store twice, and a
    // start on a disk that was just full needs no room for a compaction.
    if (auto deleted = delete_keys(doomed); !deleted) return deleted.err();
    compaction_owed_.store(true, std::memory_order_release);
    return out;
}

result<bool> personal_store::compact_if_owed() {
    if (!compaction_owed_.load(std::memory_order_acquire)) return false;
    if (auto made = make_erasure_physical(); !made) {
        compaction_owed_.store(true, std::memory_order_release);
        return made.err();
    }
    return true;
}

result<void> personal_store::delete_keys(const keys_by_community& keys) {
    // The tombstones first: if they cannot be written, nothing is deleted here, so the erasure
    // (which every start repeats: for members who left, for texts past their retention) sends
    // them again.
    rocksdb::WriteBatch batch;
    for (const auto& [c, some] : keys) {
        std::vector<personal_item> tombstones;
        tombstones.reserve(some.size());
        for (const auto& k : some) {
            tombstones.push_back({k, std::nullopt});
            batch.Delete(k);
        }
        if (sink_)
            if (auto sent = sink_(c, tombstones); !sent) return sent.err();
    }
    rocksdb::WriteOptions w;
    w.sync = true;
    if (auto st = db_->Write(w, &batch); !st.ok())
        return store_failed(st, "cannot erase from the personal-data store");
    return ok_value;
}

result<bool> personal_store::erase_text(community_id c, member_id m, const event_id& id,
                                        const digest& commitment) {
    const std::string text = text_key(c, id, commitment);
    const std::string index = member_key(c, m, id, commitment);
    std::string value;
    auto st = db_->Get(rocksdb::ReadOptions(), text, &value);
    if (st.IsNotFound()) return false;
    if (!st.ok()) return store_failed(st, "cannot read the personal-data store");
    if (auto gone = erase_keys({{c, {text, index}}}); !gone) return gone.err();
    return true;
}

result<void> personal_store::make_erasure_physical() {
    compaction_owed_.store(false, std::memory_order_release);  // this one covers them
    // Physically gone: the memtable (and with it the write-ahead log that held the texts) goes
    // to an SST file, and a full compaction rewrites every file without the erased values.
    if (auto st = db_->Flush(rocksdb::FlushOptions()); !st.ok())
        return store_failed(st, "cannot flush the personal-data store");
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    if (auto st = db_->CompactRange(compact, nullptr, nullptr); !st.ok())
        return store_failed(st, "cannot compact the personal-data store");
    return ok_value;
}

namespace {

// A text of text_chars_max characters of UTF-8 (at most 4 bytes each), and its salt.
constexpr std::size_t text_value_bytes_max = personal_salt_bytes + 4 * text_chars_max;

std::string position_key(std::uint32_t partition) {
    std::string k(1, 'o');
    for (int i = 3; i >= 0; --i) k.push_back(static_cast<char>((partition >> (8 * i)) & 0xff));
    return k;
}

// Why a replicated item cannot be kept, or nothing when it can: the checks of each key layout
// of the store. A new kind of item (a new key prefix) adds its check here; until then its
// items are refused.
std::optional<std::string> refusal_of(const personal_item& item) {
    const std::string& k = item.key;
    if (k.empty()) return "an empty key";
    switch (k[0]) {
        case 't': {
            if (k.size() != text_key_bytes)
                return "a text key of " + std::to_string(k.size()) + " bytes, not " +
                       std::to_string(text_key_bytes);
            if (!item.value) return std::nullopt;
            const std::string& v = *item.value;
            if (v.size() < personal_salt_bytes || v.size() > text_value_bytes_max)
                return "a text value of " + std::to_string(v.size()) + " bytes";
            personal_salt salt;
            std::memcpy(salt.b.data(), v.data(), personal_salt_bytes);
            digest commitment;
            std::memcpy(commitment.b.data(), k.data() + 1 + 8 + event_id_bytes, digest_bytes);
            if (commit_text(salt, std::string_view(v).substr(personal_salt_bytes)) != commitment)
                return "a text that does not match the commitment in its key";
            return std::nullopt;
        }
        case 'm':
            if (k.size() != member_key_bytes)
                return "an index key of " + std::to_string(k.size()) + " bytes, not " +
                       std::to_string(member_key_bytes);
            if (item.value && !item.value->empty()) return "an index entry with a value";
            return std::nullopt;
        default:
            return "a key of unknown kind (first byte " +
                   std::to_string(static_cast<unsigned char>(k[0])) + ")";
    }
}

}  // namespace

result<personal_store::applied_items> personal_store::apply_replicated(
    std::span<const personal_item> items, std::span<const offset> positions) {
    applied_items out;
    rocksdb::WriteBatch batch;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const personal_item& item = items[i];
        if (auto why = refusal_of(item)) {
            out.refused.push_back({i, *why});
            continue;
        }
        if (item.value) {
            batch.Put(item.key, *item.value);
            ++out.kept;
        } else {
            batch.Delete(item.key);
            ++out.erased;
        }
    }
    for (std::uint32_t p = 0; p < positions.size(); ++p) {
        std::string v;
        put_be64(v, positions[p].value);
        batch.Put(position_key(p), v);
    }
    rocksdb::WriteOptions w;
    w.sync = true;
    if (auto st = db_->Write(w, &batch); !st.ok())
        return store_failed(st, "cannot write replicated items to the personal-data store");
    if (out.erased > 0)
        if (auto gone = make_erasure_physical(); !gone) return gone.err();
    return out;
}

result<std::vector<offset>> personal_store::replicated_positions(std::uint32_t partitions) const {
    std::vector<offset> out(partitions, offset{0});
    for (std::uint32_t p = 0; p < partitions; ++p) {
        std::string v;
        auto st = db_->Get(rocksdb::ReadOptions(), position_key(p), &v);
        if (st.IsNotFound()) continue;
        if (!st.ok()) return store_failed(st, "cannot read the personal-data store");
        if (v.size() != 8)
            return make_error(errc::store_error, "a position of " + std::to_string(v.size()) +
                                                     " bytes in the personal-data store");
        out[p] = offset{get_be64(v, 0)};
    }
    return out;
}

result<std::size_t> personal_store::copy(const std::filesystem::path& from,
                                         const std::filesystem::path& to) {
    if (std::filesystem::exists(to))
        return make_error(errc::store_error, to.string() + " exists already");
    rocksdb::Options read_options;
    rocksdb::DB* source = nullptr;
    auto st = rocksdb::DB::OpenForReadOnly(read_options, from.string(), &source);
    if (!st.ok())
        return store_failed(st, "cannot open the personal-data store in " + from.string());
    std::unique_ptr<rocksdb::DB> src(source);
    auto target = open(to);
    if (!target) return target.err();
    std::unique_ptr<rocksdb::Iterator> it(src->NewIterator(rocksdb::ReadOptions()));
    rocksdb::WriteBatch batch;
    std::size_t copied = 0;
    rocksdb::WriteOptions w;
    w.sync = true;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        batch.Put(it->key(), it->value());
        ++copied;
        if (batch.Count() >= 4096) {
            if (auto s = (*target)->db_->Write(w, &batch); !s.ok())
                return store_failed(s, "cannot write the copy in " + to.string());
            batch.Clear();
        }
    }
    if (!it->status().ok()) return store_failed(it->status(), "cannot read " + from.string());
    if (auto s = (*target)->db_->Write(w, &batch); !s.ok())
        return store_failed(s, "cannot write the copy in " + to.string());
    return copied;
}

result<std::size_t> personal_store::count() const {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    std::size_t n = 0;
    for (it->Seek("t"); it->Valid() && it->key().starts_with("t"); it->Next()) ++n;
    if (!it->status().ok())
        return store_failed(it->status(), "cannot read the personal-data store");
    return n;
}

}  // namespace uurwerk
