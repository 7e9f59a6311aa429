// Follows FFmpeg doc/examples/remux.c (stream copy) and doc/examples/transcode_aac.c
// (decoder -> swresample -> AVAudioFifo -> encoder).
#include "animation/video/audio_track.h"

#include "base/errors.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
}

#include <algorithm>
#include <cmath>
#include <cstring>

namespace k3::video {

namespace {
constexpr int kFallbackFrameSize = 1024;

bool rate_supported(const AVCodec* codec, int rate) {
  if (!codec->supported_samplerates) return true;
  for (const int* r = codec->supported_samplerates; *r; ++r)
    if (*r == rate) return true;
  return false;
}
}  // namespace

AudioTrack::AudioTrack(const std::string& audio_path, double offset_seconds, AVFormatContext* output,
                       const std::string& output_name)
    : path_(audio_path), output_name_(output_name), offset_(offset_seconds), output_(output), packet_(av::alloc_packet()) {
  input_ = av::open_input(audio_path);
  input_stream_ = av_find_best_stream(input_.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (input_stream_ < 0) throw k3::FileError("soundtrack " + path_ + ": expected an audio stream, found none");
  for (unsigned i = 0; i < input_->nb_streams; ++i)
    if (static_cast<int>(i) != input_stream_) input_->streams[i]->discard = AVDISCARD_ALL;
  const AVCodecID codec = input_->streams[input_stream_]->codecpar->codec_id;
  // A delay needs real silence in front, which only a transcode can add.
  copy_ = offset_ <= 0 && avformat_query_codec(output_->oformat, codec, FF_COMPLIANCE_NORMAL) == 1;
  if (copy_) setup_copy();
  else setup_transcode();
}

AudioTrack::~AudioTrack() = default;

void AudioTrack::probe(const std::string& audio_path) {
  av::Input input = av::open_input(audio_path);
  if (av_find_best_stream(input.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0) < 0)
    throw k3::FileError("soundtrack " + audio_path + ": expected an audio stream, found none");
}

void AudioTrack::fail(const std::string& what, int code) const {
  throw k3::Error("soundtrack " + path_ + " -> " + output_name_ + ": " + what + ": " + av::error_text(code));
}

void AudioTrack::setup_copy() {
  AVStream* in = input_->streams[input_stream_];
  out_stream_ = avformat_new_stream(output_, nullptr);
  if (!out_stream_) throw std::bad_alloc();
  int code = avcodec_parameters_copy(out_stream_->codecpar, in->codecpar);
  if (code < 0) fail("cannot copy the stream parameters", code);
  out_stream_->codecpar->codec_tag = 0;  // let the output container choose its own tag
  out_stream_->time_base = in->time_base;
}

void AudioTrack::setup_transcode() {
  AVStream* in = input_->streams[input_stream_];
  const AVCodec* decoder = avcodec_find_decoder(in->codecpar->codec_id);
  if (!decoder)
    throw k3::FileError("soundtrack " + path_ + ": no decoder for its codec " + avcodec_get_name(in->codecpar->codec_id));
  decoder_.reset(avcodec_alloc_context3(decoder));
  if (!decoder_) throw std::bad_alloc();
  int code = avcodec_parameters_to_context(decoder_.get(), in->codecpar);
  if (code < 0) fail("cannot read the decoder parameters", code);
  decoder_->pkt_timebase = in->time_base;
  if ((code = avcodec_open2(decoder_.get(), decoder, nullptr)) < 0) fail("cannot open the decoder", code);

  // WebM takes Opus (or Vorbis); every other container here takes AAC.
  const bool webm = std::strcmp(output_->oformat->name, "webm") == 0;
  const char* encoder_name = webm ? "libopus" : "aac";
  const AVCodec* encoder = avcodec_find_encoder_by_name(encoder_name);
  if (!encoder)
    throw k3::ConfigError(std::string("soundtrack: this libav build has no ") + encoder_name + " encoder for " + output_name_);
  encoder_.reset(avcodec_alloc_context3(encoder));
  if (!encoder_) throw std::bad_alloc();
  const int channels = std::clamp(decoder_->ch_layout.nb_channels, 1, 2);  // more is downmixed to stereo
  av_channel_layout_default(&encoder_->ch_layout, channels);
  encoder_->sample_rate = rate_supported(encoder, decoder_->sample_rate) ? decoder_->sample_rate : 48000;
  encoder_->sample_fmt = encoder->sample_fmts ? encoder->sample_fmts[0] : AV_SAMPLE_FMT_FLTP;
  encoder_->bit_rate = 96000 * channels;
  encoder_->time_base = AVRational{1, encoder_->sample_rate};
  if (output_->oformat->flags & AVFMT_GLOBALHEADER) encoder_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if ((code = avcodec_open2(encoder_.get(), encoder, nullptr)) < 0) fail(std::string("cannot open the ") + encoder_name + " encoder", code);

  out_stream_ = avformat_new_stream(output_, nullptr);
  if (!out_stream_) throw std::bad_alloc();
  if ((code = avcodec_parameters_from_context(out_stream_->codecpar, encoder_.get())) < 0)
    fail("cannot set the stream parameters", code);
  out_stream_->time_base = encoder_->time_base;

  AVChannelLayout in_layout;
  if (decoder_->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) av_channel_layout_default(&in_layout, decoder_->ch_layout.nb_channels);
  else av_channel_layout_copy(&in_layout, &decoder_->ch_layout);
  SwrContext* swr = nullptr;
  code = swr_alloc_set_opts2(&swr, &encoder_->ch_layout, encoder_->sample_fmt, encoder_->sample_rate, &in_layout,
                             decoder_->sample_fmt, decoder_->sample_rate, 0, nullptr);
  av_channel_layout_uninit(&in_layout);
  resampler_.reset(swr);
  if (code < 0) fail("cannot set up the resampler", code);
  if ((code = swr_init(resampler_.get())) < 0) fail("cannot set up the resampler", code);

  fifo_.reset(av_audio_fifo_alloc(encoder_->sample_fmt, channels, std::max(encoder_->frame_size, kFallbackFrameSize)));
  if (!fifo_) throw std::bad_alloc();
  decoded_ = av::alloc_frame();

  const int64_t offset_samples = std::llround(std::fabs(offset_) * encoder_->sample_rate);
  if (offset_ < 0) samples_to_skip_ = offset_samples;
  if (offset_ > 0) {  // leading silence
    av::Frame silence = av::alloc_frame();
    silence->nb_samples = static_cast<int>(offset_samples);
    silence->format = encoder_->sample_fmt;
    av_channel_layout_copy(&silence->ch_layout, &encoder_->ch_layout);
    if ((code = av_frame_get_buffer(silence.get(), 0)) < 0) fail("cannot allocate silence", code);
    av_samples_set_silence(silence->data, 0, silence->nb_samples, channels, encoder_->sample_fmt);
    if (av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(silence->data), silence->nb_samples) < silence->nb_samples)
      throw std::bad_alloc();
  }
}

bool AudioTrack::read_next_packet() {
  while (true) {
    const int code = av_read_frame(input_.get(), packet_.get());
    if (code == AVERROR_EOF) return false;
    if (code < 0) fail("cannot read", code);
    if (packet_->stream_index == input_stream_) return true;
    av_packet_unref(packet_.get());
  }
}

void AudioTrack::write_packet(AVPacket* packet, AVRational time_base) {
  av_packet_rescale_ts(packet, time_base, out_stream_->time_base);
  packet->stream_index = out_stream_->index;
  packet->pos = -1;
  const int code = av_interleaved_write_frame(output_, packet);
  if (code < 0)
    throw k3::FileError("cannot write an audio packet of " + path_ + " into " + output_name_ + ": " + av::error_text(code));
}

void AudioTrack::mux_until(double seconds) {
  if (copy_) copy_until(seconds);
  else transcode_until(seconds, false);
}

void AudioTrack::finish(double video_seconds) {
  if (copy_) {
    cut_seconds_ = video_seconds;
    copy_until(video_seconds);
    av_packet_unref(packet_.get());
    return;
  }
  sample_limit_ = std::llround(video_seconds * encoder_->sample_rate);
  transcode_until(video_seconds, true);
}

// Copy mode keeps whole packets: the cut lands within one audio frame of the video's end.
void AudioTrack::copy_until(double seconds) {
  AVStream* in = input_->streams[input_stream_];
  const double tb = av_q2d(in->time_base);
  const int64_t start = in->start_time != AV_NOPTS_VALUE ? in->start_time : 0;
  while (!input_done_) {
    if (!packet_pending_) {
      if (!read_next_packet()) {
        input_done_ = true;
        return;
      }
      packet_pending_ = true;
    }
    int64_t pts = packet_->pts != AV_NOPTS_VALUE ? packet_->pts : packet_->dts;
    if (pts == AV_NOPTS_VALUE) pts = first_pts_ == AV_NOPTS_VALUE ? start : first_pts_;
    if (first_pts_ == AV_NOPTS_VALUE) {
      if ((pts - start) * tb < -offset_ - 1e-9) {  // before the part a negative offset skips
        av_packet_unref(packet_.get());
        packet_pending_ = false;
        continue;
      }
      first_pts_ = pts;
    }
    const double t = (pts - first_pts_) * tb;
    if (t >= cut_seconds_ - 1e-9) {
      input_done_ = true;
      return;
    }
    if (t >= seconds) return;  // keep it for the next call
    if (packet_->pts != AV_NOPTS_VALUE) packet_->pts -= first_pts_;
    if (packet_->dts != AV_NOPTS_VALUE) packet_->dts -= first_pts_;
    write_packet(packet_.get(), in->time_base);
    packet_pending_ = false;
  }
}

void AudioTrack::push_decoded_samples(AVFrame* decoded) {
  const int capacity = swr_get_out_samples(resampler_.get(), decoded ? decoded->nb_samples : 0);
  if (capacity <= 0) return;
  av::Frame converted = av::alloc_frame();
  converted->nb_samples = capacity;
  converted->format = encoder_->sample_fmt;
  av_channel_layout_copy(&converted->ch_layout, &encoder_->ch_layout);
  int code = av_frame_get_buffer(converted.get(), 0);
  if (code < 0) fail("cannot allocate samples", code);
  const int produced = swr_convert(resampler_.get(), converted->data, capacity,
                                   decoded ? const_cast<const uint8_t**>(decoded->extended_data) : nullptr,
                                   decoded ? decoded->nb_samples : 0);
  if (produced < 0) fail("cannot resample", produced);
  int start = 0;
  if (samples_to_skip_ > 0) {
    start = static_cast<int>(std::min<int64_t>(samples_to_skip_, produced));
    samples_to_skip_ -= start;
  }
  if (produced - start <= 0) return;
  // Offset the plane pointers to drop the skipped samples.
  const int channels = encoder_->ch_layout.nb_channels;
  const int bytes = av_get_bytes_per_sample(encoder_->sample_fmt);
  const bool planar = av_sample_fmt_is_planar(encoder_->sample_fmt);
  uint8_t* planes[8] = {nullptr};
  for (int c = 0; c < (planar ? channels : 1); ++c)
    planes[c] = converted->data[c] + static_cast<std::ptrdiff_t>(start) * bytes * (planar ? 1 : channels);
  if (av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(planes), produced - start) < produced - start)
    throw std::bad_alloc();
}

void AudioTrack::encode_from_fifo(int samples) {
  av::Frame frame = av::alloc_frame();
  frame->nb_samples = samples;
  frame->format = encoder_->sample_fmt;
  frame->sample_rate = encoder_->sample_rate;
  av_channel_layout_copy(&frame->ch_layout, &encoder_->ch_layout);
  int code = av_frame_get_buffer(frame.get(), 0);
  if (code < 0) fail("cannot allocate samples", code);
  if (av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(frame->data), samples) < samples)
    fail("audio FIFO underrun", AVERROR_BUG);
  frame->pts = next_pts_;
  next_pts_ += samples;
  if ((code = avcodec_send_frame(encoder_.get(), frame.get())) < 0) fail("cannot encode", code);
  drain_encoder();
}

void AudioTrack::drain_encoder() {
  while (true) {
    const int code = avcodec_receive_packet(encoder_.get(), packet_.get());
    if (code == AVERROR(EAGAIN) || code == AVERROR_EOF) return;
    if (code < 0) fail("cannot encode", code);
    write_packet(packet_.get(), encoder_->time_base);
  }
}

void AudioTrack::transcode_until(double seconds, bool final_flush) {
  const int frame_size = encoder_->frame_size > 0 ? encoder_->frame_size : kFallbackFrameSize;
  const int64_t target = std::min<int64_t>(sample_limit_, final_flush ? sample_limit_ : std::llround(seconds * encoder_->sample_rate));
  while (next_pts_ + frame_size <= target) {
    if (av_audio_fifo_size(fifo_.get()) >= frame_size) {
      encode_from_fifo(frame_size);
      continue;
    }
    if (input_done_) break;
    int code;
    if (read_next_packet()) {
      code = avcodec_send_packet(decoder_.get(), packet_.get());
      av_packet_unref(packet_.get());
    } else {
      input_done_ = true;
      code = avcodec_send_packet(decoder_.get(), nullptr);
    }
    if (code < 0 && code != AVERROR_INVALIDDATA) fail("cannot decode", code);
    while ((code = avcodec_receive_frame(decoder_.get(), decoded_.get())) >= 0) {
      push_decoded_samples(decoded_.get());
      av_frame_unref(decoded_.get());
    }
    if (code != AVERROR(EAGAIN) && code != AVERROR_EOF) fail("cannot decode", code);
    if (input_done_) push_decoded_samples(nullptr);  // what the resampler still holds
  }
  if (!final_flush || encoder_flushed_) return;
  // The last, possibly short, frame stops exactly at the video's length.
  while (av_audio_fifo_size(fifo_.get()) > 0 && next_pts_ < sample_limit_) {
    const int64_t room = sample_limit_ - next_pts_;
    encode_from_fifo(static_cast<int>(std::min<int64_t>({frame_size, av_audio_fifo_size(fifo_.get()), room})));
  }
  if (const int sent = avcodec_send_frame(encoder_.get(), nullptr); sent < 0) fail("cannot flush the encoder", sent);
  drain_encoder();
  encoder_flushed_ = true;
}

}  // namespace k3::video
