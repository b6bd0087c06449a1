// tests/support/scoped_env.hpp: environment variables set for one test and unset after,
// for the tests of snow::read_environment() and what reads it.
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

namespace snow::testing {

struct ScopedEnv {
  std::vector<std::string> names;
  void set(const char* name, const char* value) {
    ::setenv(name, value, 1);
    names.push_back(name);
  }
  ~ScopedEnv() {
    for (const std::string& n : names) ::unsetenv(n.c_str());
  }
};

}  // namespace snow::testing
