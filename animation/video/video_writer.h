#pragma once
// Streams RGB frames into a video file (H.264/H.265 in MP4, VP9 in WebM, animated GIF) or a
// PNG sequence, through FFmpeg's libav. Defaults follow Deforum's ffmpeg stitch
// (scripts/deforum_helpers/video_audio_utilities.py: libx264, yuv420p, CRF 17).
#include <opencv2/core.hpp>

#include <memory>
#include <string>

namespace k3::video {

// A frame rate as a rational number: 12/1, 15/1, 24000/1001, ...
struct FrameRate {
  int num = 12;
  int den = 1;
  double value() const { return static_cast<double>(num) / den; }
};

// Parses "12", "29.97", "23.976" or "24000/1001". Decimal forms close to an NTSC rate
// (N*1000/1001) become that exact rational. Throws k3::ConfigError naming `what` on bad input.
FrameRate parse_frame_rate(const std::string& text, const std::string& what = "fps");
// The rational closest to a decimal fps (NTSC rates recognised, else denominator up to 1000).
FrameRate frame_rate_from_double(double fps, const std::string& what = "fps");

struct VideoOptions {
  // Final path. For codec "png" this is a folder that receives 000000.png, 000001.png, ...
  // Video files are written to ".<name>.partial" beside it and renamed into place by finish().
  std::string path;
  std::string codec = "h264";  // h264 | h265 | vp9 | gif | png
  // GIF stores delays in 1/100 s: 10, 20, 25 and 50 fps are exact, others are rounded per
  // frame (12 fps: 8, 9, 8, ... centiseconds) so the total stays within 1/100 s.
  FrameRate fps;
  int width = 0;   // 0: taken from the first frame
  int height = 0;  // 0: taken from the first frame
  int crf = 17;                  // h264/h265/vp9 constant quality (Deforum's default)
  std::string preset = "medium";  // x264/x265 preset; mapped to libvpx speed for vp9
  std::string audio_path;         // optional soundtrack, cut to the video's length
  double audio_offset = 0;        // seconds; > 0 delays the soundtrack, < 0 skips its start
  bool pad_odd = true;            // yuv420p needs even sizes: pad by one replicated row/column, or refuse
  // When not empty, every frame is also kept as a PNG in this folder (the run's frames/ folder),
  // so a failed encode never loses the render.
  std::string frames_dir;
  // Number of the first PNG written (a resumed run continues its frames/ folder).
  long first_frame_index = 0;
  // > 1: DIS optical-flow frames are inserted to raise the output rate by this factor.
  int interpolate = 1;
};

// Receives frames as cv::Mat CV_8UC3 in RGB order, all of one size.
class VideoWriter {
 public:
  virtual ~VideoWriter();  // without finish(): the partial file is removed, written PNGs stay
  virtual void write(const cv::Mat& rgb8) = 0;
  // Flushes the encoder, muxes the soundtrack, closes the file and renames it into place.
  virtual void finish() = 0;
  // Frames received so far through write().
  virtual long frames_written() const = 0;
};

// Validates the options (codec present in this libav build, sizes, audio file readable) and
// opens the writer. Throws k3::ConfigError for bad options, k3::FileError for files.
std::unique_ptr<VideoWriter> open_video_writer(const VideoOptions& options);

// ".mp4" -> h264, ".webm" -> vp9, ".gif" -> gif, a path without extension or ending in '/'
// -> png. Throws k3::ConfigError for any other extension.
std::string codec_from_extension(const std::string& path);

// True when this libav build has the encoder behind a codec name (e.g. "h265" needs libx265).
bool codec_available(const std::string& codec);

}  // namespace k3::video
