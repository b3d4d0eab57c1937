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
// Resolve(name, opt) returns a folder holding the registered dataset name
// ("mnist", "fashion-mnist", "shd", "ssc"; see Names and Lookup). It looks
// at, in order: opt.Dir; $SPIKEGRAD_DATA/<name>; the user cache
// os.UserCacheDir()/spikegrad/<name>; /usr/share/datasets/<name> (where
// Debian's dataset-fashion-mnist installs Fashion-MNIST). A folder serves
// when it holds all the dataset's files, compressed or not (with
// opt.Verify, also when their content digests match). Otherwise Resolve downloads the files
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
// # Audio: WAV files, mel and gammatone filterbanks, spoken digits
//
// ReadWAV and ReadWAVFile decode RIFF WAVE files (PCM 8/16/24/32-bit, IEEE
// float 32/64-bit, WAVE_FORMAT_EXTENSIBLE with either) into samples in
// [-1, 1] and the sample rate; several channels are mixed to mono. Any
// other encoding, a truncated data chunk or a missing chunk is a
// *FormatError naming the file and the byte offset. EncodeWAV writes mono
// 16-bit PCM.
//
// A Filterbank is the cochlea model: it cuts a signal into Hann-windowed
// frames (25 ms every 10 ms by default), takes each frame's power spectrum
// P(f) and sums it under Bands triangular filters evenly spaced in mel,
// E_t(k) = Σ_f W(k, f) P_t(f), with the HTK mel scale 2595 log10(1 + f/700)
// or Slaney's (linear below 1 kHz, logarithmic above), optionally with
// Slaney's unit-area normalisation: the filters of librosa.filters.mel.
// With Gammatone the triangles become the power responses of fourth-order
// gammatone filters, (1 + ((f - c)/b)²)^-4 with b = 1.019 ERB(c), centred
// evenly on Glasberg and Moore's ERB-rate scale. The tests check the
// energies against a numpy computation written from these definitions
// (testdata/audio/melref.py). Resample converts between sample rates with
// a windowed-sinc interpolator.
//
// EncodeAudio turns band energies into spikes; the features are ln(E +
// Floor), mapped to [0, 1] per recording:
//
//	AudioCrossing  threshold crossing (send-on-delta): an up or down spike
//	               whenever a band moves a Threshold away from its last
//	               reference level; 2*Bands channels
//	AudioDelta     snnTorch's spikegen.delta on successive frames; 2*Bands
//	AudioRate      Bernoulli spikes with probability Gain*x; Bands channels
//
// LoadFSDD reads the Free Spoken Digit Dataset (WAV, 8 kHz) with its usual
// split (recordings 0-4 of each speaker and digit are the test set) into an
// AudioSet, a Dataset of spike trains [Steps, B, Channels] (80 steps of
// 10 ms by default; longer recordings are cut, shorter ones end in silent
// steps). A recording at another sample rate is an error naming the file
// and its rate unless AudioConfig.Resample asks for conversion:
//
//	train, err := datasets.LoadFSDD(dir, datasets.Train, datasets.AudioConfig{})
//
// # Spiking audio: SHD and SSC
//
// ReadSHD reads a file of the Heidelberg spiking datasets (Spiking
// Heidelberg Digits, 20 classes, 8156 train / 2264 test samples; Spiking
// Speech Commands, 35 classes, with a validation split), HDF5 in pure Go
// (github.com/scigolib/hdf5): per sample, spike times in seconds
// (spikes/times) and channels 0..699 (spikes/units), the label, and the
// speaker and class names when the file has them. A file without
// spikes/times, with a channel outside 0..699, with times and units of
// different lengths, or damaged so that the HDF5 decoder would fail, is a
// *LayoutError naming the file, the dataset and the sample.
//
// SpikeBinning makes the dense spike tensor of a sample, [Steps, 700]:
// either steps of DT seconds from time 0 (spikes after the last step are
// dropped), or each sample stretched over Steps equal windows between its
// first and last spike (tonic's ToFrame(n_time_bins)); a step holds the
// spike count, or 1 with Clip. SpikeAudioSet is the Dataset: batches
// [Steps, B, 700] and the labels.
//
// "shd" and "ssc" are registered: Resolve finds shd_train.h5.gz,
// shd_test.h5.gz (and ssc_train, ssc_valid, ssc_test) or their
// uncompressed .h5 in the usual places, or downloads them from the
// publisher (zenkelab.org, compneuro.net). The publisher lists MD5 digests
// in md5sums.txt beside the files and no SHA-256: a download is checked
// against that list, fetched from the same mirror, and a file the list does
// not name is refused. SHDFile decompresses a .h5.gz beside itself on first
// use (HDF5 needs random access), and LoadSHD does all of it:
//
//	train, err := datasets.LoadSHD("shd", datasets.Train, datasets.ResolveOptions{})
//	set, err := datasets.NewSpikeAudioSet(train, datasets.SpikeBinning{Steps: 100, DT: 0.01})
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
// method that writes chosen samples into a Batch. ImageSet, Randman, Subset,
// Sequences and Encoded are Datasets.
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
// # Sequences of their own lengths
//
// A Dataset that is also VarLen gives each sample its own number of steps
// (SampleSteps), up to the steps of its Shape; Sequences is one, held in
// memory, and a Subset of one is one too. The Loader batches such a set to
// the longest sample of each batch rather than of the dataset: the batch is
// [max length, B, F], each shorter sequence padded with zeros at its end,
// and Batch.Lengths holds every sample's length (it stays empty when no
// sample is shorter than the batch, which is then an ordinary batch).
// Batch.Len and Batch.Mask read it. LoaderConfig.Bucket sorts runs of
// Bucket·BatchSize samples by length before batching, so that a batch holds
// samples of similar lengths and little padding. Whatever reduces over
// time (losses, read-outs, firing rates) must count only the valid steps:
// package loss's functions with the suffix Len do, and train passes the
// lengths through.
//
// # Event cameras
//
// An event camera (a dynamic vision sensor, DVS) reports, per pixel and
// asynchronously, each change of log brightness beyond a threshold: an
// Event is (T µs, X, Y, P), P = 1 for a rise (ON) and 0 for a fall (OFF),
// row 0 at the top of the sensor. An EventStream is one recording with its
// sensor size; Check verifies bounds, polarity and time order.
//
// Each reader decodes one native format into an *EventStream, from an
// io.Reader (ReadNMNIST, ...) or a file (ReadNMNISTFile, ...). A file is read
// whole, then decoded from memory. Bytes that break the format give a
// *FormatError naming the file, the byte offset and what is wrong: a
// truncated file, an event outside the sensor, a timestamp that runs
// backwards where the format does not allow it. No input makes a reader
// panic (each one has a fuzz target).
//
//	N-MNIST .bin     ReadNMNIST: no header, 5 bytes per event (Orchard et
//	                 al. 2015), 34 x 34 pixels, timestamps never decrease
//	Prophesee DAT    ReadDAT: '%' header lines, type and size bytes, 8 bytes
//	                 per event (N-CARS; version 2)
//	Prophesee RAW    ReadEVT: '%' header naming the encoding and geometry;
//	                 EVT 2.0 (32-bit words) or EVT 3.0 (16-bit words,
//	                 vectorised); the timestamp counter's wraps are unrolled
//	AEDAT 2.0        ReadAEDAT: jAER's '#' header, big-endian address and
//	                 timestamp pairs; DVS128 and DAVIS address layouts
//	AEDAT 3.1        ReadAEDAT: packets with 28-byte headers, polarity
//	                 events (DVS128 Gesture's recordings)
//	AEDAT 4.0        ReadAEDAT: DV's FlatBuffer packets, LZ4-compressed
//	                 (github.com/pierrec/lz4/v4); FlatBuffers read by hand
//
// A labelled dataset is an EventSet: its samples (a file, its class and,
// for datasets that cut several samples from one recording, a time window)
// and the reader of its files. NMNIST finds N-MNIST in a folder, either the
// full set as published (Train/<digit>/<id>.bin, Test/<digit>/<id>.bin) or
// a subset with label files (train1K.txt, test100.txt: ../shared/data's
// nmnist-small). NCARS reads N-CARS' {background,cars}/*.dat folders.
// DVSGesture cuts DVS128 Gesture's recordings (user<NN>_<lighting>.aedat)
// into one sample per gesture with the times of their _labels.csv files.
// EventSet.Stream decodes one sample, Streams all of them, reading each file
// once.
//
// # Event streams: transforms and frames
//
// A Transform changes an EventStream and returns a new stream, never
// touching its input; the random ones draw only from the *rand.Rand passed
// to Apply. They follow tonic's transforms
// (tonic.transforms, v1.4), each type's comment giving the exact definition
// and where it differs:
//
//	Denoise         drop an event with no event at a neighbouring pixel within
//	                FilterTime µs before it (4-neighbourhood, or 8 with Diagonals)
//	Downsample      x/Factor, y/Factor on a sensor ⌈W/Factor⌉×⌈H/Factor⌉
//	TimeJitter      add N(0, Std²) µs to each time, sort again, drop t < 0
//	FlipLR, FlipUD  mirror the sensor with probability P
//	TimeReversal    t' = tN − t, order reversed, ON ↔ OFF, with probability P
//	CropTime        keep Min ≤ t ≤ Max
//	RandomCropTime  keep a random window of Duration µs
//	Compose         apply several in order
//
// ToFrames cuts a stream into frames as a FrameConfig says: by a time
// window, an event count, a fixed number of time bins or of event bins
// (tonic's ToFrame, with its overlaps and incomplete last frame; LastToEnd
// gives SpikingJelly's integrate_events_by_fixed_frames_number, split_by
// "time" or "number", where no event is lost). A frame counts the events of
// each pixel in two polarity channels (channel 0 OFF, 1 ON) or, with
// MergePolarity, in one; Binary makes it a spike map (1 where the count is
// positive). Frames hold [Steps, C, H, W] row-major: one frame is the
// channel-major feature vector layers.Conv2d reads.
//
//	f, err := datasets.ToFrames(stream, datasets.FrameConfig{TimeBins: 20, LastToEnd: true, Binary: true})
//
// For a batch, StackFrames writes the frames of B samples into the
// time-major [T, B, C·H·W] sequence a network's Forward takes, and a
// FrameSet serves streams, transformed at every epoch and cut into frames,
// as a Dataset for the Loader (or for infer.Engine.Run). With TimeWindow
// or EventCount every stream has its own number of frames: a
// FrameSequences is then a VarLen dataset, batched to the longest sample
// of each batch with the lengths in Batch.Lengths. Frames.Events
// gives, for each step, the ascending flat indices of the nonzero values:
// the input of infer.Engine.Step (infer.Input.Events), which runs the
// event-driven products on them without a dense tensor; fed this way a
// network computes the same outputs as on the dense frames, bit for bit
// while every layer's input activity stays below infer.EventActivity (both
// then run event-driven).
//
// # A cache of converted tensors
//
// A Cache keeps tensors converted from source files on disk, keyed by the
// source's identity (path, size and modification time, or with HashSource
// the SHA-256 of its bytes) and a canonical description of the conversion,
// so that changing either makes a new entry. Entries are written atomically
// (temporary file, sync, rename), verified on every read (magic, key, shape
// and a CRC-32C), and a corrupt one is reported (Cache.Report, a
// *FormatError naming the entry's file) and made again. NewCache("") puts the
// entries in os.UserCacheDir()/spikegrad/cache. CachedSet serves samples
// converted by a function through a Cache; EventFrames makes one of an
// EventSet cut into frames after a deterministic Transform
// (DescribeTransform is the canonical description):
//
//	cache, err := datasets.NewCache("")
//	set, err := datasets.NMNIST(dir, datasets.Train)
//	frames, err := datasets.EventFrames(set, datasets.Denoise{FilterTime: 10000}, datasets.FrameConfig{TimeBins: 10}, cache)
//	loader, err := datasets.NewLoader(frames, datasets.LoaderConfig{BatchSize: 32, Shuffle: true}, rng)
//
// The first epoch decodes each file and writes its entry, later epochs (and
// runs) read the entries. Random augmentations belong after the cache.
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
