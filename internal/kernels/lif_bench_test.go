package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkScan measures the fused scans at the hidden-layer shape of
// benchmark A (T = 25, B = 128, N = 1000) and its output layer (N = 10),
// beta = 0.95 and thr = 1 shared, reset by subtraction, detached reset.
// LIF/backward computes the input gradient only (benchmark A learns neither
// beta nor thr); the other backward runs also sum the parameter gradients.
// The -go variants switch the AVX-512 loops off, as on CPUs without them.
// neuron-steps/s counts T*B*N per call.
func BenchmarkScan(b *testing.B) {
	for _, th := range []int{1, 2} {
		defer SetThreads(SetThreads(th))
		for _, sh := range []scanShape{{25, 128, 1000}, {25, 128, 10}} {
			n := sh.B * sh.N
			tn := sh.T * n
			rng := rand.New(rand.NewPCG(31, uint64(sh.N)))
			// Inputs uniform in [0, 0.3): about a fifth of the neuron-steps
			// spike, as in a trained hidden layer.
			in := make([]float32, tn)
			for i := range in {
				in[i] = float32(0.3 * rng.Float64())
			}
			beta, thr := []float32{0.95}, []float32{1}
			syn, mem, spk := make([]float32, tn), make([]float32, tn), make([]float32, tn)
			sg, ds, dIn := randMat(rng, tn), randMat(rng, tn), make([]float32, tn)
			dBeta, dThr, dAlpha := []float32{0}, []float32{0}, []float32{0}
			report := func(b *testing.B) {
				b.ReportMetric(float64(tn)/(b.Elapsed().Seconds()/float64(b.N)), "neuron-steps/s")
			}
			name := fmt.Sprintf("threads=%d/T=%d,B=%d,N=%d", th, sh.T, sh.B, sh.N)
			lif := LIFScan{T: sh.T, B: sh.B, N: sh.N, Beta: beta, Thr: thr}
			b.Run(name+"/LIF/forward", func(b *testing.B) {
				b.ReportAllocs()
				// One untimed call first: it touches the output pages, so the
				// timed calls do not pay the first-use page faults.
				lif.Forward(in, nil, nil, mem, spk)
				cpu0, cpuOK := startCPU()
				for b.Loop() {
					lif.Forward(in, nil, nil, mem, spk)
				}
				reportCPU(b, cpu0, cpuOK)
				report(b)
			})
			b.Run(name+"/LIF/backward", func(b *testing.B) {
				g := LIFGrad{DSpk: ds, SG: sg, DIn: dIn}
				b.ReportAllocs()
				// One untimed call first: it touches the output pages, so the
				// timed calls do not pay the first-use page faults.
				lif.Backward(nil, nil, mem, spk, &g)
				cpu0, cpuOK := startCPU()
				for b.Loop() {
					lif.Backward(nil, nil, mem, spk, &g)
				}
				reportCPU(b, cpu0, cpuOK)
				report(b)
			})
			b.Run(name+"/LIF/backward+params", func(b *testing.B) {
				g := LIFGrad{DSpk: ds, SG: sg, DIn: dIn, DBeta: dBeta, DThr: dThr}
				b.ReportAllocs()
				// One untimed call first: it touches the output pages, so the
				// timed calls do not pay the first-use page faults.
				lif.Backward(nil, nil, mem, spk, &g)
				cpu0, cpuOK := startCPU()
				for b.Loop() {
					lif.Backward(nil, nil, mem, spk, &g)
				}
				reportCPU(b, cpu0, cpuOK)
				report(b)
			})
			b.Run(name+"/LIF/forward-go", func(b *testing.B) {
				defer func(on bool) { lifAsm = on }(lifAsm)
				lifAsm = false
				b.ReportAllocs()
				// One untimed call first: it touches the output pages, so the
				// timed calls do not pay the first-use page faults.
				lif.Forward(in, nil, nil, mem, spk)
				cpu0, cpuOK := startCPU()
				for b.Loop() {
					lif.Forward(in, nil, nil, mem, spk)
				}
				reportCPU(b, cpu0, cpuOK)
				report(b)
			})
			b.Run(name+"/LIF/backward-go", func(b *testing.B) {
				defer func(on bool) { lifAsm = on }(lifAsm)
				lifAsm = false
				g := LIFGrad{DSpk: ds, SG: sg, DIn: dIn}
				b.ReportAllocs()
				// One untimed call first: it touches the output pages, so the
				// timed calls do not pay the first-use page faults.
				lif.Backward(nil, nil, mem, spk, &g)
				cpu0, cpuOK := startCPU()
				for b.Loop() {
					lif.Backward(nil, nil, mem, spk, &g)
				}
				reportCPU(b, cpu0, cpuOK)
				report(b)
			})
			// Benchmark A's own configuration: the hidden layer's input is
			// the image projection, constant over time (ConstIn, n values),
			// and the backward computes the fast-sigmoid surrogate (slope
			// 25) per segment instead of reading a precomputed SG.
			lifC := lif
			lifC.ConstIn = true
			b.Run(name+"/LIF/forward-constin", func(b *testing.B) {
				b.ReportAllocs()
				// One untimed call first: it touches the output pages, so the
				// timed calls do not pay the first-use page faults.
				lifC.Forward(in[:n], nil, nil, mem, spk)
				cpu0, cpuOK := startCPU()
				for b.Loop() {
					lifC.Forward(in[:n], nil, nil, mem, spk)
				}
				reportCPU(b, cpu0, cpuOK)
				report(b)
			})
			b.Run(name+"/LIF/backward-constin-fastsigmoid", func(b *testing.B) {
				g := LIFGrad{DSpk: ds, FastSigmoid: 25, DIn: dIn[:n]}
				b.ReportAllocs()
				// One untimed call first: it touches the output pages, so the
				// timed calls do not pay the first-use page faults.
				lifC.Backward(nil, nil, mem, spk, &g)
				cpu0, cpuOK := startCPU()
				for b.Loop() {
					lifC.Backward(nil, nil, mem, spk, &g)
				}
				reportCPU(b, cpu0, cpuOK)
				report(b)
			})
			sy := SynapticScan{T: sh.T, B: sh.B, N: sh.N, Alpha: []float32{0.9}, Beta: beta, Thr: thr}
			b.Run(name+"/Synaptic/forward", func(b *testing.B) {
				b.ReportAllocs()
				// One untimed call first: it touches the output pages, so the
				// timed calls do not pay the first-use page faults.
				sy.Forward(in, nil, nil, nil, syn, mem, spk)
				cpu0, cpuOK := startCPU()
				for b.Loop() {
					sy.Forward(in, nil, nil, nil, syn, mem, spk)
				}
				reportCPU(b, cpu0, cpuOK)
				report(b)
			})
			b.Run(name+"/Synaptic/backward", func(b *testing.B) {
				g := SynapticGrad{DSpk: ds, SG: sg, DIn: dIn, DAlpha: dAlpha, DBeta: dBeta, DThr: dThr}
				b.ReportAllocs()
				// One untimed call first: it touches the output pages, so the
				// timed calls do not pay the first-use page faults.
				sy.Backward(nil, nil, nil, syn, mem, spk, &g)
				cpu0, cpuOK := startCPU()
				for b.Loop() {
					sy.Backward(nil, nil, nil, syn, mem, spk, &g)
				}
				reportCPU(b, cpu0, cpuOK)
				report(b)
			})
			li := LIScan{T: sh.T, B: sh.B, N: sh.N, Beta: beta}
			b.Run(name+"/LI/forward", func(b *testing.B) {
				b.ReportAllocs()
				// One untimed call first: it touches the output pages, so the
				// timed calls do not pay the first-use page faults.
				li.Forward(in, nil, mem)
				cpu0, cpuOK := startCPU()
				for b.Loop() {
					li.Forward(in, nil, mem)
				}
				reportCPU(b, cpu0, cpuOK)
				report(b)
			})
			b.Run(name+"/LI/backward", func(b *testing.B) {
				g := LIGrad{DMem: ds, DIn: dIn, DBeta: dBeta}
				b.ReportAllocs()
				// One untimed call first: it touches the output pages, so the
				// timed calls do not pay the first-use page faults.
				li.Backward(nil, mem, &g)
				cpu0, cpuOK := startCPU()
				for b.Loop() {
					li.Backward(nil, mem, &g)
				}
				reportCPU(b, cpu0, cpuOK)
				report(b)
			})
		}
	}
}
