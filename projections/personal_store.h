#pragma once
// The personal-data store (AVG): the free texts that events commit to (ledger/core/personal.h),
// kept beside the log in a RocksDB database of their own (`DIR/personal`), apart from the log
// and the projections, so that they can be erased while the log, every root and every proof
// stay exactly as they are. Not a projection: it cannot be rebuilt from the log (the log holds
// only commitments), so a text is durable (synced) no later than the event that commits to it:
// before it is appended, or, on the embedded log, in the group write its log's writer makes
// before it writes the group's records (put() at_next_sync, sync_pending(); api/node/node.h).
//
// Keys (big-endian numbers, so a member's items sort together):
//   't' community(8) event id(16) commitment(32)  -> salt(16) text
//   'm' community(8) member(8) event id(16) commitment(32) -> empty: the members the text
//       belongs to or is about (personal.h: members_concerned), for erasure and export
// The commitment is part of the key: a text is found only under the commitment the accepted
// event carries, so a second event reusing an id (which the rules reject) cannot put its text
// in the place of the first one's.
//
// Replication (cluster mode, issue 22 point 7): every item the store keeps or erases goes
// through one sink, as (key, value) with the store's own key and value, or (key, no value) for
// an erased key: put() hands it its 't' item and its 'm' index entries after writing them;
// erase_member() (and erase_text(), erase_texts()) hands it a tombstone for every key it is
// about to delete, before deleting
// (so a failed sink leaves the member to be erased again, with tombstones, at the next start).
// The by-member index is replicated, not rebuilt: the members a text concerns come from the
// event's body, which a node that reads the item may not have applied yet. A node applies
// what it reads back (its own items too) with apply_replicated(), which checks every item
// against its key's layout (a text against its commitment) and keeps, beside the items, how
// far it has read each partition of the topic ('o' partition(4) -> offset(8): local, never
// replicated, never erased).
//
// Threading: every function may be called from any thread (RocksDB's own locking; the texts
// waiting for sync_pending() under a mutex of their own), except replicate_to(), which is called
// before any other use. Owns its database.

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ledger/core/base.h"
#include "ledger/core/event.h"
#include "ledger/core/personal.h"

namespace rocksdb {
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace uurwerk {

// One item of the store as replicated: its key, and its value, or none for an erased key.
struct personal_item {
    std::string key;
    std::optional<std::string> value;
    bool operator==(const personal_item&) const = default;
};
// Where the items of community `c` go (cluster mode: a compacted Kafka topic); returns once
// they are durable there.
using personal_sink =
    std::function<result<void>(community_id c, std::span<const personal_item> items)>;

enum class text_durability : std::uint8_t { synced_now, at_next_sync };

// Bytes of texts put() at_next_sync that may wait for sync_pending() (each group's sync drains
// them; only a log that no longer syncs lets them pile up): beyond it put() refuses.
inline constexpr std::size_t personal_pending_bytes_max = 64u << 20;

class personal_store {
public:
    // Opens or creates the store in `dir`. Errors: "store_error" saying what RocksDB answered.
    [[nodiscard]] static result<std::unique_ptr<personal_store>> open(
        const std::filesystem::path& dir);
    ~personal_store();

    // Keeps `text` as event `id`'s text in community `c`, committed to by `commitment`, for
    // `concerned` members. Durable (WAL synced) when it returns, or, with
    // text_durability::at_next_sync, once sync_pending() next returns: the text is kept in memory
    // until then, and sync_pending() writes every such text in one synced write (the embedded
    // log calls it before each group's fdatasync: the text is durable before the event appended
    // after this returns, and one write and one sync serve a whole group). Until then get()
    // does not find it: nothing reads a text before its event is applied. Writing the same
    // again is harmless. Errors: "store_error"; with at_next_sync "log_full" when
    // personal_pending_bytes_max bytes of texts already wait for the next sync.
    [[nodiscard]] result<void> put(community_id c, const event_id& id, const digest& commitment,
                                   const personal_text& text, std::span<const member_id> concerned,
                                   text_durability durability = text_durability::synced_now);
    // Writes, synced, every text put() at_next_sync since the last call (serialized: a call
    // returns only once every such put before it is durable). A failed write keeps them for the
    // next call. Errors: "store_error" (or "disk_full", as rocks_support.h says).
    [[nodiscard]] result<void> sync_pending();

    // Event `id`'s text under `commitment`, if the store has it (it may have been erased, or,
    // in a cluster, not have reached this node). Errors: "store_error".
    [[nodiscard]] result<std::optional<personal_text>> get(community_id c, const event_id& id,
                                                           const digest& commitment) const;

    // Every text that belongs to or names member `m` of community `c` (the 'm' index), in the
    // order of their event ids: what the member's export (AVG art. 15) shows of the store.
    struct member_text {
        event_id id;
        digest commitment;
        personal_text text;
    };
    [[nodiscard]] result<std::vector<member_text>> texts_of(community_id c, member_id m) const;

    // Erases every text that belongs to or names member `m` of community `c` (the 'm' index),
    // and makes sure it is physically gone: the deletes are flushed and the whole store is
    // compacted, so no SST file and no write-ahead log still holds the bytes (RocksDB removes
    // the files a flush and a compaction make obsolete). Idempotent. Returns how many texts it
    // erased. Slow (a compaction of the store): called once per member who leaves.
    // Errors: "store_error".
    [[nodiscard]] result<std::size_t> erase_member(community_id c, member_id m);

    // Erases event `id`'s text under `commitment` of community `c` and its index entry under
    // member `m` (a profile the member replaced), physically, as erase_member does. Idempotent;
    // returns whether there was a text. Errors: "store_error".
    [[nodiscard]] result<bool> erase_text(community_id c, member_id m, const event_id& id,
                                          const digest& commitment);

    // Erases each of `texts` the store holds, with every index entry of theirs, physically, as
    // erase_member does: one write of them all and one flush and compaction (none when none is
    // here), their tombstones first through the sink (one call per community). Idempotent; a
    // text named twice counts once. Returns how many texts it erased. For the retention sweep
    // (ledger/core/retention.h: texts_due); slow only when it erases. Errors: "store_error".
    [[nodiscard]] result<std::size_t> erase_texts(std::span<const text_ref> texts);

    // Texts the ledger will never use: their event was rejected (a claim over the limit, a post
    // by a suspended member). Deleted at once with their index entries under `concerned` (no
    // read or export shows them again), tombstones through the sink first; made physically gone
    // by the next compact_if_owed() (the retention sweep calls it every interval) rather than
    // by a compaction on the caller's thread, which is the projector's. Idempotent; returns how
    // many of them the store held. Errors: "store_error".
    struct unkept_text {
        text_ref text;
        std::vector<member_id> concerned;
    };
    [[nodiscard]] result<std::size_t> delete_unkept(std::span<const unkept_text> texts);
    // Flushes and compacts the store when delete_unkept() deleted something since the last
    // compaction; returns whether it did. Errors: "store_error".
    [[nodiscard]] result<bool> compact_if_owed();

    // Texts whose event is not in the log. A text is made durable before its event is appended,
    // so one is left behind when the append never happens: the node stopped (a crash, a kill)
    // between the two, or the log refused the append (a full disk, too many appends waiting).
    // Nobody was told such an event was accepted and none will ever commit to the text: it is
    // personal data kept for no purpose, and the member's export would show it. Deletes every
    // text and index entry of an event that `logged(community, id)` says the log does not
    // hold (or holds refused), tombstones through the sink first, physically gone at the next
    // compact_if_owed() (as delete_unkept).
    // Only while nothing is on its way to the log: the embedded node calls it when it opens,
    // before it serves. A node of a cluster never does: another node may be about to append
    // the event of a text it has already replicated. Errors: "store_error".
    struct orphan_sweep {
        std::size_t texts = 0;    // the texts looked at
        std::size_t deleted = 0;  // of them, deleted
        std::size_t index_entries_deleted = 0;
    };
    [[nodiscard]] result<orphan_sweep> delete_orphans(
        const std::function<bool(community_id, const event_id&)>& logged);

    // Copies the store in `from` into a new store in `to` (which must not exist), entry by
    // entry, synced: for backups and restores. `from` is opened read-only, so a node may be
    // running on it: the copy is the store as of that moment (every text the node wrote before
    // then, the texts of the events in a log copied before it included). Returns the number of
    // entries copied. Errors: "store_error".
    [[nodiscard]] static result<std::size_t> copy(const std::filesystem::path& from,
                                                  const std::filesystem::path& to);

    // Sends every item put() or erase_member() writes from now on to `sink` too (see above).
    void replicate_to(personal_sink sink) { sink_ = std::move(sink); }

    // What apply_replicated() did: items kept, keys erased (then flushed and compacted, as
    // erase_member does), and why each refused item was refused (a text that does not match
    // its commitment, a key of no known layout, a value where none belongs).
    struct applied_items {
        std::size_t kept = 0;
        std::size_t erased = 0;
        struct refusal {
            std::size_t index;  // in the items given
            std::string why;
        };
        std::vector<refusal> refused;
    };
    // Applies items read from the replication topic, in their order, with `positions` (one per
    // partition of the topic: where its reader stands after them) in the same write.
    [[nodiscard]] result<applied_items> apply_replicated(std::span<const personal_item> items,
                                                         std::span<const offset> positions);
    // The positions the last apply_replicated() stored, `partitions` of them (0 where none).
    [[nodiscard]] result<std::vector<offset>> replicated_positions(std::uint32_t partitions) const;

    // How many texts the store holds (for tests and metrics; a scan).
    [[nodiscard]] result<std::size_t> count() const;

    personal_store(const personal_store&) = delete;
    personal_store& operator=(const personal_store&) = delete;

private:
    personal_store() = default;
    // Flushes the memtable and compacts the whole store: deleted values are physically gone.
    [[nodiscard]] result<void> make_erasure_physical();
    // Sends a tombstone for each of `keys` through the sink (if any), then deletes them in one
    // synced write (delete_keys); erase_keys also makes that physical: what every erasure ends
    // with.
    using keys_by_community = std::map<community_id, std::vector<std::string>>;
    [[nodiscard]] result<void> delete_keys(const keys_by_community& keys);
    [[nodiscard]] result<void> erase_keys(const keys_by_community& keys);
    std::unique_ptr<rocksdb::DB> db_;
    personal_sink sink_;
    std::atomic<bool> compaction_owed_{false};  // delete_unkept() deleted since the last one
    std::mutex sync_mutex_;                     // one sync_pending() at a time
    // The texts put() at_next_sync since the last sync_pending(), under pending_mutex_.
    std::mutex pending_mutex_;
    std::unique_ptr<rocksdb::WriteBatch> pending_;
};

}  // namespace uurwerk
