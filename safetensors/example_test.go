package safetensors_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/spikegrad/spikegrad/safetensors"
)

// The bytes of a small safetensors file: the header length, the JSON header
// (54 bytes) padded with 2 spaces to 56, a multiple of 8, and the
// little-endian float32 data (1 = 0x3f800000, -2 = 0xc0000000).
func ExampleWrite() {
	var b bytes.Buffer
	err := safetensors.Write(&b, []safetensors.Tensor{{Name: "w", Shape: []int{2}, Data: []float32{1, -2}}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	out := b.Bytes()
	fmt.Printf("%v %q % x\n", out[:8], out[8:64], out[64:])
	f, err := safetensors.Read(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		log.Fatal(err)
	}
	data, _ := f.Float32("w")
	fmt.Println(f.Infos[0].DType, f.Infos[0].Shape, data)
	// Output:
	// [56 0 0 0 0 0 0 0] "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}  " 00 00 80 3f 00 00 00 c0
	// F32 [2] [1 -2]
}
