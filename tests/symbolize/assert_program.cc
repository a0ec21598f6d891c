// A real program that fails a nestrr assertion a few frames deep, through
// inlined code and a C++ method, and streams the log to the file named by
// argv[1]: the input of the stack, listing and core tests. Built -O2 -g
// -fno-omit-frame-pointer. Its module table carries its own build-id and
// load bias (dl_iterate_phdr).
#include <elf.h>
#include <link.h>
#include <pthread.h>

#include <cstdio>
#include <cstring>
#include <string>

#define NESTRR_HALT() ((void)0)
#include "nestrr/assert.h"

namespace {

FILE* g_out;
nestrr_logger g_lg;
unsigned char g_mem[NESTRR_LOGGER_MEMORY_BYTES(2, 16384)] __attribute__((aligned(8)));
unsigned char g_build_id[64];
nestrr_module g_module{"assert_program", g_build_id, 0, 0};

void write_out(void*, const char* bytes, unsigned long n) { std::fwrite(bytes, 1, n, g_out); }

struct Stack {
  uintptr_t lo = 0, hi = 0;
};
Stack g_stack;
bool addr_ok(void*, uintptr_t a, uintptr_t n) { return a >= g_stack.lo && a + n <= g_stack.hi; }

int find_self(dl_phdr_info* info, size_t, void*) {
  // The first object is the program itself.
  g_module.load_bias = info->dlpi_addr;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    auto* p = reinterpret_cast<const unsigned char*>(info->dlpi_addr + ph.p_vaddr);
    auto* end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      auto* nh = reinterpret_cast<const ElfW(Nhdr)*>(p);
      const unsigned char* name = p + sizeof *nh;
      const unsigned char* desc = name + ((nh->n_namesz + 3) & ~3u);
      if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !std::memcmp(name, "GNU", 4) &&
          nh->n_descsz <= sizeof g_build_id) {
        std::memcpy(g_build_id, desc, nh->n_descsz);
        g_module.build_id_bytes = nh->n_descsz;
      }
      p = desc + ((nh->n_descsz + 3) & ~3u);
    }
  }
  return 1;
}

struct Vcpu {
  int id;
  int vmcs12 = -1;
  bool has_vmcs12() const { return vmcs12 >= 0; }
};

// Inlined into flush_effect: the assertion site.
inline __attribute__((always_inline)) int find_current_vmcs12(Vcpu* v) {
  NESTRR_ASSERT(&g_lg, 0, v->has_vmcs12());
  return v->vmcs12;
}

__attribute__((noinline)) int flush_effect(Vcpu* v) {
  int r = find_current_vmcs12(v);
  __asm__ volatile("" ::: "memory");
  return r + 1;
}

class Flusher {
 public:
  explicit Flusher(Vcpu* v) : v_(v) {}
  __attribute__((noinline)) int flush_ept02(int times) {
    int sum = 0;
    for (int i = 0; i < times; i++) sum += flush_effect(v_);
    __asm__ volatile("" ::: "memory");
    return sum;
  }

 private:
  Vcpu* v_;
};

extern "C" __attribute__((noinline)) int nmi_check_quiesce(Vcpu* v) {
  Flusher f(v);
  int r = f.flush_ept02(1);
  __asm__ volatile("" ::: "memory");
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: assert_program OUT.nrr\n");
    return 2;
  }
  g_out = std::fopen(argv[1], "wb");
  if (!g_out) return 1;
  dl_iterate_phdr(find_self, nullptr);
  pthread_attr_t attr;
  void* base;
  size_t size;
  pthread_getattr_np(pthread_self(), &attr);
  pthread_attr_getstack(&attr, &base, &size);
  pthread_attr_destroy(&attr);
  g_stack.lo = reinterpret_cast<uintptr_t>(base);
  g_stack.hi = g_stack.lo + size;

  nestrr_config cfg{};
  cfg.cpu_count = 2;
  cfg.ring_bytes = 16384;
  cfg.mode = NESTRR_MODE_STREAM;
  cfg.memory = g_mem;
  cfg.memory_bytes = sizeof g_mem;
  cfg.write = write_out;
  cfg.description = "assert_program";
  cfg.modules = &g_module;
  cfg.module_count = 1;
  cfg.addr_ok = addr_ok;
  if (!nestrr_logger_init(&g_lg, &cfg)) return 1;
  // CPU 1 was interrupted by an NMI in nmi_check_quiesce's caller.
  nestrr_log_nmi_received(&g_lg, 1, 0, 7, reinterpret_cast<uintptr_t>(&nmi_check_quiesce) + 4, 3);
  nestrr_logger_flush(&g_lg, 1);
  Vcpu v{0};
  int r = nmi_check_quiesce(&v);
  nestrr_logger_finish(&g_lg);
  std::fclose(g_out);
  std::printf("%d\n", r);
  return 0;
}
