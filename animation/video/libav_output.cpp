// Follows FFmpeg doc/examples/mux.c and encode_video.c (encoder setup, send/receive loop,
// interleaved writing, trailer).
#include "animation/video/libav_output.h"

#include "animation/video/audio_track.h"
#include "base/errors.h"

extern "C" {
#include <libavutil/opt.h>
}

#include <cstring>

namespace k3::video {

namespace {
// libvpx speed for an x264-style preset name: faster presets trade quality for time.
const char* vp9_speed(const std::string& preset) {
  if (preset == "ultrafast" || preset == "superfast") return "8";
  if (preset == "veryfast" || preset == "faster") return "6";
  if (preset == "fast") return "5";
  if (preset == "medium") return "4";
  if (preset == "slow") return "2";
  return "1";  // slower, veryslow, placebo
}
}  // namespace

AVDictionary* encoder_options(const std::string& encoder, int crf, const std::string& preset) {
  AVDictionary* options = nullptr;
  const std::string crf_text = std::to_string(crf);
  if (encoder == "libx264" || encoder == "libx265") {
    av_dict_set(&options, "crf", crf_text.c_str(), 0);
    av_dict_set(&options, "preset", preset.c_str(), 0);
    if (encoder == "libx265") av_dict_set(&options, "x265-params", "log-level=error", 0);  // x265 prints by itself
  } else if (encoder == "libvpx-vp9") {
    av_dict_set(&options, "crf", crf_text.c_str(), 0);  // with bit_rate 0: constant quality
    av_dict_set(&options, "deadline", "good", 0);
    av_dict_set(&options, "cpu-used", vp9_speed(preset), 0);
    av_dict_set(&options, "row-mt", "1", 0);
  }
  return options;
}

LibavOutput::LibavOutput(const OutputSpec& spec) : spec_(spec), packet_(av::alloc_packet()) {
  av::quiet_logging_once();
  const std::string& name = spec_.final_path;
  AVFormatContext* raw = nullptr;
  av::check(avformat_alloc_output_context2(&raw, nullptr, spec_.format.c_str(), spec_.written_path.c_str()),
            "cannot create a " + spec_.format + " container", name);
  output_.reset(raw);

  const AVCodec* codec = avcodec_find_encoder_by_name(spec_.encoder.c_str());
  if (!codec) throw k3::ConfigError("this libav build has no " + spec_.encoder + " encoder (needed for " + name + ")");
  stream_ = avformat_new_stream(output_.get(), nullptr);
  encoder_.reset(avcodec_alloc_context3(codec));
  if (!stream_ || !encoder_) throw std::bad_alloc();
  AVCodecContext* c = encoder_.get();
  c->width = spec_.width;
  c->height = spec_.height;
  c->pix_fmt = spec_.pixel_format;
  c->time_base = AVRational{spec_.fps.den, spec_.fps.num};
  c->framerate = AVRational{spec_.fps.num, spec_.fps.den};
  c->sample_aspect_ratio = AVRational{1, 1};
  c->thread_count = 0;  // one per core, as the ffmpeg command does (libavcodec's default is 1)
  if (spec_.encoder == "libvpx-vp9") c->bit_rate = 0;
  if (spec_.bt709_tv_range) {
    c->color_primaries = AVCOL_PRI_BT709;
    c->color_trc = AVCOL_TRC_BT709;
    c->colorspace = AVCOL_SPC_BT709;
    c->color_range = AVCOL_RANGE_MPEG;
  }
  if (output_->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  AVDictionary* options = encoder_options(spec_.encoder, spec_.crf, spec_.preset);
  int code = avcodec_open2(c, codec, &options);
  av_dict_free(&options);
  av::check(code, "cannot open the " + spec_.encoder + " encoder", name);
  av::check(avcodec_parameters_from_context(stream_->codecpar, c), "cannot set the video stream parameters", name);
  if (spec_.encoder == "libx265" && spec_.format == "mp4")
    stream_->codecpar->codec_tag = MKTAG('h', 'v', 'c', '1');  // the tag Apple players require
  stream_->time_base = c->time_base;
  stream_->avg_frame_rate = c->framerate;
  stream_->r_frame_rate = c->framerate;

  if (!spec_.audio_path.empty())
    audio_ = std::make_unique<AudioTrack>(spec_.audio_path, spec_.audio_offset, output_.get(), name);

  if (!(output_->oformat->flags & AVFMT_NOFILE)) {
    code = avio_open(&output_->pb, spec_.written_path.c_str(), AVIO_FLAG_WRITE);
    if (code < 0) throw k3::FileError("cannot create " + spec_.written_path + ": " + av::error_text(code));
  }
  AVDictionary* muxer_options = nullptr;
  if (spec_.format == "mp4") av_dict_set(&muxer_options, "movflags", "+faststart", 0);  // playable while downloading
  code = avformat_write_header(output_.get(), &muxer_options);
  av_dict_free(&muxer_options);
  av::check_io(code, "cannot write the " + spec_.format + " header", name);
}

LibavOutput::~LibavOutput() = default;

double LibavOutput::seconds(long frames) const { return static_cast<double>(frames) * spec_.fps.den / spec_.fps.num; }

void LibavOutput::send(AVFrame* frame) {
  frame->pts = frames_sent_;
  av::check(avcodec_send_frame(encoder_.get(), frame), "cannot encode frame " + std::to_string(frames_sent_), spec_.final_path);
  ++frames_sent_;
  drain_video();
  if (audio_) audio_->mux_until(seconds(frames_sent_));
}

void LibavOutput::drain_video() {
  while (true) {
    const int code = avcodec_receive_packet(encoder_.get(), packet_.get());
    if (code == AVERROR(EAGAIN) || code == AVERROR_EOF) return;
    av::check(code, "cannot encode", spec_.final_path);
    if (packet_->duration == 0) packet_->duration = 1;  // constant frame rate: one tick of 1/fps
    av_packet_rescale_ts(packet_.get(), encoder_->time_base, stream_->time_base);
    packet_->stream_index = stream_->index;
    av::check_io(av_interleaved_write_frame(output_.get(), packet_.get()), "cannot write a video packet", spec_.final_path);
  }
}

void LibavOutput::finish() {
  av::check(avcodec_send_frame(encoder_.get(), nullptr), "cannot flush the encoder", spec_.final_path);
  drain_video();
  if (audio_) audio_->finish(seconds(frames_sent_));
  av::check_io(av_write_trailer(output_.get()), "cannot finish the " + spec_.format + " file", spec_.final_path);
  if (!(output_->oformat->flags & AVFMT_NOFILE))
    av::check_io(avio_closep(&output_->pb), "cannot close", spec_.written_path);
}

}  // namespace k3::video
