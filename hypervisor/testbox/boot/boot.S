/*
 * Entry of the testbox image: the multiboot header QEMU's -kernel loader
 * reads, the 32-bit entry that builds page tables (identity map of the low
 * 4 GiB in 2 MiB pages, which covers the image and the local APIC) and
 * switches to long mode, and the real-mode trampoline the other CPUs start
 * in after INIT-SIPI-SIPI (copied below 1 MiB by smp.c).
 *
 * The image is an ELF64 file; QEMU refuses to load ELF64 through multiboot,
 * so the header sets the "address fields" flag: QEMU then loads the file as
 * a flat image from the header's offset, which works because the linker
 * script lays the loaded sections out contiguously in one segment.
 */
#include "boot_layout.h"

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS ((1 << 1) | (1 << 16)) /* memory info, address fields */

  .section .multiboot, "a"
  .balign 4
mb_header:
  .long MB_MAGIC
  .long MB_FLAGS
  .long -(MB_MAGIC + MB_FLAGS)
  .long mb_header   /* header_addr */
  .long __image_start /* load_addr */
  .long __load_end  /* load_end_addr */
  .long __bss_end   /* bss_end_addr */
  .long boot32      /* entry_addr */

/* ---- GDT: null, 64-bit code, data, 32-bit code (AP trampoline) ---- */
  .section .rodata
  .balign 16
  .global boot_gdt
boot_gdt:
  .quad 0
  .quad 0x00af9a000000ffff /* 0x08: 64-bit code */
  .quad 0x00cf92000000ffff /* 0x10: data */
  .quad 0x00cf9a000000ffff /* 0x18: 32-bit code */
boot_gdt_end:
boot_gdt_ptr:
  .word boot_gdt_end - boot_gdt - 1
  .long boot_gdt

  .section .bss
  .balign 4096
  .global boot_pml4
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4 * 4096
  .balign 16
  .global boot_stack
boot_stack: .skip BOOT_STACK_BYTES
boot_stack_top:
  .global boot_multiboot_info
boot_multiboot_info: .skip 8
  .global ap_boot_stack
ap_boot_stack: .skip 8

/* ---- 32-bit entry (BSP), from the multiboot loader ---- */
  .section .text.boot, "ax"
  .code32
  .global boot32
boot32:
  cli
  movl %ebx, boot_multiboot_info
  movl $boot_stack_top, %esp
  /* PML4[0] -> PDPT; PDPT[0..3] -> PD pages; PD: 2048 x 2 MiB. */
  movl $boot_pdpt + 3, %eax
  movl %eax, boot_pml4
  movl $boot_pdpt, %edi
  movl $boot_pd + 3, %eax
  movl $4, %ecx
1:movl %eax, (%edi)
  addl $4096, %eax
  addl $8, %edi
  loop 1b
  movl $boot_pd, %edi
  movl $0x83, %eax          /* present, writable, 2 MiB page */
  xorl %edx, %edx
  movl $2048, %ecx
2:movl %eax, (%edi)
  movl %edx, 4(%edi)
  addl $0x200000, %eax
  adcl $0, %edx
  addl $8, %edi
  loop 2b
  call long_mode_on
  lgdt boot_gdt_ptr
  ljmp $0x08, $boot64

/* PAE, CR3, EFER.LME, paging; SSE allowed (the image itself is built with
 * general registers only). Shared by the BSP and the APs. */
long_mode_on:
  movl %cr4, %eax
  orl $((1 << 5) | (1 << 9) | (1 << 10)), %eax /* PAE, OSFXSR, OSXMMEXCPT */
  movl %eax, %cr4
  movl $boot_pml4, %eax
  movl %eax, %cr3
  movl $0xc0000080, %ecx
  rdmsr
  orl $(1 << 8), %eax       /* EFER.LME */
  wrmsr
  movl %cr0, %eax
  andl $~(1 << 2), %eax     /* no EM */
  orl $((1 << 31) | (1 << 1) | 1), %eax /* PG, MP, PE */
  movl %eax, %cr0
  ret

  .code64
boot64:
  movw $0x10, %ax
  movw %ax, %ds
  movw %ax, %es
  movw %ax, %ss
  movw %ax, %fs
  movw %ax, %gs
  movq $boot_stack_top, %rsp
  xorl %ebp, %ebp
  call testbox_main
3:cli
  hlt
  jmp 3b

  .code64
  .type ap64, @function
ap64:
  movw $0x10, %ax
  movw %ax, %ds
  movw %ax, %es
  movw %ax, %ss
  movw %ax, %fs
  movw %ax, %gs
  movq ap_boot_stack, %rsp
  xorl %ebp, %ebp
  call ap_main
4:cli
  hlt
  jmp 4b

/* ---- AP trampoline: copied to AP_TRAMPOLINE_PA, entered in real mode ---- */
#define TRAMP(sym) (AP_TRAMPOLINE_PA + ((sym) - ap_trampoline_start))
  .code16
  .global ap_trampoline_start, ap_trampoline_end
ap_trampoline_start:
  cli
  xorw %ax, %ax
  movw %ax, %ds
  lgdtl TRAMP(ap_gdt_ptr)
  movl %cr0, %eax
  orl $1, %eax
  movl %eax, %cr0
  ljmpl $0x18, $TRAMP(ap32)
  .code32
ap32:
  movw $0x10, %ax
  movw %ax, %ds
  movw %ax, %es
  movw %ax, %ss
  movl $TRAMP(ap_tramp_stack_top), %esp
  movl $long_mode_on, %eax
  call *%eax
  lgdt boot_gdt_ptr
  ljmp $0x08, $ap64
  .balign 8
ap_gdt_ptr:
  .word boot_gdt_end - boot_gdt - 1
  .long boot_gdt
  .balign 16
  .skip 64
ap_tramp_stack_top:
ap_trampoline_end:

