#pragma once
// Helpers shared by every test suite. No torch, no OpenCV here.
#include <string>
#include <vector>

namespace k3::test {

// Fixture root: $K3_FIXTURES, else ../shared/fixtures beside the source tree.
std::string fixtures_root();
// True when fixtures_root()/<sub> exists.
bool fixtures_present(const std::string& sub = "k3-tiny");
// A test whose fixtures are absent: skipped, or failed where K3_FIXTURES_REQUIRED=1 (CI).
void missing_fixtures(const std::string& why);
// Prints a loud SKIPPED line on stderr. Under CTest (K3_UNDER_CTEST=1) the process exits 77,
// which CTest reports as "Skipped"; run by hand, the caller returns from the test.
void skip(const std::string& why);

std::string source_dir();
std::string binary_dir();
// The built k3anim executable.
std::string k3anim_path();

// A fresh empty directory under the build tree's test area, removed by the destructor.
struct TempDir {
  explicit TempDir(const std::string& tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path;
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
  long long peak_rss_bytes = 0;  // run_measured only: the largest resident set of the command's processes
};
// Runs a shell command line and captures its output.
CommandResult run(const std::string& command_line);
// As run(), and measures the peak resident memory (the kernel's ru_maxrss of the children).
CommandResult run_measured(const std::string& command_line);
std::string shell_quote(const std::string& s);
bool command_exists(const std::string& name);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);

}  // namespace k3::test

// Skips the current test (see k3::test::missing_fixtures) when the fixtures are missing.
#define K3_REQUIRE_FIXTURES()                                                                  \
  do {                                                                                         \
    if (!k3::test::fixtures_present()) {                                                       \
      k3::test::missing_fixtures("golden fixtures not found at " + k3::test::fixtures_root() + \
                     " (set K3_FIXTURES to the folder holding k3-tiny/ and k3-tiny-golden/)"); \
      return;                                                                                  \
    }                                                                                          \
  } while (0)
