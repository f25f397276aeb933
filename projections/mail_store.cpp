#include "projections/mail_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "projections/rocks_support.h"

namespace uurwerk {

result<std::unique_ptr<mail_store>> mail_store::open(const std::filesystem::path& dir) {
    if (auto made = make_store_folder(dir); !made) return made.err();
    rocksdb::Options options;
    options.create_if_missing = true;
    options.max_open_files = 64;
    rocksdb::DB* db = nullptr;
    auto st = rocksdb::DB::Open(options, dir.string(), &db);
    if (!st.ok()) return rocks_error(st, "cannot open the mail store in " + dir.string());
    auto s = std::unique_ptr<mail_store>(new mail_store());
    s->db_.reset(db);
    return s;
}

mail_store::~mail_store() = default;

result<std::optional<std::string>> mail_store::get(std::string_view key) const {
    std::string v;
    auto st = db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &v);
    if (st.IsNotFound()) return std::optional<std::string>();
    if (!st.ok()) return rocks_error(st, "cannot read the mail store");
    return std::optional<std::string>(std::move(v));
}

result<void> mail_store::put(const std::vector<std::pair<std::string, std::string>>& pairs,
                             const std::vector<std::string>& gone) {
    rocksdb::WriteBatch b;
    for (const auto& k : gone) {
        auto st = b.Delete(k);
        if (!st.ok()) return rocks_error(st, "cannot write the mail store");
    }
    for (const auto& [k, v] : pairs) {
        auto st = b.Put(k, v);
        if (!st.ok()) return rocks_error(st, "cannot write the mail store");
    }
    rocksdb::WriteOptions options;
    options.sync = true;
    auto st = db_->Write(options, &b);
    if (!st.ok()) return rocks_error(st, "cannot write the mail store");
    return ok_value;
}

result<void> mail_store::scan(
    std::string_view prefix,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    return scan_prefix(*it, prefix, "", fn, "cannot scan the mail store");
}

}  // namespace uurwerk
