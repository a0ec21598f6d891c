// Seeded random events of every kind -> logger -> frames -> libprotobuf ->
// the same values, with absolute TSC and guest RIP reconstructed.
#include <gtest/gtest.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "frames.h"
#include "nestrr/assert.h"
#include "nestrr/eventlog/log.h"

namespace {

using nestrr::v1::Record;

struct Clock {
  uint64_t now = 0;
  static uint64_t read(void* ctx) { return static_cast<Clock*>(ctx)->now; }
};

struct Expected {
  uint64_t tsc;
  Record record;
};

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  uint64_t u64() {
    switch (rng_() % 4) {
      case 0: return 0;
      case 1: return rng_() % 300;
      case 2: return rng_();
      default: return (static_cast<uint64_t>(rng_()) << 32) | rng_();
    }
  }
  uint32_t u32() { return static_cast<uint32_t>(u64()); }
  bool flag() { return rng_() & 1; }
  std::string text(size_t max) {
    std::string s(rng_() % (max + 1), 'x');
    for (auto& c : s) c = static_cast<char>('a' + rng_() % 26);
    return s;
  }
  std::string bytes(size_t n) {
    std::string s(n, 0);
    for (auto& c : s) c = static_cast<char>(rng_());
    return s;
  }
  uint32_t pick(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }

  // Logs one random event on `cpu`; appends what must come out.
  void Log(nestrr_logger* lg, uint32_t cpu, uint64_t tsc, std::vector<Expected>* out) {
    Record r;
    bool ok = true;
    switch (pick(22)) {
      case 0: {
        auto* e = r.mutable_vm_exit();
        e->set_reason(u32());
        e->set_qualification(u64());
        e->set_guest_rip_delta(static_cast<int64_t>(u64()));
        e->set_from_l2(flag());
        ok = nestrr_log_vm_exit(lg, cpu, e->reason(), e->qualification(),
                                static_cast<uint64_t>(e->guest_rip_delta()), e->from_l2());
        break;
      }
      case 1: {
        auto* e = r.mutable_vm_entry();
        e->set_to_l2(flag());
        e->set_launch(flag());
        ok = nestrr_log_vm_entry(lg, cpu, e->to_l2(), e->launch());
        break;
      }
      case 2: {
        auto* e = r.mutable_nmi_sent();
        e->set_target_cpu(u32());
        e->set_token(u64());
        ok = nestrr_log_nmi_sent(lg, cpu, e->target_cpu(), e->token());
        break;
      }
      case 3: {
        auto* e = r.mutable_nmi_received();
        uint32_t src = flag() ? NESTRR_CPU_UNKNOWN : pick(8);
        if (src != NESTRR_CPU_UNKNOWN) e->set_source_cpu(src);
        e->set_token(u64());
        e->set_interrupted_rip(u64());
        e->set_progress(u64());
        ok = nestrr_log_nmi_received(lg, cpu, src, e->token(), e->interrupted_rip(), e->progress());
        break;
      }
      case 4:
        r.mutable_quiesce_begin()->set_generation(u64());
        ok = nestrr_log_quiesce_begin(lg, cpu, r.quiesce_begin().generation());
        break;
      case 5:
        r.mutable_quiesce_ack()->set_initiator_cpu(u32());
        r.mutable_quiesce_ack()->set_generation(u64());
        ok = nestrr_log_quiesce_ack(lg, cpu, r.quiesce_ack().initiator_cpu(),
                                    r.quiesce_ack().generation());
        break;
      case 6:
        r.mutable_quiesce_end()->set_generation(u64());
        ok = nestrr_log_quiesce_end(lg, cpu, r.quiesce_end().generation());
        break;
      case 7:
        r.mutable_ept_flush()->set_flags(pick(8));
        r.mutable_ept_flush()->set_origin(static_cast<nestrr::v1::EptFlush::Origin>(pick(4)));
        ok = nestrr_log_ept_flush(lg, cpu, r.ept_flush().flags(), r.ept_flush().origin());
        break;
      case 8:
        r.mutable_ept01_rewalk()->set_fields(u32());
        r.mutable_ept01_rewalk()->set_changed(u32());
        ok = nestrr_log_ept01_rewalk(lg, cpu, r.ept01_rewalk().fields(), r.ept01_rewalk().changed());
        break;
      case 9:
        r.mutable_vmx_mode_change()->set_old_mode(static_cast<nestrr::v1::VmxMode>(pick(3)));
        r.mutable_vmx_mode_change()->set_new_mode(static_cast<nestrr::v1::VmxMode>(pick(3)));
        ok = nestrr_log_vmx_mode(lg, cpu, r.vmx_mode_change().old_mode(),
                                 r.vmx_mode_change().new_mode());
        break;
      case 10:
        r.mutable_vmcs12_load()->set_vmcs12_gpa(u64());
        ok = nestrr_log_vmcs12_load(lg, cpu, r.vmcs12_load().vmcs12_gpa());
        break;
      case 11:
        r.mutable_vmcs12_clear()->set_vmcs12_gpa(u64());
        ok = nestrr_log_vmcs12_clear(lg, cpu, r.vmcs12_clear().vmcs12_gpa());
        break;
      case 12:
        r.mutable_pal_register()->set_pal_id(u64());
        r.mutable_pal_register()->set_gpa(u64());
        r.mutable_pal_register()->set_size(u64());
        ok = nestrr_log_pal_register(lg, cpu, r.pal_register().pal_id(), r.pal_register().gpa(),
                                     r.pal_register().size());
        break;
      case 13:
        r.mutable_pal_unregister()->set_pal_id(u64());
        ok = nestrr_log_pal_unregister(lg, cpu, r.pal_unregister().pal_id());
        break;
      case 14:
        r.mutable_sync_point()->set_object(u32());
        r.mutable_sync_point()->set_progress(u64());
        if (flag()) {  // a lock acquisition, with its ticket
          r.mutable_sync_point()->set_kind(nestrr::v1::SyncPoint::KIND_ACQUIRE);
          r.mutable_sync_point()->set_ticket(u64());
          ok = nestrr_log_lock_acquired(lg, cpu, r.sync_point().object(), r.sync_point().progress(),
                                        r.sync_point().ticket());
          break;
        }
        r.mutable_sync_point()->set_kind(static_cast<nestrr::v1::SyncPoint::Kind>(pick(4)));
        ok = nestrr_log_sync_point(lg, cpu, r.sync_point().object(), r.sync_point().progress(),
                                   r.sync_point().kind());
        break;
      case 15:
      case 16: {
        // Memory: split into records of NESTRR_MEMORY_CHUNK_MAX bytes.
        uint64_t addr = u64();
        std::string data = bytes(pick(900) + 1);
        std::string label = text(40);
        ASSERT_TRUE(nestrr_log_memory(lg, cpu, addr, data.data(),
                                      static_cast<uint32_t>(data.size()), label.c_str()));
        for (size_t off = 0; off < data.size(); off += NESTRR_MEMORY_CHUNK_MAX) {
          Record m;
          m.mutable_memory_snapshot()->set_address(addr + off);
          m.mutable_memory_snapshot()->set_data(data.substr(off, NESTRR_MEMORY_CHUNK_MAX));
          m.mutable_memory_snapshot()->set_label(label.substr(0, NESTRR_MEMORY_LABEL_MAX));
          out->push_back({tsc, m});
        }
        return;
      }
      case 17: {
        auto* e = r.mutable_vmx_instruction();
        e->set_kind(static_cast<nestrr::v1::VmxInstruction::Kind>(pick(11)));
        e->set_outcome(static_cast<nestrr::v1::VmxInstruction::Outcome>(pick(6)));
        e->set_error(pick(30));
        ok = nestrr_log_vmx_instruction(lg, cpu, e->kind(), e->outcome(), e->error());
        break;
      }
      case 18: {
        auto* e = r.mutable_ept01_change();
        e->set_gpa(u64());
        e->set_size(u64());
        e->set_hpa(u64());
        e->set_permissions(pick(8));
        ok = nestrr_log_ept01_change(lg, cpu, e->gpa(), e->size(), e->hpa(), e->permissions());
        break;
      }
      case 19: {
        auto* e = r.mutable_vmcs02_translation();
        std::vector<nestrr_gpa_field> fields(pick(NESTRR_VMCS02_FIELDS_MAX + 1));
        for (auto& f : fields) {
          f.encoding = 0x2000 + 2 * pick(40);
          f.reserved = 7;  // ignored
          f.gpa = u64();
          f.hpa = u64();
          auto* g = e->add_field();
          g->set_encoding(f.encoding);
          g->set_gpa(f.gpa);
          g->set_hpa(f.hpa);
        }
        ok = nestrr_log_vmcs02_translation(lg, cpu, fields.data(),
                                           static_cast<uint32_t>(fields.size()));
        break;
      }
      default: {
        auto* e = r.mutable_assertion_failure();
        std::string cond = text(150), file = text(150);
        nestrr_regs regs;
        uint64_t* w = reinterpret_cast<uint64_t*>(&regs);
        auto* rr = e->mutable_registers();
        const auto* d = rr->GetDescriptor();
        for (uint32_t i = 0; i < NESTRR_REGS_COUNT; ++i) {
          const auto* f = d->FindFieldByNumber(static_cast<int>(i + 1));
          w[i] = f->type() == google::protobuf::FieldDescriptor::TYPE_UINT32 ? u32() : u64();
          if (f->type() == google::protobuf::FieldDescriptor::TYPE_UINT32)
            rr->GetReflection()->SetUInt32(rr, f, static_cast<uint32_t>(w[i]));
          else
            rr->GetReflection()->SetUInt64(rr, f, w[i]);
        }
        std::vector<uint64_t> frames(pick(20));
        for (auto& f : frames) f = u64();
        std::string stack = bytes(pick(700));
        uint64_t stack_addr = u64();
        uint32_t line = u32();
        ok = nestrr_log_assertion(lg, cpu, cond.c_str(), file.c_str(), line, &regs, frames.data(),
                                  static_cast<uint32_t>(frames.size()), stack_addr, stack.data(),
                                  static_cast<uint32_t>(stack.size()));
        e->set_condition(cond.substr(0, NESTRR_ASSERT_TEXT_MAX));
        e->set_file(file.substr(0, NESTRR_ASSERT_TEXT_MAX));
        e->set_line(line);
        e->set_rip(regs.rip);
        for (size_t i = 0; i < frames.size() && i < NESTRR_ASSERT_FRAMES_MAX; ++i)
          e->add_return_address(frames[i]);
        e->set_stack_address(stack_addr);
        e->set_stack(stack.substr(0, NESTRR_ASSERT_STACK_MAX));
        break;
      }
    }
    ASSERT_TRUE(ok);
    out->push_back({tsc, r});
  }

 private:
  std::mt19937 rng_;
};

TEST(LoggerRoundTrip, RandomEventsAllKinds) {
  constexpr uint32_t kCpus = 4;
  constexpr uint32_t kRing = 64 * 1024;
  constexpr int kEvents = 6000;
  for (uint32_t seed : {1u, 2u, 0xc0ffeeu}) {
    SCOPED_TRACE(seed);
    nestrr_test::Sink sink;
    Clock clock;
    nestrr_test::Memory mem(kCpus, kRing);
    nestrr_module mod{"xmhf64.elf", reinterpret_cast<const unsigned char*>("\x01\x02\x03"), 3,
                      0x100000};
    nestrr_config cfg{};
    cfg.cpu_count = kCpus;
    cfg.ring_bytes = kRing;
    cfg.mode = NESTRR_MODE_STREAM;
    cfg.memory = mem.data();
    cfg.memory_bytes = mem.size();
    cfg.write = nestrr_test::Sink::write;
    cfg.write_ctx = &sink;
    cfg.clock = Clock::read;
    cfg.clock_ctx = &clock;
    cfg.tsc_hz = 2'400'000'000ull;
    cfg.description = "roundtrip";
    // Time in units of 64 ticks for one seed: each TSC within half a unit.
    const uint32_t shift = seed == 2u ? 6u : 0u;
    cfg.dt_shift = shift;
    cfg.modules = &mod;
    cfg.module_count = 1;
    static nestrr_logger lg;
    ASSERT_TRUE(nestrr_logger_init(&lg, &cfg));

    Generator gen(seed);
    std::vector<Expected> expected[kCpus];
    uint64_t tsc[kCpus] = {1ull << 40, 5, UINT64_MAX - 100000, 77};
    for (int i = 0; i < kEvents; ++i) {
      uint32_t cpu = gen.pick(kCpus);
      // Mostly forward, sometimes backwards (nested NMI records), sometimes far.
      uint32_t step = gen.pick(10);
      tsc[cpu] += step < 7 ? gen.pick(5000) : step < 9 ? -static_cast<uint64_t>(gen.pick(300))
                                                        : gen.u64();
      clock.now = tsc[cpu];
      gen.Log(&lg, cpu, tsc[cpu], &expected[cpu]);
      if (gen.pick(10) == 0) nestrr_logger_flush(&lg, gen.pick(kCpus));
      for (uint32_t c = 0; c < kCpus; ++c) ASSERT_EQ(nestrr_logger_dropped(&lg, c), 0u);
    }
    nestrr_logger_finish(&lg);

    std::vector<nestrr::v1::Header> headers;
    auto cpus = nestrr_test::Reconstruct(nestrr_test::DecodePackets(sink.bytes), &headers);
    ASSERT_EQ(headers.size(), 1u);
    EXPECT_EQ(headers[0].format_version(), NESTRR_FORMAT_VERSION);
    EXPECT_EQ(NESTRR_FORMAT_VERSION, nestrr::eventlog::kFormatVersion);
    EXPECT_EQ(headers[0].cpu_count(), kCpus);
    EXPECT_EQ(headers[0].tsc_hz(), 2'400'000'000ull);
    EXPECT_EQ(headers[0].description(), "roundtrip");
    EXPECT_EQ(headers[0].sink(), nestrr::v1::Header::SINK_STREAM);
    EXPECT_EQ(headers[0].address_bits(), 8 * sizeof(void*));
    ASSERT_EQ(headers[0].module_size(), 1);
    EXPECT_EQ(headers[0].module(0).name(), "xmhf64.elf");
    EXPECT_EQ(headers[0].module(0).build_id(), "\x01\x02\x03");
    EXPECT_EQ(headers[0].module(0).load_bias(), 0x100000u);

    size_t chunks = 0;
    for (uint32_t c = 0; c < kCpus; ++c) {
      SCOPED_TRACE(c);
      const auto& v = cpus[c];
      ASSERT_EQ(v.records.size(), expected[c].size());
      ASSERT_TRUE(v.has_trailer);
      EXPECT_EQ(v.trailer.next_seq(), expected[c].size());
      EXPECT_EQ(v.trailer.dropped(), 0u);
      chunks += v.chunk_sizes.size();
      for (size_t i = 0; i < v.records.size(); ++i) {
        EXPECT_EQ(v.records[i].seq, i);
        const int64_t err = static_cast<int64_t>(v.records[i].tsc - expected[c][i].tsc);
        EXPECT_LE(std::abs(err), shift ? int64_t{1} << (shift - 1) : 0) << i;
        EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(v.records[i].record,
                                                                       expected[c][i].record))
            << i << ": got " << v.records[i].record.ShortDebugString() << "\nwant "
            << expected[c][i].record.ShortDebugString();
      }
    }
    // Far more records than fit one frame: chunks were split.
    EXPECT_GT(chunks, 40u);
  }
}

}  // namespace
