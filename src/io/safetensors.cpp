// Follows the safetensors format description (huggingface/safetensors README, "Format") and the
// checks of its Rust reader (header size bound, offsets inside the buffer, size = shape x dtype).
#include "src/io/safetensors.h"

#include "base/bounded_json.h"
#include "base/errors.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

namespace k3 {

namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  std::size_t size;
  bool floating;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::F64, "F64", 8, true},  {DType::F32, "F32", 4, true},   {DType::F16, "F16", 2, true},
    {DType::BF16, "BF16", 2, true}, {DType::I64, "I64", 8, false}, {DType::I32, "I32", 4, false},
    {DType::I16, "I16", 2, false}, {DType::I8, "I8", 1, false},    {DType::U8, "U8", 1, false},
    {DType::BOOL, "BOOL", 1, false},
};
const DTypeInfo& info(DType dtype) {
  for (const auto& entry : kDTypes)
    if (entry.dtype == dtype) return entry;
  return kDTypes[0];
}

// The Rust reader refuses headers above 100 MB; the real T5 shards have headers of ~30 kB.
constexpr std::uint64_t kMaxHeaderBytes = 100u * 1024u * 1024u;

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw FileError(path + ": " + what); }

std::string errno_text() { return std::strerror(errno); }

struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

bool read_exact(int fd, void* buffer, std::size_t size, off_t offset) {
  auto* out = static_cast<char*>(buffer);
  while (size > 0) {
    ssize_t n = ::pread(fd, out, size, offset);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
    out += n;
    size -= static_cast<std::size_t>(n);
    offset += n;
  }
  return true;
}

// Checked product of the shape with the element size; false on overflow or negative dims.
bool byte_size(const std::vector<int64_t>& shape, std::size_t element, std::size_t& out) {
  std::uint64_t total = element;
  for (int64_t dim : shape) {
    if (dim < 0) return false;
    if (dim != 0 && total > std::numeric_limits<std::uint64_t>::max() / static_cast<std::uint64_t>(dim)) return false;
    total *= static_cast<std::uint64_t>(dim);
  }
  out = static_cast<std::size_t>(total);
  return true;
}

struct ParsedEntry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::uint64_t begin, end;
};

std::vector<ParsedEntry> parse_header(const std::string& path, const std::string& text, std::uint64_t data_size,
                                      std::map<std::string, std::string>& metadata) {
  nlohmann::json header;
  try {
    header = parse_bounded_json(text, "header", kMaxHeaderBytes);
  } catch (const FileError& e) {
    fail(path, std::string("expected a JSON safetensors header, got unparsable text (") + e.what() + ")");
  }
  if (!header.is_object()) fail(path, std::string("expected a JSON object as header, got ") + header.type_name());
  std::vector<ParsedEntry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const auto& value = it.value();
    if (name == "__metadata__") {
      if (!value.is_object()) fail(path, "expected __metadata__ to be an object of strings, got " + std::string(value.type_name()));
      for (auto m = value.begin(); m != value.end(); ++m) {
        if (!m.value().is_string())
          fail(path, "expected __metadata__." + m.key() + " to be a string, got " + m.value().type_name());
        metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "': ";
    if (!value.is_object()) fail(path, where + "expected an object, got " + value.type_name());
    auto dtype_it = value.find("dtype");
    auto shape_it = value.find("shape");
    auto offsets_it = value.find("data_offsets");
    if (dtype_it == value.end() || !dtype_it->is_string()) fail(path, where + "expected a string 'dtype', got none");
    if (shape_it == value.end() || !shape_it->is_array()) fail(path, where + "expected an array 'shape', got none");
    if (offsets_it == value.end() || !offsets_it->is_array() || offsets_it->size() != 2)
      fail(path, where + "expected 'data_offsets' [begin, end], got " + (offsets_it == value.end() ? std::string("none") : offsets_it->dump()));
    ParsedEntry entry;
    entry.name = name;
    const std::string dtype_text = dtype_it->get<std::string>();
    if (!parse_dtype(dtype_text, entry.dtype))
      fail(path, where + "expected a dtype among F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL, got '" + dtype_text + "'");
    for (const auto& dim : *shape_it) {
      if (!dim.is_number_integer() || dim.get<int64_t>() < 0)
        fail(path, where + "expected non-negative integer dimensions, got shape " + shape_it->dump());
      entry.shape.push_back(dim.get<int64_t>());
    }
    for (const auto& offset : *offsets_it)
      if (!offset.is_number_unsigned())
        fail(path, where + "expected non-negative integer data_offsets, got " + offsets_it->dump());
    entry.begin = (*offsets_it)[0].get<std::uint64_t>();
    entry.end = (*offsets_it)[1].get<std::uint64_t>();
    if (entry.begin > entry.end) fail(path, where + "expected data_offsets begin <= end, got " + offsets_it->dump());
    if (entry.end > data_size)
      fail(path, where + "expected data_offsets inside the " + std::to_string(data_size) + "-byte data region, got " +
                     offsets_it->dump() + " (truncated file?)");
    std::size_t expected = 0;
    if (!byte_size(entry.shape, dtype_size(entry.dtype), expected))
      fail(path, where + "shape " + shape_to_string(entry.shape) + " overflows");
    if (expected != entry.end - entry.begin)
      fail(path, where + "expected " + std::to_string(expected) + " bytes for " + dtype_text + " " +
                     shape_to_string(entry.shape) + ", got " + std::to_string(entry.end - entry.begin));
    entries.push_back(std::move(entry));
  }
  // No two tensors may share bytes.
  std::vector<const ParsedEntry*> by_offset;
  for (const auto& entry : entries)
    if (entry.end > entry.begin) by_offset.push_back(&entry);
  std::sort(by_offset.begin(), by_offset.end(), [](const ParsedEntry* a, const ParsedEntry* b) { return a->begin < b->begin; });
  for (std::size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->begin < by_offset[i - 1]->end)
      fail(path, "tensor '" + by_offset[i]->name + "': expected data not overlapping other tensors, got bytes [" +
                     std::to_string(by_offset[i]->begin) + ", " + std::to_string(by_offset[i]->end) + ") overlapping '" +
                     by_offset[i - 1]->name + "' [" + std::to_string(by_offset[i - 1]->begin) + ", " +
                     std::to_string(by_offset[i - 1]->end) + ")");
  return entries;
}

}  // namespace

const char* dtype_name(DType dtype) { return info(dtype).name; }
std::size_t dtype_size(DType dtype) { return info(dtype).size; }
bool dtype_is_floating(DType dtype) { return info(dtype).floating; }
bool parse_dtype(const std::string& name, DType& out) {
  for (const auto& entry : kDTypes)
    if (name == entry.name) {
      out = entry.dtype;
      return true;
    }
  return false;
}

int64_t TensorRecord::numel() const {
  int64_t n = 1;
  for (int64_t dim : shape) n *= dim;
  return n;
}

std::string shape_to_string(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  FileDescriptor file;
  file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file.fd < 0) fail(path, "cannot open safetensors file: " + errno_text());
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) fail(path, "cannot stat: " + errno_text());
  if (!S_ISREG(info.st_mode)) fail(path, "expected a regular file, got something else");
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size < 8) fail(path, "expected at least 8 bytes (header length), got " + std::to_string(size));
  unsigned char length_bytes[8];
  if (!read_exact(file.fd, length_bytes, 8, 0)) fail(path, "cannot read the header length: " + errno_text());
  std::uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i) header_length = (header_length << 8) | length_bytes[i];
  if (header_length > kMaxHeaderBytes)
    fail(path, "expected a header of at most " + std::to_string(kMaxHeaderBytes) + " bytes, got a length of " +
                   std::to_string(header_length));
  if (header_length > size - 8)
    fail(path, "expected a header of " + std::to_string(header_length) + " bytes, got only " + std::to_string(size - 8) +
                   " bytes after the length (truncated or not a safetensors file)");
  if (header_length < 2) fail(path, "expected a JSON header, got " + std::to_string(header_length) + " bytes");
  std::string text(static_cast<std::size_t>(header_length), '\0');
  if (!read_exact(file.fd, text.data(), text.size(), 8)) fail(path, "cannot read the header: " + errno_text());
  if (text[0] != '{') fail(path, "expected the header to start with '{', got another byte (not a safetensors file?)");

  auto result = std::shared_ptr<SafetensorsFile>(new SafetensorsFile());
  result->path_ = path;
  result->file_size_ = static_cast<std::size_t>(size);
  const std::uint64_t data_start = 8 + header_length;
  auto entries = parse_header(path, text, size - data_start, result->metadata_);

  // Private writable mapping: tensors may alias it, and a write to one copies the page instead of
  // touching the file. Pages are only read in when a tensor is used.
  void* mapping = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ | PROT_WRITE, MAP_PRIVATE, file.fd, 0);
  result->writable_ = mapping != MAP_FAILED;
  // A writable private mapping is charged against the commit limit; a file larger than
  // memory may be refused one, and then gets a read-only mapping whose tensors are copied.
  if (mapping == MAP_FAILED) mapping = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_PRIVATE, file.fd, 0);
  if (mapping == MAP_FAILED) fail(path, "cannot map the file: " + errno_text());
  result->mapping_ = mapping;
  const auto* base = static_cast<const std::uint8_t*>(mapping) + data_start;
  for (auto& entry : entries) {
    TensorRecord record;
    record.name = entry.name;
    record.dtype = entry.dtype;
    record.shape = std::move(entry.shape);
    record.data = base + entry.begin;
    record.nbytes = static_cast<std::size_t>(entry.end - entry.begin);
    record.file = path;
    result->tensors_.emplace(entry.name, std::move(record));
  }
  return result;
}

void SafetensorsFile::release_pages(const std::uint8_t* data, std::size_t nbytes) const {
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + page - 1) / page * page;
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + nbytes) / page * page;
  // Advice only: a failure leaves the pages resident, which is never wrong.
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_) ::munmap(mapping_, file_size_);
}

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata, bool sparse) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  std::vector<std::size_t> sizes;
  for (const auto& tensor : tensors) {
    std::size_t nbytes = 0;
    if (!byte_size(tensor.shape, dtype_size(tensor.dtype), nbytes))
      throw FileError(path + ": tensor '" + tensor.name + "': shape " + shape_to_string(tensor.shape) + " overflows");
    header[tensor.name] = {{"dtype", dtype_name(tensor.dtype)},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    sizes.push_back(nbytes);
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text.push_back(' ');
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw FileError(path + ": cannot create file: " + errno_text());
  unsigned char length_bytes[8];
  std::uint64_t length = text.size();
  for (int i = 0; i < 8; ++i) length_bytes[i] = static_cast<unsigned char>(length >> (8 * i));
  out.write(reinterpret_cast<const char*>(length_bytes), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!sparse)
    for (std::size_t i = 0; i < tensors.size(); ++i)
      if (sizes[i] > 0) out.write(static_cast<const char*>(tensors[i].data), static_cast<std::streamsize>(sizes[i]));
  out.close();
  if (!out) throw FileError(path + ": write failed: " + errno_text());
  if (sparse && ::truncate(path.c_str(), static_cast<off_t>(8 + text.size() + offset)) != 0)
    throw FileError(path + ": cannot extend to the data size: " + errno_text());
}

}  // namespace k3
