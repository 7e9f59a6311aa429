// Animated GIF writer: frames are kept (PNG-compressed in memory) until finish(), because the
// one global palette needs every frame's colours first (FFmpeg's palettegen + paletteuse
// two-pass recipe). Encoded by libav's gif encoder from PAL8 frames; loops forever.
#include "animation/video/gif_palette.h"
#include "animation/video/libav_output.h"
#include "animation/video/partial_file.h"
#include "animation/video/writers.h"

#include "base/errors.h"

#include <opencv2/imgcodecs.hpp>

#include <cstring>

namespace k3::video {

namespace {

class GifWriter final : public VideoWriter {
 public:
  explicit GifWriter(const VideoOptions& options)
      : options_(options), file_(options.path), width_(options.width), height_(options.height) {}

  void write(const cv::Mat& rgb8) override {
    if (finished_) throw k3::Error("video " + options_.path + ": write() after finish()");
    check_frame(rgb8, static_cast<long>(frames_.size()), width_, height_, options_.path);
    width_ = rgb8.cols;
    height_ = rgb8.rows;
    palette_.add(rgb8);
    // Stored in RGB byte order under PNG: imdecode gives the same bytes back.
    std::vector<uint8_t> png;
    if (!cv::imencode(".png", rgb8, png, {cv::IMWRITE_PNG_COMPRESSION, 1}))
      throw k3::Error("video " + options_.path + ": cannot buffer frame " + std::to_string(frames_.size()));
    frames_.push_back(std::move(png));
    ++count_;
  }

  void finish() override {
    if (finished_) return;
    if (frames_.empty()) throw k3::ConfigError("video " + options_.path + ": expected at least one frame, got none");
    palette_.build(256);
    OutputSpec spec;
    spec.final_path = options_.path;
    spec.written_path = file_.partial_path();
    spec.format = "gif";
    spec.encoder = "gif";
    spec.pixel_format = AV_PIX_FMT_PAL8;
    spec.width = width_;
    spec.height = height_;
    spec.fps = options_.fps;
    spec.bt709_tv_range = false;
    {
      LibavOutput output(spec);
      av::Frame frame = av::alloc_frame();
      frame->format = AV_PIX_FMT_PAL8;
      frame->width = width_;
      frame->height = height_;
      av::check(av_frame_get_buffer(frame.get(), 0), "cannot allocate a frame", options_.path);
      for (const auto& png : frames_) {
        const cv::Mat rgb8 = cv::imdecode(png, cv::IMREAD_UNCHANGED);
        av::check(av_frame_make_writable(frame.get()), "cannot allocate a frame", options_.path);
        palette_.map(rgb8, frame->data[0], frame->linesize[0]);
        auto* argb = reinterpret_cast<uint32_t*>(frame->data[1]);
        std::memset(argb, 0, AVPALETTE_SIZE);
        const auto& colours = palette_.colours();
        for (std::size_t i = 0; i < colours.size(); ++i)
          argb[i] = 0xFF000000u | (uint32_t{colours[i][0]} << 16) | (uint32_t{colours[i][1]} << 8) | colours[i][2];
        output.send(frame.get());
      }
      output.finish();
    }
    frames_.clear();
    file_.commit();
    finished_ = true;
  }

  long frames_written() const override { return count_; }

 private:
  VideoOptions options_;
  PartialFile file_;
  GifPalette palette_;
  std::vector<std::vector<uint8_t>> frames_;
  int width_ = 0, height_ = 0;
  long count_ = 0;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<VideoWriter> make_gif_writer(const VideoOptions& options) { return std::make_unique<GifWriter>(options); }

}  // namespace k3::video
