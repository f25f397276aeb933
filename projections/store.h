#pragma once
// The projection store: one RocksDB database, a column family per projection.
//
//   state    every entity the ledger rules keep (communities, members, keys, delegations,
//            claims, transfers, posts, matches, seen event ids), so the fold state can be
//            loaded again on start (projections/state_codec.h has the keys and values)
//   history  community | member | offset / 1024 -> that member's history lines in those 1024
//            offsets, in order (appended batch by batch; see state_codec.h)
//   posts    community | offer? | category | offset -> an open post's summary (match queues)
//   meta     "applied" -> one past the last applied log offset; "format" -> format version;
//            "skipped" -> how many of the applied records were no event (projector.h), absent
//            while none was
//   audit    each community's Merkle tree, leaves and checkpoints (projections/audit.h)
//   outbox   offset | recipient | about | purpose -> the e-mail notifications the log owes
//            (projections/outbox.h); what was sent is kept apart, in the mail store (api/mail)
//
// Durability: RocksDB's own WAL is off. The event log is the write-ahead log: every write is a
// WriteBatch that carries the state of some events *and* the applied offset, and atomic_flush
// makes every column family reach disk together, so after a crash the store holds a consistent
// prefix of the log and the projector resumes from its applied offset.
//
// Threading: write() is called by one thread (the projector); reads (get, scans, digest) may run
// from any thread at the same time (RocksDB's own snapshot isolation).

#include <bit>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "ledger/core/event.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace uurwerk {

enum class column : std::uint8_t { state = 0, history, posts, meta, audit, outbox };
inline constexpr std::size_t column_count = 6;

// How a store will be used. A rebuild writes everything and reads nothing until it is done,
// which RocksDB serves best with a vector memtable (append now, sort when flushed, on a
// background thread); a serving store needs memtables that are quick to read.
enum class store_use : std::uint8_t { serving, bulk_load };

class store {
public:
    // Opens (creating if missing) the store in `dir`.
    [[nodiscard]] static result<std::unique_ptr<store>> open(const std::filesystem::path& dir,
                                                             store_use use = store_use::serving);
    ~store();
    store(const store&) = delete;
    store& operator=(const store&) = delete;

    // A batch of puts and deletes, applied atomically by write().
    class batch {
    public:
        batch();
        ~batch();
        batch(batch&&) noexcept;
        batch& operator=(batch&&) noexcept;
        void put(column c, std::string_view key, std::string_view value);
        void del(column c, std::string_view key);
        // Appends `value` to the key's value (an append-only record: see store.cpp).
        void append(column c, std::string_view key, std::string_view value);
        std::size_t count() const;
        void clear();

    private:
        friend class store;
        std::unique_ptr<rocksdb::WriteBatch> wb_;
        store* owner_ = nullptr;
    };
    [[nodiscard]] batch make_batch();
    [[nodiscard]] result<void> write(batch& b);

    // Reads every table file of the store on disk and checks every block's checksum (RocksDB's
    // VerifyChecksum): "store_corrupt" names the damaged file. Costs a read of the whole store.
    [[nodiscard]] result<void> verify_checksums() const;

    // Flushes memtables to disk (all columns together). For clean shutdown and tests.
    [[nodiscard]] result<void> flush();

    [[nodiscard]] result<std::optional<std::string>> get(column c, std::string_view key) const;

    // Calls `fn(key, value)` for each key with `prefix` in order, from `start` (>= prefix) on;
    // stops when fn returns false.
    [[nodiscard]] result<void> scan(
        column c, std::string_view prefix, std::string_view start,
        const std::function<bool(std::string_view, std::string_view)>& fn) const;

    // SHA-256 over every column's keys and values in order: equal for equal state.
    [[nodiscard]] result<digest> state_digest() const;
    // The same, with the applied offset and the skipped count of the very state it hashed (one
    // snapshot: read apart, a digest could be a batch older than the offset beside it).
    struct digest_at {
        digest state;
        offset applied;
        std::uint64_t skipped = 0;
    };
    [[nodiscard]] result<digest_at> state_digest_at() const;

    // One past the last applied log offset (0 on a new store).
    [[nodiscard]] result<offset> applied() const;
    // Adds "applied = o" to a batch.
    static void set_applied(batch& b, offset o);
    // How many applied records were skipped as no event (0 on a new store), and adds "skipped
    // = records" (> 0) to a batch. Part of the state: the digest covers it.
    [[nodiscard]] result<std::uint64_t> skipped() const;
    static void set_skipped(batch& b, std::uint64_t records);

private:
    store() = default;
    rocksdb::ColumnFamilyHandle* handle(column c) const;
    std::unique_ptr<rocksdb::DB> db_;
    std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

// Big-endian key pieces, so that RocksDB's byte order is numeric order. put_be64 is inline: a
// rebuild calls it several times an event.
inline void put_be64(std::string& out, std::uint64_t v) {
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
    char be[8];
    std::memcpy(be, &v, sizeof be);
    out.append(be, sizeof be);
}
std::uint64_t get_be64(std::string_view in, std::size_t pos);

}  // namespace uurwerk
