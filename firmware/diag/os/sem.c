/*
 * Semaphores and pthread mutexes with NuttX's semantics. A mutex is a semaphore with count 1
 * plus a holder: PTHREAD_MUTEX_INITIALIZER is {count 1, holder -1}, never all zeros. Locking
 * takes the semaphore, so a mutex whose bytes were zeroed instead (Linux's initializer, as
 * Rust's libc crate used on NuttX) has count 0, looks held by nobody in particular, and
 * pthread_mutex_lock waits forever: exactly the hang in the talk.
 */
#include <errno.h>
#include <string.h>

#include "os_internal.h"

/* The initializer's bytes as an object (01 00 00 00 ff ff ff ff 00 00 00 00). */
__attribute__((used)) const pthread_mutex_t g_pthread_mutex_initializer =
    PTHREAD_MUTEX_INITIALIZER;

int sem_init(sem_t *sem, int pshared, unsigned int value) {
  (void)pshared;
  if (sem == NULL || value > INT16_MAX) {
    errno = EINVAL;
    return -1;
  }
  sem->semcount = (int16_t)value;
  sem->flags = 0;
  sem->reserved = 0;
  return 0;
}

int sem_destroy(sem_t *sem) {
  if (sem == NULL) {
    errno = EINVAL;
    return -1;
  }
  return 0;
}

int sem_wait(sem_t *sem) {
  if (sem == NULL) {
    errno = EINVAL;
    return -1;
  }
  uint32_t flags = up_irq_save();
  if (sem->semcount <= 0 && !g_os_started) {
    up_irq_restore(flags); /* nobody else could ever post it */
    errno = EDEADLK;
    return -1;
  }
  nxsem_wait_locked(sem);
  up_irq_restore(flags); /* blocks here while semcount went negative */
  return 0;
}

int sem_trywait(sem_t *sem) {
  uint32_t flags = up_irq_save();
  int ok = sem->semcount > 0;
  if (ok) sem->semcount--;
  up_irq_restore(flags);
  if (!ok) {
    errno = EAGAIN;
    return -1;
  }
  return 0;
}

int sem_post(sem_t *sem) {
  if (sem == NULL) {
    errno = EINVAL;
    return -1;
  }
  uint32_t flags = up_irq_save();
  nxsem_post_locked(sem);
  up_irq_restore(flags); /* a woken higher-priority task runs here */
  return 0;
}

int sem_getvalue(sem_t *sem, int *sval) {
  *sval = sem->semcount;
  return 0;
}

/* ---- mutexes: return an error number, as POSIX's pthread_* do (errno untouched) ------------ */

int pthread_mutex_init(pthread_mutex_t *mutex, const pthread_mutexattr_t *attr) {
  if (mutex == NULL) return EINVAL;
  *mutex = g_pthread_mutex_initializer;
  if (attr != NULL && attr->is_initialized && attr->recursive) {
    mutex->type = PTHREAD_MUTEX_RECURSIVE;
  }
  return 0;
}

int pthread_mutex_destroy(pthread_mutex_t *mutex) {
  if (mutex == NULL) return EINVAL;
  if (mutex->holder != -1) return EBUSY;
  return 0;
}

int pthread_mutex_lock(pthread_mutex_t *mutex) {
  if (mutex == NULL) return EINVAL;
  pid_t self = getpid();
  if (mutex->holder == self && mutex->type != PTHREAD_MUTEX_NORMAL) {
    if (mutex->type == PTHREAD_MUTEX_ERRORCHECK) return EDEADLK;
    mutex->nlocks++;
    return 0;
  }
  /* A count of 0 means held: wait for the holder's unlock. With a zeroed mutex no holder
   * exists, and this never returns. */
  if (sem_wait(&mutex->sem) != 0) return errno;
  mutex->holder = self;
  mutex->nlocks = 1;
  return 0;
}

int pthread_mutex_trylock(pthread_mutex_t *mutex) {
  if (mutex == NULL) return EINVAL;
  pid_t self = getpid();
  if (mutex->holder == self && mutex->type == PTHREAD_MUTEX_RECURSIVE) {
    mutex->nlocks++;
    return 0;
  }
  if (sem_trywait(&mutex->sem) != 0) return EBUSY;
  mutex->holder = self;
  mutex->nlocks = 1;
  return 0;
}

int pthread_mutex_unlock(pthread_mutex_t *mutex) {
  if (mutex == NULL) return EINVAL;
  if (mutex->holder != getpid()) return EPERM;
  if (mutex->type == PTHREAD_MUTEX_RECURSIVE && --mutex->nlocks > 0) return 0;
  mutex->holder = -1;
  mutex->nlocks = 0;
  sem_post(&mutex->sem);
  return 0;
}
