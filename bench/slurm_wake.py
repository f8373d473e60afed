"""Benchmark: from sbatch to the job starting on a sleeping node, split into wake, boot and registration
(issue 8). Target: no more than 2 s of overhead beyond the simulated boot time.

It runs against the Slurm cluster of molecule/slurm (`make bench-slurm` brings it up and takes it down):
slurmctld on slurm-ctl, slurmd on slurm-c1 and slurm-c2, which power off when idle and are woken by a real
magic packet that the lab power controller answers by starting the container after its boot delay (the
container label homelab.power.boot_delay_s: the simulated firmware and kernel boot).

For each round it waits until slurm-c1 is off, submits a job for it and takes these times, all on the one kernel's
monotonic clock the containers share:
  submit     sbatch (or srun) is called on the controller (its `date` just before the exec: reaching the
             controller through `podman exec` is the harness's cost, not Slurm's)
  packet     the first magic packet went out (the power log; wall clock converted). PrologSlurmctld sends it as
             soon as the job has its nodes; ResumeProgram sends another at slurmctld's next power-save pass
  power-on   the container started (podman's StartedAt; wall clock converted)
  slurmd     slurmd became active in the node (systemd's ActiveEnterTimestampMonotonic)
  job        the job's first line ran (it prints time.monotonic())
wake = packet - submit, boot = slurmd - packet (the simulated boot delay, then systemd up to slurmd),
registration = job - slurmd (slurmd registers, slurmctld sees the node rebooted, PrologSlurmctld sees it up and
returns, slurmctld starts the job). overhead = (job - submit) - simulated boot delay. The baseline is a job on the
same node while it is awake, in the same session. Rounds alternate between a batch job (sbatch) and an
interactive step (srun). Without the role's PrologSlurmctld, Slurm 22.05 would launch a batch job on a resumed
node only at its periodic check, every 30 s (15 s of overhead on average, measured before it existed).

    python bench/slurm_wake.py [--rounds 3]
"""

import argparse
import datetime
import re
import statistics
import sys
import time

from benchlib import run

TARGET_OVERHEAD_S = 2.0
NODE = 'slurm-c1'
CTL = 'slurm-ctl'
JOB = "python3 -c 'import time, socket; print(time.monotonic(), socket.gethostname())'"


def ctl(*cmd, check=True):
    return run('podman', 'exec', CTL, *cmd, check=check)


def wall_to_mono(wall):
    return wall - (time.time() - time.monotonic())


def running(name):
    return run('podman', 'inspect', '-f', '{{.State.Running}}', name).stdout.strip() == 'true'


def wait(what, test, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = test()
        if value:
            return value
        time.sleep(0.2)
    sys.exit('bench: %s did not happen within %d s' % (what, timeout))


# The clock starts when sbatch/srun is called on the controller (its `date`, just before the exec), not when
# `podman exec` is: reaching the controller is the harness's cost, not Slurm's.
STAMP = 'date +%s.%N; exec "$@"'


def srun_now(timeout=120):
    """The interactive path: srun blocks until its step ran; the step prints when it started."""
    out = run('timeout', str(timeout), 'podman', 'exec', CTL, 'sh', '-c', STAMP, 'sh', 'srun', '-w', NODE,
              'python3', '-c', 'import time; print(time.monotonic())').stdout.split()
    return 'srun', wall_to_mono(float(out[0])), float(out[1])


def submit_and_wait(timeout=120):
    out = ctl('sh', '-c', STAMP, 'sh', 'sbatch', '--parsable', '-w', NODE, '-o', '/tmp/bench-%j.out', '--wrap',
              JOB).stdout.split()
    submit, job = wall_to_mono(float(out[0])), out[1]

    def output():
        proc = run('podman', 'exec', NODE, 'cat', '/tmp/bench-%s.out' % job, check=False) if running(NODE) else None
        return proc.stdout.split()[0] if proc and proc.returncode == 0 and proc.stdout.strip() else None
    started = float(wait('job %s output' % job, output, timeout))
    return job, submit, started


def packet_time(after_wall):
    log = ctl('cat', '/var/log/slurm/homelab-power.log').stdout
    times = [float(m.group(1)) for m in re.finditer(r'^(\d+\.\d+) \S+ resume %s: magic packet' % NODE, log, re.M)]
    # the first packet of this round: PrologSlurmctld sends it; ResumeProgram's, at slurmctld's next power-save
    # pass, follows
    later = [t for t in times if t >= after_wall - 1]
    return wall_to_mono(later[0]) if later else None


def container_start():
    stamp = run('podman', 'inspect', '-f', '{{.State.StartedAt}}', NODE).stdout.strip()
    # 2026-11-24 06:50:01.123456789 +0000 UTC
    match = re.match(r'^(\S+ \d+:\d+:\d+)(\.\d+)? ([+-]\d{4})', stamp)
    base = datetime.datetime.strptime(match.group(1) + ' ' + match.group(3), '%Y-%m-%d %H:%M:%S %z')
    return wall_to_mono(base.timestamp() + float(match.group(2) or 0))


def slurmd_active():
    value = run('podman', 'exec', NODE, 'systemctl', 'show', 'slurmd', '-p', 'ActiveEnterTimestampMonotonic',
                '--value').stdout.strip()
    return int(value) / 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--suspend-time', type=int, default=10)
    args = parser.parse_args()
    delay = float(run('podman', 'inspect', '-f', '{{index .Config.Labels "homelab.power.boot_delay_s"}}', NODE)
                  .stdout.strip() or 0)
    for host in (CTL, NODE, 'slurm-c2'):
        if running(host):
            run('podman', 'exec', host, 'sed', '-i', 's/^SuspendTime=.*/SuspendTime=%d/' % args.suspend_time,
                '/etc/slurm/slurm.conf')
    ctl('scontrol', 'reconfigure')
    rows = []
    baselines = []
    paths = ['sbatch', 'srun'] * args.rounds
    for number, path in enumerate(paths, 1):
        wait('%s powered off' % NODE, lambda: not running(NODE), 180)
        wait('%s idle~ in sinfo' % NODE,
             lambda: set(ctl('sinfo', '-h', '-n', NODE, '-o', '%t').stdout.split()) == {'idle~'}, 60)
        time.sleep(1)
        before_wall = time.time()
        job, submit, started = (srun_now if path == 'srun' else submit_and_wait)()
        packet = packet_time(before_wall)
        power_on, slurmd = container_start(), slurmd_active()
        total = started - submit
        rows.append({'path': path, 'job': job, 'total': total, 'wake': packet - submit, 'boot': slurmd - packet,
                     'power_on': power_on - packet, 'registration': started - slurmd,
                     'overhead': total - delay})
        # the baseline: the same node, awake, in this session
        _job, submit, started = submit_and_wait()
        baselines.append(started - submit)
        print('round %d (%s): job %s total %.2f s = wake %.2f + boot %.2f (power-on after %.2f, of it %.1f simulated) '
              '+ registration %.2f; overhead %.2f s; awake node %.2f s'
              % (number, path, job, total, rows[-1]['wake'], rows[-1]['boot'], rows[-1]['power_on'], delay,
                 rows[-1]['registration'], rows[-1]['overhead'], baselines[-1]))
    baseline = statistics.median(baselines)
    verdict = {}
    for path in ('sbatch', 'srun'):
        mine = [r for r in rows if r['path'] == path]
        overhead = statistics.median(r['overhead'] for r in mine)
        total = statistics.median(r['total'] for r in mine)
        verdict[path] = overhead
        print('median %s: to start on a sleeping node %.2f s (wake %.2f, boot %.2f, registration %.2f), on an '
              'awake node %.2f s (ratio %.1f); overhead beyond the simulated %.1f s boot %.2f s (target <= %.1f s)'
              % (path, total, statistics.median(r['wake'] for r in mine), statistics.median(r['boot'] for r in mine),
                 statistics.median(r['registration'] for r in mine), baseline, total / baseline if baseline else 0,
                 delay, overhead, TARGET_OVERHEAD_S))
    missed = [path for path, overhead in verdict.items() if overhead > TARGET_OVERHEAD_S]
    if missed:
        print('target: MISSED for ' + ', '.join(missed))
    else:
        print('target: met (sbatch %.2f s, srun %.2f s <= %.1f s)'
              % (verdict['sbatch'], verdict['srun'], TARGET_OVERHEAD_S))
    return 1 if missed else 0


if __name__ == '__main__':
    sys.exit(main())
