package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/spikegrad/spikegrad/model"
)

// Init selects how a Linear layer's weights are initialised.
type Init uint8

const (
	// InitPyTorch is PyTorch's nn.Linear default: weights and biases uniform in
	// ±1/sqrt(fan_in) (kaiming_uniform_ with a = sqrt(5), whose bound
	// sqrt(2/(1+5))·sqrt(3/fan_in) is 1/sqrt(fan_in)). The default.
	InitPyTorch Init = iota
	// InitXavierUniform is Glorot and Bengio (2010): uniform in
	// ±sqrt(6/(fan_in+fan_out)); biases zero.
	InitXavierUniform
	// InitKaimingNormal is He et al. (2015): normal with standard deviation
	// sqrt(2/fan_in); biases zero.
	InitKaimingNormal
	// InitZero sets weights and biases to zero (for tests and read-outs).
	InitZero
)

var initNames = [...]string{model.InitPyTorch, model.InitXavierUniform, model.InitKaimingNormal, model.InitZero}

// String returns the name used in configs and model files: "pytorch",
// "xavier_uniform", "kaiming_normal" or "zero".
func (i Init) String() string {
	if int(i) < len(initNames) {
		return initNames[i]
	}
	return fmt.Sprintf("Init(%d)", uint8(i))
}

// ParseInit returns the Init named s.
func ParseInit(s string) (Init, error) {
	for i, n := range initNames {
		if n == s {
			return Init(i), nil
		}
	}
	return 0, fmt.Errorf("unknown init %q (allowed: %s)", s, strings.Join(initNames[:], ", "))
}

// random is the part of *rand.Rand that initialisers use.
type random interface {
	Float64() float64
	NormFloat64() float64
}

// globalRandom draws from math/rand/v2's global source.
type globalRandom struct{}

func (globalRandom) Float64() float64     { return rand.Float64() }
func (globalRandom) NormFloat64() float64 { return rand.NormFloat64() }

// source returns rng, or the global source for nil.
func source(rng *rand.Rand) random {
	if rng == nil {
		return globalRandom{}
	}
	return rng
}

// fill initialises a weight [fanIn, fanOut] and a bias [fanOut] (may be nil).
func (i Init) fill(w, b []float32, fanIn, fanOut int, rng random) {
	uniform := func(s []float32, bound float64) {
		for j := range s {
			s[j] = float32((rng.Float64()*2 - 1) * bound)
		}
	}
	switch i {
	case InitPyTorch:
		bound := 0.0
		if fanIn > 0 {
			bound = 1 / math.Sqrt(float64(fanIn))
		}
		uniform(w, bound)
		uniform(b, bound)
	case InitXavierUniform:
		bound := 0.0
		if fanIn+fanOut > 0 {
			bound = math.Sqrt(6 / float64(fanIn+fanOut))
		}
		uniform(w, bound)
		clear(b)
	case InitKaimingNormal:
		std := 0.0
		if fanIn > 0 {
			std = math.Sqrt(2 / float64(fanIn))
		}
		for j := range w {
			w[j] = float32(rng.NormFloat64() * std)
		}
		clear(b)
	default:
		clear(w)
		clear(b)
	}
}
