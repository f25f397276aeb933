// The e-mail's pure parts (api/mail/smtp.h, api/mail/message.h): the relay's URL, what a
// message says in each language, its headers, the unsubscribe token's HMAC.
#include <boost/test/unit_test.hpp>

#include "api/mail/mailer.h"
#include "api/mail/message.h"
#include "api/mail/smtp.h"

using namespace uurwerk;

BOOST_AUTO_TEST_CASE(smtp_urls_parse_with_their_defaults_and_bad_ones_say_why) {
    auto plain = parse_smtp_url("smtp://relay.example.nl");
    BOOST_REQUIRE(plain.ok());
    BOOST_CHECK_EQUAL(plain->url, "smtp://relay.example.nl:25");
    BOOST_CHECK(!plain->implicit_tls);
    auto tls = parse_smtp_url("smtps://relay.example.nl/");
    BOOST_REQUIRE(tls.ok());
    BOOST_CHECK_EQUAL(tls->port, 465);
    BOOST_CHECK(tls->implicit_tls);
    auto v6 = parse_smtp_url("smtp://[::1]:2525");
    BOOST_REQUIRE(v6.ok());
    BOOST_CHECK_EQUAL(v6->url, "smtp://[::1]:2525");
    for (const char* bad : {"", "relay.example.nl", "smtp:/relay", "ftp://relay", "smtp://",
                            "smtp://relay:", "smtp://relay:0", "smtp://relay:65536",
                            "smtp://relay:12x", "smtp://u:p@relay", "smtp://relay/path",
                            "smtp://relay?x=1", "smtp://re lay", "smtp://[::1"}) {
        auto r = parse_smtp_url(bad);
        BOOST_CHECK_MESSAGE(!r.ok(), bad);
        if (!r.ok()) {
            BOOST_CHECK(r.err().code == errc::bad_url);
            BOOST_CHECK(r.err().message.find("smtp://relay.example.nl:587") != std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_message_speaks_the_members_language_and_links_into_the_app) {
    member_profile en;
    en.name = "Bep";
    en.languages = {"de", "en", "nl"};
    BOOST_CHECK(language_of(en) == mail_language::en);
    BOOST_CHECK(language_of(std::nullopt) == mail_language::nl);
    member_profile fr;
    fr.languages = {"fr"};
    BOOST_CHECK(language_of(fr) == mail_language::nl);

    mail_facts f;
    f.purpose = mail_purpose::claim_to_confirm;
    f.language = mail_language::en;
    f.recipient_name = "Bep";
    f.other_name = "Cor";
    f.app_url = "https://tijdbank.example.nl";
    f.unsubscribe_url = "https://tijdbank.example.nl/v1/mail/unsubscribe?x";
    auto t = compose(f);
    BOOST_CHECK_EQUAL(t.subject, "Hours to confirm");
    BOOST_CHECK_EQUAL(t.link, "https://tijdbank.example.nl/#home");
    BOOST_CHECK(t.body.find("Hello Bep,\r\n") == 0);
    BOOST_CHECK(t.body.find("Hours claimed by Cor.") != std::string::npos);
    BOOST_CHECK(t.body.find(f.unsubscribe_url) != std::string::npos);
    f.language = mail_language::nl;
    BOOST_CHECK_EQUAL(compose(f).subject, "Uren om te bevestigen");

    // Contact details appear only in "a match accepted", and only when given.
    f.purpose = mail_purpose::match_accepted;
    member_profile cor;
    cor.name = "Cor";
    cor.phone = "06 1234 5678";
    BOOST_CHECK(compose(f).body.find("06 1234 5678") == std::string::npos);
    f.other_contact = cor;
    BOOST_CHECK(compose(f).body.find("telefoon: 06 1234 5678") != std::string::npos);
    f.purpose = mail_purpose::proposal_to_answer;
    BOOST_CHECK(compose(f).body.find("06 1234 5678") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_message_has_the_headers_a_mail_program_needs) {
    mail_envelope e{"tijdbank@example.nl", "bep@example.nl",
                    "p0.00ff@example.nl",  rfc5322_date(time_ms{1796623834000}),
                    mail_language::en,     "https://x/u?t=1"};
    mail_text t{"A proposal to answer", "Hello,\r\n", "https://x/#home"};
    const auto m = rfc5322(e, t);
    for (const char* line :
         {"From: uurwerk <tijdbank@example.nl>\r\n", "To: <bep@example.nl>\r\n",
          "Subject: A proposal to answer\r\n", "Message-ID: <p0.00ff@example.nl>\r\n",
          "Content-Type: text/plain; charset=utf-8\r\n", "Content-Language: en\r\n",
          "List-Unsubscribe: <https://x/u?t=1>\r\n",
          "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
          "Date: Mon, 07 Dec 2026 06:10:34 +0000\r\n"})
        BOOST_CHECK_MESSAGE(m.find(line) != std::string::npos, line);
    BOOST_CHECK(m.find("\r\n\r\nHello,\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(only_plain_addresses_go_into_a_header) {
    for (const char* good : {"eva@example.nl", "a.b+c@x.y", "o'brien@example.ie"})
        BOOST_CHECK_MESSAGE(sendable_address(good), good);
    for (const char* bad :
         {"", "@x", "x@", "a@b@c", "a b@c", "a@b>\r\nBcc: z@z", "<a@b>", "a,b@c", ".a@b", "a..b@c"})
        BOOST_CHECK_MESSAGE(!sendable_address(bad), bad);
}

BOOST_AUTO_TEST_CASE(hmac_sha256_gives_rfc_4231s_answers) {
    // RFC 4231, test case 2.
    const std::string key = "Jefe", data = "what do ya want for nothing?";
    auto d =
        hmac_sha256(byte_view(reinterpret_cast<const std::uint8_t*>(key.data()), key.size()),
                    byte_view(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
    BOOST_CHECK_EQUAL(d.hex(), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 6: a key longer than a block is hashed first.
    const std::string long_key(131, '\xaa');
    const std::string text = "Test Using Larger Than Block-Size Key - Hash Key First";
    auto d6 = hmac_sha256(
        byte_view(reinterpret_cast<const std::uint8_t*>(long_key.data()), long_key.size()),
        byte_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    BOOST_CHECK_EQUAL(d6.hex(), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

BOOST_AUTO_TEST_CASE(frequencies_have_names_and_nothing_else_parses) {
    for (auto f : {mail_frequency::at_once, mail_frequency::daily, mail_frequency::weekly,
                   mail_frequency::never})
        BOOST_CHECK(parse_frequency(frequency_name(f)) == f);
    BOOST_CHECK(!parse_frequency("sometimes").has_value());
    BOOST_CHECK(!parse_frequency("").has_value());
}

BOOST_AUTO_TEST_CASE(a_mail_share_gives_each_partition_to_exactly_one_sender) {
    std::vector<mail_share> senders;
    for (const char* s : {"0/3", "1/3", "2/3"}) {
        auto share = parse_mail_share(s);
        BOOST_REQUIRE(share.ok());
        senders.push_back(*share);
    }
    for (std::uint32_t p = 0; p < 16; ++p) {
        int owners = 0;
        for (const auto& s : senders) owners += s.owns(partition_id{p}) ? 1 : 0;
        BOOST_CHECK_EQUAL(owners, 1);
    }
    BOOST_CHECK(mail_share{}.owns(partition_id{5}));  // alone, a node sends all
    for (const char* bad : {"", "3/3", "1", "1/0", "a/3", "-1/3", "0/257", "1/3/4"}) {
        auto r = parse_mail_share(bad);
        BOOST_CHECK_MESSAGE(!r.ok(), bad);
        if (!r.ok()) BOOST_CHECK(r.err().code == errc::bad_argument);
    }
}
