package sweep

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spikegrad/spikegrad/internal/procmem"

	"github.com/spikegrad/spikegrad/train"
)

// Local runs trials as child processes on this machine, several at
// once: at most Workers, never more than the cores allow at Threads threads
// per trial, and never more than the memory budget holds at the per-trial
// memory (measured from the finished trials' peak memory once there are
// some). Each child's output goes to trials/<id>/log.txt. On ctx's
// cancellation the children get an interrupt (they save a checkpoint and
// record themselves interrupted) and Execute returns when they have exited.
// A child that dies without recording its outcome (killed by a signal, or
// exiting with an error before it could) is recorded as failed, with its
// exit status and the last line of its log.
type Local struct {
	// Binary is the spikegrad command to run (empty: this executable).
	Binary string
	// Workers is the most trials at once (0: the number of cores divided
	// by Threads).
	Workers int
	// MemoryBudget is the memory of all trials at once in bytes (0: 80 % of
	// the system's available memory, where it is known).
	MemoryBudget int64
	// TrialMemory is one trial's memory in bytes (0: EstimateMemory
	// of the trials' configs, raised to the largest measured peak).
	TrialMemory int64
	// Threads is the kernel threads of each trial (GOMAXPROCS; 0: 1).
	Threads int
	// Log receives a line per started and finished trial; nil discards.
	Log io.Writer
	// Grace is how long a child may take to save its checkpoint after an
	// interrupt before it is killed (0: one minute).
	Grace time.Duration
}

// Execute runs the jobs and returns when all have finished or, after ctx is
// done, when the running ones have stopped.
func (e *Local) Execute(ctx context.Context, dir string, jobs []Job) error {
	bin := e.Binary
	if bin == "" {
		var err error
		if bin, err = os.Executable(); err != nil {
			return fmt.Errorf("sweep: finding the spikegrad executable: %w", err)
		}
	}
	log := e.Log
	if log == nil {
		log = io.Discard
	}
	threads := max(e.Threads, 1)
	slots := max(runtime.NumCPU()/threads, 1)
	workers := slots
	if e.Workers > 0 {
		workers = min(e.Workers, slots)
	}
	budget := e.MemoryBudget
	if budget == 0 {
		budget = availableMemory() * 8 / 10
	}
	trialMem := e.TrialMemory
	if trialMem == 0 {
		trialMem = estimateTrials(dir, jobs)
	}
	measured := e.TrialMemory != 0
	limit := func() int {
		n := workers
		if budget > 0 && trialMem > 0 {
			n = min(n, int(budget/trialMem))
		}
		return max(n, 1)
	}
	fmt.Fprintf(log, "local: %d trials, up to %d at once (%d cores, %d thread(s) per trial, memory budget %s, %s per trial)\n",
		len(jobs), limit(), runtime.NumCPU(), threads, mib(budget), mib(trialMem))
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		running int
		wg      sync.WaitGroup
		errs    []error
	)
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		cond.Broadcast()
		mu.Unlock()
	})
	defer stop()
	for _, j := range jobs {
		mu.Lock()
		for running >= limit() && ctx.Err() == nil {
			cond.Wait()
		}
		if ctx.Err() != nil {
			mu.Unlock()
			break
		}
		running++
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			rss, err := e.runOne(ctx, bin, dir, j, threads, log)
			mu.Lock()
			defer mu.Unlock()
			running--
			if err != nil {
				errs = append(errs, err)
			}
			if rss > 0 && (!measured || rss*11/10 > trialMem) {
				// The first measurement replaces the estimate; later
				// ones only raise it (10 % margin).
				if !measured {
					trialMem = rss * 11 / 10
				} else {
					trialMem = max(trialMem, rss*11/10)
				}
				measured = true
			}
			cond.Broadcast()
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// estimateTrials is the largest EstimateMemory of the jobs' trial configs
// in the sweep directory dir, or 0 if they cannot be read.
func estimateTrials(dir string, jobs []Job) int64 {
	p, err := LoadDir(dir)
	if err != nil {
		return 0
	}
	var est int64
	for _, j := range jobs {
		if t, ok := p.trial(j.ID); ok {
			if c, err := p.Spec.TrialConfig(t, j.Epochs); err == nil {
				est = max(est, EstimateMemory(c))
			}
		}
	}
	return est
}

// runOne runs one trial's process and returns its peak memory. An error
// means the process could not be started or its outcome not recorded.
func (e *Local) runOne(ctx context.Context, bin, dir string, j Job, threads int, log io.Writer) (int64, error) {
	td := trialDir(dir, j.ID)
	if err := os.MkdirAll(td, 0o755); err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	lf, err := os.OpenFile(filepath.Join(td, TrialLogFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	defer lf.Close()
	fmt.Fprintf(lf, "--- %s: spikegrad sweep run-trial %s %s --epochs %d (GOMAXPROCS=%d)\n", time.Now().UTC().Format(time.RFC3339), dir, j.ID, j.Epochs, threads)
	cmd := exec.CommandContext(ctx, bin, "sweep", "run-trial", dir, j.ID, "--epochs", strconv.Itoa(j.Epochs))
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(threads))
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = e.Grace
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = time.Minute
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("sweep: trial %s: %w", j.ID, err)
	}
	pid := cmd.Process.Pid
	fmt.Fprintf(log, "%s: started (pid %d, %d epochs)\n", j.ID, pid, j.Epochs)
	waitErr := cmd.Wait()
	ps := cmd.ProcessState
	st, err := ReadStatus(dir, j.ID)
	if err != nil {
		st = Status{}
	}
	if st.PID != pid || !st.final() {
		// The process died before it could record its outcome.
		host, _ := os.Hostname()
		exit := "did not exit"
		if ps != nil {
			exit = ps.String()
		} else if waitErr != nil {
			exit = waitErr.Error()
		}
		st.Host, st.PID, st.Finished = host, pid, time.Now().UTC()
		if ctx.Err() != nil {
			st.State, st.Error = StateInterrupted, "the worker process stopped ("+exit+") after the sweep was interrupted"
		} else {
			st.State = StateFailed
			st.Error = "the worker process ended (" + exit + ") without recording an outcome"
			if last := lastLine(filepath.Join(td, TrialLogFile)); last != "" {
				st.Error += "; its log ends: " + last
			}
		}
		if n, ok := completedEpochs(td); ok {
			st.Epochs = n
		}
		if err := WriteStatus(dir, j.ID, st); err != nil {
			return 0, err
		}
	}
	msg := st.State
	if st.Error != "" {
		msg += ": " + st.Error
	}
	fmt.Fprintf(log, "%s: %s (%d epochs)\n", j.ID, msg, st.Epochs)
	if ps == nil {
		return 0, nil
	}
	return childPeakRSS(ps), nil
}

// lastLine is the last non-empty line of a file, at most 300 bytes.
func lastLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	s := strings.TrimSpace(string(lines[len(lines)-1]))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// availableMemory is MemAvailable of /proc/meminfo in bytes, or 0 where
// unknown.
func availableMemory() int64 { return procmem.Available() }

func mib(b int64) string {
	if b <= 0 {
		return "unknown"
	}
	return fmt.Sprintf("%d MiB", b>>20)
}

// EstimateMemory is a rough upper estimate of one training run's peak
// memory in bytes, for scheduling before any trial has been measured: the
// dataset as float32 (images: 70000 samples for MNIST-like sets, or the
// limits), weights with gradients and two optimizer moments, the
// activations that the tape keeps for backpropagation through time (about
// eight float32 buffers per neuron and step of a batch, with the larger of
// the training and evaluation batches), and 100 MiB for the runtime.
func EstimateMemory(c train.Config) int64 {
	d := c.Data
	var samples, features, steps int64
	switch d.Dataset {
	case "randman":
		samples = int64(d.RandmanClasses * d.RandmanSamples)
		features, steps = int64(d.RandmanUnits), int64(d.RandmanSteps)
		features *= steps // spike trains are stored per step
	default:
		tr, te := int64(60000), int64(10000)
		if d.TrainLimit > 0 {
			tr = min(tr, int64(d.TrainLimit))
		}
		if d.TestLimit > 0 {
			te = min(te, int64(d.TestLimit))
		}
		samples, features, steps = tr+te, 784, int64(d.Steps)
	}
	data := samples * features * 4
	in := features
	if d.Dataset == "randman" {
		in = int64(d.RandmanUnits)
	}
	var weights, neurons int64
	for _, h := range append(append([]int(nil), c.Model.Hidden...), 10) {
		weights += in*int64(h) + int64(h)
		neurons += int64(h)
		in = int64(h)
	}
	batch := int64(max(c.Train.BatchSize, c.Train.EvalBatchSize)) // eval_batch_size 0 is batch_size
	act := 8 * steps * batch * neurons * 4
	return data + 4*weights*4 + act + 100<<20
}
