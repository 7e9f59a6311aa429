#pragma once
// The depth golden fixture sets (depth-tiny/ + depth-tiny-golden/), discovered from meta.json:
// every model and picture it lists, nothing of one set written here.
#include "base/image.h"
#include "tests/support/test_support.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace k3::test::depth {

inline std::string golden_dir() { return fixtures_root() + "/depth-tiny-golden"; }
inline std::string models_dir() { return fixtures_root() + "/depth-tiny"; }

struct GoldenPicture {
  std::string name;  // tensor prefix, e.g. "img_a"
  std::string file;  // PNG path
};

struct GoldenModel {
  std::string name;     // folder under depth-tiny/ and golden file stem
  std::string dir;      // model folder
  std::string golden;   // reference tensors
  std::vector<GoldenPicture> pictures;
};

// The cases of meta.json; empty when the fixtures are absent.
std::vector<GoldenModel> golden_models();
// An 8-bit RGB picture as PIL's convert('RGB') gives it (read through OpenCV).
ImageRGB8 read_rgb_png(const std::string& path);

}  // namespace k3::test::depth

// Skips the current test when the depth fixtures are missing.
#define K3_REQUIRE_DEPTH_FIXTURES()                                                                         \
  do {                                                                                                      \
    if (!k3::test::fixtures_present("depth-tiny-golden") || !k3::test::fixtures_present("depth-tiny")) {   \
      k3::test::missing_fixtures("depth fixtures not found under " + k3::test::fixtures_root() +           \
                     " (set K3_FIXTURES to the folder holding depth-tiny/ and depth-tiny-golden/)");         \
      return;                                                                                               \
    }                                                                                                       \
  } while (0)
