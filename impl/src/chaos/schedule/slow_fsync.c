/*
 * slow_fsync: an LD_PRELOAD shim that makes fsync and fdatasync slow for chosen files, so a
 * fault schedule can hold a server (zabd or a ZooKeeper JVM alike) inside one disk write.
 *
 *   SLOW_FSYNC_MATCH    a substring of the file's path (/proc/self/fd/N); unset: no file
 *   SLOW_FSYNC_MS       how long each matching fsync waits before it starts
 *   SLOW_FSYNC_TRIGGER  optional: a path; the shim acts only while it exists
 *   SLOW_FSYNC_VOLATILE optional, "1": write() and pwrite() to a matching file are kept in
 *                       this process until the file's next fsync, as a disk cache that a
 *                       power cut empties: a SIGKILL before that fsync loses what was
 *                       written (ZooKeeper pads a new log with pwrite: keeping only its
 *                       write()s would leave a padded file of zeros without a header)
 *
 * Each delayed call is written to stderr (the server's log), so a run shows where it held.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_FD 4096

/* What write() (offset -1) and pwrite() kept per descriptor, in call order, until the next
 * fsync. */
struct kept_write {
    off_t offset;
    size_t len;
    struct kept_write *next;
    char data[];
};
static struct kept_write *kept[MAX_FD];
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);

static void resolve(void) {
    if (!real_write) real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (!real_pwrite)
        real_pwrite = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
}

/* Whether the shim acts on fd now; its path goes into `path`. */
static int matches(int fd, char *path, size_t size) {
    const char *match = getenv("SLOW_FSYNC_MATCH");
    const char *trigger = getenv("SLOW_FSYNC_TRIGGER");
    if (!match || fd < 0 || fd >= MAX_FD) return 0;
    if (trigger && access(trigger, F_OK) != 0) return 0;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, size - 1);
    if (n < 0) return 0;
    path[n] = '\0';
    return strstr(path, match) != NULL;
}

static void hold(int fd, const char *call) {
    const char *ms = getenv("SLOW_FSYNC_MS");
    char path[4096];
    if (!ms || !matches(fd, path, sizeof path)) return;
    long delay = atol(ms);
    fprintf(stderr, "slow_fsync: %s(%s) held %ld ms\n", call, path, delay);
    struct timespec t = {delay / 1000, (delay % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0) {
    }
    fprintf(stderr, "slow_fsync: %s(%s) released\n", call, path);
}

/* Writes what was kept for fd, in order, now that its fsync is due. */
static void release(int fd) {
    if (fd < 0 || fd >= MAX_FD) return;
    pthread_mutex_lock(&kept_lock);
    struct kept_write *w = kept[fd];
    kept[fd] = NULL;
    while (w) {
        size_t done = 0;
        while (done < w->len) {
            ssize_t n = w->offset < 0
                            ? real_write(fd, w->data + done, w->len - done)
                            : real_pwrite(fd, w->data + done, w->len - done, w->offset + done);
            if (n <= 0) break;
            done += (size_t)n;
        }
        struct kept_write *next = w->next;
        free(w);
        w = next;
    }
    pthread_mutex_unlock(&kept_lock);
}

/* Keeps a write to fd at offset (-1: the file position) if the volatile cache is on and fd
 * matches; whether it did. */
static int keep(int fd, const void *buf, size_t n, off_t offset) {
    const char *volatile_cache = getenv("SLOW_FSYNC_VOLATILE");
    char path[4096];
    if (!volatile_cache || strcmp(volatile_cache, "1") != 0 || n == 0 ||
        !matches(fd, path, sizeof path))
        return 0;
    struct kept_write *w = malloc(sizeof *w + n);
    if (!w) return 0;
    w->offset = offset;
    w->len = n;
    w->next = NULL;
    memcpy(w->data, buf, n);
    pthread_mutex_lock(&kept_lock);
    struct kept_write **tail = &kept[fd];
    while (*tail) tail = &(*tail)->next;
    *tail = w;
    pthread_mutex_unlock(&kept_lock);
    return 1;
}

ssize_t write(int fd, const void *buf, size_t n) {
    resolve();
    if (keep(fd, buf, n, -1)) return (ssize_t)n;
    return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t offset) {
    resolve();
    if (offset >= 0 && keep(fd, buf, n, offset)) return (ssize_t)n;
    return real_pwrite(fd, buf, n, offset);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t offset) {
    return pwrite(fd, buf, n, offset);
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    resolve();
    hold(fd, "fsync");
    release(fd);
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    resolve();
    hold(fd, "fdatasync");
    release(fd);
    return real(fd);
}
