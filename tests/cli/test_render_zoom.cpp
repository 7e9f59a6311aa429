// `k3anim render` of the zoom-out example in preview mode: the video holds keyframes x
// frames_per_keyframe + 1 frames, and --frames beyond that is refused before anything is
// written (fewer frames cut the clip). (Resume of zoom runs: tests/animation/test_zoom.cpp.)
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;
using k3::test::k3anim_path;
using k3::test::run;
using k3::test::shell_quote;
using k3::test::TempDir;

namespace {

const std::string kSmall = " --set width=64 --set height=64 --set zoom.keyframes=2 --set zoom.frames_per_keyframe=6";

std::string render_zoom(const std::string& extra) {
  return shell_quote(k3anim_path()) + " --quiet render " + shell_quote(k3::test::source_dir() + "/examples/zoom-out.json") +
         " --preview" + kSmall + " " + extra;
}

long video_frames(const std::string& path) {
  auto result = run("ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames "
                    "-of default=noprint_wrappers=1:nokey=1 " + shell_quote(path));
  std::istringstream in(result.output);
  long frames = -1;
  in >> frames;
  return frames;
}

}  // namespace

TEST_CASE("render zoom-out.json in preview writes a video of keyframes x frames_per_keyframe + 1 frames",
          "[unit][cli][render][zoom]") {
  TempDir dir("cli-zoom");
  auto result = run(render_zoom("--run-dir " + shell_quote(dir / "run") + " -o " + shell_quote(dir / "zoom.mp4")));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK(fs::exists(dir / "run/frames/000012.png"));
  CHECK_FALSE(fs::exists(dir / "run/frames/000013.png"));
  if (k3::test::command_exists("ffprobe")) CHECK(video_frames(dir / "zoom.mp4") == 13);

  auto contradicting = run(render_zoom("--frames 14 --run-dir " + shell_quote(dir / "bad")));
  INFO(contradicting.output);
  CHECK(contradicting.exit_code != 0);
  CHECK(contradicting.output.find("zoom.keyframes") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "bad"));
}
