// Crash safety (a killed encode leaves no file at the final name, the frames stay) and
// `k3anim encode RUN_DIR` rebuilding the video from those frames.
#include "animation/video/frames_folder_encoder.h"
#include "animation/video/video_writer.h"
#include "base/errors.h"
#include "tests/video/video_test_util.h"

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace k3::video;
using k3::test::shell_quote;

namespace {
// A child process streams frames into RUN_DIR/out.mp4 (keeping PNGs in RUN_DIR/frames) and is
// killed with SIGKILL once it has written `frames_before_kill` frames.
void render_and_get_killed(const std::string& run_dir, int frames_before_kill) {
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(ready[0]);
    try {
      VideoOptions options;
      options.path = run_dir + "/out.mp4";
      options.frames_dir = run_dir + "/frames";
      options.fps = {15, 1};
      auto writer = open_video_writer(options);
      for (int i = 0; i < 2000; ++i) {
        writer->write(k3::test::smooth_frame(64, 48, i));
        if (i + 1 == frames_before_kill && write(ready[1], "k", 1) != 1) _exit(3);
        usleep(20000);
      }
      writer->finish();  // reaching this means the parent failed to kill us
      _exit(0);
    } catch (...) {
      _exit(2);
    }
  }
  close(ready[1]);
  char byte = 0;
  const ssize_t got = read(ready[0], &byte, 1);
  close(ready[0]);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(got == 1);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
}

long count_frames(const std::string& path) {
  const auto video = k3::test::stream_of_type(k3::test::ffprobe(path), "video");
  return video.is_object() ? std::stol(video.value("nb_read_frames", "0")) : -1;
}

std::string probe_rate(const std::string& path) {
  return k3::test::stream_of_type(k3::test::ffprobe(path), "video").value("r_frame_rate", "");
}
}  // namespace

TEST_CASE("An encode killed mid-way leaves no video at the final name and k3anim encode then builds it whole", "[unit]") {
  if (!k3::test::command_exists("ffprobe")) FAIL("ffprobe (package ffmpeg) is needed");
  k3::test::TempDir run("video-crash");
  k3::test::write_file(run / "settings.json", R"({"fps": 15, "max_frames": 2000})");
  render_and_get_killed(run.path, 12);

  CHECK_FALSE(fs::exists(run / "out.mp4"));
  const auto frames = list_frame_files(run / "frames");
  INFO("frames kept after the kill: " << frames.size());
  CHECK(frames.size() >= 12);

  const auto result = k3::test::run(shell_quote(k3::test::k3anim_path()) + " encode " + shell_quote(run.path) + " -o " +
                                    shell_quote(run / "out.mp4"));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK(count_frames(run / "out.mp4") == static_cast<long>(frames.size()));
  CHECK(probe_rate(run / "out.mp4") == "15/1");  // from settings.json
  CHECK_FALSE(fs::exists(run / ".out.mp4.partial"));
}

TEST_CASE("k3anim encode: --fps overrides settings.json, --interpolate 2 doubles rate and frames, errors exit non-zero",
          "[unit]") {
  if (!k3::test::command_exists("ffprobe")) FAIL("ffprobe (package ffmpeg) is needed");
  k3::test::TempDir run("video-encode-cli");
  {
    VideoOptions options;
    options.path = run / "frames";
    options.codec = "png";
    auto writer = open_video_writer(options);
    for (int i = 0; i < 10; ++i) writer->write(k3::test::smooth_frame(64, 48, i));
    writer->finish();
  }
  const std::string k3anim = shell_quote(k3::test::k3anim_path()) + " -q encode " + shell_quote(run.path);

  auto result = k3::test::run(k3anim + " -o " + shell_quote(run / "default.mp4"));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK(probe_rate(run / "default.mp4") == "12/1");  // no settings.json: 12 fps

  result = k3::test::run(k3anim + " -o " + shell_quote(run / "ntsc.mp4") + " --fps 23.976 --crf 20 --preset veryfast");
  REQUIRE(result.exit_code == 0);
  CHECK(probe_rate(run / "ntsc.mp4") == "24000/1001");

  result = k3::test::run(k3anim + " -o " + shell_quote(run / "smooth.mp4") + " --fps 12 --interpolate 2");
  REQUIRE(result.exit_code == 0);
  CHECK(probe_rate(run / "smooth.mp4") == "24/1");
  CHECK(count_frames(run / "smooth.mp4") == 20);

  result = k3::test::run(k3anim + " -o " + shell_quote(run / "clip.avi"));
  CHECK(result.exit_code != 0);
  CHECK_THAT(result.output, Catch::Contains(".avi"));
  CHECK_FALSE(fs::exists(run / "clip.avi"));

  fs::remove(run / "frames/000004.png");  // a gap: later frames would be silently lost
  result = k3::test::run(k3anim + " -o " + shell_quote(run / "gap.mp4"));
  CHECK(result.exit_code != 0);
  CHECK_THAT(result.output, Catch::Contains("000004.png"));
  CHECK_FALSE(fs::exists(run / "gap.mp4"));
}

