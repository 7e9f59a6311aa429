#pragma once
// Internal to k3_frame: the concrete writers behind open_video_writer().
#include "animation/video/video_writer.h"

#include <memory>
#include <string>

namespace k3::video {

// H.264 / H.265 in MP4, VP9 in WebM: RGB -> BT.709 tv-range yuv420p, streamed.
std::unique_ptr<VideoWriter> make_encoded_writer(const VideoOptions& options);
// Animated GIF: one palette computed from all frames (median cut), written at finish().
std::unique_ptr<VideoWriter> make_gif_writer(const VideoOptions& options);
// 000000.png, 000001.png, ... (from first_index) in `folder` (created), each written atomically.
std::unique_ptr<VideoWriter> make_png_sequence_writer(const std::string& folder, long first_index = 0);
// Writes every frame to `first` then `second`; finish() finishes both.
std::unique_ptr<VideoWriter> make_fan_out_writer(std::unique_ptr<VideoWriter> first, std::unique_ptr<VideoWriter> second);
// Inserts factor-1 optical-flow frames after each frame (see frame_interpolator.h).
std::unique_ptr<VideoWriter> make_interpolating_writer(std::unique_ptr<VideoWriter> inner, int factor);

// Checks a frame handed to write(): CV_8UC3 and, once the size is fixed, that size.
void check_frame(const cv::Mat& rgb8, long index, int width, int height, const std::string& path);

}  // namespace k3::video
