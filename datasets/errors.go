package datasets

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. The typed errors of this package wrap one of them, so a
// caller can test the kind of failure with errors.Is and get the details
// with errors.As.
var (
	// ErrFormat is wrapped by every *FormatError: bytes that do not follow
	// the format they claim to be in (bad magic, truncated, trailing data).
	ErrFormat = errors.New("malformed data")
	// ErrChecksum is wrapped by every *ChecksumError.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrNotFound is wrapped by every *ResolveError: a dataset was found in
	// none of the places searched and could not be downloaded.
	ErrNotFound = errors.New("dataset not found")
)

// FormatError reports bytes that break a file format. File names the file
// (or the name given to the reader), Offset is the byte offset in the
// decoded (decompressed) stream where the problem was detected, and Msg says
// what is wrong. Err is the underlying cause, if any (for example
// io.ErrUnexpectedEOF or a gzip error).
type FormatError struct {
	File   string
	Offset int64
	Msg    string
	Err    error
}

// Error returns the message of the FormatError.
func (e *FormatError) Error() string {
	s := fmt.Sprintf("datasets: %s: byte %d: %s", e.File, e.Offset, e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrFormat and the underlying cause.
func (e *FormatError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrFormat}
	}
	return []error{ErrFormat, e.Err}
}

// ChecksumError reports content whose digest differs from the known one.
// Algorithm is "md5" or "sha256"; Want and Got are lower-case hex digests.
type ChecksumError struct {
	File      string
	Algorithm string
	Want, Got string
}

// Error returns the message of the ChecksumError.
func (e *ChecksumError) Error() string {
	return fmt.Sprintf("datasets: %s: %s checksum mismatch: want %s, got %s", e.File, e.Algorithm, e.Want, e.Got)
}

// Unwrap returns ErrChecksum.
func (e *ChecksumError) Unwrap() error { return ErrChecksum }

// Attempt is one place Resolve looked at, and why it did not serve.
type Attempt struct {
	// Place is a folder ("dir /x/mnist (SPIKEGRAD_DATA)") or a URL.
	Place string
	// Err says why this place failed.
	Err error
}

// ResolveError reports that a dataset could not be found or fetched. It lists
// every place tried, in order, with the reason each one failed.
type ResolveError struct {
	Name     string
	Attempts []Attempt
}

// Error returns the message of the ResolveError.
func (e *ResolveError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "datasets: %s not found; tried %d places:", e.Name, len(e.Attempts))
	for i, a := range e.Attempts {
		fmt.Fprintf(&b, "\n  %d. %s: %v", i+1, a.Place, a.Err)
	}
	return b.String()
}

// Unwrap returns ErrNotFound and the error of every attempt, so that
// errors.As finds, for example, a *ChecksumError of a download.
func (e *ResolveError) Unwrap() []error {
	errs := []error{ErrNotFound}
	for _, a := range e.Attempts {
		errs = append(errs, a.Err)
	}
	return errs
}

// ShapeError is the panic value of the encoders and batch fillers when a
// buffer's length does not match the shape it is used with: a programmer
// error, not a data error.
type ShapeError struct {
	Op  string
	Msg string
}

// Error returns the message of the ShapeError.
func (e *ShapeError) Error() string { return "datasets: " + e.Op + ": " + e.Msg }

func shapePanic(op, format string, args ...any) {
	panic(&ShapeError{Op: op, Msg: fmt.Sprintf(format, args...)})
}
