// Follows FFmpeg doc/examples/demuxing_decoding.c (decode loop) and scale_video.c (swscale).
#include "tests/video/video_reader.h"

#include "animation/video/libav_handles.h"
#include "base/errors.h"

namespace k3::video {

struct VideoReader::State {
  std::string path;
  av::Input input;
  av::CodecContext decoder;
  av::Packet packet = av::alloc_packet();
  av::Frame frame = av::alloc_frame();
  av::Sws converter;
  int stream = -1;
  bool input_done = false;
  bool decoder_done = false;
};

VideoReader::VideoReader(const std::string& path) : state_(std::make_unique<State>()) {
  av::quiet_logging_once();
  State& s = *state_;
  s.path = path;
  s.input = av::open_input(path);
  const AVCodec* codec = nullptr;
  s.stream = av_find_best_stream(s.input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (s.stream < 0 || !codec) throw k3::FileError("video " + path + ": expected a decodable video stream, found none");
  AVStream* stream = s.input->streams[s.stream];
  s.decoder.reset(avcodec_alloc_context3(codec));
  if (!s.decoder) throw std::bad_alloc();
  av::check(avcodec_parameters_to_context(s.decoder.get(), stream->codecpar), "cannot read the decoder parameters", path);
  s.decoder->pkt_timebase = stream->time_base;
  av::check(avcodec_open2(s.decoder.get(), codec, nullptr), "cannot open the decoder", path);
  info_.codec = avcodec_get_name(stream->codecpar->codec_id);
  info_.width = stream->codecpar->width;
  info_.height = stream->codecpar->height;
  const AVRational rate = stream->avg_frame_rate.num ? stream->avg_frame_rate : stream->r_frame_rate;
  info_.fps = FrameRate{rate.num, rate.den ? rate.den : 1};
  info_.has_audio = av_find_best_stream(s.input.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0) >= 0;
}

VideoReader::~VideoReader() = default;

bool VideoReader::read(cv::Mat& rgb8) {
  State& s = *state_;
  while (true) {
    const int got = avcodec_receive_frame(s.decoder.get(), s.frame.get());
    if (got == 0) break;
    if (got == AVERROR_EOF) return false;
    if (got != AVERROR(EAGAIN)) av::check(got, "cannot decode", s.path);
    if (s.input_done) return false;
    const int code = av_read_frame(s.input.get(), s.packet.get());
    if (code == AVERROR_EOF) {
      s.input_done = true;
      av::check(avcodec_send_packet(s.decoder.get(), nullptr), "cannot flush the decoder", s.path);
      continue;
    }
    av::check(code, "cannot read", s.path);
    if (s.packet->stream_index == s.stream) {
      const int sent = avcodec_send_packet(s.decoder.get(), s.packet.get());
      av_packet_unref(s.packet.get());
      av::check(sent, "cannot decode", s.path);
    } else {
      av_packet_unref(s.packet.get());
    }
  }
  AVFrame* f = s.frame.get();
  const auto format = static_cast<AVPixelFormat>(f->format);
  s.converter.reset(sws_getCachedContext(s.converter.release(), f->width, f->height, format, f->width, f->height,
                                         AV_PIX_FMT_RGB24, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr, nullptr));
  if (!s.converter) throw k3::Error("video " + s.path + ": cannot convert its pixel format to RGB");
  // The matrix and range the stream says it uses; untagged video is read as BT.601 tv range.
  const int matrix = f->colorspace == AVCOL_SPC_BT709 ? SWS_CS_ITU709 : SWS_CS_DEFAULT;
  const int full_range = f->color_range == AVCOL_RANGE_JPEG || format == AV_PIX_FMT_YUVJ420P ? 1 : 0;
  const int* table = sws_getCoefficients(matrix);
  sws_setColorspaceDetails(s.converter.get(), table, full_range, table, 1, 0, 1 << 16, 1 << 16);
  rgb8.create(f->height, f->width, CV_8UC3);
  uint8_t* planes[1] = {rgb8.data};
  const int strides[1] = {static_cast<int>(rgb8.step[0])};
  sws_scale(s.converter.get(), f->data, f->linesize, 0, f->height, planes, strides);
  av_frame_unref(f);
  return true;
}

}  // namespace k3::video
