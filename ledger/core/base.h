#pragma once
// The vocabulary every module shares: strong types for ids, offsets and amounts; the result
// type that carries expected failures as values; and the always-on assertion for bugs.
// Header-only, no state, safe from any thread.

#include <compare>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "ledger/core/errors.h"

namespace uurwerk {

// ---------------------------------------------------------------------------------------------
// Strong types. `named<std::uint64_t, struct offset_tag>` is an offset and nothing else: it does
// not mix with a member id or with minutes by accident.
template <typename T, typename Tag>
struct named {
    T value{};
    constexpr named() = default;
    constexpr explicit named(T v) : value(v) {}
    constexpr auto operator<=>(const named&) const = default;
};

template <typename T, typename Tag>
std::ostream& operator<<(std::ostream& os, const named<T, Tag>& n) {
    return os << n.value;
}

using offset = named<std::uint64_t, struct offset_tag>;              // position in a log, from 0
using community_id = named<std::uint64_t, struct community_id_tag>;  // chosen at founding, > 0
using member_id = named<std::uint64_t, struct member_id_tag>;        // chosen at admission, > 0
using sequence = named<std::uint64_t, struct sequence_tag>;          // per signing key, from 1
using time_ms = named<std::int64_t, struct time_ms_tag>;             // ms since the Unix epoch

// Minutes are the unit of account; they add and subtract, and nothing else mixes with them.
struct minutes : named<std::int64_t, struct minutes_tag> {
    using named::named;
    constexpr minutes operator+(minutes o) const { return minutes{value + o.value}; }
    constexpr minutes operator-(minutes o) const { return minutes{value - o.value}; }
    constexpr minutes operator-() const { return minutes{-value}; }
    constexpr minutes& operator+=(minutes o) {
        value += o.value;
        return *this;
    }
    constexpr minutes& operator-=(minutes o) {
        value -= o.value;
        return *this;
    }
};

// Names the calling thread (shown by top -H, perf and gdb); at most 15 characters.
void name_this_thread(const char* name);

// The community's own account (the "fund"): member id 0 is never admitted.
inline constexpr member_id community_fund{0};

// ---------------------------------------------------------------------------------------------
// Expected failures. An error has a code (ledger/core/errors.h: one of a fixed vocabulary, shown
// in JSON and in the CLI by its stable snake_case name) and a human sentence that says what went
// wrong and what to do.
struct error {
    errc code = errc::internal_error;
    std::string message;
};

// A value or an error; [[nodiscard]] so that dropping one is a compile-time warning (an error in
// CI). To drop one on purpose, call `.ignore_error()`: it is greppable.
template <typename T>
class [[nodiscard]] result {
public:
    result(T v) : v_(std::in_place_index<0>, std::move(v)) {}
    result(error e) : v_(std::in_place_index<1>, std::move(e)) {}
    explicit operator bool() const { return v_.index() == 0; }
    bool ok() const { return v_.index() == 0; }
    T& value() & { return check(), std::get<0>(v_); }
    const T& value() const& { return check(), std::get<0>(v_); }
    T&& value() && { return check(), std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    const error& err() const {
        if (v_.index() != 1) fail("result::err() on a value");
        return std::get<1>(v_);
    }
    void ignore_error() const {}

private:
    void check() const {
        if (v_.index() != 0)
            fail(("result::value() on error " + std::string(name(std::get<1>(v_).code)) + ": " +
                  std::get<1>(v_).message)
                     .c_str());
    }
    [[noreturn]] static void fail(const char* what) {
        std::fprintf(stderr, "uurwerk: bug: %s\n", what);
        std::abort();
    }
    std::variant<T, error> v_;
};

struct ok_t {};
inline constexpr ok_t ok_value{};
template <>
class [[nodiscard]] result<void> {
public:
    result() = default;
    result(ok_t) {}
    result(error e) : e_(std::move(e)), failed_(true) {}
    explicit operator bool() const { return !failed_; }
    bool ok() const { return !failed_; }
    const error& err() const { return e_; }
    void ignore_error() const {}

private:
    error e_;
    bool failed_ = false;
};

inline error make_error(errc code, std::string message) {
    return error{code, std::move(message)};
}

// ---------------------------------------------------------------------------------------------
// Bugs: assertions that never switch off. They print the expression, where, and the values.
namespace detail {
inline void print_values(std::ostringstream&) {}
template <typename T, typename... Rest>
void print_values(std::ostringstream& os, const T& v, const Rest&... rest) {
    os << " [" << v << "]";
    print_values(os, rest...);
}
template <typename... Values>
[[noreturn]] void assertion_failed(const char* expr, const char* file, int line,
                                   const Values&... values) {
    std::ostringstream os;
    os << "uurwerk: assertion failed: " << expr << " at " << file << ":" << line;
    if constexpr (sizeof...(values) > 0) {
        os << " values:";
        print_values(os, values...);
    }
    std::fprintf(stderr, "%s\n", os.str().c_str());
    std::fflush(stderr);
    std::abort();
}
}  // namespace detail

#define UURWERK_ASSERT(cond, ...)                                                     \
    do {                                                                              \
        if (!(cond)) [[unlikely]]                                                     \
            ::uurwerk::detail::assertion_failed(#cond, __FILE__,                      \
                                                __LINE__ __VA_OPT__(, ) __VA_ARGS__); \
    } while (0)

}  // namespace uurwerk

template <typename T, typename Tag>
struct std::hash<uurwerk::named<T, Tag>> {
    std::size_t operator()(const uurwerk::named<T, Tag>& n) const noexcept {
        return std::hash<T>{}(n.value);
    }
};
template <>
struct std::hash<uurwerk::minutes> {
    std::size_t operator()(const uurwerk::minutes& n) const noexcept {
        return std::hash<std::int64_t>{}(n.value);
    }
};
