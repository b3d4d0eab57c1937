package sweep

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSlurmScript checks the batch script and the trial list of an array
// without a cluster: the #SBATCH lines that the sweep file's resources
// give, and that task i runs the trial on line i+1 in the sweep directory
// with its output in the trial's log (the script is run by bash with the
// variables Slurm sets, and a stand-in for spikegrad that prints its
// arguments).
func TestSlurmScript(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my sweep")
	bin := filepath.Join(t.TempDir(), "bin dir", "spikegrad")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	// The stand-in for the trial process: prints its arguments and
	// working directory.
	if err := os.WriteFile(bin, []byte("#!/bin/bash\necho \"args: $* | cwd: $PWD | GOMAXPROCS=$GOMAXPROCS\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e := &Slurm{Binary: bin, Threads: 2, MaxParallel: 4,
		SlurmConfig: SlurmConfig{Partition: "cpu", Time: "1:00:00", Mem: "4G", Extra: []string{"--account=abc", "--qos=short"}}}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name, script, err := e.writeArray(dir, "t0000 3\nt0001 3\nt0002 5\n", 3)
	if err != nil {
		t.Fatal(err)
	}
	if name != "array-0" || script != filepath.Join(dir, "slurm", "array-0.sbatch") {
		t.Errorf("first array: %s at %s, want array-0 at slurm/array-0.sbatch", name, script)
	}
	text, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	var sbatch []string
	for _, l := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(l, "#SBATCH") {
			sbatch = append(sbatch, l)
		}
	}
	want := []string{
		"#SBATCH --job-name=spikegrad-my_sweep",
		"#SBATCH --array=0-2%4",
		`#SBATCH --chdir="` + dir + `"`,
		"#SBATCH --output=slurm/array-0-%a.out",
		"#SBATCH --no-requeue",
		"#SBATCH --ntasks=1",
		"#SBATCH --cpus-per-task=2", // Threads, as cpus_per_task is 0
		"#SBATCH --partition=cpu",
		"#SBATCH --time=1:00:00",
		"#SBATCH --signal=B:INT@120", // a one-hour limit: SIGINT two minutes before it
		"#SBATCH --mem=4G",
		"#SBATCH --account=abc",
		"#SBATCH --qos=short",
	}
	if !slices.Equal(sbatch, want) {
		t.Errorf("#SBATCH lines:\n%s\nwant:\n%s", strings.Join(sbatch, "\n"), strings.Join(want, "\n"))
	}
	if fi, err := os.Stat(script); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("script mode: %v, %v; want 0755", fi.Mode(), err)
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash to run the script")
	}
	// Task 2 of job 77: line 3 of the list.
	cmd := exec.Command("bash", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_JOB_ID=77")
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("bash %s: %v, output %q (want none: it goes to the trial's log)", script, err, out)
	}
	log, err := os.ReadFile(filepath.Join(dir, "trials", "t0002", TrialLogFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "Slurm task 77_2 on ") || !strings.HasSuffix(lines[0], "spikegrad sweep run-trial "+dir+" t0002 --epochs 5 (GOMAXPROCS=2)") {
		t.Errorf("log header %q", lines[0])
	}
	if want := "args: sweep run-trial " + dir + " t0002 --epochs 5 | cwd: " + dir + " | GOMAXPROCS=2"; len(lines) < 2 || lines[1] != want {
		t.Errorf("the trial process printed %q, want %q", lines[len(lines)-1], want)
	}
	// A second array of the same directory gets the next number.
	if name, _, err := e.writeArray(dir, "t0001 9\n", 1); err != nil || name != "array-1" {
		t.Errorf("second array: %s, %v; want array-1", name, err)
	}
}

func TestSlurmTimeLimit(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		// The formats of sbatch --time (sbatch(1)).
		{"30", 30 * time.Minute, true},
		{"30:15", 30*time.Minute + 15*time.Second, true},
		{"2:30:15", 2*time.Hour + 30*time.Minute + 15*time.Second, true},
		{"1-12", 36 * time.Hour, true},
		{"1-12:30", 36*time.Hour + 30*time.Minute, true},
		{"1-00:00:10", 24*time.Hour + 10*time.Second, true},
		{"UNLIMITED", 0, true},
		{"1h", 0, false},
		{"1:2:3:4", 0, false},
		{"", 0, false},
	} {
		got, ok := slurmTimeLimit(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("slurmTimeLimit(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	if err := (SlurmConfig{Time: "1h"}).Validate(); err == nil {
		t.Error("Validate accepted time 1h")
	}
	if err := (SlurmConfig{Mem: "4 GB"}).Validate(); err == nil {
		t.Error("Validate accepted mem \"4 GB\"")
	}
	if err := (SlurmConfig{Extra: []string{"account=abc"}}).Validate(); err == nil {
		t.Error("Validate accepted an extra option without a dash")
	}
}

// TestParseSqueueTasks reads squeue -h -r -j JOB -t all -o "%K|%T" output
// as Slurm 22.05.8 printed it for a four-task array (%2 throttle).
func TestParseSqueueTasks(t *testing.T) {
	for _, c := range []struct {
		name, out string
		want      []string
	}{
		{"held, one line per task", "0|PENDING\n1|PENDING\n2|PENDING\n3|PENDING\n",
			[]string{"PENDING", "PENDING", "PENDING", "PENDING"}},
		{"pending tasks as a range (without -r)", "0-3%2|PENDING\n", []string{"PENDING", "PENDING", "PENDING", "PENDING"}},
		{"two running, two pending", "2|PENDING\n3|PENDING\n1|RUNNING\n0|RUNNING\n",
			[]string{"RUNNING", "RUNNING", "PENDING", "PENDING"}},
		// After scancel --state=PENDING the array's own record stands for
		// the cancelled tasks, with no task id.
		{"pending ones cancelled", "N/A|CANCELLED\n1|FAILED\n0|FAILED\n",
			[]string{"FAILED", "FAILED", "CANCELLED", "CANCELLED"}},
		{"task 3 forgotten (MinJobAge)", "0|COMPLETED\n1,2|COMPLETED\n", []string{"COMPLETED", "COMPLETED", "COMPLETED", ""}},
		{"nothing", "", []string{"", "", "", ""}},
	} {
		got, err := parseSqueueTasks(c.out, 4)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	if _, err := parseSqueueTasks("x|RUNNING\n", 4); err == nil {
		t.Error("a task id x was accepted")
	}
}

// FuzzParseSqueueTasks feeds squeue output of any shape: the parser must
// not panic and must return one state per task, each either "" or a word
// of the output.
func FuzzParseSqueueTasks(f *testing.F) {
	f.Add("N/A|CANCELLED\n1|FAILED\n0|FAILED\n", 4)
	f.Add("0-3%2|PENDING\n", 4)
	f.Add("2,4-6|RUNNING\n", 8)
	f.Fuzz(func(t *testing.T, out string, k int) {
		if k < 0 || k > 1000 {
			return
		}
		states, err := parseSqueueTasks(out, k)
		if err != nil {
			return
		}
		if len(states) != k {
			t.Fatalf("%d states for %d tasks", len(states), k)
		}
		for _, s := range states {
			if s != "" && !strings.Contains(out, s) {
				t.Fatalf("state %q is not in the output %q", s, out)
			}
		}
	})
}

// The tests below run against a real single-node Slurm cluster
// (internal/slurmtest) and the real spikegrad command.

// buildSpikegrad builds cmd/spikegrad into a temporary folder.
func buildSpikegrad(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "spikegrad")
	start := time.Now()
	out, err := exec.Command(goCmd, "build", "-o", bin, "github.com/spikegrad/spikegrad/cmd/spikegrad").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built spikegrad in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

// slurmSweepBase is a sweep base of 10 batches of 32 per epoch (the
// tiny-config shape of the sweep tests), under a second per epoch.
const slurmSweepBase = `base:
  data: {randman_samples: 40, randman_units: 20, randman_steps: 20}
  model: {hidden: [16]}
  train: {epochs: 2, batch_size: 32, eval_batch_size: 64, log_every: 3}
`

func slurmPlan(t *testing.T, name, base string) *Plan {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sweep.yaml")
	text := "name: " + name + "\n" + base + "parameters:\n  train.lr: {values: [1e-3, 2e-3, 5e-3]}\n"
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := ReadPlan(p)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// waitStatus polls a trial's status until ok holds.
func waitStatus(t *testing.T, dir, id string, timeout time.Duration, ok func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, err := ReadStatus(dir, id)
		if err == nil && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("trial %s: status %+v (%v) after %v", id, st, err, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitTasksEnded waits until Slurm reports every task of the array as
// ended, and fails the test with the active ones if that takes longer than
// 15 s (a trial's process exits a moment after it records its outcome;
// a cancelled one gets SIGKILL KillWait = 2 s after SIGTERM).
func waitTasksEnded(t *testing.T, e *Slurm, dir, job string, k int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		states, err := e.squeue(context.Background(), dir, job, "", k)
		if err != nil {
			t.Fatal(err)
		}
		var active []string
		for i, s := range states {
			if slurmActive(s) {
				active = append(active, job+"_"+strconv.Itoa(i)+" "+s)
			}
		}
		if len(active) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("Slurm still runs %v", active)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// jobOf returns the array job id of a trial's status ("J_i").
func jobOf(t *testing.T, dir, id string) string {
	t.Helper()
	st, err := ReadStatus(dir, id)
	if err != nil {
		t.Fatal(err)
	}
	job, _, ok := strings.Cut(st.Job, "_")
	if !ok {
		t.Fatalf("trial %s: status names no Slurm task: %+v", id, st)
	}
	return job
}
