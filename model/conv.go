package model

import "fmt"

// Layer kinds of convolution, pooling and flattening; their configs are
// Conv2d, Conv1d, Pool2d (for the three pools) and Flatten.
const (
	KindConv2d    = "conv2d"
	KindConv1d    = "conv1d"
	KindMaxPool2d = "maxpool2d"
	KindAvgPool2d = "avgpool2d"
	KindSumPool2d = "sumpool2d"
	KindFlatten   = "flatten"
)

// Conv2d is the config of a 2-D convolution (layers.Conv2d) over inputs of
// In channels of H×W pixels, read from the feature axis channel-major
// (PyTorch's NCHW flattened: feature c·H·W + y·W + x). Kernel, Stride,
// Padding and Dilation are [height, width]; Groups divides In and Out. Its
// parameters are "<name>.weight" [Out, In/Groups, Kernel[0], Kernel[1]]
// (PyTorch's layout) and, with Bias, "<name>.bias" [Out]. Init is as
// Linear's.
type Conv2d struct {
	In       int    `json:"in"`
	Out      int    `json:"out"`
	H        int    `json:"h"`
	W        int    `json:"w"`
	Kernel   [2]int `json:"kernel"`
	Stride   [2]int `json:"stride"`
	Padding  [2]int `json:"padding"`
	Dilation [2]int `json:"dilation"`
	Groups   int    `json:"groups"`
	Bias     bool   `json:"bias"`
	Init     string `json:"init"`
}

// Kind returns KindConv2d.
func (Conv2d) Kind() string { return KindConv2d }

// Shapes returns [In, H, W] and [Out, OH, OW].
func (p Conv2d) Shapes() (in, out []int) {
	oh, ow := p.OutSize()
	return []int{p.In, p.H, p.W}, []int{p.Out, oh, ow}
}

// OutSize returns the output's height and width, PyTorch's formula
// (torch.nn.Conv2d docs): (H + 2·padding − dilation·(kernel − 1) − 1) / stride + 1,
// rounded down, per axis.
func (p Conv2d) OutSize() (oh, ow int) {
	return convOut(p.H, p.Kernel[0], p.Stride[0], p.Padding[0], p.Dilation[0]),
		convOut(p.W, p.Kernel[1], p.Stride[1], p.Padding[1], p.Dilation[1])
}

func convOut(n, k, s, pad, d int) int {
	if s < 1 {
		return 0
	}
	return (n+2*pad-d*(k-1)-1)/s + 1
}

// Validate checks the sizes, that Groups divides In and Out, and that the
// dilated kernel fits in the padded input.
func (p Conv2d) Validate() error {
	return validateConv(p.In, p.Out, [2]int{p.H, p.W}, [2]string{"h", "w"}, p.Kernel, p.Stride, p.Padding, p.Dilation, p.Groups, p.Init, "kernel", "stride", "padding", "dilation")
}

// Conv1d is the config of a 1-D convolution (layers.Conv1d) over inputs of
// In channels of length L, read channel-major (feature c·L + i). Its
// parameters are "<name>.weight" [Out, In/Groups, Kernel] and, with Bias,
// "<name>.bias" [Out]. Its output length is PyTorch's
// (L + 2·padding − dilation·(kernel − 1) − 1) / stride + 1, rounded down.
type Conv1d struct {
	In       int    `json:"in"`
	Out      int    `json:"out"`
	L        int    `json:"l"`
	Kernel   int    `json:"kernel"`
	Stride   int    `json:"stride"`
	Padding  int    `json:"padding"`
	Dilation int    `json:"dilation"`
	Groups   int    `json:"groups"`
	Bias     bool   `json:"bias"`
	Init     string `json:"init"`
}

// Kind returns KindConv1d.
func (Conv1d) Kind() string { return KindConv1d }

// Shapes returns [In, L] and [Out, OL].
func (p Conv1d) Shapes() (in, out []int) { return []int{p.In, p.L}, []int{p.Out, p.OutSize()} }

// OutSize returns the output length.
func (p Conv1d) OutSize() int { return convOut(p.L, p.Kernel, p.Stride, p.Padding, p.Dilation) }

// Validate checks the sizes, that Groups divides In and Out, and that the
// dilated kernel fits in the padded input.
func (p Conv1d) Validate() error {
	// A 1-D convolution is a 2-D one of height 1; the fields keep their 1-D names.
	if err := validateConv(p.In, p.Out, [2]int{1, p.L}, [2]string{"", "l"}, [2]int{1, p.Kernel}, [2]int{1, p.Stride},
		[2]int{0, p.Padding}, [2]int{1, p.Dilation}, p.Groups, p.Init, "kernel", "stride", "padding", "dilation"); err != nil {
		if fe, ok := err.(*FieldError); ok {
			if v, ok := fe.Value.([2]int); ok {
				fe.Value = v[1]
			}
		}
		return err
	}
	return nil
}

func validateConv(in, out int, size [2]int, sizeNames [2]string, k, s, pad, d [2]int, groups int, init string, kn, sn, pn, dn string) error {
	if err := positive("in", in); err != nil {
		return err
	}
	if err := positive("out", out); err != nil {
		return err
	}
	for a := range 2 {
		if sizeNames[a] == "" {
			continue
		}
		if err := positive(sizeNames[a], size[a]); err != nil {
			return err
		}
	}
	if err := pairAtLeast(kn, k, 1); err != nil {
		return err
	}
	if err := pairAtLeast(sn, s, 1); err != nil {
		return err
	}
	if err := pairAtLeast(pn, pad, 0); err != nil {
		return err
	}
	if err := pairAtLeast(dn, d, 1); err != nil {
		return err
	}
	if groups < 1 {
		return &FieldError{Field: "groups", Value: groups, Msg: "must be positive"}
	}
	if in%groups != 0 {
		return &FieldError{Field: "groups", Value: groups, Msg: fmt.Sprintf("must divide in = %d", in)}
	}
	if out%groups != 0 {
		return &FieldError{Field: "groups", Value: groups, Msg: fmt.Sprintf("must divide out = %d", out)}
	}
	for a := range 2 {
		if span := d[a]*(k[a]-1) + 1; span > size[a]+2*pad[a] {
			return &FieldError{Field: kn, Value: k, Msg: fmt.Sprintf("dilated kernel spans %d, more than the padded input (%d + 2·%d)", span, size[a], pad[a])}
		}
	}
	return oneOf("init", init, Inits())
}

// pairAtLeast returns a *FieldError unless both values are at least lo.
func pairAtLeast(field string, v [2]int, lo int) error {
	if v[0] < lo || v[1] < lo {
		return &FieldError{Field: field, Value: v, Msg: fmt.Sprintf("must be at least %d", lo)}
	}
	return nil
}

// Pool2d is the config of a 2-D pooling layer (KindMaxPool2d,
// KindAvgPool2d or KindSumPool2d; the Op field is not stored, the kind is)
// over C channels of H×W pixels read channel-major. Kernel, Stride and
// Padding are [height, width]; padding is at most half the kernel, as
// PyTorch requires. The output size is PyTorch's
// (H + 2·padding − kernel) / stride + 1, rounded down. It has no parameters.
type Pool2d struct {
	Op      string `json:"-"`
	C       int    `json:"c"`
	H       int    `json:"h"`
	W       int    `json:"w"`
	Kernel  [2]int `json:"kernel"`
	Stride  [2]int `json:"stride"`
	Padding [2]int `json:"padding"`
}

// Kind returns p.Op: KindMaxPool2d, KindAvgPool2d or KindSumPool2d.
func (p Pool2d) Kind() string { return p.Op }

// Shapes returns [C, H, W] and [C, OH, OW].
func (p Pool2d) Shapes() (in, out []int) {
	oh, ow := p.OutSize()
	return []int{p.C, p.H, p.W}, []int{p.C, oh, ow}
}

// OutSize returns the output's height and width.
func (p Pool2d) OutSize() (oh, ow int) {
	return convOut(p.H, p.Kernel[0], p.Stride[0], p.Padding[0], 1), convOut(p.W, p.Kernel[1], p.Stride[1], p.Padding[1], 1)
}

// Validate checks the sizes, that padding is at most half the kernel and
// that the kernel fits in the padded input.
func (p Pool2d) Validate() error {
	if err := positive("c", p.C); err != nil {
		return err
	}
	if err := positive("h", p.H); err != nil {
		return err
	}
	if err := positive("w", p.W); err != nil {
		return err
	}
	if err := pairAtLeast("kernel", p.Kernel, 1); err != nil {
		return err
	}
	if err := pairAtLeast("stride", p.Stride, 1); err != nil {
		return err
	}
	if err := pairAtLeast("padding", p.Padding, 0); err != nil {
		return err
	}
	size := [2]int{p.H, p.W}
	for a := range 2 {
		if p.Padding[a] > p.Kernel[a]/2 {
			return &FieldError{Field: "padding", Value: p.Padding, Msg: "must be at most half the kernel"}
		}
		if p.Kernel[a] > size[a]+2*p.Padding[a] {
			return &FieldError{Field: "kernel", Value: p.Kernel, Msg: fmt.Sprintf("larger than the padded input (%d + 2·%d)", size[a], p.Padding[a])}
		}
	}
	return nil
}

// Flatten is the config of a flattening layer over In features. Sequences
// here are [T, B, F] with the feature axis already flat, so it passes its
// input on unchanged; it marks where a network leaves the image layout.
type Flatten struct {
	In int `json:"in"`
}

// Kind returns KindFlatten.
func (Flatten) Kind() string { return KindFlatten }

// Shapes returns [In] twice: the values are already flat.
func (p Flatten) Shapes() (in, out []int) { return []int{p.In}, []int{p.In} }

// Validate checks that In is positive.
func (p Flatten) Validate() error { return positive("in", p.In) }
