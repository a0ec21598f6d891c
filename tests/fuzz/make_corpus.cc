// Writes the seed corpora of the fuzz targets, small and made by our own
// writers: tests/fuzz/corpus (streams: a clean log, NMIs and a quiesce, CRLF
// and console text, damage; read by the log reader and the serial
// extractor), tests/fuzz/packet_corpus (lists of packet payloads, each a
// 2-byte little-endian length and the bytes, for the frame decoder and the
// scanner; among them the hypervisor logger's format 4, exits in columns)
// and tests/fuzz/chunk_corpus (single chunk payloads of that logger, for
// the packed-column decoder).
// (Not .nrr: captured logs are ignored by git, seeds are not.)
//   make_fuzz_corpus tests/fuzz
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "nestrr/eventlog/chunk_events.h"
#include "nestrr/eventlog/writer.h"
#include "nestrr/logger.h"

using namespace nestrr::eventlog;
using nestrr::v1::Packet;
using nestrr::v1::Record;

static nestrr::v1::Header make_header(uint32_t version = 2) {
  nestrr::v1::Header h;
  h.set_format_version(version);
  h.set_cpu_count(2);
  h.set_tsc_hz(2'000'000'000);
  h.set_description("seed");
  return h;
}

static void save(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// The frame decoder's input: payloads, each with its 2-byte length.
static std::string packets(const std::vector<Packet>& list) {
  std::string out;
  for (const auto& p : list) {
    const std::string b = p.SerializeAsString();
    out += static_cast<char>(b.size() & 0xff);
    out += static_cast<char>(b.size() >> 8);
    out += b;
  }
  return out;
}

static Packet chunk(uint32_t cpu, uint64_t first_seq, std::vector<Record> records) {
  Packet p;
  p.set_cpu(cpu);
  p.set_first_seq(first_seq);
  p.set_tsc_base(1000 + cpu);
  for (auto& r : records) {
    r.set_dt(100);
    *p.add_record() = r;
  }
  return p;
}

static void stream_seeds(const std::filesystem::path& dir) {
  std::string s;
  StreamWriter w([&](std::string_view b) { s.append(b); });
  w.header(make_header());
  Record r;
  r.set_dt(10);
  r.mutable_vm_exit()->set_reason(10);
  r.mutable_vm_exit()->set_guest_rip_delta(0x1000);
  std::vector<Record> recs = {r, r};
  w.chunk(0, 0, 100, recs);
  w.trailer(0, 2);
  save(dir / "clean.seed", s);

  s.clear();
  StreamWriter n([&](std::string_view b) { s.append(b); });
  n.header(make_header());
  Record send, recv, begin, ack, end;
  send.mutable_nmi_sent()->set_target_cpu(1);
  send.mutable_nmi_sent()->set_token(1);
  begin.mutable_quiesce_begin()->set_generation(1);
  end.mutable_quiesce_end()->set_generation(1);
  recv.mutable_nmi_received()->set_source_cpu(0);
  recv.mutable_nmi_received()->set_token(1);
  ack.mutable_quiesce_ack()->set_initiator_cpu(0);
  ack.mutable_quiesce_ack()->set_generation(1);
  std::vector<Record> c0 = {send, begin, end}, c1 = {recv, ack};
  n.chunk(0, 0, 50, c0);
  n.chunk(1, 0, 40, c1);
  save(dir / "nmi_quiesce.seed", s);

  std::string crlf;
  for (char c : "boot: hello\n" + s) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  save(dir / "crlf_text.seed", crlf);

  std::string damaged = s;
  damaged[damaged.size() / 2] ^= 0x20;
  damaged += "~N" + std::string(40, 'Q') + "\n~NAAA";
  save(dir / "damaged.seed", damaged);
}

static void packet_seeds(const std::filesystem::path& dir) {
  using nestrr::v1::VmxMode;
  Packet header;
  *header.mutable_header() = make_header(3);
  auto* sc = header.mutable_header()->mutable_scenario();
  sc->set_variant("fixed");
  sc->add_cpu_workload("l1");
  sc->add_cpu_workload("remap");
  header.mutable_header()->add_module()->set_name("hv.elf");
  Packet trailer0, trailer1;
  trailer0.mutable_trailer()->set_cpu(0);
  trailer0.mutable_trailer()->set_next_seq(6);
  trailer1.mutable_trailer()->set_cpu(1);
  trailer1.mutable_trailer()->set_next_seq(2);

  // Everything the checker folds: VMCS12, translations, modes, EPT01.
  Record load, translate, to_non_root, entry, exit, back, change, flush;
  load.mutable_vmcs12_load()->set_vmcs12_gpa(0x7000);
  auto* f = translate.mutable_vmcs02_translation()->add_field();
  f->set_encoding(0x2000);
  f->set_gpa(0x5000);
  f->set_hpa(0x5000);
  to_non_root.mutable_vmx_mode_change()->set_old_mode(nestrr::v1::VMX_MODE_ROOT);
  to_non_root.mutable_vmx_mode_change()->set_new_mode(nestrr::v1::VMX_MODE_NON_ROOT);
  entry.mutable_vm_entry()->set_to_l2(true);
  exit.mutable_vm_exit()->set_reason(48);
  exit.mutable_vm_exit()->set_from_l2(true);
  back.mutable_vmx_mode_change()->set_old_mode(nestrr::v1::VMX_MODE_NON_ROOT);
  back.mutable_vmx_mode_change()->set_new_mode(nestrr::v1::VMX_MODE_ROOT);
  change.mutable_ept01_change()->set_gpa(0x5000);
  change.mutable_ept01_change()->set_hpa(0x80000);
  change.mutable_ept01_change()->set_size(4096);
  change.mutable_ept01_change()->set_permissions(7);
  flush.mutable_ept_flush()->set_flags(1);
  save(dir / "check.seed",
       packets({header, chunk(0, 0, {load, translate, to_non_root}), chunk(1, 0, {change, flush}),
                chunk(0, 3, {entry, exit, back}), trailer0, trailer1}));

  // Loss: a gap, a logger drop, a trailer that counts more.
  Record lost;
  lost.mutable_records_lost()->set_cpu(0);
  lost.mutable_records_lost()->set_count(3);
  Record sync;
  sync.mutable_sync_point()->set_kind(nestrr::v1::SyncPoint::KIND_ACQUIRE);
  sync.mutable_sync_point()->set_object(1);
  sync.mutable_sync_point()->set_ticket(0);
  trailer0.mutable_trailer()->set_next_seq(20);
  save(dir / "loss.seed", packets({header, chunk(0, 0, {sync, lost}), chunk(0, 9, {entry}), trailer0}));

  // A flight recorder's key frame in two pieces.
  Packet piece0, piece1;
  auto* k = piece0.mutable_key_frame();
  k->set_id(1);
  k->set_pieces(2);
  k->add_next_seq(0);
  k->add_next_seq(0);
  auto* region = k->add_region();
  region->set_name("core");
  region->set_bytes(64);
  piece1.mutable_key_frame()->set_id(1);
  piece1.mutable_key_frame()->set_piece(1);
  piece1.mutable_key_frame()->set_pieces(2);
  piece1.mutable_key_frame()->set_data(std::string(16, '\x11'));
  Packet flight = header;
  flight.mutable_header()->set_sink(nestrr::v1::Header::SINK_FLIGHT_RECORDER);
  save(dir / "key_frame.seed", packets({flight, chunk(0, 4, {exit}), piece0, piece1}));
}

// The hypervisor logger's own packets (unframed, in order) for a short
// two-CPU run: VM exits in columns (more reasons and RIPs than the
// move-to-front lists hold, repeats that hit them) between other records.
static std::vector<std::string> logger_packets(uint32_t dt_shift, bool records_only) {
  struct Clock {
    uint64_t now = 5000;
    static uint64_t read(void* c) { return static_cast<Clock*>(c)->now += 37; }
  };
  static std::vector<std::string> out;
  out.clear();
  alignas(8) static unsigned char memory[NESTRR_LOGGER_MEMORY_BYTES(2, 8192)];
  static nestrr_logger lg;
  Clock clock;
  nestrr_config cfg{};
  cfg.cpu_count = 2;
  cfg.ring_bytes = 8192;
  cfg.mode = NESTRR_MODE_STREAM;
  cfg.memory = memory;
  cfg.memory_bytes = sizeof memory;
  cfg.tsc_hz = 2'000'000'000;
  cfg.description = "seed";
  cfg.clock = Clock::read;
  cfg.clock_ctx = &clock;
  cfg.packet = [](void*, const char* bytes, unsigned long n) { out.emplace_back(bytes, n); };
  cfg.dt_shift = dt_shift;
  cfg.records_only = records_only;
  if (!nestrr_logger_init(&lg, &cfg)) {
    std::cerr << "make_fuzz_corpus: logger init failed\n";
    std::exit(1);
  }
  for (uint32_t i = 0; i < 10; ++i)
    nestrr_log_vm_exit(&lg, 0, 10 + i % 9, i % 3 ? 0 : 0x181 + i, 0x1000 + 0x10 * (i % 8), i & 1);
  nestrr_log_nmi_received(&lg, 0, 1, 1, 0x1010, 3);
  nestrr_log_vm_exit(&lg, 0, 48, 0x181, 0x1010, true);
  nestrr_log_vmx_mode(&lg, 0, NESTRR_VMX_MODE_NON_ROOT, NESTRR_VMX_MODE_ROOT);
  nestrr_log_vm_exit(&lg, 0, 10, 0, 0x1000, false);
  nestrr_log_nmi_sent(&lg, 1, 0, 1);
  nestrr_log_vm_exit(&lg, 1, 30, 0x3f8, 0x2000, false);
  nestrr_log_vm_exit(&lg, 1, 30, 0x3f8, 0x2000, false);
  nestrr_log_lock_acquired(&lg, 1, 2, 5, 0);
  nestrr_logger_finish(&lg);
  return out;
}

static void logger_seeds(const std::filesystem::path& root) {
  auto list = [](const std::vector<std::string>& payloads) {
    std::string s;
    for (const auto& b : payloads) {
      s += static_cast<char>(b.size() & 0xff);
      s += static_cast<char>(b.size() >> 8);
      s += b;
    }
    return s;
  };
  const auto columns = logger_packets(6, false);
  save(root / "packet_corpus" / "format4.seed", list(columns));
  const auto exact = logger_packets(0, false);
  const auto records = logger_packets(0, true);
  // The chunks alone (a packet with a cpu field set and records).
  int n = 0;
  for (const auto* run : {&columns, &exact, &records}) {
    for (const auto& b : *run) {
      Packet p;
      if (!p.ParseFromString(b) || chunk_records(p) == 0) continue;
      save(root / "chunk_corpus" / ("chunk" + std::to_string(n++) + ".seed"), b);
    }
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_fuzz_corpus tests/fuzz\n";
    return 2;
  }
  const std::filesystem::path root = argv[1];
  std::filesystem::create_directories(root / "corpus");
  std::filesystem::create_directories(root / "packet_corpus");
  std::filesystem::create_directories(root / "chunk_corpus");
  stream_seeds(root / "corpus");
  packet_seeds(root / "packet_corpus");
  logger_seeds(root);
  return 0;
}
