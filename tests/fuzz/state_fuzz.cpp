// A libFuzzer target for the state loader: what a node reads back from its projection store
// (projections/store.h), on start and when it answers reads, bytes that a crash, a failing disk
// or someone with access to the folder could have altered. Built with -DUURWERK_FUZZ=ON (see
// json_fuzz.cpp); seeds in tests/fuzz/corpus/state/ (real stores, from make_fuzz_seeds).
//
// The input is a list of store entries (tests/fuzz/store_entries.h: column, key, value). One
// store is opened in a scratch folder (again every 200 inputs); for each input the previous
// input's keys are deleted and this input's written, in one batch (RocksDB's WAL is off: it
// stays in the memtable, no file is written but on those reopens). Then every reader of the store's
// bytes runs:
//   - what projector::open reads: load_state (state column: entities, seen chunks, exposure),
//     audit_trees::load (tree sizes, frontiers from the tiles, the latest checkpoint),
//     store::applied and store::skipped (meta);
//   - the query reads over what they found: read_history and read_open_posts of each community
//     and member, and of the audit column read_tree_size, read_leaves, find_leaf, the
//     checkpoints, read_root, the inclusion and consistency proofs, of both trees.
// What must hold, besides no crash and no sanitizer report: a refusal carries an error code
// and a message; a loaded state's balances sum to zero in each community (projector::open
// asserts it); paged reads return at most what was asked, leaves in index order.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "projections/audit.h"
#include "projections/state_codec.h"
#include "tests/fuzz/store_entries.h"

using namespace uurwerk;
namespace fs = std::filesystem;

namespace {

void refused_with_a_reason(const error& e) {
    UURWERK_ASSERT(!name(e.code).empty() && !e.message.empty());
}

const fs::path& scratch() {
    static const fs::path dir = [] {
        const fs::path base =
            fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
        return base / ("uurwerk-state-fuzz-" + std::to_string(::getpid()));
    }();
    return dir;
}

// The store, made again every `inputs_per_store` inputs: deleted entries pile up in its
// memtable, and reads slow down (from 256 to 109 inputs/s over 3,400 inputs when kept).
constexpr int inputs_per_store = 200;
std::vector<std::pair<column, std::string>> written;  // the last input's keys

store& the_store() {
    // Never destroyed at exit (RocksDB's own statics may be gone by then): closed on reopen.
    static store* db = nullptr;
    static int inputs = 0;
    if (inputs++ % inputs_per_store == 0) {
        if (!db) std::atexit([] { fs::remove_all(scratch()); });
        delete db;
        written.clear();
        fs::remove_all(scratch());
        auto s = store::open(scratch());
        UURWERK_ASSERT(s.ok(), s.ok() ? "" : s.err().message);
        db = s->release();
    }
    return *db;
}

// Replaces the store's entries of the last input with `entries`.
void load_entries(store& db, const std::vector<fuzz::store_entry>& entries) {
    auto b = db.make_batch();
    for (const auto& [c, k] : written) b.del(c, k);
    written.clear();
    for (const auto& e : entries) {
        b.put(e.col, e.key, e.value);
        written.emplace_back(e.col, e.key);
    }
    auto w = db.write(b);
    UURWERK_ASSERT(w.ok(), w.ok() ? "" : w.err().message);
}

template <typename T>
bool accepted(const result<T>& r) {
    if (!r) refused_with_a_reason(r.err());
    return r.ok();
}

void read_audit(const store& db, community_id c) {
    auto size = read_tree_size(db, c);
    if (!accepted(size)) return;
    auto leaves = read_leaves(db, c, 0, 300);
    if (accepted(leaves)) {
        UURWERK_ASSERT(leaves->size() <= std::min<std::uint64_t>(*size, 300));
        for (std::size_t i = 0; i < leaves->size(); ++i) UURWERK_ASSERT((*leaves)[i].index == i);
        if (!leaves->empty()) (void)accepted(find_leaf(db, c, leaves->back().at));
    }
    (void)accepted(find_leaf(db, c, offset{7}));
    (void)accepted(read_latest_checkpoint(db, c));
    (void)accepted(read_checkpoints(db, c));
    for (const std::uint64_t n : {*size, *size / 2 + 1}) {
        (void)accepted(read_root(db, c, n));
        (void)accepted(read_verdict_root(db, c, n));
        if (n == 0 || n > *size) continue;
        (void)accepted(read_inclusion_proof(db, c, n - 1, n));
        (void)accepted(read_verdict_inclusion_proof(db, c, 0, n));
        (void)accepted(read_consistency_proof(db, c, 1, n));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    store& db = the_store();
    const auto entries = fuzz::parse_store_entries({reinterpret_cast<const char*>(data), size});
    load_entries(db, entries);

    // What projector::open reads.
    std::set<community_id> communities;
    auto loaded = load_state(db);
    if (accepted(loaded)) {
        for (const auto& [id, c] : loaded->ledger.communities) {
            UURWERK_ASSERT(balance_sum(c) == minutes{0}, id.value);
            communities.insert(id);
        }
    }
    auto audit = audit_trees::load(db);
    if (accepted(audit)) {
        for (const community_id c : communities) (void)(*audit)->tree_head(c);
    }
    (void)accepted(db.applied());
    (void)accepted(db.skipped());

    // The reads of the query layer and the API, for every community the input names.
    for (const auto& e : entries)
        if (e.key.size() >= 9) communities.insert(community_id{get_be64(e.key, 1)});
    for (const community_id c : communities) {
        read_audit(db, c);
        for (const bool offers : {true, false})
            (void)accepted(read_open_posts(db, c, offers, std::nullopt, 50));
        if (!loaded) continue;
        auto it = loaded->ledger.communities.find(c);
        if (it == loaded->ledger.communities.end()) continue;
        for (const auto& [m, state] : it->second.members) {
            auto lines = read_history(db, c, m, offset{0}, 40);
            if (accepted(lines)) UURWERK_ASSERT(lines->size() <= 40);
        }
    }
    return 0;
}
