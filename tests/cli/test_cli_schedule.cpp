// `k3anim schedule`: per-frame values as text, CSV and JSON, the plot, and located errors.
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

using k3::test::k3anim_path;
using k3::test::run;
using k3::test::shell_quote;

namespace {
k3::test::CommandResult schedule(const std::string& args) {
  return run(shell_quote(k3anim_path()) + " schedule " + args + " 2>&1");
}
}  // namespace

TEST_CASE("k3anim schedule prints CSV values with Deforum's interpolation", "[unit][cli]") {
  auto r = schedule("'0:(0), 10:(5)' --frames 12 --csv");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::StartsWith("frame,value\n0,0\n1,0.5\n2,1\n"));
  CHECK_THAT(r.output, Catch::EndsWith("10,5\n11,5\n"));
}

TEST_CASE("k3anim schedule prints JSON with the keyframes and the variables", "[unit][cli]") {
  auto r = schedule("'0:(s), 2:(t*fps)' --frames 4 --fps 10 --seed 7 --json");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("\"values\": [\n    7.0,\n    7.0,\n    20.0,\n    30.0\n  ]"));
  CHECK_THAT(r.output, Catch::Contains("\"keyframes\": [\n    0,\n    2\n  ]"));
}

TEST_CASE("k3anim schedule --plot writes a PNG", "[unit][cli]") {
  k3::test::TempDir dir("cli_schedule_plot");
  const std::string png = dir / "zoom.png";
  auto r = schedule("'cubic: 0:(1), 10:(1.05), 20:(0.98)' --frames 30 --plot " + shell_quote(png));
  CHECK(r.exit_code == 0);
  const std::string bytes = k3::test::read_file(png);
  REQUIRE(bytes.size() > 1000);
  CHECK(bytes.substr(1, 3) == "PNG");
}

TEST_CASE("k3anim schedule shows a bad schedule with a caret and exits with the config code", "[unit][cli]") {
  auto r = schedule("'0:(1), 10:(sinn(t))' --frames 20");
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.output, Catch::Contains("column 12: unknown function: 'sinn'"));
  CHECK_THAT(r.output, Catch::Contains("\n  0:(1), 10:(sinn(t))\n             ^"));
}

TEST_CASE("k3anim schedule names the frame of a division by zero", "[unit][cli]") {
  auto r = schedule("'0:(1/(t-3))' --frames 5");
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.output, Catch::Contains("frame 3"));
}
