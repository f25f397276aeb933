#include "api/args/cli_args.h"

#include <algorithm>

#include <charconv>

namespace uurwerk::cli {

std::optional<std::string> parsed_args::get(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

result<std::uint64_t> parse_u64(const std::string& text, const std::string& what) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || p != text.data() + text.size())
        return make_error(errc::bad_argument,
                          what + " must be a whole number >= 0, not '" + text + "'");
    return v;
}

result<std::int64_t> parse_i64(const std::string& text, const std::string& what) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || p != text.data() + text.size())
        return make_error(errc::bad_argument, what + " must be a whole number, not '" + text + "'");
    return v;
}

result<std::uint64_t> parsed_args::get_u64(const std::string& name) const {
    auto v = get(name);
    if (!v) return make_error(errc::missing_argument, "--" + name + " is required");
    return parse_u64(*v, "--" + name);
}

result<std::int64_t> parsed_args::get_i64(const std::string& name) const {
    auto v = get(name);
    if (!v) return make_error(errc::missing_argument, "--" + name + " is required");
    return parse_i64(*v, "--" + name);
}

result<parsed_args> parse(const command_spec& spec, const std::vector<std::string>& args) {
    parsed_args out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        if (a.rfind("--", 0) != 0) {
            if (out.positionals_.size() >= spec.positionals.size())
                return make_error(
                    errc::bad_argument,
                    "unexpected argument '" + a + "'; see 'uurwerk " + spec.name + " --help'");
            out.positionals_.push_back(a);
            continue;
        }
        std::string name = a.substr(2);
        std::optional<std::string> inline_value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        const option_spec* o = nullptr;
        for (const auto& s : spec.options)
            if (s.name == name) o = &s;
        if (o == nullptr)
            return make_error(errc::bad_argument, "unknown option --" + name + " for '" +
                                                      spec.name + "'; see 'uurwerk " + spec.name +
                                                      " --help'");
        if (o->value_name.empty()) {
            if (inline_value)
                return make_error(errc::bad_argument, "--" + name + " takes no value");
            out.values_[name] = "";
            continue;
        }
        if (inline_value) {
            out.values_[name] = *inline_value;
        } else {
            if (i + 1 >= args.size())
                return make_error(errc::bad_argument,
                                  "--" + name + " needs a value (" + o->value_name + ")");
            out.values_[name] = args[++i];
        }
    }
    for (const auto& s : spec.options)
        if (s.required && !out.values_.contains(s.name))
            return make_error(
                errc::missing_argument,
                "--" + s.name + " is required; see 'uurwerk " + spec.name + " --help'");
    // A positional named "[NAME]" is optional.
    const auto required = static_cast<std::size_t>(
        std::count_if(spec.positionals.begin(), spec.positionals.end(),
                      [](const std::string& p) { return p.empty() || p.front() != '['; }));
    if (out.positionals_.size() < required)
        return make_error(errc::missing_argument, spec.positionals[out.positionals_.size()] +
                                                      " is required; see 'uurwerk " + spec.name +
                                                      " --help'");
    return out;
}

std::string help_text(const command_spec& spec) {
    std::string out = "usage: uurwerk " + spec.name;
    for (const auto& p : spec.positionals) out += " " + p;
    out += " [options]\n\n" + spec.summary + "\n";
    if (!spec.options.empty()) out += "\noptions:\n";
    for (const auto& o : spec.options) {
        std::string left = "  --" + o.name + (o.value_name.empty() ? "" : " " + o.value_name);
        if (left.size() < 28)
            left.resize(28, ' ');
        else
            left += "  ";
        out += left + o.help + (o.required ? " (required)" : "") + "\n";
    }
    out += "  --help                    this text\n";
    return out;
}

}  // namespace uurwerk::cli
