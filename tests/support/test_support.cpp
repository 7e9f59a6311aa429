#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace k3::test {

std::string fixtures_root() {
  if (const char* env = std::getenv("K3_FIXTURES"); env && *env) return env;
  return K3_DEFAULT_FIXTURES;
}

bool fixtures_present(const std::string& sub) { return fs::is_directory(fs::path(fixtures_root()) / sub); }

void missing_fixtures(const std::string& why) {
  // CI sets K3_FIXTURES_REQUIRED=1 (.ci/run): there a golden test without its data must fail,
  // never pass as skipped.
  if (const char* required = std::getenv("K3_FIXTURES_REQUIRED"); required && std::string(required) == "1")
    FAIL(why << " (K3_FIXTURES_REQUIRED=1: missing fixtures are a failure)");
  skip(why);
}

void skip(const std::string& why) {
  std::cerr << "\n*** SKIPPED: " << why << " ***\n" << std::flush;
  if (const char* ctest = std::getenv("K3_UNDER_CTEST"); ctest && std::string(ctest) == "1") std::_Exit(77);
  WARN("SKIPPED: " << why);
}

std::string source_dir() { return K3_SOURCE_DIR; }
std::string binary_dir() { return K3_BINARY_DIR; }
std::string k3anim_path() { return K3ANIM_PATH; }

TempDir::TempDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  fs::path base = fs::path(K3_BINARY_DIR) / "test-tmp";
  fs::create_directories(base);
  path = (base / (tag + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++))).string();
  fs::remove_all(path);
  fs::create_directories(path);
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!std::getenv("K3_KEEP_TEST_FILES")) fs::remove_all(path, ec);
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

CommandResult run(const std::string& command_line) {
  CommandResult result;
  FILE* pipe = popen((command_line + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer;
  std::size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

CommandResult run_measured(const std::string& command_line) {
  const std::string log = binary_dir() + "/run_measured." + std::to_string(::getpid()) + ".log";
  CommandResult result;
  const pid_t child = ::fork();
  if (child == 0) {
    const std::string line = command_line + " >" + shell_quote(log) + " 2>&1";
    ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  if (child < 0) return result;
  int status = 0;
  struct rusage usage {};
  ::wait4(child, &status, 0, &usage);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.peak_rss_bytes = static_cast<long long>(usage.ru_maxrss) * 1024;  // the shell's largest child (kB)
  result.output = read_file(log);
  std::remove(log.c_str());
  return result;
}

bool command_exists(const std::string& name) { return run("command -v " + shell_quote(name) + " >/dev/null").exit_code == 0; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

}  // namespace k3::test
