#include "api/json/json.h"

#include <capnp/compat/json.h>
#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>
#include <kj/exception.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <utility>

#include "schemas/event.capnp.h"

namespace uurwerk {

namespace {
// Objects keep their members in the order given, so that an error names the first offender.
using ojson = nlohmann::ordered_json;
}  // namespace

// ---------------------------------------------------------------------------------------------
// Writing.

namespace {

// `s` as nlohmann/json quotes it: the quote, the backslash and the control characters escaped
// (\n, \t, ... or \u00xx), valid UTF-8 as it is, and each maximal piece that is not valid UTF-8
// (a stray byte, a sequence cut short) replaced by one U+FFFD. nlohmann leaves DEL (0x7f) as it
// is; this writer has always escaped it, so that is done here.
void append_quoted(std::string& out, std::string_view s) {
    // Most strings an answer holds (hex ids, names of kinds and categories, decimal numbers) are
    // printable ASCII with nothing to escape, which every JSON writer copies as it is: copied
    // here without building a JSON value for each (a candidates page holds ~200 strings).
    const bool plain = std::all_of(
        s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
    if (plain) {
        out.push_back('"');
        out.append(s);
        out.push_back('"');
        return;
    }
    const std::string quoted =
        ojson(s).dump(-1, ' ', /*ensure_ascii=*/false, ojson::error_handler_t::replace);
    if (quoted.find('\x7f') == std::string::npos) {
        out += quoted;
        return;
    }
    for (char c : quoted) {
        if (c == '\x7f')
            out += "\\u007f";
        else
            out.push_back(c);
    }
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

std::string envelope_to_json(const envelope& e) {
    return submission_to_json(e, std::nullopt);
}

std::string submission_to_json(const envelope& e, const std::optional<personal_text>& personal) {
    json_writer w;
    w.begin_object();
    w.key("body").string(to_base64(e.body));
    w.key("signer").string(e.signer.hex());
    w.key("signature").string(to_hex(e.sig.b));
    if (personal) {
        w.key("personal").begin_object();
        w.key("salt").string(to_hex(personal->salt.b));
        w.key("text").string(personal->text);
        w.end_object();
    }
    w.end_object();
    return w.take();
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
// Reading: nlohmann/json's parser, through its SAX interface, into an ordered tree.

namespace {

std::string_view type_phrase(const ojson& v) {
    switch (v.type()) {
        case ojson::value_t::null:
            return "null";
        case ojson::value_t::boolean:
            return "a boolean";
        case ojson::value_t::number_integer:
        case ojson::value_t::number_unsigned:
        case ojson::value_t::number_float:
            return "a number";
        case ojson::value_t::string:
            return "a string";
        case ojson::value_t::array:
            return "an array";
        case ojson::value_t::object:
            return "an object";
        default:
            return "?";  // binary, discarded: the JSON parser makes neither
    }
}

std::string where(const std::string& path) {
    return path.empty() ? "the body" : path;
}

// nlohmann's description of a syntax error, without its prefix ("[json.exception.parse_error.101]
// parse error at line 1, column 9: ") and without the input it quotes ("; last read: '...'"),
// which need not be valid UTF-8.
std::string description(const std::exception& e) {
    std::string_view what = e.what();
    if (auto colon = what.find(": "); colon != std::string_view::npos)
        what.remove_prefix(colon + 2);
    if (auto quoted = what.find("; last read: "); quoted != std::string_view::npos)
        what = what.substr(0, quoted);
    return std::string(what);
}

// Builds the tree for nlohmann's SAX parser, and refuses while parsing what RFC 8259 allows but
// the API does not: a name given twice in one object, nesting deeper than json_nesting_max, and
// NUL (\u0000) in a string or a name. nlohmann's parser itself refuses everything RFC 8259 does
// (bad syntax, a control character or a lone surrogate in a string, UTF-8 that is not valid:
// overlong forms, encoded surrogates, past U+10FFFF) and numbers too large for a double.
class strict_builder final : public nlohmann::json_sax<ojson> {
public:
    explicit strict_builder(std::string_view text) : text_(text) {}

    ojson root;
    std::optional<error> problem;

    bool null() override { return add(nullptr); }
    bool boolean(bool b) override { return add(b); }
    bool number_integer(number_integer_t v) override { return add(v); }
    bool number_unsigned(number_unsigned_t v) override { return add(v); }
    bool number_float(number_float_t v, const string_t&) override { return add(v); }
    bool string(string_t& s) override { return without_nul(s, path(true)) && add(std::move(s)); }
    bool binary(binary_t&) override {
        UURWERK_ASSERT(false);  // only binary formats (CBOR, ...) give these
        return false;
    }
    bool start_object(std::size_t) override { return open(ojson::object()); }
    bool key(string_t& name) override {
        auto& top = open_.back();
        if (!without_nul(name, path(false))) return false;
        if (top.node->contains(name))
            return fail(errc::bad_request,
                        "the field \"" + name + "\" appears twice in " + where(path(false)));
        top.key = std::move(name);
        return true;
    }
    bool end_object() override {
        open_.pop_back();
        return true;
    }
    bool start_array(std::size_t) override { return open(ojson::array()); }
    bool end_array() override {
        open_.pop_back();
        return true;
    }
    bool parse_error(std::size_t position, const std::string& token,
                     const nlohmann::detail::exception& e) override {
        const std::size_t byte = position > 0 ? position - 1 : 0;
        const std::string at = std::to_string(byte);
        if (e.id == 406)  // out_of_range.406: a number past a double's range, such as 1e400
            return fail(errc::bad_request, where(path(true)) + " is out of range: " + token +
                                               " (at byte " + at + ") is past a double's range");
        // nlohmann takes a NUL byte between tokens for the end of the input.
        if (byte < text_.size() && text_[byte] == '\0')
            return fail(errc::bad_json, "not valid JSON at byte " + at + ": NUL");
        return fail(errc::bad_json, "not valid JSON at byte " + at + ": " + description(e));
    }

private:
    std::string_view text_;  // being parsed
    struct level {
        ojson* node;
        std::string key;  // of the member being read, in an object
        std::size_t items = 0;
    };
    std::vector<level> open_;  // the objects and arrays open, outermost first

    bool fail(errc code, std::string message) {
        if (!problem) problem = make_error(code, std::move(message));
        return false;
    }

    bool without_nul(const std::string& s, const std::string& at) {
        if (s.find('\0') == std::string::npos) return true;
        return fail(errc::bad_request, where(at) + ": strings may not contain NUL (\\u0000)");
    }

    // The value in its place: the root, the next item of an array, or the member being read.
    // The pointer stays valid while the value is open: nothing is added to its container then.
    ojson* place(ojson&& v) {
        if (open_.empty()) {
            root = std::move(v);
            return &root;
        }
        auto& top = open_.back();
        if (top.node->is_array()) {
            top.node->push_back(std::move(v));
            ++top.items;
            return &top.node->back();
        }
        auto& member = (*top.node)[top.key];
        member = std::move(v);
        return &member;
    }

    bool add(ojson&& v) {
        place(std::move(v));
        return true;
    }

    bool open(ojson&& v) {
        if (open_.size() >= json_nesting_max)
            return fail(errc::bad_json, "not valid JSON: objects and arrays nest deeper than " +
                                            std::to_string(json_nesting_max));
        open_.push_back({place(std::move(v)), {}, 0});
        return true;
    }

    // The JSON path of the innermost open container, or (`pending`) of the value being read in
    // it, as the schema walker names paths: "requestPosted.text", "delegationGranted.kinds[2]".
    std::string path(bool pending) const {
        std::string out;
        for (std::size_t i = 0; i < open_.size(); ++i) {
            const bool last = i + 1 == open_.size();
            if (last && !pending) break;
            const auto& l = open_[i];
            if (l.node->is_array()) {
                out += "[" + std::to_string(last ? l.items : l.items - 1) + "]";
            } else {
                if (!out.empty()) out += ".";
                out += l.key;
            }
        }
        return out;
    }
};

// Any JSON text to a tree, strictly (strict_builder).
result<ojson> parse_strict(std::string_view text) {
    // nlohmann skips a byte order mark; a JSON text on the wire has none (RFC 8259, 8.1).
    if (text.starts_with("\xef\xbb\xbf"))
        return make_error(errc::bad_json,
                          "not valid JSON at byte 0: a byte order mark before the value");
    strict_builder builder(text);
    const bool parsed = ojson::sax_parse(text.begin(), text.end(), &builder,
                                         ojson::input_format_t::json, /*strict=*/true,
                                         /*ignore_comments=*/false);
    if (!parsed) {
        UURWERK_ASSERT(builder.problem.has_value(), text);
        return *builder.problem;
    }
    // nlohmann takes a NUL byte between tokens for the end of the input, so it reads "{}\0{" as
    // "{}" (one before the end of the value makes it fail). A raw NUL is nowhere valid in JSON.
    if (auto nul = text.find('\0'); nul != std::string_view::npos)
        return make_error(errc::bad_json,
                          "not valid JSON at byte " + std::to_string(nul) + ": NUL");
    return std::move(builder.root);
}

// ---------------------------------------------------------------------------------------------
// Reading: walking the tree against the schema, building the Cap'n Proto message.

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

// Where a decoded value goes: a field of a struct, or an element of a list.
class slot {
public:
    slot(capnp::DynamicStruct::Builder s, capnp::StructSchema::Field f) : struct_(s), field_(f) {}
    slot(capnp::DynamicList::Builder l, unsigned i) : list_(l), index_(i), in_list_(true) {}

    void set(const capnp::DynamicValue::Reader& v) {
        if (in_list_)
            list_.set(index_, v);
        else
            struct_.set(field_, v);
    }
    capnp::DynamicStruct::Builder init_struct() {
        if (in_list_) return list_[index_].as<capnp::DynamicStruct>();
        return struct_.init(field_).as<capnp::DynamicStruct>();
    }
    capnp::DynamicList::Builder init_list(unsigned size) {
        if (in_list_) return list_.init(index_, size).as<capnp::DynamicList>();
        return struct_.init(field_, size).as<capnp::DynamicList>();
    }

private:
    capnp::DynamicStruct::Builder struct_;
    capnp::StructSchema::Field field_;
    capnp::DynamicList::Builder list_;
    unsigned index_ = 0;
    bool in_list_ = false;
};

// A whole number read from JSON, within the range of its field.
struct whole {
    bool negative = false;
    std::uint64_t magnitude = 0;

    capnp::DynamicValue::Reader value() const {
        if (!negative) return magnitude;
        // -magnitude fits in 64 signed bits (the range said so); -(2^63) is the one that needs
        // care.
        return magnitude == (1ull << 63) ? std::numeric_limits<std::int64_t>::min()
                                         : -static_cast<std::int64_t>(magnitude);
    }
};

class schema_walker {
public:
    std::optional<error> problem;

    bool walk_struct(const ojson& in, capnp::StructSchema s, capnp::DynamicStruct::Builder out,
                     const std::string& path) {
        if (!in.is_object())
            return fail(errc::bad_request,
                        where(path) + " must be an object, not " + std::string(type_phrase(in)));
        const auto& members = in.get_ref<const ojson::object_t&>();
        // Every name known (a name given twice the parser refused).
        for (const auto& [name, v] : members) {
            if (s.findFieldByName(as_text(name)) == nullptr)
                return fail(errc::unknown_field, "unknown field \"" + name + "\" in " +
                                                     where(path) + " (" +
                                                     s.getShortDisplayName().cStr() +
                                                     " has: " + field_names(s.getFields()) + ")");
        }
        for (const auto& [name, v] : members) {
            auto field = s.getFieldByName(as_text(name));
            const auto sub = field_path(path, name);
            if (field.getProto().isGroup()) {
                if (!walk_struct(v, field.getType().asStruct(),
                                 out.init(field).as<capnp::DynamicStruct>(), sub))
                    return false;
                continue;
            }
            if (!walk_value(v, field.getType(), form_of(field), slot(out, field), sub))
                return false;
        }
        // A union names exactly one member (checked after the fields, so that a field's own
        // error is told where it is).
        auto union_fields = s.getUnionFields();
        if (union_fields.size() > 0) {
            std::vector<std::string> named;
            for (const auto& [name, v] : members) {
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

    bool wrong_type(const ojson& in, const std::string& path, std::string_view wanted) {
        if (in.is_null())
            return fail(errc::bad_request,
                        path + " is null; leave the field out, or give " + std::string(wanted));
        return fail(errc::bad_request, path + " must be " + std::string(wanted) + ", not " +
                                           std::string(type_phrase(in)));
    }

    // Reads an integer within `range`. One form each, as Cap'n Proto's JSON writes them: a
    // 64-bit integer is a decimal string (a JSON number past 2^53 is not exact in most clients),
    // a narrower one a JSON number.
    std::optional<whole> parse_integer(const ojson& in, const int_range& range,
                                       const std::string& path) {
        const bool wide = range.max > (1ull << 53) || range.min < -(1ll << 53);
        const std::string wanted =
            std::string("a whole number (") + range.name + ", from " + std::to_string(range.min) +
            " to " + std::to_string(range.max) + ")" +
            (wide ? " as a decimal string such as \"7\"" : " as a JSON number such as 7");
        if (wide && in.is_number()) {
            // The number again as a decimal string, when the parser read it as a whole number (a
            // fraction, an exponent or a number past 64 bits it reads as a double).
            const std::string example = in.is_number_float() ? "7" : in.dump();
            fail(errc::bad_request,
                 path + " is a 64-bit integer: give it as a decimal string such as \"" + example +
                     "\", not the JSON number " + in.dump());
            return std::nullopt;
        }
        if (!wide && in.is_string()) {
            fail(errc::bad_request, path + " must be " + wanted + ", not the string " +
                                        json_quote(in.get_ref<const std::string&>()));
            return std::nullopt;
        }
        if (!in.is_number() && !in.is_string()) {
            wrong_type(in, path, wanted);
            return std::nullopt;
        }
        whole w;
        std::string text;  // as given, for the messages
        if (in.is_string()) {
            text = in.get<std::string>();
            std::string_view digits = text;
            w.negative = !digits.empty() && digits.front() == '-';
            if (w.negative) digits.remove_prefix(1);
            const bool well_formed = !digits.empty() && digits.size() <= 20 &&
                                     std::all_of(digits.begin(), digits.end(),
                                                 [](char c) { return c >= '0' && c <= '9'; });
            if (!well_formed) {
                fail(errc::bad_request, path + " must be " + wanted + "; got " + json_quote(text));
                return std::nullopt;
            }
            auto [p, ec] =
                std::from_chars(digits.data(), digits.data() + digits.size(), w.magnitude);
            if (ec != std::errc() || p != digits.data() + digits.size()) {
                fail(errc::bad_request, path + " is out of range: " + text + " is not " + wanted);
                return std::nullopt;
            }
        } else if (in.is_number_float()) {
            // A fraction or an exponent; or a whole number past 64 bits, which the parser can
            // only give as a double.
            const double d = in.get<double>();
            text = in.dump();
            if (std::floor(d) == d && std::fabs(d) >= 0x1p63)
                fail(errc::bad_request, path + " is out of range: " + text + " is not " + wanted);
            else
                fail(errc::bad_request, path + " must be " + wanted + "; got " + text);
            return std::nullopt;
        } else if (in.is_number_unsigned()) {
            w.magnitude = in.get<std::uint64_t>();
            text = std::to_string(w.magnitude);
        } else {
            const auto v = in.get<std::int64_t>();
            w.negative = v < 0;
            w.magnitude = w.negative ? 0 - static_cast<std::uint64_t>(v) : v;
            text = std::to_string(v);
        }
        bool fits;
        if (w.negative) {
            // -min fits in 64 unsigned bits: -(min + 1) + 1.
            const std::uint64_t magnitude_max =
                range.min < 0 ? static_cast<std::uint64_t>(-(range.min + 1)) + 1 : 0;
            fits = w.magnitude <= magnitude_max;
        } else {
            fits = w.magnitude <= range.max;
        }
        if (!fits) {
            fail(errc::bad_request, path + " is out of range: " + text + " is not " + wanted);
            return std::nullopt;
        }
        if (w.magnitude == 0) w.negative = false;  // "-0" is 0
        return w;
    }

    bool walk_value(const ojson& in, capnp::Type type, data_form form, slot out,
                    const std::string& path) {
        using W = capnp::schema::Type::Which;
        if (auto range = int_range_of(type.which())) {
            auto w = parse_integer(in, *range, path);
            if (!w) return false;
            out.set(w->value());
            return true;
        }
        switch (type.which()) {
            case W::VOID:
                if (!in.is_null()) return wrong_type(in, path, "null");
                out.set(capnp::VOID);
                return true;
            case W::BOOL:
                if (!in.is_boolean()) return wrong_type(in, path, "true or false");
                out.set(in.get<bool>());
                return true;
            case W::FLOAT32:
            case W::FLOAT64: {
                if (!in.is_number()) return wrong_type(in, path, "a number");
                const double d = in.get<double>();
                const bool too_big_for_float =
                    type.which() == W::FLOAT32 && std::fabs(d) > std::numeric_limits<float>::max();
                if (!std::isfinite(d) || too_big_for_float)
                    return fail(errc::bad_request, path + " is out of range: " + in.dump());
                out.set(d);
                return true;
            }
            case W::TEXT:
                if (!in.is_string()) return wrong_type(in, path, "a string");
                out.set(as_text(in.get_ref<const std::string&>()));
                return true;
            case W::DATA:
                return walk_data(in, form, out, path);
            case W::ENUM: {
                auto e = type.asEnum();
                const std::string wanted = "a string naming a " +
                                           std::string(e.getShortDisplayName().cStr()) +
                                           " (one of: " + names_of(e) + ")";
                if (!in.is_string()) return wrong_type(in, path, wanted);
                const auto& name = in.get_ref<const std::string&>();
                KJ_IF_MAYBE (enumerant, e.findEnumerantByName(as_text(name))) {
                    out.set(capnp::DynamicEnum(*enumerant));
                    return true;
                }
                return fail(errc::bad_request, path + ": there is no " +
                                                   e.getShortDisplayName().cStr() + " " +
                                                   json_quote(name) + "; give " + wanted);
            }
            case W::LIST: {
                if (!in.is_array()) return wrong_type(in, path, "an array");
                auto element = type.asList().getElementType();
                auto items = out.init_list(static_cast<unsigned>(in.size()));
                for (unsigned i = 0; i < in.size(); ++i) {
                    const auto sub = path + "[" + std::to_string(i) + "]";
                    if (element.isStruct()) {
                        if (!walk_struct(in[i], element.asStruct(),
                                         items[i].as<capnp::DynamicStruct>(), sub))
                            return false;
                    } else if (!walk_value(in[i], element, data_form::bytes_array, slot(items, i),
                                           sub)) {
                        return false;
                    }
                }
                return true;
            }
            case W::STRUCT:
                return walk_struct(in, type.asStruct(), out.init_struct(), path);
            default:
                return fail(errc::bad_request, path + " has a type the JSON API does not accept");
        }
    }

    bool walk_data(const ojson& in, data_form form, slot out, const std::string& path) {
        bytes b;
        switch (form) {
            case data_form::hex: {
                if (!in.is_string()) return wrong_type(in, path, "a string of hex digits");
                auto decoded = from_hex(in.get_ref<const std::string&>());
                if (!decoded)
                    return fail(errc::bad_hex, path +
                                                   " must be hex with an even number of digits "
                                                   "(0-9, a-f): " +
                                                   decoded.err().message);
                b = std::move(*decoded);
                break;
            }
            case data_form::base64: {
                if (!in.is_string()) return wrong_type(in, path, "a base64 string");
                auto decoded = from_base64(in.get_ref<const std::string&>());
                if (!decoded)
                    return fail(errc::bad_base64, path + " must be standard base64 with padding: " +
                                                      decoded.err().message);
                b = std::move(*decoded);
                break;
            }
            case data_form::bytes_array: {
                if (!in.is_array())
                    return wrong_type(in, path, "an array of numbers from 0 to 255");
                const int_range byte_range{0, 255, "UInt8"};
                for (std::size_t i = 0; i < in.size(); ++i) {
                    auto w = parse_integer(in[i], byte_range, path + "[" + std::to_string(i) + "]");
                    if (!w) return false;
                    b.push_back(static_cast<std::uint8_t>(w->magnitude));
                }
                break;
            }
        }
        out.set(capnp::Data::Reader(b.data(), b.size()));
        return true;
    }
};

// A JsonCodec that follows the $Json annotations of `Root`, for writing (body_to_json). Building
// one walks the whole schema (about 40 us), so each thread keeps one per root type; Cap'n Proto
// does not say that a codec may be shared between threads.
template <typename Root>
capnp::JsonCodec& annotated_codec() {
    thread_local std::unique_ptr<capnp::JsonCodec> codec;
    if (!codec) {
        codec = std::make_unique<capnp::JsonCodec>();
        codec->handleByAnnotation<Root>();
    }
    return *codec;
}

// Parses `json`, walks it against `Root`'s schema and builds it into `message`.
template <typename Root>
result<void> decode_strict(std::string_view json, capnp::MessageBuilder& message) {
    if (json.size() > json_text_bytes_max)
        return make_error(errc::bad_request, "the JSON text is " + std::to_string(json.size()) +
                                                 " bytes; at most " +
                                                 std::to_string(json_text_bytes_max));
    auto tree = parse_strict(json);
    if (!tree) return tree.err();
    std::optional<error> failure;
    auto ex = kj::runCatchingExceptions([&]() {
        schema_walker walker;
        const auto schema = capnp::Schema::from<Root>();
        if (!walker.walk_struct(*tree, schema, message.initRoot<capnp::DynamicStruct>(schema),
                                "")) {
            failure = std::move(walker.problem);
            UURWERK_ASSERT(failure.has_value());
        }
    });
    KJ_IF_MAYBE (e, ex) {
        return make_error(errc::bad_request, std::string("the JSON does not fit the schema: ") +
                                                 e->getDescription().cStr());
    }
    if (failure) return *failure;
    return ok_value;
}

json_value to_json_value(const ojson& n) {
    json_value out;
    switch (n.type()) {
        case ojson::value_t::null:
            out.v = nullptr;
            break;
        case ojson::value_t::boolean:
            out.v = n.get<bool>();
            break;
        case ojson::value_t::number_integer:
        case ojson::value_t::number_unsigned:
        case ojson::value_t::number_float:
            out.v = n.get<double>();
            break;
        case ojson::value_t::string:
            out.v = n.get<std::string>();
            break;
        case ojson::value_t::array: {
            auto a = std::make_shared<json_value::array>();
            a->reserve(n.size());
            for (const auto& item : n) a->push_back(to_json_value(item));
            out.v = a;
            break;
        }
        case ojson::value_t::object: {
            auto o = std::make_shared<json_value::object>();
            for (const auto& [k, v] : n.get_ref<const ojson::object_t&>())
                (*o)[k] = to_json_value(v);
            out.v = o;
            break;
        }
        default:
            UURWERK_ASSERT(false, static_cast<int>(n.type()));  // the JSON parser makes no other
    }
    return out;
}

}  // namespace

result<bytes> canonical_body_from_json(std::string_view json) {
    capnp::MallocMessageBuilder message;
    auto decoded = decode_strict<schema::EventBody>(json, message);
    if (!decoded) return decoded.err();
    // The builder's message, in one segment; its one canonical form is ledger/core's to give.
    kj::Array<capnp::word> words;
    auto ex = kj::runCatchingExceptions(
        [&]() { words = capnp::canonicalize(message.getRoot<schema::EventBody>().asReader()); });
    KJ_IF_MAYBE (e, ex) {
        return make_error(errc::bad_event, std::string("the event body cannot be encoded: ") +
                                               e->getDescription().cStr());
    }
    const auto b = words.asBytes();
    return canonical_body(byte_view(b.begin(), b.size()));
}

namespace {

// The envelope's parts (as decoded from base64 and hex) to its stored form.
result<stored_envelope> stored_from(byte_view body, byte_view signer, byte_view sig) {
    if (body.empty())
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
    public_key k;
    signature s;
    std::memcpy(k.b.data(), signer.data(), public_key_bytes);
    std::memcpy(s.b.data(), sig.data(), signature_bytes);
    // The one encoding of this event on its way to the log: the node appends these bytes.
    return stored_envelope::encode(body, k, s);
}

// The same from an Envelope or a Submission message.
template <typename Reader>
result<stored_envelope> stored_from(Reader root) {
    auto body = root.getBody();
    auto signer = root.getSigner();
    auto sig = root.getSignature();
    return stored_from(byte_view(body.begin(), body.size()),
                       byte_view(signer.begin(), signer.size()),
                       byte_view(sig.begin(), sig.size()));
}

// The form every client of POST /v1/events sends, read in one pass without the tree: one object
// whose members are "body", "signer", "signature" and, if any, "personal" (an object of "salt"
// and "text"), each once, in any order, every value a string, JSON whitespace between tokens.
// Only the text may hold escapes (each decoded as nlohmann decodes it) and bytes past ASCII
// (well-formed UTF-8, as nlohmann requires). Anything else, and any value that does not decode
// (hex, base64, a length), is not read here (nullopt): the tree walk reads it, and alone says
// what is wrong. So both ways read every text alike (tests/api/json: the tree walk is the
// reference); this one only skips the tree, the schema walk and their copies.
class plain_submission_reader {
public:
    explicit plain_submission_reader(std::string_view text) : s_(text) {}

    std::optional<submission> read() {
        if (s_.size() > json_text_bytes_max) return std::nullopt;
        std::string_view body, signer, sig, salt;
        std::string text;
        bool has_body = false, has_signer = false, has_sig = false, has_personal = false,
             has_salt = false, has_text = false;
        if (!members([&](std::string_view name) {
                if (name == "body") return once(has_body) && plain_string(body);
                if (name == "signer") return once(has_signer) && plain_string(signer);
                if (name == "signature") return once(has_sig) && plain_string(sig);
                if (name != "personal" || !once(has_personal)) return false;
                return members([&](std::string_view inner) {
                    if (inner == "salt") return once(has_salt) && plain_string(salt);
                    if (inner == "text") return once(has_text) && text_string(text);
                    return false;
                });
            }))
            return std::nullopt;
        skip_space();
        if (at_ != s_.size() || !has_body || !has_signer || !has_sig) return std::nullopt;
        if (has_personal && !(has_salt && has_text)) return std::nullopt;
        auto b = from_base64(body);
        auto k = from_hex(signer);
        auto g = from_hex(sig);
        if (!b || !k || !g) return std::nullopt;
        auto stored = stored_from(*b, *k, *g);
        if (!stored) return std::nullopt;
        submission out{std::move(*stored), std::nullopt};
        if (has_personal) {
            auto salt_bytes = from_hex(salt);
            if (!salt_bytes || salt_bytes->size() != personal_salt_bytes) return std::nullopt;
            personal_text t;
            std::memcpy(t.salt.b.data(), salt_bytes->data(), personal_salt_bytes);
            t.text = std::move(text);
            out.personal = std::move(t);
        }
        return out;
    }

private:
    std::string_view s_;
    std::size_t at_ = 0;

    static bool once(bool& seen) { return !std::exchange(seen, true); }

    void skip_space() {
        while (at_ < s_.size() &&
               (s_[at_] == ' ' || s_[at_] == '\t' || s_[at_] == '\n' || s_[at_] == '\r'))
            ++at_;
    }
    bool take(char c) {
        skip_space();
        if (at_ == s_.size() || s_[at_] != c) return false;
        ++at_;
        return true;
    }

    // An object: `member(name)` reads each member's value (false: not this form).
    template <typename Member>
    bool members(Member member) {
        if (!take('{')) return false;
        std::string_view name;
        do {
            if (!(skip_space(), plain_string(name)) || !take(':')) return false;
            skip_space();
            if (!member(name)) return false;
        } while (take(','));
        return take('}');
    }

    // A string up to its next quote, as it stands (names, hex, base64). An escape or a byte
    // that is not printable ASCII is kept as it is: no name is read with one, and hex and base64
    // do not decode with one (then the tree walk reads the text).
    bool plain_string(std::string_view& out) {
        if (at_ == s_.size() || s_[at_] != '"') return false;
        const std::size_t from = ++at_;
        const std::size_t end = s_.find('"', from);
        if (end == std::string_view::npos) return false;
        out = s_.substr(from, end - from);
        at_ = end + 1;
        return true;
    }

    // A string of any text: escapes decoded, UTF-8 checked; no NUL, raw or escaped.
    bool text_string(std::string& out) {
        if (at_ == s_.size() || s_[at_] != '"') return false;
        ++at_;
        out.clear();
        while (at_ < s_.size()) {
            // A run of printable ASCII at once.
            std::size_t run = at_;
            while (run < s_.size() && s_[run] >= 0x20 && s_[run] != '"' && s_[run] != '\\') ++run;
            out.append(s_.substr(at_, run - at_));
            at_ = run;
            if (at_ == s_.size()) break;
            const auto c = static_cast<unsigned char>(s_[at_]);
            if (c == '"') {
                ++at_;
                return true;
            }
            if (c < 0x20) return false;
            if (c == '\\') {
                if (!escape(out)) return false;
                continue;
            }
            const std::size_t n = utf8_length(at_);
            if (n == 0) return false;
            out.append(s_.substr(at_, n));
            at_ += n;
        }
        return false;
    }

    bool escape(std::string& out) {
        if (++at_ == s_.size()) return false;
        const char e = s_[at_++];
        switch (e) {
            case '"':
            case '\\':
            case '/':
                out += e;
                return true;
            case 'b':
                out += '\b';
                return true;
            case 'f':
                out += '\f';
                return true;
            case 'n':
                out += '\n';
                return true;
            case 'r':
                out += '\r';
                return true;
            case 't':
                out += '\t';
                return true;
            case 'u':
                break;
            default:
                return false;
        }
        auto unit = hex4();
        if (!unit || *unit == 0 || (*unit >= 0xdc00 && *unit <= 0xdfff)) return false;
        std::uint32_t cp = *unit;
        if (cp >= 0xd800 && cp <= 0xdbff) {  // a high surrogate: its low one must follow
            if (at_ + 2 > s_.size() || s_[at_] != '\\' || s_[at_ + 1] != 'u') return false;
            at_ += 2;
            auto low = hex4();
            if (!low || *low < 0xdc00 || *low > 0xdfff) return false;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (*low - 0xdc00);
        }
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xc0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xe0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            out += static_cast<char>(0xf0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        }
        return true;
    }

    std::optional<std::uint32_t> hex4() {
        if (at_ + 4 > s_.size()) return std::nullopt;
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = s_[at_++];
            const int d = h >= '0' && h <= '9'   ? h - '0'
                          : h >= 'a' && h <= 'f' ? h - 'a' + 10
                          : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                 : -1;
            if (d < 0) return std::nullopt;
            v = v * 16 + static_cast<std::uint32_t>(d);
        }
        return v;
    }

    // The length of the well-formed UTF-8 sequence at `i` (RFC 3629: no overlong forms, no
    // surrogates, nothing past U+10FFFF), or 0.
    std::size_t utf8_length(std::size_t i) const {
        auto at = [&](std::size_t k) {
            return i + k < s_.size() ? static_cast<unsigned char>(s_[i + k]) : 0u;
        };
        auto tail = [](unsigned b, unsigned lo = 0x80, unsigned hi = 0xbf) {
            return b >= lo && b <= hi;
        };
        const unsigned c = at(0);
        if (c < 0x80) return 1;
        if (c >= 0xc2 && c <= 0xdf) return tail(at(1)) ? 2 : 0;
        if (c >= 0xe0 && c <= 0xef) {
            const unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
            return tail(at(1), lo, hi) && tail(at(2)) ? 3 : 0;
        }
        if (c >= 0xf0 && c <= 0xf4) {
            const unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
            return tail(at(1), lo, hi) && tail(at(2)) && tail(at(3)) ? 4 : 0;
        }
        return 0;
    }
};

}  // namespace

result<stored_envelope> envelope_from_json(std::string_view json) {
    capnp::MallocMessageBuilder message;
    auto decoded = decode_strict<schema::Envelope>(json, message);
    if (!decoded) return decoded.err();
    return stored_from(message.getRoot<schema::Envelope>().asReader());
}

result<submission> submission_from_json_tree(std::string_view json) {
    capnp::MallocMessageBuilder message;
    auto decoded = decode_strict<schema::Submission>(json, message);
    if (!decoded) return decoded.err();
    auto root = message.getRoot<schema::Submission>().asReader();
    auto stored = stored_from(root);
    if (!stored) return stored.err();
    submission out{std::move(*stored), std::nullopt};
    if (root.hasPersonal()) {
        auto p = root.getPersonal();
        if (p.getSalt().size() != personal_salt_bytes)
            return make_error(errc::personal_data_mismatch,
                              "personal.salt must be " + std::to_string(personal_salt_bytes) +
                                  " bytes (" + std::to_string(2 * personal_salt_bytes) +
                                  " hex digits); got " + std::to_string(p.getSalt().size()) +
                                  " bytes");
        personal_text t;
        std::memcpy(t.salt.b.data(), p.getSalt().begin(), personal_salt_bytes);
        t.text.assign(p.getText().cStr(), p.getText().size());
        out.personal = std::move(t);
    }
    return out;
}

std::optional<submission> plain_submission_from_json(std::string_view json) {
    return plain_submission_reader(json).read();
}

result<submission> submission_from_json(std::string_view json) {
    if (auto plain = plain_submission_from_json(json)) return std::move(*plain);
    return submission_from_json_tree(json);
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

result<json_value> parse_json_value(std::string_view text) {
    auto tree = parse_strict(text);
    if (!tree) return tree.err();
    return to_json_value(*tree);
}

}  // namespace uurwerk
