#pragma once
// The personal-data store (AVG): the free texts that events commit to (ledger/core/personal.h),
// kept beside the log in a RocksDB database of their own (`DIR/personal`), apart from the log
// and the projections, so that they can be erased while the log, every root and every proof
// stay exactly as they are. Not a projection: it cannot be rebuilt from the log (the log holds
// only commitments), so its writes are durable (synced) before the event that commits to them
// is appended (api/node/node.h).
//
// Keys (big-endian numbers, so a member's items sort together):
//   't' community(8) event id(16) commitment(32)  -> salt(16) text
//   'm' community(8) member(8) event id(16) commitment(32) -> empty: the members the text
//       belongs to or is about (personal.h: members_concerned), for erasure and export
// The commitment is part of the key: a text is found only under the commitment the accepted
// event carries, so a second event reusing an id (which the rules reject) cannot put its text
// in the place of the first one's.
//
// Threading: every function may be called from any thread (RocksDB's own locking). Owns its
// database.

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "ledger/core/base.h"
#include "ledger/core/event.h"
#include "ledger/core/personal.h"

namespace rocksdb {
class DB;
}

namespace uurwerk {

class personal_store {
public:
    // Opens or creates the store in `dir`. Errors: "store_error" saying what RocksDB answered.
    [[nodiscard]] static result<std::unique_ptr<personal_store>> open(
        const std::filesystem::path& dir);
    ~personal_store();

    // Keeps `text` as event `id`'s text in community `c`, committed to by `commitment`, for
    // `concerned` members; durable (WAL synced) when it returns. Writing the same again is
    // harmless. Errors: "store_error".
    [[nodiscard]] result<void> put(community_id c, const event_id& id, const digest& commitment,
                                   const personal_text& text, std::span<const member_id> concerned);

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

    // Copies the store in `from` into a new store in `to` (which must not exist), entry by
    // entry, synced: for backups and restores. `from` is opened read-only, so a node may be
    // running on it: the copy is the store as of that moment (every text the node wrote before
    // then, the texts of the events in a log copied before it included). Returns the number of
    // entries copied. Errors: "store_error".
    [[nodiscard]] static result<std::size_t> copy(const std::filesystem::path& from,
                                                  const std::filesystem::path& to);

    // How many texts the store holds (for tests and metrics; a scan).
    [[nodiscard]] result<std::size_t> count() const;

    personal_store(const personal_store&) = delete;
    personal_store& operator=(const personal_store&) = delete;

private:
    personal_store() = default;
    std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace uurwerk
