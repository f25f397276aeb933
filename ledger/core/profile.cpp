#include "ledger/core/profile.h"

#include <array>

#include "ledger/core/event.h"

namespace uurwerk {
namespace {

constexpr std::array<std::string_view, 5> field_names = {"name", "phone", "email", "languages",
                                                         "about"};

error mismatch(std::string message) {
    return error{errc::personal_data_mismatch, "profile: " + std::move(message)};
}

bool only_of(std::string_view s, std::string_view allowed) {
    return s.find_first_not_of(allowed) == std::string_view::npos;
}

bool valid_language(std::string_view code) {
    return code.size() >= 2 && code.size() <= 8 && only_of(code, "abcdefghijklmnopqrstuvwxyz-");
}

bool valid_email(std::string_view e) {
    const auto at = e.find('@');
    return e.size() >= 3 && e.size() <= email_chars_max && at != std::string_view::npos && at > 0 &&
           at + 1 < e.size() && e.find('@', at + 1) == std::string_view::npos &&
           e.find(' ') == std::string_view::npos && text_within(e, email_chars_max);
}

// Checks one field's value; "" when it keeps the rules, else what it breaks.
std::string check_field(std::size_t field, std::string_view v, member_profile& p) {
    switch (field) {
        case 0:
            if (v.empty() || !text_within(v, display_name_chars_max))
                return "name must be 1 to 80 characters";
            p.name = v;
            return "";
        case 1:
            if (v.empty() || v.size() > phone_chars_max || !only_of(v, "0123456789 +()-./"))
                return "phone must be 1 to 32 of the characters 0-9, space, + ( ) - . /";
            p.phone = v;
            return "";
        case 2:
            if (!valid_email(v))
                return "email must be 3 to 254 characters with one '@' between text and no "
                       "spaces";
            p.email = v;
            return "";
        case 3: {
            std::size_t from = 0;
            while (true) {
                const auto comma = v.find(',', from);
                const auto code = v.substr(
                    from, comma == std::string_view::npos ? std::string_view::npos : comma - from);
                if (!valid_language(code) || p.languages.size() == languages_max)
                    return "languages must be 1 to 8 codes of 2 to 8 letters a-z or '-', "
                           "separated by commas (\"nl,en\")";
                p.languages.emplace_back(code);
                if (comma == std::string_view::npos) return "";
                from = comma + 1;
            }
        }
        default:
            if (v.empty() || !text_within(v, about_chars_max))
                return "about must be 1 to 600 characters";
            p.about = v;
            return "";
    }
}

}  // namespace

result<member_profile> parse_profile(std::string_view document) {
    if (document.size() > profile_bytes_max)
        return mismatch("the document is " + std::to_string(document.size()) + " bytes; at most " +
                        std::to_string(profile_bytes_max));
    if (!text_within(document, profile_bytes_max))
        return mismatch("the document is not valid UTF-8");
    member_profile p;
    std::size_t next_field = 0;  // fields come in order, each at most once
    std::size_t line_no = 0;
    std::size_t from = 0;
    while (from < document.size()) {
        ++line_no;
        const auto end = document.find('\n', from);
        const auto line = document.substr(
            from, end == std::string_view::npos ? std::string_view::npos : end - from);
        from = end == std::string_view::npos ? document.size() : end + 1;
        const std::string where = "line " + std::to_string(line_no) + ": ";
        for (char ch : line)
            if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f)
                return mismatch(where + "control characters are not allowed");
        const auto eq = line.find('=');
        if (eq == std::string_view::npos)
            return mismatch(where + "expected FIELD=VALUE (name, phone, email, languages, about)");
        const auto name = line.substr(0, eq);
        std::size_t field = 0;
        while (field < field_names.size() && field_names[field] != name) ++field;
        if (field == field_names.size())
            return mismatch(where + "unknown field '" + std::string(name) +
                            "' (name, phone, email, languages, about)");
        if (field < next_field)
            return mismatch(where + "field '" + std::string(name) +
                            "' repeated or out of order (name, phone, email, languages, about)");
        next_field = field + 1;
        if (auto broken = check_field(field, line.substr(eq + 1), p); !broken.empty())
            return mismatch(where + broken);
    }
    if (p.name.empty()) return mismatch("a profile needs a display name (name=...)");
    return p;
}

std::string profile_document(const member_profile& p) {
    std::string out = "name=" + p.name + "\n";
    if (!p.phone.empty()) out += "phone=" + p.phone + "\n";
    if (!p.email.empty()) out += "email=" + p.email + "\n";
    if (!p.languages.empty()) {
        out += "languages=";
        for (std::size_t i = 0; i < p.languages.size(); ++i) out += (i ? "," : "") + p.languages[i];
        out += "\n";
    }
    if (!p.about.empty()) out += "about=" + p.about + "\n";
    return out;
}

}  // namespace uurwerk
