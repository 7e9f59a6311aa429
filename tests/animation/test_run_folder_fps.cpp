// The frame rate `k3anim encode` takes from a run folder's settings.json.
#include "animation/render/run_folder.h"
#include "base/errors.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

using k3::anim::run_folder_fps;

TEST_CASE("run_folder_fps reads settings.json's fps as a number or a rational string", "[unit]") {
  k3::test::TempDir run("video-fps");
  CHECK(run_folder_fps(run.path).num == 12);
  k3::test::write_file(run / "settings.json", R"({"fps": "24000/1001"})");
  CHECK(run_folder_fps(run.path).den == 1001);
  k3::test::write_file(run / "settings.json", R"({"fps": 29.97})");
  CHECK(run_folder_fps(run.path).num == 30000);
  k3::test::write_file(run / "settings.json", R"({"fps": true})");
  CHECK_THROWS_AS(run_folder_fps(run.path), k3::ConfigError);
  k3::test::write_file(run / "settings.json", R"({"fps": )");
  CHECK_THROWS_AS(run_folder_fps(run.path), k3::FileError);
}
