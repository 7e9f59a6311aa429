#pragma once
// Where the 3D warp gets its depth: a plane, depth images on disk, or a depth model (the model
// source lives in animation/render/, which may use k3_depth).
// A depth map here is world z (CV_32FC1, the frame's size): 1 = nearest, 2 = farthest,
// Deforum's convention after its depth models' normalisation.
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace k3::ops {

class DepthSource {
 public:
  virtual ~DepthSource() = default;
  // Depth for warping `frame` (the unwarped previous frame, CV_32FC3 RGB) at output frame
  // `frame_index`. An empty Mat means a flat plane (z = 1).
  virtual cv::Mat depth_for(const cv::Mat& frame, int frame_index) = 0;
  // The raw map behind the last depth_for (CV_32FC1, before normalisation: what Deforum's
  // save_depth_maps writes); empty for a plane.
  const cv::Mat& last_raw() const { return raw_; }

 protected:
  cv::Mat raw_;
};

// No depth: every frame is a flat plane (Deforum with use_depth_warping off).
class FlatDepth final : public DepthSource {
 public:
  cv::Mat depth_for(const cv::Mat& frame, int frame_index) override;
};

// How the grey levels of a depth image read.
enum class DepthImageConvention {
  BrightIsNear,  // inverse depth / disparity, as MiDaS writes it: z = 2 - e
  BrightIsFar,   // metric depth, as Zoe, AdaBins, LeReS: z = 1 + e
};

struct DepthImageOptions {
  // printf-style pattern with one integer conversion for the frame index, e.g.
  // "depth/frame_%05d.png"; a folder: its image files sorted by name, the n-th for frame n
  // (Deforum's saved depth maps are such a folder); another path without '%' is used for every frame.
  std::string path_pattern;
  DepthImageConvention convention = DepthImageConvention::BrightIsNear;
  // Histogram-equalise the normalised depth (1024 bins, CDF mapping) as Deforum's
  // Midas-3-Hybrid path does; off keeps the plain min-max normalisation.
  bool equalize = true;
};

// Reads 8- or 16-bit (or float) single-channel or colour depth images (colour is averaged to
// grey), resizes them bicubically to the frame size, normalises to e in [0,1] and maps e to
// z. A constant image gives a flat plane, as in Deforum. Missing or unreadable files throw
// k3::FileError naming the path and frame.
class DepthImageFiles final : public DepthSource {
 public:
  explicit DepthImageFiles(DepthImageOptions options);
  cv::Mat depth_for(const cv::Mat& frame, int frame_index) override;
  // The path read for `frame_index`.
  std::string path_for(int frame_index) const;

 private:
  DepthImageOptions options_;
  std::vector<std::string> folder_files_;  // when path_pattern is a folder
};

// Deforum's mapping from a raw depth map (any float range, CV_32FC1) to world z, exposed for
// other sources (a depth model): min-max normalise, optionally equalise, then apply the
// convention. Returns an empty Mat (flat) when the map is constant or not finite.
cv::Mat depth_to_world_z(const cv::Mat& raw_depth, DepthImageConvention convention, bool equalize);

}  // namespace k3::ops
