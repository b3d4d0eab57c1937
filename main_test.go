package spikegrad_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/spikegrad/spikegrad/datasets"
)

// mnistErr says why Example_tutorial cannot find the MNIST files; nil when
// it can.
var mnistErr error

// TestMain lets Example_tutorial find the MNIST files of the project's real
// data, ../shared/data/mnist from the repository root or
// $SPIKEGRAD_SHARED_DATA/mnist, by pointing $SPIKEGRAD_DATA at that folder.
// When datasets.Resolve finds MNIST nowhere without downloading (a fresh
// clone has no ../shared), it adds the example to -test.skip, as a test of
// real data skips, and prints why; TestTutorialData then skips too, or fails
// with SPIKEGRAD_REQUIRE_DATA=1.
func TestMain(m *testing.M) {
	flag.Parse()
	mnistErr = findMNIST()
	if mnistErr != nil {
		skip := "^Example_tutorial$"
		if s := flag.Lookup("test.skip").Value.String(); s != "" {
			skip = s + "|" + skip
		}
		if err := flag.Set("test.skip", skip); err != nil {
			panic(err)
		}
		fmt.Println("Example_tutorial skipped:", mnistErr)
	}
	os.Exit(m.Run())
}

// findMNIST points $SPIKEGRAD_DATA at the project's real data if it holds
// MNIST, then asks datasets.Resolve, without downloading, whether the
// example's datasets.Load will find the files.
func findMNIST() error {
	root := os.Getenv("SPIKEGRAD_SHARED_DATA")
	if root == "" {
		root = filepath.Join("..", "shared", "data")
	}
	shared, err := filepath.Abs(filepath.Join(root, "mnist"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(shared); err == nil {
		os.Setenv(datasets.EnvData, filepath.Dir(shared))
	}
	if _, err := datasets.Resolve("mnist", datasets.ResolveOptions{Offline: true}); err != nil {
		return fmt.Errorf("MNIST is not in %s (set SPIKEGRAD_SHARED_DATA, or put shared/data beside the repository); %w", shared, err)
	}
	return nil
}

// TestTutorialData reports whether Example_tutorial ran: it skips with the
// reason when MNIST was not found, and fails then if SPIKEGRAD_REQUIRE_DATA=1
// (as in CI).
func TestTutorialData(t *testing.T) {
	if mnistErr == nil {
		return
	}
	msg := fmt.Sprintf("Example_tutorial not run: %v", mnistErr)
	if os.Getenv("SPIKEGRAD_REQUIRE_DATA") == "1" {
		t.Fatal(msg + "; SPIKEGRAD_REQUIRE_DATA=1 makes this a failure")
	}
	t.Skip(msg)
}
