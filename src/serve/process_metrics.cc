#include "serve/process_metrics.h"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/version.h"
#include "serve/dashboard_metrics.h"

namespace stockpipe::serve {
namespace {

std::optional<std::string> Slurp(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool ParseU64(std::string_view text, std::uint64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::optional<std::size_t> CountOpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return std::nullopt;
  std::size_t n = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n > 0 ? n - 1 : 0;  // the directory's own descriptor, open while counting
}

void Family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  const std::size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // Fields from 3 (state) on, split by spaces.
  std::vector<std::string_view> fields;
  std::string_view rest = text.substr(close + 1);
  while (!rest.empty()) {
    const std::size_t start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const std::size_t end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  // Field N of proc(5) is fields[N - 3].
  const auto field = [&](std::size_t n, std::uint64_t& out) {
    return n - 3 < fields.size() && ParseU64(fields[n - 3], out);
  };
  ProcStat s;
  if (!field(14, s.utime_ticks) || !field(15, s.stime_ticks) || !field(22, s.start_ticks) ||
      !field(23, s.vsize_bytes) || !field(24, s.rss_pages)) {
    return std::nullopt;
  }
  return s;
}

std::optional<std::uint64_t> ParseBootTime(std::string_view proc_stat) {
  std::size_t at = 0;
  while (at < proc_stat.size()) {
    std::size_t end = proc_stat.find('\n', at);
    if (end == std::string_view::npos) end = proc_stat.size();
    std::string_view line = proc_stat.substr(at, end - at);
    if (line.starts_with("btime ")) {
      std::uint64_t value = 0;
      if (ParseU64(line.substr(6), value)) return value;
      return std::nullopt;
    }
    at = end + 1;
  }
  return std::nullopt;
}

std::string BuildInfoText() {
  std::string out;
  Family(out, "stockpipe_build_info", "gauge",
         "Always 1; the version and the git commit of the running binary as labels.");
  out += fmt::format("stockpipe_build_info{{version=\"{}\",commit=\"{}\"}} 1\n",
                     EscapeLabelValue(Version()), EscapeLabelValue(GitCommit()));
  return out;
}

std::string ProcessMetricsText() {
  std::string out;
  const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  const auto stat_text = Slurp("/proc/self/stat");
  const auto stat = stat_text ? ParseProcStat(*stat_text) : std::nullopt;
  if (stat && ticks_per_second > 0) {
    const double tps = static_cast<double>(ticks_per_second);
    Family(out, "process_cpu_seconds_total", "counter",
           "Total user and system CPU time spent in seconds.");
    out += fmt::format("process_cpu_seconds_total {}\n",
                       static_cast<double>(stat->utime_ticks + stat->stime_ticks) / tps);
    Family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
    out += fmt::format("process_virtual_memory_bytes {}\n", stat->vsize_bytes);
    if (page_size > 0) {
      Family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
      out += fmt::format("process_resident_memory_bytes {}\n",
                         stat->rss_pages * static_cast<std::uint64_t>(page_size));
    }
    const auto boot_text = Slurp("/proc/stat");
    if (const auto boot = boot_text ? ParseBootTime(*boot_text) : std::nullopt) {
      Family(out, "process_start_time_seconds", "gauge",
             "Start time of the process since unix epoch in seconds.");
      out += fmt::format("process_start_time_seconds {}\n",
                         static_cast<double>(*boot) + static_cast<double>(stat->start_ticks) / tps);
    }
  }
  if (const auto fds = CountOpenFds()) {
    Family(out, "process_open_fds", "gauge", "Number of open file descriptors.");
    out += fmt::format("process_open_fds {}\n", *fds);
  }
  if (rlimit limit{}; ::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    Family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
    out += fmt::format("process_max_fds {}\n", static_cast<std::uint64_t>(limit.rlim_cur));
  }
  return out;
}

}  // namespace stockpipe::serve
