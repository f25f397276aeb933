// The one place that defines Boost.Test's main() for every suite binary.
#define BOOST_TEST_MODULE uurwerk
#include <boost/test/unit_test.hpp>
