package plots

import (
	"strings"
	"testing"
)

// testInference is a hand-made report of a 784-100-10 LIF network at
// T = 25 on 10 samples: lif1 fires 250 spikes per sample, rate 250 /
// (100·25) = 10 %; lif2 20 spikes, 20 / (10·25) = 8 %. Energies are
// those of infer's TestEnergy for its hand-made run: Loihi [249,659,
// 330,489] pJ, 45 nm FP32 dense 9,148,600 pJ; the other rows are ranges
// over a factor of 10 (overview figures) and an A100 range, and one
// profile with zero energy.
func testInference() *Inference {
	return &Inference{Samples: 10, Steps: 25,
		Layers: []LayerActivity{
			{Layer: "lif1", Neurons: 100, Spikes: 250, Rate: 0.1},
			{Layer: "lif2", Neurons: 10, Spikes: 20, Rate: 0.08},
		},
		Energy: []EnergyEstimate{
			{Name: "loihi", Title: "Intel Loihi (14 nm)", Low: 249659e-12, High: 330489e-12},
			{Name: "loihi2", Title: "Intel Loihi 2", Low: 45e-9, High: 450e-9},
			{Name: "speck", Title: "SynSense Speck", Low: 0.45e-9, High: 4.5e-9},
			{Name: "fp32-45nm-dense", Title: "FP32 arithmetic, 45 nm (dense)", Dense: true, Low: 9148600e-12, High: 9148600e-12},
			{Name: "gpu-a100", Title: "NVIDIA A100 SXM (dense)", Dense: true, Low: 10.4e-6, High: 81.6e-6},
			{Name: "none", Title: "Nothing", Low: 0, High: 0},
		}}
}

func TestActivityBarsGolden(t *testing.T) {
	in := testInference()
	f, err := ActivityBars(in.Layers, in.Samples, in.Steps)
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "Activity per layer — 10 samples, 25 steps" || len(f.Panels) != 1 {
		t.Errorf("title %q, %d extra panels", f.Title, len(f.Panels))
	}
	checkGolden(t, "activity", f)
}

func TestEnergyBarsGolden(t *testing.T) {
	f, err := EnergyBars(testInference().Energy)
	if err != nil {
		t.Fatal(err)
	}
	// Five rows drawn; the zero-energy profile named in a note; both
	// kinds of profile in the legend.
	ticks := f.Plot.Y.Tick.Marker.Ticks(f.Plot.Y.Min, f.Plot.Y.Max)
	if len(ticks) != 5 || ticks[0].Label != "Intel Loihi (14 nm)" || ticks[0].Value != 4 {
		t.Errorf("rows %v, want 5 with Loihi at the top (y = 4)", ticks)
	}
	if len(f.Legend) != 2 || len(f.Notes) != 2 || !strings.Contains(f.Notes[1], "none") {
		t.Errorf("legend %d entries, notes %q", len(f.Legend), f.Notes)
	}
	// The axis spans the smallest low end / 2.5 to the largest high × 25:
	// 0.45 nJ / 2.5 = 0.18 nJ to 81.6 µJ × 25 = 2.04 mJ.
	if !near(f.Plot.X.Min, 0.45e-9/2.5) || !near(f.Plot.X.Max, 81.6e-6*25) {
		t.Errorf("x axis [%v, %v]", f.Plot.X.Min, f.Plot.X.Max)
	}
	checkGolden(t, "energy", f)
}

// near reports whether a and b agree to 12 digits.
func near(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-12*max(a, b, -a, -b)
}

func TestInferenceErrors(t *testing.T) {
	if _, err := ActivityBars([]LayerActivity{{Layer: "lif1", Rate: 1.5}}, 1, 1); err == nil || !strings.Contains(err.Error(), `"lif1"`) {
		t.Errorf("rate 1.5: %v", err)
	}
	if _, err := EnergyBars([]EnergyEstimate{{Name: "x", Low: 2, High: 1}}); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("low > high: %v", err)
	}
	if _, err := EnergyBars([]EnergyEstimate{{Name: "x"}}); err == nil || !strings.Contains(err.Error(), "zero energy") {
		t.Errorf("all zero: %v", err)
	}
	if _, err := InferenceFigures(&Inference{}); err == nil {
		t.Error("empty report drew figures")
	}
	// SI labels of the energy axis: a decade tick at 1e-8 J reads 10 nJ.
	if s := joules(1e-8, 1e-8); s != "10 nJ" {
		t.Errorf("joules(1e-8) = %q", s)
	}
	if s := wrapLabel("FP32 arithmetic, 45 nm (dense)", 24); s != "FP32 arithmetic, 45 nm\n(dense)" {
		t.Errorf("wrapped %q", s)
	}
	if s := joules(0.45e-9, 4.5e-9); s != "0.45–4.5 nJ" {
		t.Errorf("joules range = %q", s)
	}
}
