/* A QEMU TCG plugin for bench/riscv_cost.py: counts the guest instructions executed,
   and at every stage marker writes the count so far to its log.

   A marker is the guest's fsync(MAGIC, frame, stage) (bench/riscv_loop.py calls it
   through libc's syscall(); fsync on that fd fails with EBADF and does nothing else):
   the plugin writes "frame stage count" for it. Counting is per translated block (an
   inline add of the block's instruction count at its entry; a marker's ecall ends a
   block), so a segment's count is the difference of two consecutive lines. One vCPU
   per guest thread: the log says how many threads ran ("threads N"; the counted runs
   keep to one, so the one counter is exact).

   Built by bench/riscv_cost.sh against include/qemu/qemu-plugin.h of the same QEMU
   version as the qemu-riscv64 that loads it:
     qemu-riscv64 -plugin ./riscv_count.so,out=LOG ... */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define RISCV_NR_FSYNC 82
#define MARK_FD 0x6d61726bULL /* "mark" */

static uint64_t executed;
static unsigned threads;
static FILE *out;

static void on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &executed,
                                             qemu_plugin_tb_n_insns(tb));
}

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1,
                       uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6,
                       uint64_t a7, uint64_t a8)
{
    if (num == RISCV_NR_FSYNC && a1 == MARK_FD)
        fprintf(out, "%" PRId64 " %" PRId64 " %" PRIu64 "\n", (int64_t)a2, (int64_t)a3,
                executed);
}

static void on_vcpu(qemu_plugin_id_t id, unsigned int vcpu) { threads++; }

static void on_exit(qemu_plugin_id_t id, void *p)
{
    fprintf(out, "end %" PRIu64 "\nthreads %u\n", executed, threads);
    fclose(out);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "out=", 4) == 0)
            path = argv[i] + 4;
    out = path ? fopen(path, "w") : NULL;
    if (!out) {
        fprintf(stderr, "riscv_count: give a writable out=LOG\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb);
    qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
    qemu_plugin_register_vcpu_init_cb(id, on_vcpu);
    qemu_plugin_register_atexit_cb(id, on_exit, NULL);
    return 0;
}
