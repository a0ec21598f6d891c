/* The first function of first_file_program.c comes from this header, so
   its line rows use DWARF 5's initial file register (1, this file)
   without a DW_LNS_set_file: the case binutils 2.40 reads as file 0. */
static int helper(int x) { return x * 3 + 1; }
