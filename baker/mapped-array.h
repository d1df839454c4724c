// An array of trivially copyable elements in a mapping of its own, with the parts of
// std::vector's interface the passes use. Its pages are anonymous memory, or a baking process's
// memory file mapped where the run left them (a dump's arena and records: gigabytes that are
// then neither copied nor written to a file and read back).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace fastboot::baker {

template <class T>
class MappedArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  MappedArray() = default;
  explicit MappedArray(std::size_t n) { resize(n); }
  MappedArray(std::initializer_list<T> items) { assign(items.begin(), items.end()); }
  MappedArray(const MappedArray& o) { assign(o.begin(), o.end()); }
  MappedArray(MappedArray&& o) noexcept { swap(o); }
  MappedArray& operator=(const MappedArray& o) {
    if (this != &o) assign(o.begin(), o.end());
    return *this;
  }
  MappedArray& operator=(std::initializer_list<T> items) {
    assign(items.begin(), items.end());
    return *this;
  }
  MappedArray& operator=(MappedArray&& o) noexcept {
    MappedArray(std::move(o)).swap(*this);
    return *this;
  }
  ~MappedArray() { release(); }

  // Pieces of the file `fd` laid out in one array of `count` elements, each piece's pages
  // mapped shared at its place (writes go to the file, which the caller owns alone), the rest
  // zero. A piece's file offset and place must be multiples of the page size, and the pages a
  // piece spans must not reach the next piece's place; nothing otherwise. The mapping outlives
  // the descriptor. Its capacity is larger than count: fresh pages follow the file's.
  struct Piece {
    std::uint64_t file_offset;
    std::size_t at, bytes;  // byte offsets in the array
  };
  static std::optional<MappedArray> map_file(int fd, const std::vector<Piece>& pieces, std::size_t count) {
    MappedArray a;
    if (count == 0) return a;
    const std::size_t page = page_size(), bytes = page_up(count * sizeof(T));
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      const Piece& p = pieces[i];
      std::size_t next = i + 1 < pieces.size() ? pieces[i + 1].at : bytes;
      if (p.file_offset % page || p.at % page || p.bytes == 0 || p.at + page_up(p.bytes) > next) return std::nullopt;
    }
    // Room to grow in place past the file's pages (fresh zero pages, address space only until
    // written): a pass that appends a little (vtable copies) would otherwise copy the whole array
    // into anonymous memory, and hold both.
    const std::size_t room = page_up(bytes / 8) + (std::size_t(2) << 20);
    void* base = mmap(nullptr, bytes + room, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) return std::nullopt;
    a.data_ = static_cast<T*>(base);
    a.size_ = count;
    a.mapped_ = bytes + room;
    a.shared_ = true;
    for (const Piece& p : pieces)
      if (mmap(static_cast<char*>(base) + p.at, page_up(p.bytes), PROT_READ | PROT_WRITE,
               MAP_SHARED | MAP_FIXED, fd, off_t(p.file_offset)) == MAP_FAILED)
        return std::nullopt;
    return a;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }

  void swap(MappedArray& o) noexcept {
    std::swap(data_, o.data_), std::swap(size_, o.size_), std::swap(mapped_, o.mapped_);
    std::swap(shared_, o.shared_);
  }
  // Gives the memory back at once.
  void release() {
    if (data_) munmap(data_, mapped_);
    data_ = nullptr, size_ = 0, mapped_ = 0, shared_ = false;
  }

  // New elements are value-initialized (zero bytes), as std::vector's.
  void resize(std::size_t n, const T& value = T()) {
    std::size_t written = capacity();  // elements that may hold old bytes; fresh pages are zero
    if (n > written) {
      grow(n);  // copies the elements, and the rest is fresh
      written = size_;
    }
    if (n > size_) {
      static const T zero{};
      if (std::memcmp(&value, &zero, sizeof(T)) == 0)
        std::memset(static_cast<void*>(data_ + size_), 0, (std::min(n, written) - std::min(size_, written)) * sizeof(T));
      else
        for (std::size_t i = size_; i < n; ++i) data_[i] = value;
    }
    size_ = n;
  }
  // Gives back the whole pages past the last element (a file's pages too: the file is the
  // array's alone).
  void shrink_to_fit() {
    std::size_t keep = page_up(size_ * sizeof(T));
    if (keep >= mapped_) return;
    char* tail = reinterpret_cast<char*>(data_) + keep;
    if (!shared_ || madvise(tail, mapped_ - keep, MADV_REMOVE) != 0) madvise(tail, mapped_ - keep, MADV_DONTNEED);
  }
  // Gives back the whole pages that lie inside elements [from, to): they read as zeros after
  // (a file's pages too: the file is the array's alone).
  void discard(std::size_t from, std::size_t to) {
    const std::size_t page = page_size();
    std::size_t lo = page_up(from * sizeof(T)), hi = std::min(to * sizeof(T), mapped_) / page * page;
    if (!data_ || lo >= hi) return;
    char* at = reinterpret_cast<char*>(data_) + lo;
    if (!shared_ || madvise(at, hi - lo, MADV_REMOVE) != 0) madvise(at, hi - lo, MADV_DONTNEED);
  }
  void push_back(const T& v) {
    if (size_ == capacity()) grow(size_ + 1);
    data_[size_++] = v;
  }
  void assign(std::size_t n, const T& value) {
    MappedArray fresh;
    fresh.resize(n, value);
    swap(fresh);
  }
  template <class It>
    requires(!std::is_integral_v<It>)
  void assign(It first, It last) {
    std::size_t n = std::size_t(last - first);
    MappedArray fresh;
    fresh.grow(n);
    std::copy(first, last, fresh.data_);
    fresh.size_ = n;
    swap(fresh);
  }

 private:
  static std::size_t page_size() { return std::size_t(sysconf(_SC_PAGESIZE)); }
  static std::size_t page_up(std::size_t bytes) { return (bytes + page_size() - 1) / page_size() * page_size(); }
  std::size_t capacity() const { return mapped_ / sizeof(T); }

  // Room for at least n elements, in anonymous memory (a file's mapping is never extended: what
  // lies past it in the file is not this array's).
  void grow(std::size_t n) {
    std::size_t bytes = page_up(std::max(n * sizeof(T), mapped_ + mapped_ / 2));
    void* p = anonymous(bytes);
    if (data_) {
      std::memcpy(p, data_, size_ * sizeof(T));
      munmap(data_, mapped_);
    }
    data_ = static_cast<T*>(p);
    mapped_ = bytes;
    shared_ = false;
  }

  // Anonymous memory in huge pages where it is large (as the baker's own heap, see
  // huge-pages.h): the passes touch gigabytes, and a fault per 4 KiB page costs more than the
  // work on it.
  static void* anonymous(std::size_t bytes) {
    constexpr std::size_t kHuge = std::size_t(2) << 20;
    if (bytes < kHuge) {
      void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      return p;
    }
    void* p = mmap(nullptr, bytes + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    char* start = static_cast<char*>(p);
    char* aligned = reinterpret_cast<char*>((reinterpret_cast<std::uintptr_t>(start) + kHuge - 1) & ~(kHuge - 1));
    if (aligned > start) munmap(start, std::size_t(aligned - start));
    std::size_t tail = std::size_t(start + bytes + kHuge - (aligned + bytes));
    if (tail) munmap(aligned + bytes, tail);
    madvise(aligned, bytes, MADV_HUGEPAGE);
    return aligned;
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t mapped_ = 0;  // bytes
  bool shared_ = false;     // a file's pages, in one mapping or several
};

}  // namespace fastboot::baker
