#include "api/bench/bench_support.h"

#include "api/node/node.h"

namespace uurwerk::cli {

result<void> write_log(const std::filesystem::path& dir,
                       std::initializer_list<const std::vector<bytes>*> parts, log_clock clock) {
    local_log_options lo;
    lo.dir = dir;
    lo.clock = clock ? std::move(clock) : wall_clock();
    auto log = local_log::open(lo);
    if (!log) return log.err();
    std::vector<const bytes*> all;
    for (const auto* part : parts)
        for (const auto& b : *part) all.push_back(&b);
    if (all.empty()) return ok_value;
    std::atomic<std::size_t> failed{0};
    for (std::size_t i = 0; i + 1 < all.size(); ++i)
        for (;;) {
            auto r = (*log)->append_async(*all[i], [&](result<offset> o) {
                if (!o) ++failed;
            });
            if (r) break;
            if (r.err().code != errc::log_full) return r.err();
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    auto last = (*log)->append(*all.back());
    if (!last || failed) return make_error(errc::bench_failed, "the log did not take every event");
    return ok_value;
}

result<std::unique_ptr<rebuild_parts>> open_rebuild(const std::filesystem::path& dir,
                                                    const std::filesystem::path& store_dir,
                                                    queue_upkeep queues) {
    auto parts = std::make_unique<rebuild_parts>();
    local_log_options lo;
    lo.dir = dir / "log";
    lo.clock = wall_clock();
    auto log = local_log::open(lo);
    if (!log) return log.err();
    parts->log = std::move(*log);
    auto db = store::open(store_dir, store_use::bulk_load);
    if (!db) return db.err();
    parts->db = std::move(*db);
    projector_options po;
    po.check = signature_check::trust_local_log;
    po.queues = queues;
    auto p = projector::open(*parts->log, *parts->db, parts->keys, po);
    if (!p) return p.err();
    parts->folder = std::move(*p);
    return parts;
}

result<std::unique_ptr<node>> open_node_with(
    const std::filesystem::path& dir, std::initializer_list<const std::vector<bytes>*> first) {
    node_options o;
    o.data_dir = dir;
    o.clock = wall_clock();
    auto n = node::open(o);
    if (!n) return n.err();
    for (const auto* list : first)
        for (const auto& b : *list)
            if (auto r = (*n)->submit(b); !r) return r.err();
    return n;
}

}  // namespace uurwerk::cli
