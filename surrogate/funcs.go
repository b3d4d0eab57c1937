package surrogate

import (
	"math"
)

// sqrt2Pi is √(2π), the normaliser of the Gaussian density.
const sqrt2Pi = 2.5066282746310002

// FastSigmoid is the SuperSpike surrogate of Zenke and Ganguli (2018), the
// derivative of the "fast sigmoid" x/(1 + k|x|):
//
//	Grad(x)   = 1 / (1 + k|x|)²
//	Smooth(x) = 1/k + x/(1 + k|x|)
//
// The peak is 1 at x = 0. The slope k sets the width: Grad falls to half its
// peak at |x| = (√2 - 1)/k ≈ 0.414/k and to a quarter at |x| = 1/k, and its
// tails decay as 1/(k x)². The area under Grad is 2/k, so Smooth rises from 0
// to 2/k (0.08 at the default), passing 1/k at x = 0: it has the step's shape,
// not its height.
//
// Slope is k, in 1/(units of v); zero selects the default 25, the default of
// snnTorch's fast_sigmoid and of Spyx's superspike.
type FastSigmoid struct {
	Slope float32 // k, in 1/(units of v)
}

func (f FastSigmoid) slope() float32 { return param("FastSigmoid", "Slope", f.Slope, 25) }

// Grad returns 1/(1 + k|x|)².
func (f FastSigmoid) Grad(x float32) float32 { return fastSigmoidGrad(f.slope(), x) }

// Smooth returns 1/k + x/(1 + k|x|), in [0, 2/k].
func (f FastSigmoid) Smooth(x float32) float32 {
	k := float64(f.slope())
	return float32(fastSigmoidCum(k, float64(x)))
}

// String names the surrogate with its hyperparameters.
func (f FastSigmoid) String() string { return "FastSigmoid(slope=" + fmtParam(f.Slope, 25) + ")" }

func fastSigmoidGrad(k, x float32) float32 {
	r := 1 / (1 + k*abs32(x))
	return r * r
}

// fastSigmoidCum is 1/k + x/(1 + k|x|) written without cancellation:
// 1/(k(1 + k|x|)) for x <= 0 and 2/k minus that for x > 0.
func fastSigmoidCum(k, x float64) float64 {
	u := 1 / (k * (1 + k*math.Abs(x)))
	if x > 0 {
		return 2/k - u
	}
	return u
}

// SparseFastSigmoid is the sparse fast sigmoid of Perez-Nieves and Goodman
// (2021, "Sparse spiking gradient descent"): the FastSigmoid gradient inside a
// window around the threshold and exactly zero outside it, so that the
// backward pass only touches the "active" neurons, those whose membrane
// potential lies within B of the threshold:
//
//	Grad(x)   = 1 / (1 + k|x|)²   if |x| < B,  0 otherwise
//	Smooth(x) = C(c) - C(-B),  c = x clamped to [-B, B],  C(x) = 1/k + x/(1 + k|x|)
//
// The peak is 1 at x = 0; the half width at half maximum is (√2 - 1)/k as for
// FastSigmoid, and B bounds the support. Smooth rises from 0 (x <= -B) to
// 2B/(1 + kB) (x >= B).
//
// Defaults (a zero field selects them): Slope k = 100 and B = 0.2, the values
// of the authors' published code (SparseSpikingBackprop), which uses a
// threshold of 1 and a surrogate scale of 100 and marks a neuron active when
// b_th < v < 2 - b_th with b_th = 0.8 (B_th = 1 - b_th = 0.2 in the paper).
// B is in the units of v; with another threshold, scale B with it. The window
// is symmetric as in that code; snnTorch's SFS instead keeps the gradient for
// x > B only, with B = 1.
//
// SparseFastSigmoid implements Sparse with Cutoff -B.
type SparseFastSigmoid struct {
	Slope float32 // k, in 1/(units of v)
	B     float32 // half width of the active window, in the units of v
}

func (f SparseFastSigmoid) params() (k, b float32) {
	return param("SparseFastSigmoid", "Slope", f.Slope, 100), param("SparseFastSigmoid", "B", f.B, 0.2)
}

// Grad returns 1/(1 + k|x|)² for |x| < B and 0 otherwise.
func (f SparseFastSigmoid) Grad(x float32) float32 {
	k, b := f.params()
	return sparseFastSigmoidGrad(k, b, x)
}

// Smooth returns the integral of Grad from -B to x, in [0, 2B/(1 + kB)].
func (f SparseFastSigmoid) Smooth(x float32) float32 {
	k, b := f.params()
	kd, bd := float64(k), float64(b)
	c := math.Max(-bd, math.Min(bd, float64(x)))
	return float32(fastSigmoidCum(kd, c) - fastSigmoidCum(kd, -bd))
}

// Cutoff returns -B: Grad is zero at and below it (and at and above B).
func (f SparseFastSigmoid) Cutoff() float32 {
	_, b := f.params()
	return -b
}

// String names the surrogate with its hyperparameters.
func (f SparseFastSigmoid) String() string {
	return "SparseFastSigmoid(slope=" + fmtParam(f.Slope, 100) + ", B=" + fmtParam(f.B, 0.2) + ")"
}

// sparseFastSigmoidGrad selects between the fast sigmoid and 0 on the bit
// pattern, which compiles to a conditional move: a branch would be
// mispredicted whenever active and inactive neurons mix.
func sparseFastSigmoidGrad(k, b, x float32) float32 {
	ax := abs32(x)
	r := 1 / (1 + k*ax)
	g := math.Float32bits(r * r)
	if ax >= b {
		g = 0
	}
	return math.Float32frombits(g)
}

// SLAYER is the spike escape-rate density of SLAYER (Shrestha and Orchard
// 2018), a Laplace density in x:
//
//	Grad(x)   = ScaleRho / (2 a) · exp(-|x| / a),   a = TauRho · Theta
//	Smooth(x) = ScaleRho/2 · exp(-|x|/a)            for x <= 0
//	            ScaleRho - ScaleRho/2 · exp(-x/a)   for x > 0
//
// TauRho and ScaleRho are relative to the threshold Theta, as in SLAYER's
// neuron description. The peak is ScaleRho/(2 TauRho Theta) at x = 0 (0.5 at
// the defaults); Grad falls by a factor e every TauRho·Theta and to half its
// peak at |x| = ln 2 · TauRho · Theta. The area under Grad is ScaleRho, so
// Smooth rises from 0 to ScaleRho (0..1 at the defaults).
//
// Defaults (a zero field selects them): TauRho = 1, ScaleRho = 1, Theta = 1.
// The form with 1/2 is the normalised density of lava-dl's SLAYER;
// slayerPytorch omits the 1/2, which SLAYER{ScaleRho: 2} reproduces.
type SLAYER struct {
	TauRho   float32 // decay constant of the density, in units of Theta
	ScaleRho float32 // area under the density
	Theta    float32 // the neuron's threshold, in the units of v
}

// resolved returns the hyperparameters with the defaults filled in.
func (f SLAYER) resolved() (tau, scale, theta float32) {
	return param("SLAYER", "TauRho", f.TauRho, 1), param("SLAYER", "ScaleRho", f.ScaleRho, 1),
		param("SLAYER", "Theta", f.Theta, 1)
}

func (f SLAYER) params() (peak, a float64) {
	tau, scale, theta := f.resolved()
	a = float64(tau) * float64(theta)
	peak = float64(scale) / (2 * a)
	finitePeak("SLAYER", peak)
	return peak, a
}

// Grad returns ScaleRho/(2 TauRho Theta) · exp(-|x|/(TauRho Theta)).
func (f SLAYER) Grad(x float32) float32 {
	peak, a := f.params()
	return slayerGrad(peak, 1/a, x)
}

// Smooth returns the integral of Grad from -∞ to x, in [0, ScaleRho].
func (f SLAYER) Smooth(x float32) float32 {
	peak, a := f.params()
	half := peak * a // ScaleRho / 2
	e := half * math.Exp(-abs64(x)/a)
	if x > 0 {
		return float32(2*half - e)
	}
	return float32(e)
}

// String names the surrogate with its hyperparameters.
func (f SLAYER) String() string {
	return "SLAYER(tauRho=" + fmtParam(f.TauRho, 1) + ", scaleRho=" + fmtParam(f.ScaleRho, 1) +
		", theta=" + fmtParam(f.Theta, 1) + ")"
}

func slayerGrad(peak, inva float64, x float32) float32 {
	return float32(peak * math.Exp(-abs64(x)*inva))
}

// Atan is the arctangent surrogate in the form of snnTorch's atan and
// SpikingJelly's ATan (Fang et al. 2021, "Incorporating learnable membrane
// time constants to enhance learning of spiking neural networks"):
//
//	Grad(x)   = (α/2) / (1 + (π α x / 2)²)
//	Smooth(x) = 1/2 + arctan(π α x / 2) / π
//
// The peak is α/2 at x = 0 (1 at the default); Grad falls to half its peak at
// |x| = 2/(π α) and its tails decay as 1/x². The area under Grad is 1:
// Smooth rises from 0 to 1 and is 1/2 at x = 0.
//
// Alpha is α, in 1/(units of v); zero selects the default 2 (snnTorch,
// SpikingJelly).
type Atan struct {
	Alpha float32 // α, in 1/(units of v)
}

func (f Atan) alpha() float32 { return param("Atan", "Alpha", f.Alpha, 2) }

// consts returns α/2 and πα/2 in float32.
func (f Atan) consts() (half, c float32) {
	a := f.alpha()
	return a / 2, math.Pi / 2 * a
}

// Grad returns (α/2) / (1 + (π α x/2)²).
func (f Atan) Grad(x float32) float32 {
	half, c := f.consts()
	return atanGrad(half, c, x)
}

// Smooth returns 1/2 + arctan(π α x/2)/π, in [0, 1].
func (f Atan) Smooth(x float32) float32 {
	c := math.Pi / 2 * float64(f.alpha())
	// atan2(1, -c x)/π equals 1/2 + arctan(c x)/π and keeps full relative
	// precision in the lower tail, where the sum would cancel.
	return float32(math.Atan2(1, -c*float64(x)) / math.Pi)
}

// String names the surrogate with its hyperparameters.
func (f Atan) String() string { return "Atan(alpha=" + fmtParam(f.Alpha, 2) + ")" }

// atanGrad is half/(1 + (c x)²); for |c x| beyond 1.8e19 the square is +Inf
// and the result the correct limit 0.
func atanGrad(half, c, x float32) float32 {
	t := c * x
	return half / (1 + t*t)
}

// Sigmoid is the derivative of the logistic sigmoid s(kx) = 1/(1 + e^(-kx)),
// the surrogate of snnTorch's sigmoid (after Zenke and Ganguli 2018):
//
//	Grad(x)   = k s(kx) (1 - s(kx)) = k e / (1 + e)²,  e = exp(-k|x|)
//	Smooth(x) = s(kx)
//
// Written with e = exp(-k|x|) <= 1 the formula never overflows. snnTorch's
// k exp(-kx) / (exp(-kx) + 1)² does in float32 at k = 25: its squared
// denominator is +Inf below x ≈ -1.78 (the result becomes 0, harmlessly), and
// below x ≈ -3.55 exp(-kx) itself overflows and the result is Inf/Inf = NaN. The peak is k/4 at x = 0 (6.25 at the default); Grad
// falls to half its peak at |x| = 2 ln(1 + √2)/k ≈ 1.763/k and its tails
// decay as k exp(-k|x|). The area under Grad is 1: Smooth rises from 0 to 1
// and is 1/2 at x = 0.
//
// Slope is k, in 1/(units of v); zero selects the default 25 (snnTorch).
type Sigmoid struct {
	Slope float32 // k, in 1/(units of v)
}

func (f Sigmoid) slope() float32 { return param("Sigmoid", "Slope", f.Slope, 25) }

// Grad returns k s(kx)(1 - s(kx)).
func (f Sigmoid) Grad(x float32) float32 { return sigmoidGrad(float64(f.slope()), x) }

// Smooth returns s(kx) = 1/(1 + exp(-kx)), in [0, 1].
func (f Sigmoid) Smooth(x float32) float32 {
	k := float64(f.slope())
	e := math.Exp(-k * abs64(x))
	if x >= 0 {
		return float32(1 / (1 + e))
	}
	return float32(e / (1 + e))
}

// String names the surrogate with its hyperparameters.
func (f Sigmoid) String() string { return "Sigmoid(slope=" + fmtParam(f.Slope, 25) + ")" }

func sigmoidGrad(k float64, x float32) float32 {
	e := math.Exp(-k * abs64(x))
	d := 1 + e
	return float32(k * e / (d * d))
}

// Triangle is the triangular (piecewise linear) surrogate of Esser et al.
// (2016, "Convolutional networks for fast, energy-efficient neuromorphic
// computing") and Bellec et al. (2018, LSNN: γ max(0, 1 - |x|) with x in
// units of the threshold and γ = 0.3):
//
//	Grad(x) = Height · max(0, 1 - |x| / HalfWidth)
//
// a true triangle: zero for |x| >= HalfWidth, rising linearly to Height at
// x = 0. With a = HalfWidth and h = Height, Smooth is piecewise quadratic:
//
//	Smooth(x) = 0                       for x <= -a
//	            h (x + a)² / (2a)       for -a < x <= 0
//	            h a - h (a - x)² / (2a) for 0 < x < a
//	            h a                     for x >= a
//
// The peak is Height at x = 0; the support is [-a, a] and Grad is half its
// peak at |x| = a/2. The area under Grad is h a, so Smooth rises from 0 to
// h a (0..1 at the defaults).
//
// Defaults (a zero field selects them): HalfWidth = 1 and Height = 1, the
// unscaled max(0, 1 - |x|) of both sources; Bellec et al.'s dampened form is
// Triangle{Height: 0.3} with x in threshold units.
//
// Triangle implements Sparse with Cutoff -HalfWidth.
type Triangle struct {
	HalfWidth float32 // half the support, in the units of v
	Height    float32 // the peak value, at x = 0
}

func (f Triangle) params() (a, h float32) {
	return param("Triangle", "HalfWidth", f.HalfWidth, 1), param("Triangle", "Height", f.Height, 1)
}

// Grad returns Height · max(0, 1 - |x|/HalfWidth).
func (f Triangle) Grad(x float32) float32 {
	a, h := f.params()
	return triangleGrad(a, h, x)
}

// Smooth returns the integral of Grad from -HalfWidth to x, in [0, Height·HalfWidth].
func (f Triangle) Smooth(x float32) float32 {
	a32, h32 := f.params()
	a, h := float64(a32), float64(h32)
	xd := float64(x)
	switch {
	case xd <= -a:
		return 0
	case xd <= 0:
		return float32(h * (xd + a) * (xd + a) / (2 * a))
	case xd < a:
		return float32(h*a - h*(a-xd)*(a-xd)/(2*a))
	default:
		return float32(h * a)
	}
}

// Cutoff returns -HalfWidth: Grad is zero at and below it (and at and above HalfWidth).
func (f Triangle) Cutoff() float32 {
	a, _ := f.params()
	return -a
}

// String names the surrogate with its hyperparameters.
func (f Triangle) String() string {
	return "Triangle(halfWidth=" + fmtParam(f.HalfWidth, 1) + ", height=" + fmtParam(f.Height, 1) + ")"
}

// triangleGrad is h·max(0, (a - |x|)/a): exactly 0 for |x| >= a (a - |x| is
// then +0 or negative), and branch-free.
func triangleGrad(a, h, x float32) float32 {
	return h * max(0, (a-abs32(x))/a)
}

// Boxcar is the rectangular surrogate of Wu et al. (2018, "Spatio-temporal
// backpropagation for training high-performance spiking neural networks"),
// whose rectangle has width a_Wu and height 1/a_Wu with a_Wu = 1:
//
//	Grad(x)   = Height if |x| < HalfWidth, 0 otherwise
//	Smooth(x) = Height · (c + HalfWidth),  c = x clamped to [-HalfWidth, HalfWidth]
//
// The peak is Height, taken on the whole open interval (-HalfWidth,
// HalfWidth); the edges are where Grad jumps. The area under Grad is
// 2 HalfWidth Height, so Smooth is a ramp from 0 to 2 HalfWidth Height (0..1
// at the defaults).
//
// Defaults (a zero field selects them): HalfWidth = 0.5 and Height = 1, Wu
// et al.'s a = 1.
//
// Boxcar implements Sparse with Cutoff -HalfWidth.
type Boxcar struct {
	HalfWidth float32 // half the width of the rectangle, in the units of v
	Height    float32 // the value inside it
}

func (f Boxcar) params() (a, h float32) {
	return param("Boxcar", "HalfWidth", f.HalfWidth, 0.5), param("Boxcar", "Height", f.Height, 1)
}

// Grad returns Height for |x| < HalfWidth and 0 otherwise.
func (f Boxcar) Grad(x float32) float32 {
	a, h := f.params()
	return boxcarGrad(a, h, x)
}

// Smooth returns Height · (clamp(x, -HalfWidth, HalfWidth) + HalfWidth), in
// [0, 2 HalfWidth Height].
func (f Boxcar) Smooth(x float32) float32 {
	a32, h32 := f.params()
	a, h := float64(a32), float64(h32)
	c := math.Max(-a, math.Min(a, float64(x)))
	return float32(h * (c + a))
}

// Cutoff returns -HalfWidth: Grad is zero at and below it (and at and above HalfWidth).
func (f Boxcar) Cutoff() float32 {
	a, _ := f.params()
	return -a
}

// String names the surrogate with its hyperparameters.
func (f Boxcar) String() string {
	return "Boxcar(halfWidth=" + fmtParam(f.HalfWidth, 0.5) + ", height=" + fmtParam(f.Height, 1) + ")"
}

// boxcarGrad selects h or 0 on the bit pattern (a conditional move, not a
// branch).
func boxcarGrad(a, h, x float32) float32 {
	hb, g := math.Float32bits(h), uint32(0)
	if abs32(x) < a {
		g = hb
	}
	return math.Float32frombits(g)
}

// StraightThrough is the straight-through estimator (Bengio, Léonard and
// Courville 2013; snnTorch's straight_through_estimator): the backward pass
// treats the step as the identity.
//
//	Grad(x)   = 1
//	Smooth(x) = x + 1/2
//
// Grad is 1 everywhere, so its peak is 1, taken at every x, and it has no
// width. Smooth is the identity shifted to pass 1/2 at x = 0 (the slope-1
// ramp that the hard sigmoid clips to [0, 1]); it is unbounded, the one
// built-in whose Smooth is not a bounded stand-in for the step. In the
// conformance suite it passes the peak checks trivially (Grad equals the peak
// everywhere) and the derivative check with rounding tolerances that grow
// with |Smooth|.
type StraightThrough struct{}

// Grad returns 1.
func (StraightThrough) Grad(x float32) float32 { return 1 }

// Smooth returns x + 1/2.
func (StraightThrough) Smooth(x float32) float32 { return float32(float64(x) + 0.5) }

// String names the surrogate with its hyperparameters.
func (StraightThrough) String() string { return "StraightThrough" }

// Gaussian is the Gaussian surrogate, a normal density in x (the "G" option
// of Yin, Corradi and Bohte 2021; also sinabs' Gaussian):
//
//	Grad(x)   = exp(-x² / (2σ²)) / (σ √(2π))
//	Smooth(x) = Φ(x/σ) = erfc(-x / (σ√2)) / 2
//
// The peak is 1/(σ√(2π)) at x = 0 (0.798 at the default); Grad falls to half
// its peak at |x| = σ √(2 ln 2) ≈ 1.177σ. The area under Grad is 1: Smooth
// is the normal distribution function, rising from 0 to 1.
//
// Sigma is σ, in the units of v; zero selects the default 0.5 (Yin et al.'s
// lens = 0.5).
type Gaussian struct {
	Sigma float32 // σ, in the units of v
}

// sigma resolves σ and checks that the peak 1/(σ√(2π)) is finite.
func (f Gaussian) sigma() float64 {
	s := float64(param("Gaussian", "Sigma", f.Sigma, 0.5))
	finitePeak("Gaussian", 1/(s*sqrt2Pi))
	return s
}

func (f Gaussian) params() (c1, c2 float64) {
	s := f.sigma()
	return 1 / (s * sqrt2Pi), -1 / (2 * s * s)
}

// Grad returns exp(-x²/(2σ²)) / (σ√(2π)).
func (f Gaussian) Grad(x float32) float32 {
	c1, c2 := f.params()
	return gaussianGrad(c1, c2, x)
}

// Smooth returns Φ(x/σ), in [0, 1].
func (f Gaussian) Smooth(x float32) float32 {
	return float32(math.Erfc(-float64(x)/(f.sigma()*math.Sqrt2)) / 2)
}

// String names the surrogate with its hyperparameters.
func (f Gaussian) String() string { return "Gaussian(sigma=" + fmtParam(f.Sigma, 0.5) + ")" }

func gaussianGrad(c1, c2 float64, x float32) float32 {
	xd := float64(x)
	return float32(c1 * math.Exp(c2*xd*xd))
}

// MultiGaussian is the multi-Gaussian surrogate of Yin, Corradi and Bohte
// (2021, "Accurate and efficient time-domain classification with adaptive
// spiking recurrent neural networks"): a narrow Gaussian minus two wide ones,
//
//	Grad(x) = γ [ (1 + h) N(x; 0, σ) - h N(x; σ, sσ) - h N(x; -σ, sσ) ]
//
// with N(x; μ, σ) the normal density. Smooth is the same combination of
// normal distribution functions Φ:
//
//	Smooth(x) = γ [ (1 + h) Φ(x/σ) - h Φ((x - σ)/(sσ)) - h Φ((x + σ)/(sσ)) ]
//
// Grad is NEGATIVE in its tails (beyond |x| ≈ 1.272 at the defaults): the wide
// Gaussians push the gradient of neurons far from the threshold the other
// way, by design. It is the one built-in whose Grad can be negative and whose
// Smooth is not monotone: it rises from 0 to a maximum (0.47254 at the
// defaults, where Grad changes sign) and settles at γ(1 - h) (0.425).
//
// The peak is γ[(1 + h)/(σ√(2π)) - 2h/(sσ√(2π)) exp(-1/(2s²))] at x = 0
// (0.43911 at the defaults); σ sets the width of the positive lobe, whose
// half width at half maximum is 1.14σ (0.571 at the defaults).
//
// Defaults (a zero field selects them): Sigma σ = 0.5, H h = 0.15, S s = 6 and
// Gamma γ = 0.5, the values of the paper and of the authors' code (which
// multiplies the surrogate by gamma = 0.5). For h = 0 use Gaussian.
type MultiGaussian struct {
	Sigma float32 // width of the central Gaussian, in the units of v
	H     float32 // relative height of the negative side lobes
	S     float32 // width of the side Gaussians relative to Sigma
	Gamma float32 // overall scale of the gradient
}

type multiGaussianParams struct {
	sigma, h, s, gamma float64
	c0, c1             float64 // γ(1+h)/(σ√2π), γ h/(sσ√2π)
	e0, e1             float64 // -1/(2σ²), -1/(2(sσ)²)
}

func (f MultiGaussian) params() multiGaussianParams {
	const op = "MultiGaussian"
	p := multiGaussianParams{
		sigma: float64(param(op, "Sigma", f.Sigma, 0.5)),
		h:     float64(param(op, "H", f.H, 0.15)),
		s:     float64(param(op, "S", f.S, 6)),
		gamma: float64(param(op, "Gamma", f.Gamma, 0.5)),
	}
	w := p.s * p.sigma
	p.c0 = p.gamma * (1 + p.h) / (p.sigma * sqrt2Pi)
	p.c1 = p.gamma * p.h / (w * sqrt2Pi)
	p.e0 = -1 / (2 * p.sigma * p.sigma)
	p.e1 = -1 / (2 * w * w)
	finitePeak(op, p.c0)
	finitePeak(op, 2*p.c1)
	return p
}

// Grad returns γ[(1+h)N(x;0,σ) - h N(x;σ,sσ) - h N(x;-σ,sσ)].
func (f MultiGaussian) Grad(x float32) float32 {
	p := f.params()
	return p.grad(x)
}

// Smooth returns γ[(1+h)Φ(x/σ) - hΦ((x-σ)/(sσ)) - hΦ((x+σ)/(sσ))].
func (f MultiGaussian) Smooth(x float32) float32 {
	p := f.params()
	xd := float64(x)
	phi := func(z float64) float64 { return math.Erfc(-z/math.Sqrt2) / 2 }
	w := p.s * p.sigma
	return float32(p.gamma * ((1+p.h)*phi(xd/p.sigma) - p.h*phi((xd-p.sigma)/w) - p.h*phi((xd+p.sigma)/w)))
}

// String names the surrogate with its hyperparameters.
func (f MultiGaussian) String() string {
	return "MultiGaussian(sigma=" + fmtParam(f.Sigma, 0.5) + ", h=" + fmtParam(f.H, 0.15) +
		", s=" + fmtParam(f.S, 6) + ", gamma=" + fmtParam(f.Gamma, 0.5) + ")"
}

func (p *multiGaussianParams) grad(x float32) float32 {
	xd := float64(x)
	dm, dp := xd-p.sigma, xd+p.sigma
	return float32(p.c0*math.Exp(p.e0*xd*xd) - p.c1*(math.Exp(p.e1*dm*dm)+math.Exp(p.e1*dp*dp)))
}
