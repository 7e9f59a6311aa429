#pragma once
// Decodes a video file's frames back to RGB (honouring its colour matrix and range tags), for the
// tests' checks of what the writer wrote (test-only: the product reads no video).
#include "animation/video/video_writer.h"

#include <opencv2/core.hpp>

#include <memory>
#include <string>

namespace k3::video {

struct VideoInfo {
  std::string codec;  // libav codec name: h264, hevc, vp9, gif, ...
  int width = 0;
  int height = 0;
  FrameRate fps;      // the stream's average frame rate
  bool has_audio = false;
};

class VideoReader {
 public:
  // Throws k3::FileError when the file cannot be opened or holds no video stream.
  explicit VideoReader(const std::string& path);
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const VideoInfo& info() const { return info_; }
  // The next frame as CV_8UC3 RGB; false at the end of the stream.
  bool read(cv::Mat& rgb8);

 private:
  struct State;
  std::unique_ptr<State> state_;
  VideoInfo info_;
};

}  // namespace k3::video
