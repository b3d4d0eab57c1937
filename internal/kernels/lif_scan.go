package kernels

import "fmt"

// Shared machinery of the neuron scans: argument checks, the work partition
// and the parameter-gradient reductions.

const (
	// scanSeg is the longest run of elements a scan kernel processes in one
	// call.
	scanSeg = 512
	// scanChunkElems is the number of elements per step that make one
	// parallel chunk worth its cost.
	scanChunkElems = 32768
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
// Time is the outer loop and each step streams through contiguous memory.
// Chunk c owns the batch rows [c*B/chunks, (c+1)*B/chunks) at every step;
// the number of chunks depends on the shape alone. Within a chunk each step
// is cut into segments of at most scanSeg elements: runs of whole batch rows
// when N <= scanSeg (parameters expanded to match), pieces of one row
// otherwise. Backward sums each parameter's gradient per element over time
// in scratch, then over elements in ascending order after all chunks, so the
// results are bit-identical for any thread count.
type scanJob struct {
	kind       scanKind
	fwd        bool
	op         string
	T, B, N, n int
	reset      ResetMode
	resetGrad  bool
	chunks     int
	period     int // segment length for N <= scanSeg: whole rows

	par  [numPar][]float32 // parameters: [N] or [1]; nil when the model has none
	dpar [numPar][]float32 // their gradients; nil when not wanted

	in, syn0, mem0, spk0, syn, mem, spk []float32
	ds, dm, sg                          []float32
	dIn, dSyn0, dMem0, dSpk0            []float32

	constIn bool          // in and dIn hold one step (LIFScan.ConstIn)
	sgf     SurrogateGrad // the surrogate derivative when sg is nil
	fsK     float32       // > 0: the built-in fast sigmoid of this slope instead of sgf
	sgBuf   []float32     // per-chunk segment buffers for sgf, [chunks*scanSeg]

	// scratch holds, for Backward, numPar per-element gradient sums [n] and
	// the Synaptic membrane-gradient carry [n]. It is kept with the pooled
	// job, so steady-state calls do not allocate.
	scratch []float32
}

// scanJobs holds idle jobs with their scratch buffers. Unlike a sync.Pool it
// is not emptied by the garbage collector, so the scratch survives between
// training steps.
var scanJobs freeList[scanJob]

// newScanJob returns a pooled job for a [T, B, N] scan.
func newScanJob(kind scanKind, fwd bool, op string, T, B, N int) *scanJob {
	j := scanJobs.get()
	scr, sgb := j.scratch, j.sgBuf
	*j = scanJob{kind: kind, fwd: fwd, op: op, T: T, B: B, N: N, scratch: scr, sgBuf: sgb}
	if T < 0 || B < 0 || N < 0 {
		j.fail("negative size")
	}
	j.n = B * N
	return j
}

// release returns the job to the pool, keeping its scratch buffers.
func (j *scanJob) release() {
	scr, sgb := j.scratch, j.sgBuf
	*j = scanJob{scratch: scr, sgBuf: sgb}
	scanJobs.put(j)
}

// inAt is the input of the segment at flat offset o (element off of its
// step): one step for ConstIn, else step o/n.
func (j *scanJob) inAt(o, off, l int) []float32 {
	if j.constIn {
		return j.in[off : off+l]
	}
	return j.in[o : o+l]
}

// carry is the one-step membrane-gradient carry of the segment at element
// off (the scratch slot after the parameter sums).
func (j *scanJob) carry(off, l int) []float32 {
	c := j.scratch[numPar*j.n:]
	return c[off : off+l]
}

// sgSegment computes the surrogate derivative of one segment, sgf(mem -
// thr) or the built-in fast sigmoid, for elements v and up, into the buffer of
// the chunk that owns element off. The result has the length of mem; its
// first v entries are not set.
func (j *scanJob) sgSegment(off, v int, mem, th []float32) []float32 {
	c := j.chunkOf(off)
	buf := j.sgBuf[c*scanSeg : c*scanSeg+len(mem)]
	b, m, t := buf[v:], mem[v:], th[v:len(mem)]
	if j.fsK > 0 {
		FastSigmoidShifted(b, m, t, j.fsK)
		return buf
	}
	for i, x := range m {
		b[i] = x - t[i]
	}
	j.sgf.GradInto(b, b)
	return buf
}

// chunkOf returns the chunk that owns flat element off of a step: the
// inverse of runChunk's row ranges.
func (j *scanJob) chunkOf(off int) int {
	b := off / j.N
	c := b * j.chunks / j.B
	for c+1 < j.chunks && (c+1)*j.B/j.chunks <= b {
		c++
	}
	for c > 0 && c*j.B/j.chunks > b {
		c--
	}
	return c
}

func (j *scanJob) fail(reason string) {
	err := &ScanError{Op: j.op, T: j.T, B: j.B, N: j.N, Reason: reason}
	j.release()
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

// zeroSeg stands in for absent optional inputs; it is never written.
var zeroSeg [scanSeg]float32

// part is x[o:o+l], or zeros when x is nil.
func part(x []float32, o, l int) []float32 {
	if x == nil {
		return zeroSeg[:l]
	}
	return x[o : o+l]
}

// run executes the job on the thread pool and returns it to the pool.
func (j *scanJob) run() {
	if j.n == 0 || j.T == 0 {
		if !j.fwd {
			// No steps (or no elements): the initial state has no influence.
			clear(j.dSyn0)
			clear(j.dMem0)
			clear(j.dSpk0)
		}
		j.release()
		return
	}
	j.chunks = max(1, min(maxScanChunks, j.B, (j.n+scanChunkElems-1)/scanChunkElems))
	j.period = scanSeg
	if j.N <= scanSeg {
		j.period = (scanSeg / j.N) * j.N
	}
	if !j.fwd {
		if need := (numPar + 1) * j.n; cap(j.scratch) < need {
			j.scratch = make([]float32, need)
		}
		j.scratch = j.scratch[:(numPar+1)*j.n]
		if j.sg == nil && (j.sgf != nil || j.fsK > 0) {
			if need := j.chunks * scanSeg; cap(j.sgBuf) < need {
				j.sgBuf = make([]float32, need)
			} else {
				j.sgBuf = j.sgBuf[:need]
			}
		}
	}
	runChunks(j.chunks, j)
	if !j.fwd {
		j.reduceGrads()
	}
	j.release()
}

// reduceGrads adds the per-element gradient sums to the parameter
// gradients, in ascending element order.
func (j *scanJob) reduceGrads() {
	for q, dp := range j.dpar {
		if dp == nil {
			continue
		}
		reduceParamGrad(dp, j.scratch[q*j.n:(q+1)*j.n], j.B, j.N)
	}
}

// reduceParamGrad adds the per-element gradient sums acc [B*N] of one
// parameter into its gradient dp: for a shared parameter (len(dp) == 1)
// over all elements in a fixed interleaved order, for a per-feature one
// over the batch rows in ascending order.
func reduceParamGrad(dp, acc []float32, B, N int) {
	if len(dp) == 1 {
		// Eight interleaved partial sums, combined in a fixed order.
		var s [8]float32
		i := 0
		for ; i+8 <= len(acc); i += 8 {
			a := acc[i : i+8 : i+8]
			for k := range s {
				s[k] += a[k]
			}
		}
		for ; i < len(acc); i++ {
			s[0] += acc[i]
		}
		dp[0] += ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
		return
	}
	for b := range B {
		row := acc[b*N : (b+1)*N]
		for f := range dp {
			dp[f] += row[f]
		}
	}
}

func (j *scanJob) runChunk(c int) {
	var pb [numPar][scanSeg]float32
	for q, p := range j.par {
		switch {
		case len(p) == 1:
			for i := range pb[q] {
				pb[q][i] = p[0]
			}
		case p != nil && j.N <= scanSeg:
			for i := range j.period {
				pb[q][i] = p[i%j.N]
			}
		}
	}
	lo, hi := c*j.B/j.chunks*j.N, (c+1)*j.B/j.chunks*j.N
	if !j.fwd {
		// Sums of unwanted gradients and the carry of models without one
		// are written but never read.
		for q := range numPar + 1 {
			if q == numPar && j.kind == scanSynaptic || q < numPar && j.dpar[q] != nil {
				clear(j.scratch[q*j.n+lo : q*j.n+hi])
			}
		}
	}
	var ps [numPar][]float32
	for tt := range j.T {
		t := tt
		if !j.fwd {
			t = j.T - 1 - tt
		}
		for off := lo; off < hi; {
			// Segment [off, off+l) starting at feature f.
			var f, l int
			if j.N <= scanSeg {
				l = min(j.period, hi-off)
			} else {
				f = off % j.N
				l = min(scanSeg, j.N-f)
			}
			for q, p := range j.par {
				switch {
				case p == nil:
				case len(p) == 1 || j.N <= scanSeg:
					ps[q] = pb[q][:l]
				default:
					ps[q] = p[f : f+l]
				}
			}
			switch {
			case j.fwd && j.kind == scanLIF:
				j.lifForward(t, off, l, ps[parBeta], ps[parThr])
			case j.fwd && j.kind == scanSynaptic:
				j.synForward(t, off, l, ps[parAlpha], ps[parBeta], ps[parThr])
			case j.fwd:
				j.liForward(t, off, l, ps[parBeta])
			case j.kind == scanLIF:
				j.lifBackward(t, off, l, ps[parBeta], ps[parThr])
			case j.kind == scanSynaptic:
				j.synBackward(t, off, l, ps[parAlpha], ps[parBeta], ps[parThr])
			default:
				j.liBackward(t, off, l, ps[parBeta])
			}
			off += l
		}
	}
}

// sums reports whether any parameter gradient is wanted.
func (j *scanJob) sums() bool {
	return j.dpar[parAlpha] != nil || j.dpar[parBeta] != nil || j.dpar[parThr] != nil
}

// acc is the per-element gradient sum of parameter q over [off, off+l).
func (j *scanJob) acc(q, off, l int) []float32 {
	return j.scratch[q*j.n+off : q*j.n+off+l]
}
