package datasets

import (
	"fmt"
	"slices"
	"strings"
)

// CachedSet is a Dataset of samples converted from source files: sample i
// is Convert(i), a sequence [Steps, Features] row-major, with class
// Labels[i]. With a Cache, each conversion is kept on disk under the key of
// Sources[i], Transform and Parts[i] (Cache.Load), so that only the first
// epoch (of the first run) decodes the files; later ones read the entries.
// Without one (nil), every Fill converts again.
//
// Convert must be deterministic: an augmentation drawn at random belongs
// after the cache (in the Loader's consumer), never in Convert.
type CachedSet struct {
	// Sources names the file each sample is converted from.
	Sources []string
	// Parts says which part of its source each sample is, for sources that
	// hold several samples ("" for a whole file); it becomes part of the
	// key. nil means "" for every sample.
	Parts []string
	// Labels holds each sample's class.
	Labels []int
	// Steps and Features are the shape of every sample.
	Steps, Features int
	// Transform describes the conversion canonically: two conversions that
	// differ must have different descriptions (it is part of every key).
	Transform string
	// Convert converts sample i, returning Steps·Features values.
	Convert func(i int) ([]float32, error)
	// Cache keeps the conversions; nil converts at every Fill.
	Cache *Cache
}

// Len returns the number of samples.
func (s *CachedSet) Len() int { return len(s.Sources) }

// Shape returns Steps and Features.
func (s *CachedSet) Shape() (steps, features int) { return s.Steps, s.Features }

// Fill writes the samples idx into b, from the cache or converted. The
// error names the sample and its source.
func (s *CachedSet) Fill(b *Batch, idx []int) error {
	B, F := len(idx), s.Features
	b.check("CachedSet.Fill", s.Steps, B, F)
	for r, i := range idx {
		if i < 0 || i >= len(s.Sources) {
			return fmt.Errorf("datasets: CachedSet.Fill: index %d out of range [0, %d)", i, len(s.Sources))
		}
		x, err := s.sample(i)
		if err != nil {
			return fmt.Errorf("datasets: CachedSet.Fill: sample %d (%s): %w", i, s.Sources[i], err)
		}
		for t := range s.Steps {
			copy(b.X[(t*B+r)*F:(t*B+r+1)*F], x[t*F:(t+1)*F])
		}
		b.Labels[r] = s.Labels[i]
	}
	return nil
}

// sample returns sample i, [Steps, Features], checked.
func (s *CachedSet) sample(i int) ([]float32, error) {
	want := []int{s.Steps, s.Features}
	convert := func() ([]float32, []int, error) {
		x, err := s.Convert(i)
		return x, want, err
	}
	var x []float32
	var shape []int
	var err error
	if s.Cache == nil {
		x, shape, err = convert()
	} else {
		part := ""
		if s.Parts != nil {
			part = s.Parts[i]
		}
		x, shape, err = s.Cache.Load(s.Sources[i], s.Transform+"\npart "+part, convert)
	}
	if err != nil {
		return nil, err
	}
	if !slices.Equal(shape, want) || len(x) != s.Steps*s.Features {
		return nil, fmt.Errorf("converted to %d values of shape %v, want %v", len(x), shape, want)
	}
	return x, nil
}

// EventFrames returns the CachedSet of the samples of set cut into frames:
// sample i is set.Stream(i), passed through tr (when not nil) and cut by c
// (ToFrames), which must use TimeBins or EventBins so that every sample has
// the same number of frames. tr must be deterministic (Denoise, Downsample,
// CropTime, ...; a random transform fails without a random source). The
// key's transform names the set, tr (DescribeTransform) and c, and each
// sample's part is its time window. cache may be nil.
func EventFrames(set *EventSet, tr Transform, c FrameConfig, cache *Cache) (*CachedSet, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	steps := c.fixedSteps()
	if steps == 0 {
		return nil, fmt.Errorf("datasets: EventFrames: TimeWindow and EventCount give each stream its own number of frames; use TimeBins or EventBins")
	}
	w, h := set.Width, set.Height
	if tr != nil {
		w, h = tr.OutputSize(w, h)
	}
	s := &CachedSet{Steps: steps, Features: c.channels() * w * h, Cache: cache,
		Transform: fmt.Sprintf("event frames of %q (%dx%d): transform %s; frames %+v", set.Name, set.Width, set.Height, DescribeTransform(tr), c)}
	for _, sm := range set.Samples {
		s.Sources = append(s.Sources, sm.Path)
		s.Parts = append(s.Parts, fmt.Sprintf("[%d, %d) µs", sm.Start, sm.End))
		s.Labels = append(s.Labels, sm.Label)
	}
	s.Convert = func(i int) ([]float32, error) {
		st, err := set.Stream(i)
		if err != nil {
			return nil, err
		}
		if tr != nil {
			if st, err = tr.Apply(st, nil); err != nil {
				return nil, err
			}
		}
		f, err := ToFrames(st, c)
		if err != nil {
			return nil, err
		}
		return f.Data, nil
	}
	return s, nil
}

// DescribeTransform returns a canonical description of tr: its type and
// fields, Compose's in order, "none" for nil. Transforms that differ in a
// field are described differently.
func DescribeTransform(tr Transform) string {
	switch t := tr.(type) {
	case nil:
		return "none"
	case Compose:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = DescribeTransform(e)
		}
		return "Compose[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprintf("%T%+v", tr, tr)
}
