/*
 * slow_fsync: an LD_PRELOAD shim that makes fsync and fdatasync slow for chosen files, so a
 * fault schedule can hold a server (zabd or a ZooKeeper JVM alike) inside one disk write.
 *
 *   SLOW_FSYNC_MATCH    a substring of the file's path (/proc/self/fd/N); unset: no file
 *   SLOW_FSYNC_MS       how long each matching fsync waits before it starts
 *   SLOW_FSYNC_TRIGGER  optional: a path; the delay applies only while it exists
 *
 * Each delayed call is written to stderr (the server's log), so a run shows where it held.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void hold(int fd, const char *call) {
    const char *match = getenv("SLOW_FSYNC_MATCH");
    const char *ms = getenv("SLOW_FSYNC_MS");
    const char *trigger = getenv("SLOW_FSYNC_TRIGGER");
    if (!match || !ms) return;
    if (trigger && access(trigger, F_OK) != 0) return;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0) return;
    path[n] = '\0';
    if (!strstr(path, match)) return;
    long delay = atol(ms);
    fprintf(stderr, "slow_fsync: %s(%s) held %ld ms\n", call, path, delay);
    struct timespec t = {delay / 1000, (delay % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0) {
    }
    fprintf(stderr, "slow_fsync: %s(%s) released\n", call, path);
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    hold(fd, "fsync");
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    hold(fd, "fdatasync");
    return real(fd);
}
