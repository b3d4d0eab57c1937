package datasets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Split selects the training, test or validation part of a dataset.
type Split int

const (
	// Train is the training split.
	Train Split = iota
	// Test is the test split.
	Test
	// Valid is the validation split of the datasets that publish one
	// (SSC).
	Valid
)

// String returns "train" or "test".
func (s Split) String() string {
	switch s {
	case Train:
		return "train"
	case Test:
		return "test"
	case Valid:
		return "valid"
	}
	return fmt.Sprintf("Split(%d)", int(s))
}

// ImageOptions controls how IDX images become float32 inputs.
//
// Each pixel p in 0..255 becomes (p/255 - Mean) / Std. With Std == 0 the
// division is skipped (as if Std were 1), so the zero value gives plain
// [0, 1] scaling: the same as snnTorch's tutorials, whose transform is
// ToTensor() followed by Normalize((0,), (1,)), an identity. torchvision's
// MNIST examples use Mean 0.1307, Std 0.3081 instead.
type ImageOptions struct {
	// Mean is subtracted after scaling to [0, 1].
	Mean float32
	// Std divides after subtracting Mean; 0 means no division.
	Std float32
	// SkipVerify skips the MD5 check of the decompressed files against the
	// registry. The check costs about one pass over the data.
	SkipVerify bool
}

// ImageSet is an image classification set held in memory: N images of H x W
// 8-bit pixels, and their labels. It implements Dataset with one time step:
// a batch is [1, B, H*W] float32, each pixel scaled as its ImageOptions say
// when the batch is filled. Keeping the bytes holds MNIST's 60000 training
// images in 47 MB instead of 188 MB of float32.
type ImageSet struct {
	// N, H and W are the number of images and their height and width.
	N, H, W int
	// Pixels holds the images, [N, H*W] row-major, one byte per pixel.
	Pixels []uint8
	// Labels holds the class of each image.
	Labels []uint8
	// Classes is the number of classes: one more than the largest label.
	Classes int

	lut [256]float32 // pixel value to scaled float32
}

// Image writes image i, scaled, into dst (len H*W).
func (s *ImageSet) Image(dst []float32, i int) {
	f := s.H * s.W
	for j, p := range s.Pixels[i*f : (i+1)*f] {
		dst[j] = s.lut[p]
	}
}

// NewImageSet builds an ImageSet from an images IDX ([N, H, W]) and a
// labels IDX ([N]) and checks that they agree.
func NewImageSet(images, labels *IDX, opt ImageOptions) (*ImageSet, error) {
	if len(images.Dims) != 3 {
		return nil, fmt.Errorf("datasets: NewImageSet: images have dims %s, want [N, H, W]", dimString(images.Dims))
	}
	if len(labels.Dims) != 1 {
		return nil, fmt.Errorf("datasets: NewImageSet: labels have dims %s, want [N]", dimString(labels.Dims))
	}
	n, h, w := images.Dims[0], images.Dims[1], images.Dims[2]
	if labels.Dims[0] != n {
		return nil, fmt.Errorf("datasets: NewImageSet: %d images but %d labels", n, labels.Dims[0])
	}
	s := &ImageSet{N: n, H: h, W: w, Pixels: images.Data, Labels: labels.Data}
	s.lut = scaleTable(opt.Mean, opt.Std)
	for _, l := range s.Labels {
		s.Classes = max(s.Classes, int(l)+1)
	}
	return s, nil
}

// ScaleBytes writes (src[i]/255 - mean)/std into dst[i]; std == 0 means no
// division. It panics with a *ShapeError if the lengths differ.
func ScaleBytes(dst []float32, src []byte, mean, std float32) {
	if len(dst) != len(src) {
		shapePanic("ScaleBytes", "dst has %d values, src %d", len(dst), len(src))
	}
	lut := scaleTable(mean, std)
	for i, p := range src {
		dst[i] = lut[p]
	}
}

// scaleTable maps each byte value p to (p/255 - mean)/std (std 0: no division).
func scaleTable(mean, std float32) (lut [256]float32) {
	for p := range lut {
		v := float32(p)/255 - mean
		if std != 0 {
			v /= std
		}
		lut[p] = v
	}
	return lut
}

// findFile returns the path of name in dir, or of name without its ".gz"
// suffix (an uncompressed copy), whichever exists first.
func findFile(dir, name string) (string, error) {
	cands := []string{filepath.Join(dir, name)}
	if base, ok := strings.CutSuffix(name, ".gz"); ok {
		cands = append(cands, filepath.Join(dir, base))
	}
	for _, p := range cands {
		st, err := os.Stat(p)
		if err == nil && st.Mode().IsRegular() {
			return p, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	if len(cands) == 2 {
		return "", fmt.Errorf("%s: %w (nor %s)", cands[0], fs.ErrNotExist, filepath.Base(cands[1]))
	}
	return "", fmt.Errorf("%s: %w", cands[0], fs.ErrNotExist)
}

// LoadImageSet reads one split of an MNIST-like dataset from dir, which holds
// the spec's files (compressed, or uncompressed without the ".gz" suffix).
// Unless opt.SkipVerify is set, the decompressed content of each file must
// match its RawMD5 (when the spec has one).
func LoadImageSet(dir string, spec DatasetSpec, split Split, opt ImageOptions) (*ImageSet, error) {
	if spec.TrainImages.Name == "" || (split != Train && split != Test) {
		return nil, fmt.Errorf("datasets: load %s %s: not an IDX dataset with this split", spec.Name, split)
	}
	imgSpec, lblSpec := spec.TrainImages, spec.TrainLabels
	if split == Test {
		imgSpec, lblSpec = spec.TestImages, spec.TestLabels
	}
	read := func(fsp FileSpec) (*IDX, error) {
		p, err := findFile(dir, fsp.Name)
		if err != nil {
			return nil, fmt.Errorf("datasets: load %s %s: %w", spec.Name, split, err)
		}
		want := fsp.RawMD5
		if opt.SkipVerify {
			want = ""
		}
		return ReadIDXFile(p, want)
	}
	images, err := read(imgSpec)
	if err != nil {
		return nil, err
	}
	labels, err := read(lblSpec)
	if err != nil {
		return nil, err
	}
	return NewImageSet(images, labels, opt)
}

// Load finds the registered dataset name with Resolve (downloading it if it
// is nowhere on disk and ropt allows) and reads one split of it.
func Load(name string, split Split, ropt ResolveOptions, opt ImageOptions) (*ImageSet, error) {
	spec, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	dir, err := Resolve(name, ropt)
	if err != nil {
		return nil, err
	}
	return LoadImageSet(dir, spec, split, opt)
}

// Len returns N.
func (s *ImageSet) Len() int { return s.N }

// Shape returns one time step and H*W features.
func (s *ImageSet) Shape() (steps, features int) { return 1, s.H * s.W }

// Fill copies the images idx into b.X ([1, len(idx), H*W]) and their labels
// into b.Labels.
func (s *ImageSet) Fill(b *Batch, idx []int) error {
	f := s.H * s.W
	b.check("ImageSet.Fill", 1, len(idx), f)
	for r, i := range idx {
		if i < 0 || i >= s.N {
			return fmt.Errorf("datasets: ImageSet.Fill: index %d out of range [0, %d)", i, s.N)
		}
		s.Image(b.X[r*f:(r+1)*f], i)
		b.Labels[r] = int(s.Labels[i])
	}
	return nil
}
