#include "api/http/cpu_slice.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace uurwerk {
namespace {

// include/uapi/linux/sched/types.h (glibc 2.36 has no wrapper for sched_setattr).
struct sched_attr_v1 {
    std::uint32_t size;
    std::uint32_t sched_policy;
    std::uint64_t sched_flags;
    std::int32_t sched_nice;
    std::uint32_t sched_priority;
    std::uint64_t sched_runtime;  // SCHED_OTHER: the slice asked for, in ns (0: the default)
    std::uint64_t sched_deadline;
    std::uint64_t sched_period;
};
static_assert(sizeof(sched_attr_v1) == 48);

constexpr int sched_other = 0;

}  // namespace

bool use_cpu_slice(cpu_slice s) {
    thread_local cpu_slice current = cpu_slice::standard;
    if (s == current) return true;
    errno = 0;
    const int nice = ::getpriority(PRIO_PROCESS, 0);  // kept as it is
    if (nice == -1 && errno != 0) return false;
    sched_attr_v1 a{};
    a.size = sizeof a;
    a.sched_policy = sched_other;
    a.sched_nice = nice;
    a.sched_runtime = s == cpu_slice::short_0_1ms ? 100'000 : 0;
    if (::syscall(SYS_sched_setattr, 0, &a, 0) != 0) return false;
    current = s;
    return true;
}

}  // namespace uurwerk
