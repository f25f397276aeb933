#include "api/json_read.h"

#include <capnp/compat/json.h>
#include <capnp/message.h>

#include <charconv>
#include <cmath>

namespace uurwerk {
namespace {

json_value convert(capnp::JsonValue::Reader r, int depth) {
    UURWERK_ASSERT(depth < 64, depth);  // the parser's own nesting limit is lower
    json_value out;
    switch (r.which()) {
        case capnp::JsonValue::NULL_: out.v = nullptr; break;
        case capnp::JsonValue::BOOLEAN: out.v = r.getBoolean(); break;
        case capnp::JsonValue::NUMBER: out.v = r.getNumber(); break;
        case capnp::JsonValue::STRING: out.v = std::string(r.getString().cStr()); break;
        case capnp::JsonValue::ARRAY: {
            auto a = std::make_shared<json_value::array>();
            for (auto e : r.getArray()) a->push_back(convert(e, depth + 1));
            out.v = a;
            break;
        }
        case capnp::JsonValue::OBJECT: {
            auto o = std::make_shared<json_value::object>();
            for (auto f : r.getObject())
                (*o)[std::string(f.getName().cStr())] = convert(f.getValue(), depth + 1);
            out.v = o;
            break;
        }
        case capnp::JsonValue::CALL: out.v = nullptr; break;
    }
    return out;
}

}  // namespace

const json_value* json_value::at(const std::string& key) const {
    auto* o = std::get_if<std::shared_ptr<object>>(&v);
    if (o == nullptr) return nullptr;
    auto it = (*o)->find(key);
    return it == (*o)->end() ? nullptr : &it->second;
}

const json_value::array* json_value::as_array() const {
    auto* a = std::get_if<std::shared_ptr<array>>(&v);
    return a ? a->get() : nullptr;
}

std::optional<std::string> json_value::as_string() const {
    if (auto* s = std::get_if<std::string>(&v)) return *s;
    if (auto* d = std::get_if<double>(&v)) {
        if (std::floor(*d) == *d && std::fabs(*d) < 9.0e15)
            return std::to_string(static_cast<std::int64_t>(*d));
        return std::to_string(*d);
    }
    return std::nullopt;
}

std::optional<double> json_value::as_number() const {
    if (auto* d = std::get_if<double>(&v)) return *d;
    if (auto* s = std::get_if<std::string>(&v)) {
        double d = 0;
        auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), d);
        if (ec == std::errc() && p == s->data() + s->size()) return d;
    }
    return std::nullopt;
}

std::optional<bool> json_value::as_bool() const {
    if (auto* b = std::get_if<bool>(&v)) return *b;
    return std::nullopt;
}

result<json_doc> json_doc::parse(std::string_view text) {
    json_doc doc;
    std::optional<error> failure;
    auto ex = kj::runCatchingExceptions([&]() {
        capnp::MallocMessageBuilder message;
        auto root = message.initRoot<capnp::JsonValue>();
        capnp::JsonCodec codec;
        codec.setMaxNestingDepth(32);
        codec.decodeRaw(kj::ArrayPtr<const char>(text.data(), text.size()), root);
        doc.root_ = convert(root.asReader(), 0);
    });
    KJ_IF_MAYBE (e, ex) {
        return make_error("bad_json", std::string("not valid JSON: ") + e->getDescription().cStr());
    }
    return doc;
}

std::optional<std::string> json_doc::string_at(const std::string& key) const {
    auto* v = root_.at(key);
    return v ? v->as_string() : std::nullopt;
}

std::optional<double> json_doc::number_at(const std::string& key) const {
    auto* v = root_.at(key);
    return v ? v->as_number() : std::nullopt;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
    return v;
}

}  // namespace uurwerk
