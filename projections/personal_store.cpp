#include "projections/personal_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <cstring>
#include <string>

namespace uurwerk {
namespace {

error store_failed(const rocksdb::Status& s, std::string_view what) {
    return error{errc::store_error, std::string(what) + ": " + s.ToString()};
}

void put_be64(std::string& out, std::uint64_t v) {
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
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
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        return make_error(errc::store_error, "cannot create " + dir.string() + ": " + ec.message());
    rocksdb::Options options;
    options.create_if_missing = true;
    options.max_open_files = 64;
    // Small: texts are at most a few KiB each and are written one event at a time.
    options.write_buffer_size = 4u << 20;
    rocksdb::DB* db = nullptr;
    auto st = rocksdb::DB::Open(options, dir.string(), &db);
    if (!st.ok()) return store_failed(st, "cannot open the personal-data store in " + dir.string());
    auto s = std::unique_ptr<personal_store>(new personal_store());
    s->db_.reset(db);
    return s;
}

personal_store::~personal_store() = default;

result<void> personal_store::put(community_id c, const event_id& id, const digest& commitment,
                                 const personal_text& text, std::span<const member_id> concerned) {
    std::string value;
    value.reserve(personal_salt_bytes + text.text.size());
    put_bytes(value, text.salt.b);
    value.append(text.text);
    rocksdb::WriteBatch batch;
    batch.Put(text_key(c, id, commitment), value);
    for (const member_id m : concerned) batch.Put(member_key(c, m, id, commitment), "");
    rocksdb::WriteOptions w;
    w.sync = true;  // durable before the event that commits to it is appended
    auto st = db_->Write(w, &batch);
    if (!st.ok()) return store_failed(st, "cannot write to the personal-data store");
    return {};
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
    rocksdb::WriteBatch batch;
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
            batch.Delete(text_key);
            batch.Delete(k);
            ++erased;
        }
        if (!it->status().ok())
            return store_failed(it->status(), "cannot read the personal-data store");
    }
    if (erased == 0) return erased;  // nothing (left) to erase: no compaction
    rocksdb::WriteOptions w;
    w.sync = true;
    if (auto st = db_->Write(w, &batch); !st.ok())
        return store_failed(st, "cannot erase from the personal-data store");
    // Physically gone: the memtable (and with it the write-ahead log that held the texts) goes
    // to an SST file, and a full compaction rewrites every file without the erased values.
    if (auto st = db_->Flush(rocksdb::FlushOptions()); !st.ok())
        return store_failed(st, "cannot flush the personal-data store");
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    if (auto st = db_->CompactRange(compact, nullptr, nullptr); !st.ok())
        return store_failed(st, "cannot compact the personal-data store");
    return erased;
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
