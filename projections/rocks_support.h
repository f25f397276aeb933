#pragma once
// What the RocksDB databases of this module share (store.h, mail_store.h, personal_store.h):
// the folder made before opening, the mapping of RocksDB's status to our errors, and the prefix
// scan. Internal to projections/ (the only module that sees RocksDB). Pure helpers; the
// iterator is the caller's, used from its thread.

#include <rocksdb/db.h>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "ledger/core/base.h"

namespace uurwerk {

// Damage found by a checksum is "store_corrupt" (the node says how to rebuild: api/node), no
// space left is "disk_full"; any other failure "store_error".
inline error rocks_error(const rocksdb::Status& s, std::string_view what) {
    const errc code = s.IsCorruption() ? errc::store_corrupt
                      : s.IsNoSpace()  ? errc::disk_full
                                       : errc::store_error;
    return make_error(code, std::string(what) + ": " + s.ToString());
}

// Makes the database's folder (and its parents). Errors: store_error.
[[nodiscard]] inline result<void> make_store_folder(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        return make_error(errc::store_error, "cannot create " + dir.string() + ": " + ec.message());
    return ok_value;
}

// Calls `fn(key, value)` for each key of `it` with `prefix`, in order, from `start` (>= prefix;
// empty: the prefix) on, until fn returns false. Errors: rocks_error(`what`).
[[nodiscard]] inline result<void> scan_prefix(
    rocksdb::Iterator& it, std::string_view prefix, std::string_view start,
    const std::function<bool(std::string_view, std::string_view)>& fn, std::string_view what) {
    const std::string_view from = start.empty() ? prefix : start;
    for (it.Seek(rocksdb::Slice(from.data(), from.size())); it.Valid(); it.Next()) {
        std::string_view k(it.key().data(), it.key().size());
        if (k.substr(0, prefix.size()) != prefix) break;
        if (!fn(k, std::string_view(it.value().data(), it.value().size()))) break;
    }
    if (!it.status().ok()) return rocks_error(it.status(), what);
    return ok_value;
}

}  // namespace uurwerk
