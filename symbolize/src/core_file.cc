// Core images from a log (registers per CPU, memory the log captured) and
// their ELF form, written with libelf. Note payloads are the C library's
// own core-file structures (sys/procfs.h, sys/user.h).
#include "nestrr/symbolize/core_file.h"

#include <capstone/capstone.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/procfs.h>
#include <sys/user.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <map>
#include <stdexcept>

#include "nestrr/eventlog/event.h"

namespace nestrr::symbolize {

namespace fs = std::filesystem;

namespace {

// Later bytes over earlier ones; touching or overlapping pieces become one
// segment.
class MemoryOverlay {
 public:
  void add(uint64_t address, const std::string& bytes, const std::string& label) {
    if (bytes.empty()) return;
    uint64_t lo = address, hi = address + bytes.size();
    auto it = segs_.upper_bound(lo);
    if (it != segs_.begin()) {
      auto prev = std::prev(it);
      if (prev->first + prev->second.bytes.size() >= lo) it = prev;
    }
    std::vector<std::map<uint64_t, CoreSegment>::iterator> hit;
    for (; it != segs_.end() && it->first <= hi; ++it) hit.push_back(it);
    for (auto h : hit) {
      lo = std::min(lo, h->first);
      hi = std::max(hi, h->first + h->second.bytes.size());
    }
    CoreSegment merged;
    merged.address = lo;
    merged.bytes.assign(hi - lo, '\0');
    for (auto h : hit) {
      merged.bytes.replace(h->first - lo, h->second.bytes.size(), h->second.bytes);
      merged.label += h->second.label + ", ";
    }
    merged.bytes.replace(address - lo, bytes.size(), bytes);
    merged.label += label;
    for (auto h : hit) segs_.erase(h);
    segs_.emplace(lo, std::move(merged));
  }
  std::vector<CoreSegment> take() {
    std::vector<CoreSegment> out;
    for (auto& [a, s] : segs_) out.push_back(std::move(s));
    return out;
  }

 private:
  std::map<uint64_t, CoreSegment> segs_;
};

// The call instruction that ends just before `ret` (a return address), if
// the image's bytes decode to one; 0 otherwise.
uint64_t call_before(Symbolizer& sym, uint64_t ret) {
  csh cs;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) return 0;
  uint64_t found = 0;
  // Direct calls (e8 rel32) first, then the lengths of indirect ones.
  for (uint64_t len : {5, 6, 2, 3, 4, 7}) {
    if (ret < len) continue;
    std::string bytes = sym.read_image(ret - len, len);
    if (bytes.size() != len) continue;
    cs_insn* insn = nullptr;
    size_t n = cs_disasm(cs, reinterpret_cast<const uint8_t*>(bytes.data()), len, ret - len, 1, &insn);
    bool is_call = n == 1 && insn[0].size == len && std::strncmp(insn[0].mnemonic, "call", 4) == 0;
    if (n) cs_free(insn, n);
    if (is_call) {
      found = ret - len;
      break;
    }
  }
  cs_close(&cs);
  return found;
}

// AT_PHDR, AT_PHENT, AT_PHNUM, AT_ENTRY of the module's image at its load
// bias: what gdb compares with the executable to find a PIE's displacement.
std::vector<std::pair<uint64_t, uint64_t>> auxv_of(const ElfModule& m) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  elf_version(EV_CURRENT);
  int fd = ::open(m.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  GElf_Ehdr eh;
  if (elf && gelf_getehdr(elf, &eh)) {
    std::optional<uint64_t> phdr;
    size_t phnum = 0;
    elf_getphdrnum(elf, &phnum);
    for (size_t i = 0; i < phnum && !phdr; i++) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, int(i), &ph) && ph.p_type == PT_PHDR) phdr = ph.p_vaddr;
    }
    for (size_t i = 0; i < phnum && !phdr; i++) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, int(i), &ph) && ph.p_type == PT_LOAD && eh.e_phoff >= ph.p_offset &&
          eh.e_phoff < ph.p_offset + ph.p_filesz)
        phdr = ph.p_vaddr + (eh.e_phoff - ph.p_offset);
    }
    if (phdr) {
      out.emplace_back(AT_PHDR, *phdr + m.load_bias);
      out.emplace_back(AT_PHENT, eh.e_phentsize);
      out.emplace_back(AT_PHNUM, phnum);
    }
    out.emplace_back(AT_PAGESZ, 4096);
    out.emplace_back(AT_ENTRY, eh.e_entry + m.load_bias);
  }
  if (elf) elf_end(elf);
  ::close(fd);
  if (!out.empty()) out.emplace_back(AT_NULL, 0);
  return out;
}

std::string event_name(const eventlog::Log& log, const eventlog::Timeline& timeline, size_t index) {
  const eventlog::Event& e = log.at(timeline.order[index]);
  return fmt::format("event {} (cpu{}#{}, {})", index, e.cpu, e.seq, eventlog::event_kind(e.record));
}

}  // namespace

CoreImage build_core_image(const eventlog::Log& log, const eventlog::Timeline& timeline, size_t event,
                           Symbolizer& sym) {
  if (event >= timeline.order.size())
    throw std::runtime_error(fmt::format("no event {}: the log has {} events", event, timeline.order.size()));
  if (log.header && log.header->address_bits() == 32)
    throw std::runtime_error("the log comes from a 32-bit image: core files are written for x86-64 only");
  uint32_t cpus = log.header ? log.header->cpu_count() : 0;
  for (const auto& s : log.streams) cpus = std::max(cpus, s.cpu + 1);

  std::vector<CoreThread> per_cpu(cpus);
  for (uint32_t c = 0; c < cpus; c++) {
    per_cpu[c].cpu = c;
    per_cpu[c].lwp = c + 1;
    per_cpu[c].source = "no record with registers up to the event";
  }
  MemoryOverlay memory;
  for (size_t i = 0; i <= event; i++) {
    const eventlog::Event& e = log.at(timeline.order[i]);
    if (e.cpu >= cpus) continue;
    CoreThread& t = per_cpu[e.cpu];
    const auto& r = e.record;
    if (r.has_assertion_failure() && r.assertion_failure().has_registers()) {
      const auto& a = r.assertion_failure();
      t.what = CoreRegisters::kFull;
      t.registers = a.registers();
      if (!t.registers.rip()) t.registers.set_rip(a.rip());
      t.signal = SIGABRT;
      t.source = event_name(log, timeline, i);
      t.rip_note.clear();
      if (uint64_t call = call_before(sym, t.registers.rip())) {
        t.rip_note = fmt::format("RIP {:#x} is the return address of the logger call; the core has the call "
                                 "instruction at {:#x}",
                                 t.registers.rip(), call);
        t.registers.set_rip(call);
      }
      memory.add(a.stack_address(), a.stack(), fmt::format("stack of cpu{} ({})", e.cpu, t.source));
    } else if (r.has_nmi_received()) {
      t.what = CoreRegisters::kRipOnly;
      t.registers.Clear();
      t.registers.set_rip(r.nmi_received().interrupted_rip());
      t.signal = 0;
      t.source = event_name(log, timeline, i);
      t.rip_note.clear();
    } else if (r.has_memory_snapshot()) {
      const auto& m = r.memory_snapshot();
      memory.add(m.address(), m.data(),
                 m.label().empty() ? fmt::format("snapshot ({})", event_name(log, timeline, i)) : m.label());
    }
  }

  CoreImage image;
  uint32_t first = log.at(timeline.order[event]).cpu;
  if (first < cpus) image.threads.push_back(per_cpu[first]);
  for (uint32_t c = 0; c < cpus; c++)
    if (c != first) image.threads.push_back(per_cpu[c]);
  // The signal is the process's, as Linux writes it: the same in every
  // thread's note (and debuggers read it from any of them).
  for (auto& t : image.threads) t.signal = image.threads.front().signal;
  image.memory = memory.take();
  if (!sym.modules().empty()) {
    const ElfModule& main = sym.modules().modules().front();
    image.program = main.name;
    image.auxv = auxv_of(main);
  }
  image.args = fmt::format("nestrr core at {}; LWP n is cpu n-1", event_name(log, timeline, event));
  return image;
}

namespace {

void put_note(std::string& out, uint32_t type, const void* desc, size_t size) {
  static const char kName[] = "CORE";  // with its NUL: namesz 5
  Elf64_Nhdr nh{sizeof kName, static_cast<Elf64_Word>(size), type};
  out.append(reinterpret_cast<const char*>(&nh), sizeof nh);
  out.append(kName, sizeof kName);
  out.append((4 - sizeof kName % 4) % 4, '\0');
  out.append(static_cast<const char*>(desc), size);
  out.append((4 - size % 4) % 4, '\0');
}

std::string notes_of(const CoreImage& image) {
  std::string out;
  for (size_t i = 0; i < image.threads.size(); i++) {
    const CoreThread& t = image.threads[i];
    const auto& r = t.registers;
    user_regs_struct regs{};
    regs.r15 = r.r15(), regs.r14 = r.r14(), regs.r13 = r.r13(), regs.r12 = r.r12();
    regs.rbp = r.rbp(), regs.rbx = r.rbx(), regs.r11 = r.r11(), regs.r10 = r.r10();
    regs.r9 = r.r9(), regs.r8 = r.r8(), regs.rax = r.rax(), regs.rcx = r.rcx();
    regs.rdx = r.rdx(), regs.rsi = r.rsi(), regs.rdi = r.rdi();
    regs.orig_rax = ~0ull;
    regs.rip = r.rip(), regs.cs = r.cs(), regs.eflags = r.rflags(), regs.rsp = r.rsp(), regs.ss = r.ss();
    elf_prstatus st{};
    st.pr_info.si_signo = t.signal;
    st.pr_cursig = static_cast<short>(t.signal);
    st.pr_pid = static_cast<pid_t>(t.lwp);
    st.pr_ppid = 0;
    st.pr_pgrp = st.pr_sid = static_cast<pid_t>(image.threads.front().lwp);
    static_assert(sizeof st.pr_reg == sizeof regs, "elf_gregset_t is user_regs_struct");
    std::memcpy(&st.pr_reg, &regs, sizeof regs);
    st.pr_fpvalid = 1;
    put_note(out, NT_PRSTATUS, &st, sizeof st);
    user_fpregs_struct fp{};
    fp.cwd = 0x37f;  // the reset state: the log has no FPU registers
    fp.mxcsr = 0x1f80;
    fp.mxcr_mask = 0xffff;
    put_note(out, NT_FPREGSET, &fp, sizeof fp);
    if (i == 0) {
      elf_prpsinfo ps{};
      ps.pr_sname = 'R';
      ps.pr_pid = ps.pr_pgrp = ps.pr_sid = static_cast<pid_t>(t.lwp);
      std::strncpy(ps.pr_fname, fs::path(image.program).filename().c_str(), sizeof ps.pr_fname - 1);
      std::strncpy(ps.pr_psargs, image.args.c_str(), sizeof ps.pr_psargs - 1);
      put_note(out, NT_PRPSINFO, &ps, sizeof ps);
      if (!image.auxv.empty()) {
        std::vector<uint64_t> words;
        for (auto& [k, v] : image.auxv) words.insert(words.end(), {k, v});
        put_note(out, NT_AUXV, words.data(), words.size() * sizeof(uint64_t));
      }
    }
  }
  return out;
}

uint64_t align8(uint64_t v) { return (v + 7) & ~uint64_t(7); }

[[noreturn]] void fail(const fs::path& path, const char* what) {
  throw std::runtime_error(fmt::format("cannot write {}: {}: {}", path.string(), what, elf_errmsg(-1)));
}

}  // namespace

void write_core_file(const CoreImage& image, const fs::path& path) {
  elf_version(EV_CURRENT);
  std::string notes = notes_of(image);
  // Section names for the section header table (readelf -S); debuggers
  // read the program headers.
  std::string shstrtab("\0.shstrtab\0note0\0load\0", 23);
  const size_t kShstrtabName = 1, kNoteName = 11, kLoadName = 17;

  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  Elf* elf = elf_begin(fd, ELF_C_WRITE, nullptr);
  auto cleanup = [&] {
    if (elf) elf_end(elf);
    ::close(fd);
  };
  try {
    if (!elf) fail(path, "elf_begin");
    elf_flagelf(elf, ELF_C_SET, ELF_F_LAYOUT);
    if (!gelf_newehdr(elf, ELFCLASS64)) fail(path, "ELF header");
    size_t nphdr = 1 + image.memory.size();
    if (!gelf_newphdr(elf, nphdr)) fail(path, "program headers");

    uint64_t offset = sizeof(Elf64_Ehdr) + nphdr * sizeof(Elf64_Phdr);
    auto add_section = [&](const std::string& bytes, Elf64_Word type, uint64_t flags, uint64_t addr, size_t name,
                           uint64_t align) -> uint64_t {
      Elf_Scn* scn = elf_newscn(elf);
      Elf_Data* d = scn ? elf_newdata(scn) : nullptr;
      if (!d) fail(path, "section");
      d->d_buf = const_cast<char*>(bytes.data());
      d->d_size = bytes.size();
      d->d_type = ELF_T_BYTE;
      d->d_align = 1;
      d->d_off = 0;
      offset = (offset + align - 1) & ~(align - 1);
      GElf_Shdr sh{};
      sh.sh_name = static_cast<Elf64_Word>(name);
      sh.sh_type = type;
      sh.sh_flags = flags;
      sh.sh_addr = addr;
      sh.sh_offset = offset;
      sh.sh_size = bytes.size();
      sh.sh_addralign = align;
      if (!gelf_update_shdr(scn, &sh)) fail(path, "section header");
      uint64_t at = offset;
      offset += bytes.size();
      return at;
    };
    uint64_t note_at = add_section(notes, SHT_NOTE, SHF_ALLOC, 0, kNoteName, 4);
    std::vector<uint64_t> load_at;
    for (const auto& m : image.memory)
      load_at.push_back(add_section(m.bytes, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, m.address, kLoadName, 8));
    add_section(shstrtab, SHT_STRTAB, 0, 0, kShstrtabName, 1);

    GElf_Phdr ph{};
    ph.p_type = PT_NOTE;
    ph.p_offset = note_at;
    ph.p_filesz = notes.size();
    ph.p_align = 4;
    if (!gelf_update_phdr(elf, 0, &ph)) fail(path, "PT_NOTE");
    for (size_t i = 0; i < image.memory.size(); i++) {
      GElf_Phdr l{};
      l.p_type = PT_LOAD;
      l.p_flags = PF_R | PF_W;
      l.p_offset = load_at[i];
      l.p_vaddr = image.memory[i].address;
      l.p_filesz = l.p_memsz = image.memory[i].bytes.size();
      l.p_align = 1;
      if (!gelf_update_phdr(elf, int(i + 1), &l)) fail(path, "PT_LOAD");
    }

    GElf_Ehdr eh;
    if (!gelf_getehdr(elf, &eh)) fail(path, "ELF header");
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
    eh.e_type = ET_CORE;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = sizeof(Elf64_Ehdr);
    eh.e_shoff = align8(offset);
    eh.e_shstrndx = static_cast<Elf64_Half>(elf_ndxscn(elf_getscn(elf, 2 + image.memory.size())));
    if (!gelf_update_ehdr(elf, &eh)) fail(path, "ELF header");
    if (elf_update(elf, ELF_C_WRITE) < 0) fail(path, "elf_update");
  } catch (...) {
    cleanup();
    throw;
  }
  cleanup();
}

}  // namespace nestrr::symbolize
