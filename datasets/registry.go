package datasets

import (
	"fmt"
	"slices"
	"strings"
)

// FileSpec describes one file of a registered dataset.
type FileSpec struct {
	// Name is the file name as published, e.g. "train-images-idx3-ubyte.gz".
	Name string
	// Size is the length in bytes of the published (compressed) file.
	Size int64
	// SHA256 is the lower-case hex SHA-256 digest of the published file,
	// checked after every download.
	SHA256 string
	// RawMD5 is the lower-case hex MD5 digest of the decompressed content,
	// checked when the file is loaded. Copies that were re-compressed (as
	// some mirrors and distributions do) have other gzip digests but the same
	// content digest.
	RawMD5 string
	// MD5 is the lower-case hex MD5 digest of the published file, checked
	// after every download when set. A file with neither SHA256 nor MD5 is
	// checked against its dataset's ChecksumList.
	MD5 string
}

// DatasetSpec describes a dataset of the MNIST family: four IDX files and
// the mirrors that serve them.
type DatasetSpec struct {
	// Name is the registry key and the folder name, e.g. "mnist".
	Name string
	// Mirrors are base URLs, tried in order; a file's URL is the base
	// followed by the file name.
	Mirrors []string
	// TrainImages, TrainLabels, TestImages and TestLabels are the four files.
	TrainImages, TrainLabels, TestImages, TestLabels FileSpec
	// Classes names the labels 0, 1, ...
	Classes []string
	// Data lists the files of a dataset outside the MNIST family (whose
	// four IDX fields are then empty), such as "shd_train.h5.gz".
	Data []FileSpec
	// ChecksumList names a list of MD5 digests that the publisher serves
	// beside the files ("md5sums.txt": lines of "<md5>  <file name>").
	// A download of a file whose spec carries no digest fetches this list
	// from the same mirror and checks the file against its line; a file
	// the list does not name is refused.
	ChecksumList string
}

// Files returns the files of the dataset: the IDX files in the order train
// images, train labels, test images, test labels, then Data.
func (s DatasetSpec) Files() []FileSpec {
	var fs []FileSpec
	for _, f := range []FileSpec{s.TrainImages, s.TrainLabels, s.TestImages, s.TestLabels} {
		if f.Name != "" {
			fs = append(fs, f)
		}
	}
	return append(fs, s.Data...)
}

// The registry. Sources of every digest:
//
//   - MNIST mirror: the S3 mirror that torchvision's datasets.MNIST tries first
//     (torchvision/datasets/mnist.py, MNIST.mirrors).
//   - MNIST SHA-256 and sizes of the four .gz files: the checksums of the
//     original files (yann.lecun.com/exdb/mnist), as listed in torchvision's
//     prototype datasets (torchvision/prototype/datasets/_builtin/mnist.py,
//     MNIST._CHECKSUMS) and in TensorFlow Datasets' url_checksums/mnist.txt;
//     the ossci mirror serves the same files (torchvision checks them there
//     against the MD5s of the originals, f68b3c2d..., d53e105e..., 9fb629c4...,
//     ec29112d...).
//   - MNIST RawMD5: ../shared/data/README.md of this project ("MD5 of the
//     uncompressed files"), re-checked with `zcat FILE | md5sum` on the files
//     in ../shared/data/mnist.
//   - Fashion-MNIST mirror: the one of torchvision's datasets.FashionMNIST and of
//     the Zalando Research README (github.com/zalandoresearch/fashion-mnist).
//   - Fashion-MNIST SHA-256 and sizes: torchvision's prototype datasets
//     (FashionMNIST._CHECKSUMS); the Zalando README lists the MD5s of the same
//     files (8d4fb7e6..., 25c81989..., bef4ecab..., bb300cfd...).
//   - Fashion-MNIST RawMD5: computed with `zcat FILE | md5sum` on the files of
//     Debian's package dataset-fashion-mnist 0.0~git20200523.55506a9-1
//     (/usr/share/datasets/fashion-mnist). Debian re-compressed the files (its
//     .gz digests differ from the published ones), which is why loading
//     checks the decompressed content.
//   - SHD and SSC (the Heidelberg spiking datasets): file names and mirrors
//     from the publisher's page (zenkelab.org/resources/spiking-heidelberg-
//     datasets-shd: "Datasets: https://zenkelab.org/datasets/, Mirrors:
//     https://compneuro.net/datasets/"). The publisher lists MD5 digests of
//     the .h5.gz files in md5sums.txt beside them (its own download code
//     checks against that list) and publishes no SHA-256 and no sizes. Copies
//     of those MD5 digests in third-party code disagree with one another (the
//     files were re-released: the split changed from 8332/2088 to
//     8156/2264), so none is written here: a download is checked against the
//     md5sums.txt of the mirror it came from (ChecksumList).
var registry = []DatasetSpec{
	{
		Name:    "mnist",
		Mirrors: []string{"https://ossci-datasets.s3.amazonaws.com/mnist/"},
		TrainImages: FileSpec{Name: "train-images-idx3-ubyte.gz", Size: 9912422,
			SHA256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
			RawMD5: "6bbc9ace898e44ae57da46a324031adb"},
		TrainLabels: FileSpec{Name: "train-labels-idx1-ubyte.gz", Size: 28881,
			SHA256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
			RawMD5: "a25bea736e30d166cdddb491f175f624"},
		TestImages: FileSpec{Name: "t10k-images-idx3-ubyte.gz", Size: 1648877,
			SHA256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
			RawMD5: "2646ac647ad5339dbf082846283269ea"},
		TestLabels: FileSpec{Name: "t10k-labels-idx1-ubyte.gz", Size: 4542,
			SHA256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
			RawMD5: "27ae3e4e09519cfbb04c329615203637"},
		Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
	},
	{
		Name:    "fashion-mnist",
		Mirrors: []string{"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"},
		TrainImages: FileSpec{Name: "train-images-idx3-ubyte.gz", Size: 26421880,
			SHA256: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
			RawMD5: "f4a8712d7a061bf5bd6d2ca38dc4d50a"},
		TrainLabels: FileSpec{Name: "train-labels-idx1-ubyte.gz", Size: 29515,
			SHA256: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
			RawMD5: "9018921c3c673c538a1fc5bad174d6f9"},
		TestImages: FileSpec{Name: "t10k-images-idx3-ubyte.gz", Size: 4422102,
			SHA256: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
			RawMD5: "8181f5470baa50b63fa0f6fddb340f0a"},
		TestLabels: FileSpec{Name: "t10k-labels-idx1-ubyte.gz", Size: 5148,
			SHA256: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
			RawMD5: "15d484375f8d13e6eb1aabb0c3f46965"},
		Classes: []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
			"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
	},
	{
		Name:         "shd",
		Mirrors:      []string{"https://zenkelab.org/datasets/", "https://compneuro.net/datasets/"},
		Data:         []FileSpec{{Name: "shd_train.h5.gz"}, {Name: "shd_test.h5.gz"}},
		ChecksumList: "md5sums.txt",
		// The files' extra/keys name the 20 classes (English and German
		// digits).
	},
	{
		Name:         "ssc",
		Mirrors:      []string{"https://zenkelab.org/datasets/", "https://compneuro.net/datasets/"},
		Data:         []FileSpec{{Name: "ssc_train.h5.gz"}, {Name: "ssc_valid.h5.gz"}, {Name: "ssc_test.h5.gz"}},
		ChecksumList: "md5sums.txt",
		// The 35 words of Speech Commands v0.02; the files' extra/keys give
		// the order of the labels.
	},
}

// Lookup returns the registered dataset called name ("mnist",
// "fashion-mnist", "shd", "ssc"). The returned spec is a copy: changing it does not change
// the registry.
func Lookup(name string) (DatasetSpec, error) {
	for _, s := range registry {
		if s.Name == name {
			s.Mirrors = slices.Clone(s.Mirrors)
			s.Classes = slices.Clone(s.Classes)
			s.Data = slices.Clone(s.Data)
			return s, nil
		}
	}
	return DatasetSpec{}, fmt.Errorf("datasets: unknown dataset %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Names lists the registered datasets.
func Names() []string {
	names := make([]string, len(registry))
	for i, s := range registry {
		names[i] = s.Name
	}
	return names
}
