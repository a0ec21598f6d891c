// Writes the seed corpora of the fuzz targets, small and made by our own
// writer: tests/fuzz/corpus (streams: a clean log, NMIs and a quiesce, CRLF
// and console text, damage; read by the log reader and the serial
// extractor) and tests/fuzz/packet_corpus (lists of packet payloads, each
// a 2-byte little-endian length and the bytes, for the frame decoder).
// (Not .nrr: captured logs are ignored by git, seeds are not.)
//   make_fuzz_corpus tests/fuzz
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "nestrr/eventlog/writer.h"

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

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_fuzz_corpus tests/fuzz\n";
    return 2;
  }
  const std::filesystem::path root = argv[1];
  std::filesystem::create_directories(root / "corpus");
  std::filesystem::create_directories(root / "packet_corpus");
  stream_seeds(root / "corpus");
  packet_seeds(root / "packet_corpus");
  return 0;
}
