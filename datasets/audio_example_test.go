package datasets_test

import (
	"bytes"
	"fmt"
	"math"

	"github.com/spikegrad/spikegrad/datasets"
)

// A WAV file written and read back: 16-bit PCM keeps four decimal digits.
func ExampleReadWAV() {
	var b bytes.Buffer
	if err := datasets.EncodeWAV(&b, []float32{0, 0.5, -0.25, 1}, 8000); err != nil {
		panic(err)
	}
	x, rate, err := datasets.ReadWAV(&b, "tone.wav")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d Hz, %.4f\n", rate, x)
	// Output: 8000 Hz, [0.0000 0.5000 -0.2500 1.0000]
}

// A 1 kHz tone lands in the mel band whose triangle is highest at 1 kHz.
// With 20 HTK bands up to 4 kHz the edges are 2146.1/21 = 102.2 mel apart;
// band 9 rises from 883 Hz to its peak at 1034 Hz (weight 0.78 at 1 kHz),
// band 8 falls to zero there (0.22). 800 samples in 200-sample frames every
// 80 make 1 + ceil(600/80) = 9 frames.
func ExampleFilterbank() {
	fb, err := datasets.NewFilterbank(datasets.FilterbankConfig{Rate: 8000, Bands: 20})
	if err != nil {
		panic(err)
	}
	tone := make([]float32, 8000/10) // 100 ms
	for i := range tone {
		tone[i] = float32(math.Sin(2 * math.Pi * 1000 * float64(i) / 8000))
	}
	e := fb.Energies(tone) // [frames, 20]
	best := 0              // in the first frame
	for k := range 20 {
		if e[k] > e[best] {
			best = k
		}
	}
	c := fb.Config()
	fmt.Printf("%d frames of %d bands; loudest band %d\n", fb.Frames(len(tone)), c.Bands, best)
	// Output: 9 frames of 20 bands; loudest band 9
}

// Spikes of one SHD-like sample binned into 5 ms steps: 1 and 4 ms fall
// into step 0 (channel 2 twice), 6 ms into step 1, 13 ms into step 2.
func ExampleSpikeBinning() {
	times := []float32{0.001, 0.004, 0.006, 0.013}
	units := []uint16{2, 2, 0, 1}
	dst := make([]float32, 3*4) // [3 steps, 4 channels]
	dropped := datasets.SpikeBinning{Steps: 3, DT: 0.005}.Bin(dst, 4, 0, 4, times, units)
	for t := range 3 {
		fmt.Println(dst[t*4 : t*4+4])
	}
	fmt.Println("dropped:", dropped)
	// Output:
	// [0 0 2 0]
	// [1 0 0 0]
	// [0 1 0 0]
	// dropped: 0
}
