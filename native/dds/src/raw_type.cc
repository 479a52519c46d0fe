// The opaque-bytes sertype and serdata (see raw_type.h). Cyclone's own default serdata needs a
// generated type descriptor; rmw_cyclonedds does what this does, with ROS type support on top.
#include "raw_type.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

extern "C" {
#include "dds/ddsi/q_radmin.h"
}

namespace flux_dds {
namespace {

uint32_t align4(uint32_t n) { return (n + 3u) & ~3u; }

RawSerdata *alloc_serdata(const ddsi_sertype *type, ddsi_serdata_kind kind, uint32_t size) {
  auto *d = new (std::nothrow) RawSerdata();
  if (!d) return nullptr;
  ddsi_serdata_init(&d->c, type, kind);
  d->size = size;
  const uint32_t cap = align4(size < 4 ? 4 : size);
  d->data = static_cast<unsigned char *>(std::calloc(cap, 1));
  if (!d->data) {
    delete d;
    return nullptr;
  }
  return d;
}

// ---- serdata ops ----

bool serdata_eqkey(const ddsi_serdata *, const ddsi_serdata *) { return true; }  // keyless: one instance

uint32_t serdata_size(const ddsi_serdata *dcmn) { return reinterpret_cast<const RawSerdata *>(dcmn)->size; }

void serdata_free(ddsi_serdata *dcmn) {
  auto *d = reinterpret_cast<RawSerdata *>(dcmn);
  std::free(d->data);
  delete d;
}

// A received sample arrives as a chain of fragments (large samples span many UDP packets); each
// covers [min, maxp1) of the sample and they may overlap, so copy only what is new.
ddsi_serdata *serdata_from_ser(const ddsi_sertype *type, ddsi_serdata_kind kind, const nn_rdata *fragchain, size_t size) {
  if (size > UINT32_MAX) return nullptr;
  RawSerdata *d = alloc_serdata(type, kind, static_cast<uint32_t>(size));
  if (!d) return nullptr;
  uint32_t off = 0;
  for (const nn_rdata *f = fragchain; f != nullptr; f = f->nextfrag) {
    if (f->maxp1 > off && f->min <= off) {
      const unsigned char *payload = NN_RMSG_PAYLOADOFF(f->rmsg, NN_RDATA_PAYLOAD_OFF(f));
      uint32_t end = f->maxp1 > size ? static_cast<uint32_t>(size) : f->maxp1;
      std::memcpy(d->data + off, payload + (off - f->min), end - off);
      off = end;
    }
  }
  return &d->c;
}

ddsi_serdata *serdata_from_ser_iov(const ddsi_sertype *type, ddsi_serdata_kind kind, ddsrt_msg_iovlen_t niov, const ddsrt_iovec_t *iov, size_t size) {
  if (size > UINT32_MAX) return nullptr;
  RawSerdata *d = alloc_serdata(type, kind, static_cast<uint32_t>(size));
  if (!d) return nullptr;
  size_t off = 0;
  for (ddsrt_msg_iovlen_t i = 0; i < niov && off < size; i++) {
    size_t n = iov[i].iov_len;
    if (n > size - off) n = size - off;
    std::memcpy(d->data + off, iov[i].iov_base, n);
    off += n;
  }
  return &d->c;
}

ddsi_serdata *serdata_from_keyhash(const ddsi_sertype *type, const ddsi_keyhash *) {
  // Keyless: every key is the one instance. An empty sample with a CDR header.
  RawSerdata *d = alloc_serdata(type, SDK_KEY, 4);
  if (!d) return nullptr;
  d->data[1] = 1;
  return &d->c;
}

// Samples handed to dds_write (not used by Flux, which writes serdata) are {size, bytes}.
ddsi_serdata *serdata_from_sample(const ddsi_sertype *type, ddsi_serdata_kind kind, const void *sample) {
  const auto *s = static_cast<const ddsi_sertype_cdr_data_t *>(sample);
  RawSerdata *d = alloc_serdata(type, kind, s->sz);
  if (!d) return nullptr;
  std::memcpy(d->data, s->data, s->sz);
  return &d->c;
}

void serdata_to_ser(const ddsi_serdata *dcmn, size_t off, size_t sz, void *buf) {
  const auto *d = reinterpret_cast<const RawSerdata *>(dcmn);
  const size_t cap = align4(d->size < 4 ? 4 : d->size);
  if (off >= cap) return;
  std::memcpy(buf, d->data + off, off + sz > cap ? cap - off : sz);
}

ddsi_serdata *serdata_to_ser_ref(const ddsi_serdata *dcmn, size_t off, size_t sz, ddsrt_iovec_t *ref) {
  const auto *d = reinterpret_cast<const RawSerdata *>(dcmn);
  ref->iov_base = d->data + off;
  ref->iov_len = static_cast<ddsrt_iov_len_t>(sz);
  return ddsi_serdata_ref(dcmn);
}

void serdata_to_ser_unref(ddsi_serdata *dcmn, const ddsrt_iovec_t *) { ddsi_serdata_unref(dcmn); }

bool serdata_to_sample(const ddsi_serdata *dcmn, void *sample, void **, void *) {
  const auto *d = reinterpret_cast<const RawSerdata *>(dcmn);
  auto *s = static_cast<ddsi_sertype_cdr_data_t *>(sample);
  auto *copy = static_cast<uint8_t *>(std::malloc(d->size ? d->size : 1));
  if (!copy) return false;
  std::memcpy(copy, d->data, d->size);
  std::free(s->data);
  s->data = copy;
  s->sz = d->size;
  return true;
}

// The key of a sample (kept in Cyclone's instance map for the life of the instance): keyless, so an
// empty key-only serdata, never the sample itself (which could be 16 MiB), and with no type, as an
// untyped serdata may outlive its topic's type.
ddsi_serdata *serdata_to_untyped(const ddsi_serdata *dcmn) {
  RawSerdata *d = alloc_serdata(dcmn->type, SDK_KEY, 4);
  if (!d) return nullptr;
  d->data[1] = 1;
  d->c.type = nullptr;
  return &d->c;
}

bool serdata_untyped_to_sample(const ddsi_sertype *, const ddsi_serdata *, void *, void **, void *) { return true; }

size_t serdata_print(const ddsi_sertype *, const ddsi_serdata *dcmn, char *buf, size_t size) {
  const auto *d = reinterpret_cast<const RawSerdata *>(dcmn);
  return static_cast<size_t>(std::snprintf(buf, size, "(%u bytes of CDR)", d->size));
}

void serdata_get_keyhash(const ddsi_serdata *, ddsi_keyhash *buf, bool) { std::memset(buf->value, 0, sizeof(buf->value)); }

const ddsi_serdata_ops raw_serdata_ops = {
    serdata_eqkey,
    serdata_size,
    serdata_from_ser,
    serdata_from_ser_iov,
    serdata_from_keyhash,
    serdata_from_sample,
    serdata_to_ser,
    serdata_to_ser_ref,
    serdata_to_ser_unref,
    serdata_to_sample,
    serdata_to_untyped,
    serdata_untyped_to_sample,
    serdata_free,
    serdata_print,
    serdata_get_keyhash,
#ifdef DDS_HAS_SHM
    nullptr,
    nullptr,
#endif
};

// ---- sertype ops ----

void sertype_free(ddsi_sertype *tp) {
  ddsi_sertype_fini(tp);
  delete tp;
}

void sertype_zero_samples(const ddsi_sertype *, void *samples, size_t count) {
  std::memset(samples, 0, count * sizeof(ddsi_sertype_cdr_data_t));
}

void sertype_realloc_samples(void **ptrs, const ddsi_sertype *, void *old, size_t oldcount, size_t count) {
  auto *p = static_cast<ddsi_sertype_cdr_data_t *>(std::realloc(old, count * sizeof(ddsi_sertype_cdr_data_t)));
  if (p && count > oldcount) std::memset(p + oldcount, 0, (count - oldcount) * sizeof(ddsi_sertype_cdr_data_t));
  for (size_t i = 0; i < count; i++) ptrs[i] = p ? &p[i] : nullptr;
}

void sertype_free_samples(const ddsi_sertype *, void **ptrs, size_t count, dds_free_op_t op) {
  if (count == 0) return;
  auto *first = static_cast<ddsi_sertype_cdr_data_t *>(ptrs[0]);
  if (op & DDS_FREE_CONTENTS_BIT)
    for (size_t i = 0; i < count; i++) {
      auto *s = static_cast<ddsi_sertype_cdr_data_t *>(ptrs[i]);
      std::free(s->data);
      s->data = nullptr;
      s->sz = 0;
    }
  if (op & DDS_FREE_ALL_BIT) std::free(first);
}

// Two raw sertypes with the same type name are the same type (the name is compared by Cyclone).
bool sertype_equal(const ddsi_sertype *, const ddsi_sertype *) { return true; }
uint32_t sertype_hash(const ddsi_sertype *) { return 0x464c5558u; }  // "FLUX"

size_t sertype_serialized_size(const ddsi_sertype *, const void *sample) {
  return static_cast<const ddsi_sertype_cdr_data_t *>(sample)->sz;
}

bool sertype_serialize_into(const ddsi_sertype *, const void *sample, void *dst, size_t dst_size) {
  const auto *s = static_cast<const ddsi_sertype_cdr_data_t *>(sample);
  if (dst_size < s->sz) return false;
  std::memcpy(dst, s->data, s->sz);
  return true;
}

const ddsi_sertype_ops raw_sertype_ops = {
    ddsi_sertype_v0,
    nullptr,
    sertype_free,
    sertype_zero_samples,
    sertype_realloc_samples,
    sertype_free_samples,
    sertype_equal,
    sertype_hash,
    nullptr,  // type_id: no XTypes type information; ROS 2 peers match on the type name
    nullptr,  // type_map
    nullptr,  // type_info
    nullptr,  // derive_sertype
    sertype_serialized_size,
    sertype_serialize_into,
};

}  // namespace

ddsi_sertype *make_raw_sertype(const char *type_name) {
  auto *st = new ddsi_sertype();
  ddsi_sertype_init_flags(st, type_name, &raw_sertype_ops, &raw_serdata_ops, DDSI_SERTYPE_FLAG_TOPICKIND_NO_KEY);
  // XCDR1 only, as ROS 2 (rmw_cyclonedds) writes and reads.
  st->allowed_data_representation = DDS_DATA_REPRESENTATION_FLAG_XCDR1;
  return st;
}

RawSerdata *make_raw_serdata(const ddsi_sertype *type, const unsigned char *bytes, uint32_t size) {
  RawSerdata *d = alloc_serdata(type, SDK_DATA, size);
  if (d) std::memcpy(d->data, bytes, size);
  return d;
}

}  // namespace flux_dds
