/*
 * slow_fsync: an LD_PRELOAD shim that makes fsync and fdatasync slow for chosen files, so a
 * fault schedule can hold a server (zabd or a ZooKeeper JVM alike) inside one disk write.
 *
 *   SLOW_FSYNC_MATCH    a substring of the file's path (/proc/self/fd/N); unset: no file
 *   SLOW_FSYNC_MS       how long each matching fsync waits before it starts
 *   SLOW_FSYNC_TRIGGER  optional: a path; the shim acts only while it exists
 *   SLOW_FSYNC_VOLATILE optional, "1": write() to a matching file is kept in this process
 *                       until the file's next fsync, as a disk cache that a power cut
 *                       empties: a SIGKILL before that fsync loses what was written
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

/* What write() kept per descriptor, in order, until the next fsync. */
static char *kept[MAX_FD];
static size_t kept_len[MAX_FD];
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

static ssize_t (*real_write)(int, const void *, size_t);

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

/* Writes what was kept for fd, now that its fsync is due. */
static void release(int fd) {
    if (fd < 0 || fd >= MAX_FD) return;
    pthread_mutex_lock(&kept_lock);
    size_t done = 0;
    while (kept[fd] && done < kept_len[fd]) {
        ssize_t n = real_write(fd, kept[fd] + done, kept_len[fd] - done);
        if (n <= 0) break;
        done += (size_t)n;
    }
    free(kept[fd]);
    kept[fd] = NULL;
    kept_len[fd] = 0;
    pthread_mutex_unlock(&kept_lock);
}

ssize_t write(int fd, const void *buf, size_t n) {
    if (!real_write) real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    const char *volatile_cache = getenv("SLOW_FSYNC_VOLATILE");
    char path[4096];
    if (volatile_cache && strcmp(volatile_cache, "1") == 0 && n > 0 &&
        matches(fd, path, sizeof path)) {
        pthread_mutex_lock(&kept_lock);
        char *grown = realloc(kept[fd], kept_len[fd] + n);
        if (grown) {
            memcpy(grown + kept_len[fd], buf, n);
            kept[fd] = grown;
            kept_len[fd] += n;
        }
        pthread_mutex_unlock(&kept_lock);
        if (grown) return (ssize_t)n;
    }
    return real_write(fd, buf, n);
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (!real_write) real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    hold(fd, "fsync");
    release(fd);
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (!real_write) real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    hold(fd, "fdatasync");
    release(fd);
    return real(fd);
}
