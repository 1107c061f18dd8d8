#include "retrieval/internal/atomic_file.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace rg::retrieval::internal {

bool write_file_atomic(const std::filesystem::path& path, const void* data, std::size_t size,
                       std::string* error) {
  static std::atomic<unsigned long> counter{0};
  auto fail = [&](const std::string& what, int err) {
    if (error) *error = what + " " + path.string() + ": " + std::strerror(err);
    return false;
  };
  std::error_code ec;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return fail("cannot create the folder of", ec.value());
  }
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return fail("cannot write", errno);
  bool ok = size == 0 || std::fwrite(data, 1, size, f) == size;
  int err = errno;
  ok = ok && std::fflush(f) == 0;
  if (ok && ::fsync(fileno(f)) != 0) ok = false;
  if (!ok) err = errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    std::filesystem::remove(tmp, ec);
    return fail("cannot write", err);
  }
  return true;
}

bool read_file(const std::filesystem::path& path, std::vector<unsigned char>* out) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  out->clear();
  std::error_code ec;
  const auto expected = std::filesystem::file_size(path, ec);
  if (!ec) out->reserve(static_cast<std::size_t>(expected));
  unsigned char buf[1 << 16];
  bool ok = true;
  for (;;) {
    const std::size_t got = std::fread(buf, 1, sizeof buf, f);
    out->insert(out->end(), buf, buf + got);
    if (got < sizeof buf) {
      ok = !std::ferror(f);
      break;
    }
  }
  std::fclose(f);
  return ok;
}

}  // namespace rg::retrieval::internal
