package slurmtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RequireEnv is the environment variable that turns a missing Slurm into a
// test failure: with RequireEnv=1, Start fails where it would skip.
const RequireEnv = "SPIKEGRAD_REQUIRE_SLURM"

// Cluster is a running single-node Slurm cluster. Its fields describe it; it
// is shared by the tests of one process and must not be changed.
type Cluster struct {
	Dir       string // private directory: slurm.conf, munge key and socket, state, spool, logs
	Conf      string // path of slurm.conf (Dir/slurm.conf)
	Node      string // the node's name, as "slurmd -C" prints it
	Partition string // the only partition, the default one
	CPUs      int    // CPUs of the node

	daemons []*daemon // in start order: munged, slurmctld, slurmd
}

// Env returns the environment variables that Slurm's commands need to reach
// this cluster ("SLURM_CONF=..."), to be appended to os.Environ().
func (c *Cluster) Env() []string {
	return []string{"SLURM_CONF=" + c.Conf}
}

// Command returns a command running a Slurm program (sbatch, squeue, ...)
// against this cluster.
func (c *Cluster) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), c.Env()...)
	return cmd
}

// run runs a Slurm program against the cluster with a timeout and returns
// its standard output.
func (c *Cluster) run(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := c.Command(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("slurmtest: %s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// CancelAll cancels every job of the cluster and waits (up to 30 s) until
// none is pending, running or completing.
func (c *Cluster) CancelAll() error {
	out, err := c.run(30*time.Second, "squeue", "-h", "-t", "all", "-o", "%A")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var ids []string
	for _, id := range strings.Fields(out) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := c.run(30*time.Second, "scancel", ids...); err != nil {
		return err
	}
	// KillWait=2 in slurm.conf: SIGKILL follows SIGTERM after 2 s.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := c.run(30*time.Second, "squeue", "-h", "-o", "%i %T")
		if err == nil && strings.TrimSpace(out) == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("slurmtest: jobs still active 30 s after scancel: %s (%v)", strings.TrimSpace(out), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Logs returns the last lines of the daemons' logs, for a failing test's
// message.
func (c *Cluster) Logs() string {
	var b strings.Builder
	for _, name := range []string{"munged.out", "munged.log", "slurmctld.out", "slurmctld.log", "slurmd.out", "slurmd.log"} {
		data, err := os.ReadFile(filepath.Join(c.Dir, "log", name))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 30 {
			lines = lines[len(lines)-30:]
		}
		fmt.Fprintf(&b, "== %s (last %d lines)\n%s\n", name, len(lines), strings.Join(lines, "\n"))
	}
	return b.String()
}

// The cluster shared by the tests of this process.
var (
	mu      sync.Mutex
	shared  *Cluster
	skipped string // why Slurm cannot run here; set once
	failed  error  // the error of the first start; a later Start reports it again
	users   int    // tests that are using shared and have not ended
)

// Start returns the process's cluster, starting it on first use. It skips
// the test when Slurm cannot run here (programs missing, not root), or fails
// it if RequireEnv=1. When the last test that called Start ends, the
// cluster's jobs are cancelled; the daemons stay up for the next test.
func Start(t testing.TB) *Cluster {
	t.Helper()
	mu.Lock()
	if shared == nil && skipped == "" && failed == nil {
		skipped = unavailable()
		if skipped == "" {
			begin := time.Now()
			shared, failed = start()
			if failed == nil {
				t.Logf("slurmtest: cluster of node %s (%d CPUs) up in %v: SLURM_CONF=%s", shared.Node, shared.CPUs, time.Since(begin).Round(time.Millisecond), shared.Conf)
			}
		}
	}
	c, skip, err := shared, skipped, failed
	if c != nil {
		users++
	}
	mu.Unlock()
	if skip != "" {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("slurmtest: %s (%s=1 requires Slurm)", skip, RequireEnv)
		}
		t.Skipf("slurmtest: %s; skipping (set %s=1 to fail instead)", skip, RequireEnv)
	}
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		mu.Lock()
		users--
		last := users == 0 && shared == c
		mu.Unlock()
		if last {
			if err := c.CancelAll(); err != nil {
				t.Errorf("slurmtest: cleaning up after the test: %v\n%s", err, c.Logs())
			}
		}
	})
	return c
}

// Stop cancels the shared cluster's jobs, stops its daemons and removes its
// directory; a later Start starts a new cluster. A TestMain may call it after
// m.Run; without it the daemons end with the test process.
func Stop() error {
	mu.Lock()
	c := shared
	shared, failed, skipped = nil, nil, ""
	mu.Unlock()
	if c == nil {
		return nil
	}
	return c.stop()
}

// daemon is a started daemon process.
type daemon struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited and been reaped
}

func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// terminate sends SIGTERM and waits up to wait for the exit, then sends
// SIGKILL.
func (d *daemon) terminate(wait time.Duration) {
	if d.exited() {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(wait):
		d.cmd.Process.Kill()
		<-d.done
	}
}
