// Test helper: an environment to hand to code that reads variables through a getenv-like
// function (aws::GetEnv, LoadConfig's lookup), made of exactly `vars` and nothing of the process's.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace stockpipe::testing {

inline std::function<const char*(const char*)> EnvFrom(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

}  // namespace stockpipe::testing
