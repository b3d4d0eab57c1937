package slurmtest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// programs are the executables the cluster needs, with the Debian package
// of each.
var programs = [][2]string{
	{"munged", "munge"},
	{"slurmctld", "slurmctld"},
	{"slurmd", "slurmd"},
	{"sinfo", "slurm-client"},
	{"squeue", "slurm-client"},
	{"sbatch", "slurm-client"},
	{"scancel", "slurm-client"},
	{"scontrol", "slurm-client"},
}

// unavailable says why a cluster cannot be started here, or "".
func unavailable() string {
	var missing, pkgs []string
	for _, p := range programs {
		if _, err := exec.LookPath(p[0]); err != nil {
			missing = append(missing, p[0])
			if len(pkgs) == 0 || pkgs[len(pkgs)-1] != p[1] {
				pkgs = append(pkgs, p[1])
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("%s not found on PATH (Debian: apt-get install %s)", strings.Join(missing, ", "), strings.Join(pkgs, " "))
	}
	if os.Geteuid() != 0 {
		return "a test Slurm cluster needs root (slurmd runs jobs as their users)"
	}
	return ""
}

// baseDir holds one directory per cluster, named "<pid>-<random>" after the
// test process that started it.
func baseDir() string { return filepath.Join(os.TempDir(), "spikegrad-slurmtest") }

// Daemons are started from one goroutine locked to its OS thread, which never
// ends: the parent-death signal (Pdeathsig) of a child fires when the thread
// that forked it exits, and a Go program may end idle threads.
var (
	spawnOnce sync.Once
	spawnReqs chan spawnReq
)

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func spawn(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnReqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread()
			for r := range spawnReqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error)
	spawnReqs <- spawnReq{cmd, done}
	return <-done
}

// startDaemon starts a daemon in the foreground with output to log/<name>.out
// and SIGTERM on the test process's death.
func (c *Cluster) startDaemon(name string, args ...string) error {
	out, err := os.Create(filepath.Join(c.Dir, "log", name+".out"))
	if err != nil {
		return fmt.Errorf("slurmtest: starting %s: %w", name, err)
	}
	defer out.Close()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), c.Env()...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM, Setpgid: true}
	if err := spawn(cmd); err != nil {
		return fmt.Errorf("slurmtest: starting %s: %w", name, err)
	}
	d := &daemon{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(d.done) }()
	c.daemons = append(c.daemons, d)
	return nil
}

// start writes the configuration and starts munged, slurmctld and slurmd.
func start() (*Cluster, error) {
	base := baseDir()
	// munged refuses a socket in a directory that not everyone may enter
	// ("Socket is inaccessible: execute permissions for all required").
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, fmt.Errorf("slurmtest: %w", err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		return nil, fmt.Errorf("slurmtest: %w", err)
	}
	reapLeftovers(base)
	dir, err := os.MkdirTemp(base, strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, fmt.Errorf("slurmtest: %w", err)
	}
	c := &Cluster{Dir: dir, Conf: filepath.Join(dir, "slurm.conf"), Partition: "debug"}
	err = os.Chmod(dir, 0o755)
	if err == nil {
		err = c.bringUp()
	}
	if err != nil {
		logs := c.Logs()
		c.stop()
		return nil, fmt.Errorf("%w\n%s", err, logs)
	}
	return c, nil
}

func (c *Cluster) bringUp() error {
	for _, d := range []string{"state", "spool", "log"} {
		if err := os.Mkdir(filepath.Join(c.Dir, d), 0o755); err != nil {
			return fmt.Errorf("slurmtest: %w", err)
		}
	}
	// MUNGE wants a key of at least 32 bytes readable by its user only;
	// 1024 bytes is what mungekey makes by default.
	key := make([]byte, 1024)
	rand.Read(key)
	keyFile := filepath.Join(c.Dir, "munge.key")
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		return fmt.Errorf("slurmtest: %w", err)
	}
	nodeLine, err := c.nodeLine()
	if err != nil {
		return err
	}
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	socket := filepath.Join(c.Dir, "munge.socket")
	if err := os.WriteFile(filepath.Join(c.Dir, "plugstack.conf"), nil, 0o644); err != nil {
		return fmt.Errorf("slurmtest: %w", err)
	}
	if err := os.WriteFile(c.Conf, []byte(c.config(nodeLine, ports[0], ports[1], socket)), 0o644); err != nil {
		return fmt.Errorf("slurmtest: %w", err)
	}

	if err := c.startDaemon("munged", "--foreground", "--key-file="+keyFile, "--socket="+socket,
		"--pid-file="+filepath.Join(c.Dir, "munged.pid"), "--seed-file="+filepath.Join(c.Dir, "munged.seed"),
		"--log-file="+filepath.Join(c.Dir, "log", "munged.log")); err != nil {
		return err
	}
	if err := c.waitFor("munged's socket", 10*time.Second, func() (bool, string) {
		_, err := os.Stat(socket)
		return err == nil, fmt.Sprint(err)
	}); err != nil {
		return err
	}
	if err := c.startDaemon("slurmctld", "-D"); err != nil {
		return err
	}
	if err := c.startDaemon("slurmd", "-D", "-N", c.Node); err != nil {
		return err
	}
	// The node is idle about 1 s after the daemons start.
	return c.waitFor("the node to be idle in sinfo", 30*time.Second, func() (bool, string) {
		out, err := c.run(10*time.Second, "sinfo", "-h", "-N", "-o", "%T %E")
		if err != nil {
			return false, err.Error()
		}
		f := strings.Fields(out)
		return len(f) > 0 && f[0] == "idle", strings.TrimSpace(out)
	})
}

// waitFor polls ok every 50 ms until it is true, a daemon has exited, or
// timeout has passed.
func (c *Cluster) waitFor(what string, timeout time.Duration, ok func() (bool, string)) error {
	deadline := time.Now().Add(timeout)
	for {
		done, last := ok()
		if done {
			return nil
		}
		for _, d := range c.daemons {
			if d.exited() {
				return fmt.Errorf("slurmtest: waiting for %s: %s exited (%v)", what, d.name, d.cmd.ProcessState)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("slurmtest: %s not reached after %v (last: %s)", what, timeout, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// nodeLine runs "slurmd -C" and returns its NodeName line with the node's
// address added; it sets c.Node and c.CPUs.
func (c *Cluster) nodeLine() (string, error) {
	out, err := exec.Command("slurmd", "-C").Output()
	if err != nil {
		return "", fmt.Errorf("slurmtest: slurmd -C: %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "NodeName=") {
			continue
		}
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "NodeName":
				c.Node = v
			case "CPUs":
				c.CPUs, _ = strconv.Atoi(v)
			}
		}
		if c.Node == "" || c.CPUs <= 0 {
			break
		}
		return strings.TrimSpace(line) + " NodeAddr=127.0.0.1 State=UNKNOWN", nil
	}
	return "", fmt.Errorf("slurmtest: slurmd -C printed no usable NodeName line: %q", out)
}

// config returns slurm.conf. Every path is in the cluster's directory, the
// ports are free ones, and the timeouts are short so that a test never waits
// long for a cancelled job.
func (c *Cluster) config(nodeLine string, ctldPort, slurmdPort int, mungeSocket string) string {
	p := func(name string) string { return filepath.Join(c.Dir, name) }
	lines := []string{
		"# Written by spikegrad's internal/slurmtest for one test process.",
		"ClusterName=spikegrad-test",
		"SlurmctldHost=" + c.Node + "(127.0.0.1)",
		"SlurmctldPort=" + strconv.Itoa(ctldPort),
		"SlurmdPort=" + strconv.Itoa(slurmdPort),
		"SlurmUser=root",
		"SlurmdUser=root",
		"AuthType=auth/munge",
		"CredType=cred/munge",
		"AuthInfo=socket=" + mungeSocket,
		"StateSaveLocation=" + p("state"),
		"SlurmdSpoolDir=" + p("spool"),
		"SlurmctldPidFile=" + p("slurmctld.pid"),
		"SlurmdPidFile=" + p("slurmd.pid"),
		"SlurmctldLogFile=" + p("log/slurmctld.log"),
		"SlurmdLogFile=" + p("log/slurmd.log"),
		"PlugStackConfig=" + p("plugstack.conf"),
		"ProctrackType=proctrack/linuxproc",
		"TaskPlugin=task/none",
		"MpiDefault=none",
		"SelectType=select/cons_tres",
		"SelectTypeParameters=CR_CPU",
		"SchedulerType=sched/builtin",
		"SchedulerParameters=batch_sched_delay=0",
		"AccountingStorageType=accounting_storage/none",
		"JobAcctGatherType=jobacct_gather/none",
		"JobCompType=jobcomp/none",
		"ReturnToService=2",
		"SlurmctldTimeout=10",
		"SlurmdTimeout=10",
		"MessageTimeout=5",
		"KillWait=2",
		"MinJobAge=60",
		"InactiveLimit=0",
		nodeLine,
		"PartitionName=" + c.Partition + " Nodes=" + c.Node + " Default=YES MaxTime=INFINITE State=UP",
	}
	return strings.Join(lines, "\n") + "\n"
}

// freePorts returns n TCP ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("slurmtest: finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// stop cancels the jobs, stops slurmd, slurmctld and munged (in that order),
// kills what is left of the jobs, and removes the directory.
func (c *Cluster) stop() error {
	var err error
	running := len(c.daemons) == 3 && !c.daemons[1].exited()
	if running {
		err = c.CancelAll()
	}
	for i := len(c.daemons) - 1; i >= 0; i-- {
		c.daemons[i].terminate(10 * time.Second)
	}
	killProcessesOf(c.Dir)
	if rerr := os.RemoveAll(c.Dir); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// reapLeftovers removes the clusters of test processes that no longer exist:
// it kills their remaining processes (daemons, slurmstepd, jobs) and deletes
// their directories.
func reapLeftovers(base string) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		pidText, _, ok := strings.Cut(e.Name(), "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || !e.IsDir() || pid == os.Getpid() || alive(pid) {
			continue
		}
		dir := filepath.Join(base, e.Name())
		killProcessesOf(dir)
		os.RemoveAll(dir)
	}
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// killProcessesOf kills (SIGKILL) every process that belongs to the cluster
// in dir: its environment holds SLURM_CONF=dir/slurm.conf (Slurm's daemons,
// slurmstepd and the jobs, which inherit sbatch's environment) or its
// command line names dir (munged).
func killProcessesOf(dir string) {
	conf := []byte("SLURM_CONF=" + filepath.Join(dir, "slurm.conf") + "\x00")
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "environ"))
		cmdline, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "cmdline"))
		if bytes.Contains(env, conf) || bytes.Contains(cmdline, []byte(dir+"/")) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
