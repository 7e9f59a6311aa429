// Follows sd-webui-deforum scripts/deforum_helpers/depth.py (DepthModel.predict: the prediction
// resized to the frame; DepthModel.save: running min/max, 8-bit grey) and animation.py
// (prepare_depth_tensor: min-max, equalisation, z = 2 - e for MiDaS-style disparity).
#include "animation/render/depth_provider.h"

#include "depth/depth_estimator.h"
#include "base/errors.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <opencv2/imgcodecs.hpp>

namespace k3::anim {
namespace {

// Both model kinds predict relative inverse depth (near = large), like Deforum's MiDaS.
class ModelDepth final : public ops::DepthSource {
 public:
  ModelDepth(const std::string& dir, const depth::DepthEstimatorOptions& options)
      : estimator_(depth::DepthEstimator::load(dir, options)) {}

  const std::vector<std::string>& warnings() const { return estimator_.warnings(); }

  cv::Mat depth_for(const cv::Mat& frame, int frame_index) override {
    if (frame.empty() || frame.type() != CV_32FC3)
      throw ConfigError("depth model at frame " + std::to_string(frame_index) + ": expected an RGB float frame, got " +
                        (frame.empty() ? std::string("none") : "type " + std::to_string(frame.type())));
    cv::Mat rgb8;
    frame.convertTo(rgb8, CV_8UC3);  // rounds and saturates
    ImageRGB8 picture{rgb8.cols, rgb8.rows, std::vector<std::uint8_t>(rgb8.data, rgb8.data + rgb8.total() * 3)};
    auto depth = estimator_.predict(picture);
    raw_ = cv::Mat(depth.height, depth.width, CV_32FC1, depth.values.data()).clone();
    return ops::depth_to_world_z(raw_, ops::DepthImageConvention::BrightIsNear, /*equalize=*/true);
  }

 private:
  depth::DepthEstimator estimator_;
};

}  // namespace

std::unique_ptr<ops::DepthSource> make_depth_source(const RenderSettings& settings, std::vector<std::string>& warnings) {
  const auto& m = settings.motion;
  if (settings.animation_mode != AnimationMode::ThreeD || m.depth_source == DepthSource::None) return std::make_unique<ops::FlatDepth>();
  if (m.depth_path.empty()) return std::make_unique<ops::FlatDepth>();  // a model not named yet: render_warnings says so
  if (m.depth_source == DepthSource::Images) {
    ops::DepthImageOptions options;
    options.path_pattern = m.depth_path;
    options.convention = ops::DepthImageConvention::BrightIsNear;
    options.equalize = true;
    return std::make_unique<ops::DepthImageFiles>(options);
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(m.depth_path, ec))
    throw FileError("motion.depth_path: expected a depth model folder for " + setting_name(m.depth_source) + ", got \"" + m.depth_path +
                    "\" (not a folder)");
  depth::DepthEstimatorOptions options;
  if (!settings.model.dir.empty()) {
    options.device = settings.model.device;
    // fp16 on the CPU is refused by the loader; bf16 and fp32 follow the UNet.
    options.dtype = settings.model.dtype;
  }
  auto model = std::make_unique<ModelDepth>(m.depth_path, options);
  for (const auto& warning : model->warnings()) warnings.push_back("depth model: " + warning);
  return model;
}

DepthMapWriter::DepthMapWriter(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw FileError(dir_ + ": expected a writable depth map folder, got " + ec.message());
}

void DepthMapWriter::write(const cv::Mat& raw_depth, int frame_index) {
  if (raw_depth.empty()) return;
  double lo = 0, hi = 0;
  cv::minMaxLoc(raw_depth, &lo, &hi);
  low_ = std::min(low_, lo);
  high_ = std::max(high_, hi);
  cv::Mat grey;
  const double range = std::max(1e-8, high_ - low_);
  raw_depth.convertTo(grey, CV_32F, 255.0 / range, -low_ * 255.0 / range);
  cv::Mat bytes(grey.size(), CV_8UC1);
  for (int r = 0; r < grey.rows; ++r)
    for (int c = 0; c < grey.cols; ++c)
      bytes.at<std::uint8_t>(r, c) = static_cast<std::uint8_t>(std::clamp(grey.at<float>(r, c), 0.0f, 255.0f));  // truncates
  char name[32];
  std::snprintf(name, sizeof(name), "/%06d.png", frame_index);
  if (!cv::imwrite(dir_ + name, bytes)) throw FileError(dir_ + name + ": expected a writable depth map, got a write failure");
}

}  // namespace k3::anim
