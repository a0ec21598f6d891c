/* Built -O0 -gdwarf-5 for addr2line_match_test: see first_file.h. */
#include "first_file.h"

int main(int argc, char** argv) {
  (void)argv;
  return helper(argc);
}
