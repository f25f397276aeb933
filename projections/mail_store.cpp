#include "projections/mail_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

namespace uurwerk {

namespace {

error mail_store_error(const rocksdb::Status& s, std::string_view what) {
    const errc code = s.IsCorruption() ? errc::store_corrupt
                      : s.IsNoSpace()  ? errc::disk_full
                                       : errc::store_error;
    return make_error(code, std::string(what) + ": " + s.ToString());
}

}  // namespace

result<std::unique_ptr<mail_store>> mail_store::open(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        return make_error(errc::store_error, "cannot create " + dir.string() + ": " + ec.message());
    rocksdb::Options options;
    options.create_if_missing = true;
    options.max_open_files = 64;
    rocksdb::DB* db = nullptr;
    auto st = rocksdb::DB::Open(options, dir.string(), &db);
    if (!st.ok()) return mail_store_error(st, "cannot open the mail store in " + dir.string());
    auto s = std::unique_ptr<mail_store>(new mail_store());
    s->db_.reset(db);
    return s;
}

mail_store::~mail_store() = default;

result<std::optional<std::string>> mail_store::get(std::string_view key) const {
    std::string v;
    auto st = db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &v);
    if (st.IsNotFound()) return std::optional<std::string>();
    if (!st.ok()) return mail_store_error(st, "cannot read the mail store");
    return std::optional<std::string>(std::move(v));
}

result<void> mail_store::put(const std::vector<std::pair<std::string, std::string>>& pairs,
                             const std::vector<std::string>& gone) {
    rocksdb::WriteBatch b;
    for (const auto& k : gone) {
        auto st = b.Delete(k);
        if (!st.ok()) return mail_store_error(st, "cannot write the mail store");
    }
    for (const auto& [k, v] : pairs) {
        auto st = b.Put(k, v);
        if (!st.ok()) return mail_store_error(st, "cannot write the mail store");
    }
    rocksdb::WriteOptions options;
    options.sync = true;
    auto st = db_->Write(options, &b);
    if (!st.ok()) return mail_store_error(st, "cannot write the mail store");
    return ok_value;
}

result<void> mail_store::scan(
    std::string_view prefix,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
        std::string_view k(it->key().data(), it->key().size());
        if (k.substr(0, prefix.size()) != prefix) break;
        if (!fn(k, std::string_view(it->value().data(), it->value().size()))) break;
    }
    if (!it->status().ok()) return mail_store_error(it->status(), "cannot scan the mail store");
    return ok_value;
}

}  // namespace uurwerk
