// Package slurmtest starts a real single-node Slurm cluster for tests: the
// slurmctld, slurmd and munged of the machine's Slurm and MUNGE packages
// (Debian: slurmctld slurmd slurm-client munge), each with its own
// configuration, key, state, spool and logs in a private directory.
//
//	c := slurmtest.Start(t)
//	cmd := exec.Command("sbatch", "--parsable", script)
//	cmd.Env = append(os.Environ(), c.Env()...)
//
// Start skips the test when the Slurm or MUNGE programs are missing or the
// test does not run as root, and fails it instead when the environment holds
// SPIKEGRAD_REQUIRE_SLURM=1 (as CI does). All tests of one test process share
// one cluster, started by the first Start; when the last test using it ends,
// its jobs are cancelled. The daemons stop when the test process exits (or at
// Stop); a cluster left behind by a killed test process is removed by the
// next Start.
//
// # What the cluster needs on this kind of machine
//
// These facts were found by bringing the cluster up by hand on Debian 12
// (Slurm 22.05.8, MUNGE 0.5.15) as root in a container without systemd:
//
//   - The packages start no daemon (no systemd), and Slurm's config is not in
//     /etc/slurm: every Slurm program, daemons and clients alike, finds it
//     through SLURM_CONF. sbatch passes its environment on to the job, so the
//     job's processes (and slurmd's slurmstepd) carry SLURM_CONF as well, which
//     is how a leftover cluster's processes are recognised.
//   - munged runs as root in the foreground (-F) with its key, socket, pid,
//     seed and log files given on the command line; Slurm's auth/munge and
//     cred/munge then use that socket through AuthInfo=socket=PATH. A private
//     socket leaves the system's munged (/run/munge/munge.socket.2, whose
//     directory must be created and owned by munge before it starts) alone.
//     The key is 1024 random bytes, mode 0600, owned by the user munged runs as;
//     the socket's directory must be enterable by everyone (mode 0755), or
//     munged exits with "Socket is inaccessible".
//   - "slurmd -C" prints the node line (NodeName=HOST CPUs=... RealMemory=...);
//     the node is declared with it, NodeAddr=127.0.0.1, and slurmd is started
//     with -N HOST so that it does not depend on name resolution.
//   - ProctrackType=proctrack/linuxproc and TaskPlugin=task/none need no
//     cgroups; SelectType=select/cons_tres with CR_CPU schedules by CPU, so two
//     one-CPU tasks run at once on a two-core machine and --mem is checked
//     against RealMemory but not reserved.
//   - No accounting: AccountingStorageType=accounting_storage/none, so sacct
//     fails ("Slurm accounting storage is disabled"); a job's state is known
//     only from squeue -t all / scontrol show job until MinJobAge seconds after
//     it ended, then "Invalid job id specified".
//   - With the default batch_sched_delay a released array waited 2 s before
//     its first task started and 2 s between waves of tasks;
//     SchedulerParameters=batch_sched_delay=0 brings this to about 1 s.
//     slurmctld is up and the node idle about 1 s after the daemons start.
//   - slurmd logs "can not load PMIx library" errors at start; they are
//     harmless (MpiDefault=none).
//   - Stopping slurmd does not end the jobs it started (slurmstepd and the
//     job's processes live on), so the jobs are cancelled first; KillWait=2
//     makes a cancelled job's processes get SIGKILL 2 s after SIGTERM.
//   - The daemons run in the foreground (-D) as children of the test process
//     with a parent-death signal, so they end with it even when it is killed.
package slurmtest
