// Follows transformers 4.39.3 pipelines/depth_estimation.py (processor -> model -> bicubic resize
// to the picture size -> depth * 255 / max as uint8).
#include "depth/depth_estimator.h"

#include "depth/depth_model.h"
#include "depth/depth_processor.h"
#include "base/errors.h"
#include "src/models/kandinsky3_models.h"
#include "src/nn/nn_layers.h"

#include <algorithm>
#include <cmath>

namespace k3::depth {

struct DepthEstimator::Impl {
  LoadedDepthModel loaded;
  int64_t parameters = 0;
};

DepthEstimator DepthEstimator::load(const std::string& dir, const DepthEstimatorOptions& options) {
  const torch::Device device = k3::parse_device(options.device);
  const torch::ScalarType dtype = k3::parse_dtype(options.dtype, device);
  DepthEstimator estimator;
  estimator.impl_ = std::make_shared<Impl>();
  estimator.impl_->loaded = load_depth_model(dir, device, dtype);
  estimator.impl_->parameters = k3::nn::parameter_count(*estimator.impl_->loaded.model);
  return estimator;
}

DepthMap DepthEstimator::predict(const ImageRGB8& picture) const {
  if (picture.empty()) throw ConfigError("depth prediction: expected a picture, got an empty one");
  auto& loaded = impl_->loaded;
  torch::NoGradGuard no_grad;
  ProcessedImage processed = preprocess(picture, loaded.processor);
  auto pixels = torch::from_blob(processed.pixels.data(), {1, 3, processed.resized.height, processed.resized.width},
                                 torch::kFloat32)
                    .to(loaded.device, loaded.dtype);
  auto predicted = loaded.model->forward(pixels);
  // Resized in float32 whatever the compute dtype: the z conversion wants the full range.
  auto resized = at::upsample_bicubic2d(predicted.unsqueeze(1).to(torch::kFloat32), {picture.height, picture.width}, false,
                                        c10::nullopt, c10::nullopt)
                     .squeeze(1)
                     .to(torch::kCPU)
                     .contiguous();
  DepthMap out;
  out.width = picture.width;
  out.height = picture.height;
  out.values.assign(resized.data_ptr<float>(), resized.data_ptr<float>() + resized.numel());
  return out;
}

const std::string& DepthEstimator::model_type() const { return impl_->loaded.config.model_type; }
int64_t DepthEstimator::parameter_count() const { return impl_->parameters; }
const std::vector<std::string>& DepthEstimator::warnings() const { return impl_->loaded.warnings; }

std::vector<std::uint8_t> depth_to_uint8(const DepthMap& depth) {
  std::vector<std::uint8_t> out(depth.values.size(), 0);
  if (depth.values.empty()) return out;
  const float max = *std::max_element(depth.values.begin(), depth.values.end());
  if (!(max > 0.0f)) return out;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const float v = depth.values[i] * 255.0f / max;
    // numpy's astype(uint8): truncation to an integer, then the low 8 bits (a bicubic overshoot
    // below 0 wraps, e.g. -1.5 -> 255), as the pipeline's picture has it.
    out[i] = static_cast<std::uint8_t>(static_cast<std::int32_t>(v));
  }
  return out;
}

}  // namespace k3::depth
