// kernels/formats/mapped_file.h: not for use outside kernels/formats/. Maps a
// weights file read-only for the readers (safetensors.cc, gguf.cc), which keep
// the mapping for their lifetime and hand out views into it.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace rg::kernels::formats::internal {

// Maps `path` (PROT_READ, MAP_PRIVATE) into *data / *size and returns "";
// on failure maps nothing and returns the reason ("cannot open: ...",
// "cannot stat: ...", "cannot mmap: ..."). A file shorter than `min_size`
// is refused before mapping: "truncated file: N bytes, <too_short>".
inline std::string map_read_only(const std::string& path, std::size_t min_size, std::string_view too_short,
                                 void** data, std::size_t* size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::string("cannot open: ") + std::strerror(errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return std::string("cannot stat: ") + std::strerror(err);
  }
  const std::size_t n = static_cast<std::size_t>(st.st_size);
  if (n < min_size) {
    ::close(fd);
    return "truncated file: " + std::to_string(n) + " bytes, " + std::string(too_short);
  }
  void* m = ::mmap(nullptr, n, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);
  if (m == MAP_FAILED) return std::string("cannot mmap: ") + std::strerror(err);
  *data = m;
  *size = n;
  return "";
}

inline void unmap(void* data, std::size_t size) {
  if (data) ::munmap(data, size);
}

}  // namespace rg::kernels::formats::internal
