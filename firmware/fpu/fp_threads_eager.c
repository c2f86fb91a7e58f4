#define LAZY 0
#include "fp_threads.inc"
