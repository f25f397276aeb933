#pragma once
// Test support: whether this build runs under ThreadSanitizer (ops/sanitize.sh tsan).
//
// Debian's librdkafka starts its threads with C11 thrd_create (glibc 2.34's), which glibc runs
// without going through the pthread_create that TSan intercepts: TSan does not know those threads,
// and the first allocation in one of them crashes TSan's allocator (seen 2026-12-06: SIGSEGV in
// getaddrinfo on "rdk:broker-1"). So under TSan no test starts a librdkafka client; Kafka's own
// tests are not in the TSan run at all (ops/sanitize.sh).

namespace uurwerk::testing {

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool under_thread_sanitizer = true;
#else
inline constexpr bool under_thread_sanitizer = false;
#endif
#elif defined(__SANITIZE_THREAD__)
inline constexpr bool under_thread_sanitizer = true;
#else
inline constexpr bool under_thread_sanitizer = false;
#endif

}  // namespace uurwerk::testing
