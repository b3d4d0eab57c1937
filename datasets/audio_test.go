package datasets

import (
	"encoding/json"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

func TestMelScales(t *testing.T) {
	cases := []struct {
		s        MelScale
		hz, mel  float64
		citation string
	}{
		{MelHTK, 0, 0, "2595 log10(1) = 0"},
		{MelHTK, 700, 2595 * math.Log10(2), "f = 700 Hz doubles the argument"},
		{MelSlaney, 500, 7.5, "linear part: 3*500/200"},
		{MelSlaney, 1000, 15, "the break point: 15 mel"},
		{MelSlaney, 6400, 42, "15 + 27 ln(6.4)/ln(6.4)"},
	}
	for _, c := range cases {
		if got := c.s.HzToMel(c.hz); math.Abs(got-c.mel) > 1e-9 {
			t.Errorf("%s HzToMel(%g) = %g, want %g (%s)", c.s, c.hz, got, c.mel, c.citation)
		}
		if got := c.s.MelToHz(c.mel); math.Abs(got-c.hz) > 1e-9 {
			t.Errorf("%s MelToHz(%g) = %g, want %g", c.s, c.mel, got, c.hz)
		}
	}
}

// TestFFT compares the radix-2 FFT with the O(n²) definition of the DFT.
func TestFFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 8, 64} {
		a := make([]complex128, n)
		for i := range a {
			a[i] = complex(rng.NormFloat64(), rng.NormFloat64())
		}
		want := make([]complex128, n)
		for k := range n {
			for j, v := range a {
				want[k] += v * cmplx.Exp(complex(0, -2*math.Pi*float64(j*k)/float64(n)))
			}
		}
		tw := make([]complex128, max(n/2, 1))
		for i := range tw {
			tw[i] = cmplx.Exp(complex(0, -2*math.Pi*float64(i)/float64(n)))
		}
		fft(a, tw)
		for k := range n {
			if cmplx.Abs(a[k]-want[k]) > 1e-9*float64(n) {
				t.Errorf("n=%d bin %d: %v, want %v", n, k, a[k], want[k])
			}
		}
	}
}

// refSignal is the signal of testdata/audio/melref.py, evaluated the same
// way (float64, then rounded to float32).
func refSignal(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		f := float64(i)
		x[i] = float32(0.5*math.Sin(2*math.Pi*440*f/8000) +
			0.25*math.Sin(2*math.Pi*1800*f/8000+0.3) +
			0.1*(float64((i*7919)%200)/100-1))
	}
	return x
}

// TestFilterbankReference checks the band energies against the numpy
// computation of testdata/audio/melref.py (its values in melref.json).
func TestFilterbankReference(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "audio", "melref.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Source string
		Cases  []struct {
			Name    string
			Samples int
			Config  struct {
				Rate, Frame, Hop, Nfft, Bands int
				Fmin, Fmax                    float64
				Scale                         string
				Area, Gammatone               bool
			}
			Frames   int
			Energies []float64
		}
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) != 4 {
		t.Fatalf("%d cases in melref.json, want 4", len(ref.Cases))
	}
	for _, c := range ref.Cases {
		cfg := FilterbankConfig{Rate: c.Config.Rate, Frame: c.Config.Frame, Hop: c.Config.Hop, FFT: c.Config.Nfft,
			Bands: c.Config.Bands, FMin: c.Config.Fmin, FMax: c.Config.Fmax, AreaNorm: c.Config.Area, Gammatone: c.Config.Gammatone}
		if c.Config.Scale == "slaney" {
			cfg.Scale = MelSlaney
		}
		fb, err := NewFilterbank(cfg)
		if err != nil {
			t.Fatal(err)
		}
		x := refSignal(c.Samples)
		if got := fb.Frames(len(x)); got != c.Frames {
			t.Errorf("%s: %d frames, want %d", c.Name, got, c.Frames)
		}
		e := fb.Energies(x)
		if len(e) != len(c.Energies) {
			t.Fatalf("%s: %d energies, want %d", c.Name, len(e), len(c.Energies))
		}
		// float32 weights and sums against float64: a relative error of
		// 1e-4 of the frame's largest band.
		for tt := range c.Frames {
			b := c.Config.Bands
			peak := 0.0
			for k := range b {
				peak = max(peak, c.Energies[tt*b+k])
			}
			for k := range b {
				i := tt*b + k
				if d := math.Abs(float64(e[i]) - c.Energies[i]); d > 1e-4*peak {
					t.Errorf("%s: frame %d band %d: %g, want %g (%s)", c.Name, tt, k, e[i], c.Energies[i], ref.Source)
				}
			}
		}
	}
}

// TestERB checks the ERB formulas at points worked out by hand from
// Glasberg and Moore (1990): ERB(1 kHz) = 24.7*(4.37+1) = 132.639 Hz, and
// the ERB-rate at 1 kHz is 21.4 log10(5.37) = 15.62.
func TestERB(t *testing.T) {
	if got := ERB(1000); math.Abs(got-132.639) > 1e-9 {
		t.Errorf("ERB(1000) = %g, want 132.639", got)
	}
	if got := HzToERBRate(1000); math.Abs(got-21.4*math.Log10(5.37)) > 1e-12 || math.Abs(got-15.62) > 0.005 {
		t.Errorf("ERB-rate(1000) = %g, want 15.62", got)
	}
	for _, f := range []float64{0, 50, 1000, 3999} {
		if got := ERBRateToHz(HzToERBRate(f)); math.Abs(got-f) > 1e-9*max(1, f) {
			t.Errorf("ERBRateToHz(HzToERBRate(%g)) = %g", f, got)
		}
	}
}

func TestFilterbankConfigErrors(t *testing.T) {
	for _, c := range []FilterbankConfig{
		{},
		{Rate: 8000, FFT: 100},
		{Rate: 8000, Frame: 300, FFT: 256},
		{Rate: 8000, FMax: 5000},
		{Rate: 8000, FMin: 2000, FMax: 1000},
		{Rate: 8000, Hop: -1},
		{Rate: 8000, Scale: 7},
	} {
		if _, err := NewFilterbank(c); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

// TestResample converts a 440 Hz sine from 16 kHz to 8 kHz and back and
// compares with the sine sampled at the target rate (away from the edges,
// where the kernel is cut off); and checks that a 6 kHz tone, above the new
// Nyquist frequency of 4 kHz, is removed.
func TestResample(t *testing.T) {
	sine := func(rate, n int, hz float64) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(math.Sin(2 * math.Pi * hz * float64(i) / float64(rate)))
		}
		return x
	}
	for _, c := range []struct{ from, to int }{{16000, 8000}, {8000, 16000}, {8000, 11025}} {
		y, err := Resample(sine(c.from, 4*c.from/10, 440), c.from, c.to, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := sine(c.to, 4*c.to/10, 440)
		if len(y) != len(want) {
			t.Fatalf("%d→%d: %d samples, want %d", c.from, c.to, len(y), len(want))
		}
		worst := 0.0
		for i := len(want) / 4; i < 3*len(want)/4; i++ {
			worst = max(worst, math.Abs(float64(y[i]-want[i])))
		}
		// A 16-zero Hann-windowed sinc passes 440 Hz to within about 1e-3.
		if worst > 5e-3 {
			t.Errorf("%d→%d: worst error %g in the middle half", c.from, c.to, worst)
		}
	}
	y, _ := Resample(sine(16000, 6400, 6000), 16000, 8000, 0)
	rms := 0.0
	for _, v := range y[800:2400] {
		rms += float64(v * v)
	}
	if rms = math.Sqrt(rms / 1600); rms > 0.02 {
		t.Errorf("6 kHz tone resampled to 8 kHz keeps RMS %g, want < 0.02 (the input's is 0.707)", rms)
	}
	if _, err := Resample(nil, 0, 8000, 0); err == nil {
		t.Error("rate 0: no error")
	}
}

// TestEncodeAudio checks each code on a hand-worked input of one band
// (threshold 0.25): x = 0, 0.3, 0.6, 0.55, 0.2, 0.2.
func TestEncodeAudio(t *testing.T) {
	x := []float32{0, 0.3, 0.6, 0.55, 0.2, 0.2}
	cases := []struct {
		e        AudioEncoding
		up, down []float32
	}{
		// Crossing: ref 0; 0.3 >= 0.25 up (ref 0.25); 0.6 >= 0.5 up (ref
		// 0.5); 0.55 neither; 0.2 <= 0.25 down (ref 0.25); 0.2 > 0 none.
		{AudioCrossing, []float32{0, 1, 1, 0, 0, 0}, []float32{0, 0, 0, 0, 1, 0}},
		// Delta: d = -, 0.3, 0.3, -0.05, -0.35, 0.
		{AudioDelta, []float32{0, 1, 1, 0, 0, 0}, []float32{0, 0, 0, 0, 1, 0}},
	}
	for _, c := range cases {
		// Two samples side by side (stride 4, offset 2): the other sample's
		// channels keep their value 9.
		dst := make([]float32, 6*4)
		for i := range dst {
			dst[i] = 9
		}
		EncodeAudio(c.e, dst, 4, 2, x, 6, 1, 0.25, 1, nil)
		for tt := range 6 {
			if dst[tt*4] != 9 || dst[tt*4+1] != 9 || dst[tt*4+2] != c.up[tt] || dst[tt*4+3] != c.down[tt] {
				t.Errorf("%s step %d: %v, want [9 9 %g %g]", c.e, tt, dst[tt*4:tt*4+4], c.up[tt], c.down[tt])
			}
		}
	}
	// Rate: probability 0 never fires, >= 1 always; 0.5 fires about half
	// the time (20000 draws: 3 standard deviations are 1.1 %).
	rng := rand.New(rand.NewPCG(3, 4))
	const steps = 20000
	xs := make([]float32, steps*3)
	for tt := range steps {
		xs[tt*3], xs[tt*3+1], xs[tt*3+2] = 0, 0.25, 0.6
	}
	dst := make([]float32, steps*3)
	EncodeAudio(AudioRate, dst, 3, 0, xs, steps, 3, 0, 2, rng)
	var n [3]float64
	for tt := range steps {
		for k := range 3 {
			n[k] += float64(dst[tt*3+k])
		}
	}
	if n[0] != 0 || n[2] != steps || math.Abs(n[1]/steps-0.5) > 0.011 {
		t.Errorf("rate counts %v of %d steps, want 0, about %d, %d (gain 2: p = 0, 0.5, 1)", n, steps, steps/2, steps)
	}
}

// TestFilterbankFramePairs checks that every frame's energies, computed two
// frames per transform, equal those of the frame alone (a signal of
// exactly Frame samples has one frame), for even and odd frame counts.
func TestFilterbankFramePairs(t *testing.T) {
	fb, err := NewFilterbank(FilterbankConfig{Rate: 8000, Bands: 20})
	if err != nil {
		t.Fatal(err)
	}
	c := fb.Config()
	for _, n := range []int{c.Frame + 4*c.Hop, c.Frame + 5*c.Hop - 3} {
		x := refSignal(n)
		e := fb.Energies(x)
		frames := fb.Frames(n)
		for f := range frames {
			frame := make([]float32, c.Frame)
			copy(frame, x[f*c.Hop:min(n, f*c.Hop+c.Frame)])
			one := fb.Energies(frame)
			for k := range c.Bands {
				got, want := e[f*c.Bands+k], one[k]
				if math.Abs(float64(got-want)) > 1e-5*math.Abs(float64(want))+1e-12 {
					t.Errorf("%d samples, frame %d band %d: %g, alone %g", n, f, k, got, want)
				}
			}
		}
	}
}
