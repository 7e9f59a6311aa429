#pragma once
// Deforum's optical-flow cadence helpers (sd-webui-deforum scripts/deforum_helpers/hybrid_video.py):
// a dense flow between two frames (OpenCV's DIS at Deforum's "DIS Medium" / "DIS Fine" settings,
// or Farneback at its "normal" settings), a frame moved along a flow, and Deforum's conversions
// of a flow to and from "relative" units, which the cadence passes through the camera warp.
#include <opencv2/core.hpp>

namespace k3::ops {

enum class FlowMethod { DisMedium, DisFine, Farneback };

// The flow from `from` to `to` (CV_32FC2, pixels: from(x) ~ to(x + flow(x))), computed on the
// grey versions of two RGB frames (CV_8UC3 or CV_32FC3 in [0,255], one size).
// Throws k3::ConfigError on other images.
cv::Mat flow_between(const cv::Mat& from, const cv::Mat& to, FlowMethod method);

// image_transform_optical_flow: out(x) = image(x - factor * flow(x)), bilinear, sampled from the
// image padded by a quarter of its size on each side by reflection (BORDER_REFLECT_101), as
// Deforum's remap does. `image` CV_32FC3, `flow` CV_32FC2 of its size.
cv::Mat move_along_flow(const cv::Mat& image, const cv::Mat& flow, double factor);

// abs_flow_to_rel_flow and rel_flow_to_abs_flow as Deforum writes them. Both divide by the
// largest flow component, so the round trip does not give the flow back: it gives the flow
// scaled to a largest component of 1 pixel (a warp in between changes little of that). Deforum's
// cadence moves its tweens by that unit flow, and so do we. An all-zero flow stays zero (where
// Deforum divides 0 by 0).
cv::Mat flow_to_relative(const cv::Mat& flow);
cv::Mat flow_to_absolute(const cv::Mat& relative);

}  // namespace k3::ops
