// A 3-frame 3D render with the tiny Kandinsky model and the tiny depth model (both fixtures):
// the depth source loads, predicts on every frame (cadence 2: a tween too), saves its maps, and
// changes the frames against the same render with flat depth.
#include "tests/support/fixture_set.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <iostream>

using k3::test::k3anim_path;
using k3::test::run;
using k3::test::shell_quote;
using k3::test::TempDir;

namespace {
std::string numbered(const std::string& run_dir, const char* folder, int index) {
  char name[48];
  std::snprintf(name, sizeof name, "/%s/%06d.png", folder, index);
  return run_dir + name;
}
}  // namespace

TEST_CASE("3D render with the tiny model and the tiny depth model", "[unit][cli][render][model]") {
  K3_REQUIRE_FIXTURES();
  if (!k3::test::fixtures_present("depth-tiny")) {
    k3::test::missing_fixtures("depth-tiny fixtures not found under " + k3::test::fixtures_root());
    return;
  }
  TempDir dir("render-depth-model");
  const std::string depth_model = k3::test::fixture::first_depth_model("depth_anything");
  const std::string side = std::to_string(k3::test::fixture::model_geometry().image_side);  // the tiny model's square
  const std::string base = shell_quote(k3anim_path()) + " --quiet render " +
                           shell_quote(k3::test::source_dir() + "/examples/zoom-in.json") + " --model " +
                           shell_quote(k3::test::fixtures_root() + "/k3-tiny") +
                           " --set animation_mode=3D --set width=" + side + " --set height=" + side + " --set frames=3"
                           " --set generation.steps=2 --set generation.denoise=0.6 --set generation.cadence=2"
                           " --set 'motion.translation_x=0:(8)' --set output.write_video=false";
  auto with_depth = run(base + " --set motion.depth_source=depth-anything-v2 --set motion.depth_path=" +
                        shell_quote(depth_model) + " --set motion.save_depth_maps=true --run-dir " +
                        shell_quote(dir / "depth") + " 2>&1");
  INFO(with_depth.output);
  REQUIRE(with_depth.exit_code == 0);
  auto flat = run(base + " --run-dir " + shell_quote(dir / "flat") + " 2>&1");
  INFO(flat.output);
  REQUIRE(flat.exit_code == 0);
  int differing = 0;
  for (int i = 0; i < 3; ++i) {
    const std::string frame = k3::test::read_file(numbered(dir / "depth", "frames", i));
    REQUIRE_FALSE(frame.empty());
    REQUIRE_FALSE(k3::test::read_file(numbered(dir / "depth", "depth", i)).empty());
    differing += frame != k3::test::read_file(numbered(dir / "flat", "frames", i));
  }
  std::cout << "tiny 3D render with tiny depth: " << differing << " of 3 frames differ from flat depth\n";
  CHECK(differing == 2);  // frame 0 is text-to-image, not warped
}

TEST_CASE("k3anim depth writes the pipeline's picture, a bad folder is one line", "[unit][cli]") {
  if (!k3::test::fixtures_present("depth-tiny")) {
    k3::test::missing_fixtures("depth-tiny fixtures not found under " + k3::test::fixtures_root());
    return;
  }
  TempDir dir("cli-depth");
  const auto pictures = k3::test::fixture::depth_pictures();
  const auto models = k3::test::fixture::depth_models();
  REQUIRE_FALSE(pictures.empty());
  REQUIRE_FALSE(models.empty());
  const std::string picture = pictures.front();
  for (const auto& model : models) {
    INFO(model.name);
    const std::string out = dir / (model.name + ".png");
    auto result = run(shell_quote(k3anim_path()) + " depth --model " + shell_quote(model.dir) + " " +
                      shell_quote(picture) + " -o " + shell_quote(out) + " 2>&1");
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK_FALSE(k3::test::read_file(out).empty());
  }
  auto bad = run(shell_quote(k3anim_path()) + " depth --model " + shell_quote(dir.path) + " " + shell_quote(picture) +
                 " -o " + shell_quote(dir / "x.png") + " 2>&1");
  CHECK(bad.exit_code != 0);
  CHECK(bad.output.find("config.json") != std::string::npos);
}

TEST_CASE("A depth model's unread config keys are said by the render, not dropped", "[unit][cli][render]") {
  if (!k3::test::fixtures_present("depth-tiny")) {
    k3::test::missing_fixtures("depth-tiny fixtures not found under " + k3::test::fixtures_root());
    return;
  }
  TempDir dir("render-depth-warning");
  const std::string model = dir / "depth-model";
  const std::string source = k3::test::fixture::first_depth_model("depth_anything");
  REQUIRE(run("cp -r " + shell_quote(source) + " " + shell_quote(model)).exit_code == 0);
  // A key a newer transformers might write: the model still loads, and the render says so.
  REQUIRE(run("sed -i 's/^{/{\"shiny_future_key\": 3,/' " + shell_quote(model + "/config.json")).exit_code == 0);
  auto result = run(shell_quote(k3anim_path()) + " --quiet render " + shell_quote(k3::test::source_dir() + "/examples/zoom-in.json") +
                    " --preview --set animation_mode=3D --set width=64 --set height=64 --set frames=2"
                    " --set motion.depth_source=depth-anything-v2 --set motion.depth_path=" + shell_quote(model) +
                    " --set output.write_video=false --run-dir " + shell_quote(dir / "run") + " 2>&1");
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.output, Catch::Contains("warning: depth model: ") && Catch::Contains("shiny_future_key: unknown key, ignored"));
}
