// A member's profile document (ledger/core/profile.h): what it must hold and what it refuses,
// from the side of a client that sends a bad one; and that the personal-data check
// (ledger/core/personal.h) holds a profile's commitment to a valid document.
#include <boost/test/unit_test.hpp>

#include "ledger/core/personal.h"
#include "ledger/core/profile.h"

using namespace uurwerk;

namespace {

std::string why(const result<member_profile>& r) {
    return r ? std::string("parsed") : r.err().message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(profile)

BOOST_AUTO_TEST_CASE(a_full_profile_parses_and_writes_back_the_same_bytes) {
    const std::string doc =
        "name=Eva de Vries\nphone=+31 (0)6-1234.5678\nemail=eva@example.nl\nlanguages=nl,fy,"
        "zh-hant\nabout=Ik wandel graag en lees voor. Één keer per week.\n";
    auto p = parse_profile(doc);
    BOOST_REQUIRE_MESSAGE(p.ok(), why(p));
    BOOST_CHECK_EQUAL(p->name, "Eva de Vries");
    BOOST_CHECK_EQUAL(p->phone, "+31 (0)6-1234.5678");
    BOOST_CHECK_EQUAL(p->email, "eva@example.nl");
    BOOST_REQUIRE_EQUAL(p->languages.size(), 3u);
    BOOST_CHECK_EQUAL(p->languages[2], "zh-hant");
    BOOST_CHECK_EQUAL(profile_document(*p), doc);
    // Only a name; the last line end may be left out.
    auto only = parse_profile("name=Bert");
    BOOST_REQUIRE_MESSAGE(only.ok(), why(only));
    BOOST_CHECK(only->phone.empty() && only->languages.empty());
    BOOST_CHECK_EQUAL(profile_document(*only), "name=Bert\n");
}

BOOST_AUTO_TEST_CASE(a_bad_profile_is_refused_saying_which_line_and_rule) {
    const std::string long_name(81, 'a');
    const std::string long_about(601, 'b');
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"", "display name"},
        {"phone=0612345678\n", "display name"},
        {"name=\n", "name must be"},
        {"name=" + long_name + "\n", "name must be"},
        {"name=Eva\nname=Eva\n", "repeated or out of order"},
        {"phone=06\nname=Eva\n", "line 2: field 'name' repeated or out of order"},
        {"name=Eva\nadres=Dorpsstraat 1\n", "unknown field 'adres'"},
        {"name=Eva\nphone=06 call me\n", "phone must be"},
        {"name=Eva\nemail=eva.example.nl\n", "email must be"},
        {"name=Eva\nemail=eva@@example.nl\n", "email must be"},
        {"name=Eva\nemail=@example.nl\n", "email must be"},
        {"name=Eva\nemail=eva @x.nl\n", "email must be"},
        {"name=Eva\nlanguages=NL\n", "languages must be"},
        {"name=Eva\nlanguages=nl,\n", "languages must be"},
        {"name=Eva\nlanguages=a,b,c,d,e,f,g,h,i\n", "languages must be"},
        {"name=Eva\nlanguages=aa,bb,cc,dd,ee,ff,gg,hh,ii\n", "languages must be"},
        {"name=Eva\nabout=" + long_about + "\n", "about must be"},
        {"name=Eva\r\n", "control characters"},
        {"name=Eva\tB\n", "control characters"},
        {"name=Eva\n\n", "expected FIELD=VALUE"},
        {"name=Eva\xff\n", "not valid UTF-8"},
        {"name=Eva\nabout=" + std::string(1500, 'x') + "\n", "bytes; at most 1500"},
    };
    for (const auto& [doc, expected] : bad) {
        auto p = parse_profile(doc);
        BOOST_CHECK_MESSAGE(!p.ok(), "accepted: " << doc);
        if (p.ok()) continue;
        BOOST_CHECK(p.err().code == errc::personal_data_mismatch);
        BOOST_CHECK_MESSAGE(p.err().message.find(expected) != std::string::npos,
                            doc << " -> " << p.err().message << " (expected " << expected << ")");
    }
}

BOOST_AUTO_TEST_CASE(a_profile_event_commits_to_a_valid_document_of_its_member_alone) {
    const auto good = commit_fresh("name=Eva\nphone=0612345678\n");
    event_body b{event_id{},
                 community_id{7},
                 member_id{1},
                 sequence{1},
                 time_ms{0},
                 std::nullopt,
                 profile_updated{member_id{2}, good.commitment}};
    BOOST_CHECK(carries_profile(b));
    BOOST_CHECK(check_personal(b, good.personal).ok());
    BOOST_CHECK(!check_personal(b, std::nullopt).ok());
    // A plain text (no name=) is no profile, even when it matches the commitment.
    const auto plain = commit_fresh("Eva, 0612345678");
    b.payload = profile_updated{member_id{2}, plain.commitment};
    auto r = check_personal(b, plain.personal);
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK(r.err().message.find("profile:") != std::string::npos);
    // Another member's salt and text do not match.
    b.payload = profile_updated{member_id{2}, good.commitment};
    auto swapped = good.personal;
    swapped.text = "name=Mallory\n";
    BOOST_CHECK(!check_personal(b, swapped).ok());
    // A coordinator admitting member 2 with a profile: the text is member 2's alone (their
    // leaving erases it; the coordinator's does not).
    b.payload = member_admitted{member_id{2}, std::nullopt, role::member, true, good.commitment};
    BOOST_CHECK(check_personal(b, good.personal).ok());
    BOOST_CHECK(members_concerned(b) == std::vector<member_id>{member_id{2}});
    b.payload = profile_updated{member_id{2}, good.commitment};
    BOOST_CHECK(members_concerned(b) == std::vector<member_id>{member_id{2}});
    // A post's text is not read as a profile: free text, up to 600 characters.
    const auto post = commit_fresh("name=whatever, this is a post");
    b.payload = offer_posted{{category::other, post.commitment, intensity::once, "", 0}};
    BOOST_CHECK(!carries_profile(b));
    BOOST_CHECK(check_personal(b, post.personal).ok());
}

BOOST_AUTO_TEST_SUITE_END()
