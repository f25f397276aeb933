// The projection store's own contract: appended values are the concatenation of their operands
// in the order they were appended, however RocksDB groups them (in one batch, across batches,
// across flushes to several files, before and after a reopen), for both uses of a store.
#include <boost/test/unit_test.hpp>

#include <string>

#include "projections/store.h"
#include "tests/support/temp_dir.h"

using namespace uurwerk;
using uurwerk::testing::temp_dir;

BOOST_AUTO_TEST_SUITE(store_contract)

BOOST_AUTO_TEST_CASE(appends_concatenate_in_order_across_batches_flushes_and_reopens) {
    for (store_use use : {store_use::serving, store_use::bulk_load}) {
        BOOST_TEST_CONTEXT((use == store_use::serving ? "serving" : "bulk_load")) {
            temp_dir dir;
            std::string expected, other_expected;
            auto piece = [](int round, int i) {
                return "<" + std::to_string(round) + "." + std::to_string(i) + ">";
            };
            {
                auto db = store::open(dir.path / "s", use);
                BOOST_REQUIRE(db.ok());
                for (int round = 0; round < 5; ++round) {
                    // Several operands of one key in one batch, two keys interleaved.
                    auto b = (*db)->make_batch();
                    for (int i = 0; i < 7; ++i) {
                        b.append(column::history, "window", piece(round, i));
                        expected += piece(round, i);
                        if (i % 3 == 0) {
                            b.append(column::history, "other", piece(round, i));
                            other_expected += piece(round, i);
                        }
                    }
                    BOOST_REQUIRE((*db)->write(b).ok());
                    // One operand in a batch of its own.
                    auto single = (*db)->make_batch();
                    single.append(column::history, "window", "|");
                    expected += "|";
                    BOOST_REQUIRE((*db)->write(single).ok());
                    // Every other round goes to a file of its own: a read then merges operands
                    // from the memtable and from several files.
                    if (round % 2 == 0) BOOST_REQUIRE((*db)->flush().ok());
                    auto now = (*db)->get(column::history, "window");
                    BOOST_REQUIRE(now.ok() && now->has_value());
                    BOOST_CHECK_EQUAL(**now, expected);
                }
            }
            auto db = store::open(dir.path / "s", store_use::serving);
            BOOST_REQUIRE(db.ok());
            auto b = (*db)->make_batch();
            b.append(column::history, "window", "<after reopen>");
            expected += "<after reopen>";
            BOOST_REQUIRE((*db)->write(b).ok());
            for (int pass = 0; pass < 2; ++pass) {  // from the memtable, then from files
                auto v = (*db)->get(column::history, "window");
                BOOST_REQUIRE(v.ok() && v->has_value());
                BOOST_CHECK_EQUAL(**v, expected);
                auto o = (*db)->get(column::history, "other");
                BOOST_REQUIRE(o.ok() && o->has_value());
                BOOST_CHECK_EQUAL(**o, other_expected);
                std::string scanned;
                BOOST_REQUIRE((*db)
                                  ->scan(column::history, "w", "w",
                                         [&](std::string_view, std::string_view value) {
                                             scanned = value;
                                             return true;
                                         })
                                  .ok());
                BOOST_CHECK_EQUAL(scanned, expected);
                BOOST_REQUIRE((*db)->flush().ok());
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
