#pragma once
// Internal to k3_frame: RAII owners of libav objects and error text helpers.
// Follows FFmpeg doc/examples (encode_video.c, mux.c) for which free function owns what.
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <string>

namespace k3::video::av {

struct CodecContextDeleter {
  void operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
};
struct FrameDeleter {
  void operator()(AVFrame* p) const { av_frame_free(&p); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsDeleter {
  void operator()(SwsContext* p) const { sws_freeContext(p); }
};
struct SwrDeleter {
  void operator()(SwrContext* p) const { swr_free(&p); }
};
struct FifoDeleter {
  void operator()(AVAudioFifo* p) const { av_audio_fifo_free(p); }
};
// An input opened by avformat_open_input.
struct InputDeleter {
  void operator()(AVFormatContext* p) const { avformat_close_input(&p); }
};
// An output made by avformat_alloc_output_context2; closes its file when open.
struct OutputDeleter {
  void operator()(AVFormatContext* p) const {
    if (p && p->pb && !(p->oformat->flags & AVFMT_NOFILE)) avio_closep(&p->pb);
    avformat_free_context(p);
  }
};

using CodecContext = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using Frame = std::unique_ptr<AVFrame, FrameDeleter>;
using Packet = std::unique_ptr<AVPacket, PacketDeleter>;
using Sws = std::unique_ptr<SwsContext, SwsDeleter>;
using Swr = std::unique_ptr<SwrContext, SwrDeleter>;
using Fifo = std::unique_ptr<AVAudioFifo, FifoDeleter>;
using Input = std::unique_ptr<AVFormatContext, InputDeleter>;
using Output = std::unique_ptr<AVFormatContext, OutputDeleter>;

// av_strerror's text for a libav return code.
std::string error_text(int code);
// Throws k3::Error "<what> (<file>): <av_strerror>" when code < 0; returns code otherwise.
int check(int code, const std::string& what, const std::string& file);
// The same for writing to disk (full disk, lost folder): throws k3::FileError.
int check_io(int code, const std::string& what, const std::string& file);

Frame alloc_frame();
Packet alloc_packet();
// Opens a media file for reading and reads its stream info; throws k3::FileError.
Input open_input(const std::string& path);

// Keeps libx264/libvpx statistics off stderr (library code must not print): lowers libav's
// log level to errors once, unless the host program already chose another level.
void quiet_logging_once();

}  // namespace k3::video::av
