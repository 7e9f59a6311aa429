// Sentencepiece behind a plain C interface. Built as its own shared library and loaded in an
// isolated namespace (see src/text/sentencepiece_model.cpp): memory never crosses the boundary, the
// caller always passes its own buffers.
#include <sentencepiece_processor.h>

#include <cstring>
#include <string>
#include <vector>

namespace {
void copy_message(const std::string& message, char* out, int capacity) {
  if (!out || capacity <= 0) return;
  std::size_t n = std::min<std::size_t>(message.size(), static_cast<std::size_t>(capacity - 1));
  std::memcpy(out, message.data(), n);
  out[n] = '\0';
}
}  // namespace

extern "C" {

__attribute__((visibility("default"))) void* k3spm_load(const char* model_path, char* error, int error_capacity) {
  auto* processor = new (std::nothrow) sentencepiece::SentencePieceProcessor();
  if (!processor) {
    copy_message("out of memory", error, error_capacity);
    return nullptr;
  }
  auto status = processor->Load(model_path);
  if (!status.ok()) {
    copy_message(status.ToString(), error, error_capacity);
    delete processor;
    return nullptr;
  }
  return processor;
}

__attribute__((visibility("default"))) void k3spm_free(void* handle) {
  delete static_cast<sentencepiece::SentencePieceProcessor*>(handle);
}

// Writes up to `capacity` ids; returns the full count (call again with a bigger buffer when it
// exceeds capacity), or -1 on failure.
__attribute__((visibility("default"))) int k3spm_encode(void* handle, const char* text, int length, int* ids, int capacity) {
  auto* processor = static_cast<sentencepiece::SentencePieceProcessor*>(handle);
  std::vector<int> result;
  if (!processor->Encode(std::string(text, static_cast<std::size_t>(length)), &result).ok()) return -1;
  for (int i = 0; i < capacity && i < static_cast<int>(result.size()); ++i) ids[i] = result[i];
  return static_cast<int>(result.size());
}

// Pieces of the encoding, joined with '\n' into `out`; returns the needed byte count (incl. NUL).
__attribute__((visibility("default"))) int k3spm_encode_pieces(void* handle, const char* text, int length, char* out, int capacity) {
  auto* processor = static_cast<sentencepiece::SentencePieceProcessor*>(handle);
  std::vector<std::string> pieces;
  if (!processor->Encode(std::string(text, static_cast<std::size_t>(length)), &pieces).ok()) return -1;
  std::string joined;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i) joined += '\n';
    joined += pieces[i];
  }
  copy_message(joined, out, capacity);
  return static_cast<int>(joined.size() + 1);
}

__attribute__((visibility("default"))) int k3spm_vocab_size(void* handle) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->GetPieceSize();
}

__attribute__((visibility("default"))) int k3spm_piece_to_id(void* handle, const char* piece) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->PieceToId(piece);
}

__attribute__((visibility("default"))) int k3spm_id_to_piece(void* handle, int id, char* out, int capacity) {
  const std::string& piece = static_cast<sentencepiece::SentencePieceProcessor*>(handle)->IdToPiece(id);
  copy_message(piece, out, capacity);
  return static_cast<int>(piece.size() + 1);
}

__attribute__((visibility("default"))) int k3spm_unk_id(void* handle) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->unk_id();
}
}
