#include "api/node/admin.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/node/node.h"
#include "ledger/log/local_log.h"
#include "projections/projector.h"

namespace uurwerk {
namespace {

namespace fs = std::filesystem;

// The first line of a backup's BACKUP file: what it is and its layout's version.
constexpr std::string_view backup_magic = "uurwerk backup 1";
constexpr const char* backup_file = "BACKUP";

// The folder a command writes before renaming it into place: `dir` with a suffix.
fs::path beside(const fs::path& dir, const std::string& suffix) {
    fs::path p = dir;
    if (!p.has_filename()) p = p.parent_path();  // "a/b/"
    p += suffix;
    return p;
}

bool exists_not_empty(const fs::path& dir) {
    std::error_code ec;
    return fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec));
}

// Copies the regular files at the top of `from` (the operator's small files: founders,
// node.key, operator_token) into `to`, keeping their permissions; folders are not copied.
result<std::size_t> copy_top_files(const fs::path& from, const fs::path& to) {
    std::size_t copied = 0;
    std::error_code ec;
    for (fs::directory_iterator it(from, ec), stop; !ec && it != stop; it.increment(ec)) {
        if (!it->is_regular_file(ec) || it->path().filename() == backup_file) continue;
        fs::copy_file(it->path(), to / it->path().filename(), ec);
        if (ec)
            return make_error(errc::io_error,
                              "cannot copy " + it->path().string() + ": " + ec.message());
        ++copied;
    }
    if (ec) return make_error(errc::io_error, "cannot list " + from.string() + ": " + ec.message());
    return copied;
}

result<std::unique_ptr<local_log>> open_existing_log(const fs::path& data) {
    if (!fs::exists(data / "log"))
        return make_error(errc::not_found, "no log in " + (data / "log").string() +
                                               ": is --data the folder 'uurwerk serve' used?");
    local_log_options o;
    o.dir = data / "log";
    o.clock = wall_clock();
    return local_log::open(o);
}

// Applies the whole log into `db`, with progress on stderr; prints and returns the digest.
result<digest> catch_up_and_digest(event_log& log, store& db, signature_check check) {
    key_cache keys;
    projector_options po;
    po.check = check;
    auto p = projector::open(log, db, keys, po);
    if (!p) return p.err();
    const auto total = log.end().value;
    auto last = std::chrono::steady_clock::now();
    (*p)->set_applied_hook([&](const std::vector<applied_record>& recs) {
        auto now = std::chrono::steady_clock::now();
        if (now - last > std::chrono::seconds(1)) {
            last = now;
            std::cerr << "  applied " << recs.back().at.value + 1 << " / " << total << "\n";
        }
    });
    auto n = (*p)->catch_up();
    if (!n) return n.err();
    if (auto f = db.flush(); !f) return f.err();
    auto d = db.state_digest();
    if (!d) return d.err();
    std::cout << "applied: " << (*p)->applied().value << "\ndigest: " << d->hex() << "\n";
    return *d;
}

}  // namespace

result<void> backup_command(const std::string& data_dir, const std::string& out_dir) {
    const fs::path data(data_dir), out(out_dir);
    std::error_code ec;
    if (fs::exists(data / "cluster", ec))
        return make_error(errc::bad_argument,
                          data_dir +
                              " is a node of a Kafka topic: its log is the topic, kept by "
                              "the brokers' replicas; back up the topic, not the folder");
    if (!fs::is_directory(data / "log", ec))
        return make_error(errc::not_found, "no log in " + (data / "log").string() +
                                               ": is --data the folder 'uurwerk serve' uses?");
    if (fs::exists(out, ec))
        return make_error(errc::bad_argument, out_dir +
                                                  " exists already: a backup goes into a "
                                                  "new folder, and never over another");
    const fs::path making = beside(out, ".making");
    fs::remove_all(making, ec);  // what a backup that stopped half-way left
    const auto started = std::chrono::steady_clock::now();
    auto copied = copy_local_log(data / "log", making / "log");
    if (!copied) return copied.err();
    auto files = copy_top_files(data, making);
    if (!files) return files.err();
    // The personal-data store, after the log: every text an event in the copied log commits to
    // was written before that event, so it is in the copy (the log cannot rebuild it).
    std::size_t texts = 0;
    if (fs::exists(data / "personal", ec)) {
        auto n = personal_store::copy(data / "personal", making / "personal");
        if (!n) return n.err();
        texts = *n;
    }
    {
        std::ofstream manifest(making / backup_file);
        manifest << backup_magic << "\nrecords " << copied->records << "\ntaken_at_ms "
                 << wall_clock()().value << "\nfrom " << fs::absolute(data, ec).string() << "\n";
        manifest.flush();
        if (!manifest)
            return make_error(errc::io_error, "cannot write " + (making / backup_file).string());
    }
    fs::rename(making, out, ec);
    if (ec)
        return make_error(errc::io_error, "cannot rename " + making.string() + " to " + out_dir +
                                              ": " + ec.message());
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << "backup of " << data_dir << " in " << out_dir << ": " << copied->records
              << " records (offsets below " << copied->records << "), " << copied->bytes
              << " bytes of log in " << copied->segments << " segment(s), " << texts
              << " entries of personal data, " << *files << " file(s) beside it; " << s << " s\n";
    return ok_value;
}

result<void> restore_command(const std::string& backup_dir, const std::string& data_dir) {
    const fs::path from(backup_dir), data(data_dir);
    std::error_code ec;
    std::ifstream manifest(from / backup_file);
    std::string first_line;
    if (!manifest || !std::getline(manifest, first_line) || first_line != backup_magic)
        return make_error(errc::bad_argument, backup_dir +
                                                  " is not a backup made by 'uurwerk backup' (no " +
                                                  (from / backup_file).string() + " starting '" +
                                                  std::string(backup_magic) + "')");
    std::uint64_t records = 0;
    for (std::string line; std::getline(manifest, line);) {
        std::istringstream l(line);
        std::string key;
        if (l >> key && key == "records") l >> records;
    }
    if (exists_not_empty(data))
        return make_error(errc::bad_argument,
                          data_dir +
                              " exists and is not empty: restore never overwrites a data "
                              "folder; move it aside, or restore into another");
    const fs::path making = beside(data, ".restoring");
    fs::remove_all(making, ec);
    // The log copied again and every record checked again, then the store folded from it.
    auto copied = copy_local_log(from / "log", making / "log");
    if (!copied) return copied.err();
    if (copied->records != records)
        return make_error(errc::corrupt_log,
                          "the backup's BACKUP file says " + std::to_string(records) +
                              " records, its log holds " + std::to_string(copied->records));
    auto files = copy_top_files(from, making);
    if (!files) return files.err();
    if (fs::exists(from / "personal", ec))
        if (auto texts = personal_store::copy(from / "personal", making / "personal"); !texts)
            return texts.err();
    if (auto rebuilt = rebuild_command(making.string()); !rebuilt) return rebuilt.err();
    if (fs::exists(data, ec)) fs::remove(data, ec);  // an empty folder
    fs::rename(making, data, ec);
    if (ec)
        return make_error(errc::io_error, "cannot rename " + making.string() + " to " + data_dir +
                                              ": " + ec.message());
    std::cout << "restored " << records << " records from " << backup_dir << " into " << data_dir
              << "; start the node with 'uurwerk serve --data " << data_dir << "'\n";
    return ok_value;
}

result<void> digest_command(const std::string& data_dir) {
    auto log = open_existing_log(data_dir);
    if (!log) return log.err();
    auto db = open_checked_store(fs::path(data_dir) / "store");
    if (!db) return db.err();
    auto d = catch_up_and_digest(**log, **db, signature_check::verify_unless_cached);
    if (!d) return d.err();
    return ok_value;
}

result<void> rebuild_command(const std::string& data_dir) {
    const fs::path data(data_dir);
    auto log = open_existing_log(data);
    if (!log) return log.err();
    const auto fresh = data / "store.rebuild";
    std::error_code ec;
    fs::remove_all(fresh, ec);
    std::cerr << "rebuilding the projections from " << (*log)->end().value << " records...\n";
    {
        auto db = store::open(fresh, store_use::bulk_load);
        if (!db) return db.err();
        // Every record in this node's own LocalLog was verified before it was appended.
        auto d = catch_up_and_digest(**log, **db, signature_check::trust_local_log);
        if (!d) return d.err();
    }
    // Swap in the rebuilt store; the old one is removed only once the new one is in place.
    const auto old = data / "store.old";
    fs::remove_all(old, ec);
    if (fs::exists(data / "store")) {
        fs::rename(data / "store", old, ec);
        if (ec)
            return make_error(errc::io_error, "cannot move the old store aside: " + ec.message());
    }
    fs::rename(fresh, data / "store", ec);
    if (ec)
        return make_error(errc::io_error,
                          "cannot move the rebuilt store in place: " + ec.message());
    fs::remove_all(old, ec);
    std::cerr << "the rebuilt projections are in " << (data / "store").string() << "\n";
    return ok_value;
}

}  // namespace uurwerk
