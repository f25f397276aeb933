#include "projections/store.h"

#include <array>
#include <cstdlib>
#include <deque>

#include <rocksdb/db.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/write_batch.h>

#include "ledger/core/crypto.h"
#include "projections/rocks_support.h"

namespace uurwerk {
namespace {

constexpr std::string_view column_names[column_count] = {"state", "history", "posts",
                                                         "meta",  "audit",   "outbox"};
constexpr std::string_view applied_key = "applied";
constexpr std::string_view skipped_key = "skipped";
constexpr std::string_view format_key = "format";
// 2: seen ids in chunks; 3: history lines in windows of offsets; 4: a key's last_seq in the
// seen chunks, not in its 'K' entry; 5: the audit column; 6: claims' confirmation and dispute
// times, endorsements; 8: the request wait knob in the policy, the matches' proposal times; 9: the
// helpers' exposure as folded since the fairness layer orders by exposure per relevance (relevance
// shares within the quality floor, a match worth projections/exposure.h's match_exposure), the
// silence floor knobs in the policy, an offer's last proposal time; 11: seen ids scoped by
// community, proxy delegations, the endorsements of a claim; 12: no free text in events or
// state, only its commitment (ledger/core/personal.h); a log written before it holds texts,
// which this program reads as malformed events, so it cannot be rebuilt either; 13: members'
// profile commitments, matches' end times, the contact window in the policy; 14: the retention
// period in the policy, posts' closing times and hiding reasons, claims' note commitments,
// reversal times and the reasons of their dispute and reversal (ledger/core/retention.h); 15: the
// community's auditors (auditorAppointed); 16: invitations ('I': invitationIssued, redeemed); 17:
// the outbox column (projections/outbox.h); 18: a member's last activity.
constexpr std::string_view format_version = "uurwerk-store-19";

// Concatenation: a key written with batch::append holds its operands in the order they were
// appended. Associative, so RocksDB may combine operands in any grouping: the bytes are the
// same however the writes were batched (live or in a rebuild), and so is the digest. Each merge
// sizes its result once and copies every operand once (merging them two at a time, as an
// AssociativeMergeOperator does, copies the growing value again for every operand).
class append_operator final : public rocksdb::MergeOperator {
public:
    bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
        concatenate(in.existing_value, in.operand_list, out->new_value);
        return true;
    }
    bool PartialMergeMulti(const rocksdb::Slice&, const std::deque<rocksdb::Slice>& operands,
                           std::string* out, rocksdb::Logger*) const override {
        concatenate(nullptr, operands, *out);
        return true;
    }
    bool PartialMerge(const rocksdb::Slice&, const rocksdb::Slice& left,
                      const rocksdb::Slice& right, std::string* out,
                      rocksdb::Logger*) const override {
        concatenate(&left, std::array{right}, *out);
        return true;
    }
    const char* Name() const override { return "uurwerk.append"; }

private:
    template <typename Operands>
    static void concatenate(const rocksdb::Slice* first, const Operands& operands,
                            std::string& out) {
        std::size_t bytes = first ? first->size() : 0;
        for (const auto& o : operands) bytes += o.size();
        out.clear();
        out.reserve(bytes);
        if (first) out.append(first->data(), first->size());
        for (const auto& o : operands) out.append(o.data(), o.size());
    }
};

// For RocksDB's memtable insert hints: the keys a serving store writes again and again (in the
// state column a community's entry, a member's, a key's, a helper's exposure and the seen chunk;
// a member's history window; the audit's tiles and chunks; the applied offset) are each their
// own prefix, so an insert starts from where the key's last version went instead of searching
// the skiplist from the top. Keys written once or twice (claims,
// transfers, posts) are left out of the domain: a hint costs about 250 bytes a key in the
// memtable.
class rewritten_keys final : public rocksdb::SliceTransform {
public:
    explicit rewritten_keys(column c) : column_(c) {}
    const char* Name() const override { return "uurwerk.rewritten_keys"; }
    rocksdb::Slice Transform(const rocksdb::Slice& key) const override { return key; }
    bool InDomain(const rocksdb::Slice& key) const override {
        switch (column_) {
            case column::state:
                return !key.empty() && (key[0] == 'C' || key[0] == 'M' || key[0] == 'H' ||
                                        key[0] == 'S' || key[0] == 'K');
            case column::posts:
            case column::outbox:  // written once, in log order
                return false;
            case column::history:
            case column::meta:
            case column::audit:
                return true;
        }
        return false;
    }

private:
    column column_;
};

// A meta value of the wrong length: damage (or another program's folder), not a bug.
error bad_meta_value(std::string_view what, std::size_t size) {
    return make_error(errc::store_corrupt, "the projection store's " + std::string(what) + " is " +
                                               std::to_string(size) +
                                               " bytes long, not 8: rebuild it from the log");
}

}  // namespace

std::uint64_t get_be64(std::string_view in, std::size_t pos) {
    UURWERK_ASSERT(pos + 8 <= in.size(), pos, in.size());
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<std::uint8_t>(in[pos + i]);
    return v;
}

result<std::unique_ptr<store>> store::open(const std::filesystem::path& dir, store_use use) {
    if (auto made = make_store_folder(dir); !made) return made.err();

    rocksdb::Options options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    options.atomic_flush = true;  // with the WAL off, every column reaches disk together
    options.IncreaseParallelism(2);
    options.max_open_files = 256;

    // One thread writes (the projector's store writer), so the memtables need not take
    // concurrent inserts; and RocksDB uses insert hints only without them.
    options.allow_concurrent_memtable_write = false;

    // No bloom filters: every read is a prefix scan or a lookup in the tiny meta column, and
    // building filters costs a good part of every flush.
    rocksdb::ColumnFamilyOptions cf_options(options);
    cf_options.merge_operator = std::make_shared<append_operator>();
    cf_options.write_buffer_size = 64u << 20;
    if (use == store_use::bulk_load) {
        // RocksDB's bulk-load recipe: append-only memtables, no compaction while loading (the
        // serving store compacts when it is next opened), no write stalls on many L0 files.
        cf_options.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
        cf_options.disable_auto_compactions = true;
        cf_options.level0_file_num_compaction_trigger = 1 << 30;
        cf_options.level0_slowdown_writes_trigger = 1 << 30;
        cf_options.level0_stop_writes_trigger = 1 << 30;
        cf_options.compression = rocksdb::kNoCompression;
        cf_options.max_write_buffer_number = 4;
        // Small memtables: sorting many small ones at flush beats sorting a few large ones
        // (measured on a 1,000,000-event rebuild: 8.9 s with 64 MiB, 6.5 s with 8 MiB).
        cf_options.write_buffer_size = 8u << 20;
    }

    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
    for (std::size_t i = 0; i < column_count; ++i) {
        auto o = cf_options;
        if (use == store_use::serving)
            o.memtable_insert_with_hint_prefix_extractor =
                std::make_shared<rewritten_keys>(static_cast<column>(i));
        descriptors.emplace_back(std::string(column_names[i]), o);
    }

    auto s = std::unique_ptr<store>(new store());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    auto st =
        rocksdb::DB::Open(rocksdb::DBOptions(options), dir.string(), descriptors, &handles, &db);
    if (!st.ok()) return rocks_error(st, "cannot open the projection store in " + dir.string());
    s->db_.reset(db);
    s->handles_ = std::move(handles);

    auto format = s->get(column::meta, format_key);
    if (!format) return format.err();
    if (!*format) {
        auto b = s->make_batch();
        b.put(column::meta, format_key, format_version);
        if (auto w = s->write(b); !w) return w.err();
    } else if (**format != format_version) {
        // Before format 12 events carried their free texts; this program reads such an event
        // as malformed, so a rebuild would not give the same verdicts.
        const std::string_view old_prefix = "uurwerk-store-";
        const bool texts_in_log = format->value().starts_with(old_prefix) &&
                                  std::atoi(format->value().c_str() + old_prefix.size()) < 12;
        return make_error(errc::store_error,
                          "the store in " + dir.string() + " has format '" + **format +
                              "', this program reads '" + std::string(format_version) + "': " +
                              (texts_in_log ? "its log was written when events carried free "
                                              "texts, which this program keeps out of the log "
                                              "(AVG); it cannot read that log: start a new data "
                                              "folder"
                                            : "rebuild it"));
    }
    return s;
}

result<void> store::verify_checksums() const {
    auto st = db_->VerifyChecksum();
    if (!st.ok()) return rocks_error(st, "the projection store's checksums do not verify");
    return ok_value;
}

store::~store() {
    if (db_) {
        auto st = db_->Flush(rocksdb::FlushOptions(), handles_);
        if (!st.ok())
            std::fprintf(stderr, "uurwerk: store flush at close: %s\n", st.ToString().c_str());
        for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
        db_.reset();
    }
}

rocksdb::ColumnFamilyHandle* store::handle(column c) const {
    auto i = static_cast<std::size_t>(c) + 1;  // handles_[0] is the default family
    UURWERK_ASSERT(i < handles_.size(), i, handles_.size());
    return handles_[i];
}

store::batch::batch() : wb_(std::make_unique<rocksdb::WriteBatch>()) {}
store::batch::~batch() = default;
store::batch::batch(batch&&) noexcept = default;
store::batch& store::batch::operator=(batch&&) noexcept = default;

void store::batch::put(column c, std::string_view key, std::string_view value) {
    auto st = wb_->Put(owner_->handle(c), rocksdb::Slice(key.data(), key.size()),
                       rocksdb::Slice(value.data(), value.size()));
    UURWERK_ASSERT(st.ok(), st.ToString());
}

void store::batch::del(column c, std::string_view key) {
    auto st = wb_->Delete(owner_->handle(c), rocksdb::Slice(key.data(), key.size()));
    UURWERK_ASSERT(st.ok(), st.ToString());
}

void store::batch::append(column c, std::string_view key, std::string_view value) {
    auto st = wb_->Merge(owner_->handle(c), rocksdb::Slice(key.data(), key.size()),
                         rocksdb::Slice(value.data(), value.size()));
    UURWERK_ASSERT(st.ok(), st.ToString());
}

std::size_t store::batch::count() const {
    return static_cast<std::size_t>(wb_->Count());
}
void store::batch::clear() {
    wb_->Clear();
}

store::batch store::make_batch() {
    batch b;
    b.owner_ = this;
    return b;
}

result<void> store::write(batch& b) {
    UURWERK_ASSERT(b.owner_ == this);
    rocksdb::WriteOptions options;
    options.disableWAL = true;  // the event log is the write-ahead log (see store.h)
    auto st = db_->Write(options, b.wb_.get());
    if (!st.ok()) return rocks_error(st, "cannot write to the projection store");
    return ok_value;
}

result<void> store::flush() {
    auto st = db_->Flush(rocksdb::FlushOptions(), handles_);
    if (!st.ok()) return rocks_error(st, "cannot flush the projection store");
    return ok_value;
}

result<std::optional<std::string>> store::get(column c, std::string_view key) const {
    std::string value;
    auto st =
        db_->Get(rocksdb::ReadOptions(), handle(c), rocksdb::Slice(key.data(), key.size()), &value);
    if (st.IsNotFound()) return std::optional<std::string>();
    if (!st.ok()) return rocks_error(st, "cannot read the projection store");
    return std::optional<std::string>(std::move(value));
}

result<void> store::scan(column c, std::string_view prefix, std::string_view start,
                         const std::function<bool(std::string_view, std::string_view)>& fn) const {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle(c)));
    return scan_prefix(*it, prefix, start, fn, "cannot scan the projection store");
}

result<digest> store::state_digest() const {
    auto d = state_digest_at();
    if (!d) return d.err();
    return d->state;
}

result<store::digest_at> store::state_digest_at() const {
    digest_at out;
    // Hashes length-prefixed keys and values of every column in order; a snapshot makes it
    // one consistent view even while the projector writes.
    const rocksdb::Snapshot* snap = db_->GetSnapshot();
    rocksdb::ReadOptions options;
    options.snapshot = snap;
    std::string buffer;
    std::vector<digest> parts;
    for (std::size_t c = 0; c < column_count; ++c) {
        std::unique_ptr<rocksdb::Iterator> it(
            db_->NewIterator(options, handle(static_cast<column>(c))));
        buffer.clear();
        buffer.push_back(static_cast<char>(c));
        digest running{};
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
            if (static_cast<column>(c) == column::meta && it->value().size() == 8) {
                const std::string_view k(it->key().data(), it->key().size());
                const std::string_view v(it->value().data(), it->value().size());
                if (k == applied_key) out.applied = offset{get_be64(v, 0)};
                if (k == skipped_key) out.skipped = get_be64(v, 0);
            }
            put_be64(buffer, it->key().size());
            buffer.append(it->key().data(), it->key().size());
            put_be64(buffer, it->value().size());
            buffer.append(it->value().data(), it->value().size());
            if (buffer.size() > (1u << 20)) {
                auto view =
                    byte_view(reinterpret_cast<const std::uint8_t*>(buffer.data()), buffer.size());
                running = sha256({running.b, view});
                buffer.clear();
            }
        }
        auto status = it->status();
        if (!status.ok()) {
            db_->ReleaseSnapshot(snap);
            return rocks_error(status, "cannot read the projection store for its digest");
        }
        auto view = byte_view(reinterpret_cast<const std::uint8_t*>(buffer.data()), buffer.size());
        parts.push_back(sha256({running.b, view}));
    }
    db_->ReleaseSnapshot(snap);
    std::vector<std::uint8_t> all;
    for (const auto& p : parts) all.insert(all.end(), p.b.begin(), p.b.end());
    out.state = sha256({all});
    return out;
}

result<offset> store::applied() const {
    auto v = get(column::meta, applied_key);
    if (!v) return v.err();
    if (!*v) return offset{0};
    if ((*v)->size() != 8) return bad_meta_value("applied offset", (*v)->size());
    return offset{get_be64(**v, 0)};
}

void store::set_applied(batch& b, offset o) {
    std::string v;
    put_be64(v, o.value);
    b.put(column::meta, applied_key, v);
}

result<std::uint64_t> store::skipped() const {
    auto v = get(column::meta, skipped_key);
    if (!v) return v.err();
    if (!*v) return std::uint64_t{0};
    if ((*v)->size() != 8) return bad_meta_value("skipped count", (*v)->size());
    return get_be64(**v, 0);
}

void store::set_skipped(batch& b, std::uint64_t records) {
    UURWERK_ASSERT(records > 0);  // absent means none: a store that skipped none is as it was
    std::string v;
    put_be64(v, records);
    b.put(column::meta, skipped_key, v);
}

}  // namespace uurwerk
