/* LAB ONLY (never installed by the slurm role). A container shares the machine's kernel, so slurmd reports
 * the machine's uptime and slurmctld never sees a woken container as rebooted ("Still waiting for boot").
 * Loaded into slurmd with LD_PRELOAD, this reports uptime since slurmd started (at least 1 s), which is what a
 * real machine that just booted reports. See ../../../shared/lab-notes.md section 3.
 *   gcc -shared -fPIC -O2 -o fakeuptime.so fakeuptime.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/sysinfo.h>

int sysinfo(struct sysinfo *info)
{
    static int (*real_sysinfo)(struct sysinfo *);
    static long first = -1;
    int rc;

    if (!real_sysinfo)
        real_sysinfo = (int (*)(struct sysinfo *))dlsym(RTLD_NEXT, "sysinfo");
    rc = real_sysinfo(info);
    if (rc == 0) {
        if (first < 0)
            first = info->uptime;
        info->uptime = info->uptime - first < 1 ? 1 : info->uptime - first;
    }
    return rc;
}
