#pragma once
// The one golden helper of the tests: fixture paths, golden tensors read through k3's own
// safetensors reader, the relative L2 error the fixtures' README prescribes and its named
// tolerances. Every comparison with the reference's recorded outputs goes through here.
#include "src/io/model_folder.h"
#include "src/io/weights.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace k3::golden {

// The README's targets for float32 on the CPU (relative L2); ids, masks and timesteps compare exactly.
namespace tolerance {
// One component call: text encoder, UNet, MoVQ, one scheduler step, one depth model stage.
inline constexpr double component = 1e-5;
// A whole pipeline: latents after several steps, decoded pictures.
inline constexpr double pipeline = 1e-4;
// An 8-bit picture against round(image_np * 255): one level of rounding.
inline constexpr int picture_levels = 1;
}  // namespace tolerance

inline std::string golden_dir() { return k3::test::fixtures_root() + "/k3-tiny-golden"; }
inline std::string model_dir() { return k3::test::fixtures_root() + "/k3-tiny"; }
inline std::string golden_file(const std::string& name) { return golden_dir() + "/" + name; }

// All tensors of one golden safetensors file, as float32/int64 CPU tensors (copies).
class GoldenFile {
 public:
  explicit GoldenFile(const std::string& name) : store_(k3::WeightStore::open_files({golden_file(name)})) {}
  bool has(const std::string& tensor) const { return store_.contains(tensor); }
  std::vector<std::string> names() const { return store_.names(); }
  torch::Tensor get(const std::string& tensor) const {
    const auto& record = store_.record(tensor);
    return store_.tensor(tensor, k3::to_scalar_type(record.dtype), torch::kCPU).clone();
  }

 private:
  k3::WeightStore store_;
};

// The one relative L2 error of the golden tests (the fixtures' README prescribes it):
// ||got - want|| / ||want|| in float64; the absolute error ||got - want|| when want is all zero.
// Shapes must be equal: broadcasting would hide a wrong shape, so a mismatch throws.
inline double rel_l2(const torch::Tensor& got, const torch::Tensor& want) {
  if (got.sizes() != want.sizes())
    throw std::runtime_error("relative L2: expected equal shapes, got " + c10::str(got.sizes()) + " against " +
                             c10::str(want.sizes()));
  auto g = got.detach().to(torch::kCPU, torch::kFloat64);
  auto w = want.detach().to(torch::kCPU, torch::kFloat64);
  const double denominator = w.norm().item<double>();
  const double numerator = (g - w).norm().item<double>();
  if (denominator == 0.0) return numerator;
  return numerator / denominator;
}

// Prints `what`'s relative L2 with its tolerance and checks it (shapes must be equal).
inline double check_rel_l2(const std::string& what, const torch::Tensor& got, const torch::Tensor& want,
                           double tolerance) {
  INFO(what);
  REQUIRE(got.sizes() == want.sizes());
  const double error = rel_l2(got, want);
  std::cout << what << ": relative L2 " << error << " (tolerance " << tolerance << ")\n";
  INFO(what << ": relative L2 " << error << ", tolerance " << tolerance);
  CHECK(error <= tolerance);
  return error;
}

inline std::vector<int64_t> to_vector(const torch::Tensor& t) {
  auto flat = t.to(torch::kCPU, torch::kLong).contiguous().flatten();
  return std::vector<int64_t>(flat.data_ptr<int64_t>(), flat.data_ptr<int64_t>() + flat.numel());
}

}  // namespace k3::golden
