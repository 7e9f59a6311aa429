#pragma once
// A memory-mapped reader of the safetensors format (8-byte little-endian header length, JSON
// header, raw row-major data). No torch here. Everything in the header is validated before
// open() returns, so a tensor record can be trusted: its bytes lie inside the mapping.
// Follows the format as huggingface/safetensors documents it (README "Format").
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace k3 {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

// "F32", "BF16", ... as written in safetensors headers.
const char* dtype_name(DType dtype);
// Bytes per element.
std::size_t dtype_size(DType dtype);
bool dtype_is_floating(DType dtype);
// Parses a header dtype string; returns false for names this reader does not know.
bool parse_dtype(const std::string& name, DType& out);

struct TensorRecord {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const std::uint8_t* data = nullptr;  // inside the file's mapping; valid while the file lives
  std::size_t nbytes = 0;
  std::string file;  // path of the file holding it
  int64_t numel() const;
};

// "[3, 128, 32]"
std::string shape_to_string(const std::vector<int64_t>& shape);

class SafetensorsFile {
 public:
  // Maps `path` and validates the whole header (sizes, dtypes, offsets inside the data, no
  // overlaps, byte sizes equal to shape x dtype). Throws FileError naming the file (and the
  // tensor at fault) before any tensor memory is touched.
  static std::shared_ptr<SafetensorsFile> open(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::map<std::string, TensorRecord>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // Size of the whole file in bytes.
  std::size_t file_size() const { return file_size_; }
  // True when the mapping is private and writable, so tensors may alias it safely.
  bool aliasable() const { return writable_; }
  // Gives back the resident pages of the mapping that lie wholly inside [data, data + nbytes)
  // (madvise DONTNEED): once a tensor was copied out (converted or moved to a GPU), its file
  // pages need not count against the process's memory. Later reads fault them in again.
  void release_pages(const std::uint8_t* data, std::size_t nbytes) const;

 private:
  SafetensorsFile() = default;
  std::string path_;
  std::map<std::string, TensorRecord> tensors_;
  std::map<std::string, std::string> metadata_;
  void* mapping_ = nullptr;
  std::size_t file_size_ = 0;
  bool writable_ = false;
};

// Writes a safetensors file: the tensors' raw bytes in the order given, header padded with
// spaces to a multiple of 8 bytes (as the reference writer does). When `sparse` is true the
// data region is not written but made by ftruncate (a sparse file: real names and shapes,
// no disk used), for shape checks of full-size models. Throws FileError on I/O failure.
struct TensorToWrite {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;  // nbytes = numel * dtype_size; ignored when sparse
};
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {}, bool sparse = false);

}  // namespace k3
