#define LAZY 1
#include "fp_threads.inc"
