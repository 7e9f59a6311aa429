// `k3anim import-deforum`: a Deforum settings file becomes a preset; unsupported keys are listed.
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

using k3::test::k3anim_path;
using k3::test::run;
using k3::test::shell_quote;
using k3::test::TempDir;

TEST_CASE("import-deforum writes a preset and warns about each unsupported key", "[unit][cli][render]") {
  TempDir dir("import-deforum");
  k3::test::write_file(dir / "settings.txt", R"J({
    "W": 512, "H": 512, "max_frames": 6, "fps": 10, "animation_mode": "2D", "seed": 3,
    "zoom": "0: (1.01)", "strength_schedule": "0: (0.7)", "cfg_scale_schedule": "0: (4)",
    "diffusion_cadence": "2", "noise_schedule": "0: (0.02)", "color_coherence": "Match Frame 0 LAB",
    "prompts": {"0": "a forest"}, "hybrid_composite": "None", "cn_1_enabled": false
  })J");
  auto result = run(shell_quote(k3anim_path()) + " import-deforum " + shell_quote(dir / "settings.txt") + " -o " +
                    shell_quote(dir / "preset.json"));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.output, Catch::Contains("2 unsupported key(s)"));
  CHECK_THAT(result.output, Catch::Contains("cn_1_enabled:") && Catch::Contains("hybrid_composite:"));
  auto preset = nlohmann::json::parse(k3::test::read_file(dir / "preset.json"));
  CHECK(preset["generation"]["denoise"] == "0:(0.3)");
  CHECK(preset["generation"]["guidance"] == "0:(3)");
  CHECK(preset["generation"]["color_coherence"] == "LAB");
  CHECK(preset["generation"]["cadence"] == 2);
  // The converted preset renders.
  auto render = run(shell_quote(k3anim_path()) + " --quiet render " + shell_quote(dir / "preset.json") +
                    " --preview --set width=64 --set height=64 --run-dir " + shell_quote(dir / "run"));
  INFO(render.output);
  CHECK(render.exit_code == 0);
}

TEST_CASE("import-deforum reports a file that is not JSON as a file error", "[unit][cli][render]") {
  TempDir dir("import-deforum-bad");
  k3::test::write_file(dir / "settings.txt", "{ not json");
  auto result = run(shell_quote(k3anim_path()) + " import-deforum " + shell_quote(dir / "settings.txt"));
  CHECK(result.exit_code == 3);
  CHECK_THAT(result.output, Catch::Contains("settings.txt"));
}

TEST_CASE("files of the form of Deforum's default and test settings import and render in preview", "[unit][cli][render]") {
  for (const char* name : {"deforum-defaults-form.json", "deforum-testsettings-form.json"}) {
    INFO(name);
    TempDir dir("import-deforum-forms");
    std::string file = k3::test::source_dir() + "/tests/animation/data/" + name;
    auto imported = run(shell_quote(k3anim_path()) + " import-deforum " + shell_quote(file) + " -o " + shell_quote(dir / "preset.json"));
    INFO(imported.output);
    REQUIRE(imported.exit_code == 0);
    // Keys as the warning list starts its lines ("hybrid_use_init_image:" is another key).
    CHECK(imported.output.find(" soundtrack_path:") == std::string::npos);
    CHECK(imported.output.find(" init_image:") == std::string::npos);
    auto render = run(shell_quote(k3anim_path()) + " --quiet render " + shell_quote(dir / "preset.json") +
                      " --preview --set width=64 --set height=64 --frames 3 --run-dir " + shell_quote(dir / "run"));
    INFO(render.output);
    CHECK(render.exit_code == 0);
  }
}
