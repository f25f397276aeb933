#include "api/node/admin.h"

#include <chrono>
#include <filesystem>
#include <iostream>

#include "api/node/node.h"
#include "ledger/log/local_log.h"
#include "projections/projector.h"

namespace uurwerk {
namespace {

namespace fs = std::filesystem;

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

result<void> digest_command(const std::string& data_dir) {
    auto log = open_existing_log(data_dir);
    if (!log) return log.err();
    auto db = store::open(fs::path(data_dir) / "store");
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
