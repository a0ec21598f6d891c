/* Constants shared by the boot assembly and the C side of the image. */
#ifndef NESTRR_TESTBOX_BOOT_LAYOUT_H
#define NESTRR_TESTBOX_BOOT_LAYOUT_H

/* Where the AP trampoline is copied: page 8, SIPI vector 0x08. */
#define AP_TRAMPOLINE_PA 0x8000
#define AP_SIPI_VECTOR (AP_TRAMPOLINE_PA >> 12)
/* The BSP's boot stack (it becomes the console CPU's stack). */
#define BOOT_STACK_BYTES 65536

#endif
