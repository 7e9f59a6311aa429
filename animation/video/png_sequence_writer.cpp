// PNG sequence writer: the run folder's frames/000000.png, ... (Deforum keeps its PNGs too,
// scripts/deforum_helpers/video_audio_utilities.py stitches from them).
#include "animation/video/writers.h"

#include "base/atomic_file.h"
#include "base/errors.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace k3::video {

namespace {

std::string frame_name(long index) {
  char name[32];
  std::snprintf(name, sizeof name, "%06ld.png", index);
  return name;
}

class PngSequenceWriter final : public VideoWriter {
 public:
  PngSequenceWriter(std::string folder, long first_index) : folder_(std::move(folder)), first_index_(first_index) {
    std::error_code ec;
    fs::create_directories(folder_, ec);
    if (ec || !fs::is_directory(folder_)) throw k3::FileError("frames folder " + folder_ + ": cannot create it: " + ec.message());
  }

  void write(const cv::Mat& rgb8) override {
    const long index = first_index_ + frames_;
    check_frame(rgb8, index, width_, height_, folder_);
    width_ = rgb8.cols;
    height_ = rgb8.rows;
    cv::cvtColor(rgb8, bgr_, cv::COLOR_RGB2BGR);  // imwrite expects BGR
    const fs::path final_path = fs::path(folder_) / frame_name(index);
    // imwrite picks the format from the extension, hence ".partial.png" rather than ".png.partial".
    const fs::path partial_path = fs::path(folder_) / ("." + frame_name(index) + ".partial.png");
    bool written = false;
    try {
      written = cv::imwrite(partial_path.string(), bgr_, {cv::IMWRITE_PNG_COMPRESSION, 3});
    } catch (const cv::Exception& e) {
      throw k3::FileError("cannot write " + final_path.string() + ": " + e.what());
    }
    if (!written) throw k3::FileError("cannot write " + final_path.string() + " (disk full or no permission?)");
    replace_with(partial_path.string(), final_path.string());
    ++frames_;
  }

  void finish() override {}  // every frame is complete on disk as soon as write() returns
  long frames_written() const override { return frames_; }

 private:
  std::string folder_;
  long first_index_ = 0;
  cv::Mat bgr_;
  int width_ = 0, height_ = 0;
  long frames_ = 0;
};

}  // namespace

std::unique_ptr<VideoWriter> make_png_sequence_writer(const std::string& folder, long first_index) {
  if (first_index < 0) throw k3::ConfigError("first_frame_index: expected >= 0, got " + std::to_string(first_index));
  return std::make_unique<PngSequenceWriter>(folder, first_index);
}

}  // namespace k3::video
