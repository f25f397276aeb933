#pragma once
// The mail store: what this node's e-mail sender (api/mail) keeps beside the projections, in
// its own RocksDB (`DIR/mail`): what it sent of each partition's outbox (projections/outbox.h),
// where it started, the members' mail choices, the node's secret for unsubscribe links. It is
// no projection: the log cannot rebuild it, and a rebuild of the projection store leaves it as
// it is, so that an outbox rebuilt with the same keys is recognised as sent. Every write is
// synced (RocksDB's WAL, fsync) before it returns: a send recorded here is on disk.
//
// Keys and values are the caller's (api/mail/mailer.h lays them out). Threading: every function
// may be called from any thread (RocksDB's own locking).

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/core/base.h"

namespace rocksdb {
class DB;
}

namespace uurwerk {

class mail_store {
public:
    // Opens (creating if missing) the store in `dir`. Errors: store_error, store_corrupt.
    [[nodiscard]] static result<std::unique_ptr<mail_store>> open(const std::filesystem::path& dir);
    ~mail_store();
    mail_store(const mail_store&) = delete;
    mail_store& operator=(const mail_store&) = delete;

    [[nodiscard]] result<std::optional<std::string>> get(std::string_view key) const;
    // Writes every pair and deletes every key of `gone` in one synced write. Errors:
    // store_error, disk_full.
    [[nodiscard]] result<void> put(const std::vector<std::pair<std::string, std::string>>& pairs,
                                   const std::vector<std::string>& gone = {});
    // Calls `fn(key, value)` for each key with `prefix`, in order; stops when fn returns false.
    [[nodiscard]] result<void> scan(
        std::string_view prefix,
        const std::function<bool(std::string_view, std::string_view)>& fn) const;

private:
    mail_store() = default;
    std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace uurwerk
