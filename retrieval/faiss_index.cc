#include "retrieval/faiss_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/HNSW.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/utils/Heap.h>
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <random>

namespace rg::retrieval {
namespace {

constexpr const char* kKnownSpecs = "'', auto, auto:<n>, Flat, HNSW<M>; params efSearch=, efConstruction=, M=";

// Copies `src` into `dst` scaled to unit length (zero stays zero). Ours, not
// faiss::fvec_renorm_L2, which opens an OpenMP team even for one row.
void copy_normalized(const float* src, std::size_t d, float* dst) {
  double norm2 = 0.0;
  for (std::size_t k = 0; k < d; ++k) norm2 += static_cast<double>(src[k]) * src[k];
  const float inv = norm2 > 0.0 ? static_cast<float>(1.0 / std::sqrt(norm2)) : 0.0f;
  for (std::size_t k = 0; k < d; ++k) dst[k] = src[k] * inv;
}

std::vector<float> normalized_rows(std::size_t n, std::size_t d, const float* x) {
  std::vector<float> out(n * d);
  for (std::size_t i = 0; i < n; ++i) copy_normalized(x + i * d, d, out.data() + i * d);
  return out;
}

// The contract's order: cosine descending, ties by lower id.
void sort_neighbors(std::vector<Neighbor>& v) {
  std::sort(v.begin(), v.end(), [](const Neighbor& a, const Neighbor& b) {
    return a.cosine != b.cosine ? a.cosine > b.cosine : a.id < b.id;
  });
}

float clamp_cos(float c) { return std::clamp(c, -1.0f, 1.0f); }

// ---- inner products. Debian's libfaiss 1.7.3 is built without SIMD: its
// fvec_inner_product is the scalar reference loop (one dependent add per
// element, about 1.2 GFLOP/s here), which made exact scans run at a fifth of
// memory bandwidth and HNSW builds take 20 s per 10k 384-d vectors. So the
// distance arithmetic is ours (AVX2+FMA when the CPU has it, else a loop with
// 8 independent sums that SSE2 vectorises); FAISS keeps the storage, the HNSW
// graph and its insertion/search algorithms, and the file format.

using DotFn = float (*)(const float*, const float*, std::size_t);

float dot_generic(const float* a, const float* b, std::size_t d) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t j = 0;
  for (; j + 8 <= d; j += 8) {
    for (std::size_t l = 0; l < 8; ++l) acc[l] += a[j + l] * b[j + l];
  }
  float tail = 0.0f;
  for (; j < d; ++j) tail += a[j] * b[j];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail;
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, std::size_t d) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  std::size_t j = 0;
  for (; j + 32 <= d; j += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 16), _mm256_loadu_ps(b + j + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 24), _mm256_loadu_ps(b + j + 24), s3);
  }
  for (; j + 8 <= d; j += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0);
  const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
  float r = _mm_cvtss_f32(h);
  for (; j < d; ++j) r += a[j] * b[j];
  return r;
}
#endif

DotFn pick_dot() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return dot_avx2;
#endif
  return dot_generic;
}

DotFn dot_fn() {
  static const DotFn fn = pick_dot();
  return fn;
}

// The contract's order as a "less" for heaps: a ranks before b.
bool ranks_before(const Neighbor& a, const Neighbor& b) {
  return a.cosine != b.cosine ? a.cosine > b.cosine : a.id < b.id;
}

// Exact top-k of one query over n rows of xb, in the contract's order. Rows
// are scanned in id order and a row replaces the current k-th only when its
// cosine is strictly larger, so among equal cosines the lower ids stay.
std::vector<Neighbor> exact_top_k(const float* xb, std::size_t n, std::size_t d, const float* q, std::size_t k) {
  const DotFn dot = dot_fn();
  std::vector<Neighbor> heap;  // the worst kept one on top
  heap.reserve(k);
  const float* row = xb;
  std::size_t i = 0;
  for (; i < n && heap.size() < k; ++i, row += d) {
    heap.push_back(Neighbor{i, dot(row, q, d)});
    std::push_heap(heap.begin(), heap.end(), ranks_before);
  }
  float worst = heap.empty() ? 0.0f : heap.front().cosine;
  for (; i < n; ++i, row += d) {
    const float c = dot(row, q, d);
    if (c > worst) {
      std::pop_heap(heap.begin(), heap.end(), ranks_before);
      heap.back() = Neighbor{i, c};
      std::push_heap(heap.begin(), heap.end(), ranks_before);
      worst = heap.front().cosine;
    }
  }
  std::sort_heap(heap.begin(), heap.end(), ranks_before);
  for (Neighbor& nb : heap) nb.cosine = std::clamp(nb.cosine, -1.0f, 1.0f);
  return heap;
}

// HNSW minimises a distance: the negated inner product against the stored
// rows (what IndexHNSW's internal NegativeDistanceComputer does, with our dot).
struct NegatedInnerProduct final : faiss::DistanceComputer {
  NegatedInnerProduct(const float* rows, std::size_t dim) : xb(rows), d(dim), dot(dot_fn()) {}
  void set_query(const float* x) override { q = x; }
  float operator()(idx_t i) override { return -dot(q, xb + static_cast<std::size_t>(i) * d, d); }
  float symmetric_dis(idx_t i, idx_t j) override {
    return -dot(xb + static_cast<std::size_t>(i) * d, xb + static_cast<std::size_t>(j) * d, d);
  }
  const float* xb;
  std::size_t d;
  DotFn dot;
  const float* q = nullptr;
};

// IndexHNSW::add (faiss' hnsw_add_vertices) with NegatedInnerProduct:
// levels drawn by the HNSW's own generator, points inserted from the highest
// level down, each level's points shuffled and inserted in parallel with
// per-node locks (HNSW::add_with_locks). `x` is already normalised.
void hnsw_add(faiss::IndexHNSWFlat& index, std::size_t n, const float* x) {
  using storage_idx_t = faiss::HNSW::storage_idx_t;
  faiss::HNSW& hnsw = index.hnsw;
  const auto n0 = static_cast<storage_idx_t>(index.ntotal);
  const std::size_t d = static_cast<std::size_t>(index.d);
  index.storage->add(static_cast<faiss::Index::idx_t>(n), x);
  index.ntotal = index.storage->ntotal;
  hnsw.prepare_level_tab(n, false);
  const float* xb = static_cast<const faiss::IndexFlat*>(index.storage)->get_xb();

  // Bucket the new points by level.
  std::vector<std::vector<storage_idx_t>> by_level;
  for (std::size_t i = 0; i < n; ++i) {
    const storage_idx_t id = n0 + static_cast<storage_idx_t>(i);
    const auto level = static_cast<std::size_t>(hnsw.levels[static_cast<std::size_t>(id)] - 1);
    if (level >= by_level.size()) by_level.resize(level + 1);
    by_level[level].push_back(id);
  }
  const auto ntotal = static_cast<std::size_t>(index.ntotal);
  std::vector<omp_lock_t> locks(ntotal);
  for (omp_lock_t& l : locks) omp_init_lock(&l);
  std::mt19937 rng(789);
  for (std::size_t level = by_level.size(); level-- > 0;) {
    std::vector<storage_idx_t>& ids = by_level[level];
    std::shuffle(ids.begin(), ids.end(), rng);  // no dataset-order bias
    const auto count = static_cast<std::int64_t>(ids.size());
#pragma omp parallel if (count > 100)
    {
      faiss::VisitedTable vt(static_cast<int>(ntotal));
      NegatedInnerProduct dis(xb, d);
#pragma omp for schedule(dynamic, 16)
      for (std::int64_t i = 0; i < count; ++i) {
        const storage_idx_t id = ids[static_cast<std::size_t>(i)];
        dis.set_query(xb + static_cast<std::size_t>(id) * d);
        hnsw.add_with_locks(dis, static_cast<int>(level), id, locks, vt);
      }
    }
  }
  for (omp_lock_t& l : locks) omp_destroy_lock(&l);
}

// Reads serialized bytes in place (faiss::VectorIOReader would copy them).
struct SpanReader final : faiss::IOReader {
  SpanReader(const std::uint8_t* d, std::size_t n) : data(d), size(n) {}
  size_t operator()(void* ptr, size_t item_size, size_t nitems) override {
    if (item_size == 0 || nitems == 0) return 0;
    const std::size_t left = (size - pos) / item_size;
    const std::size_t take = std::min(left, nitems);
    if (take == 0) return 0;  // also keeps memcpy away from a null `data` (empty input)
    std::memcpy(ptr, data + pos, take * item_size);
    pos += take * item_size;
    return take;
  }
  const std::uint8_t* data;
  std::size_t size;
  std::size_t pos = 0;
};

bool parse_positive(std::string_view s, std::size_t* out) {
  if (s.empty()) return false;
  std::size_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v == 0) return false;
  *out = v;
  return true;
}

bool parse_int_param(std::string_view s, int min, int* out) {
  std::size_t v = 0;
  if (!parse_positive(s, &v) || v > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      static_cast<int>(v) < min) {
    return false;
  }
  *out = static_cast<int>(v);
  return true;
}

}  // namespace

// ------------------------------------------------------------------ config

std::optional<FaissIndex::Config> FaissIndex::parse(std::string_view spec, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<Config> {
    if (error) {
      *error = "unknown vector index '" + std::string(spec) + "'" + (why.empty() ? "" : ": " + why) +
               " (known: " + kKnownSpecs + ")";
    }
    return std::nullopt;
  };
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t comma = spec.find(',', start);
    parts.push_back(spec.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  Config c;
  const std::string_view base = parts.front();
  if (base.empty() || base == "auto") {
    c.kind = Kind::kAuto;
  } else if (base.substr(0, 5) == "auto:") {
    c.kind = Kind::kAuto;
    if (!parse_positive(base.substr(5), &c.auto_threshold)) return fail("bad threshold");
  } else if (base == "Flat") {
    c.kind = Kind::kFlat;
  } else if (base.substr(0, 4) == "HNSW") {
    c.kind = Kind::kHnsw;
    if (!parse_int_param(base.substr(4), 2, &c.hnsw.m)) return fail("HNSW<M> needs M >= 2");
  } else {
    return fail("");
  }
  if (base.empty() && parts.size() > 1) return fail("params need a base");
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string_view p = parts[i];
    if (c.kind == Kind::kFlat) return fail("Flat takes no params");
    const std::size_t eq = p.find('=');
    if (eq == std::string_view::npos) return fail("param '" + std::string(p) + "' is not name=value");
    const std::string_view name = p.substr(0, eq), value = p.substr(eq + 1);
    bool ok = false;
    if (name == "efSearch") {
      ok = parse_int_param(value, 1, &c.hnsw.ef_search);
    } else if (name == "efConstruction") {
      ok = parse_int_param(value, 1, &c.hnsw.ef_construction);
    } else if (name == "M" && c.kind == Kind::kAuto) {
      ok = parse_int_param(value, 2, &c.hnsw.m);
    } else {
      return fail("unknown param '" + std::string(name) + "'");
    }
    if (!ok) return fail("bad value for " + std::string(name));
  }
  return c;
}

std::string FaissIndex::describe(const Config& c) {
  std::string s;
  switch (c.kind) {
    case Kind::kFlat:
      return "Flat";
    case Kind::kHnsw:
      s = "HNSW" + std::to_string(c.hnsw.m);
      break;
    case Kind::kAuto:
      s = "auto:" + std::to_string(c.auto_threshold);
      if (c.hnsw.m != kDefaultHnswM) s += ",M=" + std::to_string(c.hnsw.m);
      break;
  }
  if (c.hnsw.ef_construction != kDefaultEfConstruction) {
    s += ",efConstruction=" + std::to_string(c.hnsw.ef_construction);
  }
  if (c.hnsw.ef_search != kDefaultEfSearch) s += ",efSearch=" + std::to_string(c.hnsw.ef_search);
  return s;
}

std::unique_ptr<VectorIndex> make_vector_index(std::string_view spec, std::size_t dimension,
                                               std::string* error) {
  const std::optional<FaissIndex::Config> config = FaissIndex::parse(spec, error);
  if (!config) return nullptr;
  return std::make_unique<FaissIndex>(dimension, *config);
}

// ------------------------------------------------------------------ index

struct FaissIndex::Impl {
  // Exactly one of the two is set.
  std::unique_ptr<faiss::IndexFlat> flat;      // IndexFlatIP
  std::unique_ptr<faiss::IndexHNSWFlat> hnsw;  // METRIC_INNER_PRODUCT

  // Visited tables for HNSW searches (ntotal bytes each), reused across
  // calls: one per concurrently searching thread at most.
  mutable std::mutex pool_mutex;
  mutable std::vector<std::unique_ptr<faiss::VisitedTable>> pool;

  std::unique_ptr<faiss::VisitedTable> take_table() const {
    {
      std::lock_guard<std::mutex> lock(pool_mutex);
      if (!pool.empty()) {
        auto t = std::move(pool.back());
        pool.pop_back();
        return t;
      }
    }
    return std::make_unique<faiss::VisitedTable>(static_cast<int>(hnsw->ntotal));
  }
  void give_table(std::unique_ptr<faiss::VisitedTable> t) const {
    std::lock_guard<std::mutex> lock(pool_mutex);
    pool.push_back(std::move(t));
  }

  std::size_t ntotal() const { return static_cast<std::size_t>(flat ? flat->ntotal : hnsw->ntotal); }

  const faiss::IndexFlat& storage() const {
    return flat ? *flat : static_cast<const faiss::IndexFlat&>(*hnsw->storage);
  }

  static std::unique_ptr<faiss::IndexHNSWFlat> new_hnsw(std::size_t d, const HnswParams& p) {
    auto h = std::make_unique<faiss::IndexHNSWFlat>(static_cast<int>(d), p.m, faiss::METRIC_INNER_PRODUCT);
    h->hnsw.efConstruction = p.ef_construction;
    h->hnsw.efSearch = p.ef_search;
    return h;
  }
};

FaissIndex::FaissIndex(std::size_t dimension, const Config& config)
    : dimension_(dimension), config_(config), impl_(std::make_unique<Impl>()) {
  if (config_.kind == Kind::kHnsw) {
    impl_->hnsw = Impl::new_hnsw(dimension_, config_.hnsw);
  } else {
    impl_->flat = std::make_unique<faiss::IndexFlatIP>(static_cast<faiss::Index::idx_t>(dimension_));
  }
}

FaissIndex::FaissIndex(std::size_t dimension, const Config& config, std::unique_ptr<Impl> impl)
    : dimension_(dimension), config_(config), impl_(std::move(impl)) {}

FaissIndex::~FaissIndex() = default;

std::size_t FaissIndex::size() const { return impl_->ntotal(); }

bool FaissIndex::exact() const { return impl_->flat != nullptr; }

void FaissIndex::add(std::size_t n, const float* vectors) {
  if (n == 0) return;
  const std::vector<float> x = normalized_rows(n, dimension_, vectors);
  const auto count = static_cast<faiss::Index::idx_t>(n);
  if (impl_->hnsw) {
    hnsw_add(*impl_->hnsw, n, x.data());
  } else {
    impl_->flat->add(count, x.data());
    if (config_.kind == Kind::kAuto && impl_->ntotal() > config_.auto_threshold) {
      // Crossed the threshold: the same (already normalised) vectors into HNSW.
      auto h = Impl::new_hnsw(dimension_, config_.hnsw);
      hnsw_add(*h, impl_->ntotal(), impl_->flat->get_xb());
      impl_->flat.reset();
      impl_->hnsw = std::move(h);
    }
  }
  std::lock_guard<std::mutex> lock(impl_->pool_mutex);
  impl_->pool.clear();  // visited tables are sized by ntotal
}

std::vector<Neighbor> FaissIndex::search(const float* query, std::size_t k) const {
  k = std::min(k, size());
  if (k == 0) return {};
  std::vector<float> q(dimension_);
  copy_normalized(query, dimension_, q.data());
  if (impl_->flat) return exact_top_k(impl_->flat->get_xb(), size(), dimension_, q.data(), k);
  return hnsw_search(q.data(), k);
}

// faiss::HNSW::search for one normalised query on the calling thread: no
// OpenMP team (IndexHNSW::search opens one per call), a pooled visited table.
std::vector<Neighbor> FaissIndex::hnsw_search(const float* q, std::size_t k) const {
  const faiss::IndexHNSWFlat& h = *impl_->hnsw;
  std::vector<float> dist(k);
  std::vector<std::int64_t> ids(k);
  std::unique_ptr<faiss::VisitedTable> table = impl_->take_table();
  table->advance();
  NegatedInnerProduct dis(impl_->storage().get_xb(), dimension_);
  dis.set_query(q);
  faiss::SearchParametersHNSW params;
  params.efSearch = std::max(h.hnsw.efSearch, static_cast<int>(k));
  faiss::maxheap_heapify(k, dist.data(), ids.data());
  h.hnsw.search(dis, static_cast<int>(k), ids.data(), dist.data(), *table, &params);
  faiss::maxheap_reorder(k, dist.data(), ids.data());
  impl_->give_table(std::move(table));
  std::vector<Neighbor> out;
  out.reserve(k);
  for (std::size_t i = 0; i < k; ++i) {
    if (ids[i] >= 0) out.push_back(Neighbor{static_cast<std::size_t>(ids[i]), clamp_cos(-dist[i])});
  }
  sort_neighbors(out);
  return out;
}

std::vector<std::vector<Neighbor>> FaissIndex::search_batch(std::size_t n, const float* queries,
                                                            std::size_t k) const {
  std::vector<std::vector<Neighbor>> out(n);
  k = std::min(k, size());
  if (k == 0 || n == 0) return out;
  const std::vector<float> q = normalized_rows(n, dimension_, queries);
  std::vector<float> dist(n * k);
  std::vector<std::int64_t> ids(n * k);
  const auto kk = static_cast<faiss::Index::idx_t>(k);
  const auto nn = static_cast<faiss::Index::idx_t>(n);
  if (!impl_->flat) {
    const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for schedule(dynamic, 4) if (count > 1)
    for (std::int64_t i = 0; i < count; ++i) {
      out[static_cast<std::size_t>(i)] = hnsw_search(q.data() + static_cast<std::size_t>(i) * dimension_, k);
    }
    return out;
  }
  if (n < 20) {  // FAISS's scalar path below its BLAS threshold: ours is faster
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = exact_top_k(impl_->flat->get_xb(), size(), dimension_, q.data() + i * dimension_, k);
    }
    return out;
  }
  impl_->flat->search(nn, q.data(), kk, dist.data(), ids.data());  // one OpenBLAS sgemm per block
  for (std::size_t i = 0; i < n; ++i) {
    out[i].reserve(k);
    for (std::size_t j = 0; j < k; ++j) {
      const std::int64_t id = ids[i * k + j];
      if (id >= 0) out[i].push_back(Neighbor{static_cast<std::size_t>(id), clamp_cos(dist[i * k + j])});
    }
    sort_neighbors(out[i]);
  }
  return out;
}

std::vector<float> FaissIndex::stored_vectors() const {
  const faiss::IndexFlat& s = impl_->storage();
  const float* xb = s.get_xb();
  return std::vector<float>(xb, xb + impl_->ntotal() * dimension_);
}

std::vector<std::uint8_t> FaissIndex::serialize() const {
  faiss::VectorIOWriter writer;
  if (impl_->flat) {
    faiss::write_index(impl_->flat.get(), &writer);
  } else {
    faiss::write_index(impl_->hnsw.get(), &writer);
  }
  return std::move(writer.data);
}

std::unique_ptr<FaissIndex> FaissIndex::deserialize(const std::uint8_t* data, std::size_t size,
                                                    std::size_t dimension, const Config& config,
                                                    std::string* error, bool* rebuilt) {
  if (rebuilt) *rebuilt = false;
  auto fail = [&](const std::string& why) -> std::unique_ptr<FaissIndex> {
    if (error) *error = why;
    return nullptr;
  };
  std::unique_ptr<faiss::Index> raw;
  try {
    SpanReader reader(data, size);
    raw.reset(faiss::read_index(&reader));
  } catch (const std::exception& e) {
    return fail(std::string("unreadable FAISS index: ") + e.what());
  } catch (...) {
    return fail("unreadable FAISS index");
  }
  if (!raw) return fail("unreadable FAISS index");
  if (raw->d != static_cast<faiss::Index::idx_t>(dimension)) {
    return fail("dimension " + std::to_string(raw->d) + ", expected " + std::to_string(dimension));
  }
  if (raw->metric_type != faiss::METRIC_INNER_PRODUCT) return fail("not an inner-product index");

  auto impl = std::make_unique<Impl>();
  if (auto* h = dynamic_cast<faiss::IndexHNSWFlat*>(raw.get())) {
    auto* storage = dynamic_cast<const faiss::IndexFlat*>(h->storage);
    if (!storage || storage->ntotal != h->ntotal || storage->d != h->d ||
        h->hnsw.levels.size() != static_cast<std::size_t>(h->ntotal)) {
      return fail("inconsistent HNSW index");
    }
    raw.release();
    impl->hnsw.reset(h);
  } else if (auto* f = dynamic_cast<faiss::IndexFlat*>(raw.get())) {
    raw.release();
    impl->flat.reset(f);
  } else {
    return fail("unsupported FAISS index type");
  }

  // Does the stored structure match what the config asks for at this size?
  const std::size_t n = impl->ntotal();
  bool matches = false;
  const int stored_m = impl->hnsw ? impl->hnsw->hnsw.nb_neighbors(0) / 2 : 0;
  switch (config.kind) {
    case Kind::kFlat:
      matches = impl->flat != nullptr;
      break;
    case Kind::kHnsw:
      matches = impl->hnsw && stored_m == config.hnsw.m;
      break;
    case Kind::kAuto:
      matches = n <= config.auto_threshold ? impl->flat != nullptr
                                            : impl->hnsw && stored_m == config.hnsw.m;
      break;
  }
  if (matches) {
    if (impl->hnsw) {
      impl->hnsw->hnsw.efConstruction = config.hnsw.ef_construction;
      impl->hnsw->hnsw.efSearch = config.hnsw.ef_search;
    }
    return std::unique_ptr<FaissIndex>(new FaissIndex(dimension, config, std::move(impl)));
  }
  // Rebuild the requested structure from the stored vectors.
  FaissIndex loaded(dimension, config, std::move(impl));
  const std::vector<float> vectors = loaded.stored_vectors();
  auto fresh = std::make_unique<FaissIndex>(dimension, config);
  fresh->add(n, vectors.data());
  if (rebuilt) *rebuilt = true;
  return fresh;
}

}  // namespace rg::retrieval
