// Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/) from real events:
// the benchmarks' workload generator (api/bench/workload.h: a founded community, admissions,
// posts, claims, confirmations, transfers, all accepted) for events, log segments, exports and
// the projection stores a projector makes of them, and tests/support/certificate_log.h for hour
// certificates that verify. Deterministic (fixed
// seeds), small files (each under a few KB). Not a test: built on demand and run by hand, as
//
//   ninja -C build make_fuzz_seeds && build/make_fuzz_seeds -- tests/fuzz/corpus
//
// then commit what changed. The corpora of json_fuzz (tests/fuzz/json_corpus) are not made here.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "api/bench/workload.h"
#include "api/node/certificates.h"
#include "ledger/core/verified_event.h"
#include "ledger/log/local_log.h"
#include "projections/projector.h"
#include "tests/fuzz/store_entries.h"
#include "tests/support/certificate_log.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_log.h"

using namespace uurwerk;
namespace fs = std::filesystem;

namespace {

fs::path out_dir() {
    const auto& suite = boost::unit_test::framework::master_test_suite();
    BOOST_REQUIRE_MESSAGE(suite.argc == 2, "usage: make_fuzz_seeds -- OUTPUT_DIR");
    return suite.argv[1];
}

void write_file(const fs::path& p, byte_view b) {
    fs::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    BOOST_REQUIRE(f.good());
}
void write_file(const fs::path& p, std::string_view s) {
    write_file(p, byte_view(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

// The setup and the events of a small workload, in log order.
std::vector<bytes> workload_log() {
    workload_options o;
    o.members = 6;
    o.events = 120;
    o.threads = 1;
    o.confirm_lag = 4;
    auto w = make_workload(o);
    std::vector<bytes> all = std::move(w.setup);
    for (auto& e : w.events) all.push_back(std::move(e));
    return all;
}

}  // namespace

BOOST_AUTO_TEST_CASE(make_seeds) {
    const fs::path out = out_dir();
    const auto log = workload_log();

    // event: one envelope and its body for each kind of event, then a few more envelopes.
    std::set<event_kind> kinds;
    std::size_t extra = 0;
    for (std::size_t i = 0; i < log.size(); ++i) {
        auto s = stored_envelope::read(log[i]);
        BOOST_REQUIRE(s.ok());
        const bytes body(s->body().begin(), s->body().end());
        auto ev = read_event(std::move(*s));
        BOOST_REQUIRE(ev.ok());
        const bool first_of_kind = kinds.insert(ev->body().kind()).second;
        if (!first_of_kind && (i % 11 != 0 || ++extra > 8)) continue;
        const std::string stem = "event-" + std::to_string(i);
        write_file(out / "event" / (stem + ".envelope"), log[i]);
        if (first_of_kind) write_file(out / "event" / (stem + ".body"), body);
    }

    // log: segments that LocalLog wrote, of 1 to 8 records from several places of the log, and
    // two with a torn tail.
    for (std::size_t n : {1, 2, 3, 5, 8}) {
        for (std::size_t from : {std::size_t{0}, std::size_t{40}, std::size_t{100}}) {
            uurwerk::testing::temp_dir dir;
            {
                local_log_options o;
                o.dir = dir.path;
                o.clock = [] { return time_ms{1'700'000'000'000}; };
                auto l = local_log::open(o);
                BOOST_REQUIRE(l.ok());
                for (std::size_t i = from; i < from + n; ++i) {
                    auto r =
                        (*l)->append_async(log[i], [](result<offset> r) { BOOST_REQUIRE(r.ok()); });
                    BOOST_REQUIRE(r.ok());
                }
            }
            std::ifstream f(dir.path / "log-00000000000000000000.seg", std::ios::binary);
            const bytes seg(std::istreambuf_iterator<char>(f), {});
            const std::string stem = "seg-" + std::to_string(from) + "-" + std::to_string(n);
            write_file(out / "log" / (stem + ".seg"), seg);
            if (n == 3)
                write_file(out / "log" / (stem + "-torn.seg"),
                           byte_view(seg).first(seg.size() - 17));
        }
    }

    // export: the first n records of the community's log, every verdict "accepted".
    for (std::size_t n : {1, 2, 4, 7, 9, 12}) {
        std::string file;
        append_export_header(file, community_id{1});
        for (std::size_t i = 0; i < n; ++i)
            append_export_record(
                file,
                export_record{offset{i}, time_ms{1'700'000'000'000 + static_cast<std::int64_t>(i)},
                              reject_reason::none, log[i]});
        write_file(out / "export" / ("export-" + std::to_string(n) + ".bin"), file);
    }

    // certificate: a member's confirmed claims, one and two, with a delegation among the
    // bindings, as tests/api/node/certificate_test.cpp makes them.
    using uurwerk::testing::key_filled_with;
    uurwerk::testing::lying_log l;
    const auto anna = key_filled_with(1), cor = key_filled_with(2), bep = key_filled_with(3),
               daan = key_filled_with(4);
    const member_id m1{1}, m2{2}, m3{3}, m4{4};
    const auto founded = l.add(anna, m1, community_founded{"Buurtkring", policy{}}, time_ms{1});
    std::vector<std::uint64_t> base{founded};
    for (auto [m, k] : {std::pair{m2, &cor}, {m3, &bep}, {m4, &daan}})
        base.push_back(l.add(anna, m1, member_admitted{m, k->public_bytes()}, time_ms{2}));
    base.push_back(l.add(bep, m3,
                         delegation_granted{m4, {event_kind::hours_confirmed}, time_ms{1000}},
                         time_ms{100}));
    const auto c1 =
        l.add(cor, m2, hours_claimed{m1, minutes{60}, std::nullopt, std::nullopt}, time_ms{200});
    const auto f1 = l.add(anna, m1, hours_confirmed{l.ids[c1]}, time_ms{300});
    // A claim with a note: its commitment in the body, its salt (fixed here) and text revealed.
    personal_text tuin{{}, "de tuin"};
    tuin.salt.b.fill(0x5a);
    const auto c2 = l.add(
        cor, m2, hours_claimed{m3, minutes{45}, std::nullopt, commit_text(tuin.salt, tuin.text)},
        time_ms{400});
    const auto f2 = l.add(daan, m4, hours_confirmed{l.ids[c2]}, time_ms{500}, m3);
    auto revealed = l.certificate(m2, base, {{c1, f1}, {c2, f2}}, minutes{105});
    revealed.claims[1].note = tuin;
    const std::vector<std::pair<std::string, hour_certificate>> certificates{
        {"one-claim", l.certificate(m2, base, {{c1, f1}}, minutes{60})},
        {"two-claims", l.certificate(m2, base, {{c1, f1}, {c2, f2}}, minutes{105})},
        {"delegated", l.certificate(m2, base, {{c2, f2}}, minutes{45})},
        {"no-claims", l.certificate(m2, base, {}, minutes{0})},
        {"revealed-note", std::move(revealed)},
    };
    for (const auto& [stem, c] : certificates) {
        BOOST_TEST_INFO(stem);
        BOOST_REQUIRE(verify_certificate(c, {l.node.public_bytes()}).ok);
        write_file(out / "certificate" / (stem + ".json"), certificate_to_json(c));
    }

    // state: the projection store of the first n records, every entry of every column, in
    // state_fuzz's input format (tests/fuzz/store_entries.h).
    for (std::size_t n : {std::size_t{3}, std::size_t{20}, log.size()}) {
        uurwerk::testing::temp_dir dir;
        auto l = uurwerk::testing::open_test_log(dir.path / "log");
        for (std::size_t i = 0; i < n; ++i) BOOST_REQUIRE(l->append(log[i]).ok());
        auto db = store::open(dir.path / "store");
        BOOST_REQUIRE(db.ok());
        key_cache keys;
        {
            auto p = projector::open(*l, **db, keys, {});
            BOOST_REQUIRE(p.ok());
            BOOST_REQUIRE((*p)->catch_up().ok());
        }
        std::string entries;
        for (std::size_t c = 0; c < column_count; ++c) {
            auto scanned = (*db)->scan(
                static_cast<column>(c), "", "", [&](std::string_view k, std::string_view v) {
                    BOOST_REQUIRE(fuzz::put_store_entry(entries, static_cast<column>(c), k, v));
                    return true;
                });
            BOOST_REQUIRE(scanned.ok());
        }
        write_file(out / "state" / ("store-" + std::to_string(n) + ".bin"), entries);
    }
}
