#pragma once
// The 3D warp's depth for one render: the source its settings choose (flat, depth images, or a
// depth model through k3_depth), and Deforum's saved depth maps (raw depth, running min/max).
#include "animation/ops/depth_source.h"
#include "animation/render/render_settings.h"

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

namespace k3::anim {

// Flat for "none"; DepthImageFiles for "images" (bright = near, equalised as Deforum's MiDaS
// path); a depth model for "midas-3" / "depth-anything-v2" (relative inverse depth: z = 2 - e),
// loaded once, on the render's model device and dtype when a model is set, else CPU fp32.
// Throws FileError / ConfigError / WeightError naming the folder at fault. The depth model's
// config warnings (keys it does not read) are appended to `warnings`, for the render to say.
std::unique_ptr<ops::DepthSource> make_depth_source(const RenderSettings& settings, std::vector<std::string>& warnings);

// Deforum's save_depth_maps: (d - min) / max(1e-8, max - min) * 255 truncated, where min and max
// run over the whole render (starting at 1000 / -1000, only ever widening), as grey PNGs
// `dir`/NNNNNN.png.
class DepthMapWriter {
 public:
  explicit DepthMapWriter(std::string dir);
  void write(const cv::Mat& raw_depth, int frame_index);
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  double low_ = 1000.0, high_ = -1000.0;
};

}  // namespace k3::anim
