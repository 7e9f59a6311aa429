#pragma once
// Shared helpers of the core golden tests: fixture paths, golden tensors read through k3's own
// safetensors reader, and the relative L2 error the fixtures' README prescribes.
#include "src/io/model_folder.h"
#include "src/io/weights.h"
#include "tests/support/test_support.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace k3::golden {

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

inline std::vector<int64_t> to_vector(const torch::Tensor& t) {
  auto flat = t.to(torch::kCPU, torch::kLong).contiguous().flatten();
  return std::vector<int64_t>(flat.data_ptr<int64_t>(), flat.data_ptr<int64_t>() + flat.numel());
}

}  // namespace k3::golden
