#pragma once
// The front door of k3_depth: load a depth model folder once, predict the depth of 8-bit RGB
// pictures at their own size. No torch in this header (the animation code includes it).
#include "base/image.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace k3::depth {

struct DepthEstimatorOptions {
  std::string device = "cpu";  // "cpu", "cuda", "cuda:N"
  std::string dtype = "fp32";  // "fp32", "bf16", "fp16" (CUDA only)
};

// Relative inverse depth (larger = nearer), row-major height x width, float32.
struct DepthMap {
  int width = 0;
  int height = 0;
  std::vector<float> values;
};

class DepthEstimator {
 public:
  // Loads `dir` (config.json, preprocessor_config.json, model.safetensors) through
  // load_depth_model. Throws FileError / ConfigError / WeightError naming the file at fault.
  static DepthEstimator load(const std::string& dir, const DepthEstimatorOptions& options = {});

  // The processor, the network, and the bicubic resize of predicted_depth to the picture's
  // size (transformers' pipeline and Deforum's MiDaS path do this resize the same way).
  DepthMap predict(const ImageRGB8& picture) const;

  const std::string& model_type() const;  // "depth_anything" or "dpt"
  int64_t parameter_count() const;
  const std::vector<std::string>& warnings() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The weight files of a depth model folder: model.safetensors, or the shards of
// model.safetensors.index.json. Throws FileError naming what was looked for.
std::vector<std::string> depth_weight_files(const std::string& dir);

// transformers' pipeline picture: (depth * 255 / max) truncated to uint8, in float32 math.
// Values below -1 (bicubic overshoot) wrap as numpy's cast does (-1.5 -> 255); an all-zero map
// gives zeros.
std::vector<std::uint8_t> depth_to_uint8(const DepthMap& depth);

}  // namespace k3::depth
