// `k3anim generate --mask / --outpaint` and `k3anim convert` from the command line (tiny models).
#include "tests/support/fixture_set.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <utility>

namespace {

using k3::test::run;
using k3::test::shell_quote;

std::string k3anim() { return shell_quote(k3::test::k3anim_path()); }
std::string tiny() { return shell_quote(k3::test::fixtures_root() + "/k3-tiny"); }

// Width and height from a PNG's IHDR chunk.
std::pair<int, int> png_size(const std::string& path) {
  const auto bytes = k3::test::read_file(path);
  REQUIRE(bytes.size() > 24);
  auto be32 = [&](std::size_t at) {
    return (static_cast<uint32_t>(static_cast<uint8_t>(bytes[at])) << 24) |
           (static_cast<uint32_t>(static_cast<uint8_t>(bytes[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<uint8_t>(bytes[at + 2])) << 8) | static_cast<uint8_t>(bytes[at + 3]);
  };
  return {static_cast<int>(be32(16)), static_cast<int>(be32(20))};
}

}  // namespace

TEST_CASE("k3anim generate paints with --mask and extends with --outpaint", "[unit]") {
  K3_REQUIRE_FIXTURES();
  k3::test::TempDir dir("generate_inpaint_cli");
  const int side = static_cast<int>(k3::test::fixture::model_geometry().image_side);  // 64 in the public set
  const std::string common = " --model " + tiny() + " --prompt fox --steps 2 -q";
  auto base = run(k3anim() + " generate" + common + " -W " + std::to_string(2 * side) + " -H " + std::to_string(side) +
                  " -o " + shell_quote(dir / "base.png") + " 2>&1");
  INFO(base.output);
  REQUIRE(base.exit_code == 0);
  auto masked = run(k3anim() + " generate" + common + " --init " + shell_quote(dir / "base.png") + " --mask " +
                    shell_quote(dir / "base.png") + " --sampler original -o " + shell_quote(dir / "masked.png") + " 2>&1");
  INFO(masked.output);
  CHECK(masked.exit_code == 0);
  CHECK(png_size(dir / "masked.png") == std::make_pair(2 * side, side));
  auto wider = run(k3anim() + " generate" + common + " --init " + shell_quote(dir / "base.png") +
                   " --outpaint 32,0,32,16 -o " + shell_quote(dir / "wider.png") + " 2>&1");
  INFO(wider.output);
  CHECK(wider.exit_code == 0);
  CHECK(png_size(dir / "wider.png") == std::make_pair(2 * side + 64, side + 16));
  // A mask without a picture to paint is a usage error naming the option.
  auto alone = run(k3anim() + " generate" + common + " --mask " + shell_quote(dir / "base.png") + " -o " +
                   shell_quote(dir / "x.png") + " 2>&1");
  CHECK(alone.exit_code != 0);
  CHECK(alone.output.find("--mask") != std::string::npos);
}
