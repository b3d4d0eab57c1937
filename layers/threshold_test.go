package layers

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
)

// TestLearnThresholdEveryKind checks, for every spiking neuron kind and
// option of neuronCases, that LearnThreshold makes the threshold a trained
// parameter of the shape PerNeuron asks for ([N] per neuron, [1] per
// layer), listed in Params, reached by a non-zero gradient, and kept
// through a model file (Spec, Build); and that without it the threshold is
// frozen. TestStepGradients checks the value of that gradient against
// finite differences (the trained parameters it checks include the
// threshold) and TestFusedMatchesStep checks the fused scans' against it.
// LI, the non-spiking read-out, has no threshold.
func TestLearnThresholdEveryKind(t *testing.T) {
	const T, B, N = 6, 2, 3
	kinds := map[string]bool{}
	for _, c := range neuronCases() {
		sp, ok := c.layer.(Spiking)
		if !ok {
			continue
		}
		kind := c.layer.Spec().Kind
		learn, per := strings.Contains(c.name, "learn=true"), strings.Contains(c.name, "per=true")
		kinds[fmt.Sprintf("%s learn=%v per=%v", kind, learn, per)] = true
		thr := sp.SpikeThreshold()
		wantLen := 1
		if per {
			wantLen = N
		}
		listed := false
		for _, p := range c.layer.Params() {
			listed = listed || p == thr
		}
		if thr.Frozen == learn || thr.Len() != wantLen || !listed || !strings.HasSuffix(thr.Name, ".threshold") {
			t.Errorf("%s: threshold %s frozen %v, length %d, in Params %v; want frozen %v, length %d, listed",
				c.name, thr.Name, thr.Frozen, thr.Len(), listed, !learn, wantLen)
			continue
		}
		built, err := Build(&model.Model{Format: model.Format, Layers: []model.Layer{c.layer.Spec()}}, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if bt := built.Layers[0].(Spiking).SpikeThreshold(); bt.Frozen != thr.Frozen || bt.Len() != thr.Len() {
			t.Errorf("%s: the model file gives a threshold frozen %v of length %d", c.name, bt.Frozen, bt.Len())
		}
		if !learn {
			continue
		}
		thr.ZeroGrad()
		rng := rand.New(rand.NewPCG(13, 14))
		tp := autograd.NewTape()
		spk, mem := c.layer.Scan(tp, tp.Constant(randSlice(rng, T*B*N, -0.5, 1.5), T, B, N))
		tp.Backward(tp.Add(tp.SumAll(spk), tp.SumAll(mem)))
		for i, g := range thr.Grad {
			if g == 0 {
				t.Errorf("%s: d/d%s[%d] = 0", c.name, thr.Name, i)
			}
		}
	}
	for _, k := range []string{model.KindLIF, model.KindSynaptic, model.KindIF, model.KindALIF, model.KindPLIF,
		model.KindRLIF, model.KindRSynaptic, model.KindAdLIF, model.KindRadLIF} {
		for _, learn := range []bool{false, true} {
			for _, per := range []bool{false, true} {
				if s := fmt.Sprintf("%s learn=%v per=%v", k, learn, per); !kinds[s] {
					t.Errorf("no case of %s", s)
				}
			}
		}
	}
}
