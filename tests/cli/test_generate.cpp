// `k3anim generate` as a user runs it on the tiny fixture model: a PNG comes out for
// text-to-image and image-to-image; bad combinations exit with the configuration code.
#include "tests/support/fixture_set.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <optional>

using k3::test::k3anim_path;
using k3::test::run;
using k3::test::shell_quote;

namespace {
std::string generate(const std::string& arguments) {
  return shell_quote(k3anim_path()) + " --quiet generate --model " +
         shell_quote(k3::test::fixtures_root() + "/k3-tiny") + " " + arguments;
}
bool is_png(const std::string& path) {
  const std::string bytes = k3::test::read_file(path);
  return bytes.size() > 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
}
}  // namespace

TEST_CASE("k3anim generate writes text-to-image and image-to-image PNGs", "[unit][cli]") {
  K3_REQUIRE_FIXTURES();
  k3::test::TempDir dir("generate");
  // The fixture set's cases: prompts, sizes, seeds and step counts as the set has them.
  std::optional<k3::test::fixture::PipelineCase> text, image;
  for (auto& c : k3::test::fixture::pipeline_cases()) {
    if (!c.image_to_image() && !text) text = c;
    if (c.image_to_image() && !image) image = c;
  }
  REQUIRE(text);
  auto t2i = run(generate("--prompt " + shell_quote(text->prompt) + " -W " + std::to_string(text->width) + " -H " +
                          std::to_string(text->height) + " --steps " + std::to_string(text->steps) + " --seed " +
                          std::to_string(text->seed) + " -o " + shell_quote(dir / "t2i.png")));
  INFO(t2i.output);
  CHECK(t2i.exit_code == 0);
  CHECK(is_png(dir / "t2i.png"));
  // An image-to-image case's picture, else the picture just made.
  const std::string init = image ? image->init_image_png() : dir / "t2i.png";
  const auto& i2i_case = image ? *image : *text;
  const double denoise = image ? *image->strength : 0.6;
  auto i2i = run(generate("--prompt " + shell_quote(i2i_case.prompt) + " --init " + shell_quote(init) + " --denoise " +
                          std::to_string(denoise) + " --steps " + std::to_string(i2i_case.steps) +
                          " --sampler ddim -o " + shell_quote(dir / "i2i.png")));
  INFO(i2i.output);
  CHECK(i2i.exit_code == 0);
  CHECK(is_png(dir / "i2i.png"));
}

TEST_CASE("k3anim generate refuses bad combinations with the configuration exit code", "[unit][cli]") {
  K3_REQUIRE_FIXTURES();
  k3::test::TempDir dir("generate_errors");
  auto fp16_cpu = run(generate("--prompt x --dtype fp16 -o " + shell_quote(dir / "x.png")));
  CHECK(fp16_cpu.exit_code == 4);
  CHECK_THAT(fp16_cpu.output, Catch::Contains("fp16"));
  auto denoise_alone = run(generate("--prompt x --denoise 0.5 -o " + shell_quote(dir / "x.png")));
  CHECK(denoise_alone.exit_code == 4);
  CHECK_THAT(denoise_alone.output, Catch::Contains("--init"));
}
