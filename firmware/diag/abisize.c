/*
 * Test program for --abi-check's structure sizes: an application compiled against another
 * system's type layouts, as the NuttX talk's Rust code was (the libc crate's bindings built for
 * Linux, where pthread_mutex_t is 24 bytes on 32-bit ARM; NuttX's is smaller).
 *
 * Like Rust's libc crate, this file includes no header of the OS (nor newlib's, whose
 * <sys/types.h> has its own pthread_mutex_t): it declares the types and functions itself, with
 * Linux's (glibc, 32-bit ARM) layouts:
 *   pthread_mutex_t  24 bytes here; the OS's (diag/os/os.h, struct pthread_mutex_s, spelled
 *                    nx_pthread_mutex_t in DWARF) is 12
 *   sem_t            16 bytes here; the OS's (diag/os/tcb.h, struct sem_s) is 4
 *   struct sockaddr_in 16 bytes here and in the OS (diag/os/nuttx_abi.h): no mismatch
 * A global of each type makes GCC emit its DWARF. The OS only touches the first 12 (4) bytes of
 * each object, so the calls still work: the program prints its sizes and exits 0. The DWARF of
 * its compilation units is what a size check compares (f4emu --abi-check; dwarfTypes.ts).
 */
#include <stdint.h>

/* Linux's pthread_mutex_t on 32-bit ARM (glibc's union of __size[24] and long). */
typedef struct {
  unsigned char bytes[24];
} __attribute__((aligned(4))) pthread_mutex_t;

/* Linux's sem_t on 32-bit ARM (glibc's union of __size[16] and long). */
typedef struct {
  unsigned char bytes[16];
} __attribute__((aligned(4))) sem_t;

/* Linux's struct sockaddr_in: the same 16 bytes as NuttX's. */
struct in_addr {
  uint32_t s_addr;
};
struct sockaddr_in {
  uint16_t sin_family;
  uint16_t sin_port;
  struct in_addr sin_addr;
  unsigned char sin_zero[8];
};

/* The OS's functions, declared with this file's (Linux's) types, as a binding crate does. */
int pthread_mutex_init(pthread_mutex_t *mutex, const void *attr);
int pthread_mutex_lock(pthread_mutex_t *mutex);
int pthread_mutex_unlock(pthread_mutex_t *mutex);
int pthread_mutex_destroy(pthread_mutex_t *mutex);
int sem_init(sem_t *sem, int pshared, unsigned int value);
int sem_wait(sem_t *sem);
int sem_post(sem_t *sem);
void os_start(void);
void os_shutdown(void);
int printf(const char *format, ...);
void exit(int status) __attribute__((noreturn));

pthread_mutex_t app_lock;
sem_t app_sem;
struct sockaddr_in app_addr = {2, 0x5000, {0}, {0}}; /* AF_INET, port 80 (network order) */

int main(void) {
  os_start();
  printf("abisize: sizeof(pthread_mutex_t) = %u, sizeof(sem_t) = %u, "
         "sizeof(struct sockaddr_in) = %u (Linux's layouts)\n",
         (unsigned)sizeof app_lock, (unsigned)sizeof app_sem, (unsigned)sizeof app_addr);
  int failures = 0;
  failures += pthread_mutex_init(&app_lock, 0) != 0;
  failures += pthread_mutex_lock(&app_lock) != 0;
  failures += pthread_mutex_unlock(&app_lock) != 0;
  failures += pthread_mutex_destroy(&app_lock) != 0;
  failures += sem_init(&app_sem, 0, 1) != 0;
  failures += sem_wait(&app_sem) != 0;
  failures += sem_post(&app_sem) != 0;
  printf("abisize: mutex and semaphore calls %s\n", failures == 0 ? "ok" : "FAILED");
  os_shutdown();
  exit(failures == 0 ? 0 : 1);
}
