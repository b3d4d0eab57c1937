// Package safetensors reads and writes safetensors files, the tensor format
// of Hugging Face that spikegrad uses for a trained model's weights and for
// checkpoints, so that Python tools (safetensors, PyTorch, NumPy) read them
// as they are.
//
// # Writing and reading
//
// A Tensor is a named float32 tensor, row-major. Write writes tensors and
// string metadata to an io.Writer and Save to a file, atomically (a crash
// leaves the old file or the new one). The output is deterministic: the
// same tensors and metadata give the same bytes.
//
// Load reads a file, Read any io.ReaderAt of known size. Both validate the
// whole header and layout before they return, so a File they return is
// sound: Info describes a tensor, Float32 reads one, Tensors reads all of
// them. The reader knows every dtype of the specification (DType, with
// constants named as in the header, F32 for "F32"), so that it validates
// any file, but reads the data of F32 tensors only. Counters and random
// state belong in the metadata as decimal or hexadecimal strings, which are
// exact for any 64-bit value and which Python reads with int().
//
// A file that breaks the format is reported as a *FormatError naming the
// file, the tensor concerned and what is wrong; errors.Is tells
// ErrTruncated (the file ends early, typically a copy or write that did not
// complete) from ErrMalformed. A format stored in safetensors files (train's
// checkpoints) relabels the error with its own name and reports its own
// version mismatches with ErrVersion.
//
// # The format
//
// As specified by Hugging Face (https://github.com/huggingface/safetensors,
// README "Format", and the reference implementation
// safetensors/src/tensor.rs):
//
//   - 8 bytes: N, the length of the header, an unsigned little-endian 64-bit
//     integer;
//   - N bytes: the header, a UTF-8 JSON object that begins with '{' and may
//     be padded at the end with spaces (0x20). Each key names a tensor and
//     maps to {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]};
//     the optional key "__metadata__" maps to an object of string values.
//     Duplicate keys are not allowed;
//   - the rest of the file: the byte buffer. A tensor's data is
//     buffer[BEGIN:END], little-endian, row-major (C order), without strides.
//     The tensors are packed: sorted by offset, each begins where the
//     previous one ends, the first at 0, and the last ends at the end of the
//     file. END-BEGIN is the product of the shape times the dtype's size.
//     A shape [] is a scalar; a dimension 0 gives an empty tensor (BEGIN ==
//     END).
//
// The reference writer pads the header with spaces to a multiple of 8 bytes,
// so that the buffer starts 8-byte aligned, sorts the tensors by decreasing
// alignment and then by name, and limits the header to MaxHeader
// (100,000,000) bytes. Write does the same (all its tensors are F32, so the
// order is by name); Read enforces every rule above.
//
// ExampleWrite shows the bytes of a small file and reads it back.
package safetensors
