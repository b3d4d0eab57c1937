package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spikegrad/spikegrad/internal/atomicfile"
	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/train"
)

// Files and folders of a sweep directory (docs/design.md, "Sweeps").
const (
	SweepFile     = "sweep.yaml"
	PlanFile      = "plan.json"
	TrialsDir     = "trials"
	StatusFile    = "status.json"
	TrialLogFile  = "log.txt"
	ReportCSVFile = "report.csv"
	ReportMDFile  = "report.md"
	BestFile      = "best.yaml"
)

// The states of a trial in its status.json.
const (
	StatePending     = "pending"     // not started
	StateRunning     = "running"     // a process is training it
	StateDone        = "done"        // trained to its epochs
	StateFailed      = "failed"      // stopped by an error (NaN, bad value, crash); Error says which
	StateInterrupted = "interrupted" // stopped by a signal or a lost process; resumable
	StateStopped     = "stopped"     // halted by successive halving
)

// Job is one trial to run up to Epochs epochs (resuming from its
// checkpoint if it has one).
type Job struct {
	ID     string
	Epochs int
}

// Executor runs trials as `spikegrad sweep run-trial DIR ID --epochs E`
// processes and returns when all of them have finished (their outcome is in
// their status.json), or when ctx is done.
type Executor interface {
	Execute(ctx context.Context, dir string, jobs []Job) error
}

// Status is trials/<id>/status.json.
type Status struct {
	State    string    `json:"state"`
	Epochs   int       `json:"epochs"` // completed epochs
	Error    string    `json:"error,omitempty"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	Host     string    `json:"host"`
	PID      int       `json:"pid"`
	Job      string    `json:"job,omitempty"` // Slurm job (array job_task), or empty
}

// final reports whether the state is an outcome (not pending or running).
func (s Status) final() bool {
	switch s.State {
	case StateDone, StateFailed, StateInterrupted, StateStopped:
		return true
	}
	return false
}

func trialDir(dir, id string) string { return filepath.Join(dir, TrialsDir, id) }

// ReadStatus reads trials/<id>/status.json of the sweep directory dir.
// A trial without one is pending.
func ReadStatus(dir, id string) (Status, error) {
	p := filepath.Join(trialDir(dir, id), StatusFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Status{State: StatePending}, nil
	}
	if err != nil {
		return Status{}, fmt.Errorf("sweep: %w", err)
	}
	var s Status
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Status{}, malformed(p, "trial status", err.Error())
	}
	switch s.State {
	case StatePending, StateRunning, StateDone, StateFailed, StateInterrupted, StateStopped:
	default:
		return Status{}, malformed(p, "trial status", fmt.Sprintf("unknown state %q", s.State))
	}
	return s, nil
}

// WriteStatus writes trials/<id>/status.json atomically, creating the
// trial's folder if needed.
func WriteStatus(dir, id string, s Status) error {
	d := trialDir(dir, id)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	return atomicfile.WriteBytes(filepath.Join(d, StatusFile), append(b, '\n'))
}

// currentStatus is a trial's status as it stands: a running status whose
// process is gone from this host, and that has no Slurm job, is
// interrupted.
func currentStatus(dir, id string) (Status, error) {
	s, err := ReadStatus(dir, id)
	if err != nil {
		return s, err
	}
	if s.State == StateRunning && s.Job == "" {
		if host, _ := os.Hostname(); s.Host == host && !trialProcessAlive(s.PID) {
			s.State = StateInterrupted
			s.Error = fmt.Sprintf("the process %d that ran the trial is gone", s.PID)
		}
	}
	return s, nil
}

// planJSON is plan.json.
type planJSON struct {
	Sweep       string          `json:"sweep"`
	Fingerprint string          `json:"fingerprint"` // SHA-256 of sweep.yaml without its resources
	Strategy    string          `json:"strategy"`
	Metric      string          `json:"metric"`
	Trials      []planTrialJSON `json:"trials"`
	Rungs       []planRungJSON  `json:"rungs"`
}

type planTrialJSON struct {
	ID     string                     `json:"id"`
	Params map[string]json.RawMessage `json:"params"`
}

// planRungJSON is a rung of the plan: its epochs and, once the rung has
// started, the trials in it (all of them in rung 0; the promoted ones
// after).
type planRungJSON struct {
	Epochs int      `json:"epochs"`
	Trials []string `json:"trials"`
}

func (p *Plan) planJSON() *planJSON {
	pj := &planJSON{Sweep: p.Spec.Name, Fingerprint: p.Spec.fingerprint(), Strategy: p.Spec.Strategy.Name, Metric: p.Spec.Metric.String()}
	for _, t := range p.Trials {
		pt := planTrialJSON{ID: t.ID, Params: map[string]json.RawMessage{}}
		for k, v := range t.Params {
			pt.Params[k] = paramJSON(v)
		}
		pj.Trials = append(pj.Trials, pt)
	}
	for _, e := range p.Rungs {
		pj.Rungs = append(pj.Rungs, planRungJSON{Epochs: e})
	}
	return pj
}

func writePlanJSON(dir string, pj *planJSON) error {
	b, err := json.MarshalIndent(pj, "", "  ")
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	return atomicfile.WriteBytes(filepath.Join(dir, PlanFile), append(b, '\n'))
}

func readPlanJSON(dir string) (*planJSON, error) {
	p := filepath.Join(dir, PlanFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	var pj planJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pj); err != nil {
		return nil, malformed(p, "sweep plan", err.Error())
	}
	return &pj, nil
}

// LoadDir reads the plan of the sweep directory dir: sweep.yaml and
// the trials of plan.json.
func LoadDir(dir string) (*Plan, error) {
	s, err := Read(filepath.Join(dir, SweepFile))
	if err != nil {
		return nil, err
	}
	pj, err := readPlanJSON(dir)
	if err != nil {
		return nil, err
	}
	if pj.Fingerprint != s.fingerprint() {
		return nil, fmt.Errorf("sweep: %s does not belong to %s (another sweep's plan)", filepath.Join(dir, PlanFile), filepath.Join(dir, SweepFile))
	}
	p := &Plan{Spec: s}
	for _, pt := range pj.Trials {
		t := Trial{ID: pt.ID, Params: map[string]string{}}
		for k, raw := range pt.Params {
			v, err := paramText(raw)
			if err != nil {
				return nil, malformed(filepath.Join(dir, PlanFile), "sweep plan", fmt.Sprintf("trial %s: %s: %v", pt.ID, k, err))
			}
			t.Params[k] = v
		}
		p.Trials = append(p.Trials, t)
	}
	for _, r := range pj.Rungs {
		p.Rungs = append(p.Rungs, r.Epochs)
	}
	if len(p.Rungs) == 0 {
		return nil, malformed(filepath.Join(dir, PlanFile), "sweep plan", "no rungs")
	}
	return p, nil
}

func (p *Plan) trial(id string) (Trial, bool) {
	for _, t := range p.Trials {
		if t.ID == id {
			return t, true
		}
	}
	return Trial{}, false
}

// prepareSweepDir writes sweep.yaml and plan.json into a new sweep
// directory, or checks that an existing one was made from the same sweep,
// and returns the plan's state.
func prepareSweepDir(p *Plan, dir string) (*planJSON, error) {
	sweepPath := filepath.Join(dir, SweepFile)
	old, err := os.ReadFile(sweepPath)
	if err == nil {
		prev, err := parseSpec(old, sweepPath)
		if err != nil {
			return nil, fmt.Errorf("sweep: %s holds a sweep directory whose %s cannot be read: %w", dir, SweepFile, err)
		}
		if a, b := prev.canonical(true), p.Spec.canonical(true); !bytes.Equal(a, b) {
			return nil, fmt.Errorf("sweep: %s was made from another sweep file than %s (%s); choose another --dir or remove it",
				dir, p.Spec.File, firstDiff(a, b, SweepFile, p.Spec.File))
		}
		pj, err := readPlanJSON(dir)
		if err != nil {
			return nil, err
		}
		want := p.planJSON()
		if pj.Fingerprint != want.Fingerprint || len(pj.Trials) != len(want.Trials) || len(pj.Rungs) != len(want.Rungs) {
			return nil, fmt.Errorf("sweep: %s does not match %s; choose another --dir or remove it", filepath.Join(dir, PlanFile), sweepPath)
		}
		// Resources may change between runs of a sweep.
		if !bytes.Equal(old, p.Spec.canonical(false)) {
			if err := writeBytesAtomic(sweepPath, p.Spec.canonical(false)); err != nil {
				return nil, err
			}
		}
		return pj, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	// A directory that holds something else is not ours to fill; one with
	// only the plan and an empty trials folder is a start that stopped
	// before it wrote sweep.yaml.
	if ents, err := os.ReadDir(dir); err == nil {
		for _, e := range ents {
			if e.Name() == PlanFile {
				continue
			}
			if sub, err := os.ReadDir(filepath.Join(dir, TrialsDir)); e.Name() == TrialsDir && err == nil && len(sub) == 0 {
				continue
			}
			return nil, fmt.Errorf("sweep: %s is not empty and holds no %s: choose another --dir", dir, SweepFile)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, TrialsDir), 0o755); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	pj := p.planJSON()
	if err := writePlanJSON(dir, pj); err != nil {
		return nil, err
	}
	// sweep.yaml last: its presence marks a complete directory.
	if err := writeBytesAtomic(sweepPath, p.Spec.canonical(false)); err != nil {
		return nil, err
	}
	return pj, nil
}

func writeBytesAtomic(path string, b []byte) error {
	return atomicfile.WriteBytes(path, b)
}

// firstDiff describes the first line where a and b differ.
func firstDiff(a, b []byte, na, nb string) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < max(len(la), len(lb)); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("resolved sweep line %d: %q in the directory's %s, %q in %s", i+1, strings.TrimSpace(x), na, strings.TrimSpace(y), nb)
		}
	}
	return "no difference"
}

// RunTrial runs trial id of the sweep directory dir up to epochs epochs (0:
// the last rung's), resuming from its checkpoint if it has one, and records
// the outcome in its status.json: done, interrupted (ctx cancelled: a
// checkpoint was saved; the error wraps train.ErrInterrupted) or failed with the
// error (a bad value, a NaN, a panic). It is what `spikegrad sweep
// run-trial` does.
func RunTrial(ctx context.Context, dir, id string, epochs int, log io.Writer) (err error) {
	p, err := LoadDir(dir)
	if err != nil {
		return err
	}
	t, ok := p.trial(id)
	if !ok {
		return fmt.Errorf("sweep: %s has no trial %q", dir, id)
	}
	if epochs <= 0 {
		epochs = p.Rungs[len(p.Rungs)-1]
	}
	if log == nil {
		log = io.Discard
	}
	prev, err := ReadStatus(dir, id)
	if err != nil {
		return err
	}
	if prev.State == StateDone && prev.Epochs >= epochs {
		fmt.Fprintf(log, "trial %s: already done (%d epochs)\n", id, prev.Epochs)
		return nil
	}
	host, _ := os.Hostname()
	st := Status{State: StateRunning, Epochs: prev.Epochs, Started: time.Now().UTC(), Host: host, PID: os.Getpid(), Job: slurmJobID()}
	if err := WriteStatus(dir, id, st); err != nil {
		return err
	}
	runDir := trialDir(dir, id)
	defer func() {
		v := recover()
		if v != nil {
			err = fmt.Errorf("sweep: trial %s: panic: %v", id, v)
		}
		st.Finished = time.Now().UTC()
		switch {
		case err == nil:
			st.State = StateDone
		case errors.Is(err, train.ErrInterrupted):
			st.State = StateInterrupted
			st.Error = ""
		default:
			st.State, st.Error = StateFailed, err.Error()
		}
		if n, ok := completedEpochs(runDir); ok {
			st.Epochs = n
		}
		if werr := WriteStatus(dir, id, st); werr != nil && err == nil {
			err = werr
		}
		if v != nil {
			panic(v)
		}
	}()
	cfg, err := p.Spec.TrialConfig(t, epochs)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "trial %s %s: %d epochs\n", id, formatParams(p.Spec, t), epochs)
	_, statErr := os.Stat(filepath.Join(runDir, rundir.LastCheckpoint))
	resume := statErr == nil
	if !resume {
		// A start that crashed before its first checkpoint left a config
		// and a few metrics: start over.
		for _, f := range []string{rundir.ConfigFile, rundir.MetricsFile} {
			if err := os.Remove(filepath.Join(runDir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("sweep: %w", err)
			}
		}
	}
	_, err = train.Run(ctx, cfg, train.Options{RunDir: runDir, Resume: resume, Log: log, Progress: train.ProgressLines})
	return err
}

// slurmJobID names the Slurm job (array job_task) this process runs in, or
// "" outside Slurm.
func slurmJobID() string {
	if a, t := os.Getenv("SLURM_ARRAY_JOB_ID"), os.Getenv("SLURM_ARRAY_TASK_ID"); a != "" && t != "" {
		return a + "_" + t
	}
	return os.Getenv("SLURM_JOB_ID")
}

// completedEpochs is the number of epochs a run directory's metrics
// record as completed (the last test record's epoch).
func completedEpochs(runDir string) (int, bool) {
	ms, err := rundir.ReadMetrics(filepath.Join(runDir, rundir.MetricsFile))
	if err != nil && !errors.Is(err, rundir.ErrNoMetrics) {
		return 0, false
	}
	n := 0
	for _, m := range ms {
		if m.Split == rundir.SplitTest {
			n = max(n, m.Epoch)
		}
	}
	return n, true
}

// Run runs the plan in the sweep directory dir with exec. A new
// directory gets sweep.yaml and plan.json; an existing one must come from
// the same sweep, and its finished trials are skipped and interrupted ones
// resumed. Grid and random run every trial to the base config's epochs.
// Successive halving runs every trial to the first rung's epochs, ranks
// them by the metric at that epoch, promotes the best 1/eta (at least one;
// never a failed trial) to the next rung by resuming them, marks the rest
// stopped, and so on up to the last rung; the rungs' members are recorded
// in plan.json as they are decided.
//
// A failed trial does not stop the sweep. On ctx's cancellation Run
// returns an error wrapping train.ErrInterrupted after the executor has stopped
// the trials; running the sweep again resumes them.
func Run(ctx context.Context, plan *Plan, dir string, exec Executor, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	pj, err := prepareSweepDir(plan, dir)
	if err != nil {
		return err
	}
	all := make([]string, len(plan.Trials))
	for i, t := range plan.Trials {
		all[i] = t.ID
	}
	m := plan.Spec.Metric
	eta := max(plan.Spec.Strategy.Eta, 2)
	for r, epochs := range plan.Rungs {
		members := pj.Rungs[r].Trials
		if members == nil {
			if r == 0 {
				members = all
			} else {
				prev := pj.Rungs[r-1]
				if members, err = promote(dir, prev.Trials, prev.Epochs, m, eta); err != nil {
					return err
				}
			}
			pj.Rungs[r].Trials = members
			if members == nil {
				pj.Rungs[r].Trials = []string{}
			}
			if err := writePlanJSON(dir, pj); err != nil {
				return err
			}
		}
		if r > 0 {
			if err := markStopped(dir, pj.Rungs[r-1].Trials, members); err != nil {
				return err
			}
		}
		var jobs []Job
		for _, id := range members {
			st, err := currentStatus(dir, id)
			if err != nil {
				return err
			}
			if st.State == StateFailed || (st.State == StateDone || st.State == StateStopped) && st.Epochs >= epochs {
				continue
			}
			jobs = append(jobs, Job{ID: id, Epochs: epochs})
		}
		if len(plan.Rungs) > 1 {
			fmt.Fprintf(log, "rung %d/%d: %d trials to %d epochs, %d to run\n", r+1, len(plan.Rungs), len(members), epochs, len(jobs))
		} else {
			fmt.Fprintf(log, "%d trials to %d epochs, %d to run\n", len(members), epochs, len(jobs))
		}
		if len(jobs) == 0 {
			continue
		}
		execErr := exec.Execute(ctx, dir, jobs)
		if errors.Is(execErr, ErrDetached) {
			// Submitted and left running (Slurm.Detach): the trials
			// have no outcome yet, and a later run of the sweep follows them.
			return execErr
		}
		interrupted, err := settle(ctx, dir, jobs)
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("sweep: %w; run the same command again to resume", train.ErrInterrupted)
		}
		if execErr != nil {
			return fmt.Errorf("sweep: %w", execErr)
		}
		if len(interrupted) > 0 {
			return fmt.Errorf("sweep: %w: trials %s; run the same command again to resume them", train.ErrInterrupted, strings.Join(interrupted, ", "))
		}
	}
	return nil
}

// settle makes sure that every job has an outcome after the executor
// returned: a trial still marked running (its process is gone) is
// interrupted if ctx is done and failed otherwise; a trial the executor did
// not start is failed unless ctx is done. It returns the interrupted
// trials.
func settle(ctx context.Context, dir string, jobs []Job) ([]string, error) {
	var interrupted []string
	for _, j := range jobs {
		st, err := ReadStatus(dir, j.ID)
		if err != nil {
			return nil, err
		}
		switch {
		case st.State == StateRunning && ctx.Err() != nil:
			st.State, st.Error = StateInterrupted, "the sweep was interrupted"
		case st.State == StateRunning:
			st.State, st.Error = StateFailed, "the trial's process ended without recording an outcome"
		case st.State == StatePending && ctx.Err() == nil:
			st.State, st.Error = StateFailed, "the executor did not run the trial"
		case st.State == StateDone && st.Epochs < j.Epochs && ctx.Err() == nil:
			// Early stopping (train.patience) ends a trial before its epochs.
			continue
		default:
			if st.State == StateInterrupted {
				interrupted = append(interrupted, j.ID)
			}
			continue
		}
		if st.State == StateInterrupted {
			interrupted = append(interrupted, j.ID)
		}
		if n, ok := completedEpochs(trialDir(dir, j.ID)); ok {
			st.Epochs = n
		}
		st.Finished = time.Now().UTC()
		if err := WriteStatus(dir, j.ID, st); err != nil {
			return nil, err
		}
	}
	return interrupted, nil
}

// promote ranks the members of a rung by the metric at the rung's epochs
// and returns the best len/eta (at least one) that have a value, in rank
// order.
func promote(dir string, members []string, epochs int, m Metric, eta int) ([]string, error) {
	type scored struct {
		id string
		v  float64
	}
	var ss []scored
	for _, id := range members {
		st, err := currentStatus(dir, id)
		if err != nil {
			return nil, err
		}
		v := math.NaN()
		if st.State == StateDone || st.State == StateStopped {
			v = metricAt(trialDir(dir, id), m, epochs)
		}
		ss = append(ss, scored{id, v})
	}
	sort.SliceStable(ss, func(i, j int) bool { return m.better(ss[i].v, ss[j].v) })
	keep := max(len(members)/eta, 1)
	var out []string
	for _, s := range ss[:min(keep, len(ss))] {
		if !math.IsNaN(s.v) {
			out = append(out, s.id)
		}
	}
	return out, nil
}

// metricAt is the value of m recorded at the end of epoch epochs (its last
// record with that epoch), or NaN.
func metricAt(runDir string, m Metric, epochs int) float64 {
	ms, err := rundir.ReadMetrics(filepath.Join(runDir, rundir.MetricsFile))
	if err != nil {
		return math.NaN()
	}
	v := math.NaN()
	for _, r := range ms {
		if r.Split == m.Split && r.Name == m.Name && r.Epoch == epochs {
			v = r.Value
		}
	}
	return v
}

// markStopped marks the members of the previous rung that were not
// promoted, and finished it, as stopped.
func markStopped(dir string, prev, promoted []string) error {
	for _, id := range prev {
		if slices.Contains(promoted, id) {
			continue
		}
		st, err := ReadStatus(dir, id)
		if err != nil {
			return err
		}
		if st.State != StateDone {
			continue
		}
		st.State = StateStopped
		if err := WriteStatus(dir, id, st); err != nil {
			return err
		}
	}
	return nil
}

// malformed reports a sweep file that cannot be read, naming the file.
func malformed(file, format, msg string) error {
	return fmt.Errorf("sweep: %s file %s: %s", format, file, msg)
}
