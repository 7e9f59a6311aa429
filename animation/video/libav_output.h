#pragma once
// Internal to k3_frame: one output file with one encoded video stream and an optional
// soundtrack. Follows FFmpeg doc/examples/mux.c (stream setup, header, interleaved writes, trailer).
#include "animation/video/libav_handles.h"
#include "animation/video/video_writer.h"

#include <memory>
#include <string>
#include <vector>

namespace k3::video {

class AudioTrack;

struct OutputSpec {
  std::string final_path;    // named in errors
  std::string written_path;  // the file actually written (the partial name)
  std::string format;        // libav muxer: mp4 | webm | gif
  std::string encoder;       // libav encoder: libx264 | libx265 | libvpx-vp9 | gif
  AVPixelFormat pixel_format = AV_PIX_FMT_YUV420P;
  int width = 0;
  int height = 0;
  FrameRate fps;
  int crf = 17;
  std::string preset = "medium";
  bool bt709_tv_range = true;  // colour tags (only meaningful for YUV)
  std::string audio_path;
  double audio_offset = 0;
};

class LibavOutput {
 public:
  // Opens the encoder, the container and (when asked) the soundtrack, and writes the header.
  explicit LibavOutput(const OutputSpec& spec);
  ~LibavOutput();
  LibavOutput(const LibavOutput&) = delete;
  LibavOutput& operator=(const LibavOutput&) = delete;

  // A frame in the encoder's pixel format and size; its pts is set here (frame index).
  void send(AVFrame* frame);
  // Flushes the encoder, completes the soundtrack, writes the trailer and closes the file.
  void finish();
  long frames_sent() const { return frames_sent_; }

 private:
  void drain_video();
  double seconds(long frames) const;

  OutputSpec spec_;
  av::Output output_;
  av::CodecContext encoder_;
  AVStream* stream_ = nullptr;
  av::Packet packet_;
  std::unique_ptr<AudioTrack> audio_;
  long frames_sent_ = 0;
};

// Encoder-private options for a codec name (crf/preset for x264/x265, crf + speed for VP9).
AVDictionary* encoder_options(const std::string& encoder, int crf, const std::string& preset);

}  // namespace k3::video
