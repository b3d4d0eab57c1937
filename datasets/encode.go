package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// StaticEncoder turns a static input x, [batch, features], into a time-major
// sequence dst, [steps, batch, features]. It writes every element of dst and
// allocates nothing. rng is used by stochastic encoders only (it may be nil
// for the others). Implementations panic with a *ShapeError when a length
// does not match the shape.
type StaticEncoder interface {
	Encode(dst, x []float32, steps, batch, features int, rng *rand.Rand)
}

func checkEncode(op string, dst, x []float32, steps, batch, features int) {
	if steps < 1 || batch < 0 || features < 1 {
		shapePanic(op, "shape steps=%d batch=%d features=%d", steps, batch, features)
	}
	if len(x) != batch*features {
		shapePanic(op, "x has %d values, want batch*features = %d*%d = %d", len(x), batch, features, batch*features)
	}
	if len(dst) != steps*batch*features {
		shapePanic(op, "dst has %d values, want steps*batch*features = %d*%d*%d = %d",
			len(dst), steps, batch, features, steps*batch*features)
	}
}

// DirectEncoder feeds the value itself at every step ("direct current"
// input): dst[t, b, f] = x[b, f]. This is what snnTorch's tutorial 5 does with
// the static image.
type DirectEncoder struct{}

// Encode implements StaticEncoder.
func (DirectEncoder) Encode(dst, x []float32, steps, batch, features int, _ *rand.Rand) {
	checkEncode("DirectEncoder.Encode", dst, x, steps, batch, features)
	n := len(x)
	for t := range steps {
		copy(dst[t*n:(t+1)*n], x)
	}
}

// RateEncoder emits independent Bernoulli spikes: at each step,
// dst[t, b, f] = 1 with probability p = clamp(Gain*x[b, f] + Offset, 0, 1),
// else 0, as snnTorch's spikegen.rate (gain, offset; first_spike_time and
// time-varying input are not supported).
//
// Random numbers: each rng.Uint64() gives two 32-bit uniforms u, the low
// half first, used in the order of dst; an element spikes when
// u < floor(p * 2^32). The probability is p within 2^-32, and a seeded rng
// gives the same spikes every time.
type RateEncoder struct {
	// Gain scales the input; 0 means 1.
	Gain float32
	// Offset is added after scaling.
	Offset float32
}

// Encode implements StaticEncoder. rng must not be nil.
func (e RateEncoder) Encode(dst, x []float32, steps, batch, features int, rng *rand.Rand) {
	checkEncode("RateEncoder.Encode", dst, x, steps, batch, features)
	if rng == nil {
		panic(&ShapeError{Op: "RateEncoder.Encode", Msg: "nil random source"})
	}
	gain := e.Gain
	if gain == 0 {
		gain = 1
	}
	var u uint64
	half := false // whether u holds an unused high half
	n := len(x)
	for t := range steps {
		row := dst[t*n : (t+1)*n]
		for i, v := range x {
			// thr is the count of 32-bit values below which a draw spikes:
			// 0 for p <= 0 (never), 2^32 for p >= 1 (always).
			p := float64(gain*v + e.Offset)
			var thr uint64
			if p >= 1 {
				thr = 1 << 32
			} else if p > 0 {
				thr = uint64(p * (1 << 32))
			}
			var r uint64
			if half {
				r, half = u>>32, false
			} else {
				u = rng.Uint64()
				r, half = u&0xFFFFFFFF, true
			}
			// r, thr <= 2^32, so r - thr wraps to a number with the top bit
			// set exactly when r < thr: a spike, without a branch on the
			// random outcome.
			row[i] = float32((r - thr) >> 63)
		}
	}
}

// LatencyEncoder emits one spike per input, earlier for larger values
// (time-to-first-spike coding), following snnTorch's spikegen.latency.
//
// Logarithmic (default), the time an RC circuit with time constant Tau
// driven by x takes to reach Threshold:
//
//	x' = max(x, Threshold + Epsilon)
//	t  = Tau * ln(x' / (x' - Threshold))
//
// With Normalize, t is scaled by (steps-1) / (Tau*ln((Threshold+Epsilon)/Epsilon)),
// so that the latest possible spike, of an input at or below the threshold,
// falls on the last step. snnTorch divides by the largest time in the tensor
// instead; the two agree whenever the batch has an input below
// Threshold+Epsilon (every MNIST batch: the background is 0), and this form
// does not make one sample's code depend on the others in its batch.
//
// Linear: t = min(Tau*(1 - min(x, 1)), Tau*(1 - Threshold)); with
// Normalize, Tau is replaced by steps-1, so x = 1 fires at step 0 and x = 0
// at step (steps-1)*(1-Threshold).
//
// The spike goes to step round(t), rounding half to even like torch.round.
// A spike whose step is >= steps is dropped (snnTorch clamps it to the last
// step and then clears that step). With Clip, inputs below Threshold emit no
// spike at all. first_spike_time is not supported.
type LatencyEncoder struct {
	// Tau is the time constant in steps; 0 means 1 (snnTorch's default).
	Tau float32
	// Threshold is in input units, in (0, 1); 0 means 0.01 (snnTorch's default).
	Threshold float32
	// Epsilon keeps the logarithm finite; 0 means 1e-7 (snnTorch's default).
	Epsilon float32
	// Linear selects the linear code instead of the logarithmic one.
	Linear bool
	// Normalize stretches the code over all steps.
	Normalize bool
	// Clip removes the spikes of inputs below Threshold.
	Clip bool
}

func (e LatencyEncoder) params() (tau, thr, eps float64) {
	tau, thr, eps = float64(e.Tau), float64(e.Threshold), float64(e.Epsilon)
	if tau == 0 {
		tau = 1
	}
	if thr == 0 {
		thr = 0.01
	}
	if eps == 0 {
		eps = 1e-7
	}
	return tau, thr, eps
}

// SpikeTime returns the (unrounded) spike time of an input value x for a
// sequence of the given number of steps, and whether the input emits a spike
// at all (false only with Clip and x below Threshold).
func (e LatencyEncoder) SpikeTime(x float32, steps int) (t float64, ok bool) {
	tau, thr, eps := e.params()
	v := float64(x)
	if e.Clip && v < thr {
		return 0, false
	}
	if e.Linear {
		if e.Normalize {
			tau = float64(steps - 1)
		}
		return math.Min(tau*(1-math.Min(v, 1)), tau*(1-thr)), true
	}
	v = math.Max(v, thr+eps)
	t = tau * math.Log(v/(v-thr))
	if e.Normalize {
		t *= float64(steps-1) / (tau * math.Log((thr+eps)/eps))
	}
	return t, true
}

// Encode implements StaticEncoder. It panics with a *ShapeError if
// Threshold is not in (0, 1) or Tau is negative.
func (e LatencyEncoder) Encode(dst, x []float32, steps, batch, features int, _ *rand.Rand) {
	checkEncode("LatencyEncoder.Encode", dst, x, steps, batch, features)
	if tau, thr, _ := e.params(); thr <= 0 || thr >= 1 || tau < 0 {
		panic(&ShapeError{Op: "LatencyEncoder.Encode", Msg: fmt.Sprintf("threshold %g must be in (0, 1), tau %g >= 0", thr, tau)})
	}
	clear(dst)
	n := len(x)
	for i, v := range x {
		t, ok := e.SpikeTime(v, steps)
		if !ok {
			continue
		}
		s := math.RoundToEven(t)
		if s >= 0 && s < float64(steps) {
			dst[int(s)*n+i] = 1
		}
	}
}

// DeltaEncoder turns a time-varying input into change events, following
// snnTorch's spikegen.delta: with d = x[t] - x[t-1],
//
//	on spike  where d >=  Threshold
//	off spike where d <= -Threshold (only with Off)
//
// x[-1] is 0, or x[0] with Padding (then no event at t = 0). Without
// Channels the output has the input's shape [steps, batch, features] with
// +1 for on and -1 for off events (snnTorch's off_spike). With Channels it is
// [steps, batch, 2*features], on events as 1 in features [0, F) and off
// events as 1 in [F, 2F), the usual two-polarity layout of event cameras.
type DeltaEncoder struct {
	// Threshold is the change, in input units, that triggers an event.
	Threshold float32
	// Padding compares the first frame with itself instead of with zero.
	Padding bool
	// Off also emits events for decreases.
	Off bool
	// Channels puts on and off events in separate feature channels.
	Channels bool
}

// OutFeatures returns the number of output features for features inputs.
func (e DeltaEncoder) OutFeatures(features int) int {
	if e.Channels {
		return 2 * features
	}
	return features
}

// Encode writes the events of frames, [steps, batch, features], into dst,
// [steps, batch, OutFeatures(features)]. It allocates nothing.
func (e DeltaEncoder) Encode(dst, frames []float32, steps, batch, features int) {
	const op = "DeltaEncoder.Encode"
	if steps < 1 || batch < 0 || features < 1 {
		shapePanic(op, "shape steps=%d batch=%d features=%d", steps, batch, features)
	}
	if len(frames) != steps*batch*features {
		shapePanic(op, "frames have %d values, want steps*batch*features = %d*%d*%d = %d",
			len(frames), steps, batch, features, steps*batch*features)
	}
	of := e.OutFeatures(features)
	if len(dst) != steps*batch*of {
		shapePanic(op, "dst has %d values, want steps*batch*%d = %d", len(dst), of, steps*batch*of)
	}
	n := batch * features
	for t := range steps {
		cur := frames[t*n : (t+1)*n]
		for i, v := range cur {
			var prev float32
			switch {
			case t > 0:
				prev = frames[(t-1)*n+i]
			case e.Padding:
				prev = v
			}
			d := v - prev
			var on, off float32
			if d >= e.Threshold {
				on = 1
			}
			if e.Off && d <= -e.Threshold {
				off = 1
			}
			if !e.Channels {
				dst[t*n+i] = on - off
				continue
			}
			b, f := i/features, i%features
			row := dst[(t*batch+b)*of:]
			row[f] = on
			row[features+f] = off
		}
	}
}

// Encoded wraps a static dataset (one step) so that its batches come out
// encoded over steps time steps: [steps, B, features]. Stochastic encoders
// draw from Batch.Rand, which the Loader sets.
func Encoded(base Dataset, steps int, enc StaticEncoder) (Dataset, error) {
	s, f := base.Shape()
	if s != 1 {
		return nil, fmt.Errorf("datasets: Encoded: base dataset has %d steps, want 1 (a static dataset)", s)
	}
	if steps < 1 {
		return nil, fmt.Errorf("datasets: Encoded: %d steps, want >= 1", steps)
	}
	return &encoded{base: base, steps: steps, features: f, enc: enc}, nil
}

type encoded struct {
	base     Dataset
	steps    int
	features int
	enc      StaticEncoder
}

func (d *encoded) Len() int                     { return d.base.Len() }
func (d *encoded) Shape() (steps, features int) { return d.steps, d.features }

func (d *encoded) Fill(b *Batch, idx []int) error {
	b.check("Encoded.Fill", d.steps, len(idx), d.features)
	out := b.X
	b.scratch = grow(b.scratch, len(idx)*d.features)
	b.X, b.Steps = b.scratch, 1
	err := d.base.Fill(b, idx)
	b.X, b.Steps = out, d.steps
	if err != nil {
		return err
	}
	d.enc.Encode(b.X, b.scratch, d.steps, len(idx), d.features, b.Rand)
	return nil
}
