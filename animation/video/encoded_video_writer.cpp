// H.264/H.265/VP9 writer. Follows FFmpeg doc/examples/encode_video.c (frame buffers, send loop)
// and Deforum's stitch defaults (libx264, yuv420p, CRF 17).
#include "animation/video/libav_output.h"
#include "animation/video/partial_file.h"
#include "animation/video/writers.h"

#include "base/errors.h"

#include <opencv2/core.hpp>

namespace k3::video {

namespace {

struct CodecChoice {
  const char* format;
  const char* encoder;
};

CodecChoice choose(const std::string& codec) {
  if (codec == "h264") return {"mp4", "libx264"};
  if (codec == "h265") return {"mp4", "libx265"};
  if (codec == "vp9") return {"webm", "libvpx-vp9"};
  throw k3::ConfigError("codec: expected h264, h265 or vp9 for an encoded video, got " + codec);
}

class EncodedVideoWriter final : public VideoWriter {
 public:
  explicit EncodedVideoWriter(const VideoOptions& options) : options_(options), file_(options.path) {
    if (options_.width > 0 && options_.height > 0) open(options_.width, options_.height);
  }

  void write(const cv::Mat& rgb8) override {
    if (finished_) throw k3::Error("video " + options_.path + ": write() after finish()");
    check_frame(rgb8, frames_, source_width_, source_height_, options_.path);
    if (!output_) open(rgb8.cols, rgb8.rows);
    const cv::Mat* source = &rgb8;
    if (padded_width_ != rgb8.cols || padded_height_ != rgb8.rows) {
      // Replicating the edge keeps the extra row/column invisible after chroma subsampling.
      cv::copyMakeBorder(rgb8, padded_, 0, padded_height_ - rgb8.rows, 0, padded_width_ - rgb8.cols, cv::BORDER_REPLICATE);
      source = &padded_;
    }
    av::check(av_frame_make_writable(yuv_.get()), "cannot allocate a frame", options_.path);
    const uint8_t* planes[1] = {source->data};
    const int strides[1] = {static_cast<int>(source->step[0])};
    sws_scale(converter_.get(), planes, strides, 0, padded_height_, yuv_->data, yuv_->linesize);
    output_->send(yuv_.get());
    ++frames_;
  }

  void finish() override {
    if (finished_) return;
    if (!output_) throw k3::ConfigError("video " + options_.path + ": expected at least one frame, got none");
    output_->finish();
    output_.reset();
    file_.commit();
    finished_ = true;
  }

  long frames_written() const override { return frames_; }

  ~EncodedVideoWriter() override {
    output_.reset();  // closes the partial file; PartialFile then removes it unless committed
  }

 private:
  void open(int width, int height) {
    source_width_ = width;
    source_height_ = height;
    padded_width_ = width + (width & 1);
    padded_height_ = height + (height & 1);
    if ((width & 1 || height & 1) && !options_.pad_odd)
      throw k3::ConfigError("video " + options_.path + ": " + options_.codec + " (yuv420p) expected an even width and height, got " +
                            std::to_string(width) + "x" + std::to_string(height) + " (allow padding to " +
                            std::to_string(padded_width_) + "x" + std::to_string(padded_height_) + " or resize)");
    const CodecChoice choice = choose(options_.codec);
    OutputSpec spec;
    spec.final_path = options_.path;
    spec.written_path = file_.partial_path();
    spec.format = choice.format;
    spec.encoder = choice.encoder;
    spec.pixel_format = AV_PIX_FMT_YUV420P;
    spec.width = padded_width_;
    spec.height = padded_height_;
    spec.fps = options_.fps;
    spec.crf = options_.crf;
    spec.preset = options_.preset;
    spec.audio_path = options_.audio_path;
    spec.audio_offset = options_.audio_offset;
    output_ = std::make_unique<LibavOutput>(spec);

    yuv_ = av::alloc_frame();
    yuv_->format = AV_PIX_FMT_YUV420P;
    yuv_->width = padded_width_;
    yuv_->height = padded_height_;
    yuv_->color_primaries = AVCOL_PRI_BT709;
    yuv_->color_trc = AVCOL_TRC_BT709;
    yuv_->colorspace = AVCOL_SPC_BT709;
    yuv_->color_range = AVCOL_RANGE_MPEG;
    av::check(av_frame_get_buffer(yuv_.get(), 0), "cannot allocate a frame", options_.path);
    converter_.reset(sws_getContext(padded_width_, padded_height_, AV_PIX_FMT_RGB24, padded_width_, padded_height_,
                                    AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr, nullptr, nullptr));
    if (!converter_) throw k3::Error("video " + options_.path + ": cannot set up the RGB to YUV conversion");
    // Full-range RGB in, BT.709 matrix and tv (limited) range out, matching the stream's tags.
    const int* bt709 = sws_getCoefficients(SWS_CS_ITU709);
    sws_setColorspaceDetails(converter_.get(), bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16);
  }

  VideoOptions options_;
  PartialFile file_;
  std::unique_ptr<LibavOutput> output_;
  av::Frame yuv_;
  av::Sws converter_;
  cv::Mat padded_;
  int source_width_ = 0, source_height_ = 0;
  int padded_width_ = 0, padded_height_ = 0;
  long frames_ = 0;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<VideoWriter> make_encoded_writer(const VideoOptions& options) {
  choose(options.codec);  // refuse an unknown codec before touching the disk
  return std::make_unique<EncodedVideoWriter>(options);
}

}  // namespace k3::video
