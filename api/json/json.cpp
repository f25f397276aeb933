#include "api/json/json.h"

#include <capnp/compat/json.h>
#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>

#include "schemas/event.capnp.h"

namespace uurwerk {

// ---------------------------------------------------------------------------------------------
// Writing.

namespace {

// The length of the valid UTF-8 sequence at s[i], or 0 when there is none (RFC 3629: shortest
// form, no surrogates, nothing past U+10FFFF).
std::size_t utf8_sequence_at(std::string_view s, std::size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    std::uint32_t cp = n == 1 ? c : c & (0x7fu >> n);
    for (std::size_t j = 1; j < n; ++j) {
        auto next = static_cast<unsigned char>(s[i + j]);
        if ((next >> 6) != 2) return 0;
        cp = cp << 6 | (next & 0x3fu);
    }
    static constexpr std::uint32_t cp_min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < cp_min[n] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return 0;
    return n;
}

// Printable ASCII but the quote and the backslash: copied as it is.
bool plain_json_byte(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

void append_quoted(std::string& out, std::string_view s) {
    static constexpr char digits[] = "0123456789abcdef";
    out.reserve(out.size() + s.size() + 2);
    out.push_back('"');
    for (std::size_t i = 0; i < s.size();) {
        // Runs of plain bytes (most of any text) in one append.
        std::size_t run = i;
        while (run < s.size() && plain_json_byte(s[run])) ++run;
        if (run > i) {
            out.append(s.substr(i, run - i));
            i = run;
            continue;
        }
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            std::size_t n = utf8_sequence_at(s, i);
            if (n == 0) {
                out += "\xef\xbf\xbd";  // U+FFFD for a byte that is not valid UTF-8
                ++i;
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    out += "\\u00";
                    out.push_back(digits[c >> 4]);
                    out.push_back(digits[c & 15]);
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
        ++i;
    }
    out.push_back('"');
}

}  // namespace

void json_writer::before_value() {
    UURWERK_ASSERT(!done_);
    if (open_.empty()) {
        UURWERK_ASSERT(out_.empty(), out_);  // one top-level value
        return;
    }
    auto& top = open_.back();
    if (top.object) {
        UURWERK_ASSERT(key_pending_, out_);  // a value in an object needs its key first
        key_pending_ = false;
        return;
    }
    if (!top.empty) out_.push_back(',');
    top.empty = false;
}

json_writer& json_writer::begin_object() {
    before_value();
    out_.push_back('{');
    open_.push_back({true, true});
    return *this;
}

json_writer& json_writer::end_object() {
    UURWERK_ASSERT(!open_.empty() && open_.back().object && !key_pending_, out_);
    out_.push_back('}');
    open_.pop_back();
    return *this;
}

json_writer& json_writer::begin_array() {
    before_value();
    out_.push_back('[');
    open_.push_back({false, true});
    return *this;
}

json_writer& json_writer::end_array() {
    UURWERK_ASSERT(!open_.empty() && !open_.back().object, out_);
    out_.push_back(']');
    open_.pop_back();
    return *this;
}

json_writer& json_writer::key(std::string_view name) {
    UURWERK_ASSERT(!open_.empty() && open_.back().object && !key_pending_, out_, name);
    if (!open_.back().empty) out_.push_back(',');
    open_.back().empty = false;
    append_quoted(out_, name);
    out_.push_back(':');
    key_pending_ = true;
    return *this;
}

json_writer& json_writer::string(std::string_view s) {
    before_value();
    append_quoted(out_, s);
    return *this;
}

json_writer& json_writer::number(std::int64_t v) {
    before_value();
    out_ += std::to_string(v);
    return *this;
}

json_writer& json_writer::boolean(bool b) {
    before_value();
    out_ += b ? "true" : "false";
    return *this;
}

json_writer& json_writer::null() {
    before_value();
    out_ += "null";
    return *this;
}

json_writer& json_writer::decimal(std::uint64_t v) {
    before_value();
    out_.push_back('"');
    out_ += std::to_string(v);
    out_.push_back('"');
    return *this;
}

json_writer& json_writer::decimal_signed(std::int64_t v) {
    before_value();
    out_.push_back('"');
    out_ += std::to_string(v);
    out_.push_back('"');
    return *this;
}

json_writer& json_writer::raw(std::string_view json) {
    UURWERK_ASSERT(!json.empty());
    before_value();
    out_.append(json);
    return *this;
}

std::string json_writer::take() {
    UURWERK_ASSERT(open_.empty() && !key_pending_ && !out_.empty() && !done_, out_);
    done_ = true;
    return std::move(out_);
}

std::string json_quote(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    append_quoted(out, s);
    return out;
}

std::string error_json(errc code, std::string_view message) {
    json_writer w;
    w.begin_object().key("error").begin_object();
    w.key("code").string(name(code)).key("message").string(message);
    w.end_object().end_object();
    return w.take();
}

// ---------------------------------------------------------------------------------------------
// Reading: a strict RFC 8259 parser into a small tree.

namespace {

struct jnode {
    enum class type : std::uint8_t { null, boolean, number, string, array, object };
    type t = type::null;
    bool b = false;
    std::string text;  // a string's decoded value, or a number's literal
    std::vector<jnode> items;
    std::vector<std::pair<std::string, jnode>> members;
};

std::string_view type_phrase(jnode::type t) {
    switch (t) {
        case jnode::type::null:
            return "null";
        case jnode::type::boolean:
            return "a boolean";
        case jnode::type::number:
            return "a number";
        case jnode::type::string:
            return "a string";
        case jnode::type::array:
            return "an array";
        case jnode::type::object:
            return "an object";
    }
    return "?";
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xc0 | cp >> 6));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xe0 | cp >> 12));
        out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
        out.push_back(static_cast<char>(0xf0 | cp >> 18));
        out.push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
}

class json_parser {
public:
    explicit json_parser(std::string_view s) : s_(s) {}

    result<jnode> document() {
        for (std::size_t i = 0; i < s_.size();) {
            std::size_t n = utf8_sequence_at(s_, i);
            if (n == 0)
                return make_error(errc::bad_json,
                                  "not valid JSON: the text is not valid "
                                  "UTF-8 at byte " +
                                      std::to_string(i));
            i += n;
        }
        jnode root;
        skip_space();
        if (!value(root, 0)) return *problem_;
        skip_space();
        if (pos_ != s_.size()) {
            fail("more text after the JSON value");
            return *problem_;
        }
        return root;
    }

private:
    bool fail(const std::string& what, errc code = errc::bad_json) {
        if (!problem_)
            problem_ =
                make_error(code, "not valid JSON at byte " + std::to_string(pos_) + ": " + what);
        return false;
    }
    bool at_end() const { return pos_ >= s_.size(); }
    char peek() const { return s_[pos_]; }
    void skip_space() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
            ++pos_;
    }
    bool literal(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) return fail("expected a JSON value");
        pos_ += word.size();
        return true;
    }

    bool value(jnode& out, std::size_t depth) {
        if (at_end()) return fail("the text ends where a value is due");
        switch (peek()) {
            case '{':
                return object(out, depth + 1);
            case '[':
                return array(out, depth + 1);
            case '"':
                out.t = jnode::type::string;
                return string(out.text);
            case 't':
                out.t = jnode::type::boolean;
                out.b = true;
                return literal("true");
            case 'f':
                out.t = jnode::type::boolean;
                out.b = false;
                return literal("false");
            case 'n':
                out.t = jnode::type::null;
                return literal("null");
            default:
                out.t = jnode::type::number;
                return number(out.text);
        }
    }

    bool object(jnode& out, std::size_t depth) {
        if (depth > json_nesting_max)
            return fail("objects and arrays nest deeper than " + std::to_string(json_nesting_max));
        out.t = jnode::type::object;
        ++pos_;  // '{'
        skip_space();
        if (!at_end() && peek() == '}') {
            ++pos_;
            return true;
        }
        while (true) {
            skip_space();
            if (at_end() || peek() != '"') return fail("expected a field name in double quotes");
            std::string name;
            if (!string(name)) return false;
            skip_space();
            if (at_end() || peek() != ':') return fail("expected ':' after a field name");
            ++pos_;
            skip_space();
            jnode v;
            if (!value(v, depth)) return false;
            out.members.emplace_back(std::move(name), std::move(v));
            skip_space();
            if (at_end()) return fail("the text ends inside an object");
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') {
                ++pos_;
                return true;
            }
            return fail("expected ',' or '}' in an object");
        }
    }

    bool array(jnode& out, std::size_t depth) {
        if (depth > json_nesting_max)
            return fail("objects and arrays nest deeper than " + std::to_string(json_nesting_max));
        out.t = jnode::type::array;
        ++pos_;  // '['
        skip_space();
        if (!at_end() && peek() == ']') {
            ++pos_;
            return true;
        }
        while (true) {
            skip_space();
            jnode v;
            if (!value(v, depth)) return false;
            out.items.push_back(std::move(v));
            skip_space();
            if (at_end()) return fail("the text ends inside an array");
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == ']') {
                ++pos_;
                return true;
            }
            return fail("expected ',' or ']' in an array");
        }
    }

    bool hex4(std::uint32_t& out) {
        if (pos_ + 4 > s_.size()) return fail("\\u needs four hex digits");
        out = 0;
        for (int i = 0; i < 4; ++i) {
            char c = s_[pos_++];
            int v = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (v < 0) return fail("\\u needs four hex digits");
            out = out << 4 | static_cast<std::uint32_t>(v);
        }
        return true;
    }

    bool string(std::string& out) {
        ++pos_;  // '"'
        while (true) {
            if (at_end()) return fail("the text ends inside a string");
            auto c = static_cast<unsigned char>(peek());
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (c < 0x20) return fail("a control character in a string must be escaped");
            if (c != '\\') {
                out.push_back(static_cast<char>(c));
                ++pos_;
                continue;
            }
            ++pos_;
            if (at_end()) return fail("the text ends inside a string");
            char e = s_[pos_++];
            switch (e) {
                case '"':
                    out.push_back('"');
                    break;
                case '\\':
                    out.push_back('\\');
                    break;
                case '/':
                    out.push_back('/');
                    break;
                case 'b':
                    out.push_back('\b');
                    break;
                case 'f':
                    out.push_back('\f');
                    break;
                case 'n':
                    out.push_back('\n');
                    break;
                case 'r':
                    out.push_back('\r');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                case 'u': {
                    std::uint32_t cp = 0;
                    if (!hex4(cp)) return false;
                    if (cp >= 0xdc00 && cp <= 0xdfff)
                        return fail("a \\u escape is a lone low surrogate");
                    if (cp >= 0xd800 && cp <= 0xdbff) {
                        std::uint32_t low = 0;
                        if (s_.substr(pos_, 2) != "\\u")
                            return fail("a \\u escape is a high surrogate without its low half");
                        pos_ += 2;
                        if (!hex4(low)) return false;
                        if (low < 0xdc00 || low > 0xdfff)
                            return fail("a \\u escape is a high surrogate without its low half");
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                    }
                    if (cp == 0)
                        return fail("strings may not contain NUL (\\u0000)", errc::bad_request);
                    append_utf8(out, cp);
                    break;
                }
                default:
                    --pos_;
                    return fail("an unknown escape in a string");
            }
        }
    }

    bool number(std::string& out) {
        const std::size_t start = pos_;
        auto digits = [&] {
            std::size_t n = 0;
            while (!at_end() && peek() >= '0' && peek() <= '9') ++pos_, ++n;
            return n;
        };
        if (!at_end() && peek() == '-') ++pos_;
        if (at_end()) return fail("expected a JSON value");
        if (peek() == '0') {
            ++pos_;
        } else if (digits() == 0) {
            pos_ = start;
            return fail("expected a JSON value");
        }
        if (!at_end() && peek() == '.') {
            ++pos_;
            if (digits() == 0) return fail("a number needs digits after '.'");
        }
        if (!at_end() && (peek() == 'e' || peek() == 'E')) {
            ++pos_;
            if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
            if (digits() == 0) return fail("a number needs digits in its exponent");
        }
        out.assign(s_.substr(start, pos_ - start));
        return true;
    }

    std::string_view s_;
    std::size_t pos_ = 0;
    std::optional<error> problem_;
};

// ---------------------------------------------------------------------------------------------
// Reading: walking the tree against the schema, writing a normalised capnp::JsonValue.

constexpr std::uint64_t json_hex_annotation = 0xf061e22f0ae5c7b5ull;
constexpr std::uint64_t json_base64_annotation = 0xd7d879450a253e4bull;

enum class data_form : std::uint8_t { bytes_array, hex, base64 };

data_form form_of(capnp::StructSchema::Field field) {
    for (auto a : field.getProto().getAnnotations()) {
        if (a.getId() == json_hex_annotation) return data_form::hex;
        if (a.getId() == json_base64_annotation) return data_form::base64;
    }
    return data_form::bytes_array;
}

std::string field_path(const std::string& path, std::string_view name) {
    return path.empty() ? std::string(name) : path + "." + std::string(name);
}

std::string where(const std::string& path) {
    return path.empty() ? "the body" : path;
}

capnp::Text::Reader as_text(const std::string& s) {
    return {s.c_str(), s.size()};
}

template <typename Fields>
std::string field_names(Fields fields) {
    std::string out;
    for (auto f : fields) {
        if (!out.empty()) out += ", ";
        out += f.getProto().getName().cStr();
    }
    return out;
}

std::string names_of(capnp::EnumSchema e) {
    std::string out;
    for (auto x : e.getEnumerants()) {
        if (!out.empty()) out += ", ";
        out += x.getProto().getName().cStr();
    }
    return out;
}

struct int_range {
    std::int64_t min;
    std::uint64_t max;
    const char* name;
};

std::optional<int_range> int_range_of(capnp::schema::Type::Which w) {
    using W = capnp::schema::Type::Which;
    switch (w) {
        case W::INT8:
            return int_range{INT8_MIN, INT8_MAX, "Int8"};
        case W::INT16:
            return int_range{INT16_MIN, INT16_MAX, "Int16"};
        case W::INT32:
            return int_range{INT32_MIN, INT32_MAX, "Int32"};
        case W::INT64:
            return int_range{INT64_MIN, INT64_MAX, "Int64"};
        case W::UINT8:
            return int_range{0, UINT8_MAX, "UInt8"};
        case W::UINT16:
            return int_range{0, UINT16_MAX, "UInt16"};
        case W::UINT32:
            return int_range{0, UINT32_MAX, "UInt32"};
        case W::UINT64:
            return int_range{0, UINT64_MAX, "UInt64"};
        default:
            return std::nullopt;
    }
}

class schema_walker {
public:
    std::optional<error> problem;

    bool walk_struct(const jnode& in, capnp::StructSchema s, capnp::JsonValue::Builder out,
                     const std::string& path) {
        if (in.t != jnode::type::object)
            return fail(errc::bad_request,
                        where(path) + " must be an object, not " + std::string(type_phrase(in.t)));
        // Every name once, every name known.
        for (std::size_t i = 0; i < in.members.size(); ++i) {
            const auto& name = in.members[i].first;
            for (std::size_t j = 0; j < i; ++j)
                if (in.members[j].first == name)
                    return fail(errc::bad_request,
                                "the field \"" + name + "\" appears twice in " + where(path));
            if (s.findFieldByName(as_text(name)) == nullptr)
                return fail(errc::unknown_field, "unknown field \"" + name + "\" in " +
                                                     where(path) + " (" +
                                                     s.getShortDisplayName().cStr() +
                                                     " has: " + field_names(s.getFields()) + ")");
        }
        auto fields = out.initObject(static_cast<unsigned>(in.members.size()));
        for (unsigned i = 0; i < in.members.size(); ++i) {
            const auto& [name, v] = in.members[i];
            auto field = s.getFieldByName(as_text(name));
            fields[i].setName(as_text(name));
            auto value_out = fields[i].initValue();
            const auto sub = field_path(path, name);
            if (field.getProto().isGroup()) {
                if (!walk_struct(v, field.getType().asStruct(), value_out, sub)) return false;
                continue;
            }
            if (!walk_value(v, field.getType(), form_of(field), value_out, sub)) return false;
        }
        // A union names exactly one member (checked after the fields, so that a field's own
        // error is told where it is).
        auto union_fields = s.getUnionFields();
        if (union_fields.size() > 0) {
            std::vector<std::string> named;
            for (const auto& [name, v] : in.members) {
                KJ_IF_MAYBE (f, s.findFieldByName(as_text(name))) {
                    if (f->getProto().getDiscriminantValue() !=
                        capnp::schema::Field::NO_DISCRIMINANT)
                        named.push_back(name);
                }
            }
            const bool kinds = s == capnp::Schema::from<schema::EventBody>();
            const std::string what = kinds ? "kind" : "member of the union";
            if (named.empty())
                return fail(errc::ambiguous_kind,
                            where(path) + " names no " + what + ": name exactly one " + what +
                                " (one of: " + field_names(union_fields) + ")");
            if (named.size() > 1)
                return fail(errc::ambiguous_kind, where(path) + " names both \"" + named[0] +
                                                      "\" and \"" + named[1] +
                                                      "\": name exactly one " + what);
        }
        return true;
    }

private:
    bool fail(errc code, std::string message) {
        if (!problem) problem = make_error(code, std::move(message));
        return false;
    }

    bool wrong_type(const jnode& in, const std::string& path, std::string_view wanted) {
        if (in.t == jnode::type::null)
            return fail(errc::bad_request,
                        path + " is null; leave the field out, or give " + std::string(wanted));
        return fail(errc::bad_request, path + " must be " + std::string(wanted) + ", not " +
                                           std::string(type_phrase(in.t)));
    }

    // Checks an integer against `range`, and gives it back in decimal without sign for zero.
    // One form each, as Cap'n Proto's JSON writes them: a 64-bit integer is a decimal string
    // (a JSON number past 2^53 is not exact in most clients), a narrower one a JSON number.
    bool parse_integer(const jnode& in, const int_range& range, const std::string& path,
                       std::string& normal) {
        const bool wide = range.max > (1ull << 53) || range.min < -(1ll << 53);
        const std::string wanted =
            std::string("a whole number (") + range.name + ", from " + std::to_string(range.min) +
            " to " + std::to_string(range.max) + ")" +
            (wide ? " as a decimal string such as \"7\"" : " as a JSON number such as 7");
        if (wide && in.t == jnode::type::number)
            return fail(errc::bad_request, path +
                                               " is a 64-bit integer: give it as a decimal string "
                                               "such as \"" +
                                               in.text + "\", not the JSON number " + in.text);
        if (!wide && in.t == jnode::type::string)
            return fail(errc::bad_request,
                        path + " must be " + wanted + ", not the string " + json_quote(in.text));
        if (in.t != jnode::type::number && in.t != jnode::type::string)
            return wrong_type(in, path, wanted);
        std::string_view digits = in.text;
        const bool negative = !digits.empty() && digits.front() == '-';
        if (negative) digits.remove_prefix(1);
        const bool well_formed =
            !digits.empty() && digits.size() <= 20 &&
            std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!well_formed)
            return fail(errc::bad_request,
                        path + " must be " + wanted + "; got " + json_quote(in.text));
        std::uint64_t magnitude = 0;
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
        bool fits = ec == std::errc() && p == digits.data() + digits.size();
        if (fits && negative) {
            // -min fits in 64 unsigned bits: -(min + 1) + 1.
            const std::uint64_t magnitude_max =
                range.min < 0 ? static_cast<std::uint64_t>(-(range.min + 1)) + 1 : 0;
            fits = magnitude <= magnitude_max;
        } else if (fits) {
            fits = magnitude <= range.max;
        }
        if (!fits)
            return fail(errc::bad_request,
                        path + " is out of range: " + in.text + " is not " + wanted);
        normal = (negative && magnitude != 0 ? "-" : "") + std::to_string(magnitude);
        return true;
    }

    bool walk_integer(const jnode& in, const int_range& range, capnp::JsonValue::Builder out,
                      const std::string& path) {
        std::string normal;
        if (!parse_integer(in, range, path, normal)) return false;
        // As a decimal string: exact for 64 bits, and the codec reads every integer type so.
        out.setString(as_text(normal));
        return true;
    }

    bool walk_value(const jnode& in, capnp::Type type, data_form form,
                    capnp::JsonValue::Builder out, const std::string& path) {
        using W = capnp::schema::Type::Which;
        if (auto range = int_range_of(type.which())) return walk_integer(in, *range, out, path);
        switch (type.which()) {
            case W::VOID:
                if (in.t != jnode::type::null) return wrong_type(in, path, "null");
                out.setNull();
                return true;
            case W::BOOL:
                if (in.t != jnode::type::boolean) return wrong_type(in, path, "true or false");
                out.setBoolean(in.b);
                return true;
            case W::FLOAT32:
            case W::FLOAT64: {
                if (in.t != jnode::type::number) return wrong_type(in, path, "a number");
                double d = std::strtod(in.text.c_str(), nullptr);
                const bool too_big_for_float =
                    type.which() == W::FLOAT32 && std::fabs(d) > std::numeric_limits<float>::max();
                if (!std::isfinite(d) || too_big_for_float)
                    return fail(errc::bad_request, path + " is out of range: " + in.text);
                out.setNumber(d);
                return true;
            }
            case W::TEXT:
                if (in.t != jnode::type::string) return wrong_type(in, path, "a string");
                out.setString(as_text(in.text));
                return true;
            case W::DATA:
                return walk_data(in, form, out, path);
            case W::ENUM: {
                auto e = type.asEnum();
                const std::string wanted = "a string naming a " +
                                           std::string(e.getShortDisplayName().cStr()) +
                                           " (one of: " + names_of(e) + ")";
                if (in.t != jnode::type::string) return wrong_type(in, path, wanted);
                if (e.findEnumerantByName(as_text(in.text)) == nullptr)
                    return fail(errc::bad_request, path + ": there is no " +
                                                       e.getShortDisplayName().cStr() + " " +
                                                       json_quote(in.text) + "; give " + wanted);
                out.setString(as_text(in.text));
                return true;
            }
            case W::LIST: {
                if (in.t != jnode::type::array) return wrong_type(in, path, "an array");
                auto element = type.asList().getElementType();
                auto items = out.initArray(static_cast<unsigned>(in.items.size()));
                for (unsigned i = 0; i < in.items.size(); ++i) {
                    const auto sub = path + "[" + std::to_string(i) + "]";
                    if (element.isStruct()) {
                        if (!walk_struct(in.items[i], element.asStruct(), items[i], sub))
                            return false;
                    } else if (!walk_value(in.items[i], element, data_form::bytes_array, items[i],
                                           sub)) {
                        return false;
                    }
                }
                return true;
            }
            case W::STRUCT:
                return walk_struct(in, type.asStruct(), out, path);
            default:
                return fail(errc::bad_request, path + " has a type the JSON API does not accept");
        }
    }

    bool walk_data(const jnode& in, data_form form, capnp::JsonValue::Builder out,
                   const std::string& path) {
        switch (form) {
            case data_form::hex: {
                if (in.t != jnode::type::string)
                    return wrong_type(in, path, "a string of hex digits");
                auto b = from_hex(in.text);
                if (!b)
                    return fail(errc::bad_hex, path +
                                                   " must be hex with an even number of digits "
                                                   "(0-9, a-f): " +
                                                   b.err().message);
                out.setString(as_text(to_hex(*b)));  // lower case
                return true;
            }
            case data_form::base64: {
                if (in.t != jnode::type::string) return wrong_type(in, path, "a base64 string");
                auto b = from_base64(in.text);
                if (!b)
                    return fail(errc::bad_base64,
                                path + " must be standard base64 with padding: " + b.err().message);
                out.setString(as_text(in.text));
                return true;
            }
            case data_form::bytes_array: {
                if (in.t != jnode::type::array)
                    return wrong_type(in, path, "an array of numbers from 0 to 255");
                auto items = out.initArray(static_cast<unsigned>(in.items.size()));
                const int_range byte_range{0, 255, "UInt8"};
                for (unsigned i = 0; i < in.items.size(); ++i) {
                    const auto sub = path + "[" + std::to_string(i) + "]";
                    std::string normal;
                    if (!parse_integer(in.items[i], byte_range, sub, normal)) return false;
                    items[i].setNumber(std::stod(normal));
                }
                return true;
            }
        }
        return false;
    }
};

// A JsonCodec that follows the $Json annotations of `Root`. Building one walks the whole schema
// (about 40 us), so each thread keeps one per root type; Cap'n Proto does not say that a codec
// may be shared between threads.
template <typename Root>
capnp::JsonCodec& annotated_codec() {
    thread_local std::unique_ptr<capnp::JsonCodec> codec;
    if (!codec) {
        codec = std::make_unique<capnp::JsonCodec>();
        codec->setMaxNestingDepth(json_nesting_max + 1);
        codec->handleByAnnotation<Root>();
    }
    return *codec;
}

// Parses `json`, walks it against `Root`'s schema and decodes it into `message`.
template <typename Root>
result<void> decode_strict(std::string_view json, capnp::MessageBuilder& message) {
    if (json.size() > json_text_bytes_max)
        return make_error(errc::bad_request, "the JSON text is " + std::to_string(json.size()) +
                                                 " bytes; at most " +
                                                 std::to_string(json_text_bytes_max));
    auto tree = json_parser(json).document();
    if (!tree) return tree.err();
    std::optional<error> failure;
    auto ex = kj::runCatchingExceptions([&]() {
        capnp::MallocMessageBuilder normal;
        auto value = normal.initRoot<capnp::JsonValue>();
        schema_walker walker;
        if (!walker.walk_struct(*tree, capnp::Schema::from<Root>(), value, "")) {
            failure = std::move(walker.problem);
            UURWERK_ASSERT(failure.has_value());
            return;
        }
        annotated_codec<Root>().decode(
            value.asReader(), message.initRoot<capnp::DynamicStruct>(capnp::Schema::from<Root>()));
    });
    KJ_IF_MAYBE (e, ex) {
        return make_error(errc::bad_request, std::string("the JSON does not fit the schema: ") +
                                                 e->getDescription().cStr());
    }
    if (failure) return *failure;
    return ok_value;
}

bytes to_bytes(kj::ArrayPtr<const capnp::byte> b) {
    return bytes(b.begin(), b.end());
}

// Gives the decoded message the one form encode_body writes for its value: a text left out is
// an empty text, and an empty Data field (an optional id or digest given as "") is absent.
void normalise(capnp::DynamicStruct::Builder s) {
    using W = capnp::schema::Type::Which;
    auto active = s.which();
    for (auto f : s.getSchema().getFields()) {
        if (f.getProto().getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT) {
            KJ_IF_MAYBE (a, active) {
                if (*a != f) continue;
            } else {
                continue;
            }
        }
        if (f.getProto().isGroup()) {
            normalise(s.get(f).as<capnp::DynamicStruct>());
            continue;
        }
        auto type = f.getType();
        switch (type.which()) {
            case W::TEXT:
                if (!s.has(f)) s.set(f, capnp::Text::Reader(""));
                break;
            case W::DATA:
                if (s.has(f) && s.get(f).as<capnp::Data>().size() == 0) s.clear(f);
                break;
            case W::STRUCT:
                if (s.has(f)) normalise(s.get(f).as<capnp::DynamicStruct>());
                break;
            case W::LIST:
                if (s.has(f) && type.asList().getElementType().isStruct()) {
                    auto list = s.get(f).as<capnp::DynamicList>();
                    for (unsigned i = 0; i < list.size(); ++i)
                        normalise(list[i].as<capnp::DynamicStruct>());
                }
                break;
            default:
                break;
        }
    }
}

}  // namespace

result<bytes> canonical_body_from_json(std::string_view json) {
    capnp::MallocMessageBuilder message;
    auto decoded = decode_strict<schema::EventBody>(json, message);
    if (!decoded) return decoded.err();
    bytes canonical;
    auto ex = kj::runCatchingExceptions([&]() {
        normalise(message.getRoot<capnp::DynamicStruct>(capnp::Schema::from<schema::EventBody>()));
        auto words = capnp::canonicalize(message.getRoot<schema::EventBody>().asReader());
        canonical = to_bytes(words.asBytes());
    });
    KJ_IF_MAYBE (e, ex) {
        return make_error(errc::bad_event, std::string("the event body cannot be encoded: ") +
                                               e->getDescription().cStr());
    }
    auto body = decode_body(canonical);
    if (!body) return make_error(errc::bad_event, body.err().message);
    return canonical;
}

result<envelope> envelope_from_json(std::string_view json) {
    capnp::MallocMessageBuilder message;
    auto decoded = decode_strict<schema::Envelope>(json, message);
    if (!decoded) return decoded.err();
    auto root = message.getRoot<schema::Envelope>().asReader();
    envelope e;
    e.body = to_bytes(root.getBody());
    auto signer = root.getSigner();
    auto sig = root.getSignature();
    if (e.body.empty())
        return make_error(errc::bad_envelope,
                          "body is missing: give the canonical body bytes in "
                          "base64 (POST /v1/canonical makes them)");
    if (signer.size() != public_key_bytes)
        return make_error(errc::bad_envelope,
                          "signer must be a " + std::to_string(public_key_bytes) +
                              "-byte Ed25519 public key (" + std::to_string(2 * public_key_bytes) +
                              " hex digits); got " + std::to_string(signer.size()) + " bytes");
    if (sig.size() != signature_bytes)
        return make_error(errc::bad_envelope,
                          "signature must be a " + std::to_string(signature_bytes) +
                              "-byte Ed25519 signature (" + std::to_string(2 * signature_bytes) +
                              " hex digits); got " + std::to_string(sig.size()) + " bytes");
    std::memcpy(e.signer.b.data(), signer.begin(), public_key_bytes);
    std::memcpy(e.sig.b.data(), sig.begin(), signature_bytes);
    return e;
}

result<std::string> body_to_json(byte_view canonical_body) {
    if (canonical_body.empty() || canonical_body.size() % sizeof(capnp::word) != 0 ||
        canonical_body.size() > envelope_bytes_max)
        return make_error(errc::bad_event,
                          "an event body is a non-empty multiple of 8 bytes, at most " +
                              std::to_string(envelope_bytes_max));
    auto words = kj::heapArray<capnp::word>(canonical_body.size() / sizeof(capnp::word));
    std::memcpy(words.begin(), canonical_body.data(), canonical_body.size());
    std::string out;
    auto ex = kj::runCatchingExceptions([&]() {
        capnp::ReaderOptions options;
        options.traversalLimitInWords = envelope_bytes_max;
        options.nestingLimit = 16;
        kj::ArrayPtr<const capnp::word> segments[1] = {words.asPtr()};
        capnp::SegmentArrayMessageReader reader(kj::arrayPtr(segments, 1), options);
        auto text =
            annotated_codec<schema::EventBody>().encode(reader.getRoot<schema::EventBody>());
        out.assign(text.cStr(), text.size());
    });
    KJ_IF_MAYBE (e, ex) {
        return make_error(errc::bad_event, std::string("the event body cannot be read: ") +
                                               e->getDescription().cStr());
    }
    return out;
}

namespace {
json_value to_json_value(const jnode& n) {
    json_value out;
    switch (n.t) {
        case jnode::type::null:
            out.v = nullptr;
            break;
        case jnode::type::boolean:
            out.v = n.b;
            break;
        case jnode::type::number: {
            double d = 0;
            std::from_chars(n.text.data(), n.text.data() + n.text.size(), d);
            out.v = d;
            break;
        }
        case jnode::type::string:
            out.v = n.text;
            break;
        case jnode::type::array: {
            auto a = std::make_shared<json_value::array>();
            for (const auto& item : n.items) a->push_back(to_json_value(item));
            out.v = a;
            break;
        }
        case jnode::type::object: {
            auto o = std::make_shared<json_value::object>();
            for (const auto& [k, v] : n.members) (*o)[k] = to_json_value(v);
            out.v = o;
            break;
        }
    }
    return out;
}
}  // namespace

result<json_value> parse_json_value(std::string_view text) {
    auto tree = json_parser(text).document();
    if (!tree) return tree.err();
    return to_json_value(*tree);
}

}  // namespace uurwerk
