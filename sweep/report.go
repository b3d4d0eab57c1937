package sweep

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spikegrad/spikegrad/internal/atomicfile"
	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/train"
)

// Report summarises a sweep directory: one row per trial of the plan (a
// trial that never started is pending, one whose process is gone is
// interrupted), ranked by a metric.
type Report struct {
	Dir    string
	Plan   *Plan
	Metric Metric // the ranking metric (the sweep's unless SortBy changed it)
	Rows   []Row  // best first; trials without a value last, by ID
}

// Row is one trial of a Report.
type Row struct {
	Trial     Trial
	State     string
	Error     string
	Job       string  // the Slurm task of the trial's last run, or ""
	Epochs    int     // completed epochs
	Final     float64 // the metric's last value (NaN: none)
	Best      float64 // the metric's best value over the run (NaN: none)
	BestEpoch int     // the epoch of Best
	TestAcc   float64 // the last test accuracy (NaN: none)
	TestLoss  float64 // the last test loss (NaN: none)
	Seconds   float64 // training wall time, continuing across resumes
	metrics   []rundir.Metric
}

// ReadReport reads the sweep directory dir: its plan, every trial's
// status.json and metrics.jsonl. It ranks the trials by the sweep's metric.
func ReadReport(dir string) (*Report, error) {
	p, err := LoadDir(dir)
	if err != nil {
		return nil, err
	}
	r := &Report{Dir: dir, Plan: p}
	for _, t := range p.Trials {
		st, err := currentStatus(dir, t.ID)
		if err != nil {
			return nil, err
		}
		row := Row{Trial: t, State: st.State, Error: st.Error, Job: st.Job, Epochs: st.Epochs}
		if ms, err := rundir.ReadMetrics(filepath.Join(trialDir(dir, t.ID), rundir.MetricsFile)); err == nil {
			row.metrics = ms
		} else if st.State != StatePending {
			if _, ok := err.(*rundir.LineError); ok {
				row.Error = strings.TrimSpace(row.Error + "; " + err.Error())
			}
		}
		for _, m := range row.metrics {
			row.Seconds = max(row.Seconds, m.Wall)
		}
		row.TestAcc, _, _ = row.stat(Metric{Split: rundir.SplitTest, Name: "accuracy", Goal: "max"})
		row.TestLoss, _, _ = row.stat(Metric{Split: rundir.SplitTest, Name: "loss", Goal: "min"})
		r.Rows = append(r.Rows, row)
	}
	r.SortBy(p.Spec.Metric)
	return r, nil
}

// stat returns the last value of m, its best value and the epoch of the
// best; NaN without records.
func (row *Row) stat(m Metric) (final, best float64, bestEpoch int) {
	final, best = math.NaN(), math.NaN()
	for _, r := range row.metrics {
		if r.Split != m.Split || r.Name != m.Name {
			continue
		}
		final = r.Value
		if m.better(r.Value, best) {
			best, bestEpoch = r.Value, r.Epoch
		}
	}
	return final, best, bestEpoch
}

// SlurmUnsettled returns the trials whose status says pending or running
// under a Slurm task: only Slurm knows whether the task still lives (see
// Slurm.CheckTrials).
func (r *Report) SlurmUnsettled() []string {
	var ids []string
	for _, row := range r.Rows {
		if row.Job != "" && (row.State == StateRunning || row.State == StatePending) {
			ids = append(ids, row.Trial.ID)
		}
	}
	return ids
}

// Update replaces the state and error of the trials in sts (statuses as
// they stand, e.g. from Slurm.CheckTrials).
func (r *Report) Update(sts map[string]Status) {
	for i := range r.Rows {
		if st, ok := sts[r.Rows[i].Trial.ID]; ok {
			r.Rows[i].State, r.Rows[i].Error = st.State, st.Error
		}
	}
}

// SortBy ranks the rows by the final value of m, best first; rows without
// a value go last, in ID order.
func (r *Report) SortBy(m Metric) {
	r.Metric = m
	for i := range r.Rows {
		row := &r.Rows[i]
		row.Final, row.Best, row.BestEpoch = row.stat(m)
	}
	sort.SliceStable(r.Rows, func(i, j int) bool {
		a, b := r.Rows[i], r.Rows[j]
		if m.better(a.Final, b.Final) {
			return true
		}
		if m.better(b.Final, a.Final) {
			return false
		}
		return a.Trial.ID < b.Trial.ID
	})
}

// BestRow returns the best-ranked trial that finished (done, or stopped by
// successive halving) with a value of the metric, or false if none did.
func (r *Report) BestRow() (Row, bool) {
	for _, want := range []string{StateDone, StateStopped} {
		for _, row := range r.Rows {
			if row.State == want && !math.IsNaN(row.Final) {
				return row, true
			}
		}
	}
	return Row{}, false
}

// BestConfig is the training config of the best trial with the epochs it
// was trained for: `spikegrad train --config best.yaml` trains it again.
func (r *Report) BestConfig() (train.Config, Row, bool) {
	row, ok := r.BestRow()
	if !ok {
		return train.Config{}, row, false
	}
	c, err := r.Plan.Spec.TrialConfig(row.Trial, max(row.Epochs, 1))
	if err != nil {
		return train.Config{}, row, false
	}
	return c, row, true
}

func (r *Report) header() []string {
	h := []string{"rank", "id", "state", "epochs"}
	for _, q := range r.Plan.Spec.Params {
		h = append(h, q.Key)
	}
	ms := r.Metric.String()
	h = append(h, ms+" final", ms+" best", "best epoch")
	acc, loss := r.extraCols()
	if acc {
		h = append(h, "test/accuracy")
	}
	if loss {
		h = append(h, "test/loss")
	}
	return append(h, "seconds", "error")
}

// extraCols reports whether the table shows the final test accuracy and
// test loss besides the ranked metric: not when the metric is one of them.
func (r *Report) extraCols() (acc, loss bool) {
	ms := r.Metric.String()
	return ms != "test/accuracy", ms != "test/loss"
}

func fmtValue(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func (r *Report) cells(i int) []string {
	row := r.Rows[i]
	rank := strconv.Itoa(i + 1)
	if math.IsNaN(row.Final) {
		rank = ""
	}
	c := []string{rank, row.Trial.ID, row.State, strconv.Itoa(row.Epochs)}
	for _, q := range r.Plan.Spec.Params {
		c = append(c, row.Trial.Params[q.Key])
	}
	be := ""
	if !math.IsNaN(row.Best) {
		be = strconv.Itoa(row.BestEpoch)
	}
	c = append(c, fmtValue(row.Final), fmtValue(row.Best), be)
	acc, loss := r.extraCols()
	if acc {
		c = append(c, fmtValue(row.TestAcc))
	}
	if loss {
		c = append(c, fmtValue(row.TestLoss))
	}
	return append(c, strconv.FormatFloat(row.Seconds, 'f', 1, 64), row.Error)
}

// WriteCSV writes the table as CSV: a header and one line per trial.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(r.header()); err != nil {
		return err
	}
	for i := range r.Rows {
		if err := cw.Write(r.cells(i)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteMarkdown writes a title, the best trial and the table in Markdown;
// real-valued parameters are shown with four significant digits.
func (r *Report) WriteMarkdown(w io.Writer) error {
	s := r.Plan.Spec
	var b strings.Builder
	fmt.Fprintf(&b, "# Sweep %s\n\n", s.Name)
	fmt.Fprintf(&b, "%s search, %d trials, ranked by %s (%s).", s.Strategy.Name, len(r.Rows), r.Metric, r.Metric.Goal)
	if len(r.Plan.Rungs) > 1 {
		fmt.Fprintf(&b, " Rungs of successive halving: %s epochs.", joinInts(r.Plan.Rungs))
	}
	counts := map[string]int{}
	for _, row := range r.Rows {
		counts[row.State]++
	}
	var cs []string
	for _, st := range []string{StateDone, StateStopped, StateRunning, StateInterrupted, StateFailed, StatePending} {
		if counts[st] > 0 {
			cs = append(cs, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	fmt.Fprintf(&b, " States: %s.\n\n", strings.Join(cs, ", "))
	if row, ok := r.BestRow(); ok {
		fmt.Fprintf(&b, "Best: %s %s, %s %s after %d epochs; config in %s.\n\n", row.Trial.ID, formatParams(s, row.Trial), r.Metric, fmtValue(row.Final), row.Epochs, BestFile)
	} else {
		b.WriteString("No trial has finished with a value of the metric yet.\n\n")
	}
	esc := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
	h := r.header()
	b.WriteString("|")
	for _, c := range h {
		b.WriteString(" " + esc(c) + " |")
	}
	b.WriteString("\n|")
	for range h {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	np := len(r.Plan.Spec.Params)
	for i := range r.Rows {
		b.WriteString("|")
		for j, c := range r.cells(i) {
			if j >= 4 && j < 4+np {
				c = shortNumber(c)
			}
			b.WriteString(" " + esc(c) + " |")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// shortNumber writes a sampled real number (0.001000522239253608) with
// four significant digits for reading; other text is returned as it is.
// report.csv keeps the exact values.
func shortNumber(s string) string {
	if _, err := strconv.Atoi(s); err == nil {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || len(s) <= 6 {
		return s
	}
	return strconv.FormatFloat(f, 'g', 4, 64)
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// Write writes report.csv, report.md and, if a trial finished, best.yaml
// into the sweep directory, each atomically.
func (r *Report) Write() error {
	if err := atomicfile.Write(filepath.Join(r.Dir, ReportCSVFile), r.WriteCSV); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(r.Dir, ReportMDFile), r.WriteMarkdown); err != nil {
		return err
	}
	c, row, ok := r.BestConfig()
	if !ok {
		return nil
	}
	return atomicfile.Write(filepath.Join(r.Dir, BestFile), func(w io.Writer) error {
		fmt.Fprintf(w, "# The best trial of sweep %s: %s %s,\n# %s %s after %d epochs.\n#   spikegrad train --config %s\n",
			r.Plan.Spec.Name, row.Trial.ID, formatParams(r.Plan.Spec, row.Trial), r.Metric, fmtValue(row.Final), row.Epochs, BestFile)
		_, err := w.Write(c.YAML())
		return err
	})
}
