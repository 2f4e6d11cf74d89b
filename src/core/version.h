// What this build is: the version from CMake's `project()` and the git commit of the source tree
// it was built from ("unknown" outside a git checkout, e.g. from a release tarball). Shown by
// `stockpipe --version`, logged by stockpipe-lambda at start and exported on /metrics as
// stockpipe_build_info. A library of its own so a new commit recompiles one file.
#pragma once

#include <string>
#include <string_view>

namespace stockpipe {

std::string_view Version();    // "0.1.0"
std::string_view GitCommit();  // short hash, or "unknown"
// "stockpipe 0.1.0 (1a2b3c4)"
std::string VersionLine();

}  // namespace stockpipe
