// `k3anim render --model` on the tiny fixture model: the full loop end to end, every frame
// made by the model (differs from the preview), resumable.
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
std::string frame_file(const std::string& run_dir, int index) {
  char name[32];
  std::snprintf(name, sizeof name, "/frames/%06d.png", index);
  return run_dir + name;
}

// The tiny model's square (64 pixels in the public set), 8 frames, 2 steps.
std::string small() {
  const auto side = std::to_string(k3::test::fixture::model_geometry().image_side);
  return " --set width=" + side + " --set height=" + side +
         " --set frames=8 --set generation.steps=2 --set generation.denoise=0.6";
}
}  // namespace

TEST_CASE("render with the tiny model runs the whole loop and every frame comes from the model", "[unit][cli][render][model][slow]") {
  K3_REQUIRE_FIXTURES();
  TempDir dir("render-model");
  std::string preset = shell_quote(k3::test::source_dir() + "/examples/zoom-in.json");
  std::string model = shell_quote(k3::test::fixtures_root() + "/k3-tiny");
  auto with_model = run(shell_quote(k3anim_path()) + " --quiet render " + preset + " --model " + model + small() +
                        " --run-dir " + shell_quote(dir / "model") + " -o " + shell_quote(dir / "model.mp4"));
  INFO(with_model.output);
  REQUIRE(with_model.exit_code == 0);
  auto preview = run(shell_quote(k3anim_path()) + " --quiet render " + preset + " --preview" + small() + " --run-dir " +
                     shell_quote(dir / "preview"));
  REQUIRE(preview.exit_code == 0);
  int differing = 0;
  for (int i = 0; i < 8; ++i) {
    std::string a = k3::test::read_file(frame_file(dir / "model", i));
    REQUIRE_FALSE(a.empty());
    differing += a != k3::test::read_file(frame_file(dir / "preview", i));
  }
  std::cout << "tiny-model render: " << differing << " of 8 frames differ from the preview\n";
  CHECK(differing == 8);

  // The same preset and seed give the same frames (CPU determinism).
  auto again = run(shell_quote(k3anim_path()) + " --quiet render " + preset + " --model " + model + small() + " --run-dir " +
                   shell_quote(dir / "again") + " --set output.write_video=false");
  REQUIRE(again.exit_code == 0);
  for (int i = 0; i < 8; ++i)
    CHECK(k3::test::read_file(frame_file(dir / "again", i)) == k3::test::read_file(frame_file(dir / "model", i)));
}
