#pragma once
// A sentencepiece model loaded through the isolated k3_spm library (ENVIRONMENT.md trap 1:
// sentencepiece's private protobuf and libtorch's protobuf must never meet in one namespace).
// No torch here: this header is cheap to include.
#include <memory>
#include <string>
#include <vector>

namespace k3 {

class SentencePieceModel {
 public:
  // Loads `model_path` (a .model file). Throws FileError naming the file on failure.
  explicit SentencePieceModel(const std::string& model_path);
  ~SentencePieceModel();
  SentencePieceModel(const SentencePieceModel&) = delete;
  SentencePieceModel& operator=(const SentencePieceModel&) = delete;

  std::vector<int> encode(const std::string& text) const;
  std::vector<std::string> encode_pieces(const std::string& text) const;
  int vocab_size() const;
  int piece_to_id(const std::string& piece) const;
  std::string id_to_piece(int id) const;
  int unk_id() const;

  // Where the k3_spm library is looked for: $K3_SPM_SHIM, next to the executable,
  // ../lib/k3anim/ beside it, then the build tree.
  static std::string shim_path();

 private:
  struct Library;
  std::shared_ptr<Library> library_;
  void* handle_ = nullptr;
  std::string model_path_;
};

}  // namespace k3
