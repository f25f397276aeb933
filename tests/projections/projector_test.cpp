// The projector over a real LocalLog and RocksDB store: incremental application and a rebuild
// from the log reach byte-identical state; a restart resumes where the store stands; records
// that fail their checks on read-back are rejected, never folded, and counted as skipped.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <tuple>

#include "api/bench/workload.h"
#include "ledger/log/local_log.h"
#include "projections/projector.h"
#include "projections/state_codec.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_log.h"

using namespace uurwerk;
using uurwerk::testing::temp_dir;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<local_log> open_log(const fs::path& dir) {
    return uurwerk::testing::open_test_log(dir);
}

// Appends every record without waiting for each sync (group commit), then waits for the last.
void append_all(event_log& log, const std::vector<bytes>& records) {
    std::atomic<std::size_t> failed{0};
    for (std::size_t i = 0; i + 1 < records.size(); ++i)
        BOOST_REQUIRE(log.append_async(records[i], [&](result<offset> o) { failed += !o; }).ok());
    BOOST_REQUIRE(log.append(records.back()).ok());
    BOOST_REQUIRE_EQUAL(failed.load(), 0u);
}

digest digest_of(const store& db) {
    auto d = db.state_digest();
    BOOST_REQUIRE(d.ok());
    return *d;
}

// A store at `dir` and a projector over `log` that has caught up with it.
struct caught_up {
    std::unique_ptr<store> db;
    std::unique_ptr<projector> p;  // destroyed first: it borrows the store
};
caught_up catch_up(event_log& log, const fs::path& dir, key_cache& keys) {
    auto db = store::open(dir);
    BOOST_REQUIRE(db.ok());
    auto p = projector::open(log, **db, keys, {});
    BOOST_REQUIRE(p.ok());
    BOOST_REQUIRE((*p)->catch_up().ok());
    return {std::move(*db), std::move(*p)};
}

const workload& small_workload() {
    static const workload w = make_workload({community_id{3}, 40, 3000, 5, 0, {}});
    return w;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(projector_suite)

BOOST_AUTO_TEST_CASE(applying_as_events_arrive_and_rebuilding_from_the_log_give_the_same_digest) {
    temp_dir dir;
    const auto& w = small_workload();
    auto log = open_log(dir.path / "log");
    key_cache keys;

    // Incremental: the projector thread follows the log while events are appended in chunks.
    digest live;
    {
        auto db = store::open(dir.path / "live");
        BOOST_REQUIRE(db.ok());
        auto p = projector::open(*log, **db, keys, {});
        BOOST_REQUIRE(p.ok());
        (*p)->start();
        append_all(*log, w.setup);
        append_all(*log, w.events);
        BOOST_REQUIRE((*p)->wait_applied(offset{log->end().value - 1}, std::chrono::seconds(60)));
        (*p)->stop();
        std::uint64_t accepted = 0;
        for (std::uint64_t o = log->end().value - 100; o < log->end().value; ++o)
            accepted += (*p)->verdict_at(offset{o})->decided.accepted();
        BOOST_CHECK_EQUAL(accepted, 100u);  // the workload is all valid
        (*p)->read_state([&](const ledger_state& s) {
            BOOST_CHECK_EQUAL(balance_sum(s.communities.at(community_id{3})).value, 0);
            BOOST_CHECK_EQUAL(s.seen.size(), w.setup.size() + w.events.size());
            return 0;
        });
        live = digest_of(**db);
    }

    // Rebuild: a fresh store catches up from the whole log in one go, trusting the local log.
    auto db = store::open(dir.path / "rebuilt");
    BOOST_REQUIRE(db.ok());
    projector_options o;
    o.check = signature_check::trust_local_log;
    auto p = projector::open(*log, **db, keys, o);
    BOOST_REQUIRE(p.ok());
    auto n = (*p)->catch_up();
    BOOST_REQUIRE(n.ok());
    BOOST_CHECK_EQUAL(*n, w.setup.size() + w.events.size());
    BOOST_CHECK(digest_of(**db) == live);
}

BOOST_AUTO_TEST_CASE(a_restart_loads_the_state_and_resumes_at_the_applied_offset) {
    temp_dir dir;
    const auto& w = small_workload();
    auto log = open_log(dir.path / "log");
    key_cache keys;
    append_all(*log, w.setup);
    std::vector<bytes> first(w.events.begin(), w.events.begin() + 1000);
    std::vector<bytes> second(w.events.begin() + 1000, w.events.end());
    append_all(*log, first);
    catch_up(*log, dir.path / "store", keys);
    append_all(*log, second);
    digest resumed;
    {
        auto db = store::open(dir.path / "store");
        BOOST_REQUIRE_EQUAL((*db)->applied()->value, w.setup.size() + 1000);
        auto p = projector::open(*log, **db, keys, {});
        BOOST_REQUIRE(p.ok());
        auto n = (*p)->catch_up();
        BOOST_REQUIRE(n.ok());
        BOOST_CHECK_EQUAL(*n, second.size());
        resumed = digest_of(**db);
    }
    BOOST_CHECK(digest_of(*catch_up(*log, dir.path / "fresh", keys).db) == resumed);
}

BOOST_AUTO_TEST_CASE(every_key_and_its_last_seq_are_loaded_again_after_a_restart) {
    temp_dir dir;
    const auto& w = small_workload();
    auto log = open_log(dir.path / "log");
    key_cache keys;
    append_all(*log, w.setup);
    append_all(*log, w.events);
    // (community, key) -> (owner, last_seq, revoked, node), as the projector holds them.
    using key_row = std::tuple<std::uint64_t, std::uint64_t, bool, bool>;
    auto keys_of = [](const projector& p) {
        std::map<std::pair<std::uint64_t, std::string>, key_row> out;
        p.read_state([&](const ledger_state& s) {
            for (const auto& [c, cs] : s.communities)
                for (const auto& [k, ks] : cs.keys)
                    out[{c.value, k.hex()}] = {ks.owner.value, ks.last_seq.value, ks.revoked,
                                               ks.node};
            return 0;
        });
        return out;
    };
    std::map<std::pair<std::uint64_t, std::string>, key_row> folded;
    folded = keys_of(*catch_up(*log, dir.path / "store", keys).p);
    std::size_t used = 0;
    for (const auto& [k, row] : folded) used += std::get<1>(row) > 0;
    BOOST_CHECK_GT(used, 30u);  // most members signed something
    auto db = store::open(dir.path / "store");
    auto p = projector::open(*log, **db, keys, {});
    BOOST_REQUIRE(p.ok());
    BOOST_CHECK(keys_of(**p) == folded);
}

BOOST_AUTO_TEST_CASE(a_record_with_a_bad_signature_or_form_is_rejected_never_folded_and_counted) {
    temp_dir dir;
    const auto& w = small_workload();
    auto log = open_log(dir.path / "log");
    key_cache keys;
    append_all(*log, w.setup);
    // A transfer whose signature no longer matches its body (one byte of the body changed).
    auto env = decode_envelope(w.events[5]).value();
    env.body[env.body.size() - 9] ^= 1;
    auto forged = encode_envelope(env);
    BOOST_REQUIRE(log->append(forged).ok());
    BOOST_REQUIRE(log->append(bytes{1, 2, 3, 4, 5, 6, 7, 8}).ok());  // not an envelope at all
    const auto [db, p] = catch_up(*log, dir.path / "store", keys);
    const auto base = w.setup.size();
    BOOST_CHECK((p->verdict_at(offset{base})->decided.reason == reject_reason::bad_signature) ||
                (p->verdict_at(offset{base})->decided.reason == reject_reason::malformed_event));
    BOOST_CHECK(p->verdict_at(offset{base + 1})->decided.reason == reject_reason::malformed_event);
    p->read_state([&](const ledger_state& s) {
        BOOST_CHECK_EQUAL(s.seen.size(), w.setup.size());  // nothing of the two was recorded
        return 0;
    });
    // Both are counted as skipped, in the store's state; a second store folded from the same
    // log has the same count and digest.
    auto skipped = db->skipped();
    BOOST_REQUIRE(skipped.ok());
    BOOST_CHECK_EQUAL(*skipped, 2u);
    const auto again = catch_up(*log, dir.path / "store-again", keys);
    BOOST_CHECK_EQUAL(again.db->skipped().value(), 2u);
    BOOST_CHECK(digest_of(*again.db) == digest_of(*db));
}

// A log whose records carry the community of their key, as a KafkaLog's do; the one at
// `misfiled` names another community than its event's.
class keyed_log final : public event_log {
public:
    keyed_log(std::unique_ptr<local_log> inner, community_id c, offset misfiled)
        : inner_(std::move(inner)), c_(c), misfiled_(misfiled) {}
    result<void> append_async(bytes payload, append_callback done) override {
        return inner_->append_async(std::move(payload), std::move(done));
    }
    result<std::vector<log_record>> read(offset from, std::size_t records_max,
                                         std::chrono::milliseconds wait) override {
        auto records = inner_->read(from, records_max, wait);
        if (records)
            for (auto& r : *records) r.keyed = r.at == misfiled_ ? community_id{c_.value + 1} : c_;
        return records;
    }
    offset end() const override { return inner_->end(); }

private:
    std::unique_ptr<local_log> inner_;
    community_id c_;
    offset misfiled_;
};

// Somebody with write access to a Kafka topic files a signed event of community 3 under
// community 4's key: it is no event of the log (skipped as malformed, counted), the same on
// every node, and the events keyed with their own community fold as before.
BOOST_AUTO_TEST_CASE(a_record_keyed_with_another_community_than_its_event_is_skipped) {
    temp_dir dir;
    const auto& w = small_workload();
    auto inner = open_log(dir.path / "log");
    append_all(*inner, w.setup);
    const offset misfiled{w.setup.size()};
    BOOST_REQUIRE(inner->append(w.events[0]).ok());
    BOOST_REQUIRE(inner->append(w.events[1]).ok());
    keyed_log log(std::move(inner), community_id{3}, misfiled);
    key_cache keys;
    const auto [db, p] = catch_up(log, dir.path / "store", keys);
    BOOST_CHECK(p->verdict_at(misfiled)->decided.reason == reject_reason::malformed_event);
    BOOST_CHECK(p->verdict_at(offset{misfiled.value + 1})->decided.reason !=
                reject_reason::malformed_event);
    BOOST_CHECK_EQUAL(db->skipped().value(), 1u);
}

BOOST_AUTO_TEST_CASE(history_and_open_posts_are_readable_from_the_store) {
    temp_dir dir;
    const auto& w = small_workload();
    auto log = open_log(dir.path / "log");
    key_cache keys;
    append_all(*log, w.setup);
    append_all(*log, w.events);
    const auto [db, p] = catch_up(*log, dir.path / "store", keys);
    std::int64_t balance = 0;
    p->read_state([&](const ledger_state& s) {
        balance = s.communities.at(community_id{3}).members.at(member_id{2}).balance.value;
        return 0;
    });
    // The history's balance deltas add up to the balance.
    auto h = read_history(*db, community_id{3}, member_id{2}, offset{0}, 100000);
    BOOST_REQUIRE(h.ok());
    BOOST_CHECK(!h->empty());
    std::int64_t sum = 0;
    for (const auto& e : *h) {
        BOOST_CHECK(e.member == member_id{2});
        sum += e.balance_delta.value;
    }
    BOOST_CHECK_EQUAL(sum, balance);
    // Paging through the history 7 lines at a time, each page from one past the last line,
    // gives exactly the full history (lines are stored in windows of offsets).
    std::vector<history_entry> paged;
    for (offset from{0};;) {
        auto page = read_history(*db, community_id{3}, member_id{2}, from, 7);
        BOOST_REQUIRE(page.ok());
        for (const auto& e : *page) BOOST_CHECK(e.at >= from);
        paged.insert(paged.end(), page->begin(), page->end());
        if (page->size() < 7) break;
        from = offset{page->back().at.value + 1};
    }
    BOOST_REQUIRE_EQUAL(paged.size(), h->size());
    for (std::size_t i = 0; i < paged.size(); ++i) {
        BOOST_CHECK(paged[i].at == (*h)[i].at);
        if (i > 0) BOOST_CHECK(paged[i - 1].at < paged[i].at);
    }
    BOOST_CHECK_GT(h->back().at.value, 2 * history_window_offsets);  // spans several windows

    auto offers = read_open_posts(*db, community_id{3}, true, std::nullopt, 10000);
    BOOST_REQUIRE(offers.ok());
    BOOST_CHECK(!offers->empty());
    for (const auto& o : *offers) BOOST_CHECK(o.is_offer);
    auto shopping = read_open_posts(*db, community_id{3}, false, category::shopping, 10000);
    BOOST_REQUIRE(shopping.ok());
    for (const auto& o : *shopping) BOOST_CHECK(o.what == category::shopping);
    auto here = read_open_posts(*db, community_id{3}, true, std::nullopt, 10000, "3512");
    BOOST_REQUIRE(here.ok());
    BOOST_CHECK_EQUAL(here->size(), offers->size());  // the workload posts everything in 3512
    auto elsewhere = read_open_posts(*db, community_id{3}, true, std::nullopt, 10000, "1091");
    BOOST_REQUIRE(elsewhere.ok());
    BOOST_CHECK(elsewhere->empty());
}

BOOST_AUTO_TEST_CASE(a_store_ahead_of_its_log_is_refused) {
    temp_dir dir;
    const auto& w = small_workload();
    key_cache keys;
    {
        auto log = open_log(dir.path / "log");
        append_all(*log, w.setup);
        catch_up(*log, dir.path / "store", keys);
    }
    auto other = open_log(dir.path / "other-log");
    auto db = store::open(dir.path / "store");
    auto p = projector::open(*other, **db, keys, {});
    BOOST_REQUIRE(!p.ok());
    BOOST_CHECK_EQUAL(p.err().code, errc::store_ahead_of_log);
}

BOOST_AUTO_TEST_SUITE_END()
