// Seeded draws follow diffusers utils/torch_utils.py (randn_tensor with a CPU generator, float32).
#include "src/sampling/noise_source.h"

#include "base/errors.h"

namespace k3 {

SeededNoise::SeededNoise(uint64_t seed) : generator_(at::detail::createCPUGenerator(seed)) {}

torch::Tensor SeededNoise::next(at::IntArrayRef shape) {
  return torch::randn(shape, generator_, torch::TensorOptions().dtype(torch::kFloat));
}

RecordedNoise::RecordedNoise(std::vector<torch::Tensor> draws) : draws_(std::move(draws)) {}

torch::Tensor RecordedNoise::next(at::IntArrayRef shape) {
  if (next_ >= draws_.size())
    throw Error("recorded noise: expected at least " + std::to_string(next_ + 1) + " draws, got " +
                std::to_string(draws_.size()));
  auto draw = draws_[next_];
  if (draw.sizes() != shape)
    throw Error("recorded noise draw " + std::to_string(next_) + ": expected shape " + c10::str(shape) + ", got " +
                c10::str(draw.sizes()));
  ++next_;
  return draw.to(torch::kFloat);
}

}  // namespace k3
