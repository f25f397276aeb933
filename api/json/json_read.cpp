#include "api/json/json_read.h"

#include "api/json/json.h"

#include <charconv>
#include <cmath>

namespace uurwerk {
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
    auto v = parse_json_value(text);
    if (!v) return v.err();
    json_doc doc;
    doc.root_ = std::move(*v);
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
