// The strict loader: every missing, unexpected, mis-shaped and wrongly typed key reported in one
// WeightError; aliases; dtype conversion on load.
#include "base/errors.h"
#include "src/nn/nn_layers.h"
#include "src/io/weights.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

namespace {
struct TinyImpl : torch::nn::Module {
  TinyImpl() {
    first = register_module("first", k3::nn::Linear(3, 2));
    second = register_module("second", k3::nn::Linear(2, 4, false));
  }
  k3::nn::Linear first{nullptr}, second{nullptr};
};
TORCH_MODULE(Tiny);

std::string weight_error(const std::function<void()>& action) {
  try {
    action();
  } catch (const k3::WeightError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("strict loading fills every parameter in the requested dtype", "[unit]") {
  k3::test::TempDir dir("weights_ok");
  auto w1 = torch::randn({2, 3}).to(torch::kHalf), b1 = torch::randn({2}).to(torch::kHalf);
  auto w2 = torch::randn({4, 2}).to(torch::kHalf);
  k3::write_safetensors(dir / "m.safetensors", {{"first.weight", k3::DType::F16, {2, 3}, w1.data_ptr()},
                                                {"first.bias", k3::DType::F16, {2}, b1.data_ptr()},
                                                {"second.weight", k3::DType::F16, {4, 2}, w2.data_ptr()}});
  Tiny tiny;
  auto store = k3::WeightStore::open_files({dir / "m.safetensors"});
  CHECK(k3::check_weights(*tiny, store).ok());
  k3::load_weights_strict(*tiny, store, "tiny", torch::kFloat32, torch::kCPU);
  CHECK(tiny->first->weight.scalar_type() == torch::kFloat32);
  CHECK(torch::equal(tiny->first->weight, w1.to(torch::kFloat32)));
  CHECK(torch::equal(tiny->second->weight, w2.to(torch::kFloat32)));
  auto out = tiny->second->forward(tiny->first->forward(torch::ones({1, 3})));
  CHECK(out.sizes() == torch::IntArrayRef({1, 4}));
}

TEST_CASE("strict loading lists all problems in one error", "[unit]") {
  k3::test::TempDir dir("weights_bad");
  std::vector<float> zeros(64, 0.0f);
  std::vector<int64_t> ints(8, 0);
  k3::write_safetensors(dir / "m.safetensors", {{"first.weight", k3::DType::F32, {3, 2}, zeros.data()},
                                                {"first.bias", k3::DType::I64, {2}, ints.data()},
                                                {"extra.weight", k3::DType::F32, {1}, zeros.data()}});
  Tiny tiny;
  auto store = k3::WeightStore::open_files({dir / "m.safetensors"});
  const auto report = k3::check_weights(*tiny, store);
  CHECK(report.missing == std::vector<std::string>{"second.weight"});
  CHECK(report.unexpected == std::vector<std::string>{"extra.weight"});
  REQUIRE(report.mis_shaped.size() == 1);
  CHECK(report.mis_shaped[0].find("first.weight: expected [2, 3], got [3, 2]") != std::string::npos);
  REQUIRE(report.wrong_dtype.size() == 1);
  const std::string error =
      weight_error([&] { k3::load_weights_strict(*tiny, store, "tiny", torch::kFloat32, torch::kCPU); });
  INFO(error);
  CHECK(error.find("tiny") != std::string::npos);
  CHECK(error.find("m.safetensors") != std::string::npos);
  CHECK(error.find("1 missing: second.weight") != std::string::npos);
  CHECK(error.find("1 unexpected: extra.weight") != std::string::npos);
  CHECK(error.find("1 mis-shaped") != std::string::npos);
  CHECK(error.find("I64") != std::string::npos);
}

TEST_CASE("aliases accept a tied tensor under either name", "[unit]") {
  k3::test::TempDir dir("weights_alias");
  auto w = torch::randn({4, 2});
  auto w1 = torch::randn({2, 3}), b1 = torch::randn({2});
  k3::write_safetensors(dir / "m.safetensors", {{"first.weight", k3::DType::F32, {2, 3}, w1.data_ptr()},
                                                {"first.bias", k3::DType::F32, {2}, b1.data_ptr()},
                                                {"tied.weight", k3::DType::F32, {4, 2}, w.data_ptr()}});
  Tiny tiny;
  auto store = k3::WeightStore::open_files({dir / "m.safetensors"});
  CHECK_FALSE(k3::check_weights(*tiny, store).ok());
  const std::map<std::string, std::string> aliases = {{"second.weight", "tied.weight"}};
  CHECK(k3::check_weights(*tiny, store, aliases).ok());
  k3::load_weights_strict(*tiny, store, "tiny", torch::kFloat32, torch::kCPU, aliases);
  CHECK(torch::equal(tiny->second->weight, w));
}
