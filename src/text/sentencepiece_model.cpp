// Loads src/spm/spm_shim.cpp's library in a separate link namespace (dlmopen) so that its
// sentencepiece + bundled protobuf 3.14 never bind to libtorch's protobuf 3.21.
#include "src/public/sentencepiece_model.h"

#include "base/errors.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <mutex>

#ifndef K3_SPM_SHIM_BUILD_PATH
#define K3_SPM_SHIM_BUILD_PATH ""
#endif

namespace k3 {

namespace {
bool file_exists(const std::string& path) { return !path.empty() && access(path.c_str(), R_OK) == 0; }

std::string executable_dir() {
  char buffer[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) return {};
  std::string path(buffer, static_cast<std::size_t>(n));
  return path.substr(0, path.find_last_of('/'));
}
}  // namespace

struct SentencePieceModel::Library {
  void* dl = nullptr;
  void* (*load)(const char*, char*, int) = nullptr;
  void (*free_handle)(void*) = nullptr;
  int (*encode)(void*, const char*, int, int*, int) = nullptr;
  int (*encode_pieces)(void*, const char*, int, char*, int) = nullptr;
  int (*vocab_size)(void*) = nullptr;
  int (*piece_to_id)(void*, const char*) = nullptr;
  int (*id_to_piece)(void*, int, char*, int) = nullptr;
  int (*unk_id)(void*) = nullptr;

  template <typename Fn>
  void bind(Fn& fn, const char* name, const std::string& path) {
    fn = reinterpret_cast<Fn>(dlsym(dl, name));
    if (!fn) throw FileError(path + ": expected symbol " + name + " in the sentencepiece shim, got none");
  }

  static std::shared_ptr<Library> instance() {
    // Loaded once per process; a namespace made by dlmopen cannot be unloaded cleanly anyway.
    static std::mutex mutex;
    static std::shared_ptr<Library> library;
    std::lock_guard<std::mutex> lock(mutex);
    if (library) return library;
    const std::string path = shim_path();
    if (path.empty())
      throw FileError("libk3_spm.so: expected the sentencepiece shim next to the executable or in $K3_SPM_SHIM, got nothing");
    auto lib = std::make_shared<Library>();
    // A new link namespace: the shim gets its own copies of libstdc++ and sentencepiece's
    // protobuf. Works under ASan too, where RTLD_DEEPBIND is refused.
    lib->dl = dlmopen(LM_ID_NEWLM, path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib->dl) {
      std::string first = dlerror();
      lib->dl = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
      if (!lib->dl) throw FileError(path + ": cannot load the sentencepiece shim: " + first + "; " + dlerror());
    }
    lib->bind(lib->load, "k3spm_load", path);
    lib->bind(lib->free_handle, "k3spm_free", path);
    lib->bind(lib->encode, "k3spm_encode", path);
    lib->bind(lib->encode_pieces, "k3spm_encode_pieces", path);
    lib->bind(lib->vocab_size, "k3spm_vocab_size", path);
    lib->bind(lib->piece_to_id, "k3spm_piece_to_id", path);
    lib->bind(lib->id_to_piece, "k3spm_id_to_piece", path);
    lib->bind(lib->unk_id, "k3spm_unk_id", path);
    library = lib;
    return library;
  }
};

std::string SentencePieceModel::shim_path() {
  if (const char* env = std::getenv("K3_SPM_SHIM"); env && *env) return env;
  const std::string dir = executable_dir();
  for (const std::string& candidate : {dir + "/libk3_spm.so", dir + "/../lib/k3anim/libk3_spm.so",
                                       std::string(K3_SPM_SHIM_BUILD_PATH)}) {
    if (file_exists(candidate)) return candidate;
  }
  return {};
}

SentencePieceModel::SentencePieceModel(const std::string& model_path)
    : library_(Library::instance()), model_path_(model_path) {
  if (!file_exists(model_path)) throw FileError(model_path + ": expected a sentencepiece model file, got no readable file");
  char error[512] = {0};
  handle_ = library_->load(model_path.c_str(), error, sizeof(error));
  if (!handle_) throw FileError(model_path + ": cannot load sentencepiece model: " + error);
}

SentencePieceModel::~SentencePieceModel() {
  if (handle_) library_->free_handle(handle_);
}

std::vector<int> SentencePieceModel::encode(const std::string& text) const {
  std::vector<int> ids(text.size() + 16);
  int n = library_->encode(handle_, text.data(), static_cast<int>(text.size()), ids.data(), static_cast<int>(ids.size()));
  if (n < 0) throw Error(model_path_ + ": sentencepiece failed to encode a text of " + std::to_string(text.size()) + " bytes");
  if (n > static_cast<int>(ids.size())) {
    ids.resize(static_cast<std::size_t>(n));
    n = library_->encode(handle_, text.data(), static_cast<int>(text.size()), ids.data(), n);
  }
  ids.resize(static_cast<std::size_t>(n));
  return ids;
}

std::vector<std::string> SentencePieceModel::encode_pieces(const std::string& text) const {
  std::string buffer(text.size() * 4 + 64, '\0');
  int needed = library_->encode_pieces(handle_, text.data(), static_cast<int>(text.size()), buffer.data(), static_cast<int>(buffer.size()));
  if (needed < 0) throw Error(model_path_ + ": sentencepiece failed to encode a text");
  if (needed > static_cast<int>(buffer.size())) {
    buffer.assign(static_cast<std::size_t>(needed), '\0');
    library_->encode_pieces(handle_, text.data(), static_cast<int>(text.size()), buffer.data(), needed);
  }
  buffer.resize(static_cast<std::size_t>(needed - 1));
  std::vector<std::string> pieces;
  if (buffer.empty()) return pieces;
  std::size_t start = 0;
  while (true) {
    std::size_t end = buffer.find('\n', start);
    pieces.push_back(buffer.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return pieces;
}

int SentencePieceModel::vocab_size() const { return library_->vocab_size(handle_); }
int SentencePieceModel::piece_to_id(const std::string& piece) const { return library_->piece_to_id(handle_, piece.c_str()); }
int SentencePieceModel::unk_id() const { return library_->unk_id(handle_); }

std::string SentencePieceModel::id_to_piece(int id) const {
  char buffer[256];
  int needed = library_->id_to_piece(handle_, id, buffer, sizeof(buffer));
  if (needed > static_cast<int>(sizeof(buffer))) {
    std::string big(static_cast<std::size_t>(needed), '\0');
    library_->id_to_piece(handle_, id, big.data(), needed);
    big.resize(static_cast<std::size_t>(needed - 1));
    return big;
  }
  return buffer;
}

}  // namespace k3
