// The writer factory and option parsing. Defaults follow Deforum's
// scripts/deforum_helpers/video_audio_utilities.py (ffmpeg_stitch_video: libx264, CRF 17).
#include "animation/video/video_writer.h"

#include "animation/video/encoder_settings.h"
#include "base/text.h"

#include "animation/video/audio_track.h"
#include "animation/video/libav_handles.h"
#include "animation/video/writers.h"
#include "base/errors.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <numeric>

namespace k3::video {

VideoWriter::~VideoWriter() = default;

namespace {

const char* encoder_for(const std::string& codec) {
  if (codec == "h264") return "libx264";
  if (codec == "h265") return "libx265";
  if (codec == "vp9") return "libvpx-vp9";
  if (codec == "gif") return "gif";
  return nullptr;
}

// Holds two writers; a failure of the second leaves the first's output (the PNGs) in place.
class FanOutWriter final : public VideoWriter {
 public:
  FanOutWriter(std::unique_ptr<VideoWriter> first, std::unique_ptr<VideoWriter> second)
      : first_(std::move(first)), second_(std::move(second)) {}
  void write(const cv::Mat& rgb8) override {
    first_->write(rgb8);
    second_->write(rgb8);
  }
  void finish() override {
    first_->finish();
    second_->finish();
  }
  long frames_written() const override { return second_->frames_written(); }

 private:
  std::unique_ptr<VideoWriter> first_;
  std::unique_ptr<VideoWriter> second_;
};

}  // namespace

std::unique_ptr<VideoWriter> make_fan_out_writer(std::unique_ptr<VideoWriter> first, std::unique_ptr<VideoWriter> second) {
  return std::make_unique<FanOutWriter>(std::move(first), std::move(second));
}

void check_frame(const cv::Mat& rgb8, long index, int width, int height, const std::string& path) {
  if (rgb8.empty() || rgb8.type() != CV_8UC3)
    throw k3::ConfigError("video " + path + ", frame " + std::to_string(index) + ": expected an 8-bit RGB image (CV_8UC3), got " +
                          (rgb8.empty() ? std::string("an empty image") : "OpenCV type " + std::to_string(rgb8.type())));
  if (width > 0 && (rgb8.cols != width || rgb8.rows != height))
    throw k3::ConfigError("video " + path + ", frame " + std::to_string(index) + ": expected " + std::to_string(width) + "x" +
                          std::to_string(height) + ", got " + std::to_string(rgb8.cols) + "x" + std::to_string(rgb8.rows));
}

std::string codec_from_extension(const std::string& path) {
  if (path.empty()) throw k3::ConfigError("video path: expected a file or folder name, got an empty string");
  if (path.back() == '/') return "png";
  const std::string extension = lower(std::filesystem::path(path).extension().string());
  if (extension.empty()) return "png";
  if (extension == ".mp4") return "h264";
  if (extension == ".webm") return "vp9";
  if (extension == ".gif") return "gif";
  throw k3::ConfigError("video path " + path + ": expected the extension .mp4, .webm or .gif (or a folder for PNGs), got " + extension);
}

bool codec_available(const std::string& codec) {
  if (codec == "png") return true;
  const char* encoder = encoder_for(codec);
  return encoder && avcodec_find_encoder_by_name(encoder) != nullptr;
}

FrameRate frame_rate_from_double(double fps, const std::string& what) {
  if (!std::isfinite(fps) || fps <= 0 || fps > 1000)
    throw k3::ConfigError(what + ": expected a frame rate in (0, 1000], got " + std::to_string(fps));
  if (std::fabs(fps - std::round(fps)) < 1e-9) return {static_cast<int>(std::lround(fps)), 1};
  // NTSC rates (23.976, 29.97, 59.94, ...) are N*1000/1001 and are written with 2-3 decimals.
  const double ntsc = fps * 1001.0 / 1000.0;
  if (std::fabs(ntsc - std::round(ntsc)) < 0.01) return {static_cast<int>(std::lround(ntsc)) * 1000, 1001};
  int num = static_cast<int>(std::lround(fps * 1000));
  const int divisor = std::gcd(num, 1000);
  return {num / divisor, 1000 / divisor};
}

FrameRate parse_frame_rate(const std::string& text, const std::string& what) {
  auto fail = [&] { return k3::ConfigError(what + ": expected a frame rate such as 12, 23.976 or 24000/1001, got '" + text + "'"); };
  const auto slash = text.find('/');
  try {
    std::size_t used = 0;
    if (slash == std::string::npos) {
      const double value = std::stod(text, &used);
      if (used != text.size()) throw fail();
      return frame_rate_from_double(value, what);
    }
    const long num = std::stol(text.substr(0, slash), &used);
    if (used != slash) throw fail();
    const std::string den_text = text.substr(slash + 1);
    const long den = std::stol(den_text, &used);
    if (used != den_text.size() || num <= 0 || den <= 0 || num > 1000000 || den > 1000000) throw fail();
    const long divisor = std::gcd(num, den);
    return {static_cast<int>(num / divisor), static_cast<int>(den / divisor)};
  } catch (const std::logic_error&) {  // stod/stol: not a number, out of range
    throw fail();
  }
}

std::unique_ptr<VideoWriter> open_video_writer(const VideoOptions& options) {
  const std::string codec = lower(options.codec);
  if (options.fps.num <= 0 || options.fps.den <= 0)
    throw k3::ConfigError("fps: expected a positive rational, got " + std::to_string(options.fps.num) + "/" +
                          std::to_string(options.fps.den));
  if (options.width < 0 || options.height < 0 || (options.width == 0) != (options.height == 0))
    throw k3::ConfigError("video size: expected both width and height positive (or both 0 for the first frame's size), got " +
                          std::to_string(options.width) + "x" + std::to_string(options.height));
  if (options.interpolate < 1 || options.interpolate > 16)
    throw k3::ConfigError("interpolate: expected a factor from 1 to 16, got " + std::to_string(options.interpolate));
  const auto& presets = encoder_presets();
  if (std::find(presets.begin(), presets.end(), options.preset) == presets.end()) {
    std::string names;
    for (const auto& name : presets) names += (names.empty() ? "" : ", ") + name;
    throw k3::ConfigError("preset: expected one of " + names + ", got '" + options.preset + "'");
  }
  const int crf_limit = max_crf(codec);
  if (crf_limit > 0 && (options.crf < 0 || options.crf > crf_limit))
    throw k3::ConfigError("crf: expected 0.." + std::to_string(crf_limit) + " for " + codec + ", got " +
                          std::to_string(options.crf));
  if (!options.audio_path.empty()) {
    if (codec == "gif" || codec == "png") throw k3::ConfigError("soundtrack: a " + codec + " output cannot carry audio; use .mp4 or .webm");
    if (!std::filesystem::is_regular_file(options.audio_path))
      throw k3::FileError("soundtrack " + options.audio_path + ": no such file");
    AudioTrack::probe(options.audio_path);  // fail before anything is rendered
  }

  VideoOptions effective = options;
  effective.codec = codec;
  std::unique_ptr<VideoWriter> writer;
  if (codec == "png") {
    if (options.interpolate > 1)
      throw k3::ConfigError("interpolate: a PNG sequence keeps the rendered frames only, expected 1, got " +
                            std::to_string(options.interpolate));
    writer = make_png_sequence_writer(options.path, options.first_frame_index);
  } else {
    if (!encoder_for(codec))
      throw k3::ConfigError("codec: expected h264, h265, vp9, gif or png, got '" + options.codec + "'");
    if (!codec_available(codec))
      throw k3::ConfigError(std::string("codec ") + codec + ": this FFmpeg build has no " + encoder_for(codec) + " encoder");
    effective.fps = FrameRate{options.fps.num * options.interpolate, options.fps.den};
    writer = codec == "gif" ? make_gif_writer(effective) : make_encoded_writer(effective);
    if (options.interpolate > 1) writer = make_interpolating_writer(std::move(writer), options.interpolate);
  }
  if (!options.frames_dir.empty() && codec != "png")
    writer = make_fan_out_writer(make_png_sequence_writer(options.frames_dir, options.first_frame_index), std::move(writer));
  return writer;
}

}  // namespace k3::video
