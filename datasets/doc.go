// Package datasets reads real datasets in their native formats, generates
// synthetic ones from a seed, encodes static inputs as spike trains and serves
// shuffled batches. It imports nothing else from spikegrad.
//
// # Shapes and conventions
//
// Everything is float32 and row-major. A sequence is time-major,
// [T, B, F] (time, batch, features): element (t, b, f) is at
// (t*B+b)*F+f. A static input such as an image is [B, F], which is the same
// memory as [1, B, F]. Labels are class indices (int in a Batch, uint8 in an
// ImageSet). Time is counted in steps; a spike is the value 1 at a step.
//
// Randomness comes only from an explicit *rand.Rand (math/rand/v2) passed
// by the caller; nothing in the package uses a global source, so a seed
// fixes every dataset, split, order and encoding.
//
// # Datasets on disk: IDX (MNIST, Fashion-MNIST)
//
// ReadIDX and ReadIDXFile decode the IDX format of MNIST and its look-alikes:
// two zero bytes, a type code (only 0x08, unsigned bytes, is accepted), the
// number of dimensions, one big-endian uint32 per dimension, then the data.
// A file may be raw or gzip-compressed; compression is detected from the
// first two bytes (0x1f 0x8b), never from the name. The reader checks every
// header field, that the payload has exactly the declared length (a raw
// file's length is checked before the payload is read), and that nothing
// follows it. Corrupt input gives a *FormatError naming the file, the byte
// offset in the decoded stream and what is wrong, for example
//
//	datasets: mnist/train-images-idx3-ubyte.gz: byte 1048592: truncated: header
//	declares 60000x28x28 = 47040000 data bytes, stream ends after 1048576:
//	unexpected EOF
//
// ReadIDXFile can verify the MD5 digest of the decoded content: the
// registry holds these digests, so a copy re-compressed by a mirror or a
// distribution still verifies while a damaged one fails with a
// *ChecksumError.
//
// LoadImageSet reads one Split of a dataset from a folder into an ImageSet:
// images as [N, H*W] float32 and their labels. Each pixel p becomes
// (p/255 - Mean)/Std (ImageOptions); the zero options give plain [0, 1]
// scaling, which is what snnTorch's tutorials feed their networks: their
// transform is ToTensor() followed by Normalize((0,), (1,)), which changes
// nothing. Load combines Resolve and LoadImageSet:
//
//	train, err := datasets.Load("mnist", datasets.Train, datasets.ResolveOptions{}, datasets.ImageOptions{})
//
// # Finding and downloading data
//
// Resolve(name, opt) returns a folder holding the registered dataset
// name ("mnist", "fashion-mnist"; see Names and Lookup). It looks at, in
// order: opt.Dir; $SPIKEGRAD_DATA/<name>; the user cache
// os.UserCacheDir()/spikegrad/<name>; /usr/share/datasets/<name> (where
// Debian's dataset-fashion-mnist installs Fashion-MNIST). A folder serves
// when it holds the four files, compressed or not (with opt.Verify, also
// when their content digests match). Otherwise Resolve downloads the files
// from the dataset's mirrors into the user cache: each file is streamed into
// a temporary file in the same folder while its SHA-256 is computed, checked
// against the registry (and the published size), synced and renamed into
// place, so an interrupted or corrupt download never leaves a file under the
// final name. opt.Progress reports the bytes received (ProgressLines prints
// them). opt.Offline forbids downloading; opt.Mirrors replaces the mirrors,
// which is how tests serve fixture bytes from a loopback server.
//
// When nothing serves, the *ResolveError lists every place tried and why
// each failed:
//
//	datasets: mnist not found; tried 4 places:
//	  1. $SPIKEGRAD_DATA: not set
//	  2. folder /home/u/.cache/spikegrad/mnist (user cache): stat ...: no such file or directory
//	  3. folder /usr/share/datasets/mnist (system folder): stat ...: no such file or directory
//	  4. https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz: Get ...: dial tcp: ...
//
// The registry (registry.go) records, for every file, the published name,
// size, SHA-256 of the compressed file and MD5 of the decompressed content,
// with the source of each digest beside it. MNIST comes from the S3 mirror
// that torchvision uses, Fashion-MNIST from Zalando Research's mirror.
//
// # Randman: a synthetic spike-timing task
//
// NewRandman generates the random-manifold dataset of Zenke and Vogels (2021,
// "The remarkable robustness of surrogate gradient learning for instilling
// complex function in spiking neural networks"), following the reference
// generator of github.com/fzenke/randman. Each class is a smooth random
// manifold of dimension ManifoldDim embedded in Units dimensions, built from
// products of random Fourier series with a power spectrum falling as
// 1/(i+1)^Alpha; a sample is a point on it, and its coordinates, standardised
// to [0, 1) per unit and class and scaled by Steps*StepFrac, are the spike
// times of the units. Every unit fires exactly SpikesPerUnit times in every
// sample, so only timing carries the class.
//
// DefaultRandmanConfig, the dataset to try first because it needs no
// download: 10 classes, 100 units, 100 steps, 1-dimensional manifolds,
// Alpha 2, one spike per unit, 1000 samples per class. Randman.Split makes a
// stratified train/test split from a seed; Randman implements Dataset with
// dense [Steps, B, Units] spike trains, and Spikes lists a sample's spikes
// as (step, unit) pairs.
//
// # Encoders
//
// A StaticEncoder turns a static batch [B, F] into a sequence [T, B, F],
// writing into a buffer the caller provides and allocating nothing:
//
//	DirectEncoder   the value itself at every step (snnTorch tutorial 5's input)
//	RateEncoder     Bernoulli spikes with probability clamp(Gain*x+Offset, 0, 1)
//	                (snnTorch spikegen.rate); needs a *rand.Rand
//	LatencyEncoder  one spike per input at round(t), t = Tau*ln(x/(x-Threshold))
//	                or linear, optional Normalize and Clip (snnTorch
//	                spikegen.latency; see the type for where it differs)
//
// DeltaEncoder turns a sequence of frames [T, B, F] into change events, on
// (and optionally off) when the difference between successive frames reaches
// a threshold (snnTorch spikegen.delta), as ±1 in one channel or as two
// channels [T, B, 2F]. Encoded wraps a static Dataset so that a Loader serves
// it encoded.
//
// A dataset whose inputs are spikes says so with a BinaryInputs method (the
// Binary interface; an encoder with BinaryOutputs), and BinaryInputs(ds)
// reads the declaration through Subset and Encoded: Randman, RateEncoder and
// LatencyEncoder are binary, images and DirectEncoder are not. A training
// loop marks such batches binary, so that the first layer's product adds only
// the weight rows of the active inputs; for a dataset that declares nothing,
// AllBinary looks at a batch's values.
//
// # Batches and the Loader
//
// A Dataset has a length, a per-sample shape (steps, features) and a Fill
// method that writes chosen samples into a Batch. ImageSet, Randman, Subset
// and Encoded are Datasets.
//
// A Loader serves a Dataset in batches of LoaderConfig.BatchSize, optionally
// shuffled (a new order each epoch, drawn from the loader's *rand.Rand) and
// dropping the last short batch. Each Epoch runs one goroutine that fills
// batches ahead of the consumer (Prefetch of them, 2 by default) into a fixed
// set of reused buffers, so steady-state batches allocate nothing. The
// sequence of batches depends only on the seed, never on timing. A Batch
// returned by Epoch.Batch is valid until the next Next; the caller must Close
// every Epoch (Close waits for its goroutine) or cancel its context.
//
//	loader, err := datasets.NewLoader(train, datasets.LoaderConfig{BatchSize: 128, Shuffle: true}, rng)
//	ep := loader.Epoch(ctx)
//	defer ep.Close()
//	for ep.Next() {
//		b := ep.Batch() // b.X is [b.Steps, b.Size, b.Features], b.Labels is [b.Size]
//	}
//	if err := ep.Err(); err != nil { ... }
//
// # Errors
//
// Errors at the boundary (files, network, configs) are returned as values:
// *FormatError (wraps ErrFormat), *ChecksumError (wraps ErrChecksum) and
// *ResolveError (wraps ErrNotFound and the error of each attempt, so
// errors.As finds a *ChecksumError of a failed download). Programmer errors
// (a buffer whose length does not match the shape it is used with) panic
// with a *ShapeError naming the operation and the shapes.
package datasets
