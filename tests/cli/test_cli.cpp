// The k3anim executable as a user runs it: help, version, usage errors, exit codes.
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

using k3::test::k3anim_path;
using k3::test::run;
using k3::test::shell_quote;

TEST_CASE("k3anim --help lists the subcommands", "[unit][cli]") {
  auto result = run(shell_quote(k3anim_path()) + " --help");
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.output, Catch::Contains("tokenize"));
}

TEST_CASE("k3anim rejects an unknown subcommand with a usage exit code", "[unit][cli]") {
  auto result = run(shell_quote(k3anim_path()) + " frobnicate");
  CHECK(result.exit_code == 2);
}

TEST_CASE("k3anim tokenize reports a missing model file in one line", "[unit][cli]") {
  auto result = run(shell_quote(k3anim_path()) + " tokenize --spm /nonexistent/spiece.model hello");
  CHECK(result.exit_code == 3);
  CHECK_THAT(result.output, Catch::Contains("/nonexistent/spiece.model"));
}
