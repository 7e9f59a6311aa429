// `k3anim render`: --resume refuses options that would change the recorded run (model, device,
// backend, settings) instead of ignoring them; progress to a pipe is plain lines; warnings show.
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

using k3::test::k3anim_path;
using k3::test::run;
using k3::test::shell_quote;
using k3::test::TempDir;

namespace {
std::string k3anim() { return shell_quote(k3anim_path()); }
const char* kSmall = " --set width=64 --set height=64 --frames 3 --set output.write_video=false";
}  // namespace

TEST_CASE("render --resume with another model, device or backend than recorded is refused", "[unit][cli][render]") {
  TempDir dir("resume-args");
  auto first = run(k3anim() + " --quiet render zoomin --preview" + kSmall + " --run-dir " + shell_quote(dir / "run"));
  REQUIRE(first.exit_code == 0);
  struct Case {
    std::string options, expected;
  };
  for (const Case& c : {Case{"--model " + shell_quote(dir.path), "--model: expected the run's own model or none"},
                        Case{"--device cuda", "--device: expected the run's own device \"cpu\" or none, got \"cuda\""},
                        Case{"--frames 9", "--resume: expected the run folder only"},
                        Case{"--set fps=30", "--resume: expected the run folder only"}}) {
    auto resumed = run(k3anim() + " render --resume " + shell_quote(dir / "run") + " " + c.options);
    INFO(c.options << "\n" << resumed.output);
    CHECK(resumed.exit_code == 4);
    CHECK(resumed.output.find(c.expected) != std::string::npos);
  }
  auto model = run(k3anim() + " render --resume " + shell_quote(dir / "run") + " --model " + shell_quote(dir.path));
  CHECK(model.output.find("the run was rendered with the preview backend") != std::string::npos);
  // The same device (or nothing) is accepted.
  auto same = run(k3anim() + " --quiet render --resume " + shell_quote(dir / "run") + " --device cpu");
  INFO(same.output);
  CHECK(same.exit_code == 0);
}

TEST_CASE("progress written to a pipe is plain lines, no carriage returns", "[unit][cli][render]") {
  TempDir dir("progress-pipe");
  auto result = run(k3anim() + " render zoomin --preview" + std::string(kSmall) + " --run-dir " + shell_quote(dir / "run") + " 2>&1 | cat");
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK(result.output.find('\r') == std::string::npos);
  CHECK(result.output.find("[zoomin] frame 1/3") != std::string::npos);
}

TEST_CASE("a setting without effect is named on stderr, even with --quiet", "[unit][cli][render]") {
  TempDir dir("render-warning");
  auto result = run(k3anim() + " --quiet render zoomin --preview" + std::string(kSmall) +
                    " --set motion.enable_perspective_flip=true --set motion.flip_drops_translation=true"
                    " --set " + shell_quote("motion.translation_x=0:(2)") + " --run-dir " + shell_quote(dir / "run"));
  INFO(result.output);
  CHECK(result.exit_code == 0);
  CHECK(result.output.find("k3anim: warning: motion.translation_x/y: no effect on frames 0-2") != std::string::npos);
}
