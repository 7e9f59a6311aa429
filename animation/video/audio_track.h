#pragma once
// Internal to k3_frame: the soundtrack of an output file. The stream is copied when the
// container accepts its codec (and no delay is asked), otherwise transcoded (AAC for MP4,
// Opus for WebM); it is cut to the video's length and shifted by an offset.
// Follows FFmpeg doc/examples/remux.c (copy) and transcode_aac.c (decode, resample, FIFO, encode).
#include "animation/video/libav_handles.h"

#include <string>

namespace k3::video {

class AudioTrack {
 public:
  // Adds the audio stream to `output` (before its header is written).
  // offset_seconds > 0 delays the sound (silence first); < 0 skips the start of the file.
  AudioTrack(const std::string& audio_path, double offset_seconds, AVFormatContext* output,
             const std::string& output_name);
  ~AudioTrack();
  AudioTrack(const AudioTrack&) = delete;
  AudioTrack& operator=(const AudioTrack&) = delete;

  // Checks that a file opens and holds an audio stream; throws k3::FileError naming it.
  static void probe(const std::string& audio_path);

  bool copies_stream() const { return copy_; }
  // Writes sound up to `seconds` of output time (keeps audio interleaved with the video).
  void mux_until(double seconds);
  // Writes the rest, up to the video's duration, and flushes the encoder.
  void finish(double video_seconds);

 private:
  void setup_copy();
  void setup_transcode();
  bool read_next_packet();  // false at end of input
  void copy_until(double seconds);
  void transcode_until(double seconds, bool final_flush);
  void push_decoded_samples(AVFrame* decoded);
  void encode_from_fifo(int samples);
  void drain_encoder();
  void write_packet(AVPacket* packet, AVRational time_base);
  void fail(const std::string& what, int code) const;

  std::string path_;
  std::string output_name_;
  double offset_ = 0;
  AVFormatContext* output_ = nullptr;
  av::Input input_;
  int input_stream_ = -1;
  AVStream* out_stream_ = nullptr;
  bool copy_ = false;
  bool input_done_ = false;
  bool packet_pending_ = false;  // packet_ holds a packet read but not yet written
  av::Packet packet_;

  // copy mode
  int64_t first_pts_ = AV_NOPTS_VALUE;  // input pts that becomes output time 0
  double cut_seconds_ = 1e300;          // no packet starting at or after this is written

  // transcode mode
  av::CodecContext decoder_;
  av::CodecContext encoder_;
  av::Swr resampler_;
  av::Fifo fifo_;
  av::Frame decoded_;
  int64_t samples_to_skip_ = 0;    // output-rate samples dropped from the start (negative offset)
  int64_t sample_limit_ = INT64_MAX;  // the video's length in output samples, once known
  int64_t next_pts_ = 0;
  bool encoder_flushed_ = false;
};

}  // namespace k3::video
