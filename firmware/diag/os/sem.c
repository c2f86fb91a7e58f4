/*
 * Semaphores, pthread mutexes, condition variables and rwlocks with NuttX's semantics. A mutex is
 * a semaphore with count 1 plus a holder: PTHREAD_MUTEX_INITIALIZER is {count 1, holder -1},
 * never all zeros. Locking takes the semaphore, so a mutex whose bytes were zeroed instead
 * (Linux's initializer, as Rust's libc crate used on NuttX) has count 0, looks held by nobody in
 * particular, and pthread_mutex_lock waits forever: exactly the hang in the talk. A condition
 * variable is a semaphore its waiters sleep on; an rwlock is a mutex, a condition variable and
 * counts, so a zeroed rwlock holds a mutex that looks held, as on NuttX.
 */
#include <errno.h>
#include <string.h>

#include "os_internal.h"

/* The initializers' bytes as objects, for a debugger or the emulator to compare with. */
__attribute__((used)) const pthread_mutex_t g_pthread_mutex_initializer =
    PTHREAD_MUTEX_INITIALIZER; /* 01 00 00 00 ff ff ff ff 00 00 00 00 */
__attribute__((used)) const sem_t g_sem_initializer = SEM_INITIALIZER(0);
__attribute__((used)) const pthread_cond_t g_pthread_cond_initializer = PTHREAD_COND_INITIALIZER;
__attribute__((used)) const pthread_rwlock_t g_pthread_rwlock_initializer =
    PTHREAD_RWLOCK_INITIALIZER;

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

/* ---- condition variables ------------------------------------------------------------------ */

int pthread_cond_init(pthread_cond_t *cond, const pthread_condattr_t *attr) {
  (void)attr;
  if (cond == NULL) return EINVAL;
  *cond = g_pthread_cond_initializer;
  return 0;
}

int pthread_cond_destroy(pthread_cond_t *cond) {
  if (cond == NULL) return EINVAL;
  return cond->sem.semcount < 0 ? EBUSY : 0; /* someone still waits */
}

/*
 * Releasing the mutex and joining the waiters happen with interrupts masked, so no signal sent
 * in between is lost; the task sleeps when the mask is lifted, and takes the mutex again after.
 */
int pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex) {
  if (cond == NULL || mutex == NULL) return EINVAL;
  if (mutex->holder != getpid()) return EPERM;
  if (!g_os_started) return EDEADLK; /* nobody else could ever signal it */
  uint32_t flags = up_irq_save();
  int err = pthread_mutex_unlock(mutex);
  if (err == 0) {
    cond->wait_count++;
    nxsem_wait_locked(&cond->sem);
  }
  up_irq_restore(flags); /* sleeps here until signalled */
  if (err != 0) return err;
  flags = up_irq_save();
  cond->wait_count--;
  up_irq_restore(flags);
  return pthread_mutex_lock(mutex);
}

int pthread_cond_signal(pthread_cond_t *cond) {
  if (cond == NULL) return EINVAL;
  uint32_t flags = up_irq_save();
  if (cond->sem.semcount < 0) nxsem_post_locked(&cond->sem);
  up_irq_restore(flags);
  return 0;
}

int pthread_cond_broadcast(pthread_cond_t *cond) {
  if (cond == NULL) return EINVAL;
  uint32_t flags = up_irq_save();
  while (cond->sem.semcount < 0) nxsem_post_locked(&cond->sem);
  up_irq_restore(flags);
  return 0;
}

/* ---- reader-writer locks: num_writers counts the writers waiting, not the one inside ------- */

int pthread_rwlock_init(pthread_rwlock_t *rwlock, const pthread_rwlockattr_t *attr) {
  (void)attr;
  if (rwlock == NULL) return EINVAL;
  int err = pthread_mutex_init(&rwlock->lock, NULL);
  if (err == 0) err = pthread_cond_init(&rwlock->cv, NULL);
  rwlock->num_readers = 0;
  rwlock->num_writers = 0;
  rwlock->write_in_progress = 0;
  return err;
}

int pthread_rwlock_destroy(pthread_rwlock_t *rwlock) {
  if (rwlock == NULL) return EINVAL;
  if (rwlock->num_readers > 0 || rwlock->num_writers > 0 || rwlock->write_in_progress) {
    return EBUSY;
  }
  int err = pthread_cond_destroy(&rwlock->cv);
  return err != 0 ? err : pthread_mutex_destroy(&rwlock->lock);
}

/* The try variants take the inner mutex with trylock too: EBUSY, never a wait. */
static int rwlock_enter(pthread_rwlock_t *rwlock, int try) {
  if (rwlock == NULL) return EINVAL;
  return try ? pthread_mutex_trylock(&rwlock->lock) : pthread_mutex_lock(&rwlock->lock);
}

static int rdlock(pthread_rwlock_t *rwlock, int try) {
  int err = rwlock_enter(rwlock, try);
  if (err != 0) return err;
  /* Writers first: a reader waits while a writer is inside or waiting. */
  while (err == 0 && (rwlock->write_in_progress || rwlock->num_writers > 0)) {
    err = try ? EBUSY : pthread_cond_wait(&rwlock->cv, &rwlock->lock);
  }
  if (err == 0) rwlock->num_readers++;
  pthread_mutex_unlock(&rwlock->lock);
  return err;
}

static int wrlock(pthread_rwlock_t *rwlock, int try) {
  int err = rwlock_enter(rwlock, try);
  if (err != 0) return err;
  if (try) {
    if (rwlock->write_in_progress || rwlock->num_readers > 0) err = EBUSY;
  } else {
    rwlock->num_writers++;
    while (err == 0 && (rwlock->write_in_progress || rwlock->num_readers > 0)) {
      err = pthread_cond_wait(&rwlock->cv, &rwlock->lock);
    }
    rwlock->num_writers--;
  }
  if (err == 0) rwlock->write_in_progress = 1;
  pthread_mutex_unlock(&rwlock->lock);
  return err;
}

int pthread_rwlock_rdlock(pthread_rwlock_t *rwlock) { return rdlock(rwlock, 0); }
int pthread_rwlock_tryrdlock(pthread_rwlock_t *rwlock) { return rdlock(rwlock, 1); }
int pthread_rwlock_wrlock(pthread_rwlock_t *rwlock) { return wrlock(rwlock, 0); }
int pthread_rwlock_trywrlock(pthread_rwlock_t *rwlock) { return wrlock(rwlock, 1); }

int pthread_rwlock_unlock(pthread_rwlock_t *rwlock) {
  int err = rwlock_enter(rwlock, 0);
  if (err != 0) return err;
  if (rwlock->write_in_progress) {
    rwlock->write_in_progress = 0;
  } else if (rwlock->num_readers > 0) {
    rwlock->num_readers--;
  } else {
    err = EPERM; /* not locked */
  }
  if (err == 0) pthread_cond_broadcast(&rwlock->cv);
  pthread_mutex_unlock(&rwlock->lock);
  return err;
}
