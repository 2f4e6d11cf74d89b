// The /metrics families every Prometheus exporter is expected to have: build information
// (`stockpipe_build_info{version,commit} 1`) and the standard process metrics of the
// Prometheus client libraries (process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds),
// read from /proc for this process. Exposition format 0.0.4, HELP and TYPE on each family.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stockpipe::serve {

// The fields of /proc/<pid>/stat that the process metrics need (proc(5)), in their own units.
struct ProcStat {
  std::uint64_t utime_ticks = 0;  // field 14
  std::uint64_t stime_ticks = 0;  // field 15
  std::uint64_t start_ticks = 0;  // field 22: since boot
  std::uint64_t vsize_bytes = 0;  // field 23
  std::uint64_t rss_pages = 0;    // field 24
};
// Parses one /proc/<pid>/stat line; the command name (field 2) may hold spaces and parentheses.
std::optional<ProcStat> ParseProcStat(std::string_view text);
// `btime` of /proc/stat: boot time, Unix seconds.
std::optional<std::uint64_t> ParseBootTime(std::string_view proc_stat);

// The two families as exposition text; a process metric that cannot be read is left out.
std::string BuildInfoText();
std::string ProcessMetricsText();

}  // namespace stockpipe::serve
