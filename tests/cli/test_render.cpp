// `k3anim render` as a user runs it: preview videos whose frame count and fps ffprobe confirms,
// byte-identical resume after SIGKILL, determinism, and bad presets that leave nothing behind.
#include "tests/support/fixture_set.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <iostream>
#include <csignal>
#include <filesystem>
#include <random>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using k3::test::k3anim_path;
using k3::test::run;
using k3::test::shell_quote;
using k3::test::TempDir;

namespace {

std::string example(const std::string& name) { return k3::test::source_dir() + "/examples/" + name; }

std::string render_command(const std::string& preset, const std::string& extra) {
  return shell_quote(k3anim_path()) + " --quiet render " + shell_quote(preset) + " " + extra;
}

struct Probe {
  long frames = -1;
  std::string rate;
};

Probe ffprobe_video(const std::string& path) {
  auto result = run("ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,r_frame_rate "
                    "-of default=noprint_wrappers=1 " + shell_quote(path));
  Probe probe;
  std::istringstream lines(result.output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("nb_read_frames=", 0) == 0) probe.frames = std::stol(line.substr(15));
    if (line.rfind("r_frame_rate=", 0) == 0) probe.rate = line.substr(13);
  }
  return probe;
}

int count_frames(const std::string& run_dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(run_dir + "/frames", ec))
    if (entry.path().extension() == ".png") ++n;
  return n;
}

std::string frame_bytes(const std::string& run_dir, int index) {
  char name[32];
  std::snprintf(name, sizeof name, "/frames/%06d.png", index);
  return k3::test::read_file(run_dir + name);
}

// Starts k3anim, kills it with SIGKILL once `kill_after` frames exist; returns whether it was
// still running then (a run that finished first proves nothing).
bool render_and_kill(const std::vector<std::string>& args, const std::string& run_dir, int kill_after) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    std::string exe = k3anim_path();
    argv.push_back(exe.data());
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    freopen("/dev/null", "w", stderr);
    freopen("/dev/null", "w", stdout);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  bool killed_mid_run = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;  // finished before the kill
    if (count_frames(run_dir) >= kill_after) {
      kill(pid, SIGKILL);
      killed_mid_run = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return killed_mid_run && WIFSIGNALED(status);
}

void check_resume_is_exact(const std::string& preset, const std::vector<std::string>& settings, int frames) {
  TempDir dir("render-resume");
  std::string overrides;
  for (const auto& s : settings) overrides += " --set " + shell_quote(s);
  auto reference = run(render_command(preset, "--preview --run-dir " + shell_quote(dir / "reference") + overrides));
  REQUIRE(reference.exit_code == 0);
  REQUIRE(count_frames(dir / "reference") == frames);

  // Determinism: a second uninterrupted run gives the same bytes.
  auto again = run(render_command(preset, "--preview --run-dir " + shell_quote(dir / "again") + overrides));
  REQUIRE(again.exit_code == 0);
  for (int i = 0; i < frames; ++i) CHECK(frame_bytes(dir / "again", i) == frame_bytes(dir / "reference", i));

  std::mt19937 rng(std::random_device{}());
  int kill_after = std::uniform_int_distribution<int>(1, frames / 3)(rng);
  std::vector<std::string> args = {"--quiet", "render", preset, "--preview", "--run-dir", dir / "killed"};
  for (const auto& s : settings) args.push_back("--set"), args.push_back(s);
  INFO("killed after " << kill_after << " frames");
  REQUIRE(render_and_kill(args, dir / "killed", kill_after));
  int before_resume = count_frames(dir / "killed");
  CHECK(before_resume < frames);
  auto resumed = run(shell_quote(k3anim_path()) + " --quiet render --resume " + shell_quote(dir / "killed"));
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  REQUIRE(count_frames(dir / "killed") == frames);
  int differing = 0;
  for (int i = 0; i < frames; ++i) differing += frame_bytes(dir / "killed", i) != frame_bytes(dir / "reference", i);
  std::cout << "resume of " << preset << " killed at " << before_resume << "/" << frames << " frames: " << differing
            << " frames differ\n";
  CHECK(differing == 0);
  CHECK(ffprobe_video(dir / "killed/video.mp4").frames == frames);
}

}  // namespace

TEST_CASE("render --preview of a 2D example writes a video with the preset's frame count and fps", "[unit][cli][render]") {
  REQUIRE(k3::test::command_exists("ffprobe"));
  TempDir dir("render-2d");
  auto result = run(render_command(example("zoom-in.json"), "--preview -o " + shell_quote(dir / "out.mp4") + " --run-dir " +
                                                                 shell_quote(dir / "run") + " --set width=128 --set height=128"));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  auto probe = ffprobe_video(dir / "out.mp4");
  CHECK(probe.frames == 48);
  CHECK(probe.rate == "12/1");
  CHECK(fs::exists(dir / "run/settings.json"));
  CHECK(fs::exists(dir / "run/state/journal.k3state"));
  CHECK(count_frames(dir / "run") == 48);
}

TEST_CASE("render --preview of a 3D example with cadence 3 writes every frame", "[unit][cli][render]") {
  REQUIRE(k3::test::command_exists("ffprobe"));
  TempDir dir("render-3d");
  auto result = run(render_command(example("winter-forest.json"), "--preview -o " + shell_quote(dir / "out.mp4") +
                                                                      " --run-dir " + shell_quote(dir / "run") +
                                                                      " --set width=128 --set height=128 --set frames=47"));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  auto probe = ffprobe_video(dir / "out.mp4");
  CHECK(probe.frames == 47);  // 47 is not a multiple of the cadence: the last frames are kept
  CHECK(probe.rate == "12/1");
}

TEST_CASE("without a model, render uses the preview backend and says so", "[unit][cli][render]") {
  TempDir dir("render-default");
  auto result = run(shell_quote(k3anim_path()) + " render " + shell_quote(example("zoom-in.json")) + " --frames 3 --run-dir " +
                    shell_quote(dir / "run") + " --set width=64 --set height=64");
  INFO(result.output);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.output, Catch::Contains("preview backend") && Catch::Contains("no model given"));
  CHECK_THAT(result.output, Catch::Contains("run folder"));
}

TEST_CASE("a run killed with SIGKILL resumes to byte-identical frames (2D, cadence 1)", "[unit][cli][render]") {
  check_resume_is_exact(example("zoom-in.json"), {"width=256", "height=256", "frames=40", "output.write_video=true"}, 40);
}

TEST_CASE("a run killed with SIGKILL resumes to byte-identical frames (3D, cadence 3)", "[unit][cli][render]") {
  check_resume_is_exact(example("winter-forest.json"), {"width=256", "height=256", "frames=40"}, 40);
}

TEST_CASE("a tiny-model run killed with SIGKILL resumes to byte-identical frames", "[unit][cli][render][model][slow]") {
  K3_REQUIRE_FIXTURES();
  TempDir dir("render-model-resume");
  const std::string side = std::to_string(k3::test::fixture::model_geometry().image_side);  // the tiny model's square
  const std::vector<std::string> settings = {"width=" + side, "height=" + side, "frames=6", "generation.steps=2", "generation.denoise=0.6",
                                             "generation.cadence=2", "output.write_video=false"};
  std::string model = k3::test::fixtures_root() + "/k3-tiny";
  std::string overrides;
  for (const auto& s : settings) overrides += " --set " + shell_quote(s);
  auto reference = run(render_command(example("zoom-in.json"), "--model " + shell_quote(model) + " --run-dir " +
                                                                    shell_quote(dir / "reference") + overrides));
  INFO(reference.output);
  REQUIRE(reference.exit_code == 0);
  std::vector<std::string> args = {"--quiet", "render", example("zoom-in.json"), "--model", model, "--run-dir", dir / "killed"};
  for (const auto& s : settings) args.push_back("--set"), args.push_back(s);
  REQUIRE(render_and_kill(args, dir / "killed", 2));
  auto resumed = run(shell_quote(k3anim_path()) + " --quiet render --resume " + shell_quote(dir / "killed"));
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  for (int i = 0; i < 6; ++i) CHECK(frame_bytes(dir / "killed", i) == frame_bytes(dir / "reference", i));
}

TEST_CASE("bad presets give an error naming the key path and leave no run folder", "[unit][cli][render]") {
  TempDir dir("render-bad");
  k3::test::write_file(dir / "not-a-folder", "x");
  struct Case {
    std::string preset;
    std::string extra;
    std::string expected;
  };
  std::vector<Case> cases = {
      {R"J({"width": "wide"})J", "", "width: expected an integer"},
      {R"J({"motion": {"zoomm": "0:(1)"}})J", "", "motion.zoomm: unknown key (did you mean \"zoom\"?)"},
      {R"J({"generation": {"denoise": "0:(2)"}})J", "", "generation.denoise: expected values in [0"},
      {R"J({"motion": {"angle": "0:(1), 5:(2"}})J", "", "motion.angle:"},
      {R"J({"init_image": "missing.png"})J", "", "init_image: expected an existing image file"},
      {R"J({"frames": 3})J", "-o " + shell_quote(dir / "not-a-folder/out.mp4"), "output.video: expected a file in a writable folder"},
      {R"J({"frames": 3, "output": {"video": "clip.avi"}})J", "", "output.video"},
      {R"J({"story": [{"prompt": "x", "motion": "zoomn"}]})J", "", "story[0].motion"},
  };
  int i = 0;
  for (const auto& c : cases) {
    std::string preset = dir / ("bad" + std::to_string(i) + ".json");
    std::string run_dir = dir / ("run" + std::to_string(i));
    ++i;
    k3::test::write_file(preset, c.preset);
    auto result = run(render_command(preset, "--preview --run-dir " + shell_quote(run_dir) + " " + c.extra));
    INFO(c.preset << "\n" << result.output);
    CHECK(result.exit_code == 4);
    CHECK_THAT(result.output, Catch::Contains(c.expected));
    CHECK_FALSE(fs::exists(run_dir));
  }
  // A run folder that cannot be created leaves nothing either.
  k3::test::write_file(dir / "ok.json", R"J({"frames": 2, "width": 64, "height": 64})J");
  auto result = run(render_command(dir / "ok.json", "--preview --run-dir " + shell_quote(dir / "not-a-folder/run")));
  CHECK(result.exit_code == 3);
  CHECK_THAT(result.output, Catch::Contains("cannot create run folder"));
}

TEST_CASE("several presets render one after another and one failure does not stop the rest", "[unit][cli][render]") {
  TempDir dir("render-batch");
  k3::test::write_file(dir / "good.json", R"J({"name": "good", "frames": 2, "width": 64, "height": 64})J");
  k3::test::write_file(dir / "bad.json", R"J({"name": "bad", "frames": "two"})J");
  k3::test::write_file(dir / "good2.json", R"J({"name": "good2", "frames": 3, "width": 64, "height": 64})J");
  auto result = run(render_command(dir / "good.json", shell_quote(dir / "bad.json") + " " + shell_quote(dir / "good2.json") +
                                                          " --preview --run-dir " + shell_quote(dir / "runs")));
  INFO(result.output);
  CHECK(result.exit_code == 6);  // kExitPartial
  CHECK(count_frames(dir / "runs/good") == 2);
  CHECK(count_frames(dir / "runs/good2") == 3);
  CHECK_THAT(result.output, Catch::Contains("frames: expected an integer"));
}

TEST_CASE("k3anim presets lists the built-in presets and prints one", "[unit][cli][render]") {
  auto list = run(shell_quote(k3anim_path()) + " presets");
  CHECK(list.exit_code == 0);
  for (const char* name : {"right", "left", "up", "down", "zoomin", "zoomout", "spin_clockwise", "spin_counterclockwise",
                           "flipping_gamma", "flipping_phi", "flipping_theta", "perspective", "panorama", "live", "default",
                           "rotate_right", "around_left", "zoomin_sinus_x"})
    CHECK_THAT("\n" + list.output, Catch::Contains(std::string("\n") + name + " "));
  auto one = run(shell_quote(k3anim_path()) + " presets zoomin");
  CHECK(one.exit_code == 0);
  CHECK_THAT(one.output, Catch::Contains("\"zoom\": \"0:(1.018)\""));
  auto unknown = run(shell_quote(k3anim_path()) + " presets zoomn");
  CHECK(unknown.exit_code == 4);
  CHECK_THAT(unknown.output, Catch::Contains("did you mean \"zoomin\""));
}

TEST_CASE("every built-in preset and example is a valid preset", "[unit][cli][render][slow]") {
  TempDir dir("render-all-presets");
  std::vector<std::string> files;
  for (const char* folder : {"/presets", "/examples"})
    for (const auto& entry : fs::directory_iterator(k3::test::source_dir() + folder))
      if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  for (const auto& file : files) {
    std::string run_dir = dir / fs::path(file).stem().string();
    auto result = run(render_command(file, "--preview --frames 2 --set width=64 --set height=64 --set output.write_video=false "
                                           "--run-dir " + shell_quote(run_dir)));
    INFO(file << "\n" << result.output);
    CHECK(result.exit_code == 0);
  }
}
