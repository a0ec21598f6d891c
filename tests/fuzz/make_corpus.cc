// Writes the tiny seed streams of tests/fuzz/corpus: a clean log, one with
// NMIs and a quiesce, one with CRLF and console text, one with damage.
// (Not .nrr: captured logs are ignored by git, seeds are not.)
#include <fstream>
#include <iostream>
#include <string>

#include "nestrr/eventlog/writer.h"

using namespace nestrr::eventlog;

static nestrr::v1::Header make_header() {
  nestrr::v1::Header h;
  h.set_format_version(2);
  h.set_cpu_count(2);
  h.set_tsc_hz(2'000'000'000);
  h.set_description("seed");
  return h;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_corpus DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  auto save = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
  };
  std::string s;
  StreamWriter w([&](std::string_view b) { s.append(b); });
  w.header(make_header());
  nestrr::v1::Record r;
  r.set_dt(10);
  r.mutable_vm_exit()->set_reason(10);
  r.mutable_vm_exit()->set_guest_rip_delta(0x1000);
  std::vector<nestrr::v1::Record> recs = {r, r};
  w.chunk(0, 0, 100, recs);
  w.trailer(0, 2);
  save("clean.seed", s);

  s.clear();
  StreamWriter n([&](std::string_view b) { s.append(b); });
  n.header(make_header());
  nestrr::v1::Record send, recv, begin, ack, end;
  send.mutable_nmi_sent()->set_target_cpu(1);
  send.mutable_nmi_sent()->set_token(1);
  begin.mutable_quiesce_begin()->set_generation(1);
  end.mutable_quiesce_end()->set_generation(1);
  recv.mutable_nmi_received()->set_source_cpu(0);
  recv.mutable_nmi_received()->set_token(1);
  ack.mutable_quiesce_ack()->set_initiator_cpu(0);
  ack.mutable_quiesce_ack()->set_generation(1);
  std::vector<nestrr::v1::Record> c0 = {send, begin, end}, c1 = {recv, ack};
  n.chunk(0, 0, 50, c0);
  n.chunk(1, 0, 40, c1);
  save("nmi_quiesce.seed", s);

  std::string crlf;
  for (char c : "boot: hello\n" + s) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  save("crlf_text.seed", crlf);

  std::string damaged = s;
  damaged[damaged.size() / 2] ^= 0x20;
  damaged += "~N" + std::string(40, 'Q') + "\n~NAAA";
  save("damaged.seed", damaged);
  return 0;
}
