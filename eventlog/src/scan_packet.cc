// One chunk packet walked on the wire into ScanRecords (scan.h): the
// protobuf encoding of proto/nestrr.proto read field by field, every read
// bounded by its field, with no message object per record. The column
// rules are those of ExitColumns (and of chunk_events.cc, which builds
// messages from the same columns).
#include "nestrr/eventlog/scan.h"

#include "wire.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace nestrr::eventlog {
namespace {

using namespace wire;  // field numbers and the bounded reader

int64_t unzigzag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

// Decoding writes each record in place, its fields one by one (a copy of
// a record built elsewhere would reload its fresh stores at another width).
bool scan_record(std::string_view bytes, ScanRecord* out, int64_t* dt, uint64_t* prev_rip) {
  Wire w(bytes);
  out->kind = 0;
  out->bytes = bytes;
  while (!w.done()) {
    uint64_t key;
    if (!w.varint(&key)) return false;
    const uint32_t field = static_cast<uint32_t>(key >> 3), wt = key & 7;
    if (field == kRecordDt && wt == 0) {
      uint64_t v;
      if (!w.varint(&v)) return false;
      *dt = unzigzag(v);
    } else if (wt == 2 && field >= 2 && field < 64) {
      std::string_view body;
      if (!w.bytes(&body)) return false;
      out->kind = field;
      if (field != kRecordVmExit) continue;
      Wire e(body);
      int64_t delta = 0;
      while (!e.done()) {
        uint64_t k, v;
        if (!e.varint(&k)) return false;
        if ((k & 7) != 0) {
          if (!e.skip(k & 7)) return false;
          continue;
        }
        if (!e.varint(&v)) return false;
        switch (k >> 3) {
          case kExitReason: out->reason = static_cast<uint32_t>(v); break;
          case kExitRipDelta: delta = unzigzag(v); break;
          case kExitQualification: out->qualification = v; break;
          case kExitFromL2: out->from_l2 = v != 0; break;
          default: break;
        }
      }
      *prev_rip += static_cast<uint64_t>(delta);
      out->guest_rip = *prev_rip;
      out->bytes = {};
    } else if (!w.skip(wt)) {
      return false;
    }
  }
  return true;
}

// A move-to-front list of 7 values (ExitColumns' recent reasons, their
// qualifications, recent RIPs), an eighth place padding it to whole SSE
// registers. Moving the entry at k to the front shifts the k before it one
// place back; how far is the data's choice, so a loop over it mispredicts
// on nearly every exit (half of the packet walk's time). With SSE2 every
// place is written instead, each register shifted up by one value (the
// last value of the register below carried in), and every place kept or
// shifted by a mask chosen by k: no branch.
template <typename T>
struct MtfList {
  alignas(16) T v[8] = {};
  T operator[](uint32_t k) const { return v[k]; }
  void move_to_front(uint32_t k, T value) {
#ifdef __SSE2__
    constexpr int kRegisters = static_cast<int>(sizeof v / 16);
    auto* t = reinterpret_cast<__m128i*>(v);
    const auto* keep = reinterpret_cast<const __m128i*>(kKeep.row[k]);
    // The register below register 0: the new value in its top place.
    __m128i below;
    if constexpr (sizeof(T) == 8)
      below = _mm_slli_si128(_mm_cvtsi64_si128(static_cast<int64_t>(value)), 8);
    else
      below = _mm_slli_si128(_mm_cvtsi32_si128(static_cast<int>(value)), 16 - sizeof(T));
#pragma GCC unroll 4
    for (int i = 0; i < kRegisters; ++i) {
      const __m128i old = _mm_load_si128(t + i);
      __m128i shifted;  // one place up, the top place of `below` carried in
      if constexpr (sizeof(T) == 8)
        shifted = _mm_castpd_si128(_mm_shuffle_pd(_mm_castsi128_pd(below), _mm_castsi128_pd(old), 1));
      else
        shifted = _mm_or_si128(_mm_slli_si128(old, sizeof(T)), _mm_srli_si128(below, 16 - sizeof(T)));
      below = old;
      const __m128i mask = _mm_load_si128(keep + i);
      _mm_store_si128(t + i, _mm_or_si128(_mm_and_si128(mask, old), _mm_andnot_si128(mask, shifted)));
    }
#else
    for (; k > 0; --k) v[k] = v[k - 1];
    v[0] = value;
#endif
  }

 private:
  // row[k][j]: all ones where place j keeps its value (j > k).
  struct KeepRows {
    alignas(16) T row[7][8];
  };
  static constexpr KeepRows kKeep = [] {
    KeepRows r{};
    for (uint32_t k = 0; k < 7; ++k)
      for (uint32_t j = 0; j < 8; ++j) r.row[k][j] = j > k ? static_cast<T>(~T{0}) : T{0};
    return r;
  }();
};

// The exit columns, read the writer's way (ExitColumns).
struct Columns {
  std::string_view head;
  Wire dt{std::string_view()}, reason{std::string_view()}, rip{std::string_view()},
      qual{std::string_view()};
  uint32_t nreasons = 0, nrips = 0;
  // The last 7 distinct reasons (with each one's last qualification) and
  // RIPs, most recent first; an eighth place pads each to 16-byte pairs.
  MtfList<uint32_t> reasons;
  MtfList<uint64_t> quals, rips;
  size_t next = 0;

  bool parse(std::string_view body) {
    Wire w(body);
    while (!w.done()) {
      uint64_t key;
      std::string_view s;
      if (!w.varint(&key)) return false;
      if ((key & 7) != 2) {
        if (!w.skip(key & 7)) return false;
        continue;
      }
      if (!w.bytes(&s)) return false;
      switch (key >> 3) {
        case kColsHead: head = s; break;
        case kColsDt: dt = Wire(s); break;
        case kColsReason: reason = Wire(s); break;
        case kColsRip: rip = Wire(s); break;
        case kColsQual: qual = Wire(s); break;
        default: break;
      }
    }
    return true;
  }

  bool take(ScanRecord* out, int64_t* dt_out, uint64_t* prev_rip) {
    if (next >= head.size()) return false;
    const uint8_t h = static_cast<uint8_t>(head[next++]);
    const uint32_t r = (h >> 2) & 7u, p = (h >> 5) & 7u;
    uint64_t v;
    if (!dt.varint(&v)) return false;
    *dt_out = unzigzag(v);
    uint32_t reason_v;
    if (r == 7) {
      if (!reason.varint(&v)) return false;
      reason_v = static_cast<uint32_t>(v);
    } else if (r < nreasons) {
      reason_v = reasons[r];
    } else {
      return false;
    }
    const uint64_t last = r < 7 ? quals[r] : 0;
    uint64_t q = last;
    if (!(h & 2u)) {
      if (!qual.varint(&v)) return false;
      q = last + static_cast<uint64_t>(unzigzag(v));
    }
    uint64_t rip_v;
    if (p == 7) {
      if (!rip.varint(&v)) return false;
      rip_v = *prev_rip + static_cast<uint64_t>(unzigzag(v));
    } else if (p < nrips) {
      rip_v = rips[p];
    } else {
      return false;
    }
    const uint32_t kr = r < 7 ? r : (nreasons < 7 ? nreasons++ : 6);
    reasons.move_to_front(kr, reason_v);
    quals.move_to_front(kr, q);
    rips.move_to_front(p < 7 ? p : (nrips < 7 ? nrips++ : 6), rip_v);
    *prev_rip = rip_v;
    out->kind = kRecordVmExit;
    out->reason = reason_v;
    out->qualification = q;
    out->guest_rip = rip_v;
    out->from_l2 = h & 1u;
    out->bytes = {};
    return true;
  }
  bool all_read() const {
    return next == head.size() && dt.done() && reason.done() && rip.done() && qual.done();
  }
};

}  // namespace

bool scan_packet(std::string_view payload, std::vector<ScanRecord>* out, PacketParts* parts,
                 std::string* why) {
  Wire w(payload);
  uint64_t cpu = 0, first_seq = 0, tsc_base = 0, shift = 0;
  thread_local std::vector<std::string_view> records;
  records.clear();
  std::string_view exits_body, order_body;
  bool has_exits = false, has_order = false;
  *parts = PacketParts{};
  while (!w.done()) {
    uint64_t key;
    if (!w.varint(&key)) return (*why = "a field's key runs past the packet", false);
    const uint32_t field = static_cast<uint32_t>(key >> 3), wt = key & 7;
    uint64_t v;
    std::string_view s;
    if (wt == 0 && (field == kPacketCpu || field == kPacketFirstSeq || field == kPacketTscBase ||
                    field == kPacketDtShift)) {
      if (!w.varint(&v)) return (*why = "a varint runs past the packet", false);
      if (field == kPacketCpu) cpu = v, parts->chunk = true;
      if (field == kPacketFirstSeq) first_seq = v;
      if (field == kPacketTscBase) tsc_base = v;
      if (field == kPacketDtShift) shift = v;
      continue;
    }
    if (wt == 2) {
      if (!w.bytes(&s)) return (*why = "a field's length runs past the packet", false);
      switch (field) {
        case kPacketRecord: records.push_back(s); break;
        case kPacketHeader: parts->header = true; break;
        case kPacketTrailer: parts->trailer = true; break;
        case kPacketKeyFrame: parts->key_frame = true; break;
        case kPacketExits: exits_body = s, has_exits = true; break;
        case kPacketOrder: order_body = s, has_order = true; break;
        default: break;
      }
      continue;
    }
    if (!w.skip(wt)) return (*why = "a field runs past the packet", false);
  }
  if (records.empty() && !has_exits) return true;
  if (shift > 32) return (*why = "dt_shift " + std::to_string(shift) + " (at most 32)", false);
  const size_t before = out->size();
  auto fail = [&](std::string text) {
    out->resize(before);
    *why = std::move(text);
    return false;
  };
  uint64_t tsc = tsc_base, seq = first_seq, prev_rip = 0;
  // A record in place at the end of `out`; its seq and TSC once decoded.
  auto slot = [&]() -> ScanRecord& {
    ScanRecord& r = out->emplace_back();
    r.cpu = static_cast<uint32_t>(cpu);
    r.seq = seq++;
    return r;
  };
  auto stamp = [&](ScanRecord& r, int64_t dt) {
    tsc += static_cast<uint64_t>(dt) << shift;
    r.tsc = tsc;
  };
  int64_t dt = 0;
  if (!has_exits && !has_order) {
    for (std::string_view rec : records) {
      ScanRecord& r = slot();
      dt = 0;
      if (!scan_record(rec, &r, &dt, &prev_rip)) return fail("a record does not decode");
      stamp(r, dt);
    }
    return true;
  }
  Columns cols;
  if (!cols.parse(exits_body)) return fail("the exit columns do not decode");
  Wire order(order_body);
  size_t next_record = 0;
  out->reserve(before + cols.head.size() + records.size());
  for (bool exits_run = true; !order.done(); exits_run = !exits_run) {
    uint64_t run;
    if (!order.varint(&run)) return fail("the order runs do not decode");
    if (run > cols.head.size() + records.size()) return fail("an order run longer than the chunk");
    for (uint64_t k = 0; k < run; ++k) {
      ScanRecord& r = slot();
      dt = 0;
      if (exits_run) {
        if (!cols.take(&r, &dt, &prev_rip)) return fail("the exit columns run out or contradict their heads");
      } else {
        if (next_record >= records.size()) return fail("the order runs count more records than the chunk has");
        if (!scan_record(records[next_record++], &r, &dt, &prev_rip)) return fail("a record does not decode");
      }
      stamp(r, dt);
    }
  }
  if (next_record != records.size()) return fail("the order runs count fewer records than the chunk has");
  if (!cols.all_read()) return fail("the exit columns are longer than their exits");
  return true;
}

nestrr::v1::Record ScanRecord::record() const {
  nestrr::v1::Record r;
  if (kind == kRecordVmExit) {
    auto* e = r.mutable_vm_exit();
    e->set_reason(reason);
    e->set_guest_rip_delta(static_cast<int64_t>(guest_rip));
    e->set_qualification(qualification);
    e->set_from_l2(from_l2);
  } else {
    r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  }
  r.clear_dt();
  return r;
}

}  // namespace nestrr::eventlog
