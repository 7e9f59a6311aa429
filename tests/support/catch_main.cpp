#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

int main(int argc, char* argv[]) {
  // Per-machine caches the code under test writes (the convolution choice file) go to the build
  // tree, not to the user's ~/.cache; child processes (the CLI tests) inherit it.
  const std::string cache = std::string(K3_BINARY_DIR) + "/test-cache";
  setenv("XDG_CACHE_HOME", cache.c_str(), 1);
  return Catch::Session().run(argc, argv);
}
