/* Assertion path: register capture, frame-pointer walk, the record. */
#include "nestrr/assert.h"

#ifdef NESTRR_CAPTURE_CONTROL_REGS
static uint64_t read_msr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}
#endif

void nestrr_capture_regs(struct nestrr_regs *r) {
  uint64_t *w = (uint64_t *)(void *)r;
  uint32_t i;
  for (i = 0; i < NESTRR_REGS_COUNT; i++) w[i] = 0;
#if defined(__x86_64__)
  /* The red zone below rsp may be live in code built without
   * -mno-red-zone: step over it before pushfq. */
  __asm__ __volatile__(
      "movq %%rax, 0(%0)\n\t movq %%rbx, 8(%0)\n\t movq %%rcx, 16(%0)\n\t"
      "movq %%rdx, 24(%0)\n\t movq %%rsi, 32(%0)\n\t movq %%rdi, 40(%0)\n\t"
      "movq %%rbp, 48(%0)\n\t movq %%rsp, 56(%0)\n\t movq %%r8, 64(%0)\n\t"
      "movq %%r9, 72(%0)\n\t movq %%r10, 80(%0)\n\t movq %%r11, 88(%0)\n\t"
      "movq %%r12, 96(%0)\n\t movq %%r13, 104(%0)\n\t movq %%r14, 112(%0)\n\t"
      "movq %%r15, 120(%0)\n\t leaq 0(%%rip), %%rax\n\t movq %%rax, 128(%0)\n\t"
      "subq $128, %%rsp\n\t pushfq\n\t popq 136(%0)\n\t addq $128, %%rsp\n\t"
      "movw %%cs, 144(%0)\n\t movw %%ss, 152(%0)\n\t"
      "movw %%ds, 184(%0)\n\t movw %%es, 192(%0)\n\t movw %%fs, 200(%0)\n\t movw %%gs, 208(%0)\n\t"
      :
      : "r"(w)
      : "rax", "memory");
#ifdef NESTRR_CAPTURE_CONTROL_REGS
  __asm__ __volatile__(
      "movq %%cr0, %%rax\n\t movq %%rax, 160(%0)\n\t movq %%cr3, %%rax\n\t movq %%rax, 168(%0)\n\t"
      "movq %%cr4, %%rax\n\t movq %%rax, 176(%0)\n\t movq %%cr2, %%rax\n\t movq %%rax, 232(%0)\n\t"
      :
      : "r"(w)
      : "rax", "memory");
  r->fs_base = read_msr(0xc0000100u); /* IA32_FS_BASE */
  r->gs_base = read_msr(0xc0000101u); /* IA32_GS_BASE */
#endif
#else
  __asm__ __volatile__(
      "movl %%eax, 0(%0)\n\t movl %%ebx, 8(%0)\n\t movl %%ecx, 16(%0)\n\t"
      "movl %%edx, 24(%0)\n\t movl %%esi, 32(%0)\n\t movl %%edi, 40(%0)\n\t"
      "movl %%ebp, 48(%0)\n\t movl %%esp, 56(%0)\n\t"
      "call 1f\n1:\n\t popl %%eax\n\t movl %%eax, 128(%0)\n\t"
      "pushfl\n\t popl 136(%0)\n\t movw %%cs, 144(%0)\n\t movw %%ss, 152(%0)\n\t"
      "movw %%ds, 184(%0)\n\t movw %%es, 192(%0)\n\t movw %%fs, 200(%0)\n\t movw %%gs, 208(%0)\n\t"
      :
      : "r"(w)
      : "eax", "memory");
#ifdef NESTRR_CAPTURE_CONTROL_REGS
  __asm__ __volatile__(
      "movl %%cr0, %%eax\n\t movl %%eax, 160(%0)\n\t movl %%cr3, %%eax\n\t movl %%eax, 168(%0)\n\t"
      "movl %%cr4, %%eax\n\t movl %%eax, 176(%0)\n\t movl %%cr2, %%eax\n\t movl %%eax, 232(%0)\n\t"
      :
      : "r"(w)
      : "eax", "memory");
#endif
#endif
#ifdef NESTRR_CAPTURE_CONTROL_REGS
  r->efer = read_msr(0xc0000080u); /* IA32_EFER: every VMX-capable CPU has it */
#endif
  /* Report the caller's view: its frame, stack pointer and call site. */
  r->rbp = (uintptr_t)*(void *const *)__builtin_frame_address(0);
  r->rsp = (uintptr_t)__builtin_frame_address(0) + 2u * sizeof(void *);
  r->rip = (uintptr_t)__builtin_return_address(0);
}

uint32_t nestrr_walk_frames(uintptr_t fp, uint64_t *out, uint32_t max, nestrr_addr_ok_fn ok,
                            void *ok_ctx) {
  uint32_t n = 0;
  while (n < max && fp && (fp & (sizeof(void *) - 1u)) == 0 && ok &&
         ok(ok_ctx, fp, 2u * sizeof(void *))) {
    const uintptr_t *frame = (const uintptr_t *)fp;
    uintptr_t next = frame[0];
    uintptr_t ret = frame[1];
    if (!ret) break;
    out[n++] = ret;
    if (next <= fp) break; /* the chain must move up the stack */
    fp = next;
  }
  return n;
}

void nestrr_assert_fail(struct nestrr_logger *lg, uint32_t cpu, const char *cond, const char *file,
                        uint32_t line) {
  struct nestrr_regs regs;
  uint64_t frames[NESTRR_ASSERT_FRAMES_MAX];
  uint32_t frame_count, stack_bytes = NESTRR_ASSERT_STACK_MAX;
  nestrr_addr_ok_fn ok = lg->config.addr_ok;
  void *ok_ctx = lg->config.addr_ok_ctx;
  uintptr_t sp;
  nestrr_capture_regs(&regs);
  /* Walk from this frame: the first return address is the assertion site. */
  frame_count = nestrr_walk_frames((uintptr_t)__builtin_frame_address(0), frames,
                                   NESTRR_ASSERT_FRAMES_MAX, ok, ok_ctx);
  regs.rip = (uintptr_t)__builtin_return_address(0);
  regs.rbp = (uintptr_t)*(void *const *)__builtin_frame_address(0);
  sp = (uintptr_t)__builtin_frame_address(0) + 2u * sizeof(void *);
  regs.rsp = sp;
  while (stack_bytes && !(ok && ok(ok_ctx, sp, stack_bytes))) stack_bytes /= 2u;
  (void)nestrr_log_assertion(lg, cpu, cond, file, line, &regs, frames, frame_count, sp,
                             (const void *)sp, stack_bytes);
  if (lg->mode == NESTRR_MODE_FLIGHT)
    nestrr_logger_dump(lg);
  else
    nestrr_logger_flush(lg, cpu);
}
