// The operator's list of keys that may found a community (api/node/founders.h): what allow-founder
// writes, what a node reads, and a file an operator edited by hand.
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "api/node/founders.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"

using namespace uurwerk;
using uurwerk::testing::key_of;
using uurwerk::testing::temp_dir;

BOOST_AUTO_TEST_CASE(only_listed_keys_may_found_and_a_key_is_listed_once) {
    temp_dir dir("founders");
    const auto data = dir.path / "data";
    BOOST_CHECK(!founder_allowed(data, key_of(1)).value());  // no file: nobody
    BOOST_REQUIRE(allow_founder(data, key_of(1)).ok());      // makes the folder and the file
    BOOST_REQUIRE(allow_founder(data, key_of(1)).ok());
    BOOST_REQUIRE(allow_founder(data, key_of(2)).ok());
    BOOST_CHECK(founder_allowed(data, key_of(1)).value());
    BOOST_CHECK(founder_allowed(data, key_of(2)).value());
    BOOST_CHECK(!founder_allowed(data, key_of(3)).value());
    BOOST_CHECK_EQUAL(founders_count(data).value(), 2u);
}

BOOST_AUTO_TEST_CASE(a_hand_edited_list_is_read_and_appended_to_safely) {
    temp_dir dir("founders-edited");
    const auto data = dir.path;
    {
        std::ofstream f(founders_file(data));
        f << "# the time bank of Lombok\n  " << key_of(4).hex() << "  # Anna\n\n"
          << key_of(5).hex();  // no newline at the end
    }
    BOOST_CHECK(founder_allowed(data, key_of(4)).value());
    BOOST_CHECK(founder_allowed(data, key_of(5)).value());
    BOOST_REQUIRE(allow_founder(data, key_of(6)).ok());
    BOOST_CHECK(founder_allowed(data, key_of(5)).value());  // not merged with the new line
    BOOST_CHECK(founder_allowed(data, key_of(6)).value());
    BOOST_CHECK_EQUAL(founders_count(data).value(), 3u);
    {
        std::ofstream f(founders_file(data), std::ios::app);
        f << "not a key\n";
    }
    auto bad = founder_allowed(data, key_of(4));
    BOOST_REQUIRE(!bad.ok());
    BOOST_CHECK_EQUAL(bad.err().code, errc::bad_founders_file);
    BOOST_CHECK_MESSAGE(bad.err().message.find("line 6") != std::string::npos, bad.err().message);
}
