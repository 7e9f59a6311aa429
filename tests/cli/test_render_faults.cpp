// Crash at every write of a render, then --resume: the frames must be byte-identical to an
// uninterrupted run and the video complete. The crashes are exact, not timed: K3_FAULT_AT
// (animation/fault_point.h) kills k3anim with SIGKILL at the n-th passage through a named point,
// and K3_FAULT_LOG lists every passage of the uninterrupted run, so each one is tried in turn.
#include "tests/support/fixture_set.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using k3::test::k3anim_path;
using k3::test::run;
using k3::test::shell_quote;
using k3::test::TempDir;

namespace {

struct Passage {
  std::string point;
  int ordinal = 0;  // 1-based count of this point so far
  int frame = 0;    // frames fully written before it
};

std::string frame_bytes(const std::string& run_dir, int index) {
  char name[32];
  std::snprintf(name, sizeof name, "/frames/%06d.png", index);
  return k3::test::read_file(run_dir + name);
}

long ffprobe_frames(const std::string& path) {
  auto result = run("ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames "
                    "-of default=noprint_wrappers=1:nokey=1 " + shell_quote(path));
  try {
    return std::stol(result.output);
  } catch (...) {
    return -1;
  }
}

std::vector<Passage> read_passages(const std::string& log) {
  std::ifstream in(log);
  std::vector<Passage> out;
  std::map<std::string, int> seen;
  int frames = 0;
  for (std::string line; std::getline(in, line);) {
    out.push_back({line, ++seen[line], frames});
    if (line == "frame.after") ++frames;
  }
  return out;
}

// Renders `preset` uninterrupted, then once per chosen passage with a crash there followed by
// --resume (or, when the crash came before settings.json existed, the same command again).
// `keep(passage)` chooses the passages (all of them for the quick preview cases).
void check_crash_everywhere(const std::string& name, const std::string& preset_json, const std::string& extra, int frames,
                            const std::function<bool(const Passage&)>& keep) {
  REQUIRE(k3::test::command_exists("ffprobe"));
  TempDir dir("render-faults-" + name);
  k3::test::write_file(dir / "preset.json", preset_json);
  const std::string render = shell_quote(k3anim_path()) + " --quiet render " + shell_quote(dir / "preset.json") + extra;
  auto reference = run("K3_FAULT_LOG=" + shell_quote(dir / "passages.log") + " " + render + " --run-dir " + shell_quote(dir / "ref"));
  INFO(reference.output);
  REQUIRE(reference.exit_code == 0);
  const std::vector<Passage> passages = read_passages(dir / "passages.log");
  std::set<std::string> points;
  for (const auto& p : passages) points.insert(p.point);
  for (const char* expected : {"settings.written", "file.renaming", "frame.before", "frame.after", "journal.before",
                               "journal.after", "video.before", "video.frame", "video.commit", "video.after"})
    CHECK(points.count(expected) == 1);
  CHECK(ffprobe_frames(dir / "ref/video.mp4") == frames);

  int tried = 0, exact = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const Passage& p : passages) {
    if (!keep(p)) continue;
    ++tried;
    const std::string at = p.point + ":" + std::to_string(p.ordinal);
    const std::string run_dir = dir / ("crash-" + std::to_string(tried));
    INFO("crash at " << at << " (after " << p.frame << " frames)");
    auto crashed = run("K3_FAULT_AT=" + at + " " + render + " --run-dir " + shell_quote(run_dir));
    REQUIRE(crashed.exit_code == 128 + 9);  // SIGKILL, not a clean exit
    auto resumed = fs::exists(run_dir + "/settings.json")
                       ? run(shell_quote(k3anim_path()) + " --quiet render --resume " + shell_quote(run_dir))
                       : run(render + " --run-dir " + shell_quote(run_dir));
    INFO(resumed.output);
    REQUIRE(resumed.exit_code == 0);
    int differing = 0;
    for (int i = 0; i < frames; ++i) differing += frame_bytes(run_dir, i) != frame_bytes(dir / "ref", i);
    CHECK(differing == 0);
    CHECK(ffprobe_frames(run_dir + "/video.mp4") == frames);
    exact += differing == 0;
    fs::remove_all(run_dir);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << name << ": " << passages.size() << " write points passed, " << tried << " crashed and resumed, " << exact
            << " byte-identical (" << seconds << " s)\n";
  CHECK(tried > 0);
}

std::string example_with(const std::string& file, const std::string& replace_from, const std::string& replace_to) {
  std::string text = k3::test::read_file(k3::test::source_dir() + "/examples/" + file);
  if (!replace_from.empty()) text.replace(text.find(replace_from), replace_from.size(), replace_to);
  return text;
}

}  // namespace

TEST_CASE("a preview 3D render (cadence 3) crashed at every write resumes byte-identical", "[unit][cli][render][faults]") {
  // 9 frames: three cadence blocks, each crash point met in a diffused and in a tweened frame.
  check_crash_everywhere("3d", example_with("winter-forest.json", "", ""),
                         " --preview --set width=64 --set height=64 --set frames=9", 9, [](const Passage&) { return true; });
}

TEST_CASE("the tiny-model 2D clip with a prompt change crashed at each kind of write resumes byte-identical",
          "[unit][cli][render][model][faults][slow]") {
  K3_REQUIRE_FIXTURES();
  // Issue #17's clip: 64x64 (the tiny model's square), 12 frames, cadence 1, zoom 1.03, angle 1,
  // the prompt changes at frame 6, denoise 0.5, 4 steps, seed 9, seed behaviour iter.
  const std::string side = std::to_string(k3::test::fixture::model_geometry().image_side);
  const std::string preset = R"JSON({
    "version": 1, "name": "crash-clip", "width": )JSON" + side + R"JSON(, "height": )JSON" + side + R"JSON(, "fps": 12, "frames": 12, "animation_mode": "2D",
    "prompts": {"0": "a red house by a lake --neg blurry", "6": "a blue boat on the sea --neg blurry"},
    "motion": {"zoom": "0:(1.03)", "angle": "0:(1)"},
    "generation": {"denoise": "0:(0.5)", "steps": "0:(4)", "cadence": 1, "color_coherence": "LAB", "noise": "0:(0.02)"},
    "seed": {"seed": 9, "behavior": "iter"}})JSON";
  const std::string model = " --model " + shell_quote(k3::test::fixtures_root() + "/k3-tiny");
  // A model render costs seconds per frame, so not every passage: each kind of point once (its
  // first passage), and the moments around the issue's crash and the prompt change.
  std::set<std::string> seen_once;
  check_crash_everywhere("tiny-model", preset, model, 12, [&](const Passage& p) {
    const bool first_time = seen_once.insert(p.point).second;
    const bool around_frame_8 = p.frame == 8 && (p.point == "frame.after" || p.point == "journal.before");
    const bool at_prompt_change = p.frame == 6 && p.point == "journal.after";
    return first_time || around_frame_8 || at_prompt_change;
  });
}
