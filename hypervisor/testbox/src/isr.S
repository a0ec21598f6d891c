/*
 * Interrupt entry points: the NMI (the core's NMI handler runs on the
 * interrupted stack, as on the seed's hypervisor), CPU exceptions, and the
 * console CPU's timer tick.
 *
 * The NMI entry builds a frame-pointer frame whose return address is the
 * interrupted RIP, and describes the interrupt frame in DWARF CFI (marked
 * as a signal frame), so frame-pointer walks, nestrr's CFI unwinder and
 * gdb all continue from the handler into the interrupted function.
 */
  .text
  .code64

#define SAVE_SCRATCH \
  pushq %rax; pushq %rcx; pushq %rdx; pushq %rsi; pushq %rdi; \
  pushq %r8; pushq %r9; pushq %r10; pushq %r11
#define RESTORE_SCRATCH \
  popq %r11; popq %r10; popq %r9; popq %r8; popq %rdi; \
  popq %rsi; popq %rdx; popq %rcx; popq %rax

  .global isr_nmi
  .type isr_nmi, @function
isr_nmi:
  .cfi_startproc simple
  .cfi_signal_frame
  /* CFA = the interrupted RSP, saved at rsp+24; RIP saved at rsp+0. */
  .cfi_escape 0x0f, 0x03, 0x77, 0x18, 0x06
  .cfi_escape 0x10, 0x10, 0x02, 0x77, 0x00
  pushq %rbp
  .cfi_escape 0x0f, 0x03, 0x77, 0x20, 0x06
  .cfi_escape 0x10, 0x10, 0x02, 0x77, 0x08
  .cfi_escape 0x10, 0x06, 0x02, 0x77, 0x00
  movq %rsp, %rbp
  /* From here on by rbp: [rbp] interrupted rbp, [rbp+8] RIP, [rbp+32] RSP. */
  .cfi_escape 0x0f, 0x03, 0x76, 0x20, 0x06
  .cfi_escape 0x10, 0x10, 0x02, 0x76, 0x08
  .cfi_escape 0x10, 0x06, 0x02, 0x76, 0x00
  SAVE_SCRATCH
  subq $8, %rsp
  leaq 8(%rbp), %rdi
  call testbox_nmi
  addq $8, %rsp
  RESTORE_SCRATCH
  popq %rbp
  iretq
  .cfi_endproc
  .size isr_nmi, . - isr_nmi

  .global isr_timer
  .type isr_timer, @function
isr_timer:
  SAVE_SCRATCH
  call testbox_timer
  RESTORE_SCRATCH
  iretq
  .size isr_timer, . - isr_timer

/* Exceptions: push a 0 error code where the CPU pushes none, then the
 * vector, and go to one handler with all registers saved. */
#define EXC(n) \
  .global isr_exc##n; isr_exc##n: pushq $0; pushq $n; jmp isr_exc_common
#define EXC_ERR(n) \
  .global isr_exc##n; isr_exc##n: pushq $n; jmp isr_exc_common

EXC(0); EXC(1); EXC(3); EXC(4); EXC(5); EXC(6); EXC(7); EXC_ERR(8)
EXC(9); EXC_ERR(10); EXC_ERR(11); EXC_ERR(12); EXC_ERR(13); EXC_ERR(14); EXC(15)
EXC(16); EXC_ERR(17); EXC(18); EXC(19); EXC(20); EXC_ERR(21)
EXC(22); EXC(23); EXC(24); EXC(25); EXC(26); EXC(27); EXC(28); EXC_ERR(29); EXC_ERR(30); EXC(31)

  .global isr_spurious
isr_spurious:
  iretq

isr_exc_common:
  pushq %rax; pushq %rbx; pushq %rcx; pushq %rdx; pushq %rsi; pushq %rdi; pushq %rbp
  pushq %r8; pushq %r9; pushq %r10; pushq %r11; pushq %r12; pushq %r13; pushq %r14; pushq %r15
  movq %rsp, %rdi
  andq $-16, %rsp
  call testbox_exception
1:cli
  hlt
  jmp 1b

  .section .rodata
  .balign 8
  .global isr_exc_table
isr_exc_table:
  .quad isr_exc0, isr_exc1, 0, isr_exc3, isr_exc4, isr_exc5, isr_exc6, isr_exc7
  .quad isr_exc8, isr_exc9, isr_exc10, isr_exc11, isr_exc12, isr_exc13, isr_exc14, isr_exc15
  .quad isr_exc16, isr_exc17, isr_exc18, isr_exc19, isr_exc20, isr_exc21, isr_exc22, isr_exc23
  .quad isr_exc24, isr_exc25, isr_exc26, isr_exc27, isr_exc28, isr_exc29, isr_exc30, isr_exc31
