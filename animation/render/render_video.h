#pragma once
// The video of a render, streamed: frames go into the encoder as the loop makes them (the
// frames a resumed run already has are read back from their PNGs first), and the file appears
// under its final name only when finish() completes (video_writer.h's partial-file rename).
// The run folder's PNGs stay the resumable record: a killed run loses only the partial video.
#include "animation/render/render_settings.h"

#include <opencv2/core.hpp>

#include <memory>
#include <string>

namespace k3::video {
class VideoWriter;
}

namespace k3::anim {

class RunFolder;

class RenderVideo {
 public:
  // Opens the writer (soundtrack, offset and interpolation from settings.output) and feeds it
  // frames 0..first_new_frame-1 from the run folder. Returns nullptr when no video is wanted.
  static std::unique_ptr<RenderVideo> open(const RenderSettings& settings, const RunFolder& folder, int first_new_frame);
  ~RenderVideo();  // without finish(): the partial file is removed

  void add(const cv::Mat& rgb8);  // the next frame, CV_8UC3 RGB
  std::string finish();           // completes and renames the file; returns its path

 private:
  RenderVideo(std::unique_ptr<video::VideoWriter> writer, std::string path);
  std::unique_ptr<video::VideoWriter> writer_;
  std::string path_;
};

// The video file of a render: output.video, or the run folder's video.mp4.
std::string render_video_path(const RenderSettings& settings, const RunFolder& folder);

}  // namespace k3::anim
