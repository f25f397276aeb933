#include "api/bench/bench_support.h"

#include "api/node/node.h"
#include "ledger/core/audit.h"

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

checkpointed_log make_checkpointed_log(std::size_t events, const signing_key& node_key,
                                       const std::string& bench) {
    std::cerr << "bench " << bench << ": signing " << events << " events on " << cores()
              << " cores (not measured)...\n";
    checkpointed_log out;
    out.options =
        workload_options{community_id{1}, 1000, events, 17, 0, [](std::size_t d, std::size_t n) {
                             std::cerr << "  signed " << d << " / " << n << "\n";
                         }};
    out.options.node_key = node_key.public_bytes();
    out.w = make_workload(out.options);
    auto& records = out.records;
    const auto& w = out.w;
    records.reserve(w.setup.size() + w.events.size() + w.events.size() / 100'000 + 1);
    merkle_frontier tree;
    merkle_frontier verdicts;
    std::vector<merkle_node> done;
    std::uint64_t checkpoints = 0;
    auto add = [&](bytes b) {
        verdicts.append(verdict_leaf_hash(tree.size(), reject_reason::none, offset{tree.size()},
                                          checkpointed_log_time),
                        done);
        tree.append(merkle_leaf_hash(b), done);
        records.push_back(std::move(b));
    };
    for (const auto& b : w.setup) add(b);
    for (std::size_t i = 0; i < w.events.size(); ++i) {
        add(w.events[i]);
        if ((i + 1) % 100'000 == 0 || i + 1 == w.events.size())
            add(encode_envelope(node_key.seal(
                checkpoint_body(community_id{1}, sequence{++checkpoints}, tree.size(), tree.root(),
                                verdicts.root(), checkpointed_log_time, node_key.public_bytes()))));
    }
    out.root = tree.root();
    return out;
}

result<signing_key> bench_node_key() {
    std::array<std::uint8_t, 32> node_seed;
    node_seed.fill(0x6e);
    return signing_key::from_seed(node_seed);
}

result<std::unique_ptr<embedded_server>> serve_checkpointed_log(const checkpointed_log& log,
                                                                const std::filesystem::path& dir,
                                                                const std::string& bench) {
    std::cerr << "bench " << bench << ": writing the log (" << log.records.size()
              << " records)...\n";
    if (auto r = write_log(dir / "log", {&log.records}, [] { return checkpointed_log_time; }); !r)
        return r.err();
    {
        std::cerr << "bench " << bench << ": folding it into the projections...\n";
        auto rebuild = open_rebuild(dir, dir / "store");
        if (!rebuild) return rebuild.err();
        if (auto n = (*rebuild)->folder->catch_up(); !n) return n.err();
        if (auto f = (*rebuild)->db->flush(); !f) return f.err();
    }
    return embedded_server::start(dir, "127.0.0.1", 0, {}, std::chrono::milliseconds(0),
                                  std::nullopt, std::chrono::seconds(10), founding::anyone,
                                  serve_network{.quotas = quota_options::unlimited()});
}

}  // namespace uurwerk::cli
