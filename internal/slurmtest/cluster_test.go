package slurmtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestClusterRunsJob submits a batch job and checks that it ran on the node
// with the cluster's environment and that squeue -t all reports it COMPLETED
// (there is no accounting: squeue is where a finished job's state is).
func TestClusterRunsJob(t *testing.T) {
	c := Start(t)
	out := filepath.Join(t.TempDir(), "out.txt")
	script := filepath.Join(t.TempDir(), "job.sh")
	body := "#!/bin/bash\n#SBATCH --output=" + out + "\necho \"node=$SLURMD_NODENAME conf=$SLURM_CONF\"\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	id := submit(t, c, script)
	state := waitEnded(t, c, id, 60*time.Second)
	t.Logf("job %s %s after %v", id, state, time.Since(start).Round(time.Millisecond))
	if state != "COMPLETED" {
		t.Fatalf("job %s ended %s, want COMPLETED\n%s", id, state, c.Logs())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "node=" + c.Node + " conf=" + c.Conf + "\n"; string(got) != want {
		t.Errorf("job output %q, want %q", got, want)
	}
}

// TestClusterShared checks that a second Start in the same process returns
// the running cluster, and that CancelAll ends a running job.
func TestClusterShared(t *testing.T) {
	c := Start(t)
	if c2 := Start(t); c2 != c {
		t.Fatalf("second Start returned another cluster (%s, first %s)", c2.Dir, c.Dir)
	}
	script := filepath.Join(t.TempDir(), "sleep.sh")
	if err := os.WriteFile(script, []byte("#!/bin/bash\n#SBATCH --output=/dev/null\nsleep 300\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	id := submit(t, c, script)
	if err := c.CancelAll(); err != nil {
		t.Fatal(err)
	}
	if state := waitEnded(t, c, id, 10*time.Second); state != "CANCELLED" {
		t.Errorf("job %s %s after CancelAll, want CANCELLED", id, state)
	}
}

// TestReapLeftovers plays a cluster left by a killed test process: a
// directory named after a process that has exited and a process carrying its
// SLURM_CONF. reapLeftovers must kill the process and remove the directory,
// and leave a live process's directory alone.
func TestReapLeftovers(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("leftover clusters are found through /proc")
	}
	base := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(base, strconv.Itoa(dead.Process.Pid)+"-1")
	live := filepath.Join(base, strconv.Itoa(os.Getppid())+"-2")
	for _, d := range []string{old, live} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	orphan := exec.Command("sleep", "60")
	orphan.Env = append(os.Environ(), "SLURM_CONF="+filepath.Join(old, "slurm.conf"))
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- orphan.Wait() }()
	t.Cleanup(func() { orphan.Process.Kill() })

	reapLeftovers(base)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Error("the leftover cluster's process is still running")
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("leftover directory %s: %v, want it removed", old, err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("directory of a live process %s: %v, want it kept", live, err)
	}
}

func submit(t *testing.T, c *Cluster, script string) string {
	t.Helper()
	out, err := c.run(30*time.Second, "sbatch", "--parsable", script)
	if err != nil {
		t.Fatalf("%v\n%s", err, c.Logs())
	}
	id, _, _ := strings.Cut(strings.TrimSpace(out), ";")
	return id
}

// waitEnded polls squeue until the job is in a final state and returns it.
func waitEnded(t *testing.T, c *Cluster, id string, timeout time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		out, err := c.run(10*time.Second, "squeue", "-h", "-j", id, "-t", "all", "-o", "%T")
		state := strings.TrimSpace(out)
		if err == nil {
			switch state {
			case "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL":
				return state
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("job %s not ended after %v (last state %q, %v)\n%s", id, timeout, state, err, c.Logs())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
