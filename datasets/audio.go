package datasets

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
)

// MelScale selects the formula that maps frequency to mel.
type MelScale int

const (
	// MelHTK is the mel scale of the HTK Book (Young et al., section 5.4)
	// and of librosa's htk=True: mel(f) = 2595 log10(1 + f/700).
	MelHTK MelScale = iota
	// MelSlaney is the scale of Slaney's Auditory Toolbox (1998), librosa's
	// default: linear below 1 kHz, mel(f) = 3f/200, and logarithmic above,
	// mel(f) = 15 + 27 ln(f/1000)/ln(6.4).
	MelSlaney
)

// String returns "htk" or "slaney".
func (s MelScale) String() string {
	switch s {
	case MelHTK:
		return "htk"
	case MelSlaney:
		return "slaney"
	}
	return fmt.Sprintf("MelScale(%d)", int(s))
}

// HzToMel converts a frequency in hertz to mel on the scale s.
func (s MelScale) HzToMel(f float64) float64 {
	if s == MelHTK {
		return 2595 * math.Log10(1+f/700)
	}
	if f < 1000 {
		return f * 3 / 200
	}
	return 15 + 27*math.Log(f/1000)/math.Log(6.4)
}

// MelToHz is the inverse of HzToMel.
func (s MelScale) MelToHz(m float64) float64 {
	if s == MelHTK {
		return 700 * (math.Pow(10, m/2595) - 1)
	}
	if m < 15 {
		return m * 200 / 3
	}
	return 1000 * math.Exp((m-15)*math.Log(6.4)/27)
}

// FilterbankConfig describes a mel filterbank over short-time frames of a
// signal. The zero value of a field means its default.
type FilterbankConfig struct {
	// Rate is the sample rate in hertz of the signals; required.
	Rate int
	// Frame is the frame length in samples (default: 25 ms at Rate); each
	// frame is multiplied by a periodic Hann window of this length,
	// w[n] = 0.5 - 0.5 cos(2πn/Frame).
	Frame int
	// Hop is the step between frame starts in samples (default: 10 ms).
	Hop int
	// FFT is the transform length, a power of two >= Frame (default: the
	// smallest such); the windowed frame is zero-padded to it.
	FFT int
	// Bands is the number of mel bands (default 40).
	Bands int
	// FMin and FMax bound the filterbank in hertz (defaults 0 and Rate/2).
	FMin, FMax float64
	// Scale is the mel scale (default MelHTK).
	Scale MelScale
	// AreaNorm scales each triangle to unit area in hertz, 2/(f_{k+2} - f_k),
	// as Slaney's toolbox and librosa's norm="slaney" do; without it every
	// triangle peaks at 1 (HTK). With Gammatone it scales each filter's
	// power response to unit area, 1/(b_k 5π/16).
	AreaNorm bool
	// Gammatone replaces the triangles by the power responses of
	// fourth-order gammatone filters on Glasberg and Moore's ERB-rate scale
	// (see Filterbank); Scale is then ignored.
	Gammatone bool
}

// ERB is the equivalent rectangular bandwidth of the human auditory filter
// centred at f hertz, in hertz: 24.7 (4.37 f/1000 + 1) (Glasberg and Moore
// 1990, "Derivation of auditory filter shapes from notched-noise data",
// Hearing Research 47, equation 3).
func ERB(f float64) float64 { return 24.7 * (4.37*f/1000 + 1) }

// HzToERBRate converts f hertz to the ERB-rate scale (the number of ERBs
// below f): 21.4 log10(1 + 0.00437 f) (Glasberg and Moore 1990, equation
// 4).
func HzToERBRate(f float64) float64 { return 21.4 * math.Log10(1+0.00437*f) }

// ERBRateToHz is the inverse of HzToERBRate.
func ERBRateToHz(e float64) float64 { return (math.Pow(10, e/21.4) - 1) / 0.00437 }

// withDefaults returns c with every zero field set to its default.
func (c FilterbankConfig) withDefaults() FilterbankConfig {
	if c.Frame == 0 {
		c.Frame = c.Rate / 40
	}
	if c.Hop == 0 {
		c.Hop = c.Rate / 100
	}
	if c.FFT == 0 {
		c.FFT = 1
		for c.FFT < c.Frame {
			c.FFT *= 2
		}
	}
	if c.Bands == 0 {
		c.Bands = 40
	}
	if c.FMax == 0 {
		c.FMax = float64(c.Rate) / 2
	}
	return c
}

// Filterbank computes the band energies of a signal: power spectra of
// Hann-windowed frames, weighted by triangular filters evenly spaced in mel
// or, with Gammatone, by gammatone filters evenly spaced in ERB-rate.
//
// For frame t (samples x[t*Hop : t*Hop+Frame], zeros past the end of the
// signal) the power spectrum is P_t(j) = |Σ_n w[n] x[t*Hop+n] e^{-2πijn/FFT}|²
// for bins j = 0..FFT/2 at frequencies f_j = j*Rate/FFT. The band energies
// are E_t(k) = Σ_j W(k, j) P_t(j), k = 0..Bands-1, with the triangles
//
//	W(k, j) = max(0, min((f_j - h_k)/(h_{k+1} - h_k), (h_{k+2} - f_j)/(h_{k+2} - h_{k+1})))
//
// over the Bands+2 edge frequencies h_i = MelToHz(mel(FMin) + i*(mel(FMax) -
// mel(FMin))/(Bands+1)), times 2/(h_{k+2} - h_k) with AreaNorm. These are the
// filters of librosa.filters.mel (which evaluates the triangles at the bin
// frequencies, as here, rather than rounding the edges to bins as HTK does).
// A signal of n samples has 1 + ceil(max(n - Frame, 0)/Hop) frames: the last
// one is zero-padded, and frames are not centred (librosa's center=False).
//
// With Gammatone the cochlea is modelled by fourth-order gammatone filters
// (Patterson et al. 1992; Slaney 1993, "An efficient implementation of the
// Patterson-Holdsworth auditory filter bank", Apple TR 35): the impulse
// response t³ e^{-2π b t} cos(2π c t) has, near its centre c, the
// magnitude response (1 + ((f - c)/b)²)^{-2}, so the weights on the power
// spectrum are
//
//	W(k, j) = (1 + ((f_j - c_k)/b_k)²)^{-4},  b_k = 1.019 ERB(c_k)
//
// (the FFT-domain approximation of a gammatone filterbank, as in Ellis's
// gammatonegram), with the centres c_k the inner Bands of Bands+2 points
// evenly spaced on the ERB-rate scale from FMin to FMax.
type Filterbank struct {
	cfg     FilterbankConfig
	window  []float64
	weights [][]float32 // [Bands][FFT/2+1]
	lo, hi  []int       // the non-zero bins of each band: [lo, hi)
	twiddle []complex128
	buf     []complex128
	power   []float32
}

// NewFilterbank checks cfg and builds the filterbank. It returns an error
// naming the field for a bad configuration.
func NewFilterbank(cfg FilterbankConfig) (*Filterbank, error) {
	if cfg.Rate <= 0 {
		return nil, fmt.Errorf("datasets: filterbank: Rate %d Hz, want > 0", cfg.Rate)
	}
	c := cfg.withDefaults()
	switch {
	case c.Frame < 2:
		return nil, fmt.Errorf("datasets: filterbank: Frame %d samples, want >= 2", c.Frame)
	case c.Hop < 1:
		return nil, fmt.Errorf("datasets: filterbank: Hop %d samples, want >= 1", c.Hop)
	case c.FFT < c.Frame || c.FFT&(c.FFT-1) != 0:
		return nil, fmt.Errorf("datasets: filterbank: FFT %d, want a power of two >= Frame (%d)", c.FFT, c.Frame)
	case c.Bands < 1:
		return nil, fmt.Errorf("datasets: filterbank: Bands %d, want >= 1", c.Bands)
	case !(c.FMin >= 0 && c.FMin < c.FMax && c.FMax <= float64(c.Rate)/2):
		return nil, fmt.Errorf("datasets: filterbank: FMin %g, FMax %g Hz, want 0 <= FMin < FMax <= Rate/2 = %g", c.FMin, c.FMax, float64(c.Rate)/2)
	case c.Scale != MelHTK && c.Scale != MelSlaney && !c.Gammatone:
		return nil, fmt.Errorf("datasets: filterbank: unknown Scale %d", int(c.Scale))
	}
	toScale, fromScale := c.Scale.HzToMel, c.Scale.MelToHz
	if c.Gammatone {
		toScale, fromScale = HzToERBRate, ERBRateToHz
	}
	fb := &Filterbank{cfg: c}
	fb.window = make([]float64, c.Frame)
	for n := range fb.window {
		fb.window[n] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(n)/float64(c.Frame))
	}
	bins := c.FFT/2 + 1
	mlo, mhi := toScale(c.FMin), toScale(c.FMax)
	edges := make([]float64, c.Bands+2)
	for i := range edges {
		edges[i] = fromScale(mlo + float64(i)*(mhi-mlo)/float64(c.Bands+1))
	}
	fb.weights = make([][]float32, c.Bands)
	fb.lo = make([]int, c.Bands)
	fb.hi = make([]int, c.Bands)
	for k := range c.Bands {
		w := make([]float32, bins)
		lo, hi := bins, 0
		scale := 1.0
		centre, bw := edges[k+1], 1.019*ERB(edges[k+1])
		switch {
		case c.AreaNorm && c.Gammatone:
			scale = 1 / (bw * 5 * math.Pi / 16) // ∫ (1 + x²)^-4 dx = 5π/16
		case c.AreaNorm:
			scale = 2 / (edges[k+2] - edges[k])
		}
		for j := range bins {
			f := float64(j) * float64(c.Rate) / float64(c.FFT)
			var v float64
			if c.Gammatone {
				x := (f - centre) / bw
				v = math.Pow(1+x*x, -4)
				if v < 1e-8 { // the tails: 10 bandwidths from the centre
					v = 0
				}
			} else {
				up := (f - edges[k]) / (edges[k+1] - edges[k])
				down := (edges[k+2] - f) / (edges[k+2] - edges[k+1])
				v = max(0, min(up, down))
			}
			if v > 0 {
				w[j] = float32(v * scale)
				lo, hi = min(lo, j), j+1
			}
		}
		if hi == 0 {
			lo = 0
		}
		fb.weights[k], fb.lo[k], fb.hi[k] = w, lo, hi
	}
	fb.twiddle = make([]complex128, c.FFT/2)
	for i := range fb.twiddle {
		fb.twiddle[i] = cmplx.Exp(complex(0, -2*math.Pi*float64(i)/float64(c.FFT)))
	}
	fb.buf = make([]complex128, c.FFT)
	fb.power = make([]float32, bins)
	return fb, nil
}

// Config returns the configuration with its defaults filled in.
func (fb *Filterbank) Config() FilterbankConfig { return fb.cfg }

// Weights returns the filter of band k over the FFT/2+1 frequency bins (a
// copy).
func (fb *Filterbank) Weights(k int) []float32 {
	return append([]float32(nil), fb.weights[k]...)
}

// Frames returns the number of frames of a signal of n samples.
func (fb *Filterbank) Frames(n int) int {
	c := fb.cfg
	if n <= c.Frame {
		return 1
	}
	return 1 + (n-c.Frame+c.Hop-1)/c.Hop
}

// Energies returns the band energies of x, [Frames(len(x)), Bands]
// row-major. A Filterbank holds scratch buffers: it is used by one
// goroutine at a time.
func (fb *Filterbank) Energies(x []float32) []float32 {
	c := fb.cfg
	frames := fb.Frames(len(x))
	out := make([]float32, frames*c.Bands)
	sample := func(t, n int) float64 {
		if start := t * c.Hop; t < frames && n < c.Frame && start+n < len(x) {
			return float64(x[start+n]) * fb.window[n]
		}
		return 0
	}
	// Two real frames a and b share one complex transform of z = a + ib:
	// A(j) = (Z(j) + conj Z(N-j))/2 and B(j) = (Z(j) - conj Z(N-j))/(2i),
	// so |A|² and |B|² follow from Z(j) and Z(N-j).
	n := c.FFT
	for t := 0; t < frames; t += 2 {
		for i := range fb.buf {
			fb.buf[i] = complex(sample(t, i), sample(t+1, i))
		}
		fft(fb.buf, fb.twiddle)
		for f := t; f < min(t+2, frames); f++ {
			for j := range fb.power {
				z, zc := fb.buf[j], cmplx.Conj(fb.buf[(n-j)%n])
				var v complex128
				if f == t {
					v = (z + zc) / 2
				} else {
					v = (z - zc) / complex(0, 2)
				}
				fb.power[j] = float32(real(v)*real(v) + imag(v)*imag(v))
			}
			row := out[f*c.Bands : (f+1)*c.Bands]
			for k := range row {
				w := fb.weights[k]
				var s float32
				for j := fb.lo[k]; j < fb.hi[k]; j++ {
					s += w[j] * fb.power[j]
				}
				row[k] = s
			}
		}
	}
	return out
}

// fft computes the discrete Fourier transform of a (length a power of two)
// in place, iterative radix-2 Cooley-Tukey; tw[i] = e^{-2πi i/len(a)}.
func fft(a []complex128, tw []complex128) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half, step := size>>1, n/size
		for start := 0; start < n; start += size {
			for k := range half {
				u, v := a[start+k], a[start+k+half]*tw[k*step]
				a[start+k], a[start+k+half] = u+v, u-v
			}
		}
	}
}

// LogCompress replaces every energy e by ln(e + floor): the usual log-mel
// features. floor > 0 keeps silence finite.
func LogCompress(e []float32, floor float32) {
	for i, v := range e {
		e[i] = float32(math.Log(float64(v + floor)))
	}
}

// NormalizeRange maps x linearly onto [0, 1] by its own minimum and maximum
// (a constant x becomes all zeros).
func NormalizeRange(x []float32) {
	if len(x) == 0 {
		return
	}
	lo, hi := x[0], x[0]
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi <= lo {
		clear(x)
		return
	}
	s := 1 / (hi - lo)
	for i, v := range x {
		x[i] = (v - lo) * s
	}
}

// Resample converts x from rate from to rate to (hertz) with a windowed-sinc
// interpolator: y[m] = Σ_n x[n] g h(g(m·from/to - n)), h(u) = sinc(u)
// times a Hann window over |u| < zeros, with g = min(1, to/from) so that
// downsampling filters out what lies above the new Nyquist frequency.
// zeros (the half-width in zero crossings of the sinc; 0 means 16) trades
// speed for stopband. The output has round(len(x)·to/from) samples.
func Resample(x []float32, from, to, zeros int) ([]float32, error) {
	if from <= 0 || to <= 0 {
		return nil, fmt.Errorf("datasets: Resample: rates %d and %d Hz, want > 0", from, to)
	}
	if from == to {
		return append([]float32(nil), x...), nil
	}
	if zeros <= 0 {
		zeros = 16
	}
	ratio := float64(from) / float64(to)
	g := min(1, 1/ratio)
	half := float64(zeros) / g // the kernel's half-width in input samples
	out := make([]float32, int(math.Round(float64(len(x))/ratio)))
	for m := range out {
		c := float64(m) * ratio
		n0 := max(0, int(math.Ceil(c-half)))
		n1 := min(len(x)-1, int(math.Floor(c+half)))
		var s float64
		for n := n0; n <= n1; n++ {
			u := g * (c - float64(n))
			if math.Abs(u) >= float64(zeros) {
				continue
			}
			h := 1.0
			if u != 0 {
				h = math.Sin(math.Pi*u) / (math.Pi * u)
			}
			h *= 0.5 + 0.5*math.Cos(math.Pi*u/float64(zeros))
			s += float64(x[n]) * g * h
		}
		out[m] = float32(s)
	}
	return out, nil
}

// AudioEncoding selects how band energies become spikes.
type AudioEncoding int

const (
	// AudioCrossing is threshold-crossing (send-on-delta, "level crossing")
	// coding: each channel keeps a reference level r, starting at its first
	// value; whenever the value x rises to r + Threshold or above, an up
	// spike is emitted and r += Threshold, and whenever it falls to r -
	// Threshold or below, a down spike and r -= Threshold, at most one spike
	// per direction per step. Up spikes are channels [0, C), down spikes
	// [C, 2C). This is the delta modulator of Kaiser et al. and of the
	// sigma-delta audio front ends; on normalised log energies it codes
	// onsets and offsets of each band.
	AudioCrossing AudioEncoding = iota
	// AudioDelta is snnTorch's spikegen.delta on successive frames: an up
	// spike where x[t] - x[t-1] >= Threshold, a down spike where it is <=
	// -Threshold (x[-1] = x[0]); channels as AudioCrossing.
	AudioDelta
	// AudioRate draws a Bernoulli spike with probability clamp(Gain*x, 0, 1)
	// at every step (snnTorch's spikegen.rate on the time-varying input),
	// C channels; it needs the batch's random source.
	AudioRate
)

// String returns "crossing", "delta" or "rate".
func (e AudioEncoding) String() string {
	switch e {
	case AudioCrossing:
		return "crossing"
	case AudioDelta:
		return "delta"
	case AudioRate:
		return "rate"
	}
	return fmt.Sprintf("AudioEncoding(%d)", int(e))
}

// Channels returns the number of spike channels of bands band features.
func (e AudioEncoding) Channels(bands int) int {
	if e == AudioRate {
		return bands
	}
	return 2 * bands
}

// EncodeAudio writes the spikes of features x, [steps, bands] (one sample,
// time-major), into dst, [steps, stride] with the sample's channels at
// dst[t*stride+off : t*stride+off+e.Channels(bands)]; other elements of dst
// are left alone. threshold is the level step of AudioCrossing and
// AudioDelta, gain the scale of AudioRate, which draws from rng. It panics
// with a *ShapeError when the lengths do not match.
func EncodeAudio(e AudioEncoding, dst []float32, stride, off int, x []float32, steps, bands int, threshold, gain float32, rng *rand.Rand) {
	const op = "EncodeAudio"
	ch := e.Channels(bands)
	if len(x) != steps*bands || off < 0 || off+ch > stride || len(dst) < (steps-1)*stride+off+ch {
		shapePanic(op, "x has %d values for [%d, %d]; dst %d values, stride %d, offset %d, %d channels",
			len(x), steps, bands, len(dst), stride, off, ch)
	}
	if e != AudioRate && !(threshold > 0) {
		shapePanic(op, "threshold %g, want > 0", threshold)
	}
	switch e {
	case AudioRate:
		if rng == nil {
			shapePanic(op, "rate coding needs a random source")
		}
		for t := range steps {
			row := dst[t*stride+off : t*stride+off+bands]
			for k := range row {
				p := gain * x[t*bands+k]
				var s float32
				if p >= 1 || p > 0 && rng.Float32() < p {
					s = 1
				}
				row[k] = s
			}
		}
	case AudioDelta:
		for t := range steps {
			row := dst[t*stride+off : t*stride+off+2*bands]
			clear(row)
			if t == 0 {
				continue
			}
			for k := range bands {
				d := x[t*bands+k] - x[(t-1)*bands+k]
				if d >= threshold {
					row[k] = 1
				} else if d <= -threshold {
					row[bands+k] = 1
				}
			}
		}
	default:
		for k := range bands {
			ref := x[k]
			for t := range steps {
				i := t*stride + off
				dst[i+k], dst[i+bands+k] = 0, 0
				v := x[t*bands+k]
				if v >= ref+threshold {
					dst[i+k] = 1
					ref += threshold
				} else if v <= ref-threshold {
					dst[i+bands+k] = 1
					ref -= threshold
				}
			}
		}
	}
}
