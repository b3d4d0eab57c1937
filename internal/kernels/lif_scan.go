package kernels

import (
	"fmt"
	"sync"
)

// Shared machinery of the neuron scans: argument checks, the work partition
// and the parameter-gradient reductions.

const (
	// scanSeg is the longest run of elements a scan kernel processes per
	// step; per-segment state lives in stack arrays of this length.
	scanSeg = 512
	// scanChunkFeatures is the number of features per parallel chunk; with
	// fewer features the scan runs as one chunk.
	scanChunkFeatures = 128
	// maxScanChunks bounds the number of parallel chunks of a scan.
	maxScanChunks = 8
)

type scanKind uint8

const (
	scanLIF scanKind = iota
	scanSynaptic
	scanLI
)

// Parameter slots of scanJob.par.
const (
	parAlpha = iota
	parBeta
	parThr
	numPar
)

// scanJob is one Forward or Backward call of a scan, split into chunks.
//
// Partition: with N >= scanChunkFeatures, chunk c owns the features
// [c*N/chunks, (c+1)*N/chunks) of every batch row, so per-feature gradient
// sums stay inside one chunk; with fewer features there is one chunk, whose
// segments are runs of whole batch rows. Either way a segment is at most
// scanSeg elements and the partition depends on the shape alone. Gradients of
// shared (length-1) parameters are summed per chunk, then over chunks in
// order.
type scanJob struct {
	kind       scanKind
	fwd        bool
	op         string
	T, B, N, n int
	reset      ResetMode
	resetGrad  bool
	small      bool // one chunk of whole-row segments
	chunks     int

	par  [numPar][]float32 // parameters: [N] or [1]; nil when the model has none
	dpar [numPar][]float32 // their gradients; nil when not wanted

	in, syn0, mem0, spk0, syn, mem, spk []float32
	ds, dm, sg                          []float32
	dIn, dSyn0, dMem0, dSpk0            []float32

	partial [maxScanChunks][numPar]float32
}

var scanJobs = sync.Pool{New: func() any { return new(scanJob) }}

// newScanJob returns a pooled job for a [T, B, N] scan.
func newScanJob(kind scanKind, fwd bool, op string, T, B, N int) *scanJob {
	j := scanJobs.Get().(*scanJob)
	*j = scanJob{kind: kind, fwd: fwd, op: op, T: T, B: B, N: N}
	if T < 0 || B < 0 || N < 0 {
		j.fail("negative size")
	}
	j.n = B * N
	return j
}

func (j *scanJob) fail(reason string) {
	err := &ScanError{Op: j.op, T: j.T, B: j.B, N: j.N, Reason: reason}
	*j = scanJob{}
	scanJobs.Put(j)
	panic(err)
}

// setParam checks and records parameter slot q and its gradient dp.
func (j *scanJob) setParam(q int, name string, p, dp []float32) {
	if len(p) != 1 && (len(p) != j.N || j.N == 0) {
		j.fail(fmt.Sprintf("%s has length %d, want %d or 1", name, len(p), j.N))
	}
	if dp != nil && len(dp) != len(p) {
		j.fail(fmt.Sprintf("the gradient of %s has length %d, want %d", name, len(dp), len(p)))
	}
	j.par[q], j.dpar[q] = p, dp
}

// seq checks a [T*n] sequence argument and returns it cut to length.
func (j *scanJob) seq(name string, x []float32, required bool) []float32 {
	return j.cut(name, x, j.T*j.n, required)
}

// state checks an [n] state argument and returns it cut to length.
func (j *scanJob) state(name string, x []float32, required bool) []float32 {
	return j.cut(name, x, j.n, required)
}

func (j *scanJob) cut(name string, x []float32, size int, required bool) []float32 {
	if x == nil && !required {
		return nil
	}
	if len(x) < size {
		j.fail(fmt.Sprintf("%s has length %d, want %d", name, len(x), size))
	}
	return x[:size]
}

// segState is x[off:off+l], or zeros when x is nil.
func (j *scanJob) segState(x []float32, off, l int, zeros *[scanSeg]float32) []float32 {
	if x == nil {
		return zeros[:l]
	}
	return x[off : off+l]
}

// segSeq is x[o:o+l] for a step row offset o, or zeros when x is nil.
func (j *scanJob) segSeq(x []float32, o, l int, zeros *[scanSeg]float32) []float32 {
	if x == nil {
		return zeros[:l]
	}
	return x[o : o+l]
}

// run executes the job on the thread pool and returns it to the pool.
func (j *scanJob) run() {
	if j.n > 0 && j.T > 0 {
		j.small = j.N < scanChunkFeatures
		j.chunks = 1
		if !j.small {
			j.chunks = min(maxScanChunks, (j.N+scanChunkFeatures-1)/scanChunkFeatures)
		}
		runChunks(j.chunks, j)
		for q := range numPar {
			if dp := j.dpar[q]; dp != nil && len(dp) == 1 {
				for c := range j.chunks {
					dp[0] += j.partial[c][q]
				}
			}
		}
	} else if !j.fwd {
		// No steps (or no elements): the initial state has no influence.
		clear(j.dSyn0)
		clear(j.dMem0)
		clear(j.dSpk0)
	}
	*j = scanJob{}
	scanJobs.Put(j)
}

func (j *scanJob) runChunk(c int) {
	var pb, acc [numPar][scanSeg]float32
	period := scanSeg
	if j.small {
		period = (scanSeg / j.N) * j.N
	}
	for q, p := range j.par {
		switch {
		case len(p) == 1:
			for i := range pb[q] {
				pb[q][i] = p[0]
			}
		case p != nil && j.small:
			for i := range period {
				pb[q][i] = p[i%j.N]
			}
		}
	}
	var part [numPar]float32
	if j.small {
		for off := 0; off < j.n; off += period {
			j.segment(off, 0, min(period, j.n-off), &pb, &acc, &part)
		}
	} else {
		fa, fb := c*j.N/j.chunks, (c+1)*j.N/j.chunks
		for b := range j.B {
			for f := fa; f < fb; f += scanSeg {
				j.segment(b*j.N+f, f, min(scanSeg, fb-f), &pb, &acc, &part)
			}
		}
	}
	j.partial[c] = part
}

// segment runs the scan over the l elements at flat offset off of every step;
// f is the feature of the first element (0 in small mode, where off is a
// multiple of N).
func (j *scanJob) segment(off, f, l int, pb, acc *[numPar][scanSeg]float32, part *[numPar]float32) {
	var ps [numPar][]float32
	for q, p := range j.par {
		switch {
		case p == nil:
		case len(p) == 1 || j.small:
			ps[q] = pb[q][:l]
		default:
			ps[q] = p[f : f+l]
		}
	}
	if j.fwd {
		switch j.kind {
		case scanLIF:
			j.lifForwardSeg(off, l, ps[parBeta], ps[parThr])
		case scanSynaptic:
			j.synForwardSeg(off, l, ps[parAlpha], ps[parBeta], ps[parThr])
		case scanLI:
			j.liForwardSeg(off, l, ps[parBeta])
		}
		return
	}
	for q := range acc {
		clear(acc[q][:l])
	}
	switch j.kind {
	case scanLIF:
		j.lifBackwardSeg(off, l, ps[parBeta], ps[parThr], &acc[parBeta], &acc[parThr])
	case scanSynaptic:
		j.synBackwardSeg(off, l, ps[parAlpha], ps[parBeta], ps[parThr], acc)
	case scanLI:
		j.liBackwardSeg(off, l, ps[parBeta], &acc[parBeta])
	}
	for q, dp := range j.dpar {
		a := acc[q][:l]
		switch {
		case dp == nil:
		case len(dp) == 1:
			for _, v := range a {
				part[q] += v
			}
		case j.small:
			for i, v := range a {
				dp[i%j.N] += v
			}
		default:
			dpf := dp[f : f+l]
			for i, v := range a {
				dpf[i] += v
			}
		}
	}
}
