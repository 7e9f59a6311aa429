// Per-shape convolution algorithms (src/nn/conv_dispatch.h): each path against torch::conv2d, the
// measured choice, and the per-machine choice file.
#include "src/nn/conv_dispatch.h"

#include "src/nn/conv_choice_cache.h"
#include "base/errors.h"
#include "tests/core/golden.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <iostream>

using k3::golden::rel_l2;

namespace {

struct Shape {
  int64_t batch, in, out, kernel, stride, padding, size;
};
// 1x1, 3x3 padded, 2x2 stride 2 (the UNet's down-sampling), batch 1 and 2, small and larger maps.
const Shape kShapes[] = {{2, 512, 64, 1, 1, 0, 4},  {2, 64, 32, 3, 1, 1, 8},  {2, 32, 16, 2, 2, 0, 8},
                         {1, 16, 8, 3, 1, 1, 32},   {1, 24, 40, 1, 1, 0, 16}, {2, 8, 8, 3, 1, 1, 17}};

// Restores the process-wide mode and choice file after a test.
struct DispatchGuard {
  k3::ConvAlgorithm mode = k3::conv_algorithm();
  ~DispatchGuard() {
    k3::set_conv_algorithm(mode);
    k3::set_conv_choice_file("");
  }
};

double check_shape(const Shape& s, bool with_bias) {
  k3::nn::Conv2d conv(s.in, s.out, s.kernel, s.stride, s.padding, with_bias);
  k3::nn::fill_random_(*conv, 7);
  auto x = torch::randn({s.batch, s.in, s.size, s.size});
  auto want = torch::conv2d(x, conv->weight, conv->bias, {s.stride, s.stride}, {s.padding, s.padding});
  auto got = k3::conv2d(*conv, x);
  REQUIRE(got.sizes() == want.sizes());
  CHECK(got.is_contiguous());
  return rel_l2(got, want);
}

}  // namespace

TEST_CASE("every convolution path equals torch::conv2d", "[unit]") {
  torch::NoGradGuard no_grad;
  torch::manual_seed(3);
  DispatchGuard guard;
  k3::set_conv_choice_file("");
  for (auto algorithm : {k3::ConvAlgorithm::OneDNN, k3::ConvAlgorithm::Matmul, k3::ConvAlgorithm::Auto}) {
    k3::set_conv_algorithm(algorithm);
    for (const auto& s : kShapes) {
      for (bool bias : {true, false}) {
        const double error = check_shape(s, bias);
        std::cout << k3::to_string(algorithm) << " conv b" << s.batch << " " << s.in << "->" << s.out << " k"
                  << s.kernel << " s" << s.stride << " @" << s.size << (bias ? " bias" : "") << ": relative L2 "
                  << error << "\n";
        CHECK(error <= 1e-6);
      }
    }
  }
}

TEST_CASE("auto mode measures each shape once and remembers it in the choice file", "[unit]") {
  torch::NoGradGuard no_grad;
  DispatchGuard guard;
  k3::test::TempDir dir("conv-choices");
  const std::string file = dir / "sub/conv-algorithms.tsv";
  k3::set_conv_algorithm(k3::ConvAlgorithm::Auto);
  k3::set_conv_choice_file(file);
  CHECK(k3::conv_choice_file() == file);
  check_shape(kShapes[0], true);
  check_shape(kShapes[0], true);  // same shape: no second measurement
  check_shape(kShapes[1], true);
  auto first = k3::conv_choices();
  REQUIRE(first.size() == 2);
  for (const auto& c : first) {
    CHECK_FALSE(c.from_file);
    CHECK((c.algorithm == "onednn" || c.algorithm == "matmul"));
    CHECK(c.onednn_ms > 0);
    CHECK(c.matmul_ms > 0);
    CHECK(c.algorithm == (c.matmul_ms < c.onednn_ms ? "matmul" : "onednn"));
  }
  const std::string text = k3::test::read_file(file);
  CHECK(text.find(first[0].shape) != std::string::npos);
  CHECK(text.find(first[1].shape) != std::string::npos);

  // A new process (simulated: the file set again) reads the choices instead of measuring.
  k3::set_conv_choice_file(file);
  CHECK(k3::conv_choices().empty());
  check_shape(kShapes[1], true);
  auto second = k3::conv_choices();
  REQUIRE(second.size() == 1);
  CHECK(second[0].from_file);
  CHECK(second[0].shape == first[1].shape);
  CHECK(second[0].algorithm == first[1].algorithm);

  // Lines of another machine are kept but never used; a malformed line is ignored.
  {
    std::ofstream out(file, std::ios::app);
    out << "another machine\t" << first[0].shape << "\tmatmul\t1\t1\nnot a choice line\n";
  }
  k3::set_conv_choice_file(file);
  check_shape(kShapes[2], true);
  const std::string rewritten = k3::test::read_file(file);
  CHECK(rewritten.find("another machine\t") != std::string::npos);
  CHECK(rewritten.find("not a choice line") == std::string::npos);
}

TEST_CASE("a choice cache whose file cannot be written still decides", "[unit]") {
  k3::test::TempDir dir("conv-choices-ro");
  // A path whose parent is a regular file: create_directories and the write both fail.
  { std::ofstream(dir / "file") << "x"; }
  k3::ConvChoiceCache cache(dir / "file/conv.tsv", "machine");
  k3::ConvTiming t;
  t.algorithm = "matmul";
  CHECK_FALSE(cache.store("shape", t));
  REQUIRE(cache.find("shape") != nullptr);
  CHECK(cache.find("shape")->algorithm == "matmul");
}

TEST_CASE("convolution algorithm names", "[unit]") {
  CHECK(k3::parse_conv_algorithm("auto") == k3::ConvAlgorithm::Auto);
  CHECK(k3::parse_conv_algorithm("onednn") == k3::ConvAlgorithm::OneDNN);
  CHECK(k3::parse_conv_algorithm("matmul") == k3::ConvAlgorithm::Matmul);
  CHECK_THROWS_AS(k3::parse_conv_algorithm("gemm", "K3_CONV_ALGO"), k3::ConfigError);
  CHECK_THROWS_WITH(k3::parse_conv_algorithm("gemm", "K3_CONV_ALGO"),
                    Catch::Contains("K3_CONV_ALGO") && Catch::Contains("\"gemm\"") && Catch::Contains("onednn"));
  CHECK(k3::to_string(k3::ConvAlgorithm::Matmul) == "matmul");
  const std::string machine = k3::ConvChoiceCache::describe_machine("libtorch test");
  CHECK(machine.find("libtorch test") != std::string::npos);
  CHECK(machine.find('\t') == std::string::npos);
}
