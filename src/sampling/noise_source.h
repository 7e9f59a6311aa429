#pragma once
// Where a pipeline's random draws come from: a seeded torch CPU generator (bit-identical to
// Python's torch.Generator().manual_seed(seed) + torch.randn, draw after draw), or a list of
// recorded draws (golden tests feed diffusers' own draws back in).
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace k3 {

class NoiseSource {
 public:
  virtual ~NoiseSource() = default;
  // The next standard-normal draw of `shape`, float32 on the CPU.
  virtual torch::Tensor next(at::IntArrayRef shape) = 0;
};

class SeededNoise : public NoiseSource {
 public:
  explicit SeededNoise(uint64_t seed);
  torch::Tensor next(at::IntArrayRef shape) override;

 private:
  at::Generator generator_;
};

// Replays `draws` in order; throws k3::Error when exhausted or when a shape differs.
class RecordedNoise : public NoiseSource {
 public:
  explicit RecordedNoise(std::vector<torch::Tensor> draws);
  torch::Tensor next(at::IntArrayRef shape) override;
  std::size_t used() const { return next_; }

 private:
  std::vector<torch::Tensor> draws_;
  std::size_t next_ = 0;
};

}  // namespace k3
